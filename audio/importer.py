"""``audio-essay import``: bring a back catalogue into a show's catalogue.

Sources: a folder of posts (recursive, any format the preparer reads), a Substack
export (the ``.zip`` or its unpacked folder: ``posts.csv`` + ``posts/<post_id>.html``),
or an RSS/Atom feed with full content (a file, or a URL where the network is reachable).

Every imported post gets a stable file the renderer reads: posts outside the show are
copied into ``<show>/posts/``; Substack and feed bodies (HTML) are converted by pandoc
to Markdown with YAML front matter, the format the corpus and the seed post come in.
Posts are staged in a temporary folder inside the show and checked by the preparer
first; only then are files renamed into place and the catalogue updated, in one
transaction. A bad archive (zip-slip, absurd sizes) is refused before anything is
written; a bad post is reported and the rest goes on.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import lzma
import os
import re
import shutil
import socket
import ssl
import stat
import tempfile
import threading
import time
import urllib.parse
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from audio import __version__
from audio import limits as post_limits
from audio.catalog import Catalog, PostRecord
from audio.errors import AudioEssayError, InputError
from audio.show import Show
from audio.urls import checked_url, slugify
from audio.work import IMPORT_STAGING, show_locked

POST_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm")
CSV_COLUMNS = ("post_id", "is_published")  # the columns an export must have; the others are optional
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
# A feed file: an optional BOM, then XML declaration, comments and a DOCTYPE (with or without an
# internal subset) in any order, then the root element. Possessive, so a long prolog never backtracks.
FEED_START = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s|<\?[^>]*>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*+"
                        rb"<(?:rss|feed|rdf:RDF)\b", re.S)


@dataclass(frozen=True)
class ImportLimits:
    """What counts as absurd: a post bigger than ``max_file_bytes`` (the limit every
    command applies to a post), an archive or feed that unpacks to more than
    ``max_total_bytes`` or holds more than ``max_files`` files, a feed URL not read whole
    (redirects included) within ``fetch_seconds``."""

    max_file_bytes: int = post_limits.POST.max_bytes
    max_total_bytes: int = 512 * 1024 * 1024
    max_files: int = 50_000
    fetch_seconds: float = 120.0


@dataclass(frozen=True)
class ImportProblem:
    path: str
    reason: str


@dataclass
class ImportReport:
    source: str
    kind: str  # "folder", "substack", "feed"
    new: list[str] = field(default_factory=list)  # slugs
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.new) + len(self.changed) + len(self.unchanged)


@dataclass
class _Item:
    """One post found in a source, before it is staged."""

    origin: str  # where it came from, for messages
    key: str = ""  # post_id when the source has one
    slug_hint: str = ""
    source_path: Path | None = None  # a post file read as it is
    html: str | None = None  # or an HTML body to convert, with ...
    front: dict[str, str] = field(default_factory=dict)  # ... its front matter
    draft: bool = False


SLUG_FILE_CHARS = 80  # the longest slug the importer names a file by


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_limited(path: Path, limits: ImportLimits) -> bytes:
    post_limits.check_post_size(path, path.stat().st_size, limits.max_file_bytes)
    return path.read_bytes()


# --- sources ---------------------------------------------------------------------------------


def _folder_items(folder: Path, limits: ImportLimits) -> Iterator[_Item]:
    files = [p for p in sorted(folder.rglob("*")) if p.suffix.lower() in POST_SUFFIXES
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    if len(files) > limits.max_files:
        raise InputError(folder, f"{len(files)} files: over the limit of {limits.max_files}")
    for path in files:
        yield _Item(origin=str(path), source_path=path)


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
                return _read_limited(path, self.limits)
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


def _substack_items(archive: _Archive, report: ImportReport) -> Iterator[_Item]:
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
            report.problems.append(ImportProblem(f"{archive.where('posts.csv')}:{line}", f"bad post_id {post_id!r}"))
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
        item = _Item(origin=archive.where(name), key=post_id, slug_hint=slug, front=front, draft=draft)
        if draft:
            yield item  # recorded as skipped; its body is not needed
            continue
        if not archive.exists(name):
            report.problems.append(ImportProblem(archive.where(name), "listed in posts.csv but missing from the export"))
            continue
        try:
            item.html = archive.read(name).decode("utf-8")
        except UnicodeDecodeError as exc:
            report.problems.append(ImportProblem(archive.where(name), f"not UTF-8 text ({exc.reason})"))
            continue
        except AudioEssayError as exc:
            report.problems.append(ImportProblem(exc.path or archive.where(name), exc.reason))
            continue
        yield item


def _refuse_entities(data: bytes, origin: str) -> None:
    """Entity expansion stays off. feedparser drops external entities but keeps the internal
    ones a feed declares, and when expat refuses to expand them its fallback parser does so
    without a limit (gigabytes from a kilobyte feed). Real feeds declare none, so a feed that
    does is refused whole; checked on the bytes feedparser reads (after its UTF-8 conversion)."""
    from feedparser.encodings import convert_to_utf8

    text = convert_to_utf8({}, data, {})
    root = re.search(rb"<\w", text)
    if b"<!ENTITY" in text[:root.start() if root else len(text)]:
        raise InputError(origin, "declares XML entities (<!ENTITY>); refused, they are never expanded")


def _feed_items(data: bytes, origin: str, report: ImportReport) -> Iterator[_Item]:
    import feedparser

    _refuse_entities(data, origin)
    feed = feedparser.parse(data)
    if not feed.entries:
        reason = f" ({feed.bozo_exception})" if feed.get("bozo") else ""
        raise InputError(origin, f"not an RSS or Atom feed with entries{reason}")
    for i, entry in enumerate(feed.entries, start=1):
        body = entry.get("content", [{}])[0].get("value") if entry.get("content") else None
        title = entry.get("title", "")
        # A relative link is the channel's; anything but http(s) goes (it would become a link on the site).
        link = checked_url(entry.get("link", ""), feed.feed.get("link", ""), f"{origin} entry {i} ({title or '?'})",
                           "link")
        where = f"{origin} entry {i} ({link or title or '?'})"
        if not body:
            report.problems.append(ImportProblem(where, "no full content (content:encoded); only a summary"))
            continue
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        date = datetime(*parsed[:6], tzinfo=timezone.utc).isoformat() if parsed else ""
        path_slug = PurePosixPath(link.split("?")[0].rstrip("/")).name if link else ""
        slug = slugify(path_slug, SLUG_FILE_CHARS) or slugify(entry.get("title", ""), SLUG_FILE_CHARS) or f"entry-{i}"
        front = {"title": entry.get("title", ""), "subtitle": entry.get("subtitle", "") or "", "date": date,
                 "type": "newsletter", "audience": "everyone", "canonical_url": link}
        yield _Item(origin=where, slug_hint=slug, html=body, front=front)


class _Deadline:
    """One fetch's total time, redirects included. A socket timeout bounds one read only, and a
    server that trickles a byte a second never trips it: at the deadline a timer thread shuts
    down every socket the fetch opened, which ends the read in progress at once."""

    def __init__(self, seconds: float):
        self._end = time.monotonic() + seconds
        self._fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    @property
    def expired(self) -> bool:  # a socket timeout set to the time remaining ends here too
        return self._fired or time.monotonic() >= self._end

    def remaining(self) -> float:
        return max(self._end - time.monotonic(), 0.01)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self._fired = True
            for sock in self._sockets:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the connection itself, under TLS too
        except OSError:
            pass  # closed already


def _get(url: str, deadline: _Deadline, max_bytes: int) -> tuple[int, str, str, bytes]:
    """One GET under ``deadline``: status, reason, Location and at most ``max_bytes + 1`` bytes of
    a 200's body. The socket is watched before the TLS handshake, so that cannot trickle either."""
    parts = urllib.parse.urlsplit(url)
    https = parts.scheme == "https"
    host, port = parts.hostname or "", parts.port or (443 if https else 80)
    if not host:
        raise ValueError("no host in the URL")
    context = ssl.create_default_context() if https else None
    conn = None
    sock = socket.create_connection((host, port), timeout=deadline.remaining())
    try:
        if context is not None:
            sock = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
        deadline.watch(sock)
        if isinstance(sock, ssl.SSLSocket):
            sock.do_handshake()
        conn = (http.client.HTTPSConnection(host, port, context=context) if https
                else http.client.HTTPConnection(host, port))
        conn.sock = sock  # connected and watched: http.client only speaks HTTP over it
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers={
            "User-Agent": f"audio-essay/{__version__}",
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"})
        response = conn.getresponse()
        data = response.read(max_bytes + 1) if response.status == 200 else b""
        return response.status, response.reason, response.getheader("Location", ""), data
    finally:
        (conn or sock).close()


def _redirect(url: str, current: str, location: str, follow_redirects: bool) -> str:
    """Where a redirect from ``current`` (on the way from ``url``) leads: http(s) only, and to
    another host (another name, whatever the port) only when asked."""
    target = urllib.parse.urljoin(current, location)
    scheme, host = urllib.parse.urlsplit(target).scheme, urllib.parse.urlsplit(target).hostname
    if scheme not in ("http", "https") or not host:
        raise InputError(url, f"redirects to {target!r}, not an http(s) URL; refused")
    if not follow_redirects and host != urllib.parse.urlsplit(current).hostname:
        raise InputError(url, f"redirects to another host: {target} (pass --follow-redirects to follow it)")
    return target


def _fetch(url: str, limits: ImportLimits, follow_redirects: bool = False) -> bytes:
    """The feed at ``url``, read whole within ``limits.fetch_seconds``; see ``_redirect``."""
    advice = "download it and import the file instead"
    current = url
    with _Deadline(limits.fetch_seconds) as deadline:
        try:
            for _ in range(MAX_REDIRECTS + 1):
                status, reason, location, data = _get(current, deadline, limits.max_total_bytes)
                if status not in REDIRECTS or deadline.expired:
                    break
                current = _redirect(url, current, location, follow_redirects)
            else:
                raise InputError(url, f"cannot fetch the feed (more than {MAX_REDIRECTS} redirects)")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if not deadline.expired:
                why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise InputError(url, f"cannot fetch the feed ({why}); {advice}") from exc
        if deadline.expired:  # the read it cut short may have looked complete
            raise InputError(url, f"cannot fetch the feed: no complete answer within {limits.fetch_seconds:g} s; {advice}")
    if status != 200:
        raise InputError(url, f"cannot fetch the feed (HTTP {status} {reason}); {advice}")
    if len(data) > limits.max_total_bytes:
        raise InputError(url, f"feed over the {limits.max_total_bytes}-byte limit")
    return data


# --- staging ---------------------------------------------------------------------------------


def _markdown(item: _Item) -> str:
    """An HTML body as pandoc Markdown with YAML front matter (JSON strings are YAML);
    pandoc reads it under the caps it reads posts under."""
    from audio.prepare.reader import check_nesting, run_pandoc

    check_nesting(item.origin, item.html)
    body = run_pandoc(Path(item.origin), ["-f", "html", "-t", "markdown", "--wrap=none"], item.html)
    front = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in item.front.items() if v)
    return f"---\n{front}---\n{body}"


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()


def _stage(item: _Item, show: Show, staging: Path, limits: ImportLimits,
           known: dict[str, PostRecord]) -> tuple[PostRecord, Path | None, Path | None]:
    """Check one post with the preparer; returns its record, the staged file (or None when
    it is used in place) and where that file goes in the show. Content the catalogue
    already holds, with its file in place, is not read again (``known``: hash -> post)."""
    from audio.prepare import prepare_post

    show_root = show.folder.resolve()
    staged = target = None
    # Staged under its own name (the preparer may take the slug from it), one folder per post.
    folder = Path(tempfile.mkdtemp(dir=staging))
    if item.source_path is not None:
        path = item.source_path.resolve()
        data = _read_limited(path, limits)
        if path.is_relative_to(show_root):
            read_from = path
        else:
            staged = read_from = folder / path.name
            staged.write_bytes(data)
    else:
        data = _markdown(item).encode("utf-8")
        staged = read_from = folder / f"{item.slug_hint or _sha256(data)[:16]}.md"
        staged.write_bytes(data)
    same = known.get(_sha256(data))
    if same is not None and (show.folder / same.source).is_file():
        return same, None, None
    script = prepare_post(read_from, show)
    meta = script.meta
    slug = meta.slug or item.slug_hint
    if not slugify(slug):
        raise InputError(item.origin, f"no usable slug (got {slug!r})")
    if meta.draft:  # its file stays where it is until it is published
        return _draft_record(item, item.key or meta.post_id or slug, slug, meta.title, meta.audience,
                             _iso(meta.date)), None, None
    if staged is not None:
        target = show.posts_dir / f"{slugify(slug, SLUG_FILE_CHARS)}{staged.suffix}"
    final = (target or read_from).resolve()
    record = PostRecord(
        key=item.key or meta.post_id or slug,
        slug=slug,
        source=str(final.relative_to(show_root)) if final.is_relative_to(show_root) else str(final),
        content_hash=_sha256(data),
        meta={"title": meta.title, "subtitle": meta.subtitle, "author": meta.author, "type": meta.type,
              "canonical_url": meta.canonical_url, "date": _iso(meta.date), "origin": item.origin,
              **({"podcast_url": item.front["podcast_url"]} if item.front.get("podcast_url") else {})},
        audience=meta.audience or item.front.get("audience", "everyone"),
        post_date=_iso(meta.date),
        word_count=script.word_count,
    )
    return record, staged, target


def _draft_record(item: _Item, key: str, slug: str, title: str, audience: str, post_date: str | None) -> PostRecord:
    """A draft is catalogued (status skipped) without a file, so publishing it later shows as new."""
    return PostRecord(key=key, slug=slug, source="", content_hash="", meta={"title": title, "origin": item.origin},
                      audience=audience, post_date=post_date, status="skipped")


def import_source(source: str | Path, show: Show, limits: ImportLimits = ImportLimits(),
                  follow_redirects: bool = False) -> ImportReport:
    """Import every post of ``source`` into ``show``'s catalogue (see the module docstring).
    A feed URL that redirects to another host is refused unless ``follow_redirects``."""
    text = str(source)
    is_url = re.match(r"^https?://", text) is not None
    path = Path(text)
    if not is_url and not path.exists():
        raise InputError(path, "no such file or folder")
    with show_locked(show), Catalog(show.catalog_path) as catalog:
        report, items = _items(text, path, is_url, limits, follow_redirects)
        staging = Path(tempfile.mkdtemp(prefix=IMPORT_STAGING, dir=show.folder))
        try:
            _apply(report, items, show, catalog, staging, limits)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return report


def _items(text: str, path: Path, is_url: bool, limits: ImportLimits,
           follow_redirects: bool) -> tuple[ImportReport, list[_Item]]:
    """Read the source into items (refusing a bad archive or feed as a whole)."""
    if is_url:
        report = ImportReport(text, "feed")
        return report, list(_feed_items(_fetch(text, limits, follow_redirects), text, report))
    if path.is_dir() and (path / "posts.csv").is_file() or path.suffix.lower() == ".zip":
        report = ImportReport(text, "substack")
        return report, list(_substack_items(_Archive(path, limits), report))
    if path.is_dir():
        report = ImportReport(text, "folder")
        return report, list(_folder_items(path, limits))
    try:
        data = _read_limited(path, limits)
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or exc})") from exc
    if FEED_START.match(data):
        report = ImportReport(text, "feed")
        return report, list(_feed_items(data, text, report))
    report = ImportReport(text, "folder")
    return report, [_Item(origin=text, source_path=path)]


def _apply(report: ImportReport, items: list[_Item], show: Show, catalog: Catalog, staging: Path,
           limits: ImportLimits) -> None:
    """Stage and check every item, then move files into place and update the catalogue."""
    records: list[PostRecord] = []
    moves: list[tuple[Path, Path]] = []
    drafts: set[str] = set()
    taken: dict[str, str] = {}  # slug -> origin, within this import
    known = {p.content_hash: p for p in catalog.posts() if p.source}

    def stage(item: _Item) -> tuple[PostRecord, Path | None, Path | None] | ImportProblem:
        try:
            if item.draft:
                return _draft_record(item, item.key, item.slug_hint, item.front.get("title", ""),
                                     item.front.get("audience", "everyone"), item.front.get("date") or None), None, None
            return _stage(item, show, staging, limits, known)
        except AudioEssayError as exc:  # named by where it came from, not by its staged copy
            return ImportProblem(item.origin, exc.reason)
        except (OSError, UnicodeDecodeError, RuntimeError) as exc:
            return ImportProblem(item.origin, f"cannot read ({exc})")

    # Threads: the preparer's time is mostly pandoc, a subprocess, so every core helps.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        staged_items = list(pool.map(stage, items))
    for item, outcome in zip(items, staged_items):
        if isinstance(outcome, ImportProblem):
            report.problems.append(outcome)
            continue
        record, staged, target = outcome
        if record.status == "skipped":
            drafts.add(record.key)
        # The slug the post was catalogued with, else a free one: another post that wants
        # the same slug (here or in this import) gets ``<slug>-2``, as ``render`` gives it.
        known_post = catalog.post(record.key)
        slug = known_post.slug if known_post else catalog.free_slug(record.key, record.slug, taken)
        if slug != record.slug:
            record = replace(record, slug=slug)
            if target is not None:
                target = target.with_name(f"{slug}{target.suffix}")
        _, conflict = catalog.match_post(record.key, record.slug)
        if conflict:
            report.problems.append(ImportProblem(item.origin, conflict))
            continue
        taken[record.slug] = item.origin
        records.append(record)
        if staged is not None and target is not None:
            moves.append((staged, target))
    if moves:
        show.posts_dir.mkdir(parents=True, exist_ok=True)
    for staged, target in moves:
        if not (target.is_file() and target.read_bytes() == staged.read_bytes()):
            os.replace(staged, target)
    outcomes = catalog.import_posts(records, drafts)
    for record in records:
        outcome = outcomes[record.key]
        if outcome.startswith("conflict"):
            report.problems.append(ImportProblem(record.meta.get("origin", record.slug), outcome))
        else:
            {"new": report.new, "changed": report.changed, "unchanged": report.unchanged,
             "draft": report.drafts}[outcome].append(record.slug)
