"""Raw paragraphs -> ``Script``: normalise, split into sentences, apply the lexicon.

Also builds the spoken intro and outro from the show's templates. A template is cut
into sentences and clauses (at ", "); a clause naming a field the post lacks is left
out, so an empty subtitle or author never leaves "Written by , ." behind.
"""

from __future__ import annotations

import importlib
import re
import string
from functools import lru_cache
from pathlib import Path

from audio import limits
from audio.errors import ConfigError, InputError
from audio.models import (
    HEADING,
    OUTRO,
    RULE,
    TITLE,
    Paragraph,
    Post,
    PostMeta,
    Script,
    Section,
    Sentence,
    Voicing,
)
from audio.prepare import policy
from audio.prepare.lexicon import Lexicon
from audio.prepare.normalize import LANGUAGE_NORMALISERS, normalize_text
from audio.prepare.sentences import split_sentences
from audio.prepare.speakable import RawParagraph, Walk, ensure_terminal, walk_post
from audio.show import Show
from audio.wording import written_pieces

TEMPLATE_FIELDS = ("title", "subtitle", "author", "date", "site", "url")
_STOP_AFTER_MARK = re.compile(r"(?<=[!?])\.")


@lru_cache(maxsize=16)
def _load_lexicon(path: Path, mtime: float) -> Lexicon:
    return Lexicon.load(path)


def lexicon_file(path: Path | None) -> Lexicon:
    """A pronunciation lexicon (cached per file version), or an empty one for no file."""
    if path is None:
        return Lexicon()
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise ConfigError(path, "no such lexicon file") from exc
    return _load_lexicon(path, mtime)


def show_lexicon(show: Show) -> Lexicon:
    """The show's pronunciation lexicon, or an empty one."""
    return lexicon_file(show.lexicon_path)


def audition_speech(text: str, voicing: Voicing, show: Show, lexicon: Path | None = None) -> str:
    """What a voice is given for ``text`` read as a sentence of the show's episodes:
    normalised, then the lexicon ``lexicon`` (entries to audition, which win), the voice's
    and the show's."""
    speaker = Speaker.for_voice(show, voicing, first=lexicon)
    return " ".join(speaker.sentence(piece, piece).speech for piece in speaker.spoken(text))


class Speaker:
    """Turns written paragraphs into spoken ``Paragraph`` records."""

    def __init__(self, show: Show, lexicon: Lexicon, phonemes: bool, max_chars: int, language: str = ""):
        self.options = show.script
        self.lexicon = lexicon
        self.words = lexicon.words
        self.tables = lexicon.tables
        self.phonemes = phonemes
        self.max_chars = max_chars
        self.language = language or show.language
        self.show_language = show.language
        self.quote_open = self.text("quote_open")
        self.quote_close = self.text("quote_close")

    @classmethod
    def for_voice(cls, show: Show, voicing: Voicing, language: str = "", first: Path | None = None) -> Speaker:
        """The speaker for the voice ``voicing`` describes: its lexicon before the show's
        (``first``, a lexicon file, before both), its sentence limit if below the show's."""
        lexicon = Lexicon.chain(lexicon_file(first), lexicon_file(voicing.lexicon), show_lexicon(show))
        max_chars = min(show.script.max_sentence_chars, voicing.max_sentence_chars or show.script.max_sentence_chars)
        return cls(show, lexicon, voicing.phonemes, max_chars, language)

    def text(self, key: str) -> str:
        """The show's intro, outro or quote framing for the post's language."""
        return self.options.text(key, self.language, self.show_language)

    def sentence(self, text: str, written: str) -> Sentence:
        return Sentence(text=text, speech=self.lexicon.apply(text, self.phonemes), written=written)

    def sentences(self, written: str, pieces: list[str]) -> tuple[Sentence, ...]:
        """Spoken pieces as sentences, each with the written words it was made from."""
        return tuple(self.sentence(p, w) for p, w in zip(pieces, written_pieces(written, pieces), strict=True))

    def spoken(self, text: str) -> list[str]:
        spoken = normalize_text(text, self.words, self.language, tables=self.tables)
        if not any(c.isalnum() for c in spoken):
            return []
        return [_capitalised(s) for s in split_sentences(spoken, self.max_chars, self.language)]

    def paragraph(self, raw: RawParagraph) -> Paragraph | None:
        if raw.kind == RULE:
            return Paragraph(RULE, ())
        # Every paragraph but a heading ends a sentence, so that the voice lands there.
        text = raw.text if raw.kind == HEADING else ensure_terminal(raw.text)
        pieces = self.spoken(text)
        if not pieces:
            return None
        # The words around a quote are the narrator's, written as they are said.
        before = [self.sentence(self.quote_open, self.quote_open)] if raw.quote_open else []
        after = [self.sentence(self.quote_close, self.quote_close)] if raw.quote_close else []
        sentences = [*before, *self.sentences(text, pieces), *after]
        return Paragraph(raw.kind, tuple(s for s in sentences if s.text.strip()))

    def template(self, show: Show, key: str, kind: str, fields: dict[str, str]) -> tuple[Paragraph, ...]:
        text = fill_template(show, key, self.text(key), fields)
        pieces = self.spoken(text) if text else []
        return (Paragraph(kind, self.sentences(text, pieces)),) if pieces else ()


def _capitalised(sentence: str) -> str:
    """A sentence that normalisation made start in lower case ("zero five fifty ...")
    starts with a capital; words like "iPhone" are left alone."""
    start = len(sentence) - len(sentence.lstrip("\"'\u201c\u2018(["))
    first = sentence[start:].split(" ", 1)[0].rstrip(".,;:!?\"'\u201d\u2019)")
    if first.isalpha() and first.islower():
        return sentence[:start] + sentence[start].upper() + sentence[start + 1 :]
    return sentence


def fill_template(show: Show, key: str, template: str, fields: dict[str, str]) -> str:
    """Fill ``{field}``s, leaving out each clause whose field is empty. A value's own
    full stop is dropped (the template supplies the punctuation)."""
    fields = {k: v.strip().rstrip(".").strip() for k, v in fields.items()}
    sentences = []
    for sentence in re.split(r"(?<=[.!?])\s+", template.strip()):
        end = sentence[len(sentence.rstrip(".!?")) :]
        kept = []
        for clause in sentence[: len(sentence) - len(end)].split(", "):
            try:
                names = [name for _, name, _, _ in string.Formatter().parse(clause) if name is not None]
            except ValueError as exc:
                raise ConfigError(show.config_path, f"[script] {key}: bad template ({exc})") from exc
            unknown = [n for n in names if n not in TEMPLATE_FIELDS]
            if unknown:
                raise ConfigError(
                    show.config_path,
                    f"[script] {key}: unknown field {{{unknown[0]}}} (known: {', '.join(TEMPLATE_FIELDS)})",
                )
            if all(fields.get(n, "").strip() for n in names):
                kept.append(clause.format_map(fields).strip())
        kept = [k for k in kept if k]
        if kept:
            joined = ", ".join(kept)
            sentences.append(joined[0].upper() + joined[1:] + end)
    return _STOP_AFTER_MARK.sub("", " ".join(sentences))


def spoken_date(meta: PostMeta) -> str:
    """``April 30, 2025`` (normalisation says it as "April thirtieth, twenty twenty-five")."""
    return f"{meta.date:%B} {meta.date.day}, {meta.date.year}" if meta.date else ""


def template_fields(meta: PostMeta, show: Show) -> dict[str, str]:
    """The template fields; a language with a normaliser of its own writes the date and
    says the domains its way (its module's ``spoken_date`` and ``spoken_domain``)."""
    language = meta.language or show.language
    module = importlib.import_module(LANGUAGE_NORMALISERS[language]) if language in LANGUAGE_NORMALISERS else None
    date = (module.spoken_date(meta.date) if module else spoken_date(meta)) if meta.date else ""
    domain = module.spoken_domain if module else policy.spoken_domain
    return {
        "title": meta.title,
        "subtitle": meta.subtitle,
        "author": meta.author,
        "date": date,
        "site": domain(show.show.base_url),
        "url": domain(meta.canonical_url),
    }


def build_script(post: Post, show: Show, walk: Walk, notes_html: str, voicing: Voicing = Voicing()) -> Script:
    """Assemble the Script from a walked post, for the voice described by ``voicing``."""
    speaker = Speaker.for_voice(show, voicing, post.meta.language)
    sections: list[Section] = []
    index: dict[int, int] = {}  # walk section -> script section, for the omissions
    omitted = {o.section for o in walk.omissions}
    spoken_sections = []
    count, cap = 0, limits.POST.max_sentences
    for i, raw in enumerate(walk.sections):
        paragraphs = []
        for r in raw.paragraphs:
            paragraph = speaker.paragraph(r)
            if paragraph is not None:
                paragraphs.append(paragraph)
                count += len(paragraph.sentences)
                if count > cap:  # refused before the rest is normalised
                    raise InputError(post.source, f"more than {cap} sentences: over the limit for one post")
        spoken_sections.append((i, raw, _trimmed(tuple(paragraphs))))
    # A heading over nothing but an embed or image ("YouTube", then a video) is not read,
    # unless that is all the post has.
    kept = [
        (i, raw, paragraphs)
        for i, raw, paragraphs in spoken_sections
        if any(p.kind not in (RULE, HEADING) for p in paragraphs)
        or (any(p.kind == HEADING for p in paragraphs) and i not in omitted)
    ] or [(i, raw, paragraphs) for i, raw, paragraphs in spoken_sections if paragraphs]
    keep = {i for i, _, _ in kept}
    for i, raw, paragraphs in spoken_sections:
        if i in keep:
            index[i] = len(sections)
            sections.append(Section(title=raw.title, paragraphs=paragraphs))
        else:
            index[i] = max(len(sections) - 1, 0)
    if not sections:
        raise InputError(post.source, "no text to read aloud (the post has no prose)")
    omissions = tuple(
        type(o)(kind=o.kind, section=index.get(o.section, 0), detail=o.detail) for o in walk.omissions
    )
    fields = template_fields(post.meta, show)
    intro = speaker.template(show, "intro", TITLE, fields)
    outro = speaker.template(show, "outro", OUTRO, fields)
    spoken = [*intro, *(p for s in sections for p in s.paragraphs), *outro]
    words = sum(len(s.text.split()) for p in spoken for s in p.sentences)
    return Script(
        meta=post.meta,
        intro=intro,
        sections=tuple(sections),
        outro=outro,
        omissions=omissions,
        notes_html=notes_html,
        word_count=words,
        source_hash=post.source_hash,
    )


def _trimmed(paragraphs: tuple[Paragraph, ...]) -> tuple[Paragraph, ...]:
    """Without trailing rules (a section's end pauses anyway)."""
    while paragraphs and paragraphs[-1].kind == RULE:
        paragraphs = paragraphs[:-1]
    return paragraphs


def raw_texts(post: Post, show: Show) -> list[str]:
    """The written text of every spoken paragraph, intro and outro included (for the
    lexicon report)."""
    walk = walk_post(post.ast, show.script)
    fields = template_fields(post.meta, show)
    language = post.meta.language or show.language
    frame = [fill_template(show, key, show.script.text(key, language, show.language), fields) for key in ("intro", "outro")]
    return [frame[0], *(p.text for s in walk.sections for p in s.paragraphs if p.text), frame[1]]
