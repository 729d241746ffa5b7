"""RSS and Atom feeds with full content (``content:encoded``): a file, or an http(s) URL
read whole within the fetch deadline, redirects included (to another host only when
asked). A feed that declares XML entities is refused: they are never expanded.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import PurePosixPath

from audio import __version__
from audio.errors import InputError
from audio.limits import ImportLimits
from audio.models import SourceItem
from audio.readers.base import Source
from audio.urls import SLUG_FILE_CHARS, checked_url, slugify

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
# A feed file: an optional BOM, then XML declaration, comments and a DOCTYPE (with or without an
# internal subset) in any order, then the root element. Possessive, so a long prolog never backtracks.
FEED_START = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s|<\?[^>]*>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*+"
                        rb"<(?:rss|feed|rdf:RDF)\b", re.S)


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


def _feed_items(data: bytes, origin: str) -> Iterator[SourceItem]:
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
            yield SourceItem(origin=where, problem="no full content (content:encoded); only a summary")
            continue
        parsed = entry.get("published_parsed") or entry.get("updated_parsed")
        date = datetime(*parsed[:6], tzinfo=timezone.utc).isoformat() if parsed else ""
        path_slug = PurePosixPath(link.split("?")[0].rstrip("/")).name if link else ""
        slug = slugify(path_slug, SLUG_FILE_CHARS) or slugify(entry.get("title", ""), SLUG_FILE_CHARS) or f"entry-{i}"
        front = {"title": entry.get("title", ""), "subtitle": entry.get("subtitle", "") or "", "date": date,
                 "type": "newsletter", "audience": "everyone", "canonical_url": link}
        yield SourceItem(origin=where, slug_hint=slug, html=body, front=front)


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


class FeedReader:
    name = "feed"
    layouts = ("an RSS or Atom feed file", "an http(s) URL of one")
    precedence = 10

    def recognises(self, source: Source) -> bool:
        if source.is_url:
            return True
        return not source.path.is_dir() and FEED_START.match(source.data) is not None

    def items(self, source: Source) -> Iterator[SourceItem]:
        data = _fetch(source.text, source.limits, source.follow_redirects) if source.is_url else source.data
        return _feed_items(data, source.text)
