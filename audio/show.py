"""The show: its folder layout and its ``show.toml`` settings.

Each table of ``show.toml`` is one settings record below (``audio.config``): a field's
type, range and validator are its validation, and a wrong value or an unknown key is one
line naming the file, the key and what it allows. Files the settings name are checked
once the folder is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from audio.config import Settings, one_of, read_toml, validate
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


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"expected a regular expression ({exc})") from exc
    return pattern


def _http_url(url: str) -> str:
    if not re.match(r"^https?://[^\s/]+", url):
        raise ValueError("expected an http(s) URL")
    return url


_LOOPBACK_HTTP = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)")
_HTTPS = re.compile(r"^https://[^\s/]+[^\s]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _https_url(url: str) -> str:
    """An https URL, or nothing."""
    if url and not _HTTPS.match(url):
        raise ValueError("expected an https URL")
    return url


def _site_url(url: str) -> str:
    """An https URL, an http one only for a loopback preview."""
    if not (_HTTPS.match(url) or _LOOPBACK_HTTP.match(url)):
        raise ValueError("expected an https URL (http only for a 127.0.0.1 preview)")
    return url


def _email(address: str) -> str:
    if address and not _EMAIL.match(address):
        raise ValueError("expected an e-mail address")
    return address


def _footer(template: str) -> str:
    try:
        template.format(base_url="", site_url="", title="", link="", show_title="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"expected a template with the fields {{base_url}} {{site_url}} {{title}} {{link}} {{show_title}} ({exc!r})") from exc
    return template


class ShowInfo(Settings):
    """[show]: who publishes and where the posts live."""

    title: str = "My audio essays"
    author: str = ""
    description: str = ""
    language: str = "en-us"
    # The newsletter's home: a post's canonical URL is base_url + "/p/<slug>".
    base_url: Annotated[str, AfterValidator(_http_url)] = "https://example.com"


def language_code(tag: str) -> str:
    """The primary language of a BCP 47 tag, lower case: "es-MX" -> "es", "en_US" -> "en"."""
    return re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0] if tag else ""


def _language_key(code: str) -> str:
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise ValueError("expected a language code such as \"es\"")
    return code


LanguageKey = Annotated[str, AfterValidator(_language_key)]


class LanguageTexts(Settings):
    """[script.languages.<code>]: what the narrator says around a post in that language
    (empty: the built-in text for the language, else the [script] one)."""

    intro: str = ""  # the intro template, with the same fields as [script] intro
    outro: str = ""  # the outro template
    quote_open: str = ""  # said before a block quote
    quote_close: str = ""  # said after it


# The narrator's texts for posts in languages other than English, unless the show sets its own.
BUILTIN_LANGUAGE_TEXTS = {
    "es": LanguageTexts(
        intro="{title}. {subtitle}. Escrito por {author}, publicado el {date}. "
              "Esta es una versión en audio del artículo, narrada por una inteligencia artificial.",
        outro="Gracias por escuchar. El artículo completo, con enlaces y notas, está en {site}.",
        quote_open="Cita.",
        quote_close="Fin de la cita.",
    ),
}


class ScriptOptions(Settings):
    """[script]: what the text preparer reads aloud and how."""

    read_footnotes: bool = False  # read each section's footnotes at its end
    read_captions: bool = False  # read image captions
    frame_quotes: bool = True  # "Quote. ... End quote." around block quotes
    quote_open: str = "Quote."
    quote_close: str = "End quote."
    omission_cues: bool = True  # "The post shows a table here."
    # regexes, case-insensitive, searched per paragraph (a TOML list: not strict about the tuple)
    boilerplate: tuple[Annotated[str, AfterValidator(_regex)], ...] = Field(DEFAULT_BOILERPLATE, strict=False)
    notes_boilerplate: bool = False  # keep boilerplate paragraphs in the show notes
    lexicon: str = ""  # path of a pronunciation lexicon TOML, relative to the show folder
    max_sentence_chars: int = Field(400, ge=40)
    intro: str = (
        "{title}. {subtitle}. Written by {author}, published {date}. "
        "This is an AI-narrated audio version of the post."
    )
    outro: str = "Thanks for listening. The full post, with links and footnotes, is at {site}."
    # The intro, outro and quote framing for posts in other languages: [script.languages.es] ...
    languages: dict[LanguageKey, LanguageTexts] = {}

    def text(self, key: str, language: str, show_language: str) -> str:
        """The intro, outro or quote framing (``key``) for a post in ``language``: the
        [script] one in the show's own language; else the show's or the built-in text for
        that language, else the [script] one."""
        if language and language != show_language:
            for texts in (self.languages.get(language), BUILTIN_LANGUAGE_TEXTS.get(language)):
                if texts is not None and getattr(texts, key):
                    return getattr(texts, key)
        return getattr(self, key)


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

AppleCategory = one_of(*APPLE_CATEGORIES)
DEFAULT_SITE_URL = "https://podcast.example.com"
DEFAULT_EPISODE_FOOTER = (
    "This is a public episode. If you'd like to discuss this with other subscribers or get access "
    "to bonus episodes, visit {base_url}/subscribe"
)
DEFAULT_PAID_EPISODE_FOOTER = (
    "This episode is for paid subscribers of {show_title}. Thank you for your support; discuss it at {link}"
)


class ListenOn(Settings):
    """[publish.listen_on]: the show's pages in podcast directories, shown as "Listen on"
    links on the site (an empty one is not shown; the RSS feed always is)."""

    apple: Annotated[str, AfterValidator(_https_url)] = ""  # the show's Apple Podcasts page
    spotify: Annotated[str, AfterValidator(_https_url)] = ""  # the show's Spotify page
    pocket_casts: Annotated[str, AfterValidator(_https_url)] = ""  # the show's Pocket Casts page


class PublishOptions(Settings):
    """[publish]: where the podcast site is hosted and what its feed says about the show.

    Title, author, description and language come from [show]; ``base_url`` there is the
    newsletter where the posts live, ``site_url`` here is where ``publish``'s site is served.
    """

    site_url: Annotated[str, AfterValidator(_site_url)] = DEFAULT_SITE_URL
    feed_url: Annotated[str, AfterValidator(lambda url: url and _site_url(url))] = ""  # default: site_url + "/feed.xml"
    new_feed_url: Annotated[str, AfterValidator(_https_url)] = ""  # set when the feed moves (itunes:new-feed-url)
    artwork: str = ""  # square PNG/JPEG, 1400-3000 px, RGB; empty: a generated placeholder
    category: AppleCategory = "Technology"  # Apple's list, exact spelling
    subcategory: str = ""
    explicit: bool = False
    owner_email: Annotated[str, AfterValidator(_email)] = ""  # podcast:locked owner
    copyright: str = ""
    funding_url: Annotated[str, AfterValidator(_https_url)] = ""
    funding_label: str = Field("Support the show", max_length=128)
    locked: bool = False  # podcast:locked: other hosts may not import the feed
    # Appended to a public episode's show notes. Fields: {base_url} {site_url} {title} {link} {show_title}.
    episode_footer: Annotated[str, AfterValidator(_footer)] = DEFAULT_EPISODE_FOOTER
    # Appended to a paid episode's show notes instead (same fields).
    paid_episode_footer: Annotated[str, AfterValidator(_footer)] = DEFAULT_PAID_EPISODE_FOOTER
    notes_lead_link: bool = True  # the post's URL opens the show notes and description
    private_feed: bool = False  # paid posts go to a private feed per subscriber: private/<token>/feed.xml
    private_title_suffix: str = " (paid subscribers)"  # added to the show's title in the private feeds
    listen_on: ListenOn = ListenOn()  # "Listen on" links on the site: [publish.listen_on]
    # A podcast post (front matter type: podcast): "own-audio" publishes the audio the post names
    # (podcast_url, an enclosure) and skips it when it has none; "narrate" reads it aloud; "skip".
    podcast_posts: PodcastPosts = "own-audio"

    @field_validator("subcategory")
    @classmethod
    def _subcategory(cls, value: str, info: ValidationInfo) -> str:
        category = info.data.get("category")  # absent when the category itself is wrong
        subs = APPLE_CATEGORIES.get(category, ())
        if value and category and value not in subs:
            raise ValueError(f"expected a subcategory of \"{category}\", one of: {', '.join(subs) or 'none'}")
        return value

    @property
    def resolved_feed_url(self) -> str:
        return self.feed_url or self.site_url.rstrip("/") + "/feed.xml"


PodcastPosts = one_of("own-audio", "narrate", "skip")


Bitrate = one_of(*(f"{k}k" for k in (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)))
SampleRate = one_of(22050, 24000, 32000, 44100, 48000)
Channels = one_of(1, 2)


class RenderOptions(Settings):
    """[render]: the default voice, show audio around the speech, and the MP3's format."""

    voice: str = "joe"  # a profile in voices/ (or the show's own voices/ folder)
    intro_audio: str = ""  # music/jingle before the spoken intro, relative to the show folder
    outro_audio: str = ""  # after the spoken outro
    transition_audio: str = ""  # between sections, instead of the section pause
    bitrate: Bitrate = "96k"  # MP3 CBR bitrate
    channels: Channels = 1
    sample_rate: SampleRate = 44100
    target_lufs: float = Field(-16.0, ge=-30, le=-10)  # integrated loudness of the MP3
    true_peak: float = Field(-1.0, ge=-6, le=0)  # dBTP ceiling of the MP3

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
    voices: dict[str, str] = field(default_factory=dict)

    @property
    def language(self) -> str:
        """The show's own language code ("en" for "en-us")."""
        return language_code(self.show.language)

    def voice_for(self, language: str) -> str | None:
        """The voice profile that reads a post in ``language``: ``[voices] <language>``,
        else ``[render] voice`` for the show's own language; None when the show has none."""
        if language in self.voices:
            return self.voices[language]
        return self.render.voice if language in ("", self.language) else None

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


class ShowFile(Settings):
    """``show.toml``: a table for each of the Show's settings records."""

    show: ShowInfo = ShowInfo()
    script: ScriptOptions = ScriptOptions()
    publish: PublishOptions = PublishOptions()
    render: RenderOptions = RenderOptions()
    # The voice profile for posts in each language: en = "joe", es = "my-spanish" ([render] voice
    # reads the show's own language when it has no entry here).
    voices: dict[LanguageKey, Annotated[str, Field(min_length=1)]] = {}


def _check_files(show: Show) -> None:
    """The files the settings name, relative to the show folder, exist (and the artwork fits)."""
    path = show.config_path
    if show.lexicon_path and not show.lexicon_path.is_file():
        raise ConfigError(path, f"script.lexicon: no such file {show.lexicon_path}")
    for role in ("intro", "outro", "transition"):
        audio = show.render.audio_path(show.folder, role)
        if audio and not audio.is_file():
            raise ConfigError(path, f"render.{role}_audio: no such file {audio}")
    if show.publish.artwork:
        from audio.publish.artwork import artwork_problems  # Pillow, only when artwork is set

        artwork = show.folder / show.publish.artwork
        problems = artwork_problems(artwork)
        if problems:
            raise ConfigError(path, f"publish.artwork: {artwork}: {problems[0]}")


def load_show(folder: str | Path) -> Show:
    """Load and validate ``<folder>/show.toml``; a folder without one gets the defaults."""
    folder = Path(folder)
    path = folder / SHOW_FILE
    if not folder.is_dir():
        raise ConfigError(folder, "no such show folder")
    settings = validate(ShowFile, read_toml(path) if path.exists() else {}, path)
    show = Show(folder=folder, **dict(settings))
    _check_files(show)
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
