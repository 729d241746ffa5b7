"""The render pipeline, the one module that wires the stages together:

prepare -> synthesize (cached) -> master -> encode -> tag -> transcripts -> episode record.

Synthesis, mastering and encoding run as one stream: each sentence is mastered as soon
as the engine (or the cache) hands it over and goes straight into the MP3 encoder, so
the render costs little more than the synthesis itself. Everything is written into a
temporary folder next to the destination and renamed into place at the end: a failed
render leaves no files, and an older render stays whole until the new one is complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from audio import __version__
from audio.catalog import Catalog
from audio.encode import EncodeSettings, Mp3Stream
from audio.engines.base import Engine
from audio.episode_store import EPISODE_SUFFIX, episode_to_json
from audio.errors import InputError, OutputError
from audio.master import MasterSettings, Pauses, master
from audio.models import AudioChunk, Chapter, Episode, Script, Voicing
from audio.show import Show
from audio.tags import EpisodeTags, write_tags
from audio.transcripts import ms, to_chapters_json, to_srt, to_transcript_json, to_vtt

SPEAKER = "Narrator"
# Renders work in <destination's parent>/.render-tmp/<slug>.XXXX: two levels down, so no
# reader globbing ``rendered/*/*.episode.json`` ever sees a half-made episode.
WORK_DIR = ".render-tmp"
FILE_SUFFIXES = {
    "audio": ".mp3",
    "vtt": ".vtt",
    "srt": ".srt",
    "transcript": ".transcript.json",
    "chapters": ".chapters.json",
}

Progress = Callable[[int, int], None]  # (sentences done, sentences in all)


@dataclass(frozen=True)
class RenderStats:
    """How a render went. Synthesis, mastering and encoding overlap (one stream); each
    figure is the wall time the render spent waiting on that stage."""

    sentences: int
    cache_hits: int
    cache_misses: int
    audio_s: float
    wall_s: float
    prepare_s: float
    load_s: float  # loading the voice model (0 when an engine was passed in)
    synthesize_s: float
    master_s: float
    encode_s: float  # feeding the encoder, then waiting for it and the loudness meter
    tag_s: float
    write_s: float  # transcripts, the record, the rename into place

    @property
    def synthesized(self) -> int:
        return self.cache_misses

    @property
    def real_time_factor(self) -> float:
        return self.wall_s / self.audio_s if self.audio_s else 0.0


@dataclass(frozen=True)
class RenderedEpisode(Episode):
    """The episode just rendered, with how the render went (``stats`` is not stored)."""

    stats: RenderStats | None = None


def episode_guid(show: Show, script: Script) -> str:
    """The post's GUID: stored in the catalogue on first render, so it survives retitles.
    First candidate: a UUIDv5 of the post's canonical URL (``<base_url>/p/<slug>`` without one)."""
    meta = script.meta
    url = meta.canonical_url or f"{show.show.base_url.rstrip('/')}/p/{meta.slug}"
    with Catalog(show.catalog_path) as catalog:
        return catalog.guid_for(meta.post_id or meta.slug, str(uuid.uuid5(uuid.NAMESPACE_URL, url)))


def voicing_of(engine: Engine, profile) -> Voicing:
    """What this voice asks of the preparer: its lexicon, its engine's sentence limit and
    whether that engine reads phonemes."""
    return Voicing(engine.accepts_phonemes, engine.max_sentence_chars, profile.lexicon)


def _pauses(profile_pauses) -> Pauses:
    return Pauses(
        sentence=profile_pauses.sentence,
        paragraph=profile_pauses.paragraph,
        section=profile_pauses.section,
        quote=profile_pauses.quote,
        list_item=profile_pauses.list_item,
    )


def _master_settings(show: Show, input_rate: int) -> MasterSettings:
    """Master at the voice's own rate (ffmpeg resamples while encoding, cheaply), unless
    show audio files need the output rate to keep their top octave."""
    render = show.render
    audio = {role: render.audio_path(show.folder, role) for role in ("intro", "outro", "transition")}
    rate = render.sample_rate if any(audio.values()) else input_rate
    return MasterSettings(
        sample_rate=rate,
        target_lufs=render.target_lufs,
        ceiling_dbtp=render.true_peak - 1.0,  # headroom for the MP3 codec's overshoot
        intro_audio=audio["intro"],
        outro_audio=audio["outro"],
        transition_audio=audio["transition"],
    )


class _Clock:
    """Wall time per stage."""

    def __init__(self):
        self.spent: dict[str, float] = {}

    def add(self, stage: str, seconds: float) -> None:
        self.spent[stage] = self.spent.get(stage, 0.0) + seconds

    def timed(self, stage: str, iterator: Iterator[AudioChunk]) -> Iterator[AudioChunk]:
        while True:
            start = time.perf_counter()
            item = next(iterator, None)
            self.add(stage, time.perf_counter() - start)
            if item is None:
                return
            yield item


class _TimedSink:
    def __init__(self, sink: Mp3Stream, clock: _Clock):
        self.sink, self.clock = sink, clock

    def write(self, samples) -> None:
        start = time.perf_counter()
        self.sink.write(samples)
        self.clock.add("encode", time.perf_counter() - start)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _work_folder(dest: Path) -> Path:
    try:
        (dest.parent / WORK_DIR).mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=dest.parent / WORK_DIR, prefix=f"{dest.name}."))
        umask = os.umask(0)
        os.umask(umask)
        work.chmod(0o777 & ~umask)  # mkdtemp makes it private; the episode folder is not
        return work
    except OSError as exc:
        in_the_way = next((p for p in (dest, *dest.parents) if p.exists() and not p.is_dir()), None)
        reason = f"{in_the_way} is a file, not a folder" if in_the_way else exc.strerror or str(exc)
        raise OutputError(dest, f"cannot write the episode here ({reason})") from exc


def _move_into_place(work: Path, dest: Path, slug: str) -> None:
    """Swap the finished folder in for the old one. A destination holding anything but
    this episode's files (a user's ``--out`` folder) gets the files one by one instead,
    the record last, each by an atomic rename."""
    if dest.exists() and not all(p.name.startswith(f"{slug}.") for p in dest.iterdir()):
        for path in sorted(work.iterdir(), key=lambda p: p.name.endswith(EPISODE_SUFFIX)):
            os.replace(path, dest / path.name)
        work.rmdir()
        return
    old = None
    if dest.exists():
        old = Path(tempfile.mkdtemp(dir=work.parent, prefix=f"{dest.name}.old-"))
        os.replace(dest, old / dest.name)
    os.replace(work, dest)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def _drop_work_dir(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    try:
        work.parent.rmdir()  # the shared work folder, when no other render is using it
    except OSError:
        pass


def render_episode(
    post_path: str | Path,
    show: Show,
    voice: str | None = None,
    out_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    threads: int | None = None,
    engine: Engine | None = None,
) -> RenderedEpisode:
    """Render one post into its episode folder (``show.rendered_dir / slug`` unless
    ``out_dir``). ``engine``, when given, is used instead of loading the voice's (a batch
    worker keeps one loaded); ``voice`` still names the profile for pauses and records."""
    from audio.engines.registry import create_engine
    from audio.prepare import prepare_post
    from audio.synth_cache import SynthCache, synthesize_cached
    from audio.voices import load_voice

    started = time.perf_counter()
    clock = _Clock()
    post_path = Path(post_path)
    profile = load_voice(voice or show.render.voice, show)

    t = time.perf_counter()
    if engine is None:
        engine = create_engine(profile, threads=threads)
    clock.add("load", time.perf_counter() - t)

    t = time.perf_counter()
    script = prepare_post(post_path, show, voicing_of(engine, profile))
    sentences = script.sentences()
    if not any(p.sentences for s in script.sections for p in s.paragraphs):
        raise InputError(post_path, "no speakable text: nothing in the post would be read aloud")
    clock.add("prepare", time.perf_counter() - t)

    meta = script.meta
    dest = Path(out_dir) if out_dir is not None else show.rendered_dir / meta.slug
    work = _work_folder(dest)
    stream = None
    try:
        mp3 = work / f"{meta.slug}.mp3"
        cache = SynthCache.for_show(show) if use_cache else None
        chunks = synthesize_cached(engine, [s.speech for s in sentences], cache)
        settings = _master_settings(show, engine.sample_rate)
        render = show.render
        stream = Mp3Stream(mp3, settings.sample_rate, EncodeSettings(
            sample_rate=render.sample_rate, channels=render.channels, bitrate=render.bitrate,
            target_lufs=render.target_lufs, true_peak=render.true_peak,
        ))
        total = len(sentences)
        t = time.perf_counter()
        timeline = master(
            script,
            clock.timed("synthesize", chunks),
            _TimedSink(stream, clock),
            settings,
            _pauses(profile.pauses),
            on_sentence=(lambda n: progress(n, total)) if progress else None,
        )
        clock.add("master", time.perf_counter() - t - clock.spent.get("synthesize", 0) - clock.spent.get("encode", 0))

        t = time.perf_counter()
        loud = stream.finish()
        clock.add("encode", time.perf_counter() - t)

        t = time.perf_counter()
        artwork = show.folder / show.publish.artwork if show.publish.artwork else None
        write_tags(mp3, EpisodeTags(
            title=meta.title, artist=meta.author or show.show.author, album=show.show.title, date=meta.date,
            url=meta.canonical_url or f"{show.show.base_url.rstrip('/')}/p/{meta.slug}",
            chapters=timeline.chapters, duration_s=timeline.duration_s, cover=artwork,
        ))
        clock.add("tag", time.perf_counter() - t)

        t = time.perf_counter()
        files = {role: f"{meta.slug}{suffix}" for role, suffix in FILE_SUFFIXES.items()}
        (work / files["vtt"]).write_text(to_vtt(timeline.sentences, SPEAKER), encoding="utf-8")
        (work / files["srt"]).write_text(to_srt(timeline.sentences), encoding="utf-8")
        (work / files["transcript"]).write_text(to_transcript_json(timeline.sentences, SPEAKER), encoding="utf-8")
        (work / files["chapters"]).write_text(to_chapters_json(timeline.chapters), encoding="utf-8")
        episode = Episode(
            title=meta.title, slug=meta.slug, guid=episode_guid(show, script), date=meta.date, voice=profile.name,
            duration_s=round(timeline.duration_s, 3), bytes=mp3.stat().st_size, sha256=_sha256(mp3),
            loudness_lufs=loud.integrated_lufs, true_peak_dbtp=loud.true_peak_dbtp,
            chapters=tuple(Chapter(ms(c.start_s) / 1000, c.title) for c in timeline.chapters),
            files=files, source_hash=script.source_hash, tool_version=__version__, subtitle=meta.subtitle,
            author=meta.author or show.show.author, post_id=meta.post_id, audience=meta.audience,
            canonical_url=meta.canonical_url, notes_html=script.notes_html,
        )
        (work / f"{meta.slug}{EPISODE_SUFFIX}").write_text(episode_to_json(episode), encoding="utf-8")
        _move_into_place(work, dest, meta.slug)
        if cache is not None:
            cache.save_manifest(meta.slug)
        clock.add("write", time.perf_counter() - t)
    except OSError as exc:
        raise OutputError(getattr(exc, "filename", None) or dest, f"cannot write the episode ({exc.strerror or exc})") from exc
    finally:
        if stream is not None:
            stream.close()
        _drop_work_dir(work)

    spent = clock.spent
    stats = RenderStats(
        sentences=len(sentences),
        cache_hits=cache.hits if cache else 0,
        cache_misses=cache.misses if cache else len(sentences),
        audio_s=timeline.duration_s,
        wall_s=time.perf_counter() - started,
        **{f"{stage}_s": spent.get(stage, 0.0) for stage in ("prepare", "load", "synthesize", "master", "encode", "tag", "write")},
    )
    record = {f.name: getattr(episode, f.name) for f in fields(Episode)}
    return RenderedEpisode(**{**record, "folder": dest}, stats=stats)
