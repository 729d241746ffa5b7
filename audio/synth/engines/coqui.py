"""Coqui TTS (the maintained ``coqui-tts`` distribution, imported as ``TTS``): optional.

Install (see README, "Voices and engines")::

    pip install 'audio-essay[coqui]'
    pip install --no-deps torchaudio==2.11.0 torchcodec==0.17.0

``import TTS`` refuses to start unless torchaudio and torchcodec are installed. The
torchaudio wheels on PyPI are CUDA builds pinned to one torch version; with any other
torch (a CPU build, say) their compiled extension fails to load. Nothing we use needs
it: coqui's VITS and XTTS inference use torchaudio's pure-Python transforms
(``MelSpectrogram``, ``resample``), and torchaudio supports running without its
extension when the library files are absent. So ``_import_tts`` tries torchaudio as
installed and, only if its extension fails to load, imports it in that pure-Python
mode. torchcodec is only checked for, never imported: reference clips are read with
soundfile, not ``torchaudio.load``.

``model`` in a profile:

- a directory with ``config.json`` and ``model.pth`` (a VITS fine-tuned on your voice),
  or the ``.pth`` file itself with ``config.json`` beside it;
- an XTTS v2 directory (``config.json``, ``model.pth``, ``vocab.json``): it clones the
  voice in the reference clips ``<profile folder>/<voice name>/*.wav`` (or
  ``[params] reference``); their conditioning latents are computed once and cached
  beside the clips in ``.latents-<hash>.pth``;
- a catalogue name (``tts_models/en/ljspeech/vits``), downloaded on first use.

Coqui models sample noise; each sentence's generator is seeded from its text, so the
same sentence always sounds the same, cached or not, whatever comes before it. Take n of
a sentence (``variant``) adds n to the seed.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.util
import json
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import create_model

from audio.errors import ConfigError, EngineError
from audio.files import atomic_write
from audio.models import AudioChunk
from audio.synth.engines.base import EngineParams, engine_params, file_digest

if TYPE_CHECKING:
    from audio.models import VoiceProfile

INSTALL = "pip install 'audio-essay[coqui]' && pip install --no-deps torchaudio==2.11.0 torchcodec==0.17.0"
REQUIRED_MODULES = ("TTS", "torch", "torchaudio", "torchcodec", "six")
CATALOGUE = re.compile(r"^tts_models/[^/]+/[^/]+/[^/]+$")
REFERENCE_SUFFIXES = (".wav", ".flac", ".ogg")

# None: the model's own setting (from its config.json) unless the profile sets a number.
VITS_PARAMS = {"length_scale": "length_scale", "noise_scale": "inference_noise_scale", "noise_scale_dp": "inference_noise_scale_dp"}
XTTS_PARAMS = ("temperature", "top_k", "top_p", "repetition_penalty", "length_penalty", "speed")
XTTS_VOICE_SETTINGS = ("gpt_cond_len", "gpt_cond_chunk_len", "max_ref_len", "sound_norm_refs")
Params = create_model(
    "Params",
    __base__=EngineParams,
    speaker=(str, ""),  # a speaker of a multi-speaker model
    reference=(str, ""),  # XTTS: folder of reference clips (default: <profile folder>/<voice name>)
    seed=(int, 0),  # added to each sentence's seed: another take of every sentence
    # A number as written (an integer stays one: the identity, hence the cache key, shows it).
    **{k: (int | float | None, None) for k in (*VITS_PARAMS, *XTTS_PARAMS)},
)
_LOADED: dict[tuple[str, str], Any] = {}  # (model, config) -> TTS api object, one per process


def missing_modules() -> list[str]:
    return [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]


def _import_torchaudio() -> None:
    try:
        import torchaudio  # noqa: F401
    except OSError:
        # The compiled extension does not fit this torch. torchaudio's loader treats a
        # missing library file as "pure-Python install" (its pex case): point it at a
        # folder that does not exist and import again (its loader module stayed imported).
        utils = sys.modules["torchaudio._extension.utils"]
        utils._LIB_DIR = utils._LIB_DIR / "not-loaded-here"
        import torchaudio  # noqa: F401


def _import_tts() -> Any:
    """``TTS.api``, or an EngineError saying what to install."""
    missing = missing_modules()
    if missing:
        raise EngineError(None, f"the coqui engine needs the coqui extra ({', '.join(missing)} missing): {INSTALL}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _import_torchaudio()
            import TTS.api
        except (ImportError, OSError) as exc:
            raise EngineError(None, f"coqui-tts cannot be imported ({str(exc).strip().splitlines()[0]}): {INSTALL}") from exc
    for name in ("TTS", "trainer", "transformers"):  # their info/warnings would break the progress display
        logging.getLogger(name).setLevel(logging.ERROR)
    return TTS.api


def _data_dir() -> Path:
    """Where coqui keeps downloaded catalogue models (its own rule, without importing it)."""
    home = os.environ.get("TTS_HOME") or os.environ.get("XDG_DATA_HOME")
    return Path(home).expanduser() / "tts" if home else Path.home() / ".local" / "share" / "tts"


def model_paths(profile: VoiceProfile) -> tuple[Path, Path] | str:
    """``(checkpoint, config.json)`` of a local model (checkpoint: a file, or an XTTS
    directory), or the catalogue name."""
    if not profile.model:
        raise ConfigError(profile.source, "model: missing (a model directory, a .pth file or a catalogue name)")
    if CATALOGUE.match(profile.model):
        return profile.model
    path = profile.resolve(profile.model)
    if path.suffix == ".pth":
        return path, path.parent / "config.json"
    is_xtts = (path / "vocab.json").is_file()  # XTTS loads itself from its directory
    return (path if is_xtts else path / "model.pth"), path / "config.json"


def reference_clips(profile: VoiceProfile) -> list[Path]:
    folder = profile.resolve(profile.params.get("reference") or profile.name)
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in REFERENCE_SUFFIXES) if folder.is_dir() else []


class CoquiEngine:
    name = "coqui"
    accepts_phonemes = False

    def __init__(self, profile: VoiceProfile, threads: int | None = None):
        self.params = engine_params(profile, Params)
        problem = _problem(profile, listing=False)
        if problem:
            raise EngineError(profile.source, problem)
        api = _import_tts()
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.profile = profile
        self.tts = _load(api, profile)
        synthesizer = self.tts.synthesizer
        self.model = synthesizer.tts_model
        self.is_xtts = synthesizer.tts_config.model == "xtts"
        self.sample_rate = int(synthesizer.output_sample_rate)
        self.language = profile.language.split("-")[0]
        self.files = _model_files(Path(synthesizer.tts_checkpoint), Path(synthesizer.tts_config_path))
        if self.is_xtts:
            self.max_sentence_chars = self.model.tokenizer.char_limits.get(self.language, 250)
            self._check_params(profile, XTTS_PARAMS)
            self.voice = self._xtts_voice(profile)
        else:
            self.max_sentence_chars = 400
            self._check_params(profile, tuple(VITS_PARAMS))
            # Set on the shared model before every sentence: engines share one loaded model.
            self.vits_settings = {
                attribute: getattr(self.model.args, attribute) if self.params[param] is None else float(self.params[param])
                for param, attribute in VITS_PARAMS.items()
            }

    def _check_params(self, profile: VoiceProfile, usable: tuple[str, ...]) -> None:
        model_specific = set(VITS_PARAMS) | set(XTTS_PARAMS)
        unused = [k for k in profile.params if k in model_specific and k not in usable]
        if unused:
            kind = "XTTS" if self.is_xtts else "this model"
            raise ConfigError(profile.source, f"params.{', params.'.join(unused)}: not used by {kind} (its parameters: {', '.join(usable)})")
        if self.params["speaker"] and not self.tts.is_multi_speaker:
            raise ConfigError(profile.source, "params.speaker: the model has a single speaker")

    @classmethod
    def check(cls, profile: VoiceProfile) -> str | None:
        return _problem(profile, listing=True)

    def identity(self) -> str:
        """Every model file by content, the parameters and, for XTTS, the reference clips."""
        parts = [f"{p.name}={file_digest(p)}" for p in self.files]
        if self.is_xtts:
            parts += [f"ref={file_digest(p)}" for p in reference_clips(self.profile)]
        return "coqui:" + ":".join(parts) + ":" + json.dumps(self.params, sort_keys=True)

    def variant(self, take: int) -> CoquiEngine:
        """Take ``take`` of each sentence: the seed moved on by ``take`` (the same audio as
        a profile with that seed, so the same cache key)."""
        other = copy.copy(self)
        other.params = {**self.params, "seed": self.params["seed"] + take}
        return other

    def _xtts_voice(self, profile: VoiceProfile) -> tuple[Any, Any]:
        """The clips' conditioning latents, computed once and cached beside the clips."""
        import torch

        clips = reference_clips(profile)
        settings = {k: self.model.config[k] for k in XTTS_VOICE_SETTINGS}
        key = hashlib.sha256(json.dumps([[file_digest(p) for p in self.files], [file_digest(c) for c in clips], settings]).encode()).hexdigest()
        cached = clips[0].parent / f".latents-{key[:16]}.pth"
        if cached.is_file():
            try:
                voice = torch.load(cached, map_location="cpu", weights_only=True)
                return voice["gpt_conditioning_latents"], voice["speaker_embedding"]
            except Exception:  # an unreadable cache file: computed again below
                pass
        latents, embedding = self._conditioning_latents(clips, settings)
        with contextlib.suppress(OSError):  # a read-only voices folder: computed again next time
            atomic_write(cached, lambda tmp: torch.save({"gpt_conditioning_latents": latents, "speaker_embedding": embedding}, tmp))
        return latents, embedding

    def _conditioning_latents(self, clips: list[Path], settings: dict[str, Any]) -> tuple[Any, Any]:
        """``Xtts.get_conditioning_latents`` with the clips read by soundfile instead of
        ``torchaudio.load`` (which needs torchcodec's compiled libraries)."""
        import soundfile as sf
        import torch
        import torchaudio

        rate = 22050
        audios, embeddings = [], []
        for clip in clips:
            try:
                samples, clip_rate = sf.read(str(clip), dtype="float32", always_2d=True)
            except (sf.LibsndfileError, RuntimeError) as exc:
                raise EngineError(clip, f"not a readable audio file ({exc})") from exc
            audio = torchaudio.functional.resample(torch.from_numpy(samples.mean(axis=1))[None], clip_rate, rate)
            audio = audio[:, : rate * settings["max_ref_len"]]
            if settings["sound_norm_refs"]:
                audio = audio / audio.abs().max() * 0.75
            embeddings.append(self.model.get_speaker_embedding(audio, rate))
            audios.append(audio)
        latents = self.model.get_gpt_cond_latents(
            torch.cat(audios, dim=-1), rate, length=settings["gpt_cond_len"], chunk_length=settings["gpt_cond_chunk_len"]
        )
        return latents, torch.stack(embeddings).mean(dim=0)

    def _seed(self, text: str) -> None:
        import torch

        torch.manual_seed(int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:6], "little") + self.params["seed"])

    def _one(self, text: str) -> np.ndarray:
        self._seed(text)
        if self.is_xtts:
            settings = {k: self.params[k] for k in XTTS_PARAMS if self.params[k] is not None}
            settings = {k: self.model.config[k] for k in ("temperature", "top_k", "top_p", "repetition_penalty", "length_penalty")} | settings
            wav = self.model.inference(text, self.language, *self.voice, **settings)["wav"]
            return np.asarray(wav, dtype=np.float32)
        from TTS.utils.synthesizer import PAD_SILENCE_SAMPLES

        for attribute, value in self.vits_settings.items():
            setattr(self.model, attribute, value)

        language = self.language if self.tts.is_multi_lingual else None
        wav = self.tts.tts(text, speaker=self.params["speaker"] or None, language=language, split_sentences=False)
        return np.asarray(wav[:-PAD_SILENCE_SAMPLES], dtype=np.float32)  # coqui pads every sentence with silence

    def synthesize(self, sentences: Iterable[str]) -> Iterator[AudioChunk]:
        for text in sentences:
            try:
                samples = self._one(text)
            except Exception as exc:  # torch and coqui raise their own types
                raise EngineError(self.profile.source, f"coqui failed on {text[:60]!r} ({exc})") from exc
            yield AudioChunk(text=text, samples=np.clip(samples, -1.0, 1.0), sample_rate=self.sample_rate)


def _problem(profile: VoiceProfile, listing: bool) -> str | None:
    """Why the profile cannot be used. A catalogue model not downloaded yet is worth
    saying in a listing, but loading it may still work (where the internet is reachable)."""
    missing = missing_modules()
    if missing:
        return f"coqui extra not installed ({', '.join(missing)} missing): {INSTALL}"
    try:
        paths = model_paths(profile)
    except ConfigError as exc:
        return exc.reason
    if isinstance(paths, str):
        if not listing or (_data_dir() / paths.replace("/", "--")).is_dir():
            return None
        return f"catalogue model {paths} is not downloaded: it needs the internet on first use"
    absent = [str(p) for p in paths if not p.exists()]
    if absent:
        return f"model not found: {', '.join(absent)}"
    if paths[0].is_dir() and not reference_clips(profile):
        folder = profile.resolve(profile.params.get("reference") or profile.name)
        return f"no reference clips (*.wav) in {folder} for XTTS to clone"
    return None


def _model_files(checkpoint: Path, config: Path) -> list[Path]:
    """The files that make the model: a directory's files (not cached voices), or checkpoint + config."""
    if checkpoint.is_dir():
        return sorted(p for p in checkpoint.iterdir() if p.is_file() and not p.name.startswith("."))
    return [checkpoint, config]


def _load(api: Any, profile: VoiceProfile) -> Any:
    paths = model_paths(profile)
    key = (paths, "") if isinstance(paths, str) else (str(paths[0]), str(paths[1]))
    if key not in _LOADED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if isinstance(paths, str):
                    _LOADED[key] = api.TTS(paths, progress_bar=False)
                else:
                    _LOADED[key] = api.TTS(model_path=str(paths[0]), config_path=str(paths[1]), progress_bar=False)
            except OSError as exc:  # includes requests' ConnectionError
                where = "download" if isinstance(paths, str) else "read"
                raise EngineError(profile.source, f"cannot {where} coqui model {profile.model} ({_first_line(exc)})") from exc
            except Exception as exc:  # a bad checkpoint or config surfaces as torch's or coqpit's own errors
                raise EngineError(profile.source, f"cannot load coqui model {profile.model} ({_first_line(exc)})") from exc
    return _LOADED[key]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
