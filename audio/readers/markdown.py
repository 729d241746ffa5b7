"""Markdown posts: pandoc Markdown with YAML front matter (Substack exports converted by
pandoc, what ``import`` writes), Hugo's TOML front matter, and plain CommonMark/GFM without
it. HTML inside the Markdown is read as HTML (``embedded_html``).

The front matter is split off and parsed here, not by pandoc, because real exports
contain titles pandoc's YAML reader rejects (``title: ""10 years""``).
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from audio import limits
from audio.errors import InputError
from audio.models import ParsedPost
from audio.readers.embedded_html import read_embedded_html
from audio.readers.pandoc import read_ast

# Our own front-matter split. Bare URLs stay text (normalisation says their domain, or
# drops a URL standing alone): pandoc's autolink_bare_uris costs a third of its reading time.
MARKDOWN_FORMAT = "markdown-yaml_metadata_block"


TOML_FENCE = "+++"  # Hugo's TOML front matter: +++ ... +++


def split_front_matter(text: str) -> tuple[str | None, str]:
    """``(front matter or None, body)``: front matter is a leading ``---`` ... ``---``/``...``
    block (YAML), or ``+++`` ... ``+++`` (TOML)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() not in ("---", TOML_FENCE):
        return None, text
    ends = (TOML_FENCE,) if lines[0].strip() == TOML_FENCE else ("---", "...")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ends:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :])
    return None, text


class _Refused(Exception):
    """Front matter that is valid YAML but refused (why, in words)."""


class FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases and with bounded nesting: an alias lets a few
    bytes stand for billions of values ("billion laughs"), and nesting is composed
    recursively. An alias to no anchor stays a YAML error (``title: *Not an alias``
    is read by the lenient parser)."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent) and self.peek_event().anchor in self.anchors:
            raise _Refused(f"front matter uses a YAML alias (*{self.peek_event().anchor}); aliases are not allowed")
        if self.depth >= limits.POST.max_depth:
            raise _Refused(f"front matter nested more than {limits.POST.max_depth} levels deep")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _load_yaml(text: str) -> Any:
    """``text`` as YAML, or None when it is not valid YAML (a value YAML's types cannot
    hold, such as ``date: 2024-13-45``, is not valid either); ``_Refused`` propagates."""
    try:
        return yaml.load(text, Loader=FrontMatterLoader)
    except (yaml.YAMLError, ValueError):
        return None


def _lenient_front_matter(block: str) -> dict[str, Any]:
    """Line by line ``key: value``: each line that YAML accepts, else the value with one
    pair of surrounding quotes removed (``title: ""10 years""`` -> ``"10 years"``)."""
    result: dict[str, Any] = {}
    for line in block.split("\n"):
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or key.startswith((" ", "\t", "-")):
            continue
        parsed = _load_yaml(line)
        if isinstance(parsed, dict) and len(parsed) == 1:
            result.update(parsed)
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        result[key.strip()] = value.replace('\\"', '"')
    return result


def _load_toml(path: Path, block: str) -> dict[str, Any]:
    try:
        return tomllib.loads(block)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"front matter is not valid TOML ({exc})") from exc
    except RecursionError as exc:  # arrays in arrays, deeper than the parser goes
        raise InputError(path, f"front matter nested more than {limits.POST.max_depth} levels deep") from exc


def parse_front_matter(path: Path, block: str, toml: bool = False) -> dict[str, Any]:
    size = len(block.encode("utf-8"))
    if size > limits.POST.max_front_matter_bytes:
        raise InputError(path, f"front matter is {size} bytes, over the {limits.POST.max_front_matter_bytes}-byte limit")
    if toml:
        return _load_toml(path, block)
    try:
        data = _load_yaml(block)
        if not isinstance(data, dict):
            data = _lenient_front_matter(block)
    except _Refused as exc:
        raise InputError(path, str(exc)) from exc
    if not data:
        raise InputError(path, "front matter is not a YAML mapping of key: value lines")
    return {str(k): v for k, v in data.items()}


def to_datetime(path: Path, key: str, value: Any) -> datetime | None:
    """A front-matter date as a timezone-aware datetime (UTC when the post names no zone)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise InputError(path, f"front matter {key}: not a date ({value!r})") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class MarkdownReader:
    """Markdown, with or without front matter; also the reader of any text file no other
    reader takes."""

    name = "markdown"
    suffixes = (".md", ".markdown", ".txt")

    def sniffs(self, text: str) -> bool:
        return False  # Markdown has no signature

    def read(self, path: Path, text: str) -> ParsedPost:
        front: dict[str, Any] = {}
        block, body = split_front_matter(text)
        if block is not None:
            front = parse_front_matter(path, block, toml=text.startswith(TOML_FENCE))
        ast = read_ast(path, ["-f", MARKDOWN_FORMAT], body, 1 + text.count("\n", 0, len(text) - len(body)))
        ast = read_embedded_html(path, ast)
        author = front.get("author") or ""
        if isinstance(author, list):
            author = ", ".join(str(a) for a in author)
        when = to_datetime(path, "email_sent_at", front.get("email_sent_at")) or to_datetime(
            path, "date", front.get("date")
        )
        return ParsedPost(ast=ast, front=front, title=str(front.get("title") or "").strip(),
                          subtitle=str(front.get("subtitle") or "").strip(), author=str(author).strip(), date=when)
