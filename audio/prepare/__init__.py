"""The text preparer: any post becomes a speakable ``Script``.

``read_post(path, show) -> Post`` parses a post (pandoc Markdown with front matter,
Substack HTML, plain CommonMark) into metadata and pandoc's AST;
``prepare_post(path, show) -> Script`` walks that AST under the element policy
(``policy.py``, ``speakable.py``), normalises and splits the prose, applies the show's
lexicon and writes the show notes (``notes.py``).
"""

from __future__ import annotations

from pathlib import Path

from audio.models import Post, Script
from audio.prepare.lexicon import LexiconReport, lexicon_report
from audio.prepare.notes import render_notes
from audio.prepare.reader import read_post
from audio.prepare.script import build_script, raw_texts, show_lexicon
from audio.prepare.speakable import walk_post
from audio.show import Show

__all__ = ["prepare_post", "prepare_read", "read_post", "post_lexicon_report"]


def prepare_read(post: Post, show: Show, phonemes: bool = False) -> Script:
    """The Script of an already-read post. ``phonemes``: the lexicon may emit
    ``[[ phonemes ]]`` (for engines that accept them) instead of respellings."""
    walk = walk_post(post.ast, show.script)
    notes = render_notes(post.source, post.ast, show.script)
    return build_script(post, show, walk, notes, phonemes)


def prepare_post(path: str | Path, show: Show, phonemes: bool = False) -> Script:
    """Read and prepare one post file."""
    return prepare_read(read_post(path, show), show, phonemes)


def post_lexicon_report(path: str | Path, show: Show) -> LexiconReport:
    """How often each lexicon entry fires on a post, and name-like words none covers."""
    post = read_post(path, show)
    return lexicon_report(raw_texts(post, show), show_lexicon(show))
