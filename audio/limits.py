"""What one post may be: the caps every command that reads posts applies the same way
(``script``, ``render``, ``import``, ``batch``: they all read through the preparer).

A post over a cap is refused with one line naming the file (an ``InputError``): before
pandoc for its size, its front matter and the nesting its source shows, after pandoc
for the nesting of the document and while its sentences are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audio.errors import InputError


@dataclass(frozen=True)
class PostLimits:
    max_bytes: int = 16 * 1024 * 1024  # the post file
    max_front_matter_bytes: int = 64 * 1024
    # Blockquotes, lists, divs, emphasis ... inside one another (and YAML inside YAML).
    max_depth: int = 100
    max_sentences: int = 20_000
    # Pandoc's own budget, whatever the input does to it: a wall-clock limit (a base
    # plus some per MiB of input; a 16 MiB post takes pandoc about 30 s) and a heap.
    pandoc_seconds: float = 60.0
    pandoc_seconds_per_mib: float = 10.0
    pandoc_heap_mib: int = 3072


POST = PostLimits()


@dataclass(frozen=True)
class ImportLimits:
    """What counts as absurd: a post bigger than ``max_file_bytes`` (the limit every
    command applies to a post), an archive or feed that unpacks to more than
    ``max_total_bytes`` or holds more than ``max_files`` files, a feed URL not read whole
    (redirects included) within ``fetch_seconds``."""

    max_file_bytes: int = POST.max_bytes
    max_total_bytes: int = 512 * 1024 * 1024
    max_files: int = 50_000
    fetch_seconds: float = 120.0


def check_post_size(path: str | Path, size: int, max_bytes: int | None = None) -> None:
    """Refuse a post file of ``size`` bytes over the limit for one post."""
    limit = POST.max_bytes if max_bytes is None else max_bytes
    if size > limit:
        raise InputError(path, f"{size} bytes: over the {limit}-byte limit for one post")
