"""HTML inside another format (Substack's markup pasted into a Hugo or Jekyll post, or
left in the Markdown ``import`` writes from a feed): read by pandoc's HTML reader, so the
document has the shape a Substack HTML post has, whatever wrapped it.

pandoc's Markdown reader leaves such HTML as raw tags around Markdown text: a footnote
anchor ``<a class="footnote-anchor" href="#footnote-1">1</a>`` is two raw tags around the
word "1", and a figure's caption is a paragraph between ``<figcaption>`` tags, so neither
the element policy nor the show notes could tell what they are. A document with raw HTML
is written out as HTML (its own Markdown included, math as MathML so equations stay
equations) and read again as HTML: links, divs and spans get their classes and
attributes, notes stay notes. Both runs are pandoc's, within the limits on a post.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audio.readers.html import HTML_FORMAT
from audio.readers.pandoc import read_ast, run_pandoc

WRITE_HTML = ["-f", "json", "-t", "html", "--mathml", "--wrap=none"]


def has_raw_html(ast: dict[str, Any]) -> bool:
    """Whether the document holds raw HTML other than comments (``<!--more-->``)."""
    stack: list[Any] = [ast["blocks"]]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            content = node.get("c")
            if node.get("t") in ("RawBlock", "RawInline"):
                fmt, text = content
                if fmt.lower() == "html" and not text.lstrip().startswith("<!--"):
                    return True
            elif isinstance(content, list):
                stack.append(content)
    return False


def read_embedded_html(path: Path, ast: dict[str, Any]) -> dict[str, Any]:
    """``ast`` with its raw HTML read as HTML (the whole document re-read); a document
    without raw HTML is returned as it is."""
    if not has_raw_html(ast):
        return ast
    html = run_pandoc(path, WRITE_HTML, json.dumps(ast))
    reread = read_ast(path, ["-f", HTML_FORMAT], html)
    reread["meta"] = ast["meta"]
    return reread
