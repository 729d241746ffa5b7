"""Any post file -> ``Post``: metadata plus pandoc's JSON AST of the body.

Three inputs share one document model (pandoc's AST):

* pandoc Markdown with YAML front matter (Substack exports converted by pandoc),
* Substack HTML: an export's post body, or a whole saved post web page,
* plain CommonMark/GFM without front matter.

Pandoc runs once per post. The front matter is split off and parsed here, because real
exports contain titles pandoc's YAML reader rejects (``title: ""10 years""``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from audio import limits
from audio.errors import InputError
from audio.models import Post, PostMeta
from audio.show import Show
from audio.urls import checked_url, post_url, slugify

# Markdown: our own front-matter split. Bare URLs stay text (normalisation says their
# domain, or drops a URL standing alone): pandoc's autolink_bare_uris costs a third of
# its reading time.
MARKDOWN_FORMAT = "markdown-yaml_metadata_block"
HTML_FORMAT = "html"
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}

# Classes of a saved Substack web page (not of a post body).
PAGE_BODY_CLASSES = ("body", "available-content")
PAGE_TITLE_CLASS = "post-title"
PAGE_SUBTITLE_CLASS = "subtitle"
PAGE_HEADER_CLASS = "post-header"
PAGE_BYLINE_CLASSES = ("byline-names", "profile-hover-card-target")
PAGE_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d")
# Bidi embeddings, overrides, isolates and marks, and zero-width characters: in a title
# they reorder or hide what a listener's app shows. Prose keeps them (Persian needs ZWNJ,
# Hebrew and Arabic marks), metadata does not. Control characters become spaces (XML
# and ID3 take none).
METADATA_CLEANUP = {
    **dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
                             "\u200b\u200c\u200d\u2060\ufeff")),
    **dict.fromkeys([*range(0x20), *range(0x7f, 0xa0)], " "),
}


@lru_cache(maxsize=1)
def pandoc_path() -> str:
    """The pandoc shipped by pypandoc-binary (imported lazily: it scans for pandoc)."""
    import pypandoc

    return pypandoc.get_pandoc_path()


# pandoc's binary asks for a 64 MB initial heap; touching it costs more than parsing a
# post. A small one halves pandoc's system time (GHCRTS is ignored, with a warning, by
# a build that disallows RTS options). -M caps its heap: some inputs (thousands of
# nested divs) make it grow by gigabytes.
def _pandoc_env() -> dict[str, str]:
    return {**os.environ, "GHCRTS": f"-H1m -M{limits.POST.pandoc_heap_mib}m"}


def run_pandoc(path: Path, args: list[str], text: str) -> str:
    """Run pandoc once on ``text``, within its time and memory budget; a failure is the
    input's fault, named by ``path``."""
    data = text.encode("utf-8")
    caps = limits.POST
    seconds = caps.pandoc_seconds + caps.pandoc_seconds_per_mib * len(data) / 2**20
    try:
        done = subprocess.run(
            [pandoc_path(), *args], input=data, capture_output=True, check=False, env=_pandoc_env(), timeout=seconds
        )
    except subprocess.TimeoutExpired as exc:
        raise InputError(path, f"pandoc could not read it within {seconds:.0f} s (too large or too complex)") from exc
    except OSError as exc:  # pragma: no cover - a broken pypandoc-binary install
        raise InputError(path, f"cannot run pandoc ({exc})") from exc
    if b"Heap exhausted" in done.stderr:
        raise InputError(path, f"pandoc could not read it within {caps.pandoc_heap_mib} MiB of memory (too large or too complex)")
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["unknown error"]
        raise InputError(path, f"pandoc could not parse it ({lines[0].strip()})")
    return done.stdout.decode("utf-8")


# Nesting pandoc would take time or memory over (its reader is quadratic in the depth of
# Markdown blockquotes and lists, and an HTML div costs it kilobytes per level): a line's
# blockquote and list markers, and its indentation (up to four columns a level) ...
_MARKDOWN_CONTAINERS = re.compile(r"^([ \t]*)((?:(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t]))[ \t]*)+)", re.M)
_MARKDOWN_MARKER = re.compile(r">|[-+*]|\d{1,9}[.)]")
# ... and HTML containers that must be closed (tags whose end is optional, such as
# <li> or <p>, are not counted: their start tags need not pair with ends).
_HTML_CONTAINER = re.compile(
    r"<(/?)(?:div|blockquote|ul|ol|dl|section|article|aside|table|figure|details|span|em|strong)\b[^<>]*?(/?)>",
    re.I,
)


def check_nesting(path: Path | str, text: str, first_line: int = 1) -> None:
    """Refuse a source whose blockquotes, lists or HTML containers nest deeper than the
    limit, before pandoc reads it (``read_ast`` checks the document pandoc made);
    ``text`` starts at line ``first_line`` of the file."""
    limit = limits.POST.max_depth
    deepest = None
    for match in _MARKDOWN_CONTAINERS.finditer(text):
        indent, markers = match.groups()
        depth = len(indent.expandtabs(4)) // 4
        depth += sum(1 for _ in zip(range(limit + 1), _MARKDOWN_MARKER.finditer(markers)))
        if depth > limit:
            deepest = match.start()
            break
    depth = 0
    for match in _HTML_CONTAINER.finditer(text, 0, len(text) if deepest is None else deepest):
        if match.group(2):  # <div/>
            continue
        depth = max(depth - 1, 0) if match.group(1) else depth + 1
        if depth > limit:
            deepest = match.start()
            break
    if deepest is not None:
        line = first_line + text.count("\n", 0, deepest)
        raise InputError(path, f"nested more than {limit} levels deep at line {line} (blockquotes, lists or HTML elements)")


def _too_deep(ast: dict[str, Any], limit: int) -> bool:
    """Whether pandoc's elements that hold others nest more than ``limit`` deep in ``ast``
    (counted without recursion). Its JSON, arrays and objects, may nest six times that (an
    ordered list is four JSON levels, a table nine): the walks over the AST recurse per
    JSON level."""
    stack: list[tuple[Any, int, int]] = [(ast, 0, 0)]
    while stack:
        node, elements, containers = stack.pop()
        elements += isinstance(node, dict) and isinstance(node.get("c"), list)
        containers += 1
        if elements > limit or containers > 6 * limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, elements, containers) for child in children if isinstance(child, (dict, list)))
    return False


def read_ast(path: Path, args: list[str], text: str, first_line: int = 1) -> dict[str, Any]:
    """Pandoc's JSON AST of ``text`` (read with ``args``; it starts at line ``first_line``
    of ``path``), its nesting within the limit."""
    check_nesting(path, text, first_line)
    limit = limits.POST.max_depth
    refusal = f"nested more than {limit} levels deep (blockquotes, lists or other elements)"
    try:
        ast = json.loads(run_pandoc(path, [*args, "-t", "json"], text))
    except RecursionError as exc:  # deeper than the JSON decoder goes
        raise InputError(path, refusal) from exc
    if _too_deep(ast, limit):
        raise InputError(path, refusal)
    return ast


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


def split_front_matter(text: str) -> tuple[str | None, str]:
    """``(front matter or None, body)``: front matter is a leading ``---`` ... ``---``/``...`` block."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, text
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
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


def parse_front_matter(path: Path, block: str) -> dict[str, Any]:
    size = len(block.encode("utf-8"))
    if size > limits.POST.max_front_matter_bytes:
        raise InputError(path, f"front matter is {size} bytes, over the {limits.POST.max_front_matter_bytes}-byte limit")
    try:
        data = _load_yaml(block)
        if not isinstance(data, dict):
            data = _lenient_front_matter(block)
    except _Refused as exc:
        raise InputError(path, str(exc)) from exc
    if not data:
        raise InputError(path, "front matter is not a YAML mapping of key: value lines")
    return {str(k): v for k, v in data.items()}


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


def plain_text(inlines: list[dict[str, Any]]) -> str:
    """The words of an inline list (for metadata: titles, bylines, dates)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Code", "Math"):
            out.append(content[-1])
        elif kind in ("Note", "Image", "RawInline", "RawBlock"):
            return
        elif kind == "Link":
            walk(content[1])
        elif kind in ("Span", "Div", "Header", "Figure"):
            walk(content[-1])
        elif kind == "Quoted":
            out.append("\u201c")
            walk(content[1])
            out.append("\u201d")
        elif isinstance(content, list):
            walk(content)

    walk(inlines)
    return " ".join("".join(out).split())


def clean_metadata(text: str) -> str:
    """A title, byline or chapter title without invisible formatting characters."""
    return " ".join(text.translate(METADATA_CLEANUP).split())


def meta_text(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    if not value:
        return ""
    if value["t"] == "MetaString":
        return value["c"]
    if value["t"] == "MetaList":
        return ", ".join(plain_text(v.get("c", [])) for v in value["c"])
    return plain_text(value.get("c", []))


def _classes(node: dict[str, Any]) -> list[str]:
    if node.get("t") == "Header":
        return node["c"][1][1]
    return node["c"][0][1] if node.get("t") in ("Div", "Span") else []


def _find_block(blocks: list[dict[str, Any]], want) -> dict[str, Any] | None:
    """Depth-first: the first block (through Divs) for which ``want(block)`` holds."""
    for block in blocks:
        if want(block):
            return block
        if block.get("t") == "Div":
            found = _find_block(block["c"][1], want)
            if found is not None:
                return found
    return None


def _page_date(header: dict[str, Any] | None) -> datetime | None:
    """The date line of a saved page's post header (``Apr 30, 2025``)."""
    if header is None:
        return None
    candidates: list[str] = []

    def collect(blocks: list[dict[str, Any]]) -> None:
        for block in blocks:
            if block["t"] in ("Plain", "Para"):
                candidates.append(plain_text(block["c"]))
            elif block["t"] == "Div":
                collect(block["c"][1])

    collect(header["c"][1])
    for text in candidates:
        for fmt in PAGE_DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
            except ValueError:
                continue
    return None


@dataclass
class _Page:
    title: str = ""
    subtitle: str = ""
    author: str = ""
    date: datetime | None = None


def _split_page(ast: dict[str, Any]) -> _Page:
    """Take a saved web page apart: its metadata from the post header, and the post body
    (the ``body markup`` div) as the document. A bare export body is left as it is."""
    blocks = ast["blocks"]
    page = _Page(title=meta_text(ast["meta"], "title"), author=meta_text(ast["meta"], "author"))
    body = _find_block(blocks, lambda b: b["t"] == "Div" and all(c in _classes(b) for c in ("body", "markup")))
    body = body or _find_block(blocks, lambda b: b["t"] == "Div" and PAGE_BODY_CLASSES[1] in _classes(b))
    title = _find_block(blocks, lambda b: b["t"] == "Header" and PAGE_TITLE_CLASS in _classes(b))
    if title is not None:
        page.title = plain_text(title["c"][2])
    subtitle = _find_block(blocks, lambda b: b["t"] == "Header" and PAGE_SUBTITLE_CLASS in _classes(b))
    if subtitle is not None:
        page.subtitle = plain_text(subtitle["c"][2])
    byline = _find_block(blocks, lambda b: b["t"] == "Div" and any(c in _classes(b) for c in PAGE_BYLINE_CLASSES))
    if byline is not None and not page.author:
        page.author = plain_text(byline["c"][1])
    page.date = _page_date(_find_block(blocks, lambda b: b["t"] == "Div" and PAGE_HEADER_CLASS in _classes(b)))
    head, sep, by = page.title.rpartition(" - by ")
    if sep and title is None and head:  # <title>Post - by Author</title>
        page.title, page.author = head, page.author or by
    if body is not None:
        ast["blocks"] = body["c"][1]
    elif title is not None:
        # No body div: the whole page, less a top-level title (the intro says it); the
        # header, widgets and comments are chrome by class.
        ast["blocks"] = [b for b in blocks if b is not title]
    return page


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


def is_html(path: Path, text: str) -> bool:
    if path.suffix.lower() in HTML_SUFFIXES:
        return True
    head = text.lstrip()[:15].lower()
    return head.startswith(("<!doctype html", "<html"))


def read_post(path: str | Path, show: Show) -> Post:
    """Read one post file into metadata and pandoc's AST (one pandoc run)."""
    path = Path(path)
    text, digest = _read_text(path)
    front: dict[str, Any] = {}
    if is_html(path, text):
        ast = read_ast(path, ["-f", HTML_FORMAT], text)
        page = _split_page(ast)
        title, subtitle, author, when = page.title, page.subtitle, page.author, page.date
    else:
        block, body = split_front_matter(text)
        if block is not None:
            front = parse_front_matter(path, block)
        ast = read_ast(path, ["-f", MARKDOWN_FORMAT], body, 1 + text.count("\n", 0, len(text) - len(body)))
        title = str(front.get("title") or "").strip()
        subtitle = str(front.get("subtitle") or "").strip()
        author = front.get("author") or ""
        if isinstance(author, list):
            author = ", ".join(str(a) for a in author)
        author = str(author).strip()
        when = to_datetime(path, "email_sent_at", front.get("email_sent_at")) or to_datetime(
            path, "date", front.get("date")
        )
    title = clean_metadata(title) or clean_metadata(_title_from_heading(ast)) or _humanise(
        path.stem.partition(".")[2] or path.stem
    )
    slug, post_id = _slug_and_id(path, str(front.get("post_id") or "").strip())
    key = "canonical_url" if front.get("canonical_url") else "url"
    canonical = checked_url(str(front.get(key) or ""), show.show.base_url, str(path), key)
    meta = PostMeta(
        title=title,
        slug=slug,
        subtitle=clean_metadata(subtitle),
        author=clean_metadata(author) or show.show.author,
        date=when,
        post_id=post_id,
        type=str(front.get("type") or "newsletter"),
        audience=str(front.get("audience") or "everyone"),
        canonical_url=canonical or post_url(show.show.base_url, slug),
        draft=is_draft(front),
    )
    return Post(meta=meta, source=path, source_hash=digest, ast=ast)
