"""What QA needs of a speech recogniser.

A recogniser hears mono float32 PCM at any rate (it resamples to its own) and returns
the words with their times. ``align`` is the cheaper question "is this known text what
was said, and where is each word?" (forced alignment); a recogniser that cannot answer
it returns ``None`` from ``align`` only when the text does not fit the audio at all.

Third-party recognisers are one installed package declaring::

    [project.entry-points."audio_essay.recognizers"]
    myrecognizer = "my_package.recognizer:MyRecognizer"

the target being a factory ``(model: Path | None = None) -> Recognizer`` that may also
offer ``check(model) -> str | None``: why it cannot run here (an extra not installed, a
model folder missing), loading nothing; ``None`` means ready.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from audio.models import HeardWord

ENTRY_POINT_GROUP = "audio_essay.recognizers"


class Recognizer(Protocol):
    name: str  # registry name, e.g. "pocketsphinx"

    def hears(self, language: str) -> bool:
        """Whether its model understands speech in ``language`` (a code such as "en-us")."""
        ...

    def recognize(self, pcm: np.ndarray, sample_rate: int) -> tuple[HeardWord, ...]:
        """The words heard in the audio, open vocabulary, in order."""
        ...

    def align(self, pcm: np.ndarray, sample_rate: int, text: str) -> tuple[HeardWord, ...] | None:
        """Each word of ``text`` (normalised: lower case words separated by spaces) placed in
        the audio, with how well it fits in ``confidence``; ``None`` when the text cannot be
        fitted to the audio at all."""
        ...
