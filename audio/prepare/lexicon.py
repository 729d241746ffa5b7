"""The pronunciation lexicon: a show's (or voice's) TOML file of words the voice gets wrong.

Each ``[[entry]]`` maps a word, or a regular expression, to a respelling (``say``) that
any engine can read, and/or to phonemes (``phonemes``, espeak IPA) for engines that take
them inline (Piper reads ``[[ phonemes ]]``). The lexicon runs after normalisation, on
each sentence; the normaliser leaves its literal words untouched (``Lexicon.words``) so
that "NASA" or "Kokotajlo" reach it as written. Format: README "Pronunciation lexicon".
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from audio.config import validate
from audio.errors import ConfigError
from audio.prepare.tables import ShowTables, Tables, packaged_tables

_KEYS = {"match", "say", "phonemes", "regex", "case_sensitive"}


@dataclass(frozen=True)
class Entry:
    match: str
    say: str = ""
    phonemes: str = ""
    regex: bool = False
    case_sensitive: bool = True

    @property
    def body(self) -> str:
        """The entry as a regex, without the word boundaries."""
        body = self.match if self.regex else re.escape(self.match)
        return body if self.case_sensitive else f"(?i:{body})"

    @property
    def pattern(self) -> str:
        """The entry as a regex that only matches whole words."""
        return rf"(?<!\w)(?:{self.body})(?!\w)"

    def spoken(self, phonemes: bool) -> str | None:
        """What replaces a match: phonemes when the engine takes them, else the
        respelling; None (leave the word) for a phonemes-only entry on such an engine."""
        if phonemes and self.phonemes:
            return f"[[ {self.phonemes} ]]"
        return self.say or None


@dataclass
class Lexicon:
    entries: tuple[Entry, ...] = ()
    path: Path | None = None
    counts: Counter[str] = field(default_factory=Counter)  # entry.match -> times it fired
    additions: ShowTables = field(default_factory=ShowTables)  # what the file adds to the normaliser's tables

    @classmethod
    def load(cls, path: str | Path) -> Lexicon:
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(path, "no such lexicon file") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(path, f"cannot read lexicon ({exc})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(path, f"not valid TOML ({exc})") from exc
        unknown = set(raw) - {"entry", *ShowTables.model_fields}
        if unknown:
            raise ConfigError(
                path, f"unknown table {min(unknown)!r} (a lexicon holds [[entry]] and {_TABLES})"
            )
        items = raw.pop("entry", [])
        if not isinstance(items, list):
            raise ConfigError(path, "entry: expected [[entry]] tables")
        entries = tuple(_entry(path, i, item) for i, item in enumerate(items, start=1))
        return cls(entries, path, additions=validate(ShowTables, raw, path))

    @classmethod
    def chain(cls, *lexicons: Lexicon | None) -> Lexicon:
        """One lexicon from several, earlier ones winning: ``chain(voice, show)`` lets a
        voice's entries override the show's for the same word."""
        present = [lexicon for lexicon in lexicons if lexicon]
        additions = {
            key: {k: v for lexicon in reversed(present) for k, v in getattr(lexicon.additions, key).items()}
            for key in ShowTables.model_fields
        }
        return cls(tuple(e for lexicon in present for e in lexicon.entries), additions=ShowTables(**additions))

    @property
    def tables(self) -> Tables:
        """The normaliser's tables with this lexicon's additions."""
        return _extended(self.additions.model_dump_json())

    @property
    def words(self) -> frozenset[str]:
        """The literal words the lexicon covers, as they may be written (a case-insensitive
        entry in its usual spellings): the normaliser must leave them as written."""
        words = set()
        for e in self.entries:
            if not e.regex:
                words.add(e.match)
                if not e.case_sensitive:
                    words |= {e.match.lower(), e.match.upper(), e.match.capitalize(), e.match.title()}
        return frozenset(words)

    def apply(self, text: str, phonemes: bool) -> str:
        """Replace every covered word; the first entry (in file order) wins, and a
        replacement is never matched again. Then the built-in speech fixes run."""
        if not self.entries:
            return _speech_fixes(text)
        regex = _combined(self.entries)

        def replace(m: re.Match[str]) -> str:
            index = int(m.lastgroup[1:]) if m.lastgroup else 0
            entry = self.entries[index]
            self.counts[entry.match] += 1
            spoken = entry.spoken(phonemes)
            return m.group(0) if spoken is None else spoken

        return _speech_fixes(regex.sub(replace, text))

    def covers(self, word: str) -> bool:
        return any(re.fullmatch(e.pattern, word) for e in self.entries)


# A spelled-out letter A next to another letter ("A I", "R L A I F") is read as the
# article "a" by espeak (Piper) and others; hyphened to its neighbour it is "ay".
_LETTER_A = re.compile(r"(?<![\w'-])A (?=[A-Z](?:'s)?(?!\w))|(?<=(?<![\w'-])[A-Z]) A(?=(?:'s)?(?!\w))(?! [A-Z](?:'s)?(?!\w))")


def _speech_fixes(text: str) -> str:
    """What every voice needs beyond the transcript text: "A I" -> "A-I", "L L A" -> "L L-A"."""
    if "A" not in text:
        return text
    return _LETTER_A.sub(lambda m: "A-" if m.group(0).startswith("A") else "-A", text)


_TABLES = ", ".join(f"[{key}]" for key in ShowTables.model_fields)


@lru_cache(maxsize=16)
def _extended(additions: str) -> Tables:
    """The packaged tables with a lexicon's additions (as JSON: one build per content)."""
    return packaged_tables().extended(ShowTables.model_validate_json(additions))


_COMBINED: dict[tuple[Entry, ...], re.Pattern[str]] = {}


def _combined(entries: tuple[Entry, ...]) -> re.Pattern[str]:
    """One alternation of all entries, each in a named group ``e<index>`` (outermost, so
    ``lastgroup`` names the entry even when the entry's own regex has groups)."""
    if entries not in _COMBINED:
        # The shared start-of-word test comes first, so most positions fail at once.
        alternatives = "|".join(f"(?P<e{i}>(?:{e.body})(?!\\w))" for i, e in enumerate(entries))
        _COMBINED[entries] = re.compile(rf"(?<!\w)(?:{alternatives})")
    return _COMBINED[entries]


def _entry(path: Path, number: int, item: object) -> Entry:
    where = f"entry {number}"
    if not isinstance(item, dict):
        raise ConfigError(path, f"{where}: expected a table")
    for key in item:
        if key not in _KEYS:
            raise ConfigError(path, f"{where}: unknown key {key!r} (known: {', '.join(sorted(_KEYS))})")
    match = item.get("match")
    if not isinstance(match, str) or not match.strip():
        raise ConfigError(path, f"{where}: 'match' must be a non-empty string")
    for key in ("say", "phonemes"):
        if key in item and not isinstance(item[key], str):
            raise ConfigError(path, f"{where} ({match}): {key!r} must be a string")
    for key in ("regex", "case_sensitive"):
        if key in item and not isinstance(item[key], bool):
            raise ConfigError(path, f"{where} ({match}): {key!r} must be true or false")
    if not item.get("say", "").strip() and not item.get("phonemes", "").strip():
        raise ConfigError(path, f"{where} ({match}): needs 'say' or 'phonemes'")
    if "[[" in item.get("phonemes", "") or "]]" in item.get("phonemes", ""):
        raise ConfigError(path, f"{where} ({match}): write 'phonemes' without the [[ ]] brackets")
    entry = Entry(
        match=match,
        say=item.get("say", "").strip(),
        phonemes=item.get("phonemes", "").strip(),
        regex=item.get("regex", False),
        case_sensitive=item.get("case_sensitive", True),
    )
    try:
        re.compile(entry.match if entry.regex else "")  # positions in errors refer to `match`
        compiled = re.compile(entry.pattern)
    except re.error as exc:
        raise ConfigError(path, f"{where} ({match}): not a valid regular expression ({exc})") from exc
    if compiled.groupindex:
        raise ConfigError(path, f"{where} ({match}): named groups are not allowed in 'match'")
    if compiled.match(""):
        raise ConfigError(path, f"{where} ({match}): the expression matches the empty string")
    return entry


# --- the lexicon report -------------------------------------------------------------------


@dataclass(frozen=True)
class LexiconReport:
    """How often each entry fired, and the words no entry covers that might need one."""

    counts: tuple[tuple[str, int], ...]  # (entry match, times fired), in file order
    candidates: tuple[tuple[str, int], ...]  # (word, occurrences), most frequent first


# A capitalised word, an acronym, or a name mixing letters and digits ("Qwen2.5", "RLHF").
_CANDIDATE = re.compile(r"(?<![\w'])(?:[A-Z][\w'.-]*\w|[a-z]+[A-Z0-9][\w.-]*\w)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"]\s+)$")
_COMMON = frozenset(
    """I I'm I've I'd I'll A The This That These Those It It's In On At Of For And But Or So If
    When Where What Why How Who Which While We You He She They Our My Your Their His Her Its
    Mr Mrs Dr Yes No OK""".split()
)


def lexicon_report(texts: Iterable[str], lexicon: Lexicon | None) -> LexiconReport:
    """Count lexicon hits and list uncovered name-like words.

    ``texts`` are paragraphs as written (before normalisation): the report normalises
    them itself with the lexicon's words, then applies the lexicon with fresh counts.
    Candidates are capitalised words not at the start of a sentence, all-capital
    acronyms and names with digits, that no entry matches and no ``[acronyms]`` names.
    """
    from audio.prepare.normalize import normalize_text

    fresh = Lexicon(lexicon.entries, lexicon.path, additions=lexicon.additions) if lexicon else Lexicon()
    words, tables = fresh.words, fresh.tables
    found: Counter[str] = Counter()
    for text in texts:
        fresh.apply(normalize_text(text, words, tables=tables), phonemes=False)
        for m in _CANDIDATE.finditer(text):
            word = m.group(0).rstrip(".'").removesuffix("'s")
            if len(word) > 30 or re.search(r"[./]\w", word):
                continue  # a domain, path or identifier, not a word
            acronym_like = any(c.isdigit() for c in word) or sum(c.isupper() for c in word) > 1
            if not acronym_like and (_SENTENCE_START.search(text[: m.start()]) or word in _COMMON):
                continue
            if word and not fresh.covers(word) and word not in tables.acronyms:  # those are read right
                found[word] += 1
    counts = tuple((e.match, fresh.counts[e.match]) for e in fresh.entries)
    candidates = tuple(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
    return LexiconReport(counts=counts, candidates=candidates)
