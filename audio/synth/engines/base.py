"""The engine interface and registry.

An engine turns sentences into per-sentence float32 audio. Built-in engines and
third-party ones are found the same way: through the ``audio_essay.engines`` entry
point group, each entry naming a factory ``(profile: VoiceProfile, threads=None) -> Engine``
(see ``registry``).

An engine may also declare ``parallel``, how many threads may call its ``synthesize`` at
once (see ``parallelism``); the render then synthesizes that many sentences concurrently
and still takes them in order, so the output does not depend on it.

An engine may also offer ``variant(take) -> Engine``: the same voice reading another take
of a sentence (another seed, other noise settings), for speech QA's retakes (see
``take_engine``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from audio.config import Settings, validate
from audio.errors import EngineError
from audio.files import sha256_file
from audio.models import AudioChunk

if TYPE_CHECKING:
    from audio.models import VoiceProfile

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

    # Optional: ``variant(take: int) -> Engine``, for take >= 1 an engine that reads each
    # sentence another way, the same way every time for the same take: the same voice and
    # settings with another seed or other noise. Its ``identity()`` differs from this one's
    # (its audio has cache keys of its own) and this engine's identity is left as it was.


def take_engine(engine: Engine, take: int) -> Engine | None:
    """The engine that reads take ``take`` of a sentence: ``engine`` itself for take 0, its
    ``variant(take)`` otherwise; None for an engine that offers no variants. A variant that
    claims the engine's own identity is an EngineError: its audio would overwrite take 0's."""
    if take == 0:
        return engine
    variant = getattr(engine, "variant", None)
    if variant is None:
        return None
    other = variant(take)
    if other.identity() == engine.identity():
        raise EngineError(None, f"engine {engine.name!r}: take {take} has the identity of take 0")
    return other


def parallelism(engine: Engine) -> int:
    """How many ``synthesize`` calls an engine takes at once from different threads: its
    optional ``parallel`` attribute (an engine whose model releases the GIL, e.g. Piper with
    one single-thread onnxruntime session per sentence in flight, sets it from ``threads``);
    1, one sentence at a time, for an engine that does not declare it."""
    return max(1, int(getattr(engine, "parallel", 1)))


_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a model file, computed once per process per (path, size, mtime)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_file(path)
    return _DIGESTS[key]


class EngineParams(Settings):
    """An engine's ``[params]``: each engine declares its own, with types, ranges and defaults."""


def engine_params(profile: VoiceProfile, schema: type[EngineParams]) -> dict[str, Any]:
    """The profile's ``[params]`` over the engine's defaults; an unknown key or a wrong value
    is a ConfigError naming the profile, the key and what it allows."""
    params = validate(schema, profile.params, profile.source, at=("params",),
                      unknown=f"unknown to the {profile.engine} engine")
    return params.model_dump()
