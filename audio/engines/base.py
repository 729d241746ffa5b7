"""The engine interface and registry.

An engine turns sentences into per-sentence float32 audio. Built-in engines and
third-party ones are found the same way: through the ``audio_essay.engines`` entry
point group, each entry naming a factory ``(profile: VoiceProfile) -> Engine``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from audio.models import AudioChunk

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
