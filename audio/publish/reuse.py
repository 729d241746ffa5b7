"""What a rebuild takes from the previous build: the unchanged episodes' feed items and pages.

Sanitising the notes, making their text and parsing the transcript cost most of a publish,
and a rebuild usually changes one episode of hundreds. Each published episode's feed item
and page are recorded in ``<show>/.cache/publish/episodes.cache`` under a key made of
everything they are made from: the name, size, modification time and inode of every file
in the episode's folder (its record, transcript and audio among them: every render writes
new files), the show's settings and the publishing code itself. A rebuild that finds an
episode's key takes its item and page from the record instead of making them again;
anything else is made afresh, so the site is byte for byte what a first build makes. The
record is only a cache: lost, unreadable or from another version, the next publish makes
everything. (Alternating preview and public builds make everything each time: their
settings differ, and the record keeps the latest build's episodes only.)
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, fields
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from audio.files import atomic_write
from audio.models import Chapter, Episode
from audio.publish.artwork import is_placeholder, placeholder_png
from audio.publish.feed import FeedItem
from audio.publish.site import PageEpisode

FORMAT = 2  # of the cache file; another is ignored
CACHE_FILE = "publish/episodes.cache"  # in the show's cache folder
PLACEHOLDER_PREFIX = "placeholder-"  # beside it: the placeholder artwork, drawn once
_PACKAGE = Path(__file__).parent
_CODE = (*sorted(_PACKAGE.glob("*.py")),
         *(_PACKAGE.parent / name for name in ("urls.py", "models.py", "episode_store.py")))
_ITEM_FIELDS = tuple(f.name for f in fields(FeedItem))
_PAGE_FIELDS = tuple(f.name for f in fields(PageEpisode))
# The long texts, kept after the JSON line as they are (JSON would escape every quote of
# their HTML, and take three times as long to write and read).
_TEXTS = (("item", "description"), ("item", "content_html"), ("page", "notes_html"), ("page", "transcript"))


def _code_stamp() -> str:
    """The publishing code, the sanitiser and the image library: an upgrade or an edit
    changes every page."""
    try:
        stats = [(path.name, st.st_size, st.st_mtime_ns) for path in _CODE for st in (path.stat(),)]
    except OSError:  # the sources are not there to tell (a frozen install): nothing is reused
        return os.urandom(16).hex()
    return repr((FORMAT, sys.version, version("nh3"), version("pillow"), stats))


@dataclass(frozen=True)
class Made:
    """An episode's feed item and page, and the warnings making them gave."""

    item: FeedItem
    page: PageEpisode
    warnings: tuple[str, ...]


class Reuse:
    """The previous build's episodes (``take``) and this build's (``keep``, then ``save``)."""

    def __init__(self, cache_dir: Path, settings: str):
        """``settings``: everything show-wide the items and pages are made from."""
        self.path = cache_dir / CACHE_FILE
        self._code = _code_stamp()
        self._stamp = hashlib.sha256(f"{self._code}\n{settings}".encode()).digest()
        self._entries = self._load()
        self._kept: dict[str, dict] = {}
        self._made = False  # some episode was made afresh

    def _load(self) -> dict[str, dict]:
        """The cache file: one line of JSON, ``{"format": 2, "texts": length, "episodes": {key:
        entry}}``, each entry's ``_TEXTS`` given as [start, end] in the text that follows the
        line (``length`` characters: a cut file is refused)."""
        try:
            head, _, tail = self.path.read_bytes().partition(b"\n")
            record = json.loads(head)
            if record.get("format") != FORMAT:
                return {}
            texts = tail.decode("utf-8", "surrogatepass")
            if len(texts) != record["texts"]:
                return {}
            entries = record["episodes"]
            for entry in entries.values():
                for part, name in _TEXTS:
                    start, end = entry[part][name]
                    entry[part][name] = texts[start:end]
            return entries
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def key(self, episode: Episode, source: Path, listing: dict[str, tuple[int, int, int]], folder: str) -> str:
        """The key of ``episode``, read from ``source`` (its folder, whose files are
        ``listing``: name -> size, modification time, inode), published in ``folder`` of the site."""
        identity = repr((episode.slug, str(source), sorted(listing.items()), folder))
        return hashlib.sha256(self._stamp + identity.encode()).hexdigest()

    def take(self, key: str) -> Made | None:
        """The episode of ``key`` as the previous build made it (None: not recorded)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        try:
            item, page = entry["item"], entry["page"]
            made = Made(
                FeedItem(**dict(item, date=datetime.fromisoformat(item["date"]))),
                PageEpisode(**dict(
                    page, date=datetime.fromisoformat(page["date"]),
                    chapters=tuple(Chapter(*chapter) for chapter in page["chapters"]))),
                tuple(entry["warnings"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        self._kept[key] = entry
        return made

    def keep(self, key: str, made: Made) -> None:
        """Record an episode this build made."""
        self._made = True
        item = {name: getattr(made.item, name) for name in _ITEM_FIELDS}
        page = {name: getattr(made.page, name) for name in _PAGE_FIELDS}
        page["chapters"] = [[chapter.start_s, chapter.title] for chapter in made.page.chapters]
        self._kept[key] = {"item": item | {"date": made.item.date.isoformat()},
                           "page": page | {"date": made.page.date.isoformat()}, "warnings": list(made.warnings)}

    def placeholder(self, title: str) -> bytes:
        """The generated placeholder artwork for ``title``, drawn once (Pillow takes a
        twentieth of a second) and kept beside the record."""
        name = hashlib.sha256(f"{self._code}\n{title}".encode()).hexdigest()[:16]
        path = self.path.parent / f"{PLACEHOLDER_PREFIX}{name}.png"
        if is_placeholder(path):
            try:
                return path.read_bytes()
            except OSError:
                pass
        data = placeholder_png(title)
        try:
            for old in path.parent.glob(f"{PLACEHOLDER_PREFIX}*.png"):
                old.unlink()
            atomic_write(path, lambda tmp: tmp.write_bytes(data))
        except OSError:
            pass
        return data

    def save(self) -> None:
        """Record this build's episodes in place of the previous build's (nothing is written
        when they are the same). A cache that cannot be written is left as it is: the next
        build makes more afresh."""
        if not self._made and self._kept.keys() == self._entries.keys():
            return
        texts: list[str] = []
        at = 0
        episodes = {}
        for key, entry in self._kept.items():
            entry = dict(entry, item=dict(entry["item"]), page=dict(entry["page"]))
            for part, name in _TEXTS:
                text = entry[part][name]
                entry[part][name] = [at, at + len(text)]
                texts.append(text)
                at += len(text)
            episodes[key] = entry
        head = json.dumps({"format": FORMAT, "texts": at, "episodes": episodes}).encode()
        data = b"%s\n%s" % (head, "".join(texts).encode("utf-8", "surrogatepass"))
        try:
            atomic_write(self.path, lambda tmp: tmp.write_bytes(data))
        except OSError:
            return
