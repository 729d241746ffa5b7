"""``audio-essay serve``: the site over HTTP the way podcast apps and players need it.

Starlette's ``StaticFiles`` already answers HEAD and single, open and suffix byte
ranges (206 + Content-Range, 416 when unsatisfiable), sends ETag and Last-Modified,
lists no directories and refuses paths that resolve outside the folder (``..``,
``%2e%2e``, absolute paths, symlinks leading out). This module adds the podcast content
types, CORS for web players (and their OPTIONS preflight), the site's
Content-Security-Policy (no inline script), the conditional requests of RFC 9110 (412 for
a failed If-Match or If-Unmodified-Since; a 304 that keeps ETag, Cache-Control,
Last-Modified and Vary), gzip for text files, ``Cache-Control: private`` and live
revocation (410) for subscribers' private feeds; it ignores a Range header it cannot use
(RFC 9110), binds to loopback by default, and bounds what one client can hold: see
``ServeLimits``.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import os
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from audio.catalog import revoked_token
from audio.errors import CatalogError, ConfigError
from audio.publish.site import content_security_policy

# Suffix -> content type; longest suffix first so ".chapters.json" beats ".json".
CONTENT_TYPES = (
    (".chapters.json", "application/json+chapters"),
    (".transcript.json", "application/json"),
    (".json", "application/json"),
    (".mp3", "audio/mpeg"),
    (".m4a", "audio/mp4"),
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
CORS_SUFFIXES = (".json", ".vtt", ".srt", ".xml", ".mp3", ".m4a")
# Text worth compressing (never the audio or images: already compressed).
GZIP_SUFFIXES = (".xml", ".html", ".json", ".vtt", ".srt", ".css", ".js")
ALLOW = "GET, HEAD, OPTIONS"
PREFLIGHT_HEADERS = "Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range"
# What a 304 keeps of the 200 it stands for (RFC 9110 15.4.5, plus Last-Modified and CORS).
NOT_MODIFIED_HEADERS = ("etag", "cache-control", "last-modified", "vary", "expires", "content-location",
                        "access-control-allow-origin", "access-control-expose-headers")
PRIVATE = "private"


def content_type(name: str) -> str:
    lower = name.lower()
    return next((kind for suffix, kind in CONTENT_TYPES if lower.endswith(suffix)), "application/octet-stream")


def private_token(path: str) -> str | None:
    """The subscriber token of a site path under private/<token>/, else None."""
    parts = path.replace(os.sep, "/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == PRIVATE else None


def accepts_gzip(value: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (RFC 9110 12.5.3): named, or ``*``,
    with a q-value above 0."""
    weights = {}
    for part in value.split(","):
        coding, _, params = part.strip().partition(";")
        q = re.search(r"q\s*=\s*([0-9.]+)", params)
        try:
            weights[coding.strip().lower()] = float(q[1]) if q else 1.0
        except ValueError:
            weights[coding.strip().lower()] = 0.0
    weight = weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0)))
    return weight > 0


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


@functools.lru_cache(maxsize=64)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    """A file's gzip body, kept while the file is unchanged (podcast apps poll the feed)."""
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


def _modified_after(header: str | None, last_modified: str) -> bool | None:
    """Whether the file changed after the date in ``header`` (None: no usable date)."""
    try:
        return parsedate_to_datetime(last_modified) > parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        return None


class SiteFiles(StaticFiles):
    """StaticFiles with podcast content types, CORS on transcripts, chapters, feed and audio,
    RFC 9110 conditional requests, gzip for text, and private feeds: ``Cache-Control:
    private``, and 410 Gone for a revoked subscriber's token, asked of the catalogue on every
    request (so a revocation takes effect at once, before the next publish)."""

    def __init__(self, *, directory: str | os.PathLike[str], catalog_path: Path | None = None):
        super().__init__(directory=directory, html=True)
        self.catalog_path = catalog_path

    async def get_response(self, path: str, scope: Scope) -> Response:
        method = scope["method"]
        if method == "OPTIONS":
            return self.preflight(path)
        if method not in ("GET", "HEAD"):
            raise HTTPException(status_code=405, headers={"Allow": ALLOW})
        token = private_token(path)
        if token and self.catalog_path is not None:
            try:
                revoked = await anyio.to_thread.run_sync(revoked_token, self.catalog_path, token)
            except CatalogError:
                return PlainTextResponse("Cannot check this subscription now.", status_code=503,
                                         headers={"retry-after": "60", "cache-control": "no-store"})
            if revoked:
                return PlainTextResponse("This subscriber's feed has been revoked.", status_code=410,
                                         headers={"cache-control": "private, no-store"})
        return await super().get_response(path, scope)

    @staticmethod
    def preflight(path: str) -> Response:
        """OPTIONS: 204 with Allow, and the CORS answer a web player's preflight needs."""
        headers = {"allow": ALLOW}
        if path.lower().endswith(CORS_SUFFIXES):
            headers.update({"access-control-allow-origin": "*", "access-control-allow-methods": ALLOW,
                            "access-control-allow-headers": PREFLIGHT_HEADERS, "access-control-max-age": "86400"})
        return Response(status_code=204, headers=headers)

    def file_response(self, full_path, stat_result, scope, status_code: int = 200) -> Response:
        request = Headers(scope=scope)
        name = os.fspath(full_path)
        lower = name.lower()
        private = private_token(self.get_path(scope)) is not None
        headers = {"cache-control": "private, max-age=300" if private else "public, max-age=300",
                   "x-content-type-options": "nosniff", "content-security-policy": content_security_policy(
                       os.path.relpath(name, os.path.realpath(self.directory)).replace(os.sep, "/"))}
        if lower.endswith(CORS_SUFFIXES):
            headers["access-control-allow-origin"] = "*"
            headers["access-control-expose-headers"] = "Content-Length, Content-Range, ETag"
        compressible = lower.endswith(GZIP_SUFFIXES)
        if compressible:
            headers["vary"] = "Accept-Encoding"
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result, headers=headers,
                                media_type=content_type(name))
        identity = response.headers["etag"]
        variants = {identity, identity[:-1] + '-gzip"'}  # the gzip body is another representation (RFC 9110 8.8.3)
        gzipped = compressible and "range" not in request and accepts_gzip(request.get("accept-encoding", ""))
        if gzipped:
            response.headers["etag"] = identity[:-1] + '-gzip"'
        if self.precondition_failed(request, variants, response.headers["last-modified"]):
            return Response(status_code=412, headers={"etag": response.headers["etag"]})
        if self.not_modified(request, variants, response.headers["last-modified"]):
            return Response(status_code=304, headers={k: v for k, v in response.headers.items()
                                                      if k in NOT_MODIFIED_HEADERS})
        if not gzipped:
            return response
        body = _gzipped(name, stat_result.st_mtime_ns, stat_result.st_size)
        kept = {k: v for k, v in response.headers.items() if k not in ("content-length", "accept-ranges")}
        return Response(body, status_code=status_code, headers={**kept, "content-encoding": "gzip"})

    @staticmethod
    def precondition_failed(request: Headers, etags: set[str], last_modified: str) -> bool:
        """If-Match (strong comparison; ``*``: any current file), else If-Unmodified-Since."""
        if if_match := request.get("if-match"):
            return "*" not in _tags(if_match) and not etags.intersection(_tags(if_match))
        return bool(_modified_after(request.get("if-unmodified-since"), last_modified))

    @staticmethod
    def not_modified(request: Headers, etags: set[str], last_modified: str) -> bool:
        """If-None-Match (weak comparison), else If-Modified-Since."""
        if if_none_match := request.get("if-none-match"):
            tags = {tag.removeprefix("W/") for tag in _tags(if_none_match)}
            return "*" in tags or bool(etags & tags)
        return _modified_after(request.get("if-modified-since"), last_modified) is False


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


def make_app(site_dir, catalog_path: Path | None = None, moved_to: str = "") -> Starlette:
    """The ASGI app serving ``site_dir`` (which must exist); with the show's ``catalog_path``,
    a revoked subscriber's private feed answers 410 at once; with ``moved_to``, the feed
    answers 301 there."""
    if not os.path.isdir(site_dir):
        raise ConfigError(site_dir, "no such site folder: run `audio-essay publish` first")
    middleware = [Middleware(IgnoreInvalidRange)]
    if moved_to:
        middleware.append(Middleware(MovedFeed, path="/feed.xml", location=moved_to))
    files = SiteFiles(directory=site_dir, catalog_path=catalog_path)
    return Starlette(routes=[Mount("/", app=files)], middleware=middleware)


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
               limits: ServeLimits = ServeLimits(), catalog_path: Path | None = None, moved_to: str = "") -> None:
    """Serve until interrupted."""
    import uvicorn

    uvicorn.run(make_app(site_dir, catalog_path, moved_to), host=host, port=port, log_level=log_level,
                **server_options(limits))
