"""``audio-essay import``: bring a back catalogue into a show's catalogue.

Sources are read by the input formats' registry (``audio.readers``): a folder of posts
(recursive, any format the preparer reads), a Substack export (the ``.zip`` or its
unpacked folder: ``posts.csv`` + ``posts/<post_id>.html``), or an RSS/Atom feed with
full content (a file, or a URL where the network is reachable), or a source another
package's reader recognises.

Every imported post gets a stable file the renderer reads: posts outside the show are
copied into ``<show>/posts/``; Substack and feed bodies (HTML) are converted by pandoc
to Markdown with YAML front matter, the format the corpus and the seed post come in.
Posts are staged in a temporary folder inside the show and checked by the preparer
first; only then are files renamed into place and the catalogue updated, in one
transaction. A bad archive (zip-slip, absurd sizes) is refused before anything is
written; a bad post is reported and the rest goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from audio.catalog import Catalog, PostRecord
from audio.errors import AudioEssayError, InputError
from audio.files import sha256_file
from audio.limits import ImportLimits
from audio.models import SourceItem
from audio.readers.base import Source, read_limited
from audio.readers.pandoc import check_nesting, run_pandoc
from audio.readers.registry import source_reader
from audio.show import Show
from audio.urls import SLUG_FILE_CHARS, slugify
from audio.work import IMPORT_STAGING, show_locked


@dataclass(frozen=True)
class ImportProblem:
    path: str
    reason: str


@dataclass
class ImportReport:
    source: str
    kind: str  # the reader that took the source: "folder", "substack", "feed"
    new: list[str] = field(default_factory=list)  # slugs
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.new) + len(self.changed) + len(self.unchanged)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- staging ---------------------------------------------------------------------------------


def _markdown(item: SourceItem) -> str:
    """An HTML body as pandoc Markdown with YAML front matter (JSON strings are YAML);
    pandoc reads it under the caps it reads posts under."""
    check_nesting(item.origin, item.html)
    body = run_pandoc(Path(item.origin), ["-f", "html", "-t", "markdown", "--wrap=none"], item.html)
    front = "".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in item.front.items() if v)
    return f"---\n{front}---\n{body}"


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()


Staged = tuple[PostRecord, Path | None, Path | None, tuple[Path, Path] | None]


def _stage(item: SourceItem, show: Show, staging: Path, limits: ImportLimits, known: dict[str, PostRecord]) -> Staged:
    """Check one post with the preparer; returns its record, the staged file (or None when
    it is used in place), where that file goes in the show, and the same for the audio file
    a podcast post names beside it (``_own_audio``). Content the catalogue already holds,
    with its file in place, is not read again (``known``: hash -> post)."""
    from audio.prepare import prepare_post

    show_root = show.folder.resolve()
    staged = target = None
    # Staged under its own name (the preparer may take the slug from it), one folder per post.
    folder = Path(tempfile.mkdtemp(dir=staging))
    if item.source_path is not None:
        path = item.source_path.resolve()
        data = read_limited(path, limits)
        if path.is_relative_to(show_root):
            read_from = path
        else:
            staged = read_from = folder / path.name
            staged.write_bytes(data)
    else:
        data = _markdown(item).encode("utf-8")
        staged = read_from = folder / f"{item.slug_hint or _sha256(data)[:16]}.md"
        staged.write_bytes(data)
    same = known.get(_sha256(data))
    if same is not None and (show.folder / same.source).is_file():
        return same, None, None, None
    script = prepare_post(read_from, show)
    meta = script.meta
    slug = meta.slug or item.slug_hint
    if not slugify(slug, SLUG_FILE_CHARS):
        raise InputError(item.origin, f"no usable slug (got {slug!r})")
    if meta.draft:  # its file stays where it is until it is published
        return _draft_record(item, item.key or meta.post_id or slug, slug, meta.title, meta.audience,
                             _iso(meta.date)), None, None, None
    audio = None
    if staged is not None:
        target = show.posts_dir / f"{slugify(slug, SLUG_FILE_CHARS)}{staged.suffix}"
        if item.source_path is not None and meta.podcast_url:
            audio = _own_audio(item.source_path, meta.podcast_url, folder, show)
    final = (target or read_from).resolve()
    record = PostRecord(
        key=item.key or meta.post_id or slug,
        slug=slug,
        source=str(final.relative_to(show_root)) if final.is_relative_to(show_root) else str(final),
        content_hash=_sha256(data),
        meta={"title": meta.title, "subtitle": meta.subtitle, "author": meta.author, "type": meta.type,
              "canonical_url": meta.canonical_url, "date": _iso(meta.date), "origin": item.origin,
              **({"podcast_url": item.front["podcast_url"]} if item.front.get("podcast_url") else {})},
        audience=meta.audience or item.front.get("audience", "everyone"),
        post_date=_iso(meta.date),
        word_count=script.word_count,
    )
    return record, staged, target, audio


def _own_audio(post: Path, reference: str, folder: Path, show: Show) -> tuple[Path, Path] | None:
    """The audio file a podcast post copied into the show names beside it (``podcast_url``, a
    relative path), staged in ``folder`` to go to the same place beside the post's copy in
    ``posts/``; None for a URL, or for no such file (rendering the post says why). A file of
    that name in ``posts/`` with other content is not replaced: the post is refused."""
    from audio.master.own_audio import audio_source

    try:
        source = audio_source(reference, post)
    except InputError:
        return None
    if isinstance(source, str):
        return None
    relative = source.relative_to(post.resolve().parent)
    target = show.posts_dir / relative
    if target.is_file() and sha256_file(target) != sha256_file(source):
        raise InputError(post, f"podcast_url {reference!r}: {target} exists with other audio; rename one of them")
    staged = folder / "audio" / relative
    staged.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, staged)
    return staged, target


def _draft_record(item: SourceItem, key: str, slug: str, title: str, audience: str, post_date: str | None) -> PostRecord:
    """A draft is catalogued (status skipped) without a file, so publishing it later shows as new."""
    return PostRecord(key=key, slug=slug, source="", content_hash="", meta={"title": title, "origin": item.origin},
                      audience=audience, post_date=post_date, status="skipped")


def import_source(source: str | Path, show: Show, limits: ImportLimits = ImportLimits(),
                  follow_redirects: bool = False) -> ImportReport:
    """Import every post of ``source`` into ``show``'s catalogue (see the module docstring).
    A feed URL that redirects to another host is refused unless ``follow_redirects``."""
    given = Source(str(source), limits, follow_redirects)
    if not given.is_url and not given.path.exists():
        raise InputError(given.path, "no such file or folder")
    with show_locked(show), Catalog(show.catalog_path) as catalog:
        report, items = _items(given)
        staging = Path(tempfile.mkdtemp(prefix=IMPORT_STAGING, dir=show.folder))
        try:
            _apply(report, items, show, catalog, staging, limits)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return report


def _items(source: Source) -> tuple[ImportReport, list[SourceItem]]:
    """Read the source into items with the reader that recognises it (refusing a bad
    archive or feed as a whole); the entries it cannot import are the report's first problems."""
    reader = source_reader(source)
    report = ImportReport(source.text, reader.name)
    items = []
    for item in reader.items(source):
        if item.problem:
            report.problems.append(ImportProblem(item.origin, item.problem))
        else:
            items.append(item)
    return report, items


def _apply(report: ImportReport, items: list[SourceItem], show: Show, catalog: Catalog, staging: Path,
           limits: ImportLimits) -> None:
    """Stage and check every item, then move files into place and update the catalogue."""
    records: list[PostRecord] = []
    moves: list[tuple[Path, Path]] = []
    drafts: set[str] = set()
    taken: dict[str, str] = {}  # slug -> origin, within this import
    known = {p.content_hash: p for p in catalog.posts() if p.source}

    def stage(item: SourceItem) -> Staged | ImportProblem:
        try:
            if item.draft:
                return _draft_record(item, item.key, item.slug_hint, item.front.get("title", ""),
                                     item.front.get("audience", "everyone"), item.front.get("date") or None), \
                    None, None, None
            return _stage(item, show, staging, limits, known)
        except AudioEssayError as exc:  # named by where it came from, not by its staged copy
            return ImportProblem(item.origin, exc.reason)
        except (OSError, UnicodeDecodeError, RuntimeError) as exc:
            return ImportProblem(item.origin, f"cannot read ({exc})")

    # Threads: the preparer's time is mostly pandoc, a subprocess, so every core helps.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        staged_items = list(pool.map(stage, items))
    for item, outcome in zip(items, staged_items):
        if isinstance(outcome, ImportProblem):
            report.problems.append(outcome)
            continue
        record, staged, target, audio = outcome
        if record.status == "skipped":
            drafts.add(record.key)
        # The slug the post was catalogued with, else a free one: another post that wants
        # the same slug (here or in this import) gets ``<slug>-2``, as ``render`` gives it.
        known_post = catalog.post(record.key)
        slug = known_post.slug if known_post else catalog.free_slug(record.key, record.slug, taken)
        if slug != record.slug:
            record = replace(record, slug=slug)
            if target is not None:
                target = target.with_name(f"{slug}{target.suffix}")
        _, conflict = catalog.match_post(record.key, record.slug)
        if conflict:
            report.problems.append(ImportProblem(item.origin, conflict))
            continue
        taken[record.slug] = item.origin
        records.append(record)
        if staged is not None and target is not None:
            moves.append((staged, target))
        if audio is not None:
            moves.append(audio)
    if moves:
        show.posts_dir.mkdir(parents=True, exist_ok=True)
    for staged, target in moves:
        if not (target.is_file() and sha256_file(target) == sha256_file(staged)):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
    outcomes = catalog.import_posts(records, drafts)
    for record in records:
        outcome = outcomes[record.key]
        if outcome.startswith("conflict"):
            report.problems.append(ImportProblem(record.meta.get("origin", record.slug), outcome))
        else:
            {"new": report.new, "changed": report.changed, "unchanged": report.unchanged,
             "draft": report.drafts}[outcome].append(record.slug)
