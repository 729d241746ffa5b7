"""Sentence splitting: pysbd finds the sentences; over-long ones are cut at clause boundaries.

A TTS engine reads one sentence at a time and degrades (or refuses) past its limit, so no
piece may exceed ``max_chars``. Cuts prefer the strongest clause boundary that fits, and
never fall inside a word: a single word longer than the limit stays whole.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pysbd
from pysbd.languages import LANGUAGE_CODES
from pysbd.utils import TextSpan

# Where a long sentence may be cut, and what each kind of cut costs: the split keeps
# the total cost lowest, so it prefers few pieces, strong boundaries, and no fragments.
_CONJUNCTIONS = frozenset(
    "and but or nor so yet because which while whereas although though when where who if unless since then as".split()
)
# Before one of these starts a phrase: a weaker boundary, still better than any other gap.
_PHRASE_STARTS = frozenset(
    "that whether what how why to with for from into about after before during without through over under "
    "in on at by of than like".split()
)
_PIECE_COST = 10  # each extra piece
_SHORT_PIECE = 25  # characters; a shorter piece is a fragment...
_SHORT_COST = 15  # ...and costs this much more
_INSIDE_COST = 10  # cutting inside parentheses or quotes


def _gap_cost(before: str, after: str) -> int:
    """The cost of cutting between two words: low at clause boundaries, high elsewhere."""
    end = before.rstrip("\"')]")
    if end.endswith(";"):
        return 1
    if end.endswith((":", "\u2014", "\u2013")) or after in ("\u2014", "\u2013", "-"):
        return 2
    if end.endswith(","):
        return 3 if after.lower() in _CONJUNCTIONS else 5
    if before.endswith(")") or after.startswith(("(", '"')):
        return 5
    if end.endswith(("!", "?")):
        return 4
    if end.endswith("."):
        return 8  # pysbd saw no sentence end here: probably an abbreviation
    if after.lower() in _CONJUNCTIONS:
        return 8
    if after.lower() in _PHRASE_STARTS:
        return 12
    return 20


def _split_long(sentence: str, max_chars: int) -> list[str]:
    """Cut one sentence into pieces of at most ``max_chars`` at the cheapest boundaries
    (dynamic programming over the gaps between words); a word longer than the limit is
    a piece of its own."""
    if len(sentence) <= max_chars:
        return [sentence]
    words = sentence.split(" ")
    n = len(words)
    starts = [0]  # character offset of each word in the sentence
    for word in words:
        starts.append(starts[-1] + len(word) + 1)
    depth, inside = 0, [False] * (n + 1)  # inside[i]: gap before word i is within (...) or "..."
    quoted = False
    for i, word in enumerate(words):
        inside[i] = depth > 0 or quoted
        depth = max(0, depth + word.count("(") - word.count(")"))
        quoted ^= word.count('"') % 2 == 1
    best = [0] + [10**9] * n  # best[j]: cheapest way to cut words[:j]
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            length = starts[j] - starts[i] - 1
            if length > max_chars and j - i > 1:
                break
            cost = best[i] + _PIECE_COST + (_SHORT_COST if length < _SHORT_PIECE else 0)
            if i > 0:
                cost += _gap_cost(words[i - 1], words[i]) + (_INSIDE_COST if inside[i] else 0)
            if cost < best[j]:
                best[j], back[j] = cost, i
    pieces, j = [], n
    while j > 0:
        pieces.append(" ".join(words[back[j] : j]))
        j = back[j]
    return pieces[::-1]


class _Segmenter(pysbd.Segmenter):
    """pysbd's segmenter, placing its sentences back in the text with ``str.find``:
    pysbd compiles a regular expression per sentence to do it (``escape(sentence) + \\s*``),
    which overflows ``re``'s cache; same spans, about a tenth of the preparer's time."""

    def sentences_with_char_spans(self, sentences):
        text, spans, prior = self.original_text, [], 0
        for sentence in sentences:
            if not sentence:
                return super().sentences_with_char_spans(sentences)
            at = 0
            while (start := text.find(sentence, at)) != -1:
                end = start + len(sentence)
                while end < len(text) and text[end].isspace():  # the \s* after it
                    end += 1
                if end > prior:  # the first occurrence that ends past the last sentence
                    spans.append(TextSpan(text[start:end], start, end))
                    prior = end
                    break
                at = end
        return spans


@lru_cache(maxsize=8)
def _segmenter(language: str = "en") -> pysbd.Segmenter:
    """pysbd's rules for the language (its abbreviations, "¿...?" and "¡...!" in Spanish);
    English's for a language pysbd does not know."""
    return _Segmenter(language=language if language in LANGUAGE_CODES else "en", clean=False)


# A candidate sentence end: . ! ? (and closing quotes or brackets), a space, then what
# can start a sentence.
_CANDIDATE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"')\]])|(?<=[.!?][\"')\]][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])"
)
# Words before a period that need pysbd's rules: initials, abbreviations, dotted forms
# (a letter after a spelled-out letter, "A I.", ends an acronym, not an initial).
_ABBREVIATION = re.compile(
    r"(?:^|(?<!\b[A-Z])\s)[\"'(\[]*(?:[A-Za-z]|[A-Za-z]+\.[A-Za-z.]+|\d+|Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Mt|Inc|Ltd|Co|Corp|"
    r"vs|etc|et|al|Fig|fig|No|no|Vol|pp|Gen|Gov|Sen|Rep|Col|Lt|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\."
    r"[\"')\]]*$"
)


def _ambiguous(text: str) -> bool:
    """Whether a simple split at sentence punctuation could be wrong here."""
    if ".." in text:
        return True
    return any(_ABBREVIATION.search(text, 0, m.start()) for m in _CANDIDATE_END.finditer(text))


def _sentences(text: str, language: str = "en") -> list[str]:
    """The sentences of one paragraph. Normalised English has few abbreviations left, so
    an unambiguous paragraph is split at its sentence punctuation directly; the rest, and
    every paragraph in another language, go to pysbd (slow: about 10 µs a character). If
    pysbd ever changes the words (it has known bugs), the simple split is used instead."""
    simple = [p for p in _CANDIDATE_END.split(text) if p]
    if language == "en" and not _ambiguous(text):
        return simple
    pieces = [p.strip() for p in _segmenter(language).segment(text)]
    pieces = [p for p in pieces if p]
    return pieces if " ".join(pieces).split() == text.split() else simple


def split_sentences(text: str, max_chars: int, language: str = "en") -> list[str]:
    """The sentences of one paragraph (by the rules of ``language``, a language code),
    each at most ``max_chars`` characters (unless a single word is longer), in order,
    with every word kept."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    return [piece for sentence in _sentences(text, language) for piece in _split_long(sentence, max_chars)]
