"""Faults injected at the audio level into a sentence's synthesized PCM (mono float32),
to measure and test speech QA (``bench/qa.py``, ``tests/test_qa_check.py``).

The classes (``FAULTS``), each a way synthesis goes wrong that a listener would notice:

- ``truncate``: the sentence cut off (its first ``keep`` share only);
- ``swap``: another sentence's audio in its place;
- ``url``: a URL read out letter by letter ("h t t p s colon slash slash ...", synthesized
  by the same voice: ``url_speech`` gives the text) spliced in at a pause;
- ``silence``: two seconds of silence inside the sentence, at a pause;
- ``noise``: white noise over the whole sentence, ``snr_db`` below the speech;
- ``babble``: the middle of the sentence garbled (played backwards: the same voice, no
  words), its length unchanged.

Every function returns new samples; randomness comes from the ``numpy.random.Generator``
given, so a run is repeatable.
"""

from __future__ import annotations

import numpy as np

FAULTS = ("truncate", "swap", "url", "silence", "noise", "babble")
FRAME_S = 0.02  # the frame pauses are looked for in


def url_speech(url: str) -> str:
    """A URL as a voice would read it when the preparer let it through: its punctuation
    named, "http", "https" and "www" spelled letter by letter."""
    names = {":": " colon ", "/": " slash ", ".": " dot ", "-": " dash ", "_": " underscore ", "?": " question mark ",
             "=": " equals ", "&": " and "}
    spoken = "".join(names.get(ch, ch) for ch in url.lower())
    spell = {"http": "h t t p", "https": "h t t p s", "www": "w w w"}
    return " ".join(spell.get(word, word) for word in spoken.split())


def pause_near(pcm: np.ndarray, sample_rate: int, at: float = 0.5) -> int:
    """The sample index of the quietest frame in the middle half of the sentence, nearest
    to ``at`` (a share of its length) among equally quiet ones: where a word ends."""
    frame = max(1, int(FRAME_S * sample_rate))
    n = len(pcm) // frame
    if n < 4:
        return int(len(pcm) * at)
    energy = (pcm[: n * frame].reshape(n, frame) ** 2).mean(axis=1)
    lo, hi = n // 4, max(n // 4 + 1, 3 * n // 4)
    target = at * n
    best = min(range(lo, hi), key=lambda i: (round(float(np.log10(energy[i] + 1e-12)), 1), abs(i - target)))
    return best * frame + frame // 2


def truncate(pcm: np.ndarray, keep: float = 0.5) -> np.ndarray:
    return pcm[: max(1, int(len(pcm) * keep))].copy()


def swap(other: np.ndarray) -> np.ndarray:
    return other.copy()


def splice(pcm: np.ndarray, sample_rate: int, insert: np.ndarray, at: float = 0.5) -> np.ndarray:
    """``insert`` placed at the pause nearest ``at``."""
    i = pause_near(pcm, sample_rate, at)
    return np.concatenate([pcm[:i], insert.astype(np.float32), pcm[i:]])


def silence(pcm: np.ndarray, sample_rate: int, seconds: float = 2.0) -> np.ndarray:
    return splice(pcm, sample_rate, np.zeros(int(seconds * sample_rate), dtype=np.float32))


def noise(pcm: np.ndarray, rng: np.random.Generator, snr_db: float = 10.0) -> np.ndarray:
    """White noise ``snr_db`` below the speech's mean power (measured over its loud half)."""
    power = float(np.mean(pcm ** 2)) or 1e-6
    loud = pcm ** 2
    speech = float(loud[loud >= np.median(loud)].mean()) if len(loud) else power
    hiss = rng.standard_normal(len(pcm)).astype(np.float32) * np.sqrt(speech / 10 ** (snr_db / 10))
    return np.clip(pcm + hiss, -1.0, 1.0).astype(np.float32)


def babble(pcm: np.ndarray, share: float = 0.4) -> np.ndarray:
    """The middle ``share`` of the sentence played backwards."""
    n = len(pcm)
    a = int(n * (1 - share) / 2)
    b = a + int(n * share)
    out = pcm.copy()
    out[a:b] = pcm[a:b][::-1]
    return out
