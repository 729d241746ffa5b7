"""Mastering: per-sentence chunks become one programme, streamed to the encoder.

Each sentence is trimmed of its leading and trailing silence, levelled to the target
loudness (BS.1770 K-weighted, gated), resampled to the output rate and held under a
true-peak ceiling by a look-ahead limiter. Levelling every sentence to the same
loudness is deliberate: Piper's own option peak-normalises each sentence, which makes
short or plosive-heavy sentences jump in loudness; matching loudness keeps the voice
steady. And because every sentence sits at the target (raised by the dilution of the
pauses, measured on the programme so far), the programme's integrated loudness is
right before it ends, so the MP3 can be encoded while synthesis is still running: no
whole-file loudnorm passes.

The programme is planned as segments, runs of paragraphs cut in the silence before a
paragraph (``audio.master.segments.plan_segments``), each mastered on its own
(``master_segment``), so that the renderer can encode each one apart and reuse the unchanged ones when a post is
edited. The profile's pauses go between sentences, paragraphs and sections; the show's
intro, outro and transition audio files join with short crossfades. The timeline
records the real sample position of every sentence and chapter.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

from audio.errors import InputError
from audio.master.loudness import KFilter, integrated, k_weighted, loudness, sample_true_peaks, sub_block_energies
from audio.models import AudioChunk, Chapter, Script, TimedSentence

INTRO_CHAPTER = "Introduction"
TRIM_FLOOR_DB = -40.0  # a frame this far below the sentence's loudest frame is silence
TRIM_KEEP_S = 0.02  # silence kept either side of the speech
EDGE_FADE_S = 0.005  # fade at the cut edges: no clicks
MAX_LEVEL_GAIN_DB = 15.0  # never boost a near-silent chunk into noise
LIMITER_WINDOW_S = 0.01  # look-ahead and release of the peak limiter
TAIL_S = 0.5  # silence after the last sound
SETTLED_AFTER_S = 60.0  # programme seconds after which the pause dilution is known well enough


class Sink(Protocol):
    """Where the programme goes: float32 mono samples at the output rate, in order."""

    def write(self, samples: np.ndarray) -> None: ...


@dataclass(frozen=True)
class MasterSettings:
    sample_rate: int = 44100
    target_lufs: float = -16.0
    ceiling_dbtp: float = -2.0  # PCM ceiling; MP3 encoding adds a few tenths of a dB
    crossfade_s: float = 0.25
    intro_audio: Path | None = None
    outro_audio: Path | None = None
    transition_audio: Path | None = None


@dataclass(frozen=True)
class Timeline:
    """Where everything sits in the programme, from sample positions."""

    sentences: tuple[TimedSentence, ...]
    chapters: tuple[Chapter, ...]
    duration_s: float


# --- per-sentence processing -------------------------------------------------------


def trim_silence(samples: np.ndarray, rate: int) -> np.ndarray:
    """Cut leading and trailing silence, keeping ``TRIM_KEEP_S`` and fading the cut edges."""
    frame = max(1, int(0.01 * rate))
    frames = len(samples) // frame
    if frames == 0:
        return samples[:0]
    power = (samples[: frames * frame].reshape(frames, frame).astype(np.float64) ** 2).mean(axis=1)
    loudest = power.max()
    if loudest <= 1e-10:  # -100 dBFS: nothing there
        return samples[:0]
    voiced = np.flatnonzero(power > loudest * 10 ** (TRIM_FLOOR_DB / 10))
    keep = int(TRIM_KEEP_S * rate)
    start = max(0, voiced[0] * frame - keep)
    end = min(len(samples), (voiced[-1] + 1) * frame + keep)
    out = samples[start:end].astype(np.float32, copy=True)
    fade = min(int(EDGE_FADE_S * rate), len(out) // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    return out


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    g = math.gcd(from_rate, to_rate)
    return resample_poly(samples, to_rate // g, from_rate // g).astype(np.float32)


LIMITER_BLOCK = 32  # samples: the gain is computed per block and interpolated


def _limiter_gain(peaks: np.ndarray, ceiling: float, rate: int) -> np.ndarray:
    """Per-sample gain keeping ``peaks`` under ``ceiling``: smooth, never above the need.

    Computed on blocks of ``LIMITER_BLOCK`` samples (each block's smallest need): a
    moving average of a moving minimum of the same width never exceeds the need, so the
    look-ahead and the release both last ``LIMITER_WINDOW_S``. Interpolating between
    block boundaries, each valued at the smaller of its two blocks, keeps that promise.
    """
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9)).astype(np.float32)
    if need.min() >= 1.0:
        return need
    blocks = -(-len(need) // LIMITER_BLOCK)
    padded = np.pad(need, (0, blocks * LIMITER_BLOCK - len(need)), constant_values=1.0)
    block_need = padded.reshape(blocks, LIMITER_BLOCK).min(axis=1)
    size = 2 * max(1, round(LIMITER_WINDOW_S * rate / LIMITER_BLOCK)) + 1
    block_gain = uniform_filter1d(minimum_filter1d(block_need, size, mode="nearest"), size, mode="nearest")
    edges = np.minimum(np.concatenate([block_gain[:1], block_gain]), np.concatenate([block_gain, block_gain[-1:]]))
    ramp = np.arange(LIMITER_BLOCK, dtype=np.float32) / LIMITER_BLOCK
    gain = (edges[:-1, None] + (edges[1:] - edges[:-1])[:, None] * ramp[None, :]).ravel()
    return np.minimum(gain[: len(need)], need)


def level_and_limit(samples: np.ndarray, rate: int, target_lufs: float, ceiling_dbtp: float) -> np.ndarray:
    """Bring a sentence to the target loudness with its true peak under the ceiling.

    Plain gain first; where that pushes the (4x oversampled) peaks over the ceiling, a
    look-ahead limiter takes them down and the loudness it cost is made up (up to 6 dB,
    three rounds), so a sentence ends within a few tenths of a LU of the target. Gain is capped at
    ``MAX_LEVEL_GAIN_DB`` either way so a near-silent chunk is not boosted into noise.
    """
    if len(samples) == 0:
        return samples
    ceiling = 10 ** (ceiling_dbtp / 20)

    weighted = k_weighted(samples, rate)
    gain_db = max(-MAX_LEVEL_GAIN_DB, min(MAX_LEVEL_GAIN_DB, target_lufs - loudness(samples, rate, weighted)))
    gain = plain = 10 ** (gain_db / 20)
    top = float(np.abs(samples).max())
    if top * gain < ceiling * 10 ** (-1 / 20):  # 1 dB margin for inter-sample peaks
        return (samples * np.float32(gain)).astype(np.float32)
    # Makeup gain stays within 6 dB of the plain gain: only those samples can matter.
    peaks = sample_true_peaks(samples, ceiling / (plain * 2.0) * 10 ** (-1 / 20))
    for _ in range(3):
        envelope = gain * _limiter_gain(peaks * gain, ceiling, rate)
        shortfall = target_lufs - loudness(samples, rate, weighted * envelope)
        if abs(shortfall) < 0.1:
            break
        gain = min(gain * 10 ** (shortfall / 20), plain * 2.0)
    return (samples * envelope).astype(np.float32)


def master_sentence(chunk: AudioChunk, settings: MasterSettings, target_lufs: float | None = None) -> np.ndarray:
    """One sentence's audio, ready to place: trimmed, resampled, levelled and limited."""
    samples = np.asarray(chunk.samples, dtype=np.float32).reshape(-1)
    samples = resample(trim_silence(samples, chunk.sample_rate), chunk.sample_rate, settings.sample_rate)
    target = settings.target_lufs if target_lufs is None else target_lufs
    return level_and_limit(samples, settings.sample_rate, target, settings.ceiling_dbtp)


def load_show_audio(path: Path, settings: MasterSettings) -> np.ndarray:
    """An intro/outro/transition file (any format ffmpeg reads), mono at the output rate,
    levelled and limited like the speech."""
    segment_class = _pydub()
    try:
        segment = segment_class.from_file(path)
    except Exception as exc:  # pydub raises CouldntDecodeError or whatever ffmpeg's failure gives
        raise InputError(path, f"cannot read show audio ({str(exc).splitlines()[0] if str(exc) else exc!r})") from exc
    segment = segment.set_channels(1).set_frame_rate(settings.sample_rate)
    full_scale = float(1 << (8 * segment.sample_width - 1))
    samples = np.asarray(segment.get_array_of_samples(), dtype=np.float32) / full_scale
    return level_and_limit(samples, settings.sample_rate, settings.target_lufs, settings.ceiling_dbtp)


def _pydub():
    """pydub's AudioSegment, pointed at the ffmpeg that imageio-ffmpeg ships."""
    import imageio_ffmpeg

    with warnings.catch_warnings():  # pydub warns at import when no system ffmpeg is on PATH
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment
    AudioSegment.converter = imageio_ffmpeg.get_ffmpeg_exe()
    return AudioSegment


# --- assembling --------------------------------------------------------------------


class _Assembler:
    """Appends pieces to the sink, holding back a short tail so the next piece can
    crossfade over it. Positions are sample indices in the programme."""

    def __init__(self, sink: Sink, fade: int):
        self.sink = sink
        self.fade = fade
        self.tail = np.zeros(0, dtype=np.float32)
        self.end = 0  # programme length so far, tail included

    def append(self, samples: np.ndarray, crossfade: bool = False) -> int:
        """Add a piece; with ``crossfade`` it overlaps the end of what came before
        (equal-power fades). Returns where the piece starts."""
        overlap = min(self.fade, len(self.tail), len(samples)) if crossfade else 0
        if overlap:
            t = np.linspace(0.0, math.pi / 2, overlap, dtype=np.float32)
            mixed = self.tail[-overlap:] * np.cos(t) + samples[:overlap] * np.sin(t)
            buffer = np.concatenate([self.tail[:-overlap], mixed, samples[overlap:]])
        else:
            buffer = np.concatenate([self.tail, samples])
        start = self.end - overlap
        self.end = start + len(samples)
        keep = min(self.fade, len(buffer))
        if len(buffer) > keep:
            self.sink.write(buffer[: len(buffer) - keep])
        self.tail = buffer[len(buffer) - keep :]
        return start

    def silence(self, seconds: float, rate: int, crossfade: bool = False) -> None:
        self.append(np.zeros(int(round(seconds * rate)), dtype=np.float32), crossfade)

    def close(self) -> int:
        if len(self.tail):
            self.sink.write(self.tail)
            self.tail = self.tail[:0]
        return self.end


def chapter_title(script: Script, index: int) -> str:
    """A section's chapter title: its heading; the untitled opening section is the post's title."""
    title = script.sections[index].title
    if title:
        return title
    return script.meta.title if index == 0 and script.meta.title else f"Part {index + 1}"


@dataclass(frozen=True)
class Pause:
    seconds: float
    crossfade: bool = False  # fade over the end of the piece before it


@dataclass(frozen=True)
class ShowAudio:
    path: Path  # an intro, outro or transition file, crossfaded over what comes before


@dataclass(frozen=True)
class Speech:
    index: int  # the sentence's place in ``script.sentences()``
    section: int  # -1 for the intro, len(sections) for the outro


Step = Pause | ShowAudio | Speech


@dataclass(frozen=True)
class SegmentPlan:
    """A run of paragraphs mastered and encoded as one piece. Segments begin in the
    silence before a paragraph, so pieces encoded apart join without a click."""

    steps: tuple[Step, ...]

    @property
    def sentences(self) -> list[int]:
        return [step.index for step in self.steps if isinstance(step, Speech)]


@dataclass(frozen=True)
class SegmentLayout:
    """A mastered segment: where its sentences sit (samples at the master rate, from the
    segment's start), its length, and what the loudness tracker needs of it."""

    spans: tuple[tuple[int, int], ...]
    samples: int
    target: float  # the loudness its sentences were levelled to
    speech_s: float
    subs: tuple[float, ...]  # K-weighted 100 ms sub-block energies of the segment


class LoudnessTracker:
    """The loudness each segment's sentences are levelled to.

    Pauses lower a programme's gated loudness below that of its sentences (400 ms blocks
    straddle them), and so does the MP3 codec (some 0.4 LU at 96 kbps, by dropping
    sibilant energy the K-weighting counts), by amounts that depend on the voice and the
    pacing. The tracker measures that shortfall on the segments so far, as they will be
    heard (the caller passes their sub-block energies: of the decoded MP3 when there is
    one), and levels the next segment that much higher, so the whole lands on the target
    without a second pass. Until the programme is ``SETTLED_AFTER_S`` long, a segment is
    first mastered on trial and its own shortfall counted too. The correction moves in
    0.1 dB steps, so an edit early in a post seldom changes a later segment's target, and
    the later segments' encodings are reused.
    """

    def __init__(self, target_lufs: float, rate: int):
        self.nominal, self.rate = target_lufs, rate  # rate: of the sub-blocks passed in
        self.energy = self.speech_s = self.programme_s = 0.0
        self.subs: list[float] = []

    @property
    def settled(self) -> bool:
        return self.programme_s >= SETTLED_AFTER_S

    def target(self, trial: SegmentLayout | None = None, trial_subs: tuple[float, ...] = ()) -> float:
        """The next segment's target; ``trial``: that segment mastered at the nominal target."""
        energy, speech_s, subs = self.energy, self.speech_s, self.subs
        if trial is not None:
            energy += 10 ** (trial.target / 10) * trial.speech_s
            speech_s += trial.speech_s
            subs = subs + list(trial_subs)
        if not speech_s:
            return self.nominal
        shortfall = 10 * math.log10(energy / speech_s) - integrated(np.array(subs), self.rate)
        return self.nominal + round(max(-1.0, min(3.0, shortfall)), 1)

    def add(self, layout: SegmentLayout, subs: tuple[float, ...]) -> None:
        self.energy += 10 ** (layout.target / 10) * layout.speech_s
        self.speech_s += layout.speech_s
        self.programme_s += len(subs) * 0.1
        self.subs.extend(subs)


class _SubBlockMeter:
    """Passes samples on to a sink, keeping the K-weighted 100 ms sub-block energies."""

    def __init__(self, sink: Sink, rate: int):
        self.sink, self.rate = sink, rate
        self.filter = KFilter(rate)
        self.carry = np.zeros(0, dtype=np.float32)
        self.subs: list[float] = []

    def write(self, samples: np.ndarray) -> None:
        self.sink.write(samples)
        weighted = np.concatenate([self.carry, self.filter(samples)])
        subs = sub_block_energies(weighted, self.rate)
        self.subs.extend(subs.tolist())
        self.carry = weighted[len(subs) * int(0.1 * self.rate) :]


def master_segment(
    plan: SegmentPlan,
    chunks: Iterator[AudioChunk],
    sink: Sink,
    settings: MasterSettings,
    target: float,
) -> SegmentLayout:
    """Master one segment into ``sink``: a chunk per sentence of the plan, in order."""
    rate = settings.sample_rate
    meter = _SubBlockMeter(sink, rate)
    asm = _Assembler(meter, int(settings.crossfade_s * rate))
    spans: list[tuple[int, int]] = []
    for step in plan.steps:
        if isinstance(step, Pause):
            asm.silence(step.seconds, rate, step.crossfade)
        elif isinstance(step, ShowAudio):
            asm.append(load_show_audio(step.path, settings), crossfade=True)
        else:
            try:
                chunk = next(chunks)
            except StopIteration:
                raise RuntimeError("the synthesizer yielded fewer chunks than the script has sentences") from None
            audio = master_sentence(chunk, settings, target)
            start = asm.append(audio)
            spans.append((start, start + len(audio)))
    samples = asm.close()
    speech_s = sum(end - start for start, end in spans) / rate
    return SegmentLayout(tuple(spans), samples, target, speech_s, tuple(meter.subs))


def timeline(
    script: Script,
    plans: tuple[SegmentPlan, ...],
    layouts: list[SegmentLayout],
    starts_s: list[float],
    duration_s: float,
    settings: MasterSettings,
) -> Timeline:
    """Where every sentence and chapter sits, given where each segment starts."""
    sentences, paragraphs = script.sentences(), script.sentence_paragraphs()
    timed: list[TimedSentence] = []
    for plan, layout, offset in zip(plans, layouts, starts_s):
        speech = [step for step in plan.steps if isinstance(step, Speech)]
        for step, (start, end) in zip(speech, layout.spans):
            rate = settings.sample_rate
            sentence = sentences[step.index]
            timed.append(TimedSentence(offset + start / rate, offset + end / rate, sentence.written or sentence.text,
                                       step.section, paragraphs[step.index], sentence.text, step.index))
    chapters = [Chapter(0.0, INTRO_CHAPTER)] if script.intro or settings.intro_audio else []
    for index in range(len(script.sections)):
        first = next((t for t in timed if t.section == index), None)
        before = [t.end_s for t in timed if t.section < index]
        chapters.append(Chapter(first.start_s if first else (before[-1] if before else 0.0), chapter_title(script, index)))
    return Timeline(tuple(timed), tuple(chapters), duration_s)
