"""Publish rendered episodes: a podcast feed, a static show site, a lint and a server.

``publish_site`` builds the whole site in a temporary folder beside the target and
swaps it in only when complete, so the previous site stays whole (and servable) until
then. Everything it writes depends only on the episodes and the settings: a rebuild
with nothing changed is byte-identical.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import nh3

from audio.catalog import Catalog
from audio.episode_store import list_episodes
from audio.errors import AudioEssayError, ConfigError, InputError, OutputError
from audio.models import IMAGE_ROLE, NOTES_HEADING, Episode
from audio.publish.artwork import is_placeholder
from audio.publish.feed import (
    ENCLOSURE_TYPES,
    MAX_DESCRIPTION_BYTES,
    FeedChannel,
    FeedItem,
    build_feed,
    item_description,
    lead_link_text,
    notes_text,
    text_description,
    truncate_bytes,
)
from audio.publish.site import (
    ASSETS,
    EMBED_DIR,
    PageEpisode,
    ShowPage,
    asset,
    embed_page,
    episode_page,
    index_page,
    listen_on_links,
    transcript_html,
)
from audio.publish.reuse import Made, Reuse
from audio.publish.subscribers import PrivateFeeds, private_feeds
from audio.publish.identity import (
    channel_guid,
    is_example,
    podcast_guid,
    preview_options,
    public_url_problem,
)
from audio.show import Show, ShowInfo
from audio.urls import WEB_SCHEMES, ascii_url, checked_url, post_url, site_join, web_url
from audio.work import site_work_prefix

FEED_FILE = "feed.xml"
EPISODES = "episodes"
PUBLIC = "everyone"
SUMMARY_BYTES = 300  # an episode's line in link previews (og:description)
FILE_ROLES = ("audio", "vtt", "srt", "transcript", "chapters")
NOTES_TAGS = {"p", "a", "ol", "ul", "li", "br", "em", "strong", "b", "i", "blockquote", "h2", "h3", "h4", "code",
              "pre", "sup", "sub", "hr", "img"}
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_URL = re.compile(r"(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])")
# The show notes' footnotes (see audio.prepare.notes): ids, and links between marker and note.
_NOTE_ID = re.compile(r"^note-(?:ref-)?\d+$")
_NOTE_LINK = re.compile(r'href="#(note-(?:ref-)?\d+)"')
_NOTE_ANCHOR = re.compile(r'<a href="#note-(?:ref-)?\d+"[^>]*>(.*?)</a>', re.DOTALL)
# An image the notes show (published beside the page), and one whose src was refused.
_NOTE_IMAGE = re.compile(r'src="(img-[0-9a-f]{16}\.[a-z]+)"')
_UNPUBLISHED_IMAGE = re.compile(r"<img(?![^>]*\bsrc=)[^>]*>")


@dataclass
class PublishReport:
    site_dir: Path
    feed_url: str
    episodes: int  # in the public feed
    private_episodes: int = 0  # audience other than everyone
    private_feed_url: str = ""  # the shared subscriber's feed ("" when there is none)
    private_feeds: int = 0  # one per active subscriber
    warnings: list[str] = field(default_factory=list)


def placeholder_warnings(show: Show) -> list[str]:
    """Every setting of ``show`` that still holds a placeholder a listener would see."""
    warnings = []
    info, pub = show.show, show.publish
    if is_example(info.base_url):
        warnings.append(f"[show] base_url is the placeholder {info.base_url}: set your newsletter's URL")
    if is_example(pub.site_url):
        warnings.append(f"[publish] site_url is the placeholder {pub.site_url}: set where the site is hosted")
    if pub.feed_url and is_example(pub.feed_url):
        warnings.append(f"[publish] feed_url is the placeholder {pub.feed_url}")
    if not pub.artwork:
        warnings.append("[publish] artwork is not set: a generated placeholder image is published")
    elif is_placeholder(show.folder / pub.artwork):
        warnings.append(f"[publish] artwork {pub.artwork} is the generated placeholder image")
    if info.title == ShowInfo().title:
        warnings.append(f"[show] title is the placeholder {info.title!r}")
    for key in ("author", "description"):
        if not getattr(info, key).strip():
            warnings.append(f"[show] {key} is empty")
    return warnings


def _artwork(show: Show, reuse: Reuse) -> tuple[bytes, str]:
    """The artwork's bytes and its site file name (named by content: a new image, a new name)."""
    if show.publish.artwork:
        path = show.folder / show.publish.artwork
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(show.config_path, f"[publish] artwork: cannot read {path} ({exc.strerror})") from exc
        suffix = ".jpg" if path.suffix.lower() in (".jpg", ".jpeg") else ".png"
    else:
        data, suffix = reuse.placeholder(show.show.title), ".png"
    return data, f"artwork-{hashlib.sha256(data).hexdigest()[:12]}{suffix}"


def _footer(show: Show, episode: Episode, post_url: str) -> str:
    """The footer for the episode's audience: the public one, or the paid subscribers' one."""
    pub = show.publish
    template = pub.episode_footer if episode.audience == PUBLIC else pub.paid_episode_footer
    return template.format(
        base_url=show.show.base_url.rstrip("/"), site_url=show.publish.site_url.rstrip("/"),
        title=episode.title, link=post_url, show_title=show.show.title,
    )


def _disclosure(show: Show, episode: Episode) -> str:
    """The AI-narration disclosure for ``episode`` ("" when none is set, or when the
    episode is a podcast post's own audio, which no synthetic voice read)."""
    return "" if episode.own_audio else show.publish.ai_disclosure.strip()


def _with_disclosure(footer: str, disclosure: str) -> str:
    """The plain-text footer followed by the disclosure."""
    return "\n\n".join(part for part in (footer, disclosure) if part)


def _disclosure_html(disclosure: str) -> str:
    return f"\n<p>{html.escape(disclosure)}</p>" if disclosure else ""


def _post_link(show: Show, episode: Episode, warnings: list[str]) -> str:
    """The post's URL, derived now from the settings: the canonical URL the post itself named,
    else ``base_url/p/<slug>`` from the current base_url (never the one of render time)."""
    explicit = episode.canonical_explicit
    if explicit is None:  # a record from before render said: derived when it has the derived form
        explicit = urlsplit(episode.canonical_url).path.rstrip("/") != f"/p/{episode.slug}"
    base_url = show.show.base_url
    post = checked_url(episode.canonical_url, base_url, f"episode {episode.slug}", "canonical_url",
                       warnings.append) if explicit else ""
    return ascii_url(post or post_url(base_url, episode.slug))


def _clean_notes(notes_html: str, post_url: str, images: frozenset[str] = frozenset()) -> str:
    """Show notes safe for feeds and pages: text, structure and http(s) links only.
    Relative links point into the post, a link to anything else keeps its text. An image
    shows only if it is published with the episode (``images``, by file name, beside the
    page): any other would be broken (a post's relative image path names no file on the
    newsletter's site, and the site's pages load no image from another host). The notes'
    own footnote links (``#note-1``, ``#note-ref-1``) and ids stay, for the page;
    ``_feed_notes`` makes them and the images absolute."""
    if not notes_html:
        return ""

    def link(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "href":  # most calls: one per link
            if value.startswith("#") and _NOTE_ID.match(value[1:]):
                return value
            url = web_url(value, post_url)
            return url and ascii_url(url)
        if attribute == "id":
            return value if _NOTE_ID.match(value) else None
        if tag == "img":
            return value if attribute == "alt" or value in images else None
        return value

    cleaned = nh3.clean(
        notes_html, tags=NOTES_TAGS, clean_content_tags={"script", "style"},
        attributes={"a": {"href", "id"}, "li": {"id"}, "img": {"src", "alt"}}, attribute_filter=link,
        url_schemes=set(WEB_SCHEMES), url_relative="pass_through",
    )
    return _UNPUBLISHED_IMAGE.sub("", cleaned).strip()


def _feed_notes(notes_html: str, page_url: str, files_url: str) -> str:
    """Notes for a feed, where a link must be absolute: a footnote link points at the note
    on the episode's page, or (no page) keeps only its text; an image's file is at
    ``files_url``."""
    notes_html = _NOTE_IMAGE.sub(lambda m: f'src="{html.escape(files_url)}/{m.group(1)}"', notes_html)
    if page_url:
        return _NOTE_LINK.sub(lambda m: f'href="{html.escape(page_url)}#{m.group(1)}"', notes_html)
    return _NOTE_ANCHOR.sub(r"\1", notes_html)


def _description(lead_url: str, notes_html: str, text: str, footer: str) -> str:
    """The plain-text description: the notes (``text``: their ``notes_text``) after the
    ``_lead_link`` paragraph of ``lead_url`` ("" for none), shortened to fit, but their
    "Notes" list (at most half the room) and the footer kept whole."""
    if NOTES_HEADING not in notes_html:
        if not lead_url:
            return text_description(text, footer)
        with_lead = lead_link_text(lead_url, text)
        if with_lead is not None:
            return text_description(with_lead, footer)
    notes_html = (_lead_link(lead_url) if lead_url else "") + notes_html
    body, heading, listed = notes_html.partition(NOTES_HEADING)
    if not heading:
        return item_description(notes_html, footer)
    notes = truncate_bytes(notes_text(heading + listed), MAX_DESCRIPTION_BYTES // 2)
    return item_description(body, f"{notes}\n\n{footer}")


def _lead_link(link: str) -> str:
    """The post's URL as the notes' first paragraph (as Substack's podcast feeds open them)."""
    return f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>\n'


def _footer_html(text: str) -> str:
    """The footer as a paragraph, its URLs made links."""
    parts = _URL.split(text)
    out = [
        f'<a href="{html.escape(p)}">{html.escape(p)}</a>' if i % 2 else html.escape(p)
        for i, p in enumerate(parts)
    ]
    return f"<p>{''.join(out)}</p>"


def _episode_date(episode: Episode, audio: Path) -> datetime:
    date = episode.date or datetime.fromtimestamp(audio.stat().st_mtime, timezone.utc)
    return date if date.tzinfo else date.replace(tzinfo=timezone.utc)


def _transcript_segments(path: Path | None) -> tuple[tuple[tuple[float, str], ...], ...]:
    """The JSON transcript's sentences ``(start, text)`` in paragraphs: a segment whose
    body ends with a line break ends one (a transcript rendered before paragraphs were
    marked is one paragraph)."""
    if path is None:
        return ()
    try:
        segments = json.loads(path.read_bytes())["segments"]
        paragraphs: list[tuple[tuple[float, str], ...]] = []
        current: list[tuple[float, str]] = []
        for s in segments:
            body = str(s["body"])
            current.append((float(s["startTime"]), body.strip()))
            if body.endswith("\n"):
                paragraphs.append(tuple(current))
                current = []
        return tuple(paragraphs + [tuple(current)] if current else paragraphs)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(path, f"not a readable JSON transcript ({exc})") from exc


@dataclass(frozen=True)
class _Planned:
    """An episode placed in the site: where its files go and how the feed and page show it."""

    episode: Episode
    folder: str  # site-relative folder of its files and page (shared by all episodes)
    sources: dict[str, Path]  # role -> rendered file
    item: FeedItem
    page: PageEpisode


def _listing(folder: Path) -> dict[str, tuple[int, int, int]]:
    """The files of ``folder``: name -> (size, modification time, inode); empty when it
    cannot be read."""
    try:
        with os.scandir(folder) as entries:
            return {entry.name: (st.st_size, st.st_mtime_ns, entry.inode())
                    for entry in entries if entry.is_file() for st in (entry.stat(),)}
    except OSError:
        return {}


def _plan(show: Show, episode: Episode, folder: str, warnings: list[str], reuse: Reuse) -> _Planned:
    if not _SLUG.match(episode.slug):
        raise InputError(episode.folder, f"episode slug {episode.slug!r} is not safe as a file name")
    base = episode.folder or show.rendered_dir / episode.slug
    present = _listing(base)  # one listing, not a stat per file
    sources = {}
    for role in FILE_ROLES:
        name = episode.files.get(role)
        if name:
            if name not in present:
                raise InputError(base / str(name), f"the episode's {role} file is missing")
            sources[role] = base / name
    if "audio" not in sources:
        raise InputError(base, f"episode {episode.slug} has no audio file")
    audio_type = ENCLOSURE_TYPES.get(sources["audio"].suffix.lower())
    if audio_type is None:
        raise InputError(sources["audio"], "not an MP3 or M4A file: podcast apps would not play it")
    for role, name in episode.files.items():  # the notes' images: one that is missing is not shown
        if role.startswith(IMAGE_ROLE) and Path(name).name == name and name in present:
            sources[role] = base / name
    key = reuse.key(episode, base, present, folder)
    made = reuse.take(key)
    if made is None:
        made = _make(show, episode, folder, sources, present[sources["audio"].name][0], audio_type)
        reuse.keep(key, made)
    warnings.extend(made.warnings)
    return _Planned(episode, folder, sources, made.item, made.page)


def _make(show: Show, episode: Episode, folder: str, sources: dict[str, Path], audio_bytes: int,
          audio_type: str) -> Made:
    """The episode's feed item and page (all ``_plan`` does that a rebuild may take from
    the previous one)."""
    warnings: list[str] = []
    images = frozenset(path.name for role, path in sources.items() if role.startswith(IMAGE_ROLE))
    root = show.publish.site_url
    urls = {role: site_join(root, f"{folder}/{path.name}") for role, path in sources.items()}
    link = _post_link(show, episode, warnings)
    footer = _footer(show, episode, link)
    notes = _clean_notes(episode.notes_html, link, images)
    text = notes_text(notes)  # once: the description's and the page summary's
    disclosure = _disclosure(show, episode)
    # the page links to the post in its header
    page_notes = f"{notes}\n{_footer_html(footer)}{_disclosure_html(disclosure)}".strip()
    lead = _lead_link(link) if show.publish.notes_lead_link else ""
    page_url = site_join(root, f"{folder}/{episode.slug}.html")
    date = _episode_date(episode, sources["audio"])
    item = FeedItem(
        title=episode.title, guid=episode.guid, link=link, date=date, duration_s=int(round(episode.duration_s)),
        author=episode.author or show.show.author, audio_url=urls["audio"], audio_bytes=audio_bytes,
        description=_description(link if show.publish.notes_lead_link else "", notes, text,
                                 _with_disclosure(footer, disclosure)),
        content_html=_feed_notes(lead + page_notes, page_url if episode.audience == PUBLIC else "",
                                 site_join(root, folder)),
        transcript_urls={r: urls[r] for r in ("vtt", "srt", "transcript") if r in urls},
        chapters_url=urls.get("chapters", ""), language=show.show.language,
        explicit=show.publish.explicit if episode.explicit is None else episode.explicit,
        episode_type=episode.episode_type or "full", season=episode.season, episode=episode.episode_number,
        page_url=page_url, audio_type=audio_type,
    )
    page = PageEpisode(
        title=episode.title, date=date, duration_s=episode.duration_s, audio_bytes=audio_bytes, post_url=link,
        notes_html=page_notes, audio=sources["audio"].name, vtt=sources["vtt"].name if "vtt" in sources else "",
        chapters=episode.chapters, transcript=transcript_html(_transcript_segments(sources.get("transcript"))),
        href=f"{folder}/{episode.slug}.html", embed=f"{EMBED_DIR}/{episode.slug}.html",
        summary=truncate_bytes(" ".join((episode.subtitle or text).split()), SUMMARY_BYTES),
    )
    return Made(item, page, tuple(warnings))


def _plan_each(show: Show, episodes: list[Episode], folder: str, warnings: list[str], reuse: Reuse) -> list[_Planned]:
    """Every usable episode placed; one that is not is left out, the reason in ``warnings``."""
    planned = []
    for episode in episodes:
        try:
            planned.append(_plan(show, episode, folder, warnings, reuse))
        except AudioEssayError as exc:
            warnings.append(f"episode {episode.slug} left out of the site and feed: {exc.message}")
    return planned


def _unique_guids(planned: list[_Planned]) -> None:
    """Refuse a feed whose items lack GUIDs or share one (apps would drop or merge them)."""
    seen: dict[str, str] = {}
    for p in planned:
        record = p.episode.folder or Path(p.episode.slug)
        if not p.episode.guid.strip():
            raise InputError(record, f"episode {p.episode.slug} has no guid")
        if p.episode.guid in seen:
            raise InputError(record, f"episode {p.episode.slug} has the same guid as {seen[p.episode.guid]} "
                             f"({p.episode.guid})")
        seen[p.episode.guid] = p.episode.slug


def _channel(show: Show, feed_url: str, guid: str, image_url: str, items: list[FeedItem], block: bool) -> FeedChannel:
    info, pub = show.show, show.publish
    return FeedChannel(
        title=info.title, link=ascii_url(pub.site_url.rstrip("/") + "/"),
        description=truncate_bytes(info.description or info.title, MAX_DESCRIPTION_BYTES),
        language=info.language, self_url=ascii_url(feed_url), image_url=image_url, category=pub.category,
        subcategory=pub.subcategory, explicit=pub.explicit, author=info.author,
        copyright=pub.copyright, podcast_guid=guid, locked=pub.locked, owner_email=pub.owner_email,
        owner_name=pub.owner_name or info.author,
        funding_url=ascii_url(pub.funding_url) if pub.funding_url else "", funding_label=pub.funding_label,
        new_feed_url=ascii_url(pub.moved_feed_url) if pub.moved_feed_url else "", block=block,
        last_build=max((i.date for i in items), default=None),
    )


class _Build:
    """The new site being assembled in ``root``, reusing the previous site's unchanged files.

    A file identical to the one already published is hard-linked from the previous site,
    so it keeps its modification time and ETag: podcast apps polling an unchanged feed get
    304 Not Modified, and a rebuild writes little.
    """

    def __init__(self, root: Path, previous: Path):
        self.root = root
        # paths as strings: thousands of files, no Path object made for each
        self._root = f"{root}{os.sep}"
        self._previous = f"{previous}{os.sep}" if previous.is_dir() else None

    def write(self, relative: str, data: bytes | str) -> None:
        data = data.encode("utf-8") if isinstance(data, str) else data
        target = self._root + relative
        if self._previous is not None:
            old = self._previous + relative
            try:
                if os.stat(old).st_size == len(data):
                    with open(old, "rb") as file:
                        same = file.read() == data
                    if same:
                        os.link(old, target)
                        return
            except OSError:
                pass  # not there, or not linkable: write it
        with open(target, "wb") as file:
            file.write(data)

    def place(self, source: Path, relative: str) -> None:
        """A rendered file: a hard link when possible (renders replace files, never rewrite
        them), else a copy that keeps the modification time."""
        try:
            os.link(source, self._root + relative)
        except OSError:
            shutil.copy2(source, self._root + relative)


def _write_private_feeds(show: Show, out: _Build, feeds: PrivateFeeds, items: list[FeedItem], guid: str,
                         image_url: str, report: PublishReport) -> None:
    """One feed per active subscriber, private/<token>/feed.xml: the public episodes and the
    paid ones, under the show's title and ``private_title_suffix``. The feeds differ only in
    their token, so one is built and the token put in (a thousand subscribers cost one build)."""
    marker = secrets.token_hex(16)
    channel = _channel(show, site_join(show.publish.site_url, f"private/{marker}/{FEED_FILE}"), guid, image_url,
                       items, block=True)
    feed = build_feed(replace(channel, title=show.show.title + show.publish.private_title_suffix), items)
    for token in feeds.tokens:
        (out.root / "private" / token).mkdir(parents=True, exist_ok=True)
        out.write(f"private/{token}/{FEED_FILE}", feed.replace(marker.encode(), token.encode()))
    report.private_feeds = len(feeds.tokens)
    if feeds.shared_token:
        shared = site_join(show.publish.site_url, f"private/{feeds.shared_token}/{FEED_FILE}")
        report.private_feed_url = ascii_url(shared)


def _make_readable(root: Path) -> None:
    """Folders 0755 and files 0644, whatever the umask (and mkdtemp's 0700): a web server
    running as another user, or an rsync deploy, can read the whole site. ``private/`` is
    0711: the server reaches private/<token>/ but no one else can list the tokens (a server
    with directory listing on answers 403 there). A rendered file hard-linked into the site
    shares its inode, so it becomes 0644 in rendered/ too; one this user cannot chmod (not
    its owner) is replaced in the site by a copy."""
    folders = [str(root)]
    while folders:
        folder = folders.pop()
        os.chmod(folder, 0o755)
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir():
                    if not entry.is_symlink():
                        folders.append(entry.path)
                elif stat.S_IMODE(entry.stat().st_mode) != 0o644:
                    _chmod_644(entry.path)
    if (root / "private").is_dir():
        (root / "private").chmod(0o711)


def _chmod_644(path: str) -> None:
    try:
        os.chmod(path, 0o644)
    except PermissionError:
        copy = f"{path}.copy"
        shutil.copy2(path, copy)
        os.chmod(copy, 0o644)
        os.replace(copy, path)


def _swap_in(build: Path, site: Path) -> None:
    """Replace ``site`` with the finished ``build``; on failure the old site is put back."""
    old = None
    if site.exists():
        old = Path(tempfile.mkdtemp(dir=site.parent, prefix=site_work_prefix(site, "old")))
        os.rename(site, old / site.name)
    try:
        os.rename(build, site)
    except OSError:
        if old is not None:
            os.rename(old / site.name, site)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _check_target(site: Path) -> None:
    if site.exists() and not site.is_dir():
        raise OutputError(site, "the site path exists and is not a folder")
    if site.is_dir() and any(site.iterdir()) and not (site / FEED_FILE).exists():
        raise OutputError(site, "folder is not empty and holds no feed.xml: refusing to replace it with the site")


def publish_site(show: Show, site_dir: str | Path | None = None, preview: bool = False) -> PublishReport:
    """Build feed.xml, the private feed if enabled, the pages, audio, transcripts, chapters and
    artwork from the rendered episodes, and swap the finished site in atomically.

    A public build refuses placeholder and loopback URLs (ConfigError on show.toml) and fixes
    the channel GUID from the real feed URL; a ``preview`` is built for ``serve`` on loopback
    and fixes nothing."""
    if preview:
        show = replace(show, publish=preview_options(show.publish))
    elif problem := public_url_problem(show):
        raise ConfigError(show.config_path, problem)
    site = Path(site_dir) if site_dir is not None else show.site_dir
    _check_target(site)
    pub = show.publish
    feed_url = pub.resolved_feed_url
    unreadable: list[InputError] = []
    episodes = list_episodes(show.rendered_dir, unreadable) if show.rendered_dir.is_dir() else []
    public = [e for e in episodes if e.audience == PUBLIC]
    private = [e for e in episodes if e.audience != PUBLIC]
    with Catalog(show.catalog_path) as catalog:
        guid = channel_guid(catalog, "publish.podcast_guid", feed_url, FEED_FILE, fix=not preview)
        feeds = private_feeds(catalog) if pub.private_feed else None
        if feeds:
            files_path = f"private/{feeds.files_key}/{FEED_FILE}"
            private_guid = channel_guid(catalog, "publish.private_podcast_guid", site_join(pub.site_url, files_path),
                                        files_path, fix=not preview)
    # what every item and page is made from, besides the episode itself
    reuse = Reuse(show.cache_dir, "\n".join((show.show.model_dump_json(), pub.model_dump_json(), str(show.rendered_dir))))
    artwork, artwork_name = _artwork(show, reuse)
    image_url = site_join(pub.site_url, artwork_name)
    warnings = placeholder_warnings(show) + [f"{exc.message}: left out of the site and feed" for exc in unreadable]
    planned = _plan_each(show, public, EPISODES, warnings, reuse)
    hidden = _plan_each(show, private, f"private/{feeds.files_key}/{EPISODES}", warnings, reuse) if feeds else []
    _unique_guids([*planned, *hidden])

    report = PublishReport(site, ascii_url(feed_url), len(planned), len(private), warnings=warnings)
    if private and not feeds:
        fix = ("every subscriber is revoked: add one with `audio-essay subscribers add`" if pub.private_feed else
               "set [publish] private_feed = true to publish them in a private feed")
        report.warnings.append(f"{len(private)} episode(s) for paid subscribers left out: {fix}")
    try:
        site.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(dir=site.parent, prefix=site_work_prefix(site, "build")))
    except OSError as exc:
        raise OutputError(site, f"cannot create the site ({exc})") from exc
    try:
        out = _Build(build, site)
        out.write(artwork_name, artwork)
        for name in ASSETS:
            out.write(name, asset(name))
        for folder in {p.folder for p in [*planned, *hidden]}:
            (build / folder).mkdir(parents=True)
        for p in [*planned, *hidden]:
            for source in p.sources.values():
                out.place(source, f"{p.folder}/{source.name}")
        pages = ShowPage(
            show.show.title, show.show.description, show.show.author or show.show.title, show.show.language,
            artwork_name, pub.site_url, report.feed_url, listen_on_links(pub.listen_on, report.feed_url),
        )
        (build / EMBED_DIR).mkdir()
        for p in planned:
            out.write(p.page.href, episode_page(pages, p.page))
            out.write(p.page.embed, embed_page(pages, p.page))
        items = [p.item for p in planned]
        out.write(FEED_FILE, build_feed(_channel(show, feed_url, guid, image_url, items, block=False), items))
        out.write("index.html", index_page(pages, [p.page for p in planned]))
        if feeds:
            every = sorted([*planned, *hidden], key=lambda p: (p.item.date, p.episode.slug), reverse=True)
            _write_private_feeds(show, out, feeds, [p.item for p in every], private_guid, image_url, report)
        _make_readable(build)
        _swap_in(build, site)
        reuse.save()
    except OSError as exc:
        shutil.rmtree(build, ignore_errors=True)
        raise OutputError(site, f"cannot write the site ({exc})") from exc
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return report


def check_site(site_dir: str | Path, preview: bool = False) -> list[str]:
    """Lint a built site; one line per violation (empty: it passes). A ``preview`` may use
    loopback http URLs."""
    from audio.publish.check import check_site as _check

    return _check(Path(site_dir), preview=preview)


__all__ = [
    "PublishReport",
    "check_site",
    "placeholder_warnings",
    "podcast_guid",
    "public_url_problem",
    "publish_site",
]
