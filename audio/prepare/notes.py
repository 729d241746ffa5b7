"""Show notes: the post as HTML with its links, images and footnotes, minus widgets.

The AST is filtered by the same element policy as the script (``policy.py``): chrome
is dropped, an embed becomes one link to what it embedded, and the rest is written by
pandoc's HTML writer, then sanitised with nh3 (the notes end up in a feed and a site).

Footnotes, Substack's (an anchor link plus a body further down) as well as Markdown's,
become pandoc notes, written as a "Notes" list at the end: the marker is a superscript
``<a href="#note-1" id="note-ref-1">[1]</a>``, and each note an item ``<li id="note-1">``
of an ordered list.

An image given by a relative path whose file lies beside the post (inside its folder) is
published with the episode: its ``src`` becomes the name it is published under (by its
content, ``img-<sha256>.png``), and ``note_images`` lists the files to copy. Any other
image is left for publish, which shows only images it publishes.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3

from audio.models import NOTES_HEADING
from audio.prepare import policy
from audio.prepare.speakable import Footnote, collect_footnotes, collect_links
from audio.readers.pandoc import plain_text, run_pandoc
from audio.show import ScriptOptions

Node = dict[str, Any]

# nh3's defaults plus ids (so footnote anchors keep their targets) and link titles.
_ID_TAGS = ("a", "div", "p", "li", "sup", "section", "span", "h1", "h2", "h3", "h4", "h5", "h6")
NOTES_ATTRIBUTES: dict[str, set[str]] = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag in _ID_TAGS:
    NOTES_ATTRIBUTES.setdefault(_tag, set()).add("id")
NOTES_ATTRIBUTES["a"] |= {"title"}
NOTES_ATTRIBUTES["img"] |= {"title"}

# pandoc's HTML for notes -> the notes' own: a bracketed superscript marker, a headed
# ordered list, no back links (they read as "↩︎" in a plain-text description).
_NOTE_REF = re.compile(r'<a href="#fn(\d+)" class="footnote-ref" id="fnref\1"[^>]*><sup>\1</sup></a>')
_NOTE_ITEM = re.compile(r'<li id="fn(\d+)">')
_NOTE_BACK = re.compile(r'<a href="#fnref\d+" class="footnote-back"[^>]*>.*?</a>', re.DOTALL)
_NOTES_START = re.compile(r'<section id="footnotes"[^>]*>\s*(?:<hr\s*/?>\s*)?<ol>')
_NOTES_END = re.compile(r"</ol>\s*</section>\s*$")


class NotesFilter:
    def __init__(self, options: ScriptOptions, footnotes: dict[str, Footnote] | None = None,
                 anchored: set[str] | None = None, post: Path | None = None):
        self.post = post
        self.boilerplate = None if options.notes_boilerplate else policy.boilerplate_matcher(options.boilerplate)
        # Substack's footnote bodies by id; one an anchor points to becomes a note there.
        self.footnotes = {k: v for k, v in (footnotes or {}).items() if k in (anchored or set())}
        self.placed: set[str] = set()

    def blocks(self, blocks: list[Node]) -> list[Node]:
        out: list[Node] = []
        for block in blocks:
            out.extend(self.block(block))
        return out

    def block(self, block: Node) -> list[Node]:
        t, c = block["t"], block.get("c")
        if t == "RawBlock":
            return []
        if t in ("Para", "Plain"):
            inlines = self.inlines(c)
            text = plain_text(inlines)
            if self.boilerplate and self.boilerplate.search(text):
                return []
            has_content = text.strip() or any(i["t"] in ("Image", "Link", "Math") for i in inlines)
            return [{"t": t, "c": inlines}] if has_content else []
        if t == "Header":
            if policy.classify(c[1]) != policy.PROSE:
                return []
            return [{"t": t, "c": [c[0], _bare(c[1]), self.inlines(c[2])]}]
        if t == "Div":
            return self.div(c[0], c[1])
        if t == "BlockQuote":
            return [{"t": t, "c": self.blocks(c)}]
        if t == "BulletList":
            return [{"t": t, "c": [self.blocks(item) for item in c]}]
        if t == "OrderedList":
            return [{"t": t, "c": [c[0], [self.blocks(item) for item in c[1]]]}]
        if t == "Figure":
            caption = c[1] if policy.meaningful_caption(plain_text(c[1][1])) else [None, []]
            return [{"t": t, "c": [_bare(c[0]), caption, self.blocks(c[2])]}]
        return [block]

    def div(self, attr: list[Any], children: list[Node]) -> list[Node]:
        role = policy.classify(attr)
        if role == policy.CHROME:
            return []
        if role == policy.FOOTNOTE and set(collect_footnotes([{"t": "Div", "c": [attr, children]}])) <= set(self.footnotes):
            return []  # placed at its anchor, as a note
        if role == policy.EMBED:
            links: list[tuple[str, str]] = []
            collect_links(children, links)
            found = policy.embed_link(attr, links)
            if not found:
                return []
            title, url = found
            link = {"t": "Link", "c": [["", [], []], [{"t": "Str", "c": title}], [url, ""]]}
            return [{"t": "Para", "c": [link]}]
        kept = self.blocks(children)
        return [{"t": "Div", "c": [_bare(attr), kept]}] if kept else []

    def inlines(self, inlines: list[Node]) -> list[Node]:
        out: list[Node] = []
        for node in inlines:
            t, c = node["t"], node.get("c")
            if t == "RawInline":
                continue
            if t == "Image":
                if not policy.is_data_uri(c[2][0]):
                    local = local_image(self.post, c[2][0]) if self.post else None
                    target = [local[0], c[2][1]] if local else c[2]
                    out.append({"t": t, "c": [_bare(c[0]), self.inlines(c[1]), target]})
            elif t == "Link":
                if policy.is_footnote_anchor(c[0], c[2][0]) and policy.footnote_target(c[2][0]) in self.footnotes:
                    out.extend(self.note(policy.footnote_target(c[2][0])))
                    continue
                if policy.classify(c[0]) in (policy.CHROME, policy.EMBED):
                    continue
                text = self.inlines(c[1])
                if text:
                    out.append({"t": t, "c": [_bare(c[0]), text, c[2]]})
            elif t == "Span":
                if policy.classify(c[0]) == policy.PROSE:
                    out.append({"t": t, "c": [_bare(c[0]), self.inlines(c[1])]})
            elif t in ("Emph", "Strong", "Underline", "Strikeout", "SmallCaps", "Superscript", "Subscript"):
                out.append({"t": t, "c": self.inlines(c)})
            elif t == "Quoted":
                out.append({"t": t, "c": [c[0], self.inlines(c[1])]})
            elif t == "Note":
                out.append({"t": t, "c": self.blocks(c)})
            else:
                out.append(node)
        return _merge_words(out)


    def note(self, ident: str) -> list[Node]:
        """A Substack footnote anchor as a note holding the footnote's body (at its first
        anchor only)."""
        if ident in self.placed:
            return []
        self.placed.add(ident)
        return [{"t": "Note", "c": self.blocks(self.footnotes[ident].blocks) or [{"t": "Para", "c": []}]}]


def _merge_words(inlines: list[Node]) -> list[Node]:
    """Runs of words and spaces as one Str: the same HTML, a third of the JSON for
    pandoc to parse (parsing dominates the notes' pandoc run)."""
    out: list[Node] = []
    words: list[str] = []
    for node in inlines:
        t = node["t"]
        if t == "Str":
            words.append(node["c"])
        elif t in ("Space", "SoftBreak"):
            words.append(" ")
        else:
            if words:
                out.append({"t": "Str", "c": "".join(words)})
                words = []
            out.append(node)
    if words:
        out.append({"t": "Str", "c": "".join(words)})
    return out


def _bare(attr: list[Any]) -> list[Any]:
    """An Attr without Substack's key-values (``attrs`` JSON, component names)."""
    return [attr[0], attr[1], []]


def _anchored(node: Any, found: set[str]) -> set[str]:
    """The ids of the footnotes some anchor under ``node`` points to."""
    if isinstance(node, list):
        for item in node:
            _anchored(item, found)
    elif isinstance(node, dict):
        if node.get("t") == "Link" and policy.is_footnote_anchor(node["c"][0], node["c"][2][0]):
            found.add(policy.footnote_target(node["c"][2][0]))
        elif "c" in node:
            _anchored(node["c"], found)
    return found


MAX_IMAGE_BYTES = 16 * 1024 * 1024


def local_image(post: Path, src: str) -> tuple[str, Path] | None:
    """The name an image published with the episode gets (by content) and its file, for
    a relative ``src`` naming an image file inside the post's folder; else None."""
    try:
        parts = urlsplit(src)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    folder = post.resolve().parent
    file = (folder / unquote(parts.path)).resolve()
    suffix = file.suffix.lower()
    if suffix not in policy.IMAGE_FILE_SUFFIXES or not file.is_relative_to(folder):
        return None
    try:
        if not file.is_file() or file.stat().st_size > MAX_IMAGE_BYTES:
            return None
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
    except OSError:
        return None
    return f"img-{digest[:16]}{'.jpg' if suffix == '.jpeg' else suffix}", file


def note_images(path: Path, ast: dict[str, Any]) -> tuple[tuple[str, Path], ...]:
    """Every image file beside the post that its notes show: (published name, file)."""
    found: dict[str, Path] = {}

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            if node.get("t") == "Image" and (local := local_image(path, node["c"][2][0])):
                found.setdefault(*local)
            elif "c" in node:
                visit(node["c"])

    visit(ast["blocks"])
    return tuple(sorted(found.items()))


def notes_ast(ast: dict[str, Any], options: ScriptOptions, post: Path | None = None) -> dict[str, Any]:
    blocks = ast["blocks"]
    notes = NotesFilter(options, collect_footnotes(blocks), _anchored(blocks, set()), post)
    return {"pandoc-api-version": ast["pandoc-api-version"], "meta": {}, "blocks": notes.blocks(blocks)}


def render_notes(path: Path, ast: dict[str, Any], options: ScriptOptions) -> str:
    """Sanitised HTML show notes for a post's AST."""
    doc = notes_ast(ast, options, path)
    if not doc["blocks"]:
        return ""
    html = run_pandoc(path, ["-f", "json", "-t", "html", "--wrap=none"], json.dumps(doc))
    return clean_html(_notes_list(html))


def _notes_list(html: str) -> str:
    """pandoc's footnotes as the notes' "Notes" list (see the module's docstring)."""
    if 'class="footnote-ref"' not in html:
        return html
    html = _NOTE_REF.sub(r'<sup><a href="#note-\1" id="note-ref-\1">[\1]</a></sup>', html)
    html = _NOTE_ITEM.sub(r'<li id="note-\1">', _NOTE_BACK.sub("", html))
    html = _NOTES_START.sub(f"{NOTES_HEADING}\n<ol>", html)
    return _NOTES_END.sub("</ol>", html)


def clean_html(html: str) -> str:
    return nh3.clean(html, attributes=NOTES_ATTRIBUTES, link_rel="noopener noreferrer").strip()
