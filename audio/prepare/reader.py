"""Any post file -> ``Post``: metadata plus pandoc's JSON AST of the body.

The format's reader (``audio.readers``: Markdown with or without YAML front matter,
Substack HTML, or one another package registers) turns the file's text into pandoc's AST
and the metadata the format holds; this module reads the file, asks the registry which
reader takes it, and completes the metadata the same way whatever the format (title from
the first heading, slug, canonical URL, draft).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from audio import limits
from audio.errors import InputError
from audio.models import Post, PostMeta
from audio.prepare.language import post_language
from audio.readers.pandoc import plain_text
from audio.readers.registry import post_reader
from audio.show import Show
from audio.urls import checked_url, post_url, slugify

# Bidi embeddings, overrides, isolates and marks, and zero-width characters: in a title
# they reorder or hide what a listener's app shows. Prose keeps them (Persian needs ZWNJ,
# Hebrew and Arabic marks), metadata does not. Control characters become spaces (XML
# and ID3 take none).
METADATA_CLEANUP = {
    **dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
                             "\u200b\u200c\u200d\u2060\ufeff")),
    **dict.fromkeys([*range(0x20), *range(0x7f, 0xa0)], " "),
}


# Characters XML 1.0 forbids (C0 controls but tab and line ends; U+FFFE, U+FFFF): no prose has
# them, and one in a post would make its feed, notes and pages unwritable. A vertical tab or a
# form feed (a page break) is a line end.
NOT_TEXT = {**dict.fromkeys([*range(0x01, 0x09), *range(0x0E, 0x20), 0xFFFE, 0xFFFF]), 0x0B: "\n", 0x0C: "\n"}


def _read_text(path: Path) -> tuple[str, str]:
    """The file's text and the sha256 of its bytes; every way a file can be unreadable."""
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a folder, not a post")
    try:
        limits.check_post_size(path, path.stat().st_size)
        with path.open("rb") as f:
            data = f.read(limits.POST.max_bytes + 1)  # bounded, should it grow meanwhile
        limits.check_post_size(path, len(data))
    except OSError as exc:
        raise InputError(path, f"cannot read it ({exc.strerror or exc})") from exc
    if not data.strip():
        raise InputError(path, "empty file")
    if b"\x00" in data:
        raise InputError(path, "binary file, not a text post")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (bad byte at offset {exc.start})") from exc
    return text.replace("\r\n", "\n").translate(NOT_TEXT), hashlib.sha256(data).hexdigest()


def _flag(value: Any) -> bool | None:
    """A front-matter yes/no, whether YAML read it as a boolean or a string."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    return True if text in ("true", "yes", "1") else False if text in ("false", "no", "0") else None


def is_draft(front: dict[str, Any]) -> bool:
    """Unpublished, as static-site generators (Hugo ``draft``, Jekyll ``published``) and
    Substack (``is_published``) write it in front matter."""
    published = front.get("published", front.get("is_published"))
    return _flag(front.get("draft")) is True or _flag(published) is False


EPISODE_TYPES = ("full", "trailer", "bonus")


def episode_tags(front: dict[str, Any], path: Path) -> dict[str, Any]:
    """The podcast tags a post's front matter may set: ``explicit`` (yes/no), ``episode_type``
    (full, trailer, bonus), ``season`` and ``episode`` (whole numbers from 1); absent ones are
    left to the show. A bad value is an InputError naming the key."""
    tags: dict[str, Any] = {}
    if front.get("explicit") is not None:
        tags["explicit"] = _flag(front["explicit"])
        if tags["explicit"] is None:
            raise InputError(path, f"front matter explicit: expected true or false, got {front['explicit']!r}")
    if front.get("episode_type") is not None:
        kind = str(front["episode_type"]).strip().lower()
        if kind not in EPISODE_TYPES:
            raise InputError(path, f"front matter episode_type: expected one of {', '.join(EPISODE_TYPES)}, "
                                   f"got {front['episode_type']!r}")
        tags["episode_type"] = kind
    for key in ("season", "episode"):
        value = front.get(key)
        if value is None:
            continue
        text = str(value).strip()
        if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise InputError(path, f"front matter {key}: expected a whole number from 1, got {value!r}")
        tags[key] = int(text)
    return tags


def clean_metadata(text: str) -> str:
    """A title, byline or chapter title without invisible formatting characters."""
    return " ".join(text.translate(METADATA_CLEANUP).split())


def _title_from_heading(ast: dict[str, Any]) -> str:
    """The first heading's text; a leading level-1 heading is removed (the intro says it)."""
    blocks = ast["blocks"]
    for i, block in enumerate(blocks):
        if block["t"] == "Header":
            text = plain_text(block["c"][2])
            if i == 0 and block["c"][0] == 1:
                del blocks[0]
            return text
    return ""


def _slug_and_id(path: Path, post_id: str) -> tuple[str, str]:
    """``160875693.brakes-on-x`` -> slug ``brakes-on-x``; else the file name."""
    if not post_id:
        head, _, tail = path.stem.partition(".")
        if head.isdigit() and tail:
            post_id = path.stem
    head, dot, tail = post_id.partition(".")
    raw = tail if dot and head.isdigit() and tail else (post_id or path.stem)
    return slugify(raw) or "post", post_id


def _humanise(stem: str) -> str:
    words = stem.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() if words else "Untitled"


def read_post(path: str | Path, show: Show) -> Post:
    """Read one post file into metadata and pandoc's AST (one pandoc run)."""
    path = Path(path)
    text, digest = _read_text(path)
    read = post_reader(path, text).read(path, text)
    front, ast = read.front, read.ast
    title = clean_metadata(read.title) or clean_metadata(_title_from_heading(ast)) or _humanise(
        path.stem.partition(".")[2] or path.stem
    )
    slug, post_id = _slug_and_id(path, str(front.get("post_id") or "").strip())
    key = "canonical_url" if front.get("canonical_url") else "url"
    canonical = checked_url(str(front.get(key) or ""), show.show.base_url, str(path), key)
    meta = PostMeta(
        title=title,
        slug=slug,
        subtitle=clean_metadata(read.subtitle),
        author=clean_metadata(read.author) or show.show.author,
        date=read.date,
        post_id=post_id,
        type=str(front.get("type") or "newsletter"),
        audience=str(front.get("audience") or "everyone"),
        canonical_url=canonical or post_url(show.show.base_url, slug),
        draft=is_draft(front),
        podcast_url=str(front.get("podcast_url") or "").strip(),
        canonical_explicit=bool(canonical),
        **episode_tags(front, path),
        language=post_language(front, ast, show),
    )
    return Post(meta=meta, source=path, source_hash=digest, ast=ast)
