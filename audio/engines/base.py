"""The engine interface and registry.

An engine turns sentences into per-sentence float32 audio. Built-in engines and
third-party ones are found the same way: through the ``audio_essay.engines`` entry
point group, each entry naming a factory ``(profile: VoiceProfile, threads=None) -> Engine``
(see ``registry``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from audio.errors import ConfigError
from audio.files import sha256_file
from audio.models import AudioChunk

if TYPE_CHECKING:
    from audio.voices import VoiceProfile

ENTRY_POINT_GROUP = "audio_essay.engines"


class Engine(Protocol):
    """What the pipeline needs of a TTS engine."""

    name: str  # registry name, e.g. "piper"
    sample_rate: int
    max_sentence_chars: int  # the preparer splits longer sentences
    accepts_phonemes: bool  # whether ``[[ phonemes ]]`` in a sentence are honoured

    def identity(self) -> str:
        """A stable string naming the model file (by content hash) and every parameter
        that changes the audio: the synthesis cache's key includes it."""
        ...

    def synthesize(self, sentences: Iterable[str]) -> Iterator[AudioChunk]:
        """Yield one chunk per sentence, in order, as each is ready."""
        ...


_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a model file, computed once per process per (path, size, mtime)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_file(path)
    return _DIGESTS[key]


def engine_params(profile: VoiceProfile, defaults: dict[str, Any]) -> dict[str, Any]:
    """The profile's ``[params]`` over the engine's defaults; an unknown key or a value of
    the wrong type is a ConfigError naming the profile. A default of None stands for
    "the model's own setting" and accepts a number."""
    params = dict(defaults)
    for key, value in profile.params.items():
        if key not in defaults:
            raise ConfigError(profile.source, f"[params] {key}: unknown to the {profile.engine} engine (known: {', '.join(defaults)})")
        default = defaults[key]
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if default is None:  # "the model's own setting unless given": a number
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(profile.source, f"[params] {key}: expected a number, got {value!r}")
        elif not isinstance(value, type(default)) or isinstance(value, bool) != isinstance(default, bool):
            raise ConfigError(profile.source, f"[params] {key}: expected {type(default).__name__}, got {value!r}")
        params[key] = value
    return params
