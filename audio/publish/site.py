"""The show's static HTML pages: an index and one page per episode.

Tiny ``string.Template`` pages with one style sheet and one script, shipped in
``static/`` and published beside the pages: nothing inline and nothing from another
host, so the site works offline and under ``CONTENT_SECURITY_POLICY``. The script makes
chapter and transcript entries seek the audio player.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from string import Template
from urllib.parse import quote

from audio.models import Chapter

# The files every site gets (from static/), at its root.
ASSETS = ("site.css", "site.js")
# What the pages need: their own style sheet, script, artwork and audio. Served by
# ``audio-essay serve``; other hosts should send it too.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE = Template("""<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="icon" href="$root$artwork">
<link rel="stylesheet" href="${root}site.css">
$head</head>
<body>
$body
</body>
</html>
""")

INDEX_BODY = Template("""<header>
<img src="$artwork" alt="$show_title artwork" width="160" height="160">
<h1>$show_title</h1>
<p>$description</p>
<p class="meta">By $author</p>
</header>
<main>
<h2>Subscribe</h2>
<p>Add this feed to your podcast app: <a href="$feed_url"><code>$feed_url</code></a></p>
<h2>Episodes</h2>
<ol class="episodes" reversed>
$episodes
</ol>
</main>""")

INDEX_ITEM = Template("""<li><a href="$href">$title</a> <span class="meta">$date · $duration</span></li>""")

EPISODE_BODY = Template("""<header>
<p><a href="../index.html">$show_title</a></p>
<h1>$title</h1>
<p class="meta">$date · $duration · <a href="$post_url">Read the post</a></p>
</header>
<main>
<audio id="player" controls preload="metadata" src="$audio">
<track kind="captions" src="$vtt" srclang="$track_lang" label="Transcript" default>
Your browser cannot play this audio; <a href="$audio">download it</a>.
</audio>
<p><a href="$audio" download>Download the episode</a> (MP3, $size)</p>
$chapters
<h2>Show notes</h2>
<div class="notes">
$notes
</div>
<h2>Transcript</h2>
<div class="transcript">
$transcript
</div>
</main>""")


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
    transcript: tuple[tuple[tuple[float, str], ...], ...]  # paragraphs of sentences (start seconds, text)
    href: str = ""  # the page, relative to the site root (for the index)


def clock(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"


def _date(d: datetime) -> str:
    return d.strftime("%-d %B %Y")


def asset(name: str) -> bytes:
    """One of ``ASSETS``, as shipped."""
    return files(__package__).joinpath("static", name).read_bytes()


def _page(lang: str, title: str, body: str, artwork: str, root: str = "", head: str = "") -> str:
    """A page at ``root`` (the way back to the site's root: "" or "../")."""
    return PAGE.substitute(lang=html.escape(lang), title=html.escape(title), root=root,
                           artwork=html.escape(quote(artwork)), head=head, body=body)


def index_page(show_title: str, description: str, author: str, lang: str, artwork: str, feed_url: str,
               episodes: list[PageEpisode]) -> str:
    e = html.escape
    items = "\n".join(
        INDEX_ITEM.substitute(href=e(quote(ep.href)), title=e(ep.title), date=_date(ep.date),
                              duration=clock(ep.duration_s))
        for ep in episodes
    )
    body = INDEX_BODY.substitute(
        artwork=e(quote(artwork)), show_title=e(show_title), description=e(description), author=e(author),
        feed_url=e(feed_url), episodes=items,
    )
    head = f'<link rel="alternate" type="application/rss+xml" title="{e(show_title)}" href="{e(feed_url)}">\n'
    return _page(lang, show_title, body, artwork, head=head)


def transcript_html(paragraphs: tuple[tuple[tuple[float, str], ...], ...]) -> str:
    """The transcript as paragraphs, each opened by a link to its time (``#t=1:23``)
    and holding one ``<span data-start>`` per sentence:
    ``<p><a class="time" href="#t=0:03" data-start="3.600">0:03</a> <span data-start="3.600">...</span> ...</p>``."""
    sentences = [s for paragraph in paragraphs for s in paragraph]
    # One escape for the whole transcript (hundreds of sentences), split back per sentence.
    texts = iter(html.escape("\0".join(text.replace("\0", "") for _, text in sentences)).split("\0"))
    out = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        start = paragraph[0][0]
        spans = " ".join(f'<span data-start="{at:.3f}">{next(texts)}</span>' for at, _ in paragraph)
        out.append(f'<p><a class="time" href="#t={clock(start)}" data-start="{start:.3f}">{clock(start)}</a> {spans}</p>')
    return "\n".join(out)


def episode_page(show_title: str, lang: str, artwork: str, ep: PageEpisode) -> str:
    e = html.escape
    chapters = ""
    if ep.chapters:
        entries = "\n".join(
            f'<li><a href="#t={c.start_s:.3f}" data-start="{c.start_s:.3f}">{clock(c.start_s)} {e(c.title)}</a></li>'
            for c in ep.chapters
        )
        chapters = f'<h2>Chapters</h2>\n<ol class="chapters">\n{entries}\n</ol>'
    transcript = transcript_html(ep.transcript)
    body = EPISODE_BODY.substitute(
        show_title=e(show_title), title=e(ep.title), date=_date(ep.date), duration=clock(ep.duration_s),
        post_url=e(ep.post_url), audio=e(quote(ep.audio)), vtt=e(quote(ep.vtt)), track_lang=e(lang.split("-")[0]),
        size=_size(ep.audio_bytes), chapters=chapters, notes=ep.notes_html,
        transcript=transcript or "<p>No transcript.</p>",
    )
    root = "../"  # episode pages live in a folder of the site
    head = f'<script src="{root}site.js" defer></script>\n'
    return _page(lang, f"{ep.title} · {show_title}", body, artwork, root=root, head=head)
