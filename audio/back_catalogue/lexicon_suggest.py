"""Lexicon discovery: the words of a show's catalogue a voice is likely to get wrong.

Every post of the show is prepared as a render prepares it (its voice's lexicon and the
show's), and each sentence is scanned twice: its written words for acronyms ("RLHF"),
mixed case ("OpenAI", "iPhone"), letters with digits ("GPT4", "H100") and names (a
capital letter mid-sentence), and its spoken words (after normalisation: what the voice is
given) for words the pronouncing dictionary does not know ("Kokotajlo", "agentic").

Piper voices pronounce through espeak-ng, whose compiled dictionary the installed
``piper`` package does not expose (its ``espeakbridge`` only turns text into phonemes,
falling back to spelling rules for any word), so the English dictionary is the CMU
pronouncing dictionary that PocketSphinx ships. A name the dictionary knows ("Google") is
not suggested; for a post in another language only the written forms are looked at.

Words the lexicons already cover, or that the normaliser's tables name, are left out. The
rest are ranked by how many sentences QA flagged hold them (``<slug>.qa.json`` beside the
episode, matched by sentence index), then by how often they occur. ``suggestions_toml``
writes them as commented ``[[entry]]`` tables for the author to uncomment and edit.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from audio.catalog import Catalog
from audio.episode_store import QA_SUFFIX, load_qa
from audio.errors import AudioEssayError, InputError, OutputError
from audio.files import write_text
from audio.models import Script, Voicing
from audio.prepare.lexicon import _CANDIDATE, _COMMON, _SENTENCE_START, Lexicon
from audio.prepare.normalize import normalize_text
from audio.prepare.script import lexicon_file, show_lexicon
from audio.prepare.tables import Tables
from audio.show import Show

SUGGESTED_FILE = "lexicon.suggested.toml"  # in the show folder
ACRONYM, MIXED_CASE, DIGITS, NAME, UNKNOWN = "acronym", "mixed case", "letters and digits", "name", "not in dictionary"

_SPOKEN_WORD = re.compile(r"(?<![\w'])[A-Za-z]+(?:'[A-Za-z]+)*(?!\w)")
# Inflections the dictionary may lack when it has the stem.
_ENDINGS = ("s", "es", "ed", "d", "ing", "ly", "er", "ers", "est", "ness", "ment", "ments", "al", "ally", "ation",
            "ations", "ize", "ized", "izing", "ization", "able", "ity", "ities", "ist", "ists", "ism")
_PLAIN = re.compile(r"[A-Z]?[a-z]+(?:'[a-z]+)*")  # a word whose case is only a sentence's or a name's


@cache
def english_words() -> frozenset[str] | None:
    """The CMU pronouncing dictionary's words (lower case) that PocketSphinx ships; None
    without PocketSphinx."""
    try:
        import pocketsphinx
    except ImportError:
        return None
    root = Path(pocketsphinx.get_model_path())
    for path in (root / "cmudict-en-us.dict", root / "en-us" / "cmudict-en-us.dict"):
        if path.is_file():
            with path.open(encoding="utf-8") as lines:
                return frozenset(line.split(" ", 1)[0].split("(", 1)[0] for line in lines)
    return None


@dataclass(frozen=True)
class Suggestion:
    """One word worth a lexicon entry."""

    match: str  # as the lexicon would match it (the most frequent spelling)
    reasons: tuple[str, ...]  # ACRONYM, MIXED_CASE, DIGITS, NAME, UNKNOWN
    count: int  # occurrences in the catalogue's scripts
    qa_failures: int  # sentences holding it that QA flagged
    example: str  # a sentence holding it, as written (a flagged one where there is one)
    said: str  # what the voice is given for it today, alone
    case_sensitive: bool = True  # False: seen in several capitalisations ("Agentic", "agentic")


@dataclass(frozen=True)
class SuggestReport:
    suggestions: tuple[Suggestion, ...]  # best first
    posts: int  # posts scanned
    sentences: int
    qa_episodes: int  # episodes whose QA record was read
    dictionary: str  # the dictionary consulted, in words
    problems: tuple[AudioEssayError, ...] = ()  # posts that could not be prepared (left out)


@dataclass
class _Word:
    spellings: Counter[str] = field(default_factory=Counter)
    reasons: set[str] = field(default_factory=set)
    count: int = 0
    failures: int = 0
    example: str = ""
    flagged_example: str = ""


def _reasons(word: str, mid_sentence: bool) -> set[str]:
    """Why a written word may be read wrong (empty: no reason of its form)."""
    reasons = set()
    if re.fullmatch(r"[A-Z]{2,}s?", word):
        reasons.add(ACRONYM)
    if re.search(r"[a-z][A-Z]", word):
        reasons.add(MIXED_CASE)
    if re.search(r"\d", word):
        reasons.add(DIGITS)
    if not reasons and mid_sentence and word not in _COMMON:
        reasons.add(NAME)
    return reasons


def _written_words(written: str) -> Iterator[tuple[str, set[str]]]:
    """The name-like words of a written sentence with the reasons of their form. A
    hyphened word without digits is its parts ("AI-narrated"); a model name is one
    ("GPT-4o")."""
    for m in _CANDIDATE.finditer(written):
        token = m.group(0).rstrip(".'-").removesuffix("'s")
        if len(token) > 30 or re.search(r"[./][A-Za-z]", token):
            continue  # a domain, a path or an identifier, not a word
        mid_sentence = not _SENTENCE_START.search(written[: m.start()])
        parts = [token] if re.search(r"\d", token) else token.split("-")
        for n, word in enumerate(parts):
            if len(word) > 1 and not word.islower():
                yield word, _reasons(word, mid_sentence or n > 0)


def _key(word: str) -> str:
    """Plain words group their capitalisations; acronyms and mixed case keep theirs."""
    return word.lower() if _PLAIN.fullmatch(word) else word


def _in_tables(word: str, tables: Tables) -> bool:
    return any(word in table for table in (tables.acronyms, tables.abbreviations, tables.units, tables.currencies,
                                           tables.magnitudes)) or (word.islower() and word in tables.spelled)


class _Scan:
    def __init__(self, dictionary: frozenset[str] | None):
        self.dictionary = dictionary
        self.words: dict[str, _Word] = {}
        self.sentences = 0

    def known(self, word: str) -> bool:
        """Whether the dictionary has the word, or its stem ("enthralling": "enthrall")."""
        if self.dictionary is None:
            return False
        word = word.lower().removesuffix("'s")
        stems = [word[: -len(end)] for end in _ENDINGS if word.endswith(end) and len(word) - len(end) > 2]
        return word in self.dictionary or any(s in self.dictionary or s + "e" in self.dictionary for s in stems)

    def script(self, script: Script, flagged: set[int], english: bool) -> None:
        for index, sentence in enumerate(script.sentences()):
            self.sentences += 1
            seen: dict[str, Counter[str]] = {}  # key -> spellings in this sentence
            reasons: dict[str, set[str]] = {}
            for word, why in _written_words(sentence.written or sentence.text):
                key = _key(word)
                seen.setdefault(key, Counter())[word] += 1
                reasons.setdefault(key, set()).update(why)
            spoken: dict[str, Counter[str]] = {}
            if english and self.dictionary is not None:
                # only words the post wrote: one the normaliser made ("Covid" for "COVID") is the tables'
                as_written = {w.removesuffix("'s") for w in _SPOKEN_WORD.findall(sentence.written or sentence.text)}
                for m in _SPOKEN_WORD.finditer(sentence.text):
                    word = m.group(0).removesuffix("'s")
                    if len(word) > 1 and word in as_written and not self.known(word):
                        spoken.setdefault(_key(word), Counter())[word] += 1
            for key, spellings in spoken.items():
                reasons.setdefault(key, set()).add(UNKNOWN)
                if sum(spellings.values()) > sum(seen.get(key, Counter()).values()):
                    seen[key] = spellings
            for key, spellings in seen.items():
                why = reasons[key]
                if NAME in why and self.known(key):
                    why = why - {NAME}  # the dictionary says how ("Google", "London")
                entry = self.words.setdefault(key, _Word())
                entry.spellings.update(spellings)
                entry.reasons |= why
                entry.count += sum(spellings.values())
                written = " ".join((sentence.written or sentence.text).split())
                entry.example = entry.example or written
                if index in flagged:
                    entry.failures += 1
                    entry.flagged_example = entry.flagged_example or written

    def suggestions(self, lexicon: Lexicon) -> list[Suggestion]:
        tables = lexicon.tables
        found = []
        for w in self.words.values():
            spellings = [s for s, _ in w.spellings.most_common()]
            if not w.reasons or any(lexicon.covers(s) or _in_tables(s, tables) for s in spellings):
                continue
            match = spellings[0]
            said = normalize_text(match, tables=tables) or match
            found.append(Suggestion(match=match, reasons=tuple(sorted(w.reasons)), count=w.count,
                                    qa_failures=w.failures, example=w.flagged_example or w.example, said=said,
                                    case_sensitive=len(spellings) == 1))
        return sorted(found, key=lambda s: (-s.qa_failures, -s.count, s.match.lower(), s.match))


def _posts(show: Show) -> list[tuple[Path, str | None]]:
    """The show's posts as (file, catalogue slug): the catalogue's (drafts have no file),
    else the post files in ``posts/``."""
    if show.catalog_path.exists():
        with Catalog(show.catalog_path, write=False) as catalog:
            records = catalog.posts()
        return [(Path(p.source) if Path(p.source).is_absolute() else show.folder / p.source, p.slug)
                for p in records if p.source]
    from audio.readers.registry import post_suffixes

    suffixes = post_suffixes()
    files = sorted(p for p in show.posts_dir.glob("*") if p.suffix.lower() in suffixes and not p.name.startswith("."))
    if not files:
        raise InputError(show.catalog_path, "no posts: no catalogue (run `audio-essay import`) and no posts/ files")
    return [(path, None) for path in files]


def _flagged(show: Show, slug: str, sentences: int) -> set[int] | None:
    """The indexes (in speaking order) of the sentences QA flagged in the post's episode;
    None without a QA record, with one of a QA that was skipped, or with one of another
    version of the post (an index past its end)."""
    path = show.rendered_dir / slug / f"{slug}{QA_SUFFIX}"
    if not path.is_file():
        return None
    qa = load_qa(path)
    if qa.state == "skipped" or any(check.index >= sentences for check in qa.sentences):
        return None
    return {check.index for check in qa.suspects}


def suggest_lexicon(show: Show) -> SuggestReport:
    """Scan every post of the show's catalogue for words worth a lexicon entry."""
    from audio.prepare import prepare_read, read_post
    from audio.prepare.language import post_voice
    from audio.synth.voices import load_voice

    dictionary = english_words()
    scan = _Scan(dictionary)
    problems: list[AudioEssayError] = []
    posts = qa_episodes = 0
    voice_lexicons: dict[str, Path | None] = {}
    for path, slug in _posts(show):
        try:
            post = read_post(path, show)
            if post.meta.type == "podcast" and show.publish.podcast_posts != "narrate":
                continue  # its own audio is published: nothing of it is spoken
            name = post_voice(post, show)
            if name not in voice_lexicons:
                voice_lexicons[name] = load_voice(name, show).lexicon
            script = prepare_read(post, show, Voicing(lexicon=voice_lexicons[name]), notes_html="")
            flagged = _flagged(show, slug or script.meta.slug, len(script.sentences()))
        except AudioEssayError as exc:
            problems.append(exc)
            continue
        posts += 1
        qa_episodes += flagged is not None
        language = script.meta.language or show.language
        scan.script(script, flagged or set(), english=language == "en")
    lexicon = Lexicon.chain(*(lexicon_file(p) for p in voice_lexicons.values()), show_lexicon(show))
    where = "the CMU pronouncing dictionary (PocketSphinx's)" if dictionary is not None else "none (no PocketSphinx)"
    return SuggestReport(suggestions=tuple(scan.suggestions(lexicon)), posts=posts, sentences=scan.sentences,
                         qa_episodes=qa_episodes, dictionary=where, problems=tuple(problems))


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _example(text: str, word: str, width: int = 160) -> str:
    """The sentence, cut to ``width`` characters around the word."""
    if len(text) <= width:
        return text
    at = max(0, text.find(word) - width // 3)
    cut = text[at: at + width]
    return ("..." if at else "") + cut + ("..." if at + width < len(text) else "")


def suggestions_toml(show: Show, report: SuggestReport, top: int | None = None) -> str:
    """The proposed lexicon: every entry commented out (``# ``), its notes doubly (``## ``),
    so that uncommenting any lines, or all of them, leaves a valid lexicon."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Proposed pronunciation lexicon entries for {show.show.title or show.folder.name}: words the voice",
        f"## may read wrong, from {report.posts} posts ({report.sentences} sentences), {stamp}, by",
        "## `audio-essay lexicon suggest`. Format: README \"Pronunciation lexicon\".",
        f"## Dictionary: {report.dictionary}. QA records read: {report.qa_episodes}.",
        "## Ranked by the sentences QA flagged that hold the word, then by how often it occurs.",
        "## Uncomment the entries you want, edit `say` (a respelling; `phonemes` in espeak IPA for",
        "## voices that take them), and move them into the show's lexicon. Audition one with",
        "##   audio-essay voices say VOICE \"WORD\" --lexicon THIS_FILE",
    ]
    for s in report.suggestions[:top]:
        failures = f", {s.qa_failures} in sentences QA flagged" if report.qa_episodes else ""
        lines += [
            "",
            f"## {s.match}: {s.count} time{'s' if s.count != 1 else ''}{failures}; {', '.join(s.reasons)}; said now: {s.said}",
            f"## e.g. {_example(s.example, s.match)}",
            "# [[entry]]",
            f"# match = {_string(s.match)}",
            f"# say = {_string(s.said)}",
        ]
        if not s.case_sensitive:
            lines.append("# case_sensitive = false")
    return "\n".join(lines) + "\n"


def write_suggestions(show: Show, out: str | Path | None = None, top: int | None = None) -> tuple[Path, SuggestReport]:
    """``audio-essay lexicon suggest``: scan the catalogue and write the proposed lexicon
    (default ``<show>/lexicon.suggested.toml``), never over the show's own lexicon."""
    path = Path(out) if out is not None else show.folder / SUGGESTED_FILE
    lexicon = show.lexicon_path
    if lexicon is not None and path.resolve() == lexicon.resolve():
        raise OutputError(path, "is the show's lexicon: write the suggestions to another file (--out)")
    if path.is_dir():
        raise OutputError(path, "is a folder: --out names a file")
    report = suggest_lexicon(show)
    text = suggestions_toml(show, report, top)
    write_text(path, text)
    return path, report
