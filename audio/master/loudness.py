"""BS.1770 measurement: K-weighting, gated integrated loudness and true peak.

Shared by mastering (levelling each sentence, tracking the programme) and encoding
(measuring the MP3 that was actually written). Loudness is kept as the energy sums of
100 ms sub-blocks, so that parts measured apart can be combined into one integrated
figure without measuring the whole again.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.signal import sosfilt

SUB_BLOCK_S = 0.1  # four sub-blocks make one 400 ms gating block


@lru_cache(maxsize=8)
def k_weighting(rate: int) -> np.ndarray:
    """BS.1770 K-weighting (pre-filter shelf + RLB high-pass) as second-order sections."""
    from pyloudnorm.iirfilter import IIRfilter

    stages = (IIRfilter(4.0, 1 / math.sqrt(2), 1500.0, rate, "high_shelf"), IIRfilter(0.0, 0.5, 38.0, rate, "high_pass"))
    return np.array([np.concatenate([f.b, f.a]) for f in stages])


SUBNORMAL_GUARD = 1e-20  # -400 dBFS: see ``KFilter``


class KFilter:
    """K-weighting over a stream of blocks, the filter's state carried from one to the next.

    A -400 dBFS tone at the Nyquist frequency is added to what is filtered: in exact
    silence (the pauses) the state would otherwise decay into subnormal floats, which the
    CPU handles some fifteen times slower. The tone keeps it normal and changes nothing
    above -300 dBFS, so no sample of speech and no measurement.
    """

    def __init__(self, rate: int):
        self.sos = k_weighting(rate).astype(np.float32)
        self.state = np.zeros((len(self.sos), 2), dtype=np.float32)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        guarded = np.full(len(samples), SUBNORMAL_GUARD, dtype=np.float32)
        guarded[1::2] = -SUBNORMAL_GUARD
        guarded += samples
        weighted, self.state = sosfilt(self.sos, guarded, zi=self.state)
        return weighted


def k_weighted(samples: np.ndarray, rate: int) -> np.ndarray:
    return KFilter(rate)(samples)


def sub_block_energies(weighted: np.ndarray, rate: int) -> np.ndarray:
    """Energy sums of the whole 100 ms sub-blocks of a K-weighted signal (a partial last one is dropped)."""
    hop = int(SUB_BLOCK_S * rate)
    whole = len(weighted) // hop
    return np.square(weighted[: whole * hop], dtype=np.float32).reshape(whole, hop).sum(axis=1, dtype=np.float64)


def integrated(subs: np.ndarray, rate: int) -> float:
    """Gated integrated loudness (LUFS) from 100 ms sub-block energy sums."""
    if len(subs) < 4:
        return -70.0
    return _gated(_block_energies(np.asarray(subs, dtype=np.float64), int(SUB_BLOCK_S * rate)))


def loudness(samples: np.ndarray, rate: int, weighted: np.ndarray | None = None) -> float:
    """Gated BS.1770 loudness (LUFS) of mono samples; under one 400 ms block, ungated.

    ``weighted`` may pass the K-weighted signal already computed (or an approximation
    of it, as the limiter does: its gain moves slowly next to the filter).
    """
    if len(samples) == 0:
        return -70.0
    weighted = k_weighted(samples, rate) if weighted is None else weighted
    subs = sub_block_energies(weighted, rate)
    if len(subs) < 4:
        return _gated(np.array([np.square(weighted, dtype=np.float32).mean(dtype=np.float64)]))
    return integrated(subs, rate)


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


# Windowed-sinc taps interpolating at 1/4, 2/4, 3/4 of the way between two samples.
_TAPS = 8
TRUE_PEAK_CONTEXT = _TAPS  # samples either side that an interpolated peak depends on


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
    # The gaps either side of each candidate (between i-1..i and i..i+1), each gap once:
    # neighbouring candidates share one. Gap g lies between samples g and g+1 (g from -1).
    beside = np.zeros(len(samples) + 1, dtype=bool)
    beside[candidates] = beside[candidates + 1] = True
    gaps = np.flatnonzero(beside) - 1
    padded = np.pad(samples, (_TAPS, _TAPS))
    index = gaps[:, None] + np.arange(-_TAPS + 1, _TAPS + 1)[None, :] + _TAPS
    # (einsum, not a matrix product: BLAS would start threads that fight the TTS engine's.)
    between = np.zeros(len(samples) + 1, dtype=peaks.dtype)  # by gap, g + 1
    between[gaps + 1] = np.abs(np.einsum("nk,jk->nj", padded[index], _interpolators())).max(axis=1)
    peaks[candidates] = np.maximum(peaks[candidates], np.maximum(between[candidates], between[candidates + 1]))
    return peaks
