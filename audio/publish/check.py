"""``audio-essay check``: our offline podcast-feed lint.

It enforces what ``publish`` promises and what Apple Podcasts and Podcasting 2.0
require (see ../shared/reference/podcast-feed-requirements.md): one line per
violation, naming the feed, the item and the rule. The site's pages are checked for
what its Content-Security-Policy and its readers need: no inline script, and links
that are the site's own files or http(s).
"""

from __future__ import annotations

import json
import re
import uuid
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree
from mutagen import MutagenError
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from audio.publish.artwork import artwork_problems
from audio.publish.feed import CHAPTERS_TYPE, ENCLOSURE_TYPES, ITUNES_NS, MAX_DESCRIPTION_BYTES, PODCAST_NS
from audio.publish.identity import placeholder_guids, url_kind
from audio.show import APPLE_CATEGORIES
from audio.urls import url_problem, web_url

ATOM_NS = "http://www.w3.org/2005/Atom"
NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": ATOM_NS}
TRANSCRIPT_TYPES = {"text/vtt", "application/x-subrip", "application/json", "text/html", "text/plain"}
DURATION_TOLERANCE_S = 1.0
_SRT_TIME = re.compile(r"^\d{2}:\d{2}:\d{2},\d{3} --> \d{2}:\d{2}:\d{2},\d{3}")
_VTT_TIME = re.compile(r"^(\d{2}:)?\d{2}:\d{2}\.\d{3} --> (\d{2}:)?\d{2}:\d{2}\.\d{3}")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "cite", "data")
# How to fix a channel tag that is missing or empty: the show.toml key that fills it.
CHANNEL_FIXES = {
    "title": "set [show] title in show.toml",
    "language": "set [show] language in show.toml",
    "itunes:author": "set [show] author in show.toml",
    "description": "set [show] description in show.toml",
}
PREVIEW_HINT = "or check --preview for a local preview"


def _q(tag: str) -> str:
    prefix, local = tag.split(":")
    return f"{{{NS[prefix]}}}{local}"


class _Lint:
    def __init__(self, site: Path, feed: Path, preview: bool = False):
        self.preview = preview  # a local preview: loopback http URLs, no GUID fixed
        self.site = site
        self.name = feed.relative_to(site).as_posix()
        self.feed = feed
        self.root_url = ""
        self.lines: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.lines.append(f"{self.name}: {where}: {problem}")

    def local(self, where: str, url: str) -> Path | None:
        """The site file a URL names, or None (reported) when it is not in the site."""
        if not self.root_url:  # no usable self link (reported once): files cannot be located
            return None
        if not url.startswith(self.root_url):
            self.add(where, f"{url} is not under the site URL {self.root_url}")
            return None
        relative = unquote(url[len(self.root_url):])
        path = (self.site / relative).resolve()
        if not path.is_relative_to(self.site.resolve()) or not path.is_file():
            self.add(where, f"{url}: no such file in the site ({relative})")
            return None
        return path

    def text(self, parent, tag: str, where: str, required: bool = True) -> str:
        element = parent.find(_q(tag) if ":" in tag else tag)
        if element is None or not (element.text or "").strip():
            if required:
                fix = CHANNEL_FIXES.get(tag) if where == "channel" else None
                self.add(where, f"missing <{tag}>" + (f": {fix}" if fix else ""))
            return ""
        return element.text.strip()

    def urls(self, tree) -> None:
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            values = [v for k, v in element.attrib.items() if k in ("url", "href")]
            text = (element.text or "").strip()
            if text and (element.tag == "link" or re.match(r"^[a-z]+://\S+$", text)):
                values.append(text)
            if etree.QName(element).localname in ("description", "encoded") and "<" in text:
                for link in _html_links(text):
                    if web_url(link) is None:
                        self.add(f"<{etree.QName(element).localname}>", f"link {link!r} is not an http(s) URL")
            parent = element.getparent()
            post_link = element.tag == "link" and parent is not None and parent.tag == "item"
            for value in values:
                problem = url_problem(value)
                if problem == "not https" and (self.preview or url_kind(value) == "loopback" or post_link):
                    continue  # a preview's loopback http; a public build's loopback is reported once; an
                    # item's <link> is the post on the newsletter's own site, which apps only open
                if problem:
                    self.add(f"<{etree.QName(element).localname}>", f"URL {value!r} is {problem}")
                if "/private/" in value and not self.name.startswith("private/"):
                    self.add(f"<{etree.QName(element).localname}>", f"public feed links to a private file: {value}")

    def run(self) -> list[str]:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        try:
            tree = etree.parse(str(self.feed), parser)
        except (OSError, etree.XMLSyntaxError) as exc:
            self.add("feed", f"not well-formed XML ({exc})")
            return self.lines
        rss = tree.getroot()
        if rss.tag != "rss" or rss.get("version") != "2.0":
            self.add("feed", "root element is not <rss version=\"2.0\">")
        channel = rss.find("channel")
        if channel is None:
            self.add("feed", "missing <channel>")
            return self.lines
        self.channel(channel)
        self.urls(tree)
        self.items(channel)
        return self.lines

    def channel(self, channel) -> None:
        where = "channel"
        for tag in ("title", "link", "language", "itunes:author"):
            self.text(channel, tag, where)
        language = self.text(channel, "language", where, required=False)
        if language and not re.match(r"^[a-z]{2,3}(-[A-Za-z]{2,8})?$", language):
            self.add(where, f"language {language!r} is not an ISO 639 code such as en-us")
        self.description(channel, where)
        self_link = next((e for e in channel.findall(_q("atom:link")) if e.get("rel") == "self"), None)
        if self_link is None or not self_link.get("href"):
            self.add(where, 'missing <atom:link rel="self">')
        else:
            if self_link.get("type") != "application/rss+xml":
                self.add(where, 'atom:link rel="self" must have type="application/rss+xml"')
            href = self_link.get("href")
            if href.endswith(self.name):
                self.root_url = href[: -len(self.name)]
            else:
                self.add(where, f"atom:link self {href} does not end with the feed's path {self.name}")
        self.public_urls(channel, where)
        self.owner(channel, where)
        self.explicit(channel, where)
        kind = self.text(channel, "itunes:type", where, required=False)
        if kind and kind not in ("episodic", "serial"):
            self.add(where, f"itunes:type {kind!r} must be episodic or serial")
        self.category(channel, where)
        self.image(channel, where)
        guid = self.text(channel, "podcast:guid", where, required=False)
        if guid:
            try:
                if uuid.UUID(guid).version != 5:
                    self.add(where, f"podcast:guid {guid} is not a UUIDv5")
            except ValueError:
                self.add(where, f"podcast:guid {guid!r} is not a UUID")
            if not self.preview and guid in placeholder_guids(self.name):
                self.add(where, f"<podcast:guid> {guid} was derived from a placeholder feed URL: set [publish] "
                                "site_url in show.toml and publish again (the GUID is derived from the real URL)")
        locked = self.text(channel, "podcast:locked", where, required=False)
        if locked and locked not in ("yes", "no"):
            self.add(where, f"podcast:locked {locked!r} must be yes or no")
        for funding in channel.findall(_q("podcast:funding")):
            if len((funding.text or "").strip()) > 128:
                self.add(where, "podcast:funding label is longer than 128 characters")

    def public_urls(self, channel, where: str) -> None:
        """A public feed's own URLs and its posts' links are real ones (no placeholder, no loopback)."""
        if self.preview:
            return
        self_link = next((e for e in channel.findall(_q("atom:link")) if e.get("rel") == "self"), None)
        item_link = channel.find("item/link")
        for tag, url, key in (('<atom:link rel="self">', self_link.get("href", "") if self_link is not None else "",
                               "[publish] site_url (or feed_url)"),
                              ("<item>/<link>", item_link.text or "" if item_link is not None else "",
                               "[show] base_url (or the posts' canonical_url)")):
            kind = url and url_kind(url)
            if kind:
                self.add(where, f"{tag} {url} is a {kind} URL in a public feed: set {key} in show.toml and "
                                f"publish again, {PREVIEW_HINT}")

    def owner(self, channel, where: str) -> None:
        email = channel.find(f"{_q('itunes:owner')}/{_q('itunes:email')}")
        if email is None or not (email.text or "").strip():
            self.add(where, "missing <itunes:owner>/<itunes:email>: set [publish] owner_email in show.toml "
                            "(directories send their ownership check there)")

    def description(self, parent, where: str) -> None:
        text = self.text(parent, "description", where)
        if where == "channel" and text and text == self.text(parent, "title", where, required=False):
            self.add(where, f"<description> only repeats the title: {CHANNEL_FIXES['description']}")
        if len(text.encode("utf-8")) > MAX_DESCRIPTION_BYTES:
            self.add(where, f"description is {len(text.encode('utf-8'))} bytes (at most {MAX_DESCRIPTION_BYTES})")

    def explicit(self, parent, where: str) -> None:
        value = self.text(parent, "itunes:explicit", where)
        if value and value not in ("true", "false"):
            self.add(where, f"itunes:explicit {value!r} must be true or false")

    def category(self, channel, where: str) -> None:
        categories = channel.findall(_q("itunes:category"))
        if not categories:
            self.add(where, "missing <itunes:category>")
        for cat in categories:
            name = cat.get("text", "")
            if name not in APPLE_CATEGORIES:
                self.add(where, f"itunes:category {name!r} is not an Apple Podcasts category")
                continue
            for sub in cat.findall(_q("itunes:category")):
                if sub.get("text") not in APPLE_CATEGORIES[name]:
                    self.add(where, f"itunes:category {sub.get('text')!r} is not a subcategory of {name!r}")

    def image(self, channel, where: str) -> None:
        image = channel.find(_q("itunes:image"))
        href = image.get("href", "") if image is not None else ""
        if not href:
            self.add(where, "missing <itunes:image href>")
            return
        if not href.lower().endswith((".jpg", ".jpeg", ".png")):
            self.add(where, f"itunes:image {href} must end in .jpg or .png")
        path = self.local(where, href)
        if path is not None:
            for problem in artwork_problems(path):
                self.add(where, f"artwork {path.name}: {problem}")

    def items(self, channel) -> None:
        guids: set[str] = set()
        enclosures: set[str] = set()
        previous = None
        if channel.find("item") is None:
            self.add("channel", "no <item>: directories refuse a feed without episodes; render a post and publish again")
        for n, item in enumerate(channel.findall("item"), start=1):
            title = self.text(item, "title", f"item {n}")
            where = f"item {n} ({title or 'untitled'})"
            guid = item.find("guid")
            if guid is None or not (guid.text or "").strip():
                self.add(where, "missing <guid>")
            else:
                if guid.get("isPermaLink") != "false":
                    self.add(where, 'guid must have isPermaLink="false"')
                if guid.text in guids:
                    self.add(where, f"duplicate guid {guid.text}")
                guids.add(guid.text)
            date = self.pub_date(item, where)
            if date and previous and date > previous:
                self.add(where, "items are not newest first")
            previous = date or previous
            self.description(item, where)
            self.explicit(item, where)
            kind = self.text(item, "itunes:episodeType", where)
            if kind and kind not in ("full", "trailer", "bonus"):
                self.add(where, f"itunes:episodeType {kind!r} must be full, trailer or bonus")
            duration = self.enclosure(item, where, enclosures)
            self.transcripts(item, where)
            self.chapters(item, where, duration)
            for person in item.findall(_q("podcast:person")):
                if len((person.text or "").strip()) > 128:
                    self.add(where, "podcast:person name is longer than 128 characters")

    def pub_date(self, item, where: str):
        text = self.text(item, "pubDate", where)
        if not text:
            return None
        try:
            date = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            self.add(where, f"pubDate {text!r} is not an RFC 2822 date")
            return None
        if date.tzinfo is None:
            self.add(where, f"pubDate {text!r} has no time zone")
            return None
        return date

    def enclosure(self, item, where: str, seen: set[str]) -> float | None:
        """Check the enclosure and itunes:duration; the audio's real length, if known."""
        enclosure = item.find("enclosure")
        duration_text = self.text(item, "itunes:duration", where)
        if duration_text and not duration_text.isdigit():
            self.add(where, f"itunes:duration {duration_text!r} must be whole seconds")
        if enclosure is None:
            self.add(where, "missing <enclosure>")
            return None
        url, length, kind = enclosure.get("url", ""), enclosure.get("length", ""), enclosure.get("type", "")
        if url in seen:
            self.add(where, f"duplicate enclosure URL {url}")
        seen.add(url)
        expected = ENCLOSURE_TYPES.get(Path(unquote(urlsplit(url).path)).suffix.lower(), ENCLOSURE_TYPES[".mp3"])
        if kind != expected:
            self.add(where, f"enclosure type {kind!r} must be {expected}")
        path = self.local(where, url) if url else None
        if not url:
            self.add(where, "enclosure has no url")
        if not length.isdigit():
            self.add(where, f"enclosure length {length!r} is not a byte count")
        elif path is not None and int(length) != path.stat().st_size:
            self.add(where, f"enclosure length {length} != file size {path.stat().st_size}")
        if path is None:
            return None
        reader, label = (MP4, "M4A") if expected == ENCLOSURE_TYPES[".m4a"] else (MP3, "MP3")
        try:
            real = reader(path).info.length
        except (MutagenError, OSError) as exc:
            self.add(where, f"enclosure {path.name} is not readable {label} audio ({exc})")
            return None
        if duration_text.isdigit() and abs(int(duration_text) - real) > DURATION_TOLERANCE_S:
            self.add(where, f"itunes:duration {duration_text} s differs from the audio's {real:.1f} s by more than 1 s")
        return real

    def transcripts(self, item, where: str) -> None:
        """Optional (a podcast post's own audio comes without one); each one given must be right."""
        for element in item.findall(_q("podcast:transcript")):
            kind, url = element.get("type", ""), element.get("url", "")
            if kind not in TRANSCRIPT_TYPES:
                self.add(where, f"podcast:transcript type {kind!r} is not one of {', '.join(sorted(TRANSCRIPT_TYPES))}")
            path = self.local(where, url) if url else None
            if not url:
                self.add(where, "podcast:transcript has no url")
            if path is not None:
                problem = _transcript_problem(path, kind)
                if problem:
                    self.add(where, f"transcript {path.name}: {problem}")

    def chapters(self, item, where: str, duration: float | None) -> None:
        element = item.find(_q("podcast:chapters"))
        if element is None:  # optional, as transcripts are
            return
        if element.get("type") != CHAPTERS_TYPE:
            self.add(where, f"podcast:chapters type must be {CHAPTERS_TYPE}")
        path = self.local(where, element.get("url", ""))
        if path is None:
            return
        for problem in chapter_problems(path, duration):
            self.add(where, f"chapters {path.name}: {problem}")


def _transcript_problem(path: Path, kind: str) -> str | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return f"not readable UTF-8 text ({exc})"
    lines = text.splitlines()
    if kind == "text/vtt":
        if not lines or not lines[0].startswith("WEBVTT"):
            return "does not start with WEBVTT"
        if not any(_VTT_TIME.match(line) for line in lines):
            return "has no cues"
    elif kind == "application/x-subrip":
        blocks = [b.strip().splitlines() for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
        if not blocks:
            return "has no cues"
        for block in blocks:
            if len(block) < 2 or not block[0].strip().isdigit() or not _SRT_TIME.match(block[1]):
                return f"bad SRT cue {block[0] if block else ''!r}"
    elif kind == "application/json":
        try:
            segments = json.loads(text)["segments"]
            for s in segments:
                float(s["startTime"]), float(s["endTime"]), str(s["body"])
        except (ValueError, KeyError, TypeError) as exc:
            return f"not a JSON transcript with segments ({exc!r})"
    return None


def chapter_problems(path: Path, duration: float | None) -> list[str]:
    """Why a JSON Chapters file is invalid: parse, version, ascending start times below the duration."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        chapters = record["chapters"]
        starts = [float(c["startTime"]) for c in chapters]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"not JSON chapters ({exc!r})"]
    problems = []
    if not str(record.get("version", "")).startswith("1."):
        problems.append(f"version {record.get('version')!r} is not 1.x")
    for a, b in zip(starts, starts[1:]):
        if b <= a:
            problems.append(f"start times not ascending ({a} then {b})")
    if duration is not None:
        for start in starts:
            if start < 0 or start >= duration:
                problems.append(f"start time {start} is outside the audio (0-{duration:.1f} s)")
    return problems


def _html_links(html: str) -> list[str]:
    """The URLs an HTML fragment links to."""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except etree.ParserError:
        return []
    return [value for element in root.iter() if isinstance(element.tag, str)
            for key, value in element.attrib.items() if key in URL_ATTRIBUTES]


def _site_link_problem(url: str) -> str | None:
    """Why a page may not link to ``url`` (None: a file of the site, or an http(s) URL)."""
    try:
        scheme = urlsplit(url.strip()).scheme
    except ValueError:
        return "not a URL"
    return "not an http(s) URL" if scheme and web_url(url) is None else None


def page_problems(site: Path) -> list[str]:
    """Every page's inline script (the site's CSP refuses it) and links to anything but
    the site's own files and http(s) URLs (``javascript:``, ``data:``...)."""
    lines = []
    for path in sorted(site.rglob("*.html")):
        name = path.relative_to(site).as_posix()
        try:
            page = lxml.html.fromstring(path.read_bytes())
        except (OSError, etree.ParserError) as exc:
            lines.append(f"{name}: not readable HTML ({exc})")
            continue
        for element in page.iter():
            if not isinstance(element.tag, str):
                continue
            if element.tag == "script" and (element.get("src") is None or (element.text or "").strip()):
                lines.append(f"{name}: inline <script> (the Content-Security-Policy refuses it)")
            for key, value in element.attrib.items():
                if key.lower().startswith("on"):
                    lines.append(f"{name}: <{element.tag} {key}>: inline script (the Content-Security-Policy refuses it)")
                elif key in URL_ATTRIBUTES and (problem := _site_link_problem(value)):
                    lines.append(f"{name}: <{element.tag} {key}>: {value!r} is {problem}")
    return lines


def check_site(site: Path, preview: bool = False) -> list[str]:
    """Every violation in the site's feeds (feed.xml and any private feeds) and pages; a
    ``preview`` (``publish --preview``) may use loopback http and has no GUID fixed."""
    site = Path(site)
    feed = site / "feed.xml"
    if not feed.is_file():
        return [f"{site}: no feed.xml (not a published site)"]
    lines = []
    for path in [feed, *sorted(site.glob("private/*/feed.xml"))]:
        lines.extend(_Lint(site, path, preview).run())
    return lines + page_problems(site)
