"""The RSS 2.0 podcast feed, built with feedgen.

feedgen writes the RSS core (title, link, guid, enclosure, pubDate, description,
content:encoded, atom:link). Every itunes: and podcast: tag goes through one small
custom extension (``TagsExtension``) so values feedgen 1.0 refuses or mangles
(``itunes:explicit`` true/false, nested categories, podcast:* attributes) are written
exactly as Apple and Podcasting 2.0 require.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
NAMESPACES = {"itunes": ITUNES_NS, "podcast": PODCAST_NS}
MAX_DESCRIPTION_BYTES = 4000

# Site-relative file role -> (MIME type, podcast:transcript rel or None); order = feed order.
TRANSCRIPT_ROLES = (("vtt", "text/vtt", "captions"), ("srt", "application/x-subrip", "captions"),
                    ("transcript", "application/json", None))
CHAPTERS_TYPE = "application/json+chapters"
# An episode's audio file suffix -> its enclosure type (as Apple lists them). Narrated episodes
# are MP3; a podcast post's own audio may be AAC in an M4A.
ENCLOSURE_TYPES = {".mp3": "audio/mpeg", ".m4a": "audio/x-m4a"}

# (prefixed name, attributes, text or child tags)
Tag = tuple[str, dict[str, str], "str | list[Tag] | None"]


@dataclass(frozen=True)
class FeedChannel:
    """Everything the channel says about the show."""

    title: str
    link: str
    description: str
    language: str
    self_url: str
    image_url: str
    category: str
    subcategory: str
    explicit: bool
    author: str
    copyright: str
    podcast_guid: str
    locked: bool
    owner_email: str = ""
    owner_name: str = ""
    funding_url: str = ""
    funding_label: str = ""
    new_feed_url: str = ""
    block: bool = False  # private feeds: keep them out of directories
    last_build: datetime | None = None


@dataclass(frozen=True)
class FeedItem:
    """One episode as the feed (and the site) present it."""

    title: str
    guid: str
    link: str  # the post
    date: datetime  # timezone-aware
    duration_s: int
    author: str
    audio_url: str
    audio_bytes: int
    description: str  # plain text, at most MAX_DESCRIPTION_BYTES
    content_html: str  # full show notes + footer
    transcript_urls: dict[str, str] = field(default_factory=dict)  # role -> URL
    chapters_url: str = ""
    language: str = ""
    explicit: bool = False
    episode_type: str = "full"  # full, trailer or bonus
    season: int | None = None
    episode: int | None = None
    page_url: str = ""  # the episode's page on the site ("" in a private feed)
    audio_type: str = ENCLOSURE_TYPES[".mp3"]


class TagsExtension(BaseExtension):
    """Appends pre-built itunes:/podcast: tags to the channel."""

    def __init__(self):
        self.tags: list[Tag] = []

    def extend_ns(self):
        return dict(NAMESPACES)

    def extend_rss(self, feed):
        _append(feed[0], self.tags)
        return feed


class TagsEntryExtension(BaseEntryExtension):
    """Appends pre-built itunes:/podcast: tags to an item."""

    def __init__(self):
        self.tags: list[Tag] = []

    def extend_rss(self, entry):
        _append(entry, self.tags)
        return entry


def _append(parent, tags: list[Tag]) -> None:
    for name, attrs, text in tags:
        element = xml_elem(_qualified(name), parent, **attrs)
        if isinstance(text, list):
            _append(element, text)
        elif text is not None:
            element.text = text


@lru_cache(maxsize=64)
def _qualified(name: str) -> str:
    """``itunes:title`` as lxml names it: ``{http://www.itunes.com/dtds/podcast-1.0.dtd}title``."""
    prefix, local = name.split(":")
    return f"{{{NAMESPACES[prefix]}}}{local}"


def _explicit(value: bool) -> str:
    return "true" if value else "false"


def channel_tags(channel: FeedChannel) -> list[Tag]:
    tags: list[Tag] = [("itunes:image", {"href": channel.image_url}, None)]
    sub: list[Tag] = [("itunes:category", {"text": channel.subcategory}, None)] if channel.subcategory else []
    tags.append(("itunes:category", {"text": channel.category}, sub or None))
    if channel.author:
        tags.append(("itunes:author", {}, channel.author))
    owner = [(f"itunes:{key}", {}, value) for key, value in (("name", channel.owner_name),
                                                             ("email", channel.owner_email)) if value]
    if owner:
        tags.append(("itunes:owner", {}, owner))
    tags.append(("itunes:explicit", {}, _explicit(channel.explicit)))
    tags.append(("itunes:type", {}, "episodic"))
    tags.append(("itunes:summary", {}, channel.description))
    if channel.new_feed_url:
        tags.append(("itunes:new-feed-url", {}, channel.new_feed_url))
    if channel.block:
        tags.append(("itunes:block", {}, "Yes"))
    tags.append(("podcast:guid", {}, channel.podcast_guid))
    locked = {"owner": channel.owner_email} if channel.owner_email else {}
    tags.append(("podcast:locked", locked, "yes" if channel.locked else "no"))
    if channel.funding_url:
        tags.append(("podcast:funding", {"url": channel.funding_url}, channel.funding_label[:128]))
    return tags


def item_tags(item: FeedItem) -> list[Tag]:
    tags: list[Tag] = [
        ("itunes:title", {}, item.title),
        ("itunes:duration", {}, str(item.duration_s)),
        ("itunes:episodeType", {}, item.episode_type),
        ("itunes:explicit", {}, _explicit(item.explicit)),
    ]
    tags += [(f"itunes:{key}", {}, str(number)) for key, number in (("season", item.season),
                                                                     ("episode", item.episode)) if number is not None]
    for role, mime, rel in TRANSCRIPT_ROLES:
        if role in item.transcript_urls:
            attrs = {"url": item.transcript_urls[role], "type": mime}
            if item.language:
                attrs["language"] = item.language
            if rel:
                attrs["rel"] = rel
            tags.append(("podcast:transcript", attrs, None))
    if item.chapters_url:
        tags.append(("podcast:chapters", {"url": item.chapters_url, "type": CHAPTERS_TYPE}, None))
    if item.author:
        tags.append(("podcast:person", {"group": "writing", "role": "author"}, item.author[:128]))
    return tags


def build_feed(channel: FeedChannel, items: list[FeedItem]) -> bytes:
    """The feed XML (UTF-8), items in the given order (the caller sorts newest first)."""
    fg = FeedGenerator()
    fg.register_extension("tags", TagsExtension, TagsEntryExtension)
    fg.title(channel.title)
    fg.link(href=channel.self_url, rel="self", type="application/rss+xml")
    fg.link(href=channel.link, rel="alternate")  # the last link is RSS <link>
    fg.docs("https://www.rssboard.org/rss-specification")
    fg.description(channel.description)
    fg.language(channel.language)
    fg.image(url=channel.image_url, title=channel.title, link=channel.link)
    if channel.copyright:
        fg.copyright(channel.copyright)
    fg.tags.tags = channel_tags(channel)
    fg.generator("audio-essay")
    # feedgen stamps lastBuildDate with "now"; the newest episode's date keeps rebuilds identical.
    fg.lastBuildDate(channel.last_build or datetime.fromisoformat("1970-01-01T00:00:00+00:00"))
    for item in items:
        entry = fg.add_entry(order="append")
        entry.title(item.title)
        entry.guid(item.guid, permalink=False)
        entry.link(href=item.link)
        entry.pubDate(item.date)
        entry.enclosure(item.audio_url, str(item.audio_bytes), item.audio_type)
        entry.description(item.description)
        entry.content(item.content_html, type="CDATA")
        entry.tags.tags = item_tags(item)
    return fg.rss_str(pretty=True)


# Show notes arrive sanitised by nh3 (well-formed, quoted attributes), so a few regular
# expressions turn them into text quickly enough for a 1,000-episode feed.
_DROP = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_LINK = re.compile(r"<a\b[^>]*?\bhref=\"(https?://[^\"]*)\"[^>]*>(.*?)</a\s*>", re.S | re.I)
_ITEM = re.compile(r"<li\b[^>]*>", re.I)
_LIST = re.compile(r"<(/?)(ol|ul|li)\b[^>]*>", re.IGNORECASE)
_BULLET = re.compile(r"^(?:\*|\d+\.)$")
_LEAD_URL = re.compile(r"https?://[^\s<]*\Z", re.IGNORECASE)
_BLOCK = re.compile(r"</?(?:p|div|h[1-6]|blockquote|ol|ul|tr|br|hr|figure|pre)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
# What an app rendering the description as HTML would take for a tag: a post's literal text
# "<a href=...>" (markup pandoc could not parse) becomes one once unescaped.
_TAG_LIKE = re.compile(r"</?[A-Za-z!][^<>]*>")


def notes_text(notes_html: str) -> str:
    """Show notes as plain text, links kept as ``text [url]`` (like seed 001's listing)."""
    text = _DROP.sub("", notes_html)
    text = _LINK.sub(lambda m: f"{m.group(2)} [{m.group(1)}]", text)
    text = _BLOCK.sub("\n\n", _items(text))
    lines: list[str] = []
    bullet = False  # the last line is a list item's bare marker ("*", "1.")
    for line in _TAG_LIKE.sub("", html.unescape(_TAG.sub("", text))).split("\n"):
        words = line.split()
        if not words:  # at most one blank line in a row, none after a marker
            if lines and lines[-1] and not bullet:
                lines.append("")
            continue
        line = " ".join(words)
        if bullet:  # <li><p>text</p></li>: the marker joins its text
            lines[-1] = f"{lines[-1]} {line}"
            bullet = False
            continue
        if lines and not lines[-1] and _BULLET.match(words[0]):
            lines.pop()  # list items on consecutive lines
        lines.append(line)
        bullet = _BULLET.match(line) is not None
    return "\n".join(lines).strip()


def lead_link_text(link: str, text: str) -> str | None:
    """``notes_text`` of a paragraph holding only a link to ``link`` (its text the URL),
    followed by notes whose ``notes_text`` is ``text``: the link's line, then the notes
    (None for a URL this does not cover: one not http(s), or with a space or a "<")."""
    if not _LEAD_URL.match(link):
        return None
    line = f"{link} [{link}]"
    if not text:
        return line
    return f"{line}\n{text}" if _BULLET.match(text.split(None, 1)[0]) else f"{line}\n\n{text}"


def _items(notes_html: str) -> str:
    """List items as lines starting "* ", or "1. ", "2. " in an ordered list."""
    if "<ol" not in notes_html and "<OL" not in notes_html:
        return _ITEM.sub("\n* ", notes_html)
    counters: list[int | None] = []  # one per open list: the last number, or None for a bullet list

    def mark(m: re.Match[str]) -> str:
        closing, tag = m.group(1), m.group(2).lower()
        if tag != "li":
            if closing:
                if counters:
                    counters.pop()
            else:
                counters.append(0 if tag == "ol" else None)
            return m.group(0)
        if closing:
            return m.group(0)
        if counters and counters[-1] is not None:
            counters[-1] += 1
            return f"\n{counters[-1]}. "
        return "\n* "

    return _LIST.sub(mark, notes_html)


def truncate_bytes(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` UTF-8 bytes, marked with an ellipsis."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    cut = data[: limit - len("…".encode())].decode("utf-8", errors="ignore")
    cut = cut[: cut.rfind(" ")] if " " in cut else cut
    return cut.rstrip() + "…"


def item_description(notes_html: str, footer: str) -> str:
    """The plain-text description: the notes, shortened to fit, then the footer."""
    return text_description(notes_text(notes_html), footer)


def text_description(text: str, footer: str) -> str:
    """``item_description`` of notes already made plain text (``notes_text``)."""
    footer = footer.strip()
    room = MAX_DESCRIPTION_BYTES - len(footer.encode("utf-8")) - 2
    body = truncate_bytes(text, max(room, 0)) if room > 0 else ""
    return truncate_bytes(f"{body}\n\n{footer}".strip(), MAX_DESCRIPTION_BYTES)
