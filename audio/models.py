"""Typed records passed between the pipeline's stages.

Post -> Script (sections, paragraphs, sentences) -> AudioChunk per sentence ->
Timeline (where every sentence sits in the final audio) -> Episode (files on disk)
-> feed. Stages exchange only these records; none imports another stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from audio.config import Settings

# Paragraph kinds. Mastering chooses the pause after a paragraph from its kind.
TITLE = "title"  # the spoken title block (intro)
PARAGRAPH = "paragraph"
HEADING = "heading"
LIST_ITEM = "list_item"
QUOTE = "quote"
FOOTNOTE = "footnote"
CAPTION = "caption"
CUE = "cue"  # a spoken cue for something not read ("The post shows a table here.")
RULE = "rule"  # a horizontal rule: a longer pause, no words
OUTRO = "outro"
PARAGRAPH_KINDS = (TITLE, PARAGRAPH, HEADING, LIST_ITEM, QUOTE, FOOTNOTE, CAPTION, CUE, RULE, OUTRO)


@dataclass(frozen=True)
class PostMeta:
    """What a post says about itself, whatever format it came in."""

    title: str
    slug: str
    subtitle: str = ""
    author: str = ""
    date: datetime | None = None  # timezone-aware
    post_id: str = ""
    type: str = "newsletter"
    audience: str = "everyone"
    canonical_url: str = ""
    draft: bool = False  # the front matter says unpublished ("draft: true", "published: false")
    podcast_url: str = ""  # a podcast post's own audio: an http(s) URL, or a file path relative to the post
    canonical_explicit: bool = False  # canonical_url came from the post, not from base_url
    explicit: bool | None = None  # front matter's itunes tags (None / "": the show's default)
    episode_type: str = ""
    season: int | None = None
    episode: int | None = None
    language: str = ""  # primary language code ("es"): stated by the post or detected; "" unknown (the show's)


@dataclass(frozen=True)
class Post:
    """A parsed post: its metadata and the pandoc AST (JSON) of its body."""

    meta: PostMeta
    source: Path
    source_hash: str  # sha256 of the file's bytes
    ast: dict[str, Any] = field(repr=False)


Seconds = Annotated[float, Field(ge=0, le=30)]


class Pauses(Settings):
    """A voice's ``[pauses]``: seconds of silence mastering inserts after a sentence, a
    paragraph of each kind and a section."""

    sentence: Seconds = 0.35
    paragraph: Seconds = 0.8
    section: Seconds = 1.6
    quote: Seconds = 0.8  # after a paragraph of a block quote
    list_item: Seconds = 0.5  # after one item of a list
    heading: Seconds = 0.8  # after a section's heading

    def after(self, kind: str) -> float:
        """The pause after a paragraph of this kind (a rule is a section's pause)."""
        return {RULE: self.section, QUOTE: self.quote, LIST_ITEM: self.list_item, HEADING: self.heading}.get(
            kind, self.paragraph
        )


@dataclass(frozen=True)
class VoiceProfile:
    """One voice: which engine reads, with which model and parameters, and its pauses."""

    name: str
    engine: str
    model: str = ""  # engine-specific: a path (relative to the profile), "package:<module>", a catalogue name
    params: dict[str, Any] = field(default_factory=dict)  # engine parameters, checked by the engine
    pauses: Pauses = field(default_factory=Pauses)
    lexicon: Path | None = None  # a pronunciation lexicon for this voice
    language: str = "en-us"
    description: str = ""
    source: Path | None = None  # the profile file

    @property
    def folder(self) -> Path:
        """The folder the profile's relative paths are resolved against."""
        return self.source.parent if self.source else Path.cwd()

    def resolve(self, path: str) -> Path:
        """A path from the profile, made absolute relative to the profile's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.folder / p


@dataclass(frozen=True)
class ParsedPost:
    """What an input format's reader makes of a post's text: pandoc's AST of the body and
    the metadata the format itself carries (empty where it has none; the preparer fills
    in the rest the same way for every format)."""

    ast: dict[str, Any] = field(repr=False)
    front: dict[str, Any] = field(default_factory=dict)  # front matter: post_id, canonical_url, draft, ...
    title: str = ""
    subtitle: str = ""
    author: str = ""
    date: datetime | None = None  # timezone-aware


@dataclass(frozen=True)
class SourceItem:
    """One post an import source holds, before it is staged: a post file read as it is,
    or an HTML body with its front matter; or, with ``problem`` set, why an entry of the
    source cannot be imported (the rest goes on)."""

    origin: str  # where it came from, for messages
    key: str = ""  # post_id when the source has one
    slug_hint: str = ""
    source_path: Path | None = None  # a post file read as it is
    html: str | None = None  # or an HTML body to convert, with ...
    front: dict[str, str] = field(default_factory=dict)  # ... its front matter
    draft: bool = False
    problem: str = ""


@dataclass(frozen=True)
class Voicing:
    """What the voice that will read a script asks of the preparer."""

    phonemes: bool = False  # the engine honours ``[[ phonemes ]]`` from the lexicon
    max_sentence_chars: int | None = None  # the engine's own limit, if below the show's
    lexicon: Path | None = None  # the voice's own lexicon, consulted before the show's


@dataclass(frozen=True)
class Sentence:
    """One unit of synthesis.

    ``text`` is the normalised sentence, the words as spoken; ``speech`` is what the
    engine is given (``text`` after the pronunciation lexicon, possibly with
    ``[[ phonemes ]]``); ``written`` is the post's own words it was made from, what the
    transcripts show ("GPT-4o" where ``text`` has "G P T four o").
    """

    text: str
    speech: str
    written: str = ""


@dataclass(frozen=True)
class Paragraph:
    kind: str
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class Section:
    """A run of paragraphs under one heading: a chapter of the episode.

    The first section of a post that does not open with a heading has ``title`` None.
    """

    title: str | None
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True)
class Omission:
    """Something in the post that is not read aloud (image, table, code, embed...)."""

    kind: str
    section: int  # index into Script.sections
    detail: str = ""  # caption, URL or a short description


@dataclass(frozen=True)
class Script:
    """Everything that will be spoken, in order, plus what the show notes need."""

    meta: PostMeta
    intro: tuple[Paragraph, ...]
    sections: tuple[Section, ...]
    outro: tuple[Paragraph, ...]
    omissions: tuple[Omission, ...]
    notes_html: str
    word_count: int
    source_hash: str = ""
    note_images: tuple[tuple[str, Path], ...] = ()  # image files the notes show: (published name, file)

    def post_paragraphs(self) -> list[Paragraph]:
        """The paragraphs that carry the post's own words: the title block and the sections
        (the outro is the show's closing template)."""
        return [*self.intro, *(p for s in self.sections for p in s.paragraphs)]

    def sentences(self) -> list[Sentence]:
        """Every sentence in speaking order."""
        return [s for p in [*self.post_paragraphs(), *self.outro] for s in p.sentences]

    def sentence_paragraphs(self) -> list[int]:
        """For each sentence in speaking order, the number of its paragraph (counting the
        intro's, the sections' and the outro's paragraphs in order)."""
        paragraphs = [*self.post_paragraphs(), *self.outro]
        return [number for number, p in enumerate(paragraphs) for _ in p.sentences]


@dataclass(frozen=True)
class AudioChunk:
    """One sentence's synthesized audio: mono float32 samples in [-1, 1]."""

    text: str
    samples: np.ndarray = field(repr=False)
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class TimedSentence:
    """Where one sentence sits in the final audio: ``text`` is what the transcripts show
    (the written words), ``speech`` the words as spoken (to share out its time)."""

    start_s: float
    end_s: float
    text: str
    section: int  # -1 for the intro, len(sections) for the outro
    paragraph: int = 0  # the sentence's paragraph, numbered in speaking order
    speech: str = ""
    index: int = -1  # the sentence in ``Script.sentences()``


@dataclass(frozen=True)
class RenderedSentence:
    """One sentence as a render used it: where it sits in the episode, the words it says
    and the synthesis cache entry its audio came from (``<slug>.sentences.json``, kept
    beside the episode for speech QA; never published)."""

    index: int  # in ``Script.sentences()``
    start_s: float
    end_s: float
    text: str  # the words spoken, as the preparer wrote them (no lexicon respellings)
    key: str  # the synthesis cache key of its audio
    speech: str = ""  # what the engine was given (with the lexicon's respellings), to synthesize it again


@dataclass(frozen=True)
class Chapter:
    start_s: float
    title: str


# Where the show notes' list of footnotes starts (the notes end with it).
NOTES_HEADING = "<h2>Notes</h2>"

# The role of an image the show notes show, in ``Episode.files``: "image:" + its file name.
IMAGE_ROLE = "image:"


@dataclass(frozen=True)
class Episode:
    """A rendered episode: the record written to ``<slug>.episode.json``."""

    title: str
    slug: str
    guid: str
    date: datetime | None
    voice: str
    duration_s: float
    bytes: int
    sha256: str
    loudness_lufs: float
    true_peak_dbtp: float
    chapters: tuple[Chapter, ...]
    files: dict[str, str]  # role ("audio", "vtt", "srt", "transcript", "chapters", IMAGE_ROLE + name) -> file name
    source_hash: str
    tool_version: str
    subtitle: str = ""
    author: str = ""
    post_id: str = ""
    audience: str = "everyone"
    canonical_url: str = ""
    notes_html: str = ""
    own_audio: str = ""  # a podcast post's own audio published as it came (its URL or file); "" when narrated
    # The post named canonical_url itself (else it was derived from base_url, and publish
    # derives it again); None in records from before this was kept.
    canonical_explicit: bool | None = None
    explicit: bool | None = None  # the post's own itunes:explicit; None: the show's
    episode_type: str = ""  # itunes:episodeType from the post (full, trailer, bonus); "": full
    season: int | None = None
    episode_number: int | None = None
    folder: Path | None = None  # where the files are; not serialised


# Speech QA: what a recogniser heard in an episode's sentences, and what was made of it.

@dataclass(frozen=True)
class HeardWord:
    """One word a recogniser heard (or placed, aligning known text), with its time in the
    audio it was given."""

    word: str
    start_s: float
    end_s: float
    confidence: float | None = None  # the recogniser's own, 0..1, where it has one


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of an episode as QA judged it. ``start_s``/``end_s`` place it in the
    episode; the rates and error rates are of the sentence's own synthesized audio."""

    index: int  # in the script's speaking order (``Script.sentences()``)
    start_s: float
    end_s: float
    written: str  # the spoken text, normalised for comparison
    heard: str  # what the recogniser heard, normalised the same way ("" when only aligned)
    wer: float  # word error rate of heard against written (0 when the text aligned cleanly)
    cer: float  # character error rate
    chars_per_s: float  # speaking rate: written characters per second of speech
    reasons: tuple[str, ...] = ()  # why it is a suspect (empty: clean); see ``audio.qa``
    take: int = 0  # the take kept: 0 the first synthesis, n the n-th retake
    takes_tried: int = 0  # retakes synthesized for it by this check
    improved: bool | None = None  # whether a retake scored better (None: none tried)

    @property
    def suspect(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class EpisodeQA:
    """An episode's QA: the record written to ``<slug>.qa.json``."""

    slug: str
    voice: str
    recognizer: str
    state: str  # "clean", "suspects" or "skipped"
    sentences: tuple[SentenceCheck, ...]  # every sentence checked, in speaking order
    skipped_reason: str = ""  # why QA did not run (a language the recogniser cannot hear...)
    wer: float = 0.0  # the episode's word error rate over every sentence checked
    checked_at: datetime | None = None
    tool_version: str = ""

    @property
    def suspects(self) -> tuple[SentenceCheck, ...]:
        return tuple(s for s in self.sentences if s.suspect)


@dataclass(frozen=True)
class TakeResult:
    """A sentence's takes: the one a render uses and how each scored. ``audio.synth.takes.retake``
    returns it, and the synthesis cache records it (``SynthCache.choose``, ``SynthCache.choice``)."""

    key: str  # the sentence's own synthesis-cache key (take 0's)
    take: int  # the take kept: 0 the first synthesis, n the n-th retake
    take_key: str  # the kept take's cache key (``key`` for take 0)
    scores: tuple[float, ...] = ()  # the judge's score of take 0, 1, ... as far as tried; lower is better

    @property
    def tried(self) -> int:
        """Retakes synthesized (or found in the cache) and judged."""
        return max(0, len(self.scores) - 1)

    @property
    def improved(self) -> bool | None:
        """Whether a retake scored better than the first take (None: none tried)."""
        return None if not self.tried else self.take != 0
