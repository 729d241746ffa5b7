"""A fast, deterministic stand-in engine for tests and dry runs.

Each sentence becomes a voiced-like tone burst (a harmonic tone with a syllable-rate
envelope) whose length grows with the text, framed by a little silence so that
mastering's trimming has something to trim. Nothing is loaded; thousands of
sentences take well under a second. Another take of a sentence (``variant``) has
another pitch.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from audio.models import AudioChunk
from audio.synth.engines.base import EngineParams, engine_params

if TYPE_CHECKING:
    from audio.models import VoiceProfile

SAMPLE_RATE = 22050
LEAD_SILENCE_S = 0.12
TAIL_SILENCE_S = 0.2


class Params(EngineParams):
    chars_per_second: float = Field(15.0, gt=0)
    level: float = Field(0.4, ge=0, le=1)  # the peak
    delay_s: float = Field(0.0, ge=0)


class FakeEngine:
    """Tone bursts: ``chars_per_second`` sets the speaking rate, ``level`` the peak;
    ``delay_s`` is wall time spent per sentence, for tests of slow or killed renders.
    ``threads`` > 1 lets a render synthesize that many sentences at once (default: one)."""

    name = "fake"
    sample_rate = SAMPLE_RATE
    max_sentence_chars = 400
    accepts_phonemes = False

    def __init__(self, profile: VoiceProfile | None = None, threads: int | None = None):
        self.params = engine_params(profile, Params) if profile else Params().model_dump()
        self.parallel = threads or 1
        self.take = 0  # which take of each sentence: each has a pitch of its own

    @classmethod
    def check(cls, profile: VoiceProfile) -> str | None:
        """Always ready: the fake engine needs no model."""
        return None

    def identity(self) -> str:
        sound = {k: v for k, v in self.params.items() if k != "delay_s"}  # the delay changes no sample
        return "fake:1:" + json.dumps(sound, sort_keys=True) + (f":take={self.take}" if self.take else "")

    def variant(self, take: int) -> FakeEngine:
        other = copy.copy(self)
        other.take = take
        return other

    def _burst(self, text: str) -> np.ndarray:
        sr = self.sample_rate
        seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "little")
        f0 = 100.0 + (seed + 29 * self.take) % 80  # a pitch per sentence and take, so they are told apart
        voiced_s = max(0.25, len(text) / self.params["chars_per_second"])
        t = np.arange(int(voiced_s * sr)) / sr
        tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3, 4))
        syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t - np.pi / 2) ** 2
        fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)  # no clicks at the edges
        voiced = tone * syllables * fade
        voiced *= self.params["level"] / np.max(np.abs(voiced))
        lead = np.zeros(int(LEAD_SILENCE_S * sr))
        tail = np.zeros(int(TAIL_SILENCE_S * sr))
        return np.concatenate([lead, voiced, tail]).astype(np.float32)

    def synthesize(self, sentences: Iterable[str]) -> Iterator[AudioChunk]:
        for text in sentences:
            time.sleep(self.params["delay_s"])
            yield AudioChunk(text=text, samples=self._burst(text), sample_rate=self.sample_rate)
