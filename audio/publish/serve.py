"""``audio-essay serve``: the site over HTTP the way podcast apps and players need it.

Starlette's ``StaticFiles`` already answers HEAD and single, open and suffix byte
ranges (206 + Content-Range, 416 when unsatisfiable), sends ETag and Last-Modified,
answers 304, lists no directories and refuses paths that resolve outside the folder
(``..``, ``%2e%2e``, absolute paths, symlinks leading out). This module adds the
podcast content types, CORS for web players and the site's Content-Security-Policy
(no inline script), ignores a Range header it cannot use (RFC 9110), binds to loopback by
default, and bounds what one client can hold: see ``ServeLimits``.
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from audio.errors import ConfigError
from audio.publish.site import CONTENT_SECURITY_POLICY

# Suffix -> content type; longest suffix first so ".chapters.json" beats ".json".
CONTENT_TYPES = (
    (".chapters.json", "application/json+chapters"),
    (".transcript.json", "application/json"),
    (".json", "application/json"),
    (".mp3", "audio/mpeg"),
    (".xml", "application/rss+xml; charset=utf-8"),
    (".vtt", "text/vtt; charset=utf-8"),
    (".srt", "application/x-subrip; charset=utf-8"),
    (".html", "text/html; charset=utf-8"),
    (".css", "text/css; charset=utf-8"),
    (".js", "text/javascript; charset=utf-8"),
    (".png", "image/png"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
)
# Web players fetch these from other origins.
CORS_SUFFIXES = (".json", ".vtt", ".srt", ".xml", ".mp3")


def content_type(name: str) -> str:
    lower = name.lower()
    return next((kind for suffix, kind in CONTENT_TYPES if lower.endswith(suffix)), "application/octet-stream")


class SiteFiles(StaticFiles):
    """StaticFiles with podcast content types and CORS on transcripts, chapters, feed and audio."""

    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if isinstance(response, NotModifiedResponse):
            return response
        name = os.fspath(full_path)
        response.media_type = content_type(name)
        response.headers["content-type"] = response.media_type
        if name.lower().endswith(CORS_SUFFIXES):
            response.headers["access-control-allow-origin"] = "*"
            response.headers["access-control-expose-headers"] = "Content-Length, Content-Range, ETag"
        response.headers.setdefault("cache-control", "public, max-age=300")
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["content-security-policy"] = CONTENT_SECURITY_POLICY
        return response


_RANGE_SPEC = re.compile(r"(\d+)-(\d*)|-(\d+)")


def usable_range(value: str) -> bool:
    """A Range header as RFC 9110 (14.1.1) writes it: ``bytes=`` then comma-separated
    ``first-last``, ``first-`` or ``-suffix``, with last >= first."""
    unit, equals, specs = value.partition("=")
    parts = [part.strip() for part in specs.split(",") if part.strip()]
    if not equals or unit.strip().lower() != "bytes" or not parts:
        return False
    try:
        return all((m := _RANGE_SPEC.fullmatch(part)) is not None and not (m[2] and int(m[2]) < int(m[1]))
                   for part in parts)
    except ValueError:  # more digits than int() reads: no file is that big
        return False


class IgnoreInvalidRange:
    """RFC 9110 (14.2): a server ignores a Range header it cannot use and sends the whole file
    (200); Starlette answers 400. A valid range still gets 206, an unsatisfiable one 416."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(name == b"range" and not usable_range(value.decode("latin-1"))
                                           for name, value in scope["headers"]):
            scope = {**scope, "headers": [(name, value) for name, value in scope["headers"] if name != b"range"]}
        await self.app(scope, receive, send)


class MovedFeed:
    """A moved feed (``[publish] moved_to``): the old feed path answers 301 with the new URL,
    which podcast apps and directories follow, updating the subscription."""

    def __init__(self, app: ASGIApp, path: str, location: str):
        self.app, self.path, self.location = app, path, location

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            await RedirectResponse(self.location, status_code=301)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def make_app(site_dir, moved_to: str = "") -> Starlette:
    """The ASGI app serving ``site_dir`` (which must exist); with ``moved_to``, the feed
    answers 301 there."""
    if not os.path.isdir(site_dir):
        raise ConfigError(site_dir, "no such site folder: run `audio-essay publish` first")
    middleware = [Middleware(IgnoreInvalidRange)]
    if moved_to:
        middleware.append(Middleware(MovedFeed, path="/feed.xml", location=moved_to))
    return Starlette(routes=[Mount("/", app=SiteFiles(directory=site_dir, html=True))], middleware=middleware)


@dataclass(frozen=True)
class ServeLimits:
    """What one client may hold. A request's head (request line and headers) must arrive whole
    within ``header_seconds`` of the connection opening or of its first byte; a response the
    client stops reading is dropped after ``idle_seconds`` without progress; an idle connection
    between requests is closed after ``keep_alive_seconds`` (podcast apps and players keep
    connections open between range requests: a short keep-alive races their next request
    against the close). One address may hold ``per_client`` connections at once, and the
    server ``connections`` in all; more are answered 503."""

    header_seconds: float = 10.0
    idle_seconds: float = 60.0
    keep_alive_seconds: int = 60
    per_client: int = 32
    connections: int = 1024


_TOO_MANY = b"Too many connections from one address."
TOO_MANY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nretry-after: 5\r\nconnection: close\r\n\r\n%s" % (len(_TOO_MANY), _TOO_MANY))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the timeouts and the per-address cap it lacks: its keep-alive
    timer stops at a request's first byte, so a half-sent request stayed open for ever, and a
    client that stops reading held its response for ever."""

    def __init__(self, *args: Any, limits: ServeLimits, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._head_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None

    def _serving(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _await_head(self) -> None:
        if self._head_timer is None:  # not re-armed by later bytes: a trickle cannot extend it
            self._head_timer = self.loop.call_later(self.limits.header_seconds, self._head_timeout)

    def _head_timeout(self) -> None:
        self._head_timer = None
        if not self._serving():
            self.transport.close()

    @staticmethod
    def _cancel(timer: asyncio.TimerHandle | None) -> None:
        if timer is not None:
            timer.cancel()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else None
        if address is not None and sum(1 for c in self.connections
                                       if c.client and c.client[0] == address) > self.limits.per_client:
            transport.write(TOO_MANY)
            transport.close()
            return
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._serving():
            self._head_timer = self._cancel(self._head_timer)
        elif not self.transport.is_closing():
            self._await_head()  # a request (or an unread body) has begun

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self._serving() and self.conn.trailing_data[0]:
            self._await_head()  # part of the next request came in during this response

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.limits.idle_seconds, self.transport.abort)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._stall_timer = self._cancel(self._stall_timer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_timer = self._cancel(self._head_timer)
        self._stall_timer = self._cancel(self._stall_timer)
        super().connection_lost(exc)


def server_options(limits: ServeLimits = ServeLimits()) -> dict[str, Any]:
    """uvicorn settings for ``serve`` (also used by the tests' server)."""
    return {"http": functools.partial(GuardedH11Protocol, limits=limits), "ws": "none",
            "timeout_keep_alive": limits.keep_alive_seconds, "limit_concurrency": limits.connections,
            "server_header": False, "backlog": 2048}


def run_server(site_dir, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info",
               limits: ServeLimits = ServeLimits(), moved_to: str = "") -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.run(make_app(site_dir, moved_to), host=host, port=port, log_level=log_level, **server_options(limits))
