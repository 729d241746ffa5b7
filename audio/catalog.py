"""The show's catalogue: one SQLite file, the single source of truth for batch state.

Schema changes are named migrations, applied in order and recorded in the
``migrations`` table, so an old catalogue is upgraded in place. WAL mode lets a
reader (``status``, ``publish``) look while a batch writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from audio.errors import CatalogError

# (name, SQL). Never edit or reorder a migration that has shipped: add a new one.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_state",
        """
        CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE guids (post_key TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE);
        """,
    ),
]


class Catalog:
    """An open catalogue. Use as a context manager, or call ``close()``."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(self.path, f"cannot open the catalogue ({exc})") from exc

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self):
        """One atomic change: committed whole, or rolled back whole."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
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
            db.execute("INSERT OR IGNORE INTO state VALUES (?, ?)", (key, make()))
        return self.state(key)

    def guid_for(self, post_key: str, candidate: str) -> str:
        """The episode GUID of a post: ``candidate`` the first time, the stored one ever after,
        so a retitle, re-render or rebuild never changes it."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO guids VALUES (?, ?)", (post_key, candidate))
        return self.db.execute("SELECT guid FROM guids WHERE post_key = ?", (post_key,)).fetchone()[0]
