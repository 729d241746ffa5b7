"""Substack HTML posts: an export's ``posts/<post_id>.<slug>.html`` body, or a whole saved
post web page, whose title, subtitle, byline and date come from the page (its header,
widgets and comments are left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from audio.models import ParsedPost
from audio.readers.pandoc import meta_text, plain_text, read_ast

HTML_FORMAT = "html"

# Classes of a saved Substack web page (not of a post body).
PAGE_BODY_CLASSES = ("body", "available-content")
PAGE_TITLE_CLASS = "post-title"
PAGE_SUBTITLE_CLASS = "subtitle"
PAGE_HEADER_CLASS = "post-header"
PAGE_BYLINE_CLASSES = ("byline-names", "profile-hover-card-target")
PAGE_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d")


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


class HtmlReader:
    """HTML, by suffix or by its ``<!doctype html>`` / ``<html>`` start."""

    name = "html"
    suffixes = (".html", ".htm", ".xhtml")

    def sniffs(self, text: str) -> bool:
        return text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))

    def read(self, path: Path, text: str) -> ParsedPost:
        ast = read_ast(path, ["-f", HTML_FORMAT], text)
        page = _split_page(ast)
        return ParsedPost(ast=ast, title=page.title, subtitle=page.subtitle, author=page.author, date=page.date)
