"""Reading an http(s) URL whole, within a total deadline (redirects included) and a size
limit: an import's feed URL, a podcast post's own audio. Redirects lead to http(s) URLs
only, and to another host only when asked.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import urllib.parse
from typing import BinaryIO

from audio import __version__
from audio.errors import InputError
from audio.limits import ImportLimits

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
CHUNK = 1 << 16
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"


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


def _get(url: str, deadline: _Deadline, max_bytes: int, out: BinaryIO, accept: str) -> tuple[int, str, str, int]:
    """One GET under ``deadline``: status, reason, Location, and how many bytes of a 200's body
    were written to ``out`` (at most ``max_bytes + 1``). The socket is watched before the TLS
    handshake, so that cannot trickle either."""
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
        conn.request("GET", target, headers={"User-Agent": f"audio-essay/{__version__}", "Accept": accept})
        response = conn.getresponse()
        size = 0
        while response.status == 200 and size <= max_bytes and (
                data := response.read(min(CHUNK, max_bytes + 1 - size))):
            out.write(data)
            size += len(data)
        return response.status, response.reason, response.getheader("Location", ""), size
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


def fetch(url: str, out: BinaryIO, limits: ImportLimits, follow_redirects: bool = False, noun: str = "feed",
          advice: str = "download it and import the file instead", accept: str = FEED_ACCEPT) -> int:
    """Write what ``url`` answers to ``out``, read whole within ``limits.fetch_seconds`` and
    ``limits.max_total_bytes`` (see ``_redirect``); returns its size. ``noun`` and ``advice``
    word the errors (an ``InputError`` naming the URL)."""
    current = url
    with _Deadline(limits.fetch_seconds) as deadline:
        try:
            for _ in range(MAX_REDIRECTS + 1):
                status, reason, location, size = _get(current, deadline, limits.max_total_bytes, out, accept)
                if status not in REDIRECTS or deadline.expired:
                    break
                current = _redirect(url, current, location, follow_redirects)
            else:
                raise InputError(url, f"cannot fetch the {noun} (more than {MAX_REDIRECTS} redirects)")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if not deadline.expired:
                why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise InputError(url, f"cannot fetch the {noun} ({why}); {advice}") from exc
        if deadline.expired:  # the read it cut short may have looked complete
            raise InputError(url, f"cannot fetch the {noun}: no complete answer within {limits.fetch_seconds:g} s; "
                             f"{advice}")
    if status != 200:
        raise InputError(url, f"cannot fetch the {noun} (HTTP {status} {reason}); {advice}")
    if size > limits.max_total_bytes:
        raise InputError(url, f"{noun} over the {limits.max_total_bytes}-byte limit")
    return size
