"""Sentence splitting: pysbd boundaries, long sentences cut at clause boundaries."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio.prepare.sentences import split_sentences


def test_sentences_from_the_corpus() -> None:
    text = (
        "I met Dr. Smith in the U.S. yesterday. He said, for example, this is fine! "
        "Really? Yes. The model scored three point five on the test."
    )
    assert split_sentences(text, 400) == [
        "I met Dr. Smith in the U.S. yesterday.",
        "He said, for example, this is fine!",
        "Really?",
        "Yes.",
        "The model scored three point five on the test.",
    ]


def test_long_sentence_is_cut_at_the_strongest_clause_boundary() -> None:
    text = (
        "The rate of progress has been so fast that many people expect it to continue; "
        "the question is whether the bottlenecks, which are real, will slow it down, "
        "and whether anyone will notice when they do."
    )
    assert split_sentences(text, 100) == [
        "The rate of progress has been so fast that many people expect it to continue;",
        "the question is whether the bottlenecks, which are real, will slow it down,",
        "and whether anyone will notice when they do.",
    ]


# Long sentences of the sample post (Brakes on an intelligence explosion), normalised.
SAMPLE_SENTENCES = [
    (
        "Much of this falls into a technocentric world view where technical skill and capacity drive "
        "progress, but in reality, the biggest thing driving progress in twenty twenty-five is likely "
        "steep industrial competition (or international competition!).",
        120,
        [
            "Much of this falls into a technocentric world view where technical skill and capacity drive progress,",
            "but in reality, the biggest thing driving progress in twenty twenty-five is likely steep industrial "
            "competition",
            "(or international competition!).",
        ],
    ),
    (
        "One question I had for you while we were talking about the intelligence stuff was, as a scientist "
        "yourself, what do you make of the fact that these things have basically the entire corpus of human "
        "knowledge memorized and they haven't been able to make a single new connection that has led to a "
        "discovery?",
        100,
        [
            "One question I had for you while we were talking about the intelligence stuff was,",
            "as a scientist yourself, what do you make of the fact",
            "that these things have basically the entire corpus of human knowledge memorized",
            "and they haven't been able to make a single new connection that has led to a discovery?",
        ],
    ),
    (
        'In reality, with the large sums of capital at play, it is unlikely that labs give free rein to '
        'billions of dollars of compute to so called "A I researchers in the datacenter" because of how '
        "constrained compute is at all of the top labs.",
        100,
        [
            "In reality, with the large sums of capital at play,",
            "it is unlikely that labs give free rein to billions of dollars of compute to so called",
            '"A I researchers in the datacenter" because of how constrained compute is at all of the top labs.',
        ],
    ),
]


@pytest.mark.parametrize(("text", "limit", "pieces"), SAMPLE_SENTENCES)
def test_sample_post_sentences(text: str, limit: int, pieces: list[str]) -> None:
    assert split_sentences(text, limit) == pieces


def test_no_clause_boundary_falls_back_to_spaces() -> None:
    text = " ".join(["word"] * 30) + "."
    pieces = split_sentences(text, 40)
    assert all(len(p) <= 40 for p in pieces)
    assert " ".join(pieces) == text


def test_a_word_longer_than_the_limit_stays_whole() -> None:
    long_word = "x" * 60
    assert split_sentences(f"before {long_word} after.", 40) == ["before", long_word, "after."]


def test_empty_and_whitespace() -> None:
    assert split_sentences("", 100) == []
    assert split_sentences("   \n ", 100) == []
    assert split_sentences("  Hello   there.  ", 100) == ["Hello there."]


def test_corpus_paragraphs_respect_the_limit(corpus) -> None:
    for path in corpus[:20]:
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        for paragraph in body.split("\n\n"):
            paragraph = re.sub(r"\s+", " ", paragraph).strip()
            pieces = split_sentences(paragraph, 120)
            assert " ".join(pieces).split() == paragraph.split()
            assert all(len(p) <= 120 or " " not in p for p in pieces)


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDE", min_size=1, max_size=25)
PUNCT = st.sampled_from(["", "", "", ",", ";", ":", ".", "!", "?", " —", ")", "'s"])
TOKENS = st.lists(st.tuples(WORDS, PUNCT).map("".join), min_size=0, max_size=120)


@settings(max_examples=300, deadline=None)
@given(TOKENS, st.integers(min_value=20, max_value=400))
def test_properties(tokens: list[str], max_chars: int) -> None:
    text = " ".join(tokens)
    pieces = split_sentences(text, max_chars)
    # no piece empty; none over the limit unless it is a single word
    assert all(p and p == p.strip() for p in pieces)
    assert all(len(p) <= max_chars or " " not in p for p in pieces)
    # no word lost, added or reordered
    assert " ".join(pieces).split() == text.split()


@given(st.lists(st.sampled_from(["It rained.", "Dr. Smith came.", "It rained.", "Why?", "  ", "\n", "U.S. firms grew",
                                 "3.5 percent.", "\"Yes,\" she said.", "(See above.)", "¿Qué?", "e.g. this"]),
                max_size=12))
def test_sentence_spans_are_pysbds_own(parts):
    """Our segmenter places pysbd's sentences back in the text without a regular expression
    per sentence: the same spans as pysbd's, repeated sentences included."""
    import pysbd

    from audio.prepare.sentences import _Segmenter

    text = " ".join(parts)
    for language in ("en", "es"):
        assert _Segmenter(language=language, clean=False).segment(text) == \
            pysbd.Segmenter(language=language, clean=False).segment(text)
