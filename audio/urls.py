"""Every URL the tool writes (feed, site, ID3 tags, show notes) passes here.

A post's URLs (its canonical URL, an imported item's link, the links in its notes) are
absolute http(s) or nothing: ``web_url`` resolves a relative one against a base and
refuses every other scheme (``javascript:``, ``data:``, ``mailto:``...) and anything
that is not a URL. Feed URLs are also ASCII-only (non-ASCII is percent-encoded).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

log = logging.getLogger(__name__)
WEB_SCHEMES = ("http", "https")

_SAFE = "/:@!$&'()*+,;=~%-._"


_PLAIN = re.compile(r"^[A-Za-z0-9/:@!$&'()*+,;=~%._?#-]*$")
_VISIBLE_ASCII = re.compile(r"[\x21-\x5b\x5d-\x7e]+")  # printable ASCII but the space and the backslash
# An absolute http(s) URL with a host of ASCII letters, digits, dots and hyphens (no user,
# no port) and the rest visible ASCII: what web_url accepts as it is, known without parsing.
_PLAIN_WEB_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#][\x21-\x5b\x5d-\x7e]*)?", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)  # pure; a feed repeats its site's and its notes' URLs
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
    if web_url(url) is None:
        return "not an absolute http(s) URL"
    if not url.startswith("https://"):
        return "not https"
    try:
        url.encode("ascii")
    except UnicodeEncodeError:
        return "not ASCII"
    if any(c in url for c in ' "<>\\^`{|}'):
        return "contains characters that must be percent-encoded"
    return None


def web_url(value: str, base: str = "") -> str | None:
    """``value`` as an absolute http(s) URL, a relative one resolved against ``base``
    (as a link in the page at ``base`` would); None when it is not one (any other scheme,
    no host, spaces)."""
    value = value.strip()
    if _PLAIN_WEB_URL.fullmatch(value):  # the common case: a link in the notes
        return value
    if not (_VISIBLE_ASCII.fullmatch(value) if value.isascii() else
            "\\" not in value and not any(c.isspace() or not c.isprintable() for c in value)):
        return None
    try:
        if base and not urlsplit(value).scheme:
            value = urljoin(base, value)
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return value


def checked_url(value: str, base: str, where: str, field: str, warn: Callable[[str], None] = log.warning) -> str:
    """``web_url(value, base)``, or "" with a warning naming the post (``where``) and the
    field when ``value`` is set but not an http(s) URL."""
    url = web_url(value, base)
    if url is None and value.strip():
        warn(f"{where}: {field} {value.strip()!r} is not an http(s) URL; dropped")
    return url or ""


SLUG_FILE_CHARS = 80  # a slug the importer makes from a title or a path, kept short for file names


def slugify(text: str, max_chars: int | None = None) -> str:
    """``text`` as a slug, the last part of a post's URL: lower case, every run of
    characters other than letters and digits one hyphen, none at either end; at most
    ``max_chars`` long when given (for a file name). May be empty."""
    slug = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in slug.split("-") if part)[:max_chars]


def post_url(base_url: str, slug: str) -> str:
    """A post's URL when it names none: ``<base_url>/p/<slug>`` (Substack's scheme)."""
    return f"{base_url.rstrip('/')}/p/{slug}"
