"""PocketSphinx (PyPI ``pocketsphinx``): the default recogniser. Its wheel ships the
US English acoustic model, language model and pronouncing dictionary, so QA works
offline with nothing downloaded.

``recognize`` decodes open vocabulary with the shipped language model (about 0.15-0.2x
real time on one core); ``align`` fits known text to the audio (forced alignment,
about 0.02x real time), the question QA asks of every sentence. One decoder per
recogniser: it is not thread-safe (``parallel`` is 1).
"""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
from pocketsphinx import Decoder
from scipy.signal import resample_poly

from audio.models import HeardWord

RATE = 16000  # the acoustic model's sample rate
FRAMES_PER_S = 100  # the decoder's frame rate
FILLERS = {"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"}


def _pcm16(pcm: np.ndarray, sample_rate: int) -> bytes:
    if sample_rate != RATE:
        g = gcd(RATE, sample_rate)
        pcm = resample_poly(pcm, RATE // g, sample_rate // g)
    return (np.clip(pcm, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _word(segment) -> HeardWord:
    word = segment.word.split("(")[0]  # "them(2)": an alternative pronunciation of "them"
    return HeardWord(word=word, start_s=segment.start_frame / FRAMES_PER_S,
                     end_s=(segment.end_frame + 1) / FRAMES_PER_S, confidence=float(segment.prob))


class PocketSphinxRecognizer:
    name = "pocketsphinx"
    parallel = 1

    def __init__(self, model: Path | None = None):
        options = {"hmm": str(model)} if model is not None else {}
        self.decoder = Decoder(samprate=RATE, loglevel="FATAL", **options)

    @classmethod
    def check(cls, model: Path | None = None) -> str | None:
        if model is not None and not Path(model).is_dir():
            return f"pocketsphinx model folder {model} does not exist"
        return None

    def hears(self, language: str) -> bool:
        return language.lower().split("-")[0] == "en"  # the shipped model is US English

    def _decode(self, pcm: np.ndarray, sample_rate: int) -> list:
        self.decoder.start_utt()
        self.decoder.process_raw(_pcm16(pcm, sample_rate), full_utt=True)
        self.decoder.end_utt()
        return [s for s in self.decoder.seg() or () if s.word not in FILLERS]  # None: nothing fitted

    def recognize(self, pcm: np.ndarray, sample_rate: int) -> tuple[HeardWord, ...]:
        self.decoder.activate_search()  # the default language-model search
        return tuple(_word(s) for s in self._decode(pcm, sample_rate))

    def align(self, pcm: np.ndarray, sample_rate: int, text: str) -> tuple[HeardWord, ...] | None:
        try:
            self.decoder.set_align_text(text)
        except RuntimeError:  # a word without a pronunciation
            return None
        segments = self._decode(pcm, sample_rate)
        if self.decoder.hyp() is None:
            return None
        return tuple(_word(s) for s in segments)
