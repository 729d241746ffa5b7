"""Sentence splitting: pysbd finds the sentences; over-long ones are cut at clause boundaries.

A TTS engine reads one sentence at a time and degrades (or refuses) past its limit, so no
piece may exceed ``max_chars``. Cuts prefer the strongest clause boundary that fits, and
never fall inside a word: a single word longer than the limit stays whole.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pysbd

# Clause boundaries, strongest first. Each pattern matches the gap where a cut may go: the
# text before it ends the first piece (its punctuation kept), the text after starts the next.
_BOUNDARIES = (
    re.compile(r"(?<=[.!?;])\s+"),
    re.compile(r"(?<=:)\s+"),
    re.compile(r"(?<=[\u2014\u2013])\s+|(?<=\s-)\s+"),
    re.compile(
        r"(?<=,)\s+(?=(?:and|but|or|nor|so|yet|because|which|while|whereas|although|though|"
        r"when|where|who|if|unless|since|then|as)\b)",
        re.IGNORECASE,
    ),
    re.compile(r"(?<=[,)])\s+"),
    re.compile(r"\s+(?=(?:and|but|or|because|which|while|whereas|although|though|so that)\s)"),
    re.compile(r"\s+"),
)


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _sentences(text: str) -> list[str]:
    """pysbd's sentences; if it ever changes the words (it has known bugs), fall back to a
    simple split at sentence punctuation followed by a capital."""
    pieces = [p.strip() for p in _segmenter().segment(text)]
    pieces = [p for p in pieces if p]
    if " ".join(pieces).split() != text.split():
        pieces = [p for p in re.split(r"(?<=[.!?])\s+(?=[\"'(]?[A-Z0-9])", text.strip()) if p]
    return pieces


def _split_long(sentence: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        cut = None
        for boundary in _BOUNDARIES:
            gaps = [m for m in boundary.finditer(rest) if 0 < m.start() <= max_chars and m.end() < len(rest)]
            if gaps:
                cut = gaps[-1]
                break
        if cut is None:  # the first word alone is longer than the limit: keep it whole
            first = re.match(r"\S+\s*", rest)
            assert first is not None
            if first.end() >= len(rest):
                break
            pieces.append(rest[: first.end()].strip())
            rest = rest[first.end():]
            continue
        pieces.append(rest[: cut.start()].strip())
        rest = rest[cut.end():]
    pieces.append(rest.strip())
    return [p for p in pieces if p]


def split_sentences(text: str, max_chars: int) -> list[str]:
    """The sentences of one paragraph, each at most ``max_chars`` characters (unless a
    single word is longer), in order, with every word kept."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    return [piece for sentence in _sentences(text) for piece in _split_long(sentence, max_chars)]
