"""``audio-essay serve``: the site over HTTP the way podcast apps and players need it.

Starlette's ``StaticFiles`` already answers HEAD and single, open and suffix byte
ranges (206 + Content-Range, 416 when unsatisfiable), sends ETag and Last-Modified,
answers 304, lists no directories and refuses paths that resolve outside the folder
(``..``, ``%2e%2e``, absolute paths, symlinks leading out). This module adds the
podcast content types, CORS for web players and the site's Content-Security-Policy
(no inline script), and binds to loopback by default.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import NotModifiedResponse, StaticFiles

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


def make_app(site_dir) -> Starlette:
    """The ASGI app serving ``site_dir`` (which must exist)."""
    if not os.path.isdir(site_dir):
        raise ConfigError(site_dir, "no such site folder: run `audio-essay publish` first")
    return Starlette(routes=[Mount("/", app=SiteFiles(directory=site_dir, html=True))])


def run_server(site_dir, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve until interrupted."""
    import uvicorn

    # Podcast apps and players keep connections open between range requests: a short
    # keep-alive races their next request against the close.
    uvicorn.run(make_app(site_dir), host=host, port=port, log_level=log_level, server_header=False,
                timeout_keep_alive=60, backlog=2048)
