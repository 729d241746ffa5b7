"""What an input format provides, and what every reader shares.

A reader is a class with a no-argument constructor, named by an entry point in the
``audio_essay.readers`` group. It is a ``PostReader`` when it declares ``suffixes`` (single
post files it reads: the preparer asks it for pandoc's AST and the format's metadata), a
``SourceReader`` when it declares ``layouts`` (whole sources ``import`` takes: it lists
their posts as ``SourceItem``s), or both. Every refusal is an ``AudioEssayError`` naming
the file: a reader never lets a damaged input through as a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

from audio import limits as post_limits
from audio.errors import InputError
from audio.limits import ImportLimits
from audio.models import ParsedPost, SourceItem

ENTRY_POINT_GROUP = "audio_essay.readers"


class PostReader(Protocol):
    """Reads one post file of its format."""

    name: str  # registry name, e.g. "markdown"
    suffixes: tuple[str, ...]  # lower-case, with the dot: ".md"

    def sniffs(self, text: str) -> bool:
        """Whether ``text`` is of this format whatever the file's suffix (an HTML page
        saved as ``.md``); False where the format has no signature."""
        ...

    def read(self, path: Path, text: str) -> ParsedPost:
        """The post's AST and metadata (``text``: the file's checked UTF-8 text). Read
        with ``pandoc.read_ast``, which keeps pandoc within the limits on a post."""
        ...


@dataclass
class Source:
    """What ``import`` was given: an http(s) URL, or a file or folder that exists."""

    text: str
    limits: ImportLimits = ImportLimits()
    follow_redirects: bool = False  # a feed URL that redirects to another host

    @property
    def is_url(self) -> bool:
        return re.match(r"^https?://", self.text) is not None

    @property
    def path(self) -> Path:
        return Path(self.text)

    @cached_property
    def data(self) -> bytes:
        """A source file's bytes, read once, within the size limit for one post."""
        try:
            return read_limited(self.path, self.limits)
        except OSError as exc:
            raise InputError(self.path, f"cannot read ({exc.strerror or exc})") from exc


class SourceReader(Protocol):
    """Recognises a source of its layout and lists the posts it holds."""

    name: str  # registry name, also the kind ``import`` reports: "substack"
    layouts: tuple[str, ...]  # the layouts it takes, in words
    precedence: int  # asked before readers of lower precedence (a catch-all has 0)

    def recognises(self, source: Source) -> bool:
        """Whether ``source`` is of this layout (cheap: no parsing beyond a signature)."""
        ...

    def items(self, source: Source) -> Iterator[SourceItem]:
        """Every post of the source, in order; an entry that cannot be imported is an item
        with ``problem`` set, and a source that cannot be read at all (a zip-slip, a feed
        over the limits) an ``InputError`` before any item."""
        ...


def read_limited(path: Path, limits: ImportLimits) -> bytes:
    post_limits.check_post_size(path, path.stat().st_size, limits.max_file_bytes)
    return path.read_bytes()
