"""Substack exports: the ``.zip`` Substack gives, or its unpacked folder: ``posts.csv``
(one row per post: ``post_id``, ``is_published``, title, dates, audience ...) and
``posts/<post_id>.html`` (each published post's body).

A zip is checked whole before anything is read from it (zip-slip, links, sizes, entry count).
"""

from __future__ import annotations

import csv
import io
import lzma
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath

from audio.errors import AudioEssayError, InputError
from audio.limits import ImportLimits
from audio.models import SourceItem
from audio.readers.base import Source, read_limited
from audio.urls import SLUG_FILE_CHARS, slugify

CSV_COLUMNS = ("post_id", "is_published")  # the columns an export must have; the others are optional


class _Archive:
    """A Substack export, zipped or unpacked: ``read(name)`` returns a member's bytes."""

    def __init__(self, source: Path, limits: ImportLimits):
        self.source, self.limits = source, limits
        self.zip: zipfile.ZipFile | None = None
        self.root = ""
        if source.is_dir():
            return
        try:
            self.zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(source, f"not a readable zip archive ({exc})") from exc
        self._check_zip()

    def _check_zip(self) -> None:
        """Refuse the whole archive before anything is extracted."""
        infos = self.zip.infolist()
        if len(infos) > self.limits.max_files:
            raise InputError(self.source, f"{len(infos)} entries: over the limit of {self.limits.max_files}")
        total = 0
        for info in infos:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or re.match(r"^[A-Za-z]:", info.filename):
                raise InputError(self.source, f"entry {info.filename!r} would land outside the import folder (zip-slip); archive refused")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise InputError(self.source, f"entry {info.filename!r} is a symbolic link; archive refused")
            if info.file_size > self.limits.max_file_bytes:
                raise InputError(self.source, f"entry {info.filename!r} unpacks to {info.file_size} bytes, over the "
                                 f"{self.limits.max_file_bytes}-byte limit; archive refused")
            total += info.file_size
        if total > self.limits.max_total_bytes:
            raise InputError(self.source, f"unpacks to {total} bytes, over the {self.limits.max_total_bytes}-byte limit; archive refused")
        names = [i.filename for i in infos]
        csvs = [n for n in names if PurePosixPath(n).name == "posts.csv"]
        if not csvs:
            raise InputError(self.source, "no posts.csv: not a Substack export")
        self.root = str(PurePosixPath(min(csvs, key=len)).parent).lstrip(".")

    def exists(self, name: str) -> bool:
        if self.zip is None:
            return (self.source / name).is_file()
        try:
            self.zip.getinfo(f"{self.root}/{name}" if self.root else name)
            return True
        except KeyError:
            return False

    def read(self, name: str) -> bytes:
        """A member's bytes; a member that cannot be read (damaged, encrypted) is an InputError naming it."""
        if self.zip is None:
            path = self.source / name
            if not path.resolve().is_relative_to(self.source.resolve()):
                raise InputError(path, "points outside the export folder")
            try:
                return read_limited(path, self.limits)
            except OSError as exc:
                raise InputError(path, f"cannot read ({exc.strerror or exc})") from exc
        member = f"{self.root}/{name}" if self.root else name
        try:
            with self.zip.open(member) as f:
                data = f.read(self.limits.max_file_bytes + 1)
        except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, RuntimeError,
                OSError) as exc:  # a bad CRC, damaged compressed data, an unsupported method, a password
            raise InputError(f"{self.source}:{member}", f"damaged or unreadable in the archive ({exc})") from exc
        if len(data) > self.limits.max_file_bytes:
            raise InputError(f"{self.source}:{member}", "over the size limit for one post")
        return data

    def where(self, name: str) -> str:
        return str(self.source / name) if self.zip is None else f"{self.source}:{name}"


def _substack_items(archive: _Archive) -> Iterator[SourceItem]:
    try:
        text = archive.read("posts.csv").decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(archive.where("posts.csv"), f"not a readable CSV file ({exc})") from exc
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(archive.where("posts.csv"), f"missing column(s) {', '.join(missing)}")
    for line, row in enumerate(rows, start=2):
        post_id = (row.get("post_id") or "").strip()
        if not post_id or "/" in post_id or "\\" in post_id or post_id.startswith("."):
            yield SourceItem(origin=f"{archive.where('posts.csv')}:{line}", problem=f"bad post_id {post_id!r}")
            continue
        draft = (row.get("is_published") or "").strip().lower() not in ("true", "1", "yes")
        name = f"posts/{post_id}.html"
        front = {
            "title": row.get("title") or "",
            "subtitle": row.get("subtitle") or "",
            "date": row.get("post_date") or "",
            "type": row.get("type") or "newsletter",
            "audience": row.get("audience") or "everyone",
            "post_id": post_id,
            "email_sent_at": row.get("email_sent_at") or "",
            "podcast_url": row.get("podcast_url") or "",
        }
        slug = post_id.split(".", 1)[1] if "." in post_id else slugify(front["title"], SLUG_FILE_CHARS) or post_id
        item = SourceItem(origin=archive.where(name), key=post_id, slug_hint=slug, front=front, draft=draft)
        if draft:
            yield item  # recorded as skipped; its body is not needed
            continue
        if not archive.exists(name):
            yield replace(item, problem="listed in posts.csv but missing from the export")
            continue
        try:
            item = replace(item, html=archive.read(name).decode("utf-8"))
        except UnicodeDecodeError as exc:
            item = replace(item, problem=f"not UTF-8 text ({exc.reason})")
        except AudioEssayError as exc:
            item = replace(item, origin=exc.path or archive.where(name), problem=exc.reason)
        yield item


class SubstackReader:
    name = "substack"
    layouts = ("a Substack export folder (posts.csv + posts/<post_id>.html)", "a Substack export .zip")
    precedence = 20

    def recognises(self, source: Source) -> bool:
        path = source.path
        return not source.is_url and (path.is_dir() and (path / "posts.csv").is_file() or path.suffix.lower() == ".zip")

    def items(self, source: Source) -> Iterator[SourceItem]:
        return _substack_items(_Archive(source.path, source.limits))
