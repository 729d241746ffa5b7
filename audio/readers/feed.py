"""RSS and Atom feeds with full content (``content:encoded``): a file, or an http(s) URL
read whole within the fetch deadline, redirects included (to another host only when
asked). A feed that declares XML entities is refused: they are never expanded.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import PurePosixPath

from audio.errors import InputError
from audio.fetch import fetch
from audio.limits import ImportLimits
from audio.models import SourceItem
from audio.readers.base import Source
from audio.urls import SLUG_FILE_CHARS, checked_url, slugify

AUDIO_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".opus", ".wav", ".flac")
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


def _audio_enclosure(entry) -> str:
    """The URL of an entry's audio enclosure (an episode of its own: the entry is a podcast
    post), or "". An enclosure is audio by its type, or by its file name when it has no type."""
    for enclosure in entry.get("enclosures", []):
        href, kind = enclosure.get("href", ""), enclosure.get("type", "")
        audio = kind.startswith("audio/") if kind else PurePosixPath(href.split("?")[0]).suffix.lower() in AUDIO_SUFFIXES
        if audio and re.match(r"^https?://", href):
            return href
    return ""


def _feed_items(data: bytes, origin: str) -> Iterator[SourceItem]:
    import feedparser

    _refuse_entities(data, origin)
    # Not sanitised here: Substack marks footnotes, embeds and widgets with data- attributes
    # that the preparer reads; pandoc reads the HTML sandboxed, and the notes are sanitised.
    feed = feedparser.parse(data, sanitize_html=False)
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
        audio = _audio_enclosure(entry)
        front = {"title": entry.get("title", ""), "subtitle": entry.get("subtitle", "") or "", "date": date,
                 "type": "podcast" if audio else "newsletter", "audience": "everyone", "canonical_url": link,
                 "podcast_url": audio, "language": feed.feed.get("language", "")}  # the channel's <language>
        yield SourceItem(origin=where, slug_hint=slug, html=body, front=front)


def _fetch(url: str, limits: ImportLimits, follow_redirects: bool = False) -> bytes:
    """The feed at ``url``, read whole (``audio.fetch``)."""
    data = io.BytesIO()
    fetch(url, data, limits, follow_redirects)
    return data.getvalue()


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
