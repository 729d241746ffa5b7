"""Find recognisers by name through the ``audio_essay.recognizers`` entry point group
(see ``base``)."""

from __future__ import annotations

from pathlib import Path

from audio.errors import ConfigError, RecognizerMissing
from audio.plugins import resolve, targets
from audio.qa.recognizers.base import ENTRY_POINT_GROUP, Recognizer

BUILTIN = {
    "pocketsphinx": "audio.qa.recognizers.pocketsphinx:PocketSphinxRecognizer",
    "whisper": "audio.qa.recognizers.whisper:WhisperRecognizer",
}
DEFAULT = "pocketsphinx"


def available_recognizers() -> list[str]:
    return sorted(targets(ENTRY_POINT_GROUP, BUILTIN))


def create_recognizer(name: str = DEFAULT, model: Path | None = None, source: Path | None = None) -> Recognizer:
    """The recogniser ``name`` with its model loaded. ``source`` (the show.toml that chose
    it) is named in errors. An unknown name is a ConfigError; one whose package or model is
    missing is ``RecognizerMissing``, naming what to install."""
    found = targets(ENTRY_POINT_GROUP, BUILTIN)
    if name not in found:
        raise ConfigError(source, f"qa.recognizer: unknown recognizer {name!r} (installed: {', '.join(sorted(found))})")
    try:
        factory = resolve(found[name])
    except ImportError as exc:
        raise RecognizerMissing(source, f"recognizer {name!r} is not installed ({exc.name or exc}); "
                                        f"install it with: pip install 'audio-essay[{name}]'") from exc
    except AttributeError as exc:
        raise ConfigError(source, f"recognizer {name!r} cannot be loaded from {found[name]} ({exc})") from exc
    check = getattr(factory, "check", None)
    problem = check(model) if check else None
    if problem:
        raise RecognizerMissing(source, problem)
    return factory(model)
