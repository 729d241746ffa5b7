"""Timed transcripts and chapters from the real timeline: WebVTT, SRT, Podcasting 2.0
JSON transcript, JSON Chapters.

Every time is rounded to the millisecond by ``ms()``, the one rounding used by the
transcripts, ``chapters.json`` and the MP3's ID3 chapters, so they agree exactly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from audio.models import Chapter, TimedSentence

MAX_CUE_CHARS = 65


def ms(seconds: float) -> int:
    return int(round(seconds * 1000))


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str
    section: int


def wrap(text: str, width: int = MAX_CUE_CHARS) -> list[str]:
    """Words into lines of at most ``width`` characters; a longer word is cut."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def cues(sentences: Sequence[TimedSentence], width: int = MAX_CUE_CHARS) -> list[Cue]:
    """One cue per line of each sentence; a sentence's time is shared out by characters."""
    out: list[Cue] = []
    for sentence in sentences:
        lines = wrap(sentence.text, width)
        if not lines:
            continue
        start, end = ms(sentence.start_s), ms(sentence.end_s)
        total = sum(len(line) for line in lines)
        done = 0
        for line in lines:
            cue_start = start + (end - start) * done // total
            done += len(line)
            out.append(Cue(cue_start, start + (end - start) * done // total, line, sentence.section))
    return out


def _clock(milliseconds: int, separator: str) -> str:
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _escape_vtt(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(sentences: Sequence[TimedSentence], speaker: str = "") -> str:
    parts = ["WEBVTT", ""]
    voice = f"<v {_escape_vtt(speaker)}>" if speaker else ""
    for i, cue in enumerate(cues(sentences), 1):
        parts += [str(i), f"{_clock(cue.start_ms, '.')} --> {_clock(cue.end_ms, '.')}", voice + _escape_vtt(cue.text), ""]
    return "\n".join(parts)


def to_srt(sentences: Sequence[TimedSentence]) -> str:
    parts = []
    for i, cue in enumerate(cues(sentences), 1):
        parts += [str(i), f"{_clock(cue.start_ms, ',')} --> {_clock(cue.end_ms, ',')}", cue.text, ""]
    return "\n".join(parts)


def to_transcript_json(sentences: Sequence[TimedSentence], speaker: str = "") -> str:
    """Podcasting 2.0 JSON transcript: one segment per sentence."""
    segments = [
        {"speaker": speaker, "startTime": ms(s.start_s) / 1000, "endTime": ms(s.end_s) / 1000, "body": s.text}
        for s in sentences
    ]
    return json.dumps({"version": "1.0.0", "segments": segments}, indent=1, ensure_ascii=False) + "\n"


def to_chapters_json(chapters: Sequence[Chapter]) -> str:
    """JSON Chapters 1.2.0."""
    items = [{"startTime": ms(c.start_s) / 1000, "title": c.title} for c in chapters]
    return json.dumps({"version": "1.2.0", "chapters": items}, indent=1, ensure_ascii=False) + "\n"
