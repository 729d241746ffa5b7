"""The show's catalogue: one SQLite file, the single source of truth for batch state.

Schema changes are named migrations, applied in order and recorded in the
``migrations`` table, so an old catalogue is upgraded in place. WAL mode lets a
reader (``status``, ``publish``) look while a batch writes.

The show's identities (the subscribers' private-feed tokens, the channel GUID, every post's
GUID and slug) are also kept in ``<catalogue>.identity.json`` beside it, rewritten atomically
whenever one is minted: a damaged catalogue is refused (never silently recreated), and
``catalog rebuild`` makes a new one that keeps them all.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Collection, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from audio.errors import CatalogError
from audio.files import atomic_write

# The single private-feed token of earlier releases becomes the subscriber "shared" (same
# token, same URL). Part of migration 0004 and of every restore from the identity file.
SHARED_LABEL = "shared"
SHARED_TOKEN_KEY = "publish.private_token"
ADOPT_SHARED_TOKEN = (
    "INSERT OR IGNORE INTO subscribers (token, label, created_at) SELECT value, 'shared', "
    f"strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now') FROM state WHERE key = '{SHARED_TOKEN_KEY}'"
)
# The folder of the paid episodes' files, private/<key>/: a secret of its own, so no
# subscriber's revocation moves them (a show that had the shared token keeps its folder).
FILES_KEY = "publish.private_files_key"

# (name, SQL). Never edit or reorder a migration that has shipped: add a new one.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_state",
        """
        CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE guids (post_key TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE);
        """,
    ),
    (
        "0002_posts_renders",
        """
        CREATE TABLE posts (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            slug TEXT NOT NULL UNIQUE,
            guid TEXT,
            source TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            meta TEXT NOT NULL,
            audience TEXT NOT NULL DEFAULT 'everyone',
            post_date TEXT,
            word_count INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('pending', 'changed', 'rendered', 'failed', 'skipped')),
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX posts_status ON posts (status, post_date);
        CREATE TABLE renders (
            id INTEGER PRIMARY KEY,
            post INTEGER NOT NULL REFERENCES posts (id),
            voice TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            files TEXT,
            duration_s REAL,
            bytes INTEGER,
            sha256 TEXT,
            loudness_lufs REAL,
            wall_s REAL,
            sentences INTEGER,
            synthesized INTEGER,
            error TEXT,
            finished_at TEXT NOT NULL
        );
        CREATE INDEX renders_post ON renders (post, id);
        """,
    ),
    (
        "0003_slugs",
        """
        CREATE TABLE slugs (post_key TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE);
        """,
    ),
    (
        "0004_subscribers",
        f"""
        CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL,
            email_hash TEXT UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        {ADOPT_SHARED_TOKEN};
        """,
    ),
]

# A post's life: imported as pending; re-imported with other content -> changed;
# a batch renders it -> rendered, or records the error -> failed. Drafts are skipped.
POST_STATUSES = ("pending", "changed", "rendered", "failed", "skipped")
DUE_STATUSES = ("pending", "changed")


IDENTITY_SUFFIX = ".identity.json"
SQLITE_HEADER = b"SQLite format 3\x00"
REBUILD_HINT = "left as it is; `audio-essay catalog rebuild` sets it aside and rebuilds it from the rendered episodes"


def identity_path(catalog_path: Path) -> Path:
    """The file beside the catalogue that keeps the show's tokens, GUIDs and slugs."""
    return catalog_path.with_name(catalog_path.name + IDENTITY_SUFFIX)


def read_identity(path: Path) -> dict[str, dict[str, Any]]:
    """The identities kept in ``path`` (none when there is no such file): ``state``, ``guids``
    and ``slugs`` map names to strings, ``subscribers`` maps tokens to their records."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        identity: dict[str, dict[str, Any]] = {
            part: {str(k): str(v) for k, v in data.get(part, {}).items()} for part in ("state", "guids", "slugs")}
        identity["subscribers"] = {str(token): {key: record.get(key) for key in SUBSCRIBER_FIELDS}
                                   for token, record in data.get("subscribers", {}).items()}
        return identity
    except FileNotFoundError:
        return {"state": {}, "guids": {}, "slugs": {}, "subscribers": {}}
    except (OSError, ValueError, AttributeError) as exc:
        raise CatalogError(path, f"not a readable identity file ({exc})") from exc


def revoked_token(catalog_path: Path, token: str) -> bool:
    """Whether ``token`` belongs to a revoked subscriber, read straight from the catalogue
    (read-only, no migration: for a server asking on every private request). A catalogue
    from before subscribers has none revoked."""
    try:
        db = sqlite3.connect(Path(catalog_path).resolve().as_uri() + "?mode=ro", uri=True, timeout=5)
        try:
            row = db.execute("SELECT revoked_at FROM subscribers WHERE token = ?", (token,)).fetchone()
        finally:
            db.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return False
        raise CatalogError(catalog_path, f"cannot read the subscribers ({exc})") from exc
    except sqlite3.DatabaseError as exc:
        raise CatalogError(catalog_path, f"cannot read the subscribers ({exc})") from exc
    return row is not None and row[0] is not None


def set_aside(path: Path) -> Path | None:
    """Rename a catalogue (and its WAL files) to ``<name>.broken-<time>``, never deleting
    it; returns the new name, or None when there was no catalogue."""
    if not path.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    names = (f"{path.name}.broken-{stamp}" + (f"-{n}" if n > 1 else "") for n in itertools.count(1))
    aside = next(p for p in map(path.with_name, names) if not p.exists())
    try:
        for suffix in ("-wal", "-shm", ""):  # the WAL belongs to the old file, never to a new one
            old = path.with_name(path.name + suffix)
            if old.exists():
                os.rename(old, aside.with_name(aside.name + suffix))
    except OSError as exc:
        raise CatalogError(path, f"cannot set the catalogue aside ({exc.strerror})") from exc
    return aside


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class PostRecord:
    """One post as the catalogue knows it. ``source`` is relative to the show folder
    when the file lies inside it; ``key`` is the Substack post_id, else the slug."""

    key: str
    slug: str
    source: str
    content_hash: str
    meta: dict[str, Any] = field(default_factory=dict)
    audience: str = "everyone"
    post_date: str | None = None  # ISO 8601
    word_count: int = 0
    status: str = "pending"
    guid: str | None = None
    error: str | None = None
    id: int | None = None
    updated_at: str | None = None

    @property
    def title(self) -> str:
        return self.meta.get("title") or self.slug


SUBSCRIBER_FIELDS = ("id", "label", "email_hash", "created_at", "revoked_at")


@dataclass(frozen=True)
class Subscriber:
    """One private-feed subscriber: a label and a token, never an email address (only
    ``email_hash``, a keyed hash, when one was given)."""

    id: int
    label: str
    token: str
    created_at: str
    email_hash: str | None = None
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class RenderRecord:
    """One render attempt of a post: its files and figures, or the error that stopped it."""

    voice: str
    content_hash: str
    files: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0
    bytes: int = 0
    sha256: str = ""
    loudness_lufs: float | None = None
    wall_s: float = 0.0
    sentences: int = 0
    synthesized: int = 0  # sentences that missed the synthesis cache
    guid: str | None = None
    error: str | None = None


def _post_from_row(row: sqlite3.Row) -> PostRecord:
    return PostRecord(
        key=row["key"], slug=row["slug"], source=row["source"], content_hash=row["content_hash"],
        meta=json.loads(row["meta"]), audience=row["audience"], post_date=row["post_date"],
        word_count=row["word_count"], status=row["status"], guid=row["guid"], error=row["error"],
        id=row["id"], updated_at=row["updated_at"],
    )


class Catalog:
    """An open catalogue. Use as a context manager, or call ``close()``.

    A missing file is created (holding the identities kept beside it); an empty,
    truncated, damaged or foreign one is refused with a CatalogError, never replaced.
    ``write`` (the default) also refuses a read-only catalogue or show folder at once,
    before the caller starts any long work. Every SQLite failure inside ``with`` leaves
    as a CatalogError naming the file."""

    def __init__(self, path: str | Path, write: bool = True):
        self.path = Path(path)
        self.identity_path = identity_path(self.path)
        if not self.path.exists():
            self._create()
        self._check_file()
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise self._error(exc) from exc
        try:
            self._check_schema()  # before anything writes to a file that may not be ours
            self._configure()
            if write:
                self._check_writable()
            self._migrate()
            if write and not self.identity_path.exists():
                with self.transaction():
                    self._save_identity()  # a catalogue from before the identity file
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise self._error(exc) from exc
        except BaseException:
            self.db.close()
            raise

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
        if isinstance(exc, sqlite3.DatabaseError):
            raise self._error(exc) from exc

    def close(self) -> None:
        self.db.close()

    def _configure(self) -> None:
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")

    def _create(self) -> None:
        """Make the catalogue aside and link it into place whole, so no other process
        ever opens a half-made (empty) file; it starts with the identities kept beside it."""
        identity = read_identity(self.identity_path)
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".new")
            os.close(fd)
        except OSError as exc:
            raise CatalogError(self.path, f"cannot create the catalogue ({exc.strerror})") from exc
        try:
            self.db = sqlite3.connect(tmp, isolation_level=None)
            try:
                self._configure()
                self._migrate()
                with self.transaction():
                    self._insert_identity(identity)  # the file holds them already
            finally:
                self.db.close()
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass  # another process made it meanwhile: theirs is as good
        except sqlite3.DatabaseError as exc:
            raise CatalogError(self.path, f"cannot create the catalogue ({exc})") from exc
        except OSError as exc:
            raise CatalogError(self.path, f"cannot create the catalogue ({exc.strerror or exc})") from exc
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _check_file(self) -> None:
        try:
            with open(self.path, "rb") as f:
                header = f.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise CatalogError(self.path, f"cannot read the catalogue ({exc.strerror})") from exc
        if not header:
            raise CatalogError(self.path, f"empty file (0 bytes), not a catalogue: {REBUILD_HINT}")
        if header != SQLITE_HEADER:
            raise CatalogError(self.path, f"not an SQLite file, so not a catalogue: {REBUILD_HINT}")

    def _check_schema(self) -> None:
        problems = [row[0] for row in self.db.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise CatalogError(self.path, f"damaged ({problems[0]}): {REBUILD_HINT}")
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "migrations" not in tables:  # no tables: a creation cut short, nothing to lose
            raise CatalogError(self.path, f"an SQLite file without the catalogue's tables: {REBUILD_HINT}")

    def _read_only(self) -> str | None:
        effective = os.access in os.supports_effective_ids
        if not os.access(self.path, os.W_OK, effective_ids=effective):
            return "read-only: the catalogue cannot be written (make it writable, or work on a copy of the show)"
        if not os.access(self.path.parent, os.W_OK, effective_ids=effective):
            return (f"read-only: the show folder {self.path.parent} cannot be written (SQLite writes beside the "
                    "catalogue)")
        return None

    def _check_writable(self) -> None:
        reason = self._read_only()
        if reason:
            raise CatalogError(self.path, reason)

    def _error(self, exc: sqlite3.DatabaseError) -> CatalogError:
        """A SQLite failure as one line naming the catalogue."""
        reason = self._read_only()
        if reason is None and type(exc) is sqlite3.DatabaseError:  # "malformed", "not a database"
            reason = f"damaged ({exc}): {REBUILD_HINT}"
        return CatalogError(self.path, reason or f"cannot use the catalogue ({exc})")

    @contextmanager
    def transaction(self):
        """One atomic change: committed whole, or rolled back whole."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:  # SQLite may have rolled back already (a full disk)
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {row[0] for row in self.db.execute("SELECT name FROM migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction() as db:
                for statement in filter(str.strip, sql.split(";")):
                    db.execute(statement)
                db.execute("INSERT INTO migrations VALUES (?, datetime('now'))", (name,))

    def applied_migrations(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM migrations ORDER BY name")]

    def state(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def state_once(self, key: str, make: Callable[[], str]) -> str:
        """The stored value of ``key``; on first use, ``make()`` is stored and kept for ever."""
        with self.transaction() as db:
            if db.execute("INSERT OR IGNORE INTO state VALUES (?, ?)", (key, make())).rowcount:
                self._save_identity()
        return self.state(key)

    def set_state(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing what was there (kept in the identity file too)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))
            self._save_identity()

    def guid_for(self, post_key: str, candidate: str) -> str:
        """The episode GUID of a post: ``candidate`` the first time (a random UUID when another
        post holds that one already), the stored one ever after, so a retitle, re-render or
        rebuild never changes it."""
        with self.transaction() as db:
            row = db.execute("SELECT guid FROM guids WHERE post_key = ?", (post_key,)).fetchone()
            if row:
                return row[0]
            if db.execute("SELECT 1 FROM guids WHERE guid = ?", (candidate,)).fetchone():
                candidate = str(uuid.uuid4())
            db.execute("INSERT INTO guids VALUES (?, ?)", (post_key, candidate))
            self._save_identity()
        return candidate

    def free_slug(self, post_key: str, wanted: str, taken: Collection[str] = ()) -> str:
        """``wanted`` unless another post holds it (or it is in ``taken``), else the first
        free ``wanted-2``, ``wanted-3``... A post without post_id (its key is its slug) and
        a post with that slug are one post, as in ``match_post``."""
        candidates = itertools.chain([wanted], (f"{wanted}-{n}" for n in itertools.count(2)))
        return next(slug for slug in candidates if slug not in taken and self._may_take(post_key, slug, wanted))

    def _may_take(self, post_key: str, slug: str, wanted: str) -> bool:
        holder = self.db.execute("SELECT key FROM posts WHERE slug = ? UNION ALL SELECT post_key FROM slugs"
                                 " WHERE slug = ?", (slug, slug)).fetchone()
        return holder is None or holder[0] == post_key or (slug == wanted and wanted in (post_key, holder[0]))

    def slug_for(self, post_key: str, wanted: str) -> str:
        """The post's slug (its episode's folder and file names): the one it was imported or
        first rendered with, else ``free_slug``'s, kept for ever, so two posts that want
        the same slug never share (or overwrite) an episode."""
        with self.transaction() as db:
            row = db.execute("SELECT slug FROM posts WHERE key = ? UNION ALL SELECT slug FROM slugs WHERE post_key = ?",
                             (post_key, post_key)).fetchone()
            if row:
                return row[0]
            slug = self.free_slug(post_key, wanted)
            if db.execute("INSERT OR IGNORE INTO slugs VALUES (?, ?)", (post_key, slug)).rowcount:
                self._save_identity()
        return slug

    def identity(self) -> dict[str, dict[str, Any]]:
        """The tokens and state kept for ever, every post's GUID and slug, every subscriber."""
        return {
            "state": dict(self.db.execute("SELECT key, value FROM state ORDER BY key").fetchall()),
            "guids": dict(self.db.execute("SELECT post_key, guid FROM guids ORDER BY post_key").fetchall()),
            "slugs": dict(self.db.execute("SELECT post_key, slug FROM slugs ORDER BY post_key").fetchall()),
            "subscribers": {s.token: {key: getattr(s, key) for key in SUBSCRIBER_FIELDS} for s in self.subscribers()},
        }

    def _save_identity(self) -> None:
        """Rewrite the identity file (atomically, readable by the owner only) from the
        catalogue. Called inside the transaction that minted: if the file cannot be
        written, nothing is minted."""
        text = json.dumps({"format": 1, **self.identity()}, indent=2, sort_keys=True) + "\n"
        try:
            atomic_write(self.identity_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        except OSError as exc:
            raise CatalogError(self.identity_path, f"cannot write the identity file ({exc.strerror or exc})") from exc

    def restore_identity(self, identity: dict[str, dict[str, Any]]) -> None:
        """Add identities (as ``read_identity`` returns them) the catalogue lacks; those it
        holds stay as they are."""
        with self.transaction():
            if self._insert_identity(identity):
                self._save_identity()

    def _insert_identity(self, identity: dict[str, dict[str, Any]]) -> int:
        added = sum(self.db.executemany(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", identity[table].items()).rowcount
                    for table in ("state", "guids", "slugs"))
        subscribers = [(s["id"], token, s["label"], s["email_hash"], s["created_at"], s["revoked_at"])
                       for token, s in identity.get("subscribers", {}).items()]
        added += self.db.executemany("INSERT OR IGNORE INTO subscribers (id, token, label, email_hash, created_at,"
                                     " revoked_at) VALUES (?, ?, ?, ?, ?, ?)", subscribers).rowcount
        return added + self.db.execute(ADOPT_SHARED_TOKEN).rowcount

    # --- private-feed subscribers -----------------------------------------------------

    def subscribers(self) -> list[Subscriber]:
        """Every subscriber, revoked ones included, in the order they were added."""
        rows = self.db.execute("SELECT id, label, token, created_at, email_hash, revoked_at FROM subscribers"
                               " ORDER BY id")
        return [Subscriber(*row) for row in rows]

    def add_subscribers(self, entries: Iterable[tuple[str, str | None]]) -> list[Subscriber]:
        """A subscriber with a new random token for each (label, email hash), in ONE
        transaction; an email hash already known (revoked or not) is left out."""
        now = _now()
        added = []
        with self.transaction() as db:
            for label, email_hash in entries:
                cursor = db.execute("INSERT OR IGNORE INTO subscribers (token, label, email_hash, created_at)"
                                    " VALUES (?, ?, ?, ?)", (secrets.token_urlsafe(24), label, email_hash, now))
                if cursor.rowcount:
                    added.append(cursor.lastrowid)
            if added:
                self._save_identity()
        return [s for s in self.subscribers() if s.id in set(added)]

    def revoke_subscriber(self, key: str) -> Subscriber:
        """Revoke the subscriber whose id, token or email hash is ``key`` (a second revoke
        changes nothing). If its token named the paid files' folder, the folder gets a new key."""
        with self.transaction() as db:
            row = db.execute("SELECT id FROM subscribers WHERE id = ? OR token = ? OR email_hash = ?",
                             (int(key) if key.isdigit() else None, key, key)).fetchone()
            if row is None:
                raise CatalogError(self.path, f"no subscriber {key!r} (`audio-essay subscribers list` shows them)")
            db.execute("UPDATE subscribers SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (_now(), row[0]))
            db.execute("UPDATE state SET value = ? WHERE key = ? AND value = (SELECT token FROM subscribers WHERE"
                       " id = ?)", (secrets.token_urlsafe(24), FILES_KEY, row[0]))
            self._save_identity()
        return next(s for s in self.subscribers() if s.id == row[0])

    def open_private_feed(self) -> None:
        """A private feed with no subscriber yet starts with one, "shared", whose token is the
        show's single private token (as in earlier releases)."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM subscribers").fetchone() is None:
                db.execute("INSERT OR IGNORE INTO state VALUES (?, ?)", (SHARED_TOKEN_KEY, secrets.token_urlsafe(24)))
                db.execute(ADOPT_SHARED_TOKEN)
                self._save_identity()

    def private_files_key(self) -> str:
        """The key of the paid episodes' folder: the active shared token for a show that has
        one (its files keep their URLs), else a random one, kept for ever."""
        shared = self.db.execute("SELECT token FROM subscribers WHERE label = ? AND revoked_at IS NULL AND token ="
                                 " (SELECT value FROM state WHERE key = ?)", (SHARED_LABEL, SHARED_TOKEN_KEY)).fetchone()
        return self.state_once(FILES_KEY, lambda: shared[0] if shared else secrets.token_urlsafe(24))

    # --- posts and renders: the back catalogue ----------------------------------------

    def posts(self, statuses: Iterable[str] | None = None) -> list[PostRecord]:
        """Posts, newest first (undated last), optionally only those in ``statuses``."""
        sql = "SELECT * FROM posts"
        args: tuple = ()
        if statuses is not None:
            statuses = tuple(statuses)
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            args = statuses
        sql += " ORDER BY post_date IS NULL, post_date DESC, slug"
        return [_post_from_row(r) for r in self.db.execute(sql, args)]

    def post(self, key: str) -> PostRecord | None:
        row = self.db.execute("SELECT * FROM posts WHERE key = ?", (key,)).fetchone()
        return _post_from_row(row) if row else None

    def match_post(self, key: str, slug: str) -> tuple[PostRecord | None, str | None]:
        """The catalogued post an incoming one is, and why it cannot be imported (or None).

        Matched by key; failing that by slug when one side has no post_id (its key is its
        slug), so a feed entry and the export row of the same post are one post."""
        row = self.db.execute("SELECT * FROM posts WHERE key = ?", (key,)).fetchone()
        by_slug = self.db.execute("SELECT * FROM posts WHERE slug = ?", (slug,)).fetchone()
        if row is None and by_slug is not None:
            if key == slug or by_slug["key"] == by_slug["slug"]:
                row = by_slug
            else:
                return None, f"slug {slug!r} already belongs to post {by_slug['key']!r}"
        elif row is not None and by_slug is not None and by_slug["id"] != row["id"]:
            return None, f"slug {slug!r} already belongs to post {by_slug['key']!r}"
        return (_post_from_row(row) if row else None), None

    def import_posts(self, records: Iterable[PostRecord], drafts: Iterable[str] = ()) -> dict[str, str]:
        """Add or update posts in ONE transaction; returns key -> outcome (``new``,
        ``changed``, ``unchanged``, ``draft`` or ``conflict: <reason>``).

        Same content: nothing changes (a draft since published becomes pending). Other
        content: a rendered or failed post becomes ``changed``. ``drafts`` are keys of
        unpublished posts, kept with status ``skipped``. A post first seen without a
        post_id takes the post_id when one arrives."""
        drafts = set(drafts)
        outcomes: dict[str, str] = {}
        now = _now()
        with self.transaction():
            for rec in records:
                draft = rec.key in drafts
                old, conflict = self.match_post(rec.key, rec.slug)
                if conflict:
                    outcomes[rec.key] = f"conflict: {conflict}"
                    continue
                values = (rec.key if old is None or old.key == old.slug else old.key, rec.slug, rec.source,
                          rec.content_hash, json.dumps(rec.meta, sort_keys=True), rec.audience, rec.post_date,
                          rec.word_count)
                if old is None:
                    status = "skipped" if draft else "pending"
                    self.db.execute(
                        "INSERT INTO posts (key, slug, source, content_hash, meta, audience, post_date, word_count,"
                        " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*values, status, now, now),
                    )
                    outcomes[rec.key] = "draft" if draft else "new"
                    continue
                same = old.content_hash == rec.content_hash
                if draft:
                    status, outcome = "skipped", "draft"
                elif old.status == "skipped":
                    status, outcome = "pending", "new"
                elif same:
                    status, outcome = old.status, "unchanged"
                else:
                    status = "pending" if old.status == "pending" else "changed"
                    outcome = "changed"
                self.db.execute(
                    "UPDATE posts SET key = ?, slug = ?, source = ?, content_hash = ?, meta = ?, audience = ?,"
                    " post_date = ?, word_count = ?, status = ?, updated_at = ? WHERE id = ?",
                    (*values, status, old.updated_at if same and status == old.status else now, old.id),
                )
                outcomes[rec.key] = outcome
        return outcomes

    def source_changed(self, key: str, content_hash: str) -> None:
        """The post's file was edited in place: record its new hash; a rendered or failed
        post becomes ``changed``."""
        with self.transaction() as db:
            db.execute(
                "UPDATE posts SET content_hash = ?, updated_at = ?, status = CASE WHEN status IN ('rendered', 'failed')"
                " THEN 'changed' ELSE status END WHERE key = ?",
                (content_hash, _now(), key),
            )

    def set_status(self, key: str, status: str, error: str | None = None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE posts SET status = ?, error = ?, updated_at = ? WHERE key = ?",
                       (status, error, _now(), key))

    def record_render(self, key: str, render: RenderRecord) -> None:
        """Store one render attempt and the post's new status together: rendered if the
        attempt succeeded and the post still has the content that was rendered, failed if
        it raised, left as it is if the post changed meanwhile."""
        with self.transaction() as db:
            row = db.execute("SELECT id, content_hash, status FROM posts WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise CatalogError(self.path, f"no post {key!r} in the catalogue")
            db.execute(
                "INSERT INTO renders (post, voice, content_hash, files, duration_s, bytes, sha256, loudness_lufs,"
                " wall_s, sentences, synthesized, error, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row["id"], render.voice, render.content_hash, json.dumps(render.files, sort_keys=True),
                 render.duration_s, render.bytes, render.sha256, render.loudness_lufs, render.wall_s,
                 render.sentences, render.synthesized, render.error, _now()),
            )
            if render.error is not None:
                status = "failed"
            elif row["content_hash"] == render.content_hash:
                status = "rendered"
            else:
                status = row["status"]
            db.execute(
                "UPDATE posts SET status = ?, error = ?, guid = COALESCE(?, guid), updated_at = ? WHERE id = ?",
                (status, render.error, render.guid, _now(), row["id"]),
            )

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(POST_STATUSES, 0)
        for status, n in self.db.execute("SELECT status, count(*) FROM posts GROUP BY status"):
            counts[status] = n
        return counts

    def latest_renders(self) -> list[tuple[PostRecord, RenderRecord]]:
        """Each post's latest successful render (for the audio hours produced)."""
        rows = self.db.execute(
            "SELECT p.*, r.voice AS r_voice, r.content_hash AS r_hash, r.files AS r_files, r.duration_s, r.bytes,"
            " r.sha256, r.loudness_lufs, r.wall_s, r.sentences, r.synthesized FROM posts p JOIN renders r"
            " ON r.id = (SELECT max(id) FROM renders WHERE post = p.id AND error IS NULL)"
        )
        return [(_post_from_row(r), RenderRecord(
            voice=r["r_voice"], content_hash=r["r_hash"], files=json.loads(r["r_files"] or "{}"),
            duration_s=r["duration_s"] or 0.0, bytes=r["bytes"] or 0, sha256=r["sha256"] or "",
            loudness_lufs=r["loudness_lufs"], wall_s=r["wall_s"] or 0.0, sentences=r["sentences"] or 0,
            synthesized=r["synthesized"] or 0, guid=r["guid"])) for r in rows]

    def failures(self, limit: int = 10) -> list[PostRecord]:
        """Failed posts, the most recent failure first."""
        rows = self.db.execute("SELECT * FROM posts WHERE status = 'failed' ORDER BY updated_at DESC, slug LIMIT ?",
                               (limit,))
        return [_post_from_row(r) for r in rows]

    def measured_rtf(self, voice: str) -> tuple[float, float] | None:
        """(wall seconds per audio second, audio seconds per word) over this voice's past
        successful renders that synthesized most of their sentences, or None."""
        row = self.db.execute(
            "SELECT sum(r.wall_s), sum(r.duration_s), sum(p.word_count) FROM renders r JOIN posts p ON p.id = r.post"
            " WHERE r.voice = ? AND r.error IS NULL AND r.duration_s > 0 AND r.sentences > 0"
            " AND r.synthesized * 2 >= r.sentences",
            (voice,),
        ).fetchone()
        if not row or not row[1] or not row[2]:
            return None
        return row[0] / row[1], row[1] / row[2]
