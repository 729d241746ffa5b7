"""URLs in the feed: absolute, https and ASCII-only (non-ASCII is percent-encoded)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

_SAFE = "/:@!$&'()*+,;=~%-._"


_PLAIN = re.compile(r"^[A-Za-z0-9/:@!$&'()*+,;=~%._?#-]*$")


def ascii_url(url: str) -> str:
    """``url`` with a punycode host and percent-encoded path, query and fragment."""
    if _PLAIN.match(url):  # nothing to encode (the common case)
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        host = host.encode("idna").decode("ascii")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    if parts.username:
        netloc = f"{quote(parts.username, safe='')}@{netloc}"
    return urlunsplit((
        parts.scheme,
        netloc,
        quote(parts.path, safe=_SAFE),
        quote(parts.query, safe=_SAFE + "?"),
        quote(parts.fragment, safe=_SAFE + "?"),
    ))


def site_join(root: str, relative: str) -> str:
    """The public URL of a site-relative path under ``root`` (the site's URL)."""
    return ascii_url(root.rstrip("/") + "/" + relative.lstrip("/"))


def url_problem(url: str) -> str | None:
    """Why ``url`` may not appear in a feed (None: it may)."""
    if not url.startswith("https://"):
        return "not https"
    try:
        url.encode("ascii")
    except UnicodeEncodeError:
        return "not ASCII"
    if any(c in url for c in ' "<>\\^`{|}'):
        return "contains characters that must be percent-encoded"
    return None
