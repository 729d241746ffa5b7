"""Speech QA wired into the pipeline: `audio-essay qa`, QA inside `render` ([qa] enabled),
`status` and the batch summary.

The fake engine throughout, heard by a scripted recogniser: it tells a take of a sentence by
the fake engine's pitch (each sentence and take has its own), and mishears exactly the takes
a test names. One test runs the real Piper voice and the real PocketSphinx."""

from __future__ import annotations

import hashlib
import re
from importlib.metadata import EntryPoint
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_render import SHORT_POST, render, show_dir  # noqa: F401  (the sample show with a fake voice)

from audio import plugins
from audio.cli import main
from audio.episode_store import QA_SUFFIX, SENTENCES_SUFFIX, load_qa, load_sentences
from audio.models import HeardWord
from audio.qa.compare import normalise
from audio.qa.recognizers.base import ENTRY_POINT_GROUP
from audio.show import load_show
from audio.synth.cache import SynthCache
from audio.synth.engines.fake import SAMPLE_RATE

BAD = "here is the second one"  # the sentence the voice garbles on its first take


def pitch(text: str, take: int) -> int:
    """The fake engine's pitch for a sentence (its engine input) and take."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "little")
    return 100 + (seed + 29 * take) % 80


def heard_pitch(pcm: np.ndarray, rate: int) -> int:
    spectrum = np.abs(np.fft.rfft(pcm, n=rate * 4))
    hz = np.fft.rfftfreq(rate * 4, 1 / rate)
    band = (hz >= 99) & (hz <= 181)
    return int(round(hz[band][np.argmax(spectrum[band])]))


class Scripted:
    """Hears every take right except those in ``BAD_TAKES``: (normalised text, take)."""

    name = "scripted"
    language = "en"
    bad_takes: set[tuple[str, int]] = set()

    def __init__(self, model=None):
        self.last: tuple[int, str] = (0, "")  # the pitch and text of the audio aligned last

    def hears(self, language: str) -> bool:
        return language.split("-")[0] == self.language

    def _bad(self, pcm: np.ndarray, rate: int, text: str) -> bool:
        f0 = heard_pitch(pcm, rate)
        return any(normalise(t) == text and abs(pitch(t, take) - f0) <= 1 for t, take in self.bad_takes)

    def align(self, pcm, rate, text):
        self.last = (heard_pitch(pcm, rate), text)
        if self._bad(pcm, rate, text):
            return None
        step = len(pcm) / rate / max(1, len(text.split()))
        return tuple(HeardWord(w, i * step, (i + 1) * step, 0.95) for i, w in enumerate(text.split()))

    def recognize(self, pcm, rate):
        f0 = heard_pitch(pcm, rate)
        for text, take in self.bad_takes:
            if abs(pitch(text, take) - f0) <= 1:
                return (HeardWord("mumble", 0.0, 0.5), HeardWord("grumble", 0.5, 1.0))
        f0_aligned, text = self.last
        return tuple(HeardWord(w, i * 0.3, (i + 1) * 0.3) for i, w in enumerate(text.split())) if f0 == f0_aligned else ()


@pytest.fixture
def qa_show(show_dir, monkeypatch):  # noqa: F811
    """The fake-voice show, QA by the scripted recogniser; its second sentence's first take is bad."""
    eps = [EntryPoint(name="scripted", value=f"{__name__}:Scripted", group=ENTRY_POINT_GROUP),
           EntryPoint(name="missing", value="no_such_recognizer_package.module:Recognizer", group=ENTRY_POINT_GROUP)]
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps if group == ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(Scripted, "bad_takes", {("Here is the second one.", 0)})
    config = show_dir / "show.toml"
    config.write_text(config.read_text() + '\n[qa]\nrecognizer = "scripted"\n')
    return show_dir


def _episode(show: Path) -> Path:
    return show / "rendered" / "short-test-post"


def test_qa_finds_the_bad_sentence_retakes_it_and_changes_nothing_until_a_render(qa_show):
    render(qa_show)
    folder = _episode(qa_show)
    mp3 = (folder / "short-test-post.mp3").read_bytes()
    result = CliRunner().invoke(main, ["qa", "short-test-post", "--show", str(qa_show)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("short-test-post: clean (")  # repaired by its retake
    assert "repaired by retake 1" in result.output  # in the table of sentences to hear
    assert "1 better take chosen: run `audio-essay render` (or `batch`) to use it" in lines
    assert lines[-1] == f"report: {qa_show / 'qa' / 'report' / 'index.html'}"
    qa = load_qa(folder / f"short-test-post{QA_SUFFIX}")
    assert qa.state == "clean" and qa.recognizer == "scripted" and qa.voice == "tones"
    (fixed,) = [s for s in qa.sentences if s.takes_tried]
    assert fixed.written == BAD and fixed.take == 1 and fixed.improved is True and not fixed.reasons
    used = {s.index: s for s in load_sentences(folder / f"short-test-post{SENTENCES_SUFFIX}")}
    assert fixed.start_s == used[fixed.index].start_s
    # QA changed no published file; the better take waits in the cache for a render.
    assert (folder / "short-test-post.mp3").read_bytes() == mp3
    cache = SynthCache.for_show(load_show(qa_show))
    choice = cache.choice(used[fixed.index].key)
    assert choice is not None and choice.take == 1
    episode = render(qa_show)
    assert episode.stats.cache_misses == 0  # nothing synthesized: the take is in the cache
    assert episode.sha256 != hashlib.sha256(mp3).hexdigest()
    rendered = load_sentences(folder / f"short-test-post{SENTENCES_SUFFIX}")
    assert rendered[fixed.index].key == choice.take_key
    assert not (folder / f"short-test-post{QA_SUFFIX}").exists()  # the new audio is not checked yet
    # The report is private: under qa/, never the site.
    assert (qa_show / "qa" / "report" / "short-test-post.qa.html").is_file()
    assert not list((qa_show / "site").rglob("*.qa.*")) if (qa_show / "site").exists() else True


def test_qa_without_retakes_reports_the_suspect_with_its_time(qa_show):
    render(qa_show)
    result = CliRunner().invoke(main, ["qa", str(qa_show / "posts" / "short.md"), "--show", str(qa_show),
                                       "--no-retakes"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("short-test-post: 1 suspect (")
    qa = load_qa(_episode(qa_show) / f"short-test-post{QA_SUFFIX}")
    (suspect,) = qa.suspects
    assert suspect.written == BAD and "unaligned" in suspect.reasons and suspect.heard == "mumble grumble"
    assert re.search(rf"0:0{int(suspect.start_s)}.*unaligned", result.output)
    assert suspect.takes_tried == 0 and suspect.improved is None


def test_render_with_qa_enabled_uses_the_better_take_at_once(qa_show):
    config = qa_show / "show.toml"
    config.write_text(config.read_text().replace('[qa]\n', '[qa]\nenabled = true\n'))
    episode = render(qa_show)
    folder = _episode(qa_show)
    qa = load_qa(folder / f"short-test-post{QA_SUFFIX}")
    assert episode.qa == qa and qa.state == "clean"
    (fixed,) = [s for s in qa.sentences if s.takes_tried]
    used = {s.index: s for s in load_sentences(folder / f"short-test-post{SENTENCES_SUFFIX}")}
    assert used[fixed.index].key != SynthCache.key(_engine_identity(qa_show), "Here is the second one.")
    assert (fixed.start_s, fixed.end_s) == (used[fixed.index].start_s, used[fixed.index].end_s)
    assert episode.stats.qa_s > 0
    # status shows the episode's QA state.
    status = CliRunner().invoke(main, ["status", "--show", str(qa_show)])
    assert "qa: 1 episode checked: 1 clean, 0 with suspects (0 sentences); 0 skipped; 1 sentence retaken, 1 repaired" \
        in status.output.splitlines()
    # render says how QA went.
    result = CliRunner().invoke(main, ["render", str(qa_show / "posts" / "short.md"), "--show", str(qa_show),
                                       "--voice", "tones"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^qa: clean \(\d+ sentences, word error rate 0\.0%\), \d+\.\d s$", result.output, re.M), result.output


def _engine_identity(show: Path) -> str:
    from audio.synth.engines.registry import create_engine
    from audio.synth.voices import load_voice

    return create_engine(load_voice("tones", load_show(show))).identity()


def test_a_voice_the_recognizer_cannot_hear_is_skipped_never_scored(qa_show, monkeypatch):
    monkeypatch.setattr(Scripted, "language", "es")
    render(qa_show)
    result = CliRunner().invoke(main, ["qa", "--show", str(qa_show)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == \
        "short-test-post: skipped: the scripted recognizer does not hear en-us (0 sentences)"
    qa = load_qa(_episode(qa_show) / f"short-test-post{QA_SUFFIX}")
    assert qa.state == "skipped" and qa.sentences == () and not qa.suspects
    status = CliRunner().invoke(main, ["status", "--show", str(qa_show)])
    assert "  short-test-post: skipped: the scripted recognizer does not hear en-us" in status.output.splitlines()
    # Checked since its render: a second run has nothing to do unless asked.
    again = CliRunner().invoke(main, ["qa", "--show", str(qa_show)])
    assert again.output.splitlines()[0].startswith("nothing to check")


def test_no_recognizer_installed_is_one_line_naming_the_extra(qa_show):
    render(qa_show)
    config = qa_show / "show.toml"
    config.write_text(config.read_text().replace('recognizer = "scripted"', 'recognizer = "missing"'))
    result = CliRunner().invoke(main, ["qa", "short-test-post", "--show", str(qa_show)])
    assert result.exit_code == 2
    assert result.output == (f"audio-essay: {qa_show / 'show.toml'}: recognizer 'missing' is not installed "
                             "(no_such_recognizer_package); install it with: pip install 'audio-essay[missing]'\n")


def test_bad_targets_are_one_line_each(qa_show):
    result = CliRunner().invoke(main, ["qa", "no-such-episode", "--show", str(qa_show)])
    assert (result.exit_code, result.output) == (2, "audio-essay: no-such-episode: no such post or rendered episode\n")
    result = CliRunner().invoke(main, ["qa", str(qa_show / "posts" / "short.md"), "--show", str(qa_show)])
    assert (result.exit_code, result.output) == (
        2, f"audio-essay: {qa_show / 'posts' / 'short.md'}: not rendered yet: run `audio-essay render` first\n")
    result = CliRunner().invoke(main, ["qa"])
    assert result.exit_code == 2 and "give a POST, or --show DIR" in result.output
    # An episode whose audio left the cache: that episode is named; the report is still written.
    render(qa_show)
    record = _episode(qa_show) / f"short-test-post{SENTENCES_SUFFIX}"
    kept = record.read_bytes()
    record.unlink()  # as an episode rendered by an older release
    result = CliRunner().invoke(main, ["qa", "short-test-post", "--show", str(qa_show)])
    assert (result.exit_code, result.stderr) == (
        2, f"audio-essay: {_episode(qa_show)}: rendered before speech QA kept its sentence record: render it again\n")
    record.write_bytes(kept)
    for entry in (qa_show / ".cache" / "synth" / "audio").glob("*/*.flac"):
        entry.unlink()
    result = CliRunner().invoke(main, ["qa", "--show", str(qa_show)])
    assert result.exit_code == 2
    assert re.search(r"^audio-essay: .*short-test-post\.sentences\.json: sentence \d+'s audio is no longer in the "
                     r"synthesis cache: render it again$", result.output, re.M)


@pytest.mark.parametrize("rate", [SAMPLE_RATE])
def test_the_fake_pitch_is_what_the_scripted_recognizer_hears(rate):
    from audio.synth.engines.fake import FakeEngine

    engine = FakeEngine()
    for take in (0, 1, 2):
        (chunk,) = engine.variant(take).synthesize(["Here is the second one."])
        assert heard_pitch(chunk.samples, rate) == pitch("Here is the second one.", take)


@pytest.fixture
def listening_show(sample_show: Path) -> Path:
    """The sample show (the real Piper voice) with QA on and one short post."""
    for post in (sample_show / "posts").glob("*"):
        post.unlink()
    (sample_show / "posts" / "qa.md").write_text(
        "---\ntitle: Listening\ndate: 2025-03-01\n---\n"
        "The newsletter is about the history of small presses.\n\n"
        "Most of them failed within a year, but a few became the publishers we know today.\n")
    config = sample_show / "show.toml"
    config.write_text(config.read_text() + "\n[qa]\nenabled = true\n")
    return sample_show


def test_real_piper_heard_by_real_pocketsphinx(listening_show):
    """A short post read by the real Piper voice and checked inside its render by the real
    PocketSphinx: every sentence is judged, at its place in the episode, and heard well."""
    sample_show = listening_show
    episode = render_real(sample_show)
    qa = load_qa(episode.folder / f"{episode.slug}{QA_SUFFIX}")
    used = load_sentences(episode.folder / f"{episode.slug}{SENTENCES_SUFFIX}")
    assert (qa.recognizer, qa.voice, qa.state in ("clean", "suspects")) == ("pocketsphinx", "joe", True)
    assert [(s.index, s.start_s, s.end_s) for s in qa.sentences] == [(s.index, s.start_s, s.end_s) for s in used]
    post = [s for s in qa.sentences if "small presses" in s.written or "publishers" in s.written]
    assert len(post) == 2 and not any(s.suspect for s in post)
    assert list((sample_show / "qa" / "voices").glob("joe-*.json"))  # the voice's calibration, kept


def render_real(show: Path):
    from audio.pipeline import render_episode

    return render_episode(show / "posts" / "qa.md", load_show(show))


def test_batch_with_qa_enabled_sums_up_the_catalogue(listening_show):
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(listening_show / "posts"), "--show", str(listening_show)]).exit_code == 0
    result = runner.invoke(main, ["batch", "--show", str(listening_show), "-j", "1", "--no-publish"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^qa: 1 episode checked: [01] clean, [01] with suspects \(\d+ sentences?\); 0 skipped; ",
                     result.output, re.M), result.output
    assert list((listening_show / "rendered").glob(f"*/*{QA_SUFFIX}"))
