"""The show: its folder layout and its ``show.toml`` settings, validated field by field.

Each table of ``show.toml`` is one dataclass below. A field's type annotation is its
validation: a wrong type, an unknown key or a failed ``check`` names the file, the
table and the key in one line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from audio.errors import ConfigError

SHOW_FILE = "show.toml"

DEFAULT_BOILERPLATE = (
    r"reader-supported publication.*subscri",
    r"^Comments on this post are open",
    r"^Thanks for reading",
    r"^Share this post",
    r"^Subscribe now$",
    r"^Share$",
    r"^Leave a comment$",
)


@dataclass(frozen=True)
class ShowInfo:
    """[show]: who publishes and where the posts live."""

    title: str = "My audio essays"
    author: str = ""
    description: str = ""
    language: str = "en-us"
    # The newsletter's home: a post's canonical URL is base_url + "/p/<slug>".
    base_url: str = "https://example.com"


@dataclass(frozen=True)
class ScriptOptions:
    """[script]: what the text preparer reads aloud and how."""

    read_footnotes: bool = False  # read each section's footnotes at its end
    read_captions: bool = False  # read image captions
    frame_quotes: bool = True  # "Quote. ... End quote." around block quotes
    quote_open: str = "Quote."
    quote_close: str = "End quote."
    omission_cues: bool = True  # "The post shows a table here."
    boilerplate: tuple[str, ...] = DEFAULT_BOILERPLATE  # regexes, case-insensitive, searched per paragraph
    notes_boilerplate: bool = False  # keep boilerplate paragraphs in the show notes
    lexicon: str = ""  # path of a pronunciation lexicon TOML, relative to the show folder
    max_sentence_chars: int = 400
    intro: str = (
        "{title}. {subtitle}. Written by {author}, published {date}. "
        "This is an AI-narrated audio version of the post."
    )
    outro: str = "Thanks for listening. The full post, with links and footnotes, is at {site}."


# Apple Podcasts categories (exact spelling): category -> its subcategories.
APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden", "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News", "Tech News",
    ),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality"),
    "Science": (
        "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences", "Nature",
        "Physics", "Social Sciences",
    ),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": (
        "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby", "Running",
        "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}

DEFAULT_SITE_URL = "https://podcast.example.com"
DEFAULT_EPISODE_FOOTER = (
    "This is a public episode. If you'd like to discuss this with other subscribers or get access "
    "to bonus episodes, visit {base_url}/subscribe"
)


@dataclass(frozen=True)
class PublishOptions:
    """[publish]: where the podcast site is hosted and what its feed says about the show.

    Title, author, description and language come from [show]; ``base_url`` there is the
    newsletter where the posts live, ``site_url`` here is where ``publish``'s site is served.
    """

    site_url: str = DEFAULT_SITE_URL  # https; http only for a loopback preview
    feed_url: str = ""  # default: site_url + "/feed.xml"
    new_feed_url: str = ""  # set when the feed moves (itunes:new-feed-url)
    artwork: str = ""  # square PNG/JPEG, 1400-3000 px, RGB; empty: a generated placeholder
    category: str = "Technology"  # Apple's list, exact spelling
    subcategory: str = ""
    explicit: bool = False
    owner_email: str = ""  # podcast:locked owner
    copyright: str = ""
    funding_url: str = ""
    funding_label: str = "Support the show"
    locked: bool = False  # podcast:locked: other hosts may not import the feed
    # Appended to every episode's show notes. Fields: {base_url} {site_url} {title} {link} {show_title}.
    episode_footer: str = DEFAULT_EPISODE_FOOTER
    private_feed: bool = False  # paid posts go to private/<token>/feed.xml

    @property
    def resolved_feed_url(self) -> str:
        return self.feed_url or self.site_url.rstrip("/") + "/feed.xml"


@dataclass(frozen=True)
class RenderOptions:
    """[render]: the default voice, show audio around the speech, and the MP3's format."""

    voice: str = "joe"  # a profile in voices/ (or the show's own voices/ folder)
    intro_audio: str = ""  # music/jingle before the spoken intro, relative to the show folder
    outro_audio: str = ""  # after the spoken outro
    transition_audio: str = ""  # between sections, instead of the section pause
    bitrate: str = "96k"  # MP3 CBR bitrate
    channels: int = 1
    sample_rate: int = 44100
    target_lufs: float = -16.0  # integrated loudness of the MP3
    true_peak: float = -1.0  # dBTP ceiling of the MP3

    def audio_path(self, folder: Path, role: str) -> Path | None:
        value = getattr(self, f"{role}_audio")
        return folder / value if value else None


@dataclass(frozen=True)
class Show:
    """A show folder and its settings."""

    folder: Path
    show: ShowInfo = field(default_factory=ShowInfo)
    script: ScriptOptions = field(default_factory=ScriptOptions)
    publish: PublishOptions = field(default_factory=PublishOptions)
    render: RenderOptions = field(default_factory=RenderOptions)

    @property
    def config_path(self) -> Path:
        return self.folder / SHOW_FILE

    @property
    def posts_dir(self) -> Path:
        return self.folder / "posts"

    @property
    def rendered_dir(self) -> Path:
        """One sub-folder per rendered episode."""
        return self.folder / "rendered"

    @property
    def cache_dir(self) -> Path:
        return self.folder / ".cache"

    @property
    def site_dir(self) -> Path:
        return self.folder / "site"

    @property
    def catalog_path(self) -> Path:
        return self.folder / "catalog.sqlite"

    @property
    def lexicon_path(self) -> Path | None:
        return self.folder / self.script.lexicon if self.script.lexicon else None


# Table name in show.toml -> the Show field holding it. Extend by adding a dataclass
# field to Show and a row here.
TABLES = {"show": "show", "script": "script", "publish": "publish", "render": "render"}


def _check_value(path: Path, where: str, value: Any, expected: Any) -> Any:
    origin = getattr(expected, "__origin__", None)
    if expected is bool:
        ok = isinstance(value, bool)
        want = "true or false"
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = "an integer"
    elif expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
        want = "a number"
    elif expected is str:
        ok = isinstance(value, str)
        want = "a string"
    elif origin is tuple:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
        want = "a list of strings"
    else:  # pragma: no cover - a field type this loader does not know is a programming error
        raise TypeError(f"unsupported setting type {expected!r}")
    if not ok:
        raise ConfigError(path, f"{where}: expected {want}, got {value!r}")
    return value


def _load_table(path: Path, name: str, cls: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(path, f"[{name}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(path, f"[{name}] {key}: unknown setting (known: {', '.join(sorted(known))})")
    values = {key: _check_value(path, f"[{name}] {key}", raw[key], hints[key]) for key in raw}
    return cls(**values)


def _validate(show: Show) -> None:
    path = show.config_path
    for i, pattern in enumerate(show.script.boilerplate):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(path, f"[script] boilerplate[{i}]: not a valid regular expression ({exc})") from exc
    if show.script.max_sentence_chars < 40:
        raise ConfigError(path, "[script] max_sentence_chars: must be at least 40")
    if not re.match(r"^https?://[^\s/]+", show.show.base_url):
        raise ConfigError(path, f"[show] base_url: expected an http(s) URL, got {show.show.base_url!r}")
    if show.lexicon_path and not show.lexicon_path.is_file():
        raise ConfigError(path, f"[script] lexicon: no such file {show.lexicon_path}")
    _validate_publish(show)
    _validate_render(show)


def _validate_render(show: Show) -> None:
    path, render = show.config_path, show.render
    for role in ("intro", "outro", "transition"):
        audio = render.audio_path(show.folder, role)
        if audio and not audio.is_file():
            raise ConfigError(path, f"[render] {role}_audio: no such file {audio}")
    if not re.fullmatch(r"(32|40|48|56|64|80|96|112|128|160|192|224|256|320)k", render.bitrate):
        raise ConfigError(path, f"[render] bitrate: expected an MP3 bitrate such as \"96k\", got {render.bitrate!r}")
    if render.channels not in (1, 2):
        raise ConfigError(path, f"[render] channels: expected 1 or 2, got {render.channels}")
    if render.sample_rate not in (22050, 24000, 32000, 44100, 48000):
        raise ConfigError(path, f"[render] sample_rate: expected one of 22050, 24000, 32000, 44100, 48000, "
                          f"got {render.sample_rate}")
    if not -30.0 <= render.target_lufs <= -10.0:
        raise ConfigError(path, f"[render] target_lufs: expected -30 to -10, got {render.target_lufs}")
    if not -6.0 <= render.true_peak <= 0.0:
        raise ConfigError(path, f"[render] true_peak: expected -6 to 0 dBTP, got {render.true_peak}")


_LOOPBACK_HTTP = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_https(path: Path, where: str, url: str, loopback_ok: bool = False) -> None:
    if re.match(r"^https://[^\s/]+[^\s]*$", url) or (loopback_ok and _LOOPBACK_HTTP.match(url)):
        return
    extra = " (http only for a 127.0.0.1 preview)" if loopback_ok else ""
    raise ConfigError(path, f"{where}: expected an https URL{extra}, got {url!r}")


def _validate_publish(show: Show) -> None:
    path, pub = show.config_path, show.publish
    _check_https(path, "[publish] site_url", pub.site_url, loopback_ok=True)
    if pub.feed_url:
        _check_https(path, "[publish] feed_url", pub.feed_url, loopback_ok=True)
    for key in ("new_feed_url", "funding_url"):
        if getattr(pub, key):
            _check_https(path, f"[publish] {key}", getattr(pub, key))
    if pub.category not in APPLE_CATEGORIES:
        raise ConfigError(path, f"[publish] category: {pub.category!r} is not an Apple Podcasts category "
                          f"(one of: {', '.join(APPLE_CATEGORIES)})")
    subs = APPLE_CATEGORIES[pub.category]
    if pub.subcategory and pub.subcategory not in subs:
        raise ConfigError(path, f"[publish] subcategory: {pub.subcategory!r} is not a subcategory of "
                          f"{pub.category!r} (one of: {', '.join(subs) or 'none'})")
    if pub.owner_email and not _EMAIL.match(pub.owner_email):
        raise ConfigError(path, f"[publish] owner_email: not an e-mail address: {pub.owner_email!r}")
    if len(pub.funding_label) > 128:
        raise ConfigError(path, "[publish] funding_label: at most 128 characters")
    try:
        pub.episode_footer.format(base_url="", site_url="", title="", link="", show_title="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(path, f"[publish] episode_footer: bad template field ({exc!r}); "
                          "use {base_url} {site_url} {title} {link} {show_title}") from exc
    if pub.artwork:
        from audio.publish.artwork import artwork_problems  # Pillow, only when artwork is set

        artwork = show.folder / pub.artwork
        problems = artwork_problems(artwork)
        if problems:
            raise ConfigError(path, f"[publish] artwork: {artwork}: {problems[0]}")


def load_show(folder: str | Path) -> Show:
    """Load and validate ``<folder>/show.toml``; a folder without one gets the defaults."""
    folder = Path(folder)
    path = folder / SHOW_FILE
    if not folder.is_dir():
        raise ConfigError(folder, "no such show folder")
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(path, f"not valid TOML ({exc})") from exc
    hints = get_type_hints(Show)
    tables = {}
    for table, value in raw.items():
        if table not in TABLES:
            raise ConfigError(path, f"[{table}]: unknown table (known: {', '.join(sorted(TABLES))})")
        attr = TABLES[table]
        tables[attr] = _load_table(path, table, hints[attr], value)
    show = Show(folder=folder, **tables)
    _validate(show)
    return show


def find_show(explicit: str | Path | None, post: str | Path | None = None) -> Show:
    """The show to work in: ``--show`` if given, else the show whose ``posts/`` holds
    the post, else ``./episodes`` (the sample show) if it exists, else the current folder."""
    if explicit is not None:
        return load_show(explicit)
    if post is not None:
        parent = Path(post).resolve().parent
        if parent.name == "posts" and (parent.parent / SHOW_FILE).is_file():
            return load_show(parent.parent)
    if (Path("episodes") / SHOW_FILE).is_file():
        return load_show("episodes")
    return load_show(".")
