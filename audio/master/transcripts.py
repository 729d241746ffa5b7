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
from audio.wording import spoken_weights

# A caption cue: at most two lines of 42 characters, on screen at most 7 seconds.
CUE_LINE_CHARS = 42
CUE_LINES = 2
MAX_CUE_MS = 7000


def ms(seconds: float) -> int:
    return int(round(seconds * 1000))


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str  # its lines, joined by "\n"
    section: int


def wrap(text: str, width: int = CUE_LINE_CHARS) -> list[str]:
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


def _fill(words: list[str], at: list[int], cap: int) -> list[tuple[int, int]]:
    """Greedy runs of words ``(first, last)``: each as many words as fit in the cue's
    lines, its time and ``cap`` characters (one word at least)."""
    runs, first = [], 0
    while first < len(words):
        last = first + 1
        while last < len(words):
            text = " ".join(words[first : last + 1])
            if len(text) > cap or len(wrap(text)) > CUE_LINES or at[last + 1] - at[first] > MAX_CUE_MS:
                break
            last += 1
        runs.append((first, last))
        first = last
    return runs


def _sentence_cues(sentence: TimedSentence) -> list[Cue]:
    """A sentence's words as cues of at most ``CUE_LINES`` lines and ``MAX_CUE_MS``, as
    few as fit and evenly filled. Its time is shared out by the characters of speech each
    written word stands for (from the spoken form, see ``audio.wording``): "2025" takes as
    long as "twenty twenty-five". A single word said for longer than a cue may last ends
    early; one longer than the lines is cut, its pieces sharing its time."""
    words = sentence.text.split()
    if not words:
        return []
    start, end = ms(sentence.start_s), ms(sentence.end_s)
    weights = spoken_weights(sentence.text, sentence.speech)
    total = sum(weights) or 1.0
    at = [start]  # where each word starts, then the sentence's end
    for weight in weights:
        at.append(at[-1] + (end - start) * weight / total)
    at = [round(t) for t in at[:-1]] + [end]
    most = CUE_LINES * (CUE_LINE_CHARS + 1)
    runs = _fill(words, at, most)
    length = len(" ".join(words))
    for cap in range(-(-length // len(runs)), most):  # the same number of cues, more even
        even = _fill(words, at, cap)
        if len(even) == len(runs):
            runs = even
            break
    out: list[Cue] = []
    for first, last in runs:
        lines, begin = wrap(" ".join(words[first:last])), at[first]
        while lines:
            shown, lines = lines[:CUE_LINES], lines[CUE_LINES:]
            share = len("".join(shown)) / len("".join(shown + lines))
            stop = at[last] if not lines else begin + int((at[last] - begin) * share)
            out.append(Cue(begin, min(stop, begin + MAX_CUE_MS), "\n".join(shown), sentence.section))
            begin = stop
    return out


def cues(sentences: Sequence[TimedSentence]) -> list[Cue]:
    """Every sentence's cues, in order."""
    return [cue for sentence in sentences for cue in _sentence_cues(sentence)]


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
    """Podcasting 2.0 JSON transcript: one segment per sentence. The last sentence of a
    paragraph ends with a line break, as the format's own example marks the end of an
    utterance ("father.\\n"): readers that show bodies as text keep the paragraphs."""
    shown = [s for s in sentences if s.text.strip()]
    segments = [
        {"speaker": speaker, "startTime": ms(s.start_s) / 1000, "endTime": ms(s.end_s) / 1000,
         "body": s.text + ("\n" if i + 1 == len(shown) or shown[i + 1].paragraph != s.paragraph else "")}
        for i, s in enumerate(shown)
    ]
    return json.dumps({"version": "1.0.0", "segments": segments}, indent=1, ensure_ascii=False) + "\n"


def to_chapters_json(chapters: Sequence[Chapter]) -> str:
    """JSON Chapters 1.2.0."""
    items = [{"startTime": ms(c.start_s) / 1000, "title": c.title} for c in chapters]
    return json.dumps({"version": "1.2.0", "chapters": items}, indent=1, ensure_ascii=False) + "\n"
