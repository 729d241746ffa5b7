"""Writing files so that a crash never leaves a half-written one under its real name."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from audio.errors import OutputError

TMP_SUFFIX = ".tmp"  # a temporary sibling's name: .<stem>.XXXX<suffix>.tmp


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then rename it into place.

    The temporary name starts with a dot and ends in ``<suffix>.tmp``; writers that need
    the real suffix to pick a format (soundfile) should pass the format explicitly.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix + TMP_SUFFIX)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str, what: str = "", encoding: str = "utf-8") -> None:
    """``atomic_write`` of a text file; a failure is an OutputError naming the file and
    ``what`` it holds: "cannot write <what> (<why>)"."""
    try:
        atomic_write(path, lambda tmp: tmp.write_text(text, encoding=encoding))
    except OSError as exc:
        raise OutputError(path, f"cannot write{' ' + what if what else ''} ({exc.strerror or exc})") from exc


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in blocks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
