"""A folder of post files (recursive; every suffix a post reader declares; hidden files
and folders left out), or one post file: the catch-all of ``import``, asked last.
"""

from __future__ import annotations

from collections.abc import Iterator

from audio.errors import InputError
from audio.models import SourceItem
from audio.readers.base import Source
from audio.readers.registry import post_suffixes


class FolderReader:
    name = "folder"
    layouts = ("a folder of post files", "one post file")
    precedence = 0

    def recognises(self, source: Source) -> bool:
        return not source.is_url and source.path.exists()

    def items(self, source: Source) -> Iterator[SourceItem]:
        folder = source.path
        if not folder.is_dir():
            yield SourceItem(origin=source.text, source_path=folder)
            return
        suffixes = post_suffixes()
        files = [p for p in sorted(folder.rglob("*")) if p.suffix.lower() in suffixes
                 and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
        if len(files) > source.limits.max_files:
            raise InputError(folder, f"{len(files)} files: over the limit of {source.limits.max_files}")
        for path in files:
            yield SourceItem(origin=str(path), source_path=path)
