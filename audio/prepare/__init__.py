"""The text preparer: any post becomes a speakable ``Script``.

``read_post(path, show) -> Post`` parses a post (pandoc Markdown with front matter,
Substack HTML, plain CommonMark) into metadata and pandoc's AST;
``prepare_post(path, show) -> Script`` walks that AST under the element policy
(``policy.py``, ``speakable.py``), normalises and splits the prose, applies the show's
lexicon and writes the show notes (``notes.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from audio.models import Post, Script, Voicing
from audio.prepare.language import candidate_languages, load_detector_in_background
from audio.prepare.lexicon import LexiconReport, lexicon_report
from audio.prepare.notes import note_images, render_notes
from audio.prepare.reader import read_post
from audio.prepare.script import build_script, raw_texts, show_lexicon
from audio.prepare.speakable import walk_post
from audio.show import Show

__all__ = ["prepare_post", "prepare_posts", "prepare_read", "read_post", "post_lexicon_report"]


def _read_with_notes(path: str | Path, show: Show) -> tuple[Post, str]:
    """The two pandoc runs of a post (read it; write its show notes)."""
    post = read_post(path, show)
    return post, render_notes(post.source, post.ast, show.script)


def prepare_read(post: Post, show: Show, voicing: Voicing = Voicing(), notes_html: str | None = None) -> Script:
    """The Script of an already-read post, fitted to the voice that will read it: its
    lexicon, its sentence limit, and ``[[ phonemes ]]`` where its engine takes them."""
    walk = walk_post(post.ast, show.script)
    if notes_html is None:
        notes_html = render_notes(post.source, post.ast, show.script)
    script = build_script(post, show, walk, notes_html, voicing)
    return replace(script, note_images=note_images(post.source, post.ast)) if "<img" in notes_html else script


def prepare_post(path: str | Path, show: Show, voicing: Voicing = Voicing()) -> Script:
    """Read and prepare one post file."""
    return prepare_read(read_post(path, show), show, voicing)


def prepare_posts(paths: Iterable[str | Path], show: Show, voicing: Voicing = Voicing(), readers: int = 2) -> Iterator[Script]:
    """Prepare many posts in order. Pandoc runs (in ``readers`` threads) ahead of the
    Python work (normalisation, sentence splitting: in this thread, as pysbd's segmenter
    is not thread-safe), so the subprocesses and the interpreter overlap. The first bad
    post raises its ``AudioEssayError``."""
    load_detector_in_background(candidate_languages(show))
    with ThreadPoolExecutor(max_workers=max(1, readers)) as pool:
        for post, notes_html in pool.map(lambda path: _read_with_notes(path, show), paths):
            yield prepare_read(post, show, voicing, notes_html)


def post_lexicon_report(path: str | Path, show: Show) -> LexiconReport:
    """How often each lexicon entry fires on a post, and name-like words none covers."""
    post = read_post(path, show)
    return lexicon_report(raw_texts(post, show), show_lexicon(show))
