"""Find input formats through the ``audio_essay.readers`` entry point group.

Each entry point names a reader class (see ``base``). A third-party format is one
installed package declaring::

    [project.entry-points."audio_essay.readers"]
    rst = "my_package.rst_reader:RstReader"

An entry point with a built-in's name replaces that built-in. Which reader takes what:

* a post file: the first reader (by name) that sniffs its text, else the one declaring its
  suffix, else ``markdown`` (plain text is read as Markdown);
* an import source: the first reader, by precedence (highest first, then name), that
  recognises it: ``substack`` (an export folder with posts.csv, or a .zip) and ``feed``
  (an RSS/Atom file or an http(s) URL) before ``folder`` (any other folder or file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audio.errors import ConfigError, InputError
from audio.plugins import resolve, targets
from audio.readers.base import ENTRY_POINT_GROUP, PostReader, Source, SourceReader

# The built-ins, also declared as entry points in pyproject.toml; listed here too so a
# source tree run without installing (PYTHONPATH=.) still finds them.
BUILTIN = {
    "markdown": "audio.readers.markdown:MarkdownReader",
    "html": "audio.readers.html:HtmlReader",
    "substack": "audio.readers.substack:SubstackReader",
    "feed": "audio.readers.feed:FeedReader",
    "folder": "audio.readers.folder:FolderReader",
}
DEFAULT_POST_READER = "markdown"


def _targets() -> dict[str, str]:
    return targets(ENTRY_POINT_GROUP, BUILTIN)


def _load(name: str, target: str) -> Any:
    try:
        return resolve(target)()
    except (ImportError, AttributeError, TypeError) as exc:
        raise ConfigError(None, f"input format {name!r} cannot be loaded from {target} ({exc})") from exc


def available_readers() -> dict[str, Any]:
    """Every reader installed (built-in or from another package), by name."""
    return {name: _load(name, target) for name, target in sorted(_targets().items())}


def post_readers() -> dict[str, PostReader]:
    """The readers of single post files, by name."""
    return {name: r for name, r in available_readers().items() if getattr(r, "suffixes", ())}


def source_readers() -> list[SourceReader]:
    """The readers of import sources, in the order they are asked."""
    found = [r for r in available_readers().values() if getattr(r, "layouts", ())]
    return sorted(found, key=lambda r: -r.precedence)  # stable: by name within a precedence


def post_suffixes() -> frozenset[str]:
    """Every suffix a post file may have (what ``import`` collects from a folder)."""
    return frozenset(s for r in post_readers().values() for s in r.suffixes)


def post_reader(path: Path, text: str) -> PostReader:
    """The reader of the post file ``path`` whose text is ``text`` (see the module docstring)."""
    readers = post_readers()
    suffix = path.suffix.lower()
    return (next((r for r in readers.values() if r.sniffs(text)), None)
            or next((r for r in readers.values() if suffix in r.suffixes), None)
            or readers[DEFAULT_POST_READER])


def source_reader(source: Source) -> SourceReader:
    """The reader that recognises ``source`` (see the module docstring)."""
    for reader in source_readers():
        if reader.recognises(source):
            return reader
    raise InputError(source.text, "no input format recognises it")
