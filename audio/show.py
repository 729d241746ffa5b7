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

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from audio.config import Regex, Settings, one_of, read_toml, validate
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


def is_email(text: str) -> bool:
    """``text`` (spaces around it aside) has the form of an e-mail address."""
    return bool(_EMAIL.match(text.strip()))


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

    title: str = Field("My audio essays", description="the show's name (feed, site, ID3 album)")
    author: str = Field("", description="spoken in each intro unless a post names its own author")
    description: str = Field("", description="what the show is about (feed and site)")
    language: str = Field("en-us", description="ISO 639 language code of the episodes")
    base_url: Annotated[str, AfterValidator(_http_url)] = Field(
        "https://example.com", description='the newsletter\'s home: a post\'s URL is base_url + "/p/<slug>"')


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

    read_footnotes: bool = Field(False, description="read each section's footnotes at its end")
    read_captions: bool = Field(False, description="read image captions")
    frame_quotes: bool = Field(True, description="say quote_open / quote_close around block quotes")
    quote_open: str = Field("Quote.", description="said before a block quote")
    quote_close: str = Field("End quote.", description="said after a block quote")
    omission_cues: bool = Field(True, description='"The post shows a table here." for tables, code and equations')
    # a TOML list: not strict about the tuple
    boilerplate: tuple[Regex, ...] = Field(
        DEFAULT_BOILERPLATE, strict=False,
        description="paragraphs matching one of these regular expressions (case-insensitive) are never read")
    notes_boilerplate: bool = Field(False, description="keep boilerplate paragraphs in the show notes")
    lexicon: str = Field("", description='pronunciation lexicon TOML, relative to the show folder, e.g. "lexicon.toml"')
    max_sentence_chars: int = Field(400, ge=40, description="longer sentences are split at clause boundaries")
    intro: str = Field(
        "{title}. {subtitle}. Written by {author}, published {date}. "
        "This is an AI-narrated audio version of the post.",
        description="the spoken title block; fields {title} {subtitle} {author} {date} {site} {url} "
                    "(a clause whose field is empty is left out)")
    outro: str = Field("Thanks for listening. The full post, with links and footnotes, is at {site}.",
                       description="the spoken closing; same fields as intro")
    languages: dict[LanguageKey, LanguageTexts] = Field(
        {}, description="the intro, outro and quote framing for posts in another language, per language code "
                        "(built in for Spanish)",
        examples=[{"es": {"intro": "{title}. Escrito por {author}.", "outro": "", "quote_open": "Cita.",
                          "quote_close": "Fin de la cita."}}])

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
    """[publish.listen_on]: the show's directory pages, as "Listen on" links (empty: not shown).

    The RSS feed's link is always shown."""

    apple: Annotated[str, AfterValidator(_https_url)] = Field("", description="the show's Apple Podcasts page")
    spotify: Annotated[str, AfterValidator(_https_url)] = Field("", description="the show's Spotify page")
    pocket_casts: Annotated[str, AfterValidator(_https_url)] = Field("", description="the show's Pocket Casts page")


PodcastPosts = one_of("own-audio", "narrate", "skip")
DEFAULT_AI_DISCLOSURE = "This episode is an AI-narrated reading of the post."


class PublishOptions(Settings):
    """[publish]: where the podcast site is hosted and what its feed says about the show.

    Title, author, description and language come from [show]; ``base_url`` there is the
    newsletter where the posts live, ``site_url`` here is where ``publish``'s site is served.
    """

    site_url: Annotated[str, AfterValidator(_site_url)] = Field(
        DEFAULT_SITE_URL, description="where the site folder is served (https)")
    feed_url: Annotated[str, AfterValidator(lambda url: url and _site_url(url))] = Field(
        "", description='the feed\'s public URL; empty: site_url + "/feed.xml"')
    moved_to: Annotated[str, AfterValidator(_https_url)] = Field(
        "", description="the feed's new URL when the show moves: itunes:new-feed-url, and serve answers 301")
    new_feed_url: Annotated[str, AfterValidator(_https_url)] = Field(
        "", description="the older name of moved_to, still read")
    artwork: str = Field("", description="square PNG/JPEG, 1400-3000 px, RGB; empty: a generated placeholder")
    category: AppleCategory = Field("Technology", description="Apple Podcasts category, exact spelling")
    subcategory: str = Field("", description="a subcategory of category, exact spelling")
    explicit: bool = Field(False, description="itunes:explicit for the show")
    owner_name: str = Field("", description="itunes:owner name; empty: [show] author")
    owner_email: Annotated[str, AfterValidator(_email)] = Field(
        "", description="itunes:owner email (directories send ownership checks there) and podcast:locked owner")
    copyright: str = Field("", description="channel copyright")
    funding_url: Annotated[str, AfterValidator(_https_url)] = Field("", description="podcast:funding link")
    funding_label: str = Field("Support the show", max_length=128, description="podcast:funding text")
    locked: bool = Field(False, description="podcast:locked: other hosts may not import the feed")
    episode_footer: Annotated[str, AfterValidator(_footer)] = Field(
        DEFAULT_EPISODE_FOOTER, description="appended to a public episode's show notes; "
                                            "fields {base_url} {site_url} {title} {link} {show_title}")
    paid_episode_footer: Annotated[str, AfterValidator(_footer)] = Field(
        DEFAULT_PAID_EPISODE_FOOTER, description="appended to a paid episode's show notes instead; the same fields")
    notes_lead_link: bool = Field(True, description="the post's URL opens the show notes and description")
    private_feed: bool = Field(
        False, description="paid posts go to a private feed per subscriber: private/<token>/feed.xml")
    private_title_suffix: str = Field(" (paid subscribers)", description="added to the show's title in the private feeds")
    listen_on: ListenOn = Field(ListenOn(), description='"Listen on" links on the site: [publish.listen_on]')
    podcast_posts: PodcastPosts = Field(
        "own-audio", description='a podcast post (type: podcast): "own-audio" publishes the audio the post names '
                                 '(podcast_url, an enclosure) and skips it when it has none; "narrate" reads it aloud; '
                                 '"skip"')
    ai_disclosure: str = Field(DEFAULT_AI_DISCLOSURE,
                               description="ends every episode's description; empty: no disclosure")

    @field_validator("subcategory")
    @classmethod
    def _subcategory(cls, value: str, info: ValidationInfo) -> str:
        category = info.data.get("category")  # absent when the category itself is wrong
        subs = APPLE_CATEGORIES.get(category, ())
        if value and category and value not in subs:
            raise ValueError(f"expected a subcategory of \"{category}\", one of: {', '.join(subs) or 'none'}")
        return value

    @model_validator(mode="after")
    def _one_move(self) -> PublishOptions:
        if self.moved_to and self.new_feed_url and self.moved_to != self.new_feed_url:
            raise ValueError("moved_to and new_feed_url (its older name) name different URLs: keep moved_to")
        return self

    @property
    def moved_feed_url(self) -> str:
        """Where the feed has moved ("" when it has not)."""
        return self.moved_to or self.new_feed_url

    @property
    def resolved_feed_url(self) -> str:
        return self.feed_url or self.site_url.rstrip("/") + "/feed.xml"


Bitrate = one_of(*(f"{k}k" for k in (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)))
SampleRate = one_of(22050, 24000, 32000, 44100, 48000)
Channels = one_of(1, 2)


class RenderOptions(Settings):
    """[render]: the default voice, show audio around the speech, and the MP3's format."""

    voice: str = Field("joe", description="a profile in voices/ (or the show's own voices/ folder)")
    intro_audio: str = Field("", description="music/jingle before the spoken intro, relative to the show folder")
    outro_audio: str = Field("", description="after the spoken outro")
    transition_audio: str = Field("", description="between sections, instead of the section pause")
    bitrate: Bitrate = Field("96k", description="MP3 CBR bitrate")
    channels: Channels = Field(1, description="1 (mono) or 2 (stereo)")
    sample_rate: SampleRate = Field(44100, description="MP3 sample rate in Hz")
    target_lufs: float = Field(-16.0, ge=-30, le=-10, description="integrated loudness of the MP3")
    true_peak: float = Field(-1.0, ge=-6, le=0, description="dBTP ceiling of the MP3")

    def audio_path(self, folder: Path, role: str) -> Path | None:
        value = getattr(self, f"{role}_audio")
        return folder / value if value else None


class QAOptions(Settings):
    """[qa]: speech QA, listening to every sentence of an episode (audio-essay qa)."""

    enabled: bool = Field(False, description="run QA inside render and batch, retaking suspect sentences")
    recognizer: str = Field("pocketsphinx", description="the speech recogniser (audio_essay.recognizers entry point)")
    model: str = Field("", description="the recogniser's model folder, relative to the show folder; empty: its own")
    max_retakes: int = Field(3, ge=0, le=10, description="new takes of a suspect sentence at most (0: report only)")
    spread: float = Field(4.0, gt=0, description="a sentence is suspect above the voice's median error rate plus "
                                                  "this many times its spread on clean sentences")


@dataclass(frozen=True)
class Show:
    """A show folder and its settings."""

    folder: Path
    show: ShowInfo = field(default_factory=ShowInfo)
    script: ScriptOptions = field(default_factory=ScriptOptions)
    publish: PublishOptions = field(default_factory=PublishOptions)
    render: RenderOptions = field(default_factory=RenderOptions)
    voices: dict[str, str] = field(default_factory=dict)
    qa: QAOptions = field(default_factory=QAOptions)

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
    def qa_dir(self) -> Path:
        """Speech QA's working area: its HTML report and each voice's calibration. Private:
        never part of the site."""
        return self.folder / "qa"

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
    voices: dict[LanguageKey, Annotated[str, Field(min_length=1)]] = Field(
        {}, description="the voice profile for posts in each language; a post in a language with no voice here "
                        "(and not the show's own, read by [render] voice) is skipped, never read by a voice of "
                        "another language",
        examples=[{"es": "my-spanish"}])
    qa: QAOptions = QAOptions()


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
        from audio.publish.artwork import (
            artwork_problems,  # Pillow, only when artwork is set
        )

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
