"""Mastering: per-sentence chunks become one programme, streamed to the encoder.

Each sentence is trimmed of its leading and trailing silence, levelled to the target
loudness (BS.1770 K-weighted, gated), resampled to the output rate and held under a
true-peak ceiling by a look-ahead limiter. Levelling every sentence to the same
loudness is deliberate: Piper's own option peak-normalises each sentence, which makes
short or plosive-heavy sentences jump in loudness; matching loudness keeps the voice
steady. And because every sentence sits at the target (raised by the dilution of the
pauses, measured on the programme as it streams), the programme's integrated loudness
is right before it ends, so the MP3 can be encoded while synthesis is still running:
one encode, no whole-file loudnorm passes.

The profile's pauses go between sentences, paragraphs and sections; the show's
intro, outro and transition audio files join with short crossfades. The timeline
records the real sample position of every sentence and chapter.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly, sosfilt

from audio.errors import InputError
from audio.models import HEADING, LIST_ITEM, QUOTE, RULE, AudioChunk, Chapter, Paragraph, Script, TimedSentence

INTRO_CHAPTER = "Introduction"
TRIM_FLOOR_DB = -40.0  # a frame this far below the sentence's loudest frame is silence
TRIM_KEEP_S = 0.02  # silence kept either side of the speech
EDGE_FADE_S = 0.005  # fade at the cut edges: no clicks
MAX_LEVEL_GAIN_DB = 15.0  # never boost a near-silent chunk into noise
LIMITER_WINDOW_S = 0.01  # look-ahead and release of the peak limiter
TAIL_S = 0.5  # silence after the last sound
DILUTION_AFTER_S = 15.0  # programme seconds before the pause dilution is measured


class Sink(Protocol):
    """Where the programme goes: float32 mono samples at the output rate, in order."""

    def write(self, samples: np.ndarray) -> None: ...


@dataclass(frozen=True)
class Pauses:
    """Seconds of silence after a sentence, a paragraph of each kind, a section."""

    sentence: float = 0.35
    paragraph: float = 0.8
    section: float = 1.6
    quote: float = 0.8
    list_item: float = 0.55
    heading: float = 0.8

    def after(self, kind: str) -> float:
        return {RULE: self.section, QUOTE: self.quote, LIST_ITEM: self.list_item, HEADING: self.heading}.get(
            kind, self.paragraph
        )


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
    samples: int
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return self.samples / self.sample_rate


# --- measuring ---------------------------------------------------------------------


@lru_cache(maxsize=8)
def _k_weighting(rate: int) -> np.ndarray:
    """BS.1770 K-weighting (pre-filter shelf + RLB high-pass) as second-order sections."""
    from pyloudnorm.iirfilter import IIRfilter

    stages = (IIRfilter(4.0, 1 / math.sqrt(2), 1500.0, rate, "high_shelf"), IIRfilter(0.0, 0.5, 38.0, rate, "high_pass"))
    return np.array([np.concatenate([f.b, f.a]) for f in stages])


def k_weighted(samples: np.ndarray, rate: int) -> np.ndarray:
    return sosfilt(_k_weighting(rate), samples).astype(np.float32)


def loudness(samples: np.ndarray, rate: int, weighted: np.ndarray | None = None) -> float:
    """Gated BS.1770 loudness (LUFS) of mono samples; under one 400 ms block, ungated.

    ``weighted`` may pass the K-weighted signal already computed (or an approximation
    of it, as the limiter does: its gain moves slowly next to the filter).
    """
    if len(samples) == 0:
        return -70.0
    weighted = k_weighted(samples, rate) if weighted is None else weighted
    power = np.square(weighted, dtype=np.float32)
    hop = int(0.1 * rate)
    subs = len(power) // hop
    if subs < 4:
        energies = np.array([power.mean(dtype=np.float64)])
    else:
        energies = _block_energies(power[: subs * hop].reshape(subs, hop).sum(axis=1, dtype=np.float64), hop)
    return _gated(energies)


def _block_energies(sub: np.ndarray, hop: int) -> np.ndarray:
    """400 ms blocks overlapping by 75%: sums of four consecutive 100 ms sub-block energies."""
    return (sub[:-3] + sub[1:-2] + sub[2:-1] + sub[3:]) / (4 * hop)


def _gated(energies: np.ndarray) -> float:
    """BS.1770 gating (absolute -70 LUFS, relative -10 LU) of block mean squares -> LUFS."""
    energies = energies[energies > 10 ** ((-70 + 0.691) / 10)]
    if len(energies) == 0:
        return -70.0
    relative = energies.mean() * 0.1  # -10 LU
    return -0.691 + 10 * math.log10(energies[energies >= relative].mean())


class ProgrammeMeter:
    """Passes samples on to a sink and keeps the BS.1770 integrated loudness of all of
    them so far (K-weighting with carried filter state, 100 ms sub-block energies)."""

    def __init__(self, sink: Sink, rate: int):
        self.sink, self.rate = sink, rate
        self.sos = _k_weighting(rate)
        self.state = np.zeros((len(self.sos), 2))
        self.hop = int(0.1 * rate)
        self.carry = np.zeros(0)
        self.subs: list[np.ndarray] = []
        self.samples = 0

    def write(self, samples: np.ndarray) -> None:
        self.sink.write(samples)
        self.samples += len(samples)
        weighted, self.state = sosfilt(self.sos, samples, zi=self.state)
        power = np.concatenate([self.carry, weighted.astype(np.float64) ** 2])
        whole = len(power) // self.hop
        if whole:
            self.subs.append(power[: whole * self.hop].reshape(whole, self.hop).sum(axis=1))
        self.carry = power[whole * self.hop :]

    def integrated(self) -> float:
        sub = np.concatenate(self.subs) if self.subs else np.zeros(0)
        self.subs = [sub]
        return _gated(_block_energies(sub, self.hop)) if len(sub) >= 4 else -70.0


# Windowed-sinc taps interpolating at 1/4, 2/4, 3/4 of the way between two samples.
_TAPS = 8


@lru_cache(maxsize=1)
def _interpolators() -> np.ndarray:
    offsets = np.arange(-_TAPS + 1, _TAPS + 1)  # sample i + k, k in -7..8
    rows = []
    for frac in (0.25, 0.5, 0.75):
        t = frac - offsets
        rows.append(np.sinc(t) * np.kaiser(2 * _TAPS, 5.0))
    return np.array(rows, dtype=np.float32)


def sample_true_peaks(samples: np.ndarray, threshold: float) -> np.ndarray:
    """Per-sample peak of the 4x oversampled signal (BS.1770 annex 2 style), computed only
    around samples above ``threshold``: the rest keep their sample value."""
    peaks = np.abs(samples)
    candidates = np.flatnonzero(peaks > threshold)
    if len(candidates) == 0:
        return peaks
    padded = np.pad(samples, (_TAPS, _TAPS))
    # Interpolate the gaps either side of each candidate: between i-1..i and i..i+1.
    for base in (candidates - 1, candidates):
        index = base[:, None] + np.arange(-_TAPS + 1, _TAPS + 1)[None, :] + _TAPS
        between = np.abs(padded[index] @ _interpolators().T).max(axis=1)
        np.maximum.at(peaks, candidates, between)
    return peaks


def true_peak_db(samples: np.ndarray) -> float:
    """Peak of the 4x oversampled signal in dBTP (BS.1770 annex 2)."""
    if len(samples) == 0:
        return -math.inf
    peak = float(np.abs(resample_poly(samples, 4, 1)).max())
    return 20 * math.log10(peak) if peak > 0 else -math.inf


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


def master(
    script: Script,
    chunks: Iterator[AudioChunk],
    sink: Sink,
    settings: MasterSettings,
    pauses: Pauses = Pauses(),
    on_sentence: Callable[[int], None] | None = None,
) -> Timeline:
    """Lay out the whole script: one chunk per sentence of ``script.sentences()``, in order.

    ``on_sentence(n)`` is called after the n-th sentence is placed. Returns the timeline.
    """
    rate = settings.sample_rate
    meter = ProgrammeMeter(sink, rate)
    asm = _Assembler(meter, int(settings.crossfade_s * rate))
    timed: list[TimedSentence] = []
    chapters: list[Chapter] = []
    pending = 0.0  # the pause owed before the next sound: the longest one asked for
    target = settings.target_lufs  # per sentence; raised by the pauses' dilution (below)
    placed_energy = placed_s = 0.0

    def track_dilution(seconds: float) -> None:
        """Pauses lower a programme's gated loudness below that of its sentences (400 ms
        blocks straddle them), by an amount that depends on how long the sentences and
        pauses run. Measure it on the programme so far and level later sentences that
        much higher, so the whole lands on the target without a second pass."""
        nonlocal target, placed_energy, placed_s
        placed_energy += 10 ** (target / 10) * seconds
        placed_s += seconds
        if meter.samples >= DILUTION_AFTER_S * rate:
            dilution = 10 * math.log10(placed_energy / placed_s) - meter.integrated()
            target = settings.target_lufs + max(-1.0, min(3.0, dilution))

    def show_audio(path: Path | None, before: float, after: float) -> bool:
        nonlocal pending
        if path is None:
            return False
        if asm.end:
            asm.silence(max(pending, before), rate)
        asm.append(load_show_audio(path, settings), crossfade=True)
        asm.silence(after, rate, crossfade=True)
        pending = 0.0
        return True

    def speak(paragraphs: tuple[Paragraph, ...], section: int) -> None:
        nonlocal pending
        for paragraph in paragraphs:
            for i, sentence in enumerate(paragraph.sentences):
                try:
                    chunk = next(chunks)
                except StopIteration:
                    raise RuntimeError("the synthesizer yielded fewer chunks than the script has sentences") from None
                audio = master_sentence(chunk, settings, target)
                if pending and asm.end:
                    asm.silence(pending, rate)
                pending = 0.0
                start = asm.append(audio)
                timed.append(TimedSentence(start / rate, (start + len(audio)) / rate, sentence.text, section))
                track_dilution(len(audio) / rate)
                if on_sentence:
                    on_sentence(len(timed))
                if i < len(paragraph.sentences) - 1:
                    pending = pauses.sentence
            pending = max(pending, pauses.after(paragraph.kind))

    show_audio(settings.intro_audio, 0.0, pauses.paragraph)
    if script.intro or settings.intro_audio:
        chapters.append(Chapter(0.0, INTRO_CHAPTER))
    speak(script.intro, -1)
    for index, section in enumerate(script.sections):
        pending = max(pending, pauses.section)
        if index > 0:
            show_audio(settings.transition_audio, pauses.paragraph, pauses.paragraph)
        first = len(timed)
        speak(section.paragraphs, index)
        start = timed[first].start_s if len(timed) > first else (asm.end / rate)
        chapters.append(Chapter(start, chapter_title(script, index)))
    pending = max(pending, pauses.section)
    speak(script.outro, len(script.sections))
    if not show_audio(settings.outro_audio, pauses.paragraph, TAIL_S):
        asm.silence(TAIL_S, rate)
    if next(chunks, None) is not None:
        raise RuntimeError("the synthesizer yielded more chunks than the script has sentences")
    samples = asm.close()
    return Timeline(tuple(timed), tuple(chapters), samples, rate)
