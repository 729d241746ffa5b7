"""The show's static HTML pages: an index, one page per episode and one small player per
episode that other sites may embed.

Tiny ``str.format`` pages with one style sheet and one script, shipped in
``static/`` and published beside the pages: nothing inline and nothing from another
host, so the site works offline and under ``CONTENT_SECURITY_POLICY``. The script makes
chapter and transcript entries and ``#t=1:23`` links seek the audio player, and marks
the transcript's sentence being spoken. Every page carries the artwork and Open Graph and
Twitter card tags (absolute URLs, made at publish time from the site's URL).
"""

from __future__ import annotations

import html
import mimetypes
import posixpath
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from urllib.parse import quote

from audio.models import Chapter
from audio.show import ListenOn
from audio.timecode import clock
from audio.urls import site_join

# The files every site gets (from static/), at its root.
ASSETS = ("site.css", "site.js")
# What the pages need: their own style sheet, script, artwork and audio. Served by
# ``audio-essay serve``; other hosts should send it too.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# The embeddable players live in this folder of the site; any site may frame them.
EMBED_DIR = "embed"
EMBED_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")
# The size the embedded player is announced at (twitter:player:width/height), in CSS pixels.
EMBED_WIDTH, EMBED_HEIGHT = 480, 160
# "Listen on" links: a [publish.listen_on] setting and what the link says.
LISTEN_ON_LABELS = (("apple", "Apple Podcasts"), ("spotify", "Spotify"), ("pocket_casts", "Pocket Casts"))
PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{root}{artwork}">
<link rel="stylesheet" href="{root}site.css">
{head}</head>
<body class="{kind}">
{body}
</body>
</html>
"""

INDEX_BODY = """<header>
<img class="artwork" src="{artwork}" alt="{show_title} artwork" width="160" height="160">
<div>
<h1>{show_title}</h1>
<p>{description}</p>
<p class="meta">By {author}</p>
</div>
</header>
<main>
<h2>Subscribe</h2>
{listen_on}
<p>Add this feed to your podcast app: <a href="{feed_url}"><code>{feed_url}</code></a></p>
<h2>Episodes</h2>
<ol class="episodes" reversed>
{episodes}
</ol>
</main>"""

INDEX_ITEM = """<li><a href="{href}">{title}</a> <span class="meta">{date} · {duration}</span></li>"""

EPISODE_BODY = """<header>
<img class="artwork" src="{artwork}" alt="{show_title} artwork" width="160" height="160">
<div>
<p class="show"><a href="../index.html">{show_title}</a></p>
<h1>{title}</h1>
<p class="meta">{date} · {duration} · <a href="{post_url}">Read the post</a></p>
</div>
</header>
<div class="player-bar">
<audio id="player" controls preload="metadata" src="{audio}">
<track kind="captions" src="{vtt}" srclang="{track_lang}" label="Transcript" default>
Your browser cannot play this audio; <a href="{audio}">download it</a>.
</audio>
</div>
<main>
<p><a href="{audio}" download>Download the episode</a> (MP3, {size})</p>
{listen_on}
{chapters}
<h2>Show notes</h2>
<div class="notes">
{notes}
</div>
<h2>Transcript</h2>
<div class="transcript">
{transcript}
</div>
</main>"""

EMBED_BODY = """<a href="{page}" target="_blank" rel="noopener"><img class="artwork" src="{artwork}" alt="{show_title} artwork" width="120" height="120"></a>
<div class="embed-player">
<p class="show">{show_title}</p>
<p class="title"><a href="{page}" target="_blank" rel="noopener">{title}</a></p>
<audio id="player" controls preload="metadata" src="{audio}">
<a href="{audio}">Download the episode</a>
</audio>
</div>"""


@dataclass(frozen=True)
class ShowPage:
    """What every page says about the show. ``artwork`` is a file at the site's root;
    ``site_url`` is where the site is served, for the absolute URLs of the cards."""

    title: str
    description: str
    author: str
    lang: str
    artwork: str
    site_url: str
    feed_url: str
    listen_on: tuple[tuple[str, str], ...] = ()  # (what the link says, https URL), RSS last


def listen_on_links(settings: ListenOn, feed_url: str) -> tuple[tuple[str, str], ...]:
    """The "Listen on" links: each directory the show is listed in, then the feed (RSS)."""
    listed = ((label, getattr(settings, key)) for key, label in LISTEN_ON_LABELS)
    return (*((label, url) for label, url in listed if url), ("RSS", feed_url))


@dataclass(frozen=True)
class PageEpisode:
    """What an episode page shows; file names are relative to the page's folder."""

    title: str
    date: datetime
    duration_s: float
    audio_bytes: int
    post_url: str
    notes_html: str  # sanitised show notes + footer
    audio: str
    vtt: str
    chapters: tuple[Chapter, ...]
    transcript: str  # as HTML (``transcript_html``); "" for none
    href: str = ""  # the page, relative to the site root (for the index)
    summary: str = ""  # a line or two of plain text, for link previews
    embed: str = ""  # its embeddable player page, relative to the site root


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


def _date(d: datetime) -> str:
    return d.strftime("%-d %B %Y")


def asset(name: str) -> bytes:
    """One of ``ASSETS``, as shipped."""
    return files(__package__).joinpath("static", name).read_bytes()


def _page(lang: str, title: str, body: str, artwork: str, root: str = "", head: str = "", kind: str = "") -> str:
    """A page at ``root`` (the way back to the site's root: "" or "../"); ``kind`` is the
    body's class (index, episode, embed)."""
    return PAGE.format(lang=html.escape(lang), title=html.escape(title), root=root, artwork=_shared_href(artwork),
                       head=head, body=body, kind=kind)


@lru_cache(maxsize=64)
def _shared_href(path: str) -> str:
    """``path`` quoted and escaped for an attribute: for the show-wide paths every page repeats."""
    return html.escape(quote(path))


def _meta(tags: list[tuple[str, str]]) -> str:
    """``<meta>`` tags for link previews (Open Graph's are properties, the others names);
    a tag without a value is left out."""
    e = html.escape
    return "".join(f'{_meta_open(key)}{e(value)}">\n' for key, value in tags if value)


@lru_cache(maxsize=64)
def _meta_open(key: str) -> str:
    """A ``<meta>`` tag up to its content."""
    return f'<meta {"property" if key.startswith(("og:", "article:")) else "name"}="{html.escape(key)}" content="'


@lru_cache(maxsize=4)
def _image_meta(show: ShowPage) -> str:
    """The artwork's ``<meta>`` tags, the same on every page."""
    image = site_join(show.site_url, show.artwork)
    alt = f"{show.title} artwork"
    return _meta([("og:image", image), ("og:image:alt", alt), ("twitter:image", image), ("twitter:image:alt", alt)])


@lru_cache(maxsize=4)
def _listen_on(show: ShowPage) -> str:
    e = html.escape
    links = " ".join(f'<a href="{e(url)}">{e(label)}</a>' for label, url in show.listen_on)
    return f'<nav class="listen-on" aria-label="Listen on"><span>Listen on</span> {links}</nav>' if links else ""


def _beside(ep: PageEpisode, name: str) -> str:
    """A file of the episode's folder, relative to the site root."""
    return posixpath.join(posixpath.dirname(ep.href), name)


def _audio_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "audio/mpeg"


def index_page(show: ShowPage, episodes: list[PageEpisode]) -> str:
    e = html.escape
    items = "\n".join(
        INDEX_ITEM.format(href=e(quote(ep.href)), title=e(ep.title), date=_date(ep.date),
                              duration=clock(ep.duration_s))
        for ep in episodes
    )
    body = INDEX_BODY.format(
        artwork=_shared_href(show.artwork), show_title=e(show.title), description=e(show.description),
        author=e(show.author), feed_url=e(show.feed_url), episodes=items, listen_on=_listen_on(show),
    )
    url = site_join(show.site_url, "")
    head = (
        f'<link rel="alternate" type="application/rss+xml" title="{e(show.title)}" href="{e(show.feed_url)}">\n'
        f'<link rel="canonical" href="{e(url)}">\n'
        + _meta([("description", show.description), ("og:type", "website"), ("og:site_name", show.title),
                 ("og:title", show.title), ("og:description", show.description), ("og:url", url),
                 ("twitter:card", "summary"), ("twitter:title", show.title),
                 ("twitter:description", show.description)])
        + _image_meta(show)
    )
    return _page(show.lang, show.title, body, show.artwork, head=head, kind="index")


def _episode_head(show: ShowPage, ep: PageEpisode) -> str:
    """The episode page's canonical link and cards: Open Graph with the audio, and a
    Twitter player card showing the episode's embeddable player."""
    page_url, audio_url = site_join(show.site_url, ep.href), site_join(show.site_url, _beside(ep, ep.audio))
    audio_type = _audio_type(ep.audio)
    player = [("twitter:card", "player"), ("twitter:player", site_join(show.site_url, ep.embed)),
              ("twitter:player:width", str(EMBED_WIDTH)), ("twitter:player:height", str(EMBED_HEIGHT)),
              ("twitter:player:stream", audio_url), ("twitter:player:stream:content_type", audio_type)]
    summary = ep.summary or show.description
    return f'<link rel="canonical" href="{html.escape(page_url)}">\n' + _meta([
        ("description", summary), ("og:type", "article"), ("og:site_name", show.title), ("og:title", ep.title),
        ("og:description", summary), ("og:url", page_url), ("og:audio", audio_url),
        ("og:audio:type", audio_type), ("article:published_time", ep.date.isoformat()),
        *(player if ep.embed else [("twitter:card", "summary")]), ("twitter:title", ep.title),
        ("twitter:description", summary),
    ]) + _image_meta(show)


def transcript_html(paragraphs: tuple[tuple[tuple[float, str], ...], ...]) -> str:
    """The transcript as paragraphs, each opened by a link to its time (``#t=1:23``)
    and holding one ``<span data-start>`` per sentence:
    ``<p><a class="time" href="#t=0:03" data-start="3.600">0:03</a> <span data-start="3.600">...</span> ...</p>``."""
    sentences = [s for paragraph in paragraphs for s in paragraph]
    # One escape for the whole transcript (hundreds of sentences), split back per sentence.
    texts = iter(html.escape("\0".join([text.replace("\0", "") for _, text in sentences])).split("\0"))
    out = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        start = paragraph[0][0]
        at = clock(start)
        # zip takes the paragraph's next sentence first: it stops without taking a text
        spans = " ".join([f'<span data-start="{s:.3f}">{text}</span>' for (s, _), text in zip(paragraph, texts)])
        out.append(f'<p><a class="time" href="#t={at}" data-start="{start:.3f}">{at}</a> {spans}</p>')
    return "\n".join(out)


def embed_page(show: ShowPage, ep: PageEpisode) -> str:
    """The episode's small player for other sites to frame: artwork, title, audio."""
    e = html.escape
    root = "../"  # embeds live in EMBED_DIR
    body = EMBED_BODY.format(
        page=e(quote(root + ep.href)), artwork=_shared_href(root + show.artwork), show_title=e(show.title),
        title=e(ep.title), audio=e(quote(root + _beside(ep, ep.audio))),
    )
    head = (f'<meta name="robots" content="noindex">\n'
            f'<link rel="canonical" href="{e(site_join(show.site_url, ep.href))}">\n'
            f'<script src="{root}site.js" defer></script>\n')
    return _page(show.lang, f"{ep.title} · {show.title}", body, show.artwork, root=root, head=head, kind="embed")


def episode_page(show: ShowPage, ep: PageEpisode) -> str:
    e = html.escape
    show_title, lang = show.title, show.lang
    chapters = ""
    if ep.chapters:
        entries = "\n".join(
            f'<li><a href="#t={c.start_s:.3f}" data-start="{c.start_s:.3f}">{clock(c.start_s)} {e(c.title)}</a></li>'
            for c in ep.chapters
        )
        chapters = f'<h2>Chapters</h2>\n<ol class="chapters">\n{entries}\n</ol>'
    body = EPISODE_BODY.format(
        show_title=e(show_title), title=e(ep.title), date=_date(ep.date), duration=clock(ep.duration_s),
        artwork=_shared_href("../" + show.artwork), listen_on=_listen_on(show),
        post_url=e(ep.post_url), audio=e(quote(ep.audio)), vtt=e(quote(ep.vtt)), track_lang=e(lang.split("-")[0]),
        size=_size(ep.audio_bytes), chapters=chapters, notes=ep.notes_html,
        transcript=ep.transcript or "<p>No transcript.</p>",
    )
    root = "../"  # episode pages live in a folder of the site
    head = f'<script src="{root}site.js" defer></script>\n' + _episode_head(show, ep)
    return _page(lang, f"{ep.title} · {show_title}", body, show.artwork, root=root, head=head, kind="episode")


def content_security_policy(path: str) -> str:
    """The policy a file of the site is served with (``path`` relative to the site root):
    the embeddable players may be framed by any site, nothing else by any."""
    return EMBED_CONTENT_SECURITY_POLICY if path.startswith(f"{EMBED_DIR}/") else CONTENT_SECURITY_POLICY
