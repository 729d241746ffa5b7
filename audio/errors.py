"""The package's exceptions: one root, each carrying the file and the reason.

The CLI turns every ``AudioEssayError`` into one line ``<path>: <reason>`` and exit
status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class AudioEssayError(Exception):
    """Root of every error the package raises on purpose."""

    exit_code = 2

    def __init__(self, path: str | Path | None, reason: str):
        self.path = None if path is None else str(path)
        self.reason = reason
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class InputError(AudioEssayError):
    """A post (or other input file) that cannot be read or parsed."""


class PostSkipped(InputError):
    """A post the show's settings leave out (a podcast post without audio of its own...):
    ``batch`` records it as skipped, with the reason, and goes on."""


class ConfigError(AudioEssayError):
    """A bad show.toml, voice profile or lexicon."""


class EngineError(AudioEssayError):
    """A TTS engine that is missing, cannot load its model, or fails to synthesize."""


class RecognizerMissing(AudioEssayError):
    """Speech QA's recogniser (or its model) is not installed: the message names the extra."""


class OutputError(AudioEssayError):
    """Output that cannot be written (unwritable folder, full disk, ...)."""


class CatalogError(AudioEssayError):
    """The SQLite catalogue is locked, corrupt or inconsistent."""
