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
    lexicon: str = ""  # path of a pronunciation lexicon TOML, relative to the show folder
    max_sentence_chars: int = 400
    intro: str = (
        "{title}. {subtitle}. Written by {author}, published {date}. "
        "This is an AI-narrated audio version of the post."
    )
    outro: str = "Thanks for listening. The full post, with links and footnotes, is at {site}."


@dataclass(frozen=True)
class Show:
    """A show folder and its settings."""

    folder: Path
    show: ShowInfo = field(default_factory=ShowInfo)
    script: ScriptOptions = field(default_factory=ScriptOptions)

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
TABLES = {"show": "show", "script": "script"}


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
