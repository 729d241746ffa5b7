"""Private-feed subscribers: one secret feed URL each, ``private/<token>/feed.xml``.

As little personal data as possible is kept: a subscriber is a label, a random token and
the dates it was added and revoked. A name typed at ``add`` is kept as typed (the label);
an email address never is: its label is a masked form (``j…@example.com``) and it is kept
only as a keyed hash (HMAC-SHA256 under a random key of the show's), enough to recognise
the same address at the next import or ``revoke``, not to recover it. Nothing else from a
newsletter platform's export (names, plans, payment dates) is read past the row it is on.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from audio.catalog import SHARED_TOKEN_KEY, Catalog, Subscriber
from audio.errors import InputError
from audio.show import Show, is_email
from audio.urls import site_join

EMAIL_KEY = "subscribers.email_key"
FEED_FILE = "feed.xml"
# Header names (lower case) an export gives its email column.
EMAIL_COLUMNS = ("email", "email address", "e-mail", "email_address")
# Columns that say whether a row is a paying (or complimentary) subscriber, and the values
# that mean yes: Substack's active_subscription, Ghost's status, Buttondown's subscriber type.
PAID_COLUMNS = {
    "active_subscription": {"true", "yes", "1"},
    "status": {"paid", "comped", "gift", "active"},
    "subscriber_type": {"premium", "gifted", "trialed", "paid"},
}
# Columns whose non-empty value means the row is gone (deleted or unsubscribed members).
GONE_COLUMNS = ("deleted_at", "unsubscribed_at")


@dataclass(frozen=True)
class ImportReport:
    path: Path
    added: list[Subscriber]
    not_paying: int  # the CSV says they are free or lapsed subscribers
    known: int  # already a subscriber, or revoked before (never revived by an import)
    repeated: int  # the same address twice in the file
    no_email: int  # no usable email address on the row

    @property
    def skipped(self) -> int:
        return self.not_paying + self.known + self.repeated + self.no_email


def masked(email: str) -> str:
    """The label kept for an address: its first character and its domain (``j…@example.com``)."""
    local, _, domain = email.strip().rpartition("@")
    return f"{local[:1]}…@{domain.lower()}"


def email_hasher(catalog: Catalog) -> Callable[[str], str]:
    """The keyed hash of an address (trimmed, lower case) under the show's own random key."""
    key = bytes.fromhex(catalog.state_once(EMAIL_KEY, lambda: secrets.token_hex(32)))
    return lambda email: hmac.new(key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


def feed_url(show: Show, token: str) -> str:
    return site_join(show.publish.site_url, f"private/{token}/{FEED_FILE}")


def add_subscriber(show: Show, name_or_email: str) -> Subscriber:
    """A new subscriber: an email address is kept masked and hashed, any other text as typed."""
    text = " ".join(name_or_email.split())
    if not text:
        raise InputError(show.config_path, "a subscriber needs a name or an email address")
    with Catalog(show.catalog_path) as catalog:
        digest = email_hasher(catalog)(text) if is_email(text) else None
        added = catalog.add_subscribers([(masked(text) if digest else text, digest)])
        if not added:
            known = next(s for s in catalog.subscribers() if s.email_hash == digest)
            state = "was revoked" if known.revoked_at else "is already a subscriber"
            raise InputError(show.catalog_path, f"{known.label} {state} (id {known.id})")
    return added[0]


def list_subscribers(show: Show) -> list[Subscriber]:
    with Catalog(show.catalog_path, write=False) as catalog:
        return catalog.subscribers()


def revoke_subscriber(show: Show, key: str) -> Subscriber:
    """Revoke by id, token or email address: ``serve`` answers 410 at once, the next
    ``publish`` leaves the feed out."""
    with Catalog(show.catalog_path) as catalog:
        return catalog.revoke_subscriber(email_hasher(catalog)(key) if is_email(key) else key.strip())


def _rows(path: Path) -> Iterator[dict[str, str]]:
    """The CSV's rows keyed by lower-case header names; a file without an email column is refused."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [name.strip().lower() for name in next(reader, [])]
            if not any(name in EMAIL_COLUMNS for name in header):
                shown = ", ".join(h for h in header if h)[:200] or "nothing"
                raise InputError(path, f"no email column in this CSV (its header has: {shown})")
            for row in reader:
                yield dict(zip(header, (value.strip() for value in row), strict=False))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"not a readable CSV file ({exc})") from exc


def _paying(row: dict[str, str]) -> bool:
    if any(row.get(column) for column in GONE_COLUMNS):
        return False
    return all(row.get(column, "").lower() in values for column, values in PAID_COLUMNS.items() if column in row)


def import_subscribers(show: Show, path: str | Path) -> ImportReport:
    """Add every paying subscriber of a newsletter platform's CSV export (Substack, Ghost,
    Buttondown...: any CSV with an email column). Rows the CSV marks free, lapsed or deleted,
    addresses already known and rows without an address are counted and skipped. Safe to repeat."""
    path = Path(path)
    rows = list(_rows(path))
    email_column = next(name for name in EMAIL_COLUMNS if rows and name in rows[0]) if rows else ""
    not_paying = repeated = no_email = known = 0
    with Catalog(show.catalog_path) as catalog:
        hashes = {s.email_hash for s in catalog.subscribers()}
        email_hash = email_hasher(catalog)
        entries: dict[str, str] = {}
        for row in rows:
            email = row.get(email_column, "")
            if not is_email(email):
                no_email += 1
            elif not _paying(row):
                not_paying += 1
            elif (digest := email_hash(email)) in entries:
                repeated += 1
            elif digest in hashes:
                known += 1
            else:
                entries[digest] = masked(email)
        added = catalog.add_subscribers((label, digest) for digest, label in entries.items())
    return ImportReport(path, added, not_paying, known, repeated, no_email)


@dataclass(frozen=True)
class PrivateFeeds:
    """What a publish writes under private/: a feed per active subscriber, the paid files in
    ``files_key``'s folder."""

    tokens: tuple[str, ...]
    files_key: str
    shared_token: str  # the shared subscriber's, when active ("" otherwise)


def private_feeds(catalog: Catalog) -> PrivateFeeds | None:
    """The private feeds to publish; None when every subscriber is revoked."""
    catalog.open_private_feed()
    active = [s for s in catalog.subscribers() if s.active]
    if not active:
        return None
    shared = next((s.token for s in active if s.token == catalog.state(SHARED_TOKEN_KEY)), "")
    return PrivateFeeds(tuple(s.token for s in active), catalog.private_files_key(), shared)
