"""Transcripts and chapters from a timeline: cue splitting, formats, shared millisecond rounding."""

from __future__ import annotations

import json
import re
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from audio.master.transcripts import (
    CUE_LINE_CHARS,
    CUE_LINES,
    MAX_CUE_MS,
    cues,
    ms,
    to_chapters_json,
    to_srt,
    to_transcript_json,
    to_vtt,
    wrap,
)
from audio.models import Chapter, TimedSentence

LONG = (
    "Scaling laws describe how the loss of a language model falls as compute, data and parameters grow, "
    "and they have guided most of the big training runs of the last five years."
)
TIMELINE = (
    TimedSentence(0.5, 2.0, "Hello & welcome <everyone>.", -1, 0),
    TimedSentence(3.6004, 13.2, LONG, 0, 1),
    TimedSentence(14.0, 15.25, "Short one.", 1, 1),
)


def within_limits(cue) -> bool:
    lines = cue.text.split("\n")
    return len(lines) <= CUE_LINES and all(0 < len(line) <= CUE_LINE_CHARS for line in lines) \
        and 0 <= cue.end_ms - cue.start_ms <= MAX_CUE_MS


def test_wrap_keeps_lines_short_and_words_whole():
    lines = wrap(LONG)
    assert all(len(line) <= CUE_LINE_CHARS for line in lines)
    assert " ".join(lines) == LONG
    assert wrap("x" * 100) == ["x" * 42, "x" * 42, "x" * 16]  # a URL-like word is cut


def test_long_sentence_is_split_into_even_cues_of_two_lines():
    parts = [c for c in cues(TIMELINE) if c.section == 0]
    assert [p.text for p in parts] == [
        "Scaling laws describe how the loss of a\nlanguage model falls",
        "as compute, data and parameters grow, and\nthey have guided",
        "most of the big training runs of the last\nfive years.",
    ]
    assert parts[0].start_ms == ms(3.6004) == 3600 and parts[-1].end_ms == 13200
    for a, b in pairwise(parts):
        assert a.end_ms == b.start_ms  # contiguous
    assert all(within_limits(p) for p in parts)


def test_time_is_shared_by_the_spoken_form():
    """A number takes as long as its spoken words: "2025" gets the time of "twenty twenty-five"."""
    written = "In 2025 nothing happened at all, and then everything happened at once in a rush of news."
    spoken = written.replace("2025", "twenty twenty-five")
    sentence = TimedSentence(0.0, 6.0, written, 0, 0, spoken)
    first, second = cues([sentence])
    assert first.text == "In 2025 nothing happened at all, and then"
    by_spoken = 6000 * len("In twenty twenty-five nothing happened at all, and then ") / (len(spoken) + 1)
    assert abs(first.end_ms - by_spoken) <= 2  # by the written characters it would be 0.7 s earlier
    assert second == type(second)(first.end_ms, 6000, "everything happened at once in a rush of\nnews.", 0)


def test_a_long_slow_sentence_gets_cues_of_at_most_seven_seconds():
    slow = TimedSentence(10.0, 40.0, "One two three four five six seven eight nine ten.", 2, 0)
    parts = cues([slow])
    assert len(parts) >= 30 / 7 and all(within_limits(p) for p in parts)
    assert " ".join(p.text for p in parts) == slow.text
    assert parts[0].start_ms == 10000 and parts[-1].end_ms == 40000


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Zs", "Cc", "Zl", "Zp", "Cs")),
                             min_size=1, max_size=60), min_size=0, max_size=40),
            st.integers(0, 60_000),
            st.text(st.sampled_from("abc 12"), max_size=80),
        ),
        max_size=6,
    )
)
def test_cue_splitter_properties(specs):
    """Every cue is within the limits, the words are all kept in order, times never go back."""
    timeline, at = [], 0
    for number, (words, duration, speech) in enumerate(specs):
        text = " ".join(words)
        timeline.append(TimedSentence(at / 1000, (at + duration) / 1000, text, 0, number, speech))
        at += duration + 100
    made = cues(timeline)
    assert all(within_limits(c) for c in made)
    assert "".join("".join(c.text.split()) for c in made) == "".join("".join(s.text.split()) for s in timeline)
    for a, b in pairwise(made):
        assert a.start_ms <= a.end_ms <= b.start_ms
    for sentence in timeline:
        mine = [c for c in made if ms(sentence.start_s) <= c.start_ms <= ms(sentence.end_s)]
        assert all(c.end_ms <= ms(sentence.end_s) for c in mine)


def test_vtt_format():
    vtt = to_vtt(TIMELINE, "Narrator")
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\n<v Narrator>Hello &amp; welcome &lt;everyone&gt;.\n")
    stamps = re.findall(r"^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})$", vtt, re.M)
    assert len(stamps) == len(cues(TIMELINE)) == 5
    assert stamps[1][0] == "00:00:03.600" and stamps[-1] == ("00:00:14.000", "00:00:15.250")
    assert "\n<v Narrator>Scaling laws describe how the loss of a\nlanguage model falls\n\n" in vtt


def test_srt_format():
    srt = to_srt(TIMELINE)
    assert srt.startswith("1\n00:00:00,500 --> 00:00:02,000\nHello & welcome <everyone>.\n\n2\n00:00:03,600 --> ")
    assert srt.count(" --> ") == 5
    for block in srt.strip().split("\n\n"):
        lines = block.split("\n")
        assert 3 <= len(lines) <= 2 + CUE_LINES and all(len(line) <= CUE_LINE_CHARS for line in lines[2:])


def test_podcasting_json_transcript_marks_paragraph_ends():
    doc = json.loads(to_transcript_json(TIMELINE, "Narrator"))
    assert doc["version"] == "1.0.0"
    assert doc["segments"][1] == {"speaker": "Narrator", "startTime": 3.6, "endTime": 13.2, "body": LONG}
    # A paragraph's last sentence ends with a line break, as in the format's own example.
    assert [s["body"] for s in doc["segments"]] == [TIMELINE[0].text + "\n", LONG, "Short one.\n"]


def test_json_chapters():
    doc = json.loads(to_chapters_json((Chapter(0.0, "Introduction"), Chapter(3.6004, "Scaling"))))
    assert doc == {"version": "1.2.0", "chapters": [{"startTime": 0.0, "title": "Introduction"},
                                                   {"startTime": 3.6, "title": "Scaling"}]}
