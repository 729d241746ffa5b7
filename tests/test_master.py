"""Mastering on synthetic chunks: trimming, levelling, the limiter, pauses, show audio, the
timeline; and segment MP3s, measured and joined, checked by ffmpeg's ebur128."""

from __future__ import annotations

import math
import subprocess
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from ebur128 import measure, parse_ebur128
from scipy.signal import resample_poly, sosfilt

from audio.errors import OutputError
from audio.master.encode import (
    EncodeSettings,
    SegmentEncoder,
    ffmpeg_exe,
    join_mp3,
    loudness_of,
    measure_mp3,
    mp3_frames,
)
from audio.master.loudness import (
    TRUE_PEAK_CONTEXT,
    KFilter,
    _interpolators,
    k_weighting,
    loudness,
    sample_true_peaks,
)
from audio.master.mastering import (
    INTRO_CHAPTER,
    MasterSettings,
    SegmentPlan,
    Timeline,
    level_and_limit,
    master_segment,
    timeline,
    trim_silence,
)
from audio.master.segments import Leveller, plan_segments
from audio.models import (
    LIST_ITEM,
    PARAGRAPH,
    QUOTE,
    RULE,
    AudioChunk,
    Paragraph,
    Pauses,
    PostMeta,
    Script,
    Section,
    Sentence,
)

RATE = 22050


def true_peak_db(samples: np.ndarray) -> float:
    """Peak of the 4x oversampled signal over every sample (the reference for the limiter)."""
    peak = float(np.abs(resample_poly(samples, 4, 1)).max())
    return 20 * math.log10(peak) if peak > 0 else -math.inf


class NoSink:
    def write(self, samples: np.ndarray) -> None:
        pass


def master(script: Script, chunks, sink, settings: MasterSettings, pauses: Pauses = Pauses()) -> Timeline:
    """The whole script mastered into one sink, segment after segment with no gap between
    them, levelled by the render's ``Leveller`` (on trial for the first minute)."""
    plans = plan_segments(script, settings, pauses)
    leveller = Leveller(settings.target_lufs, settings.sample_rate)
    layouts, starts = [], []
    for plan in plans:
        starts.append(sum(layout.samples for layout in layouts) / settings.sample_rate)
        mine = [next(chunks) for _ in plan.sentences]
        target = leveller.target(partial(trial, plan, mine, settings))
        layouts.append(master_segment(plan, iter(mine), sink, settings, target))
        leveller.add(layouts[-1], layouts[-1].subs)
    total = sum(layout.samples for layout in layouts) / settings.sample_rate
    return timeline(script, plans, layouts, starts, total, settings)


def trial(plan: SegmentPlan, chunks: list[AudioChunk], settings: MasterSettings, level: float):
    layout = master_segment(plan, iter(chunks), NoSink(), settings, level)
    return layout, layout.subs


def speechlike(seconds: float, level: float, seed: int = 0, lead: float = 0.2, tail: float = 0.3) -> np.ndarray:
    """A harmonic tone with a syllable envelope and a few sharp peaks, framed by silence."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = 110 + 40 * rng.random()
    voice = sum(np.sin(2 * np.pi * f0 * k * t + rng.random() * 6) / k for k in range(1, 8))
    voice *= 0.4 + 0.6 * np.sin(2 * np.pi * 3.5 * t) ** 2
    voice[rng.integers(0, len(t), 20)] *= 3.0  # plosive-like peaks for the limiter
    voice *= level / np.abs(voice).max()
    return np.concatenate([np.zeros(int(lead * RATE)), voice, np.zeros(int(tail * RATE))]).astype(np.float32)


class Collect:
    def __init__(self):
        self.parts: list[np.ndarray] = []

    def write(self, samples: np.ndarray) -> None:
        self.parts.append(samples.copy())

    @property
    def audio(self) -> np.ndarray:
        return np.concatenate(self.parts)


def para(kind: str, *texts: str) -> Paragraph:
    return Paragraph(kind, tuple(Sentence(t, t) for t in texts))


def script_of(intro, sections, outro) -> Script:
    return Script(meta=PostMeta(title="A post", slug="a-post"), intro=tuple(intro), sections=tuple(sections),
                  outro=tuple(outro), omissions=(), notes_html="", word_count=0)


SCRIPT = script_of(
    [para(PARAGRAPH, "Intro one.", "Intro two.")],
    [
        Section(None, (para(PARAGRAPH, "A.", "B."), para(QUOTE, "Quoted."), para(LIST_ITEM, "Item."), para(PARAGRAPH, "C."))),
        Section("Second", (para(PARAGRAPH, "D."), para(RULE), para(PARAGRAPH, "E."))),
    ],
    [para(PARAGRAPH, "Bye.")],
)


def chunks_for(script: Script, levels=(0.05, 0.9)) -> list[AudioChunk]:
    return [
        AudioChunk(s.speech, speechlike(1.0 + 0.1 * i, levels[i % len(levels)], seed=i), RATE)
        for i, s in enumerate(script.sentences())
    ]


def test_trim_keeps_a_little_silence_and_fades_the_edges():
    x = speechlike(1.0, 0.5, lead=0.5, tail=0.7)
    y = trim_silence(x, RATE)
    assert 1.0 <= len(y) / RATE <= 1.0 + 2 * 0.02 + 0.02
    assert y[0] == 0.0 and y[-1] == 0.0
    assert len(trim_silence(np.zeros(RATE, np.float32), RATE)) == 0


def test_levelling_makes_quiet_and_loud_sentences_equally_loud_under_the_ceiling():
    quiet, loud = speechlike(2.0, 0.25, seed=1), speechlike(2.0, 1.0, seed=2)
    assert loudness(loud, RATE) - loudness(quiet, RATE) > 10
    out = [level_and_limit(trim_silence(x, RATE), RATE, -16.0, -2.0) for x in (quiet, loud)]
    for y in out:
        assert abs(loudness(y, RATE) - -16.0) < 0.5
        assert true_peak_db(y) <= -2.0 + 0.1
    assert abs(loudness(out[0], RATE) - loudness(out[1], RATE)) < 0.5
    # A near-silent chunk is not boosted into noise: at most 15 dB.
    whisper = speechlike(2.0, 0.02, seed=3)
    boosted = level_and_limit(whisper, RATE, -16.0, -2.0)
    assert loudness(boosted, RATE) - loudness(whisper, RATE) == pytest.approx(15.0, abs=0.01)


def test_loudness_meter_agrees_with_ffmpeg(tmp_path: Path):
    x = speechlike(6.0, 0.3)
    path = tmp_path / "x.wav"
    sf.write(path, x, RATE, subtype="FLOAT")
    assert abs(loudness(x, RATE) - measure(path).integrated_lufs) < 0.3


def test_k_filter_streams_like_one_filter_and_never_goes_subnormal():
    """Block by block, the K-weighting is the whole signal's; in the exact silence after a
    sound its output stays a normal float (subnormals make the filter some 15x slower)."""
    x = np.concatenate([speechlike(1.0, 0.5), np.zeros(3 * RATE, np.float32), speechlike(0.5, 0.5, seed=4)])
    stream = KFilter(RATE)
    weighted = np.concatenate([stream(x[i : i + 5000]) for i in range(0, len(x), 5000)])
    plain = sosfilt(k_weighting(RATE).astype(np.float32), x)
    assert np.abs(weighted - plain).max() < 1e-6
    assert np.all(np.abs(weighted) >= np.finfo(np.float32).tiny)
    assert np.abs(plain[RATE + RATE // 2 : 4 * RATE]).min() < np.finfo(np.float32).tiny  # without the guard: subnormal


def test_true_peaks_interpolate_both_gaps_of_every_candidate():
    """Each sample above the threshold gets the highest interpolated value on either side of
    it (the same taps, sample by sample), whether its neighbours are candidates too (shared
    gaps) or not; the rest keep |x|."""
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(4000) * 0.3).astype(np.float32)
    x[[0, 1, 3999]] = [0.9, -0.9, 0.95]  # candidates at both ends, two of them side by side
    peaks = sample_true_peaks(x, 0.5)
    taps, padded = _interpolators(), np.pad(x, (TRUE_PEAK_CONTEXT, TRUE_PEAK_CONTEXT))

    def gap(g: int) -> float:  # between samples g and g + 1
        window = padded[g + 1 : g + 1 + 2 * TRUE_PEAK_CONTEXT]
        return float(np.abs(taps @ window).max())

    candidates = np.flatnonzero(np.abs(x) > 0.5)
    assert len(candidates) > 50 and np.diff(candidates).min() == 1
    for i in candidates:
        assert peaks[i] == pytest.approx(max(abs(x[i]), gap(i - 1), gap(i)), rel=1e-6)
    quiet = np.abs(x) <= 0.5
    assert np.array_equal(peaks[quiet], np.abs(x[quiet]))


def test_timeline_pauses_and_chapters():
    sink = Collect()
    pauses = Pauses(sentence=0.3, paragraph=0.7, section=1.5, quote=0.9, list_item=0.5)
    timeline = master(SCRIPT, iter(chunks_for(SCRIPT)), sink, MasterSettings(sample_rate=RATE), pauses)
    s = timeline.sentences
    assert [t.text for t in s] == [x.text for x in SCRIPT.sentences()]
    assert [t.section for t in s] == [-1, -1, 0, 0, 0, 0, 0, 1, 1, 2]
    gaps = [round(b.start_s - a.end_s, 3) for a, b in zip(s, s[1:])]
    # intro: sentence, then section 0 | A-B sentence, quote after B's paragraph, list after quote,
    # C after list | section | rule = section pause | outro after a section
    assert gaps == [0.3, 1.5, 0.3, 0.7, 0.9, 0.5, 1.5, 1.5, 1.5]
    assert timeline.chapters[0].start_s == 0.0 and timeline.chapters[0].title == INTRO_CHAPTER
    assert [c.title for c in timeline.chapters] == [INTRO_CHAPTER, "A post", "Second"]
    assert [c.start_s for c in timeline.chapters[1:]] == [s[2].start_s, s[7].start_s]
    # The timeline is the real programme: its length, and sound exactly where sentences are.
    audio = sink.audio
    assert len(audio) / RATE == pytest.approx(timeline.duration_s)
    assert timeline.duration_s == pytest.approx(s[-1].end_s + 0.5, abs=1e-3)
    for t in s:
        start, end = round(t.start_s * RATE), round(t.end_s * RATE)
        assert np.abs(audio[start:end]).max() > 0.05
    for a, b in zip(s, s[1:]):
        assert np.abs(audio[round(a.end_s * RATE) : round(b.start_s * RATE)]).max() == 0.0


def test_master_segment_refuses_too_few_chunks():
    plan = plan_segments(SCRIPT, MasterSettings(sample_rate=RATE))[0]
    chunks = chunks_for(SCRIPT)[: len(plan.sentences) - 1]
    with pytest.raises(RuntimeError, match="fewer chunks than the script has sentences"):
        master_segment(plan, iter(chunks), Collect(), MasterSettings(sample_rate=RATE), -16.0)


def test_show_audio_is_joined_with_crossfades(tmp_path: Path):
    music = tmp_path / "jingle.wav"
    t = np.arange(2 * 44100) / 44100
    sf.write(music, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 44100)
    settings = MasterSettings(sample_rate=44100, intro_audio=music, outro_audio=music, transition_audio=music)
    sink = Collect()
    timeline = master(SCRIPT, iter(chunks_for(SCRIPT)), sink, settings)
    s = timeline.sentences
    audio = sink.audio
    fade = int(settings.crossfade_s * 44100)
    # Intro music from 0 s, fading out into the pause before the first sentence.
    assert np.abs(audio[: 44100]).max() > 0.1
    assert s[0].start_s == pytest.approx(2.0 - settings.crossfade_s + 0.8, abs=1e-3)
    assert np.abs(audio[2 * 44100 - fade // 4 : 2 * 44100]).max() < 0.5 * np.abs(audio[: 44100]).max()
    # The transition music plays between the sections; the chapter starts at the first sentence.
    gap = audio[round(s[6].end_s * 44100) : round(s[7].start_s * 44100)]
    assert len(gap) / 44100 > 2.0 and np.abs(gap).max() > 0.1
    assert timeline.chapters[2].start_s == s[7].start_s
    # Outro music after the last sentence.
    assert timeline.duration_s > s[-1].end_s + 2.0
    assert np.abs(audio[round(s[-1].end_s * 44100) + 44100 :]).max() > 0.1


def long_script(paragraphs: int, sentences: int, sections: int = 1) -> Script:
    body = [
        Section(None if k == 0 else f"Part {k}", tuple(
            para(PARAGRAPH, *(f"Sentence {j} of paragraph {i} in part {k}, long enough to count for something." for j in range(sentences)))
            for i in range(paragraphs)))
        for k in range(sections)
    ]
    return script_of([], body, [])


def encode_segments(tmp_path: Path, script: Script, settings: EncodeSettings = EncodeSettings()):
    """Master and encode a script's segments the way a render does: layouts, MP3s, measurements."""
    chunks = iter(chunks_for(script))
    master_settings = MasterSettings(sample_rate=RATE)
    leveller = Leveller(-16.0, RATE)
    layouts, paths, measured = [], [], []
    for index, plan in enumerate(plan_segments(script, master_settings)):
        encoder = SegmentEncoder(tmp_path / f"part{index}.mp3", RATE, settings)
        layouts.append(master_segment(plan, chunks, encoder, master_settings, leveller.target()))
        leveller.add(layouts[-1], layouts[-1].subs)
        encoder.finish()
        paths.append(encoder.path)
        measured.append(measure_mp3(encoder.path, settings.true_peak))
    return layouts, paths, measured


def test_joined_segments_meet_loudness_and_true_peak_and_sit_where_measured(tmp_path: Path):
    script = long_script(paragraphs=10, sentences=4)
    layouts, paths, measured = encode_segments(tmp_path, script)
    assert len(paths) > 1 and not list(tmp_path.glob("*.log"))  # ffmpeg's logs are gone
    joined = tmp_path / "episode.mp3"
    join_mp3(paths, joined)
    independent = measure(joined)
    assert abs(independent.integrated_lufs - -16.0) <= 1.0 and independent.true_peak_dbtp <= -1.0
    ours = loudness_of(measured)
    assert abs(ours.integrated_lufs - independent.integrated_lufs) <= 0.2
    assert abs(ours.true_peak_dbtp - independent.true_peak_dbtp) <= 0.3
    probe = subprocess.run([ffmpeg_exe(), "-i", str(joined), "-f", "null", "-"], capture_output=True, text=True)
    assert "Audio: mp3" in probe.stderr and "44100 Hz, mono" in probe.stderr and "96 kb/s" in probe.stderr
    decoded, rate = sf.read(str(joined), dtype="float32")
    # Each segment starts a whole number of frames in; its first sentence is where its layout says.
    start = 0.0
    for layout, part in zip(layouts, measured):
        first, _ = layout.spans[0]
        at = int(round((start + first / RATE) * rate))
        assert np.abs(decoded[at - 441 : at - 220]).max() < 0.01 < np.abs(decoded[at : at + 2205]).max()
        start += part.span_s
    last = measured[-1]
    assert len(decoded) / rate == pytest.approx(start - last.span_s + last.samples / rate, abs=1e-3)


def test_mp3_frames_counts_audio_frames_and_stops_at_anything_else(tmp_path: Path):
    _, paths, measured = encode_segments(tmp_path, long_script(paragraphs=2, sentences=2))
    data = paths[0].read_bytes()
    frames, per_frame = mp3_frames(data)
    assert per_frame == 1152 and frames * per_frame / 44100 == pytest.approx(measured[0].span_s)
    assert frames * per_frame >= sf.info(str(paths[0])).frames  # decoded audio fits in the frames
    header = data.index(b"\xff\xfb", 4)  # the first audio frame after the LAME header frame
    for bitrate_index in (0, 15):  # free format and the forbidden index end the count
        bad = bytearray(data)
        bad[header + 2] = (bad[header + 2] & 0x0F) | bitrate_index << 4
        assert mp3_frames(bytes(bad)) == (0, 1152)
    assert mp3_frames(data[: header + 3]) == (0, 1152)


def test_parse_ebur128_summary():
    text = ("[Parsed_ebur128_0 @ 0x1] Summary:\n\n  Integrated loudness:\n    I:         -16.2 LUFS\n"
            "    Threshold: -26.3 LUFS\n\n  True peak:\n    Peak:       -1.7 dBFS\n")
    result = parse_ebur128(text)
    assert (result.integrated_lufs, result.true_peak_dbtp) == (-16.2, -1.7)
    with pytest.raises(ValueError):
        parse_ebur128("nothing here")
    assert math.isfinite(result.integrated_lufs)


def test_an_encoder_failure_is_one_error_and_leaves_nothing(tmp_path: Path):
    encoder = SegmentEncoder(tmp_path / "x.mp3", RATE, EncodeSettings(sample_rate=12345))  # no MP3 at that rate
    with pytest.raises(OutputError, match=r"x\.mp3: ffmpeg (stopped encoding|failed to encode) \(.+\)"):
        for _ in range(200):
            encoder.write(np.zeros(RATE, np.float32))
        encoder.finish()
    encoder.close()
    assert list(tmp_path.iterdir()) == []
