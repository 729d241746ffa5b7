"""Segments: planning, the cache's segment keys and records, the levelling loop, and the
renderer that reuses unchanged segments (the fake engine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_master import RATE, long_script, script_of

from audio.master import segments
from audio.master.encode import EncodeSettings
from audio.master.mastering import MasterSettings, Pause, SegmentLayout, Speech
from audio.master.segments import Leveller, SegmentRenderer, plan_segments, segment_key
from audio.models import PARAGRAPH, Paragraph, Section, Sentence
from audio.synth.cache import SynthCache
from audio.synth.engines.fake import FakeEngine


def test_segments_start_in_a_pause_at_every_section_and_by_content():
    script = long_script(paragraphs=12, sentences=4, sections=2)
    plans = plan_segments(script, MasterSettings(sample_rate=RATE))
    assert len(plans) > 2  # about 300 characters a paragraph: several segments a section
    assert [i for plan in plans for i in plan.sentences] == list(range(len(script.sentences())))
    assert all(isinstance(plan.steps[0], Pause) for plan in plans[1:])
    # The second section starts a segment of its own.
    assert 1 in {plan.steps[1].section for plan in plans[1:] if isinstance(plan.steps[1], Speech)}
    # An edit changes its own segment at most: every later segment is planned as before.
    paragraphs = list(script.sections[0].paragraphs)
    paragraphs[1] = Paragraph(PARAGRAPH, (Sentence("Changed.", "Changed."), *paragraphs[1].sentences[1:]))
    edited = script_of([], [Section(None, tuple(paragraphs)), script.sections[1]], [])
    after = plan_segments(edited, MasterSettings(sample_rate=RATE))
    tail = [plan.steps for plan in plans[2:]]
    assert [plan.steps for plan in after[-len(tail):]] == tail


def test_segment_keys_are_unchanged(monkeypatch):
    """A key names a cached encoding: the same inputs must give the same key from release to
    release, or every show's segment cache goes stale (change SEGMENT_FORMAT on purpose)."""
    monkeypatch.setattr(segments, "__version__", "0.0.0")
    plan = plan_segments(script_of([], [Section(None, (Paragraph(PARAGRAPH, (Sentence("A.", "A."),)),))], []),
                         MasterSettings())[0]
    speech = ["0" * 64]
    assert segment_key(plan, speech, -16.0, MasterSettings(), EncodeSettings()) == (
        "d56c197fd619e4553fe7e33359b808b2c77ecbeedc201375a5390bd01b27fb8e")
    trial = segment_key(plan, speech, ["trial", 0.0, []], MasterSettings(), EncodeSettings())
    assert trial != segment_key(plan, speech, ["trial", 0.0, ["f" * 64]], MasterSettings(), EncodeSettings())


def test_leveller_masters_on_trial_until_the_programme_is_settled():
    leveller = Leveller(-16.0, 10, offset=1.0)
    layout = SegmentLayout(spans=((0, 10),), samples=10, target=-16.0, speech_s=30.0, subs=(10 ** ((-16.0 + 0.691) / 10),) * 300)
    asked = []

    def trial(level):
        asked.append(level)
        return layout, layout.subs

    assert leveller.target(trial) == pytest.approx(-15.0) and asked == [-15.0]  # nominal + offset
    leveller.add(layout, layout.subs)
    assert not leveller.settled
    leveller.target(trial)
    assert len(asked) == 2
    leveller.add(layout, layout.subs)
    assert leveller.settled  # 60 s of programme
    assert leveller.target(trial) == pytest.approx(-15.0) and len(asked) == 2  # no trial once settled


def renderer(tmp_path: Path, script, progress=None) -> SegmentRenderer:
    settings = MasterSettings(sample_rate=FakeEngine.sample_rate)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return SegmentRenderer(script, plan_segments(script, settings), FakeEngine(), SynthCache(tmp_path / "cache"),
                           settings, EncodeSettings(), work, lambda stage, seconds: None, progress)


def test_a_second_render_reuses_every_segment_from_the_cache(tmp_path: Path):
    script = long_script(paragraphs=8, sentences=4)
    done = []
    first = renderer(tmp_path, script, lambda n, total: done.append((n, total)))
    parts, loud = first.render()
    total = len(script.sentences())
    assert len(parts) == len(first.plans) > 1 and first.reused == 0
    assert done[-1] == (total, total)
    assert abs(loud.integrated_lufs - -16.0) <= segments.LOUDNESS_TOLERANCE_LU and loud.true_peak_dbtp <= -1.0
    assert all(part.mp3.is_file() and part.mp3.with_suffix(".json").is_file() for part in parts)
    again = renderer(tmp_path, script)
    reused, loud_again = again.render()
    assert again.reused == len(parts) and again.cache.misses == 0
    assert reused == parts and loud_again == loud  # the records give back what was stored
    assert not list((tmp_path / "work").iterdir())  # no trial or unfinished MP3 left behind


def test_the_first_minute_is_levelled_on_trial_without_a_trial_encode(tmp_path: Path, monkeypatch):
    """Segments levelled on trial are mastered twice but encoded once: one encoder per segment."""
    made = []

    class Counting(segments.SegmentEncoder):
        def __init__(self, path, *args, **kwargs):
            made.append(path.name)
            super().__init__(path, *args, **kwargs)

    monkeypatch.setattr(segments, "SegmentEncoder", Counting)
    script = long_script(paragraphs=8, sentences=4)
    first = renderer(tmp_path, script)
    trials = []
    monkeypatch.setattr(first, "_trial", lambda *args, _trial=first._trial: trials.append(1) or _trial(*args))
    parts, loud = first.render()
    assert trials and len(made) == len(parts) == len(first.plans)
    assert abs(loud.integrated_lufs - -16.0) <= segments.LOUDNESS_TOLERANCE_LU and loud.true_peak_dbtp <= -1.0
