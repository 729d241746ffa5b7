"""Pandoc, the document model every reader shares: run it within the limits on a post
(time, heap, nesting) and read the words of its AST.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from audio import limits
from audio.errors import InputError


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
    input's fault, named by ``path``. Sandboxed: a post never makes pandoc read a file or
    fetch a URL (its HTML reader fetches what an ``<iframe>`` points to)."""
    data = text.encode("utf-8")
    caps = limits.POST
    seconds = caps.pandoc_seconds + caps.pandoc_seconds_per_mib * len(data) / 2**20
    try:
        done = subprocess.run(
            [pandoc_path(), "--sandbox", *args], input=data, capture_output=True, check=False, env=_pandoc_env(), timeout=seconds
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


def meta_text(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    if not value:
        return ""
    if value["t"] == "MetaString":
        return value["c"]
    if value["t"] == "MetaList":
        return ", ".join(plain_text(v.get("c", [])) for v in value["c"])
    return plain_text(value.get("c", []))
