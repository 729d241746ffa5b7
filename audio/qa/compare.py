"""Written against heard: both texts normalised the same way, then word error rate,
character error rate and the word alignment (``jiwer``, on rapidfuzz's edit distance).

Normalisation (``normalise``): lower case; ``[[ phonemes ]]`` blocks dropped (they are
not words); hyphens and dashes split words ("state-of-the-art" -> "state of the art");
apostrophes inside a word are kept ("don't", "lambert's": the recognisers' dictionaries
spell them so), curly ones made straight, others dropped; every other character that is
not a letter or a digit is a space. Numbers are left as they are: the spoken text already
has them as words, and a recogniser hears words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jiwer

_PHONEMES = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_NOT_WORD = re.compile(r"[^\w']+|_")
_LOOSE_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")


def normalise(text: str) -> str:
    """``text`` as lower case words separated by single spaces (see the module's rules)."""
    text = _PHONEMES.sub(" ", text).translate(_APOSTROPHES).lower()
    text = _LOOSE_APOSTROPHE.sub(" ", _NOT_WORD.sub(" ", text))
    return " ".join(text.split())


@dataclass(frozen=True)
class Comparison:
    """Heard against written, both normalised. ``alignment`` pairs the words in order:
    ``(written, heard)``, ``""`` on the side that lacks a word (an insertion or a deletion)."""

    written: str
    heard: str
    wer: float
    cer: float
    alignment: tuple[tuple[str, str], ...]

    @property
    def errors(self) -> tuple[tuple[str, str], ...]:
        """The pairs that differ."""
        return tuple(pair for pair in self.alignment if pair[0] != pair[1])


def compare(written: str, heard: str) -> Comparison:
    """Normalise both texts and compare them. Nothing written: no error if nothing was
    heard either, else every heard word is an error (rates of 1)."""
    written, heard = normalise(written), normalise(heard)
    if not written:
        return Comparison(written, heard, float(bool(heard)), float(bool(heard)), tuple(("", w) for w in heard.split()))
    if not heard:
        return Comparison(written, heard, 1.0, 1.0, tuple((w, "") for w in written.split()))
    words = jiwer.process_words(written, heard)
    ref, hyp = words.references[0], words.hypotheses[0]
    pairs: list[tuple[str, str]] = []
    for chunk in words.alignments[0]:
        said, got = ref[chunk.ref_start_idx:chunk.ref_end_idx], hyp[chunk.hyp_start_idx:chunk.hyp_end_idx]
        n = max(len(said), len(got))
        pairs += [(said[i] if i < len(said) else "", got[i] if i < len(got) else "") for i in range(n)]
    return Comparison(written, heard, float(words.wer), float(jiwer.cer(written, heard)), tuple(pairs))
