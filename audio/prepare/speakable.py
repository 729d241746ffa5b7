"""Walk a post's AST and keep what a listener should hear, per the element policy.

The walk yields raw paragraphs (kind + written text) grouped in sections; ``script.py``
then normalises, splits and applies the lexicon. Nothing here looks at words to decide
what an element is: classes and node types decide (``policy.py``); only the show's
boilerplate patterns match text, by design.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audio.models import CAPTION, CUE, FOOTNOTE, HEADING, LIST_ITEM, PARAGRAPH, QUOTE, RULE, Omission
from audio.prepare import policy
from audio.prepare.reader import clean_metadata
from audio.readers.pandoc import plain_text
from audio.show import ScriptOptions

Node = dict[str, Any]

CUES = {
    "table": "The post shows a table here.",
    "code": "The post shows a code block here.",
    "math": "The post shows an equation here.",
}
# Tokens that only separate things on a page ("a // b", "a | b") and mean nothing aloud.
SEPARATOR_CHARS = frozenset("/|\u2022\u00b7\\")
TERMINAL = (".", "!", "?", ":", '"', "\u201d", "'", "\u2019", ".)", "!)", "?)")


@dataclass
class RawParagraph:
    kind: str
    text: str
    quote_open: bool = False
    quote_close: bool = False


@dataclass
class RawSection:
    title: str | None
    paragraphs: list[RawParagraph] = field(default_factory=list)
    footnote_refs: list[str] = field(default_factory=list)  # footnote ids, in reading order


@dataclass
class Footnote:
    number: int
    blocks: list[Node]


@dataclass
class Walk:
    """Everything the walk found: sections of raw paragraphs, omissions, footnotes."""

    sections: list[RawSection]
    omissions: list[Omission]
    footnotes: dict[str, Footnote]


def collect_footnotes(blocks: list[Node]) -> dict[str, Footnote]:
    """Substack footnote bodies (``.footnote`` divs) by id, e.g. ``footnote-1``."""
    found: dict[str, Footnote] = {}

    def visit(nodes: list[Node]) -> None:
        for node in nodes:
            if node.get("t") != "Div":
                continue
            attr, children = node["c"]
            if policy.classify(attr) != policy.FOOTNOTE:
                visit(children)
                continue
            ident, number, body = "", len(found) + 1, []
            for child in children:
                if child["t"] in ("Plain", "Para") and child["c"] and child["c"][0].get("t") == "Link":
                    link_attr, text, _ = child["c"][0]["c"]
                    ident = link_attr[0] or ident
                    label = "".join(i["c"] for i in text if i.get("t") == "Str")
                    number = int(label) if label.isdigit() else number
                elif child["t"] == "Div":
                    body.extend(child["c"][1])
                else:
                    body.append(child)
            found[ident or f"footnote-{number}"] = Footnote(number, body)

    visit(blocks)
    return found


class Walker:
    """One pass over the blocks of a post; see the module docstring."""

    def __init__(self, options: ScriptOptions, footnotes: dict[str, Footnote]):
        self.options = options
        self.boilerplate = policy.boilerplate_matcher(options.boilerplate)
        self.footnotes = footnotes
        self.sections: list[RawSection] = [RawSection(None)]
        self.omissions: list[Omission] = []
        self.native_notes = 0

    # --- inlines --------------------------------------------------------------------------

    def inline_text(self, inlines: list[Node]) -> str:
        parts: list[str] = []
        broken_link = False  # inside the URL of a link pandoc could not parse: "[text](url)"
        for node in inlines:
            if broken_link:
                if node["t"] == "Str" and ")" in node["c"]:
                    broken_link = False
                    parts.append(node["c"].split(")", 1)[1])
                continue
            if node["t"] == "Str" and "](" in node["c"]:
                before, _, after = node["c"].partition("](")
                parts.append(before)
                so_far = "".join(parts)
                opening = so_far.rfind("[")
                parts = [so_far[:opening] + so_far[opening + 1 :]] if opening >= 0 else [so_far]
                if ")" in after:
                    parts.append(after.split(")", 1)[1])
                else:
                    broken_link = True
                continue
            parts.append(self.inline(node))
        return "".join(parts)

    def inline(self, node: Node) -> str:
        kind, content = node["t"], node.get("c")
        if kind == "Str":
            if set(content) <= SEPARATOR_CHARS:
                return ","
            # A literal tag-like token ("<|im_end|>", "<br>") is markup, not words.
            return "" if content.startswith("<") and content.endswith(">") else content
        if kind in ("Space", "SoftBreak"):
            return " "
        if kind == "LineBreak":  # a hard line break ends a line: each line is a sentence
            return "\n"
        if kind in ("Emph", "Strong", "Underline", "SmallCaps", "Superscript", "Subscript"):
            return self.inline_text(content)
        if kind == "Quoted":
            return "\u201c" + self.inline_text(content[1]) + "\u201d"
        if kind == "Cite":
            return self.inline_text(content[1])
        if kind == "Code":
            return content[1]
        if kind == "Span":
            role = policy.classify(content[0])
            return self.inline_text(content[1]) if role == policy.PROSE else ""
        if kind == "Link":
            return self.link(*content)
        if kind == "Image":
            self.image(content[0], content[1], content[2][0])
            return ""
        if kind == "Note":
            self.native_notes += 1
            ident = f"note-{self.native_notes}"
            self.footnotes[ident] = Footnote(self.native_notes, content)
            self.current.footnote_refs.append(ident)
            return ""
        if kind == "Math":
            self.omit("math", content[1])
            return ""
        # Strikeout (deleted text), RawInline (markup): never spoken.
        return ""

    def link(self, attr: list[Any], text: list[Node], target: list[str]) -> str:
        url = target[0]
        if policy.is_footnote_anchor(attr, url):
            ident = policy.footnote_target(url)
            if ident in self.footnotes and ident not in self.current.footnote_refs:
                self.current.footnote_refs.append(ident)
            return ""
        if url.startswith("mailto:"):
            return ""
        role = policy.classify(attr)
        if role == policy.IMAGE or (text and all(n["t"] == "Image" for n in text)):
            for node in text:
                if node["t"] == "Image":
                    self.image(node["c"][0], node["c"][1], node["c"][2][0])
            return ""
        if role != policy.PROSE:
            return ""
        spoken = self.inline_text(text)
        if spoken.strip().startswith("[") and spoken.strip().endswith("]"):
            return ""  # a citation marker such as "[1]" or "[source]"
        # The link text is spoken; a bare URL as text is left for normalisation, which
        # speaks its domain inside a sentence and drops it standing alone.
        return spoken

    def image(self, attr: list[Any], alt: list[Node], src: str) -> None:
        if not policy.is_data_uri(src):
            caption = " ".join(self.inline_text(alt).split())
            self.omit("image", caption if policy.meaningful_caption(caption) else src)

    # --- blocks ---------------------------------------------------------------------------

    @property
    def current(self) -> RawSection:
        return self.sections[-1]

    def omit(self, kind: str, detail: str = "") -> None:
        self.omissions.append(Omission(kind=kind, section=len(self.sections) - 1, detail=detail))

    def add(self, kind: str, text: str) -> None:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        lines = [line for line in lines if line]
        text = " ".join(ensure_terminal(line) for line in lines[:-1]) + (" " if len(lines) > 1 else "")
        text += lines[-1] if lines else ""
        if kind == RULE:
            paragraphs = self.current.paragraphs
            if paragraphs and paragraphs[-1].kind != RULE:
                paragraphs.append(RawParagraph(RULE, ""))
            return
        if not any(c.isalnum() for c in text) or (text.startswith("[") and text.rstrip(".").endswith("]")):
            return  # nothing to say, or a bracketed editorial marker ("[reference]")
        if kind in (PARAGRAPH, LIST_ITEM, QUOTE) and self.boilerplate and self.boilerplate.search(text):
            return
        self.current.paragraphs.append(RawParagraph(kind, text))

    def cue(self, kind: str, detail: str = "") -> None:
        self.omit(kind, detail)
        if self.options.omission_cues:
            self.add(CUE, CUES[kind])

    def blocks(self, blocks: list[Node], kind: str = PARAGRAPH) -> None:
        for block in blocks:
            self.block(block, kind)

    def block(self, block: Node, kind: str = PARAGRAPH) -> None:
        t, c = block["t"], block.get("c")
        if t in ("Para", "Plain"):
            if c and all(n["t"] in ("Math", "Space", "SoftBreak") for n in c) and any(n["t"] == "Math" for n in c):
                self.cue("math", " ".join(n["c"][1] for n in c if n["t"] == "Math"))
                return
            self.add(kind, self.inline_text(c))
        elif t == "Header":
            self.heading(c[1], c[2])
        elif t == "BlockQuote":
            self.quote(c)
        elif t in ("BulletList", "OrderedList"):
            for item in c if t == "BulletList" else c[1]:
                self.blocks(item, LIST_ITEM)
        elif t == "DefinitionList":
            for term, definitions in c:
                self.add(kind, self.inline_text(term))
                for definition in definitions:
                    self.blocks(definition, kind)
        elif t == "LineBlock":
            self.add(kind, " ".join(self.inline_text(line) for line in c))
        elif t == "CodeBlock":
            self.cue("code", c[1][:80])
        elif t == "Table":
            self.cue("table")
        elif t == "HorizontalRule":
            self.add(RULE, "")
        elif t == "Figure":
            self.figure(c[1], c[2])
        elif t == "Div":
            self.div(c[0], c[1], kind)
        # RawBlock and anything unknown: not spoken.

    def heading(self, attr: list[Any], inlines: list[Node]) -> None:
        if policy.classify(attr) != policy.PROSE:
            return
        text = " ".join(self.inline_text(inlines).split())
        if not any(ch.isalnum() for ch in text):
            return
        self.close_section()
        self.sections.append(RawSection(clean_metadata(text)))  # a chapter title
        self.add(HEADING, text)

    def quote(self, blocks: list[Node]) -> None:
        start = len(self.current.paragraphs)
        self.blocks(blocks, QUOTE)
        quoted = [p for p in self.current.paragraphs[start:] if p.kind != RULE]
        if quoted and self.options.frame_quotes:
            quoted[0].quote_open = True
            quoted[-1].quote_close = True

    def figure(self, caption: list[Any], body: list[Node]) -> None:
        """A figure: its images are omissions; the caption is read only if the show says so."""
        before = len(self.omissions)
        self.blocks_silently(body)
        caption_text = self.caption_text(caption)
        if len(self.omissions) == before:
            self.omit("image", caption_text)
        elif policy.meaningful_caption(caption_text):
            last = self.omissions[-1]
            self.omissions[-1] = Omission(last.kind, last.section, caption_text)
        if self.options.read_captions and policy.meaningful_caption(caption_text):
            self.add(CAPTION, caption_text)

    def caption_text(self, caption: list[Any]) -> str:
        text = " ".join(self.inline_text(b.get("c", [])) for b in caption[1] if b["t"] in ("Plain", "Para"))
        return " ".join(text.split())

    def blocks_silently(self, blocks: list[Node]) -> None:
        """Walk blocks for their omissions only (images inside a figure or embed)."""
        saved = self.current.paragraphs[:]
        self.blocks(blocks)
        self.current.paragraphs[:] = saved

    def div(self, attr: list[Any], children: list[Node], kind: str) -> None:
        role = policy.classify(attr)
        if role == policy.PROSE:
            self.blocks(children, kind)
        elif role == policy.IMAGE:
            before = len(self.omissions)
            self.blocks_silently(children)
            captions = [b for b in children if b["t"] == "Figure"]
            if len(self.omissions) == before and not captions:
                self.omit("image")
            for figure in captions if self.options.read_captions else ():  # Substack's captioned image
                text = self.caption_text(figure["c"][1])
                if policy.meaningful_caption(text):
                    self.add(CAPTION, text)
        elif role == policy.MATH:
            self.cue("math")
        elif role == policy.EMBED:
            links: list[tuple[str, str]] = []
            collect_links(children, links)
            found = policy.embed_link(attr, links)
            self.omit("embed", found[1] if found else " ".join(attr[1]))
        # FOOTNOTE bodies are read (or not) at the end of their section; CHROME never.

    def close_section(self) -> None:
        section = self.current
        while section.paragraphs and section.paragraphs[-1].kind == RULE:
            section.paragraphs.pop()
        if self.options.read_footnotes:
            for ident in section.footnote_refs:
                self.read_footnote(self.footnotes[ident])

    def read_footnote(self, note: Footnote) -> None:
        """"Footnote one: ..." from the footnote's prose, chrome removed, as one paragraph."""
        start = len(self.current.paragraphs)
        refs = self.current.footnote_refs
        self.current.footnote_refs = []
        self.blocks(note.blocks)
        body = self.current.paragraphs[start:]
        del self.current.paragraphs[start:]
        self.current.footnote_refs = refs
        text = " ".join(ensure_terminal(p.text) for p in body if p.kind != RULE)
        if text:
            self.current.paragraphs.append(RawParagraph(FOOTNOTE, f"Footnote {note.number}: {text}"))

    def finish(self) -> Walk:
        self.close_section()
        if self.options.read_footnotes:
            referenced = {i for s in self.sections for i in s.footnote_refs}
            for ident, note in self.footnotes.items():
                if ident not in referenced:
                    self.read_footnote(note)
        sections = [s for s in self.sections if any(p.kind != RULE for p in s.paragraphs)]
        return Walk(sections, self.omissions, self.footnotes)


def collect_links(blocks: Any, out: list[tuple[str, str]]) -> None:
    """Every ``(text, url)`` link under a node, in document order."""
    if isinstance(blocks, list):
        for item in blocks:
            collect_links(item, out)
    elif isinstance(blocks, dict):
        if blocks.get("t") == "Link":
            _, text, target = blocks["c"]
            out.append((plain_text(text), target[0]))
        elif "c" in blocks:
            collect_links(blocks["c"], out)


CONTINUATIONS = frozenset({"and", "or", "nor", "but", "then"})


def ensure_terminal(text: str) -> str:
    """End a paragraph or list item with a full stop, so it is its own sentence; an item
    that runs on into the next ("ideas in the works, or") is left open."""
    words = text.split()
    if words and words[-1].lower() in CONTINUATIONS:
        return text.rstrip()
    text = text.rstrip().rstrip(",;\u2014-").rstrip()
    return text if not text or text.endswith(TERMINAL) else text + "."


def walk_post(ast: dict[str, Any], options: ScriptOptions) -> Walk:
    blocks = ast["blocks"]
    walker = Walker(options, collect_footnotes(blocks))
    walker.blocks(blocks)
    return walker.finish()
