"""A Script as text (exactly what will be spoken) or JSON (the documented schema).

Text: the title block, then each section (heading on its own line, one paragraph per
line), a blank line between sections, then the outro. A rule has no words: no line.
JSON: see README "Script JSON"; ``SCRIPT_SCHEMA_VERSION`` changes when it does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audio.models import RULE, Paragraph, Script
from audio.prepare.lexicon import LexiconReport

SCRIPT_SCHEMA_VERSION = 1


def _line(paragraph: Paragraph) -> str:
    return " ".join(s.text for s in paragraph.sentences)


def script_text(script: Script) -> str:
    blocks = ["\n".join(_line(p) for p in script.intro)]
    for section in script.sections:
        blocks.append("\n".join(_line(p) for p in section.paragraphs if p.kind != RULE))
    blocks.append("\n".join(_line(p) for p in script.outro))
    return "\n\n".join(b for b in blocks if b) + "\n"


def _paragraph_json(paragraph: Paragraph) -> dict[str, Any]:
    return {
        "kind": paragraph.kind,
        "sentences": [{"text": s.text, "speech": s.speech, "written": s.written} for s in paragraph.sentences],
    }


def script_json(script: Script) -> dict[str, Any]:
    meta = script.meta
    return {
        "schema": SCRIPT_SCHEMA_VERSION,
        "meta": {
            "title": meta.title,
            "subtitle": meta.subtitle,
            "author": meta.author,
            "date": meta.date.isoformat() if meta.date else None,
            "slug": meta.slug,
            "post_id": meta.post_id,
            "type": meta.type,
            "audience": meta.audience,
            "canonical_url": meta.canonical_url,
        },
        "intro": [_paragraph_json(p) for p in script.intro],
        "sections": [
            {"title": s.title, "paragraphs": [_paragraph_json(p) for p in s.paragraphs]} for s in script.sections
        ],
        "outro": [_paragraph_json(p) for p in script.outro],
        "omissions": [{"kind": o.kind, "section": o.section, "detail": o.detail} for o in script.omissions],
        "notes_html": script.notes_html,
        "word_count": script.word_count,
        "source_hash": script.source_hash,
    }


def format_script(script: Script, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(script_json(script), indent=2, ensure_ascii=False) + "\n"
    return script_text(script)


def format_lexicon_report(report: LexiconReport) -> str:
    lines = ["lexicon entries (times fired):"]
    lines += [f"  {count:5d}  {match}" for match, count in report.counts] or ["  (no lexicon)"]
    lines.append("uncovered words (occurrences), candidates for the lexicon:")
    lines += [f"  {count:5d}  {word}" for word, count in report.candidates] or ["  (none)"]
    return "\n".join(lines) + "\n"


def post_output(post: str | Path, show_dir: str | Path | None, fmt: str, lexicon_report: bool) -> str:
    """What ``audio-essay script`` prints for a post."""
    from audio.prepare import post_lexicon_report, prepare_read, read_post
    from audio.prepare.language import post_voice
    from audio.show import find_show

    show = find_show(show_dir, post)
    if lexicon_report:
        return format_lexicon_report(post_lexicon_report(post, show))
    read = read_post(post, show)
    post_voice(read, show)  # a post no voice of the show can read is refused, as render refuses it
    return format_script(prepare_read(read, show), fmt)
