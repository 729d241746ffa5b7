"""PocketSphinx (PyPI ``pocketsphinx``): the default recogniser. Its wheel ships the
US English acoustic model, language model and pronouncing dictionary, so QA works
offline with nothing downloaded.

``recognize`` decodes open vocabulary with the shipped language model (about 0.15-0.2x
real time on one core); ``align`` fits known text to the audio (forced alignment,
about 0.02x real time), the question QA asks of every sentence. One decoder per
recogniser: it is not thread-safe (``parallel`` is 1).

Words the shipped dictionary lacks (names, coined words) are given espeak-ng's
pronunciation (``pronounce``) before aligning, once per recogniser.

An aligned word's ``confidence`` says how well the audio fits it, so that text forced
onto audio that says something else scores low. PocketSphinx normalises its acoustic
scores in every frame against the best of the Gaussians and senones active there, so a
word's acoustic score per frame (natural log) is already a goodness-of-pronunciation
score: about -1.2 for the median word of Piper's own audio, about -5 when the same text is
forced onto another sentence's audio. ``_fit`` maps it onto 0..1 around ``MIDPOINT``.
Measured alternatives cost more than the whole of ``align`` (0.015x real time): a second,
unconstrained phone-loop (allphone) decoding to compare with costs 0.03-0.06x real time on
its own; scoring every senone in every frame (``compallsen``, the best of all of them as
the reference) costs 0.067x and separated the two cases no better (-3.5 against -11).
"""

from __future__ import annotations

from math import gcd, log
from pathlib import Path

import numpy as np
from pocketsphinx import Decoder
from scipy.signal import resample_poly
from scipy.special import expit

from audio.models import HeardWord
from audio.qa.recognizers.pronounce import pronounce

RATE = 16000  # the acoustic model's sample rate
FRAMES_PER_S = 100  # the decoder's frame rate
FILLERS = {"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"}
# An aligned word's acoustic score per frame (natural log) where its confidence is 0.5, and
# how steeply confidence falls below it (measured on Piper's joe voice: 10% of words in
# its own audio score under -2.3, 90% of words forced onto other audio under -2.9).
MIDPOINT = -3.0
SLOPE = 2.0


def _pcm16(pcm: np.ndarray, sample_rate: int) -> bytes:
    """16-bit samples at the model's rate, with one bit of fixed noise: digital silence
    (all zeros) has no spectrum to take the log of, and PocketSphinx hears words in it."""
    if sample_rate != RATE:
        g = gcd(RATE, sample_rate)
        pcm = resample_poly(pcm, RATE // g, sample_rate // g)
    dither = np.random.default_rng(0).uniform(-1.0, 1.0, len(pcm))  # the same on every call
    return np.round(np.clip(pcm, -1.0, 1.0) * 32766 + dither).astype("<i2").tobytes()


def _word(segment, confidence: float, word: str | None = None) -> HeardWord:
    word = word or segment.word.split("(")[0]  # "them(2)": an alternative pronunciation of "them"
    return HeardWord(word=word, start_s=segment.start_frame / FRAMES_PER_S,
                     end_s=(segment.end_frame + 1) / FRAMES_PER_S, confidence=confidence)


def _fit(segment) -> float:
    """How well an aligned word fits its audio, 0..1, from its acoustic score per frame
    (an acoustic score too small for a float is no fit)."""
    if segment.ascore <= 0.0:
        return 0.0
    per_frame = log(segment.ascore) / (segment.end_frame - segment.start_frame + 1)
    return float(expit(SLOPE * (per_frame - MIDPOINT)))


class PocketSphinxRecognizer:
    name = "pocketsphinx"
    parallel = 1

    def __init__(self, model: Path | None = None):
        options = {"hmm": str(model)} if model is not None else {}
        self.decoder = Decoder(samprate=RATE, loglevel="FATAL", **options)
        self.pronunciations: dict[str, str] = {}  # words added to the dictionary: their phones

    @classmethod
    def check(cls, model: Path | None = None) -> str | None:
        if model is not None and not Path(model).is_dir():
            return f"pocketsphinx model folder {model} does not exist"
        return None

    def hears(self, language: str) -> bool:
        return language.lower().split("-")[0] == "en"  # the shipped model is US English

    def _decode(self, pcm: np.ndarray, sample_rate: int) -> list | None:
        """The words decoded (fillers left out), or None without a hypothesis."""
        if len(pcm) == 0:
            return None
        self.decoder.start_utt()
        self.decoder.process_raw(_pcm16(pcm, sample_rate), full_utt=True)
        self.decoder.end_utt()
        if self.decoder.hyp() is None:
            return None
        return [s for s in self.decoder.seg() if s.word not in FILLERS]

    def recognize(self, pcm: np.ndarray, sample_rate: int) -> tuple[HeardWord, ...]:
        self.decoder.activate_search()  # the default language-model search
        # the word's posterior; log-base rounding can put it a hair above 1
        return tuple(_word(s, min(1.0, float(s.prob))) for s in self._decode(pcm, sample_rate) or ())

    def _sayable(self, word: str) -> bool:
        """Whether the dictionary knows ``word``, adding espeak-ng's pronunciation if not."""
        if word in self.pronunciations or self.decoder.lookup_word(word) is not None:
            return True
        phones = " ".join(pronounce(word))
        if not phones:
            return False
        self.decoder.add_word(word, phones, update=False)  # set_align_text builds a new search
        self.pronunciations[word] = phones
        return True

    def align(self, pcm: np.ndarray, sample_rate: int, text: str) -> tuple[HeardWord, ...] | None:
        """Words with nothing to say (no letter or digit, e.g. a lone dash) are left out."""
        words = [w for w in text.split() if any(c.isalnum() for c in w) and self._sayable(w)]
        if not words:
            return ()
        try:
            self.decoder.set_align_text(" ".join(words))
        except RuntimeError:
            return None
        segments = self._decode(pcm, sample_rate)
        if segments is None:  # the text cannot be fitted (no audio, audio too short, silence)
            return None
        if len(segments) != len(words):  # forced alignment places every word once
            return None
        return tuple(_word(s, _fit(s), w) for s, w in zip(segments, words, strict=True))  # the text's own spelling
