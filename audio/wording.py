"""Where a post's written words meet the words the voice speaks.

Normalisation rewrites a paragraph for the voice ("GPT-4o" -> "G P T four o") and the
spoken text is then cut into sentences. The transcripts show the written words, so each
spoken sentence gets the run of written words it was made from: the two word sequences
are aligned (difflib, on words compared without case or punctuation), and a cut between
spoken sentences is carried over to the written words. Plain words pass normalisation
unchanged, so they anchor the alignment; a cut inside a rewritten run ("$5M. 2025 was")
falls after the written word that ends a sentence there, else in proportion.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise

_NOT_WORD = re.compile(r"\W+")
_SENTENCE_END = re.compile(r"[.!?:;][\"'\u201d\u2019)\]]*$")


@lru_cache(maxsize=65536)
def _key(token: str) -> str:
    return _NOT_WORD.sub("", token).lower() or token


def _opcodes(written: list[str], spoken: list[str]) -> list[tuple[str, int, int, int, int]]:
    """How the written words become the spoken ones (difflib's opcodes, on their keys)."""
    written_keys, spoken_keys = [_key(w) for w in written], [_key(s) for s in spoken]
    if written_keys == spoken_keys:  # nothing rewritten
        return [("equal", 0, len(written), 0, len(spoken))]
    return SequenceMatcher(None, written_keys, spoken_keys, autojunk=False).get_opcodes()


def _written_cut(opcodes: list[tuple[str, int, int, int, int]], written: list[str], j: int) -> int:
    """The written word index where the spoken word ``j`` starts a new sentence."""
    for tag, i1, i2, j1, j2 in opcodes:
        if j < j1 or j >= j2 and not (tag == "insert" and j == j2):
            continue
        if tag == "equal":
            return i1 + (j - j1)
        if j == j1 or i1 == i2:
            return i1
        guess = i1 + round((j - j1) * (i2 - i1) / (j2 - j1))
        ends = [i + 1 for i in range(i1, i2 - 1) if _SENTENCE_END.search(written[i])]
        return min(ends, key=lambda e: abs(e - guess)) if ends else min(max(guess, i1), i2)
    return len(written)


def written_pieces(written: str, spoken_pieces: list[str]) -> list[str]:
    """The written words behind each spoken piece, in order: joined, they are all of
    ``written`` (whitespace made single). A piece whose words were all rewritten into
    the next one's may be empty."""
    words = written.split()
    if len(spoken_pieces) <= 1:
        return [" ".join(words)] if spoken_pieces else []
    spoken: list[str] = []
    starts: list[int] = []
    for piece in spoken_pieces:
        starts.append(len(spoken))
        spoken.extend(piece.split())
    opcodes = _opcodes(words, spoken)
    cuts = [0]
    for start in starts[1:]:
        cuts.append(max(cuts[-1], _written_cut(opcodes, words, start)))
    cuts.append(len(words))
    return [" ".join(words[a:b]) for a, b in pairwise(cuts)]


def spoken_weights(written: str, spoken: str) -> list[float]:
    """For each written word, about how many characters of speech it stands for (a
    rewritten run's spoken characters shared by its written words' lengths): an estimate
    of how long each word takes to say. Without the spoken form, the written length."""
    words = written.split()
    if not spoken.strip():
        return [len(w) + 1.0 for w in words]
    said = spoken.split()
    weights = [0.0] * len(words)
    for _tag, i1, i2, j1, j2 in _opcodes(words, said):
        if i1 == i2:  # spoken words with no written ones: the word before says them
            if i1:
                weights[i1 - 1] += sum(len(s) + 1 for s in said[j1:j2])
            continue
        chars = sum(len(s) + 1 for s in said[j1:j2])
        share = sum(len(w) + 1 for w in words[i1:i2])
        for i in range(i1, i2):
            weights[i] = chars * (len(words[i]) + 1) / share
    return weights
