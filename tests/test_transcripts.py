"""Transcripts and chapters from a timeline: cue splitting, formats, shared millisecond rounding."""

from __future__ import annotations

import json
import re

from audio.master.transcripts import MAX_CUE_CHARS, cues, ms, to_chapters_json, to_srt, to_transcript_json, to_vtt, wrap
from audio.models import Chapter, TimedSentence

LONG = (
    "Scaling laws describe how the loss of a language model falls as compute, data and parameters grow, "
    "and they have guided most of the big training runs of the last five years."
)
TIMELINE = (
    TimedSentence(0.5, 2.0, "Hello & welcome <everyone>.", -1),
    TimedSentence(3.6004, 13.2, LONG, 0),
    TimedSentence(14.0, 15.25, "Short one.", 1),
)


def test_wrap_keeps_lines_short_and_words_whole():
    lines = wrap(LONG)
    assert all(len(line) <= MAX_CUE_CHARS for line in lines)
    assert " ".join(lines) == LONG
    assert wrap("x" * 150) == ["x" * 65, "x" * 65, "x" * 20]  # a URL-like word is cut


def test_long_sentence_spans_cues_with_time_divided_by_characters():
    parts = [c for c in cues(TIMELINE) if c.section == 0]
    assert len(parts) == 3
    assert parts[0].start_ms == ms(3.6004) == 3600 and parts[-1].end_ms == 13200
    for a, b in zip(parts, parts[1:]):
        assert a.end_ms == b.start_ms  # contiguous
    total = sum(len(p.text) for p in parts)
    for p in parts:  # each cue's share of the sentence's time is its share of the characters
        assert abs((p.end_ms - p.start_ms) - 9600 * len(p.text) / total) <= 1


def test_vtt_format():
    vtt = to_vtt(TIMELINE, "Narrator")
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\n<v Narrator>Hello &amp; welcome &lt;everyone&gt;.\n")
    stamps = re.findall(r"^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})$", vtt, re.M)
    assert len(stamps) == len(cues(TIMELINE)) == 5
    assert stamps[1][0] == "00:00:03.600" and stamps[-1] == ("00:00:14.000", "00:00:15.250")
    for block in vtt.split("\n\n")[1:]:
        if block:
            text = block.splitlines()[-1].removeprefix("<v Narrator>")
            assert len(text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")) <= MAX_CUE_CHARS


def test_srt_format():
    srt = to_srt(TIMELINE)
    assert srt.startswith("1\n00:00:00,500 --> 00:00:02,000\nHello & welcome <everyone>.\n\n2\n00:00:03,600 --> ")
    assert srt.count(" --> ") == 5


def test_podcasting_json_transcript():
    doc = json.loads(to_transcript_json(TIMELINE, "Narrator"))
    assert doc["version"] == "1.0.0"
    assert doc["segments"][1] == {"speaker": "Narrator", "startTime": 3.6, "endTime": 13.2, "body": LONG}
    assert [s["body"] for s in doc["segments"]] == [t.text for t in TIMELINE]


def test_json_chapters():
    doc = json.loads(to_chapters_json((Chapter(0.0, "Introduction"), Chapter(3.6004, "Scaling"))))
    assert doc == {"version": "1.2.0", "chapters": [{"startTime": 0.0, "title": "Introduction"},
                                                   {"startTime": 3.6, "title": "Scaling"}]}
