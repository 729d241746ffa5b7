"""The render pipeline, the one module that wires the stages together:

prepare -> synthesize (cached) -> master -> encode -> tag -> transcripts -> episode record.

The programme is rendered segment by segment (runs of paragraphs, see
``master.plan_segments``). Within a segment, synthesis, mastering and encoding run as
one stream: each sentence is mastered as soon as the engine (or the cache) hands it
over and goes straight into the segment's MP3 encoder, and a finished segment is
measured and stored while the next one is synthesized, so the render costs little more
than the synthesis itself. A segment whose key (its sentences, pauses, loudness and
encoder settings) is in the cache is not synthesized, mastered or encoded again: a
re-render after an edit encodes only the segments that changed, then joins them all.

Everything is written into a temporary folder next to the destination and renamed into
place at the end: a failed render leaves no files, and an older render stays whole
until the new one is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from audio import __version__
from audio.catalog import Catalog
from audio.encode import EncodeSettings, Mp3Measurement, SegmentEncoder, join_mp3, loudness_of, measure_mp3
from audio.engines.base import Engine, file_digest
from audio.episode_store import EPISODE_SUFFIX, episode_to_json
from audio.errors import InputError, OutputError
from audio.files import sha256_file
from audio.master import (
    LoudnessTracker,
    MasterSettings,
    Pause,
    SegmentLayout,
    SegmentPlan,
    Speech,
    master_segment,
    plan_segments,
    timeline,
)
from audio.models import AudioChunk, Chapter, Episode, Script, Voicing
from audio.show import Show
from audio.synth_cache import SynthCache, synthesize_cached
from audio.tags import EpisodeTags, write_tags
from audio.transcripts import ms, to_chapters_json, to_srt, to_transcript_json, to_vtt
from audio.urls import post_url
from audio.work import RENDER_WORK, Renders, rendering

SPEAKER = "Narrator"
SEGMENT_FORMAT = 1  # bump when mastering or encoding changes what a segment key stands for
LOUDNESS_TOLERANCE_LU = 0.5  # a measured miss beyond this gets a corrective pass
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
    """How a render went. Synthesis overlaps the mastering and encoding of the segment
    before; each figure is the wall time the render spent waiting on that stage."""

    sentences: int
    cache_hits: int
    cache_misses: int
    segments: int
    segments_reused: int  # found encoded in the cache
    audio_s: float
    wall_s: float
    prepare_s: float
    load_s: float  # loading the voice model (0 when an engine was passed in)
    synthesize_s: float
    master_s: float  # mastering the first minute on trial (the rest runs beside synthesis)
    encode_s: float  # waiting for segments to be mastered, encoded and measured; joining them
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


def episode_identity(show: Show, script: Script) -> tuple[str, str]:
    """The post's slug and GUID, stored in the catalogue on first render, so they survive
    retitles; another post that wants the same slug gets ``<slug>-2``. First GUID candidate:
    a UUIDv5 of the post's canonical URL (``<base_url>/p/<slug>`` without one). Claimed
    before any synthesis: a read-only or damaged catalogue stops the render at once."""
    meta = script.meta
    key = meta.post_id or meta.slug
    with Catalog(show.catalog_path) as catalog:
        slug = catalog.slug_for(key, meta.slug)
        url = meta.canonical_url or post_url(show.show.base_url, slug)
        return slug, catalog.guid_for(key, str(uuid.uuid5(uuid.NAMESPACE_URL, url)))


def voicing_of(engine: Engine, profile) -> Voicing:
    """What this voice asks of the preparer: its lexicon, its engine's sentence limit and
    whether that engine reads phonemes."""
    return Voicing(engine.accepts_phonemes, engine.max_sentence_chars, profile.lexicon)


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


@dataclass(frozen=True)
class _Level:
    """A corrective pass's offsets, in dB: to every segment's loudness target and to the PCM ceiling."""

    target: float = 0.0
    ceiling: float = 0.0


@dataclass
class _Programme:
    """What every pass over a script's segments shares."""

    script: Script
    plans: tuple[SegmentPlan, ...]
    speech_keys: list[str]  # the synthesis-cache key of every sentence
    engine: Engine
    cache: SynthCache
    settings: MasterSettings
    encode: EncodeSettings
    work: Path
    clock: _Clock
    progress: Progress | None
    reused: int = 0  # segments of the last pass found in the cache


@dataclass(frozen=True)
class _Part:
    layout: SegmentLayout
    mp3: Path
    measured: Mp3Measurement


def _segment_key(programme: _Programme, plan: SegmentPlan, target: object, settings: MasterSettings) -> str:
    """What a segment's encoding depends on. ``target``: its loudness target, or, for a
    segment levelled on trial, how (the segments before it and the pass's offset)."""
    steps = []
    for step in plan.steps:
        if isinstance(step, Speech):
            steps.append(["speech", programme.speech_keys[step.index]])
        elif isinstance(step, Pause):
            steps.append(["pause", step.seconds, step.crossfade])
        else:
            steps.append(["audio", file_digest(step.path)])
    spec = {"format": SEGMENT_FORMAT, "tool": __version__, "steps": steps, "target": target,
            "rate": settings.sample_rate, "ceiling": settings.ceiling_dbtp, "crossfade": settings.crossfade_s,
            "encode": asdict(programme.encode)}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()


def _stored_part(programme: _Programme, key: str, record: dict) -> _Part:
    layout, measured = record["layout"], record["mp3"]
    return _Part(
        SegmentLayout(**{**layout, "spans": tuple(map(tuple, layout["spans"])), "subs": tuple(layout["subs"])}),
        programme.cache.segment_path(key),
        Mp3Measurement(**{**measured, "subs": tuple(measured["subs"])}),
    )


def _make_segment(programme: _Programme, plan: SegmentPlan, chunks: list[AudioChunk], settings: MasterSettings,
                  target: float, key: str, name: str) -> _Part:
    """Master and encode a segment, measure the MP3 and keep it in the cache. Runs beside
    the synthesis of the next segment, which needs only its measurement, later."""
    encoder, layout = _encode_segment(programme, plan, chunks, settings, target, name)
    encoder.finish()
    measured = measure_mp3(encoder.path, programme.encode.true_peak)
    stored = programme.cache.put_segment(key, encoder.path, {"layout": asdict(layout), "mp3": asdict(measured)})
    return _Part(layout, stored, measured)


def _render_segments(programme: _Programme, level: _Level) -> list[_Part]:
    """One pass over the segments: each is taken from the cache or synthesized, mastered
    and encoded. A segment's loudness target depends on the measured MP3s of those before
    it; its sentences that the synthesis cache lacks are synthesized first, so that the
    previous segment's encoder finishes meanwhile."""
    clock, cache, sentences = programme.clock, programme.cache, programme.script.sentences()
    settings = replace(programme.settings, ceiling_dbtp=programme.settings.ceiling_dbtp + level.ceiling)
    tracker = LoudnessTracker(settings.target_lufs, programme.encode.sample_rate)
    parts: list[Future[_Part]] = []
    keys: list[str] = []
    done = programme.reused = 0

    def sentence_done(*_) -> None:
        nonlocal done
        done += 1
        if programme.progress:
            programme.progress(done, len(sentences))

    def audio_of(plan: SegmentPlan, on_chunk=None) -> Iterator[AudioChunk]:
        texts = [sentences[i].speech for i in plan.sentences]
        return clock.timed("synthesize", synthesize_cached(programme.engine, texts, cache, on_chunk))

    def measured(index: int) -> _Part:
        """The ``index``-th segment's part, waiting for its encoder; the tracker learns from it in order."""
        start = time.perf_counter()
        part = parts[index].result()
        clock.add("encode", time.perf_counter() - start)
        return part

    with ThreadPoolExecutor(max_workers=1) as finisher:
        for index, plan in enumerate(programme.plans):
            at_hand = None
            if any(not cache.path(programme.speech_keys[i]).is_file() for i in plan.sentences):
                at_hand = list(audio_of(plan, sentence_done))  # new speech: no stored encoding can hold it
            if index:
                previous = measured(index - 1)
                tracker.add(previous.layout, previous.measured.subs)
            target = tracker.target() + level.target if tracker.settled else None
            key = _segment_key(programme, plan, ["trial", level.target, keys] if target is None else target, settings)
            keys.append(key)
            record = cache.get_segment(key) if at_hand is None else None
            if record is not None:
                part: Future[_Part] = Future()
                part.set_result(_stored_part(programme, key, record))
                cache.used_keys.extend(programme.speech_keys[i] for i in plan.sentences)
                programme.reused += 1
                for _ in plan.sentences:
                    sentence_done()
                parts.append(part)
                continue
            if at_hand is None:
                at_hand = list(audio_of(plan, sentence_done))
            start = time.perf_counter()
            if target is None:
                trial, trial_layout = _encode_segment(programme, plan, at_hand, settings,
                                                      settings.target_lufs + level.target, f"trial-{index}")
                trial.finish()
                trial_measured = measure_mp3(trial.path, programme.encode.true_peak)
                trial.path.unlink()
                target = tracker.target(trial_layout, trial_measured.subs) + level.target
                clock.add("master", time.perf_counter() - start)
            parts.append(finisher.submit(_make_segment, programme, plan, at_hand, settings, target, key, str(index)))
        return [measured(index) for index in range(len(parts))]


def _encode_segment(programme: _Programme, plan: SegmentPlan, chunks: list[AudioChunk], settings: MasterSettings,
                    target: float, name: str) -> tuple[SegmentEncoder, SegmentLayout]:
    """Master a segment at ``target`` into a new encoder (left running)."""
    encoder = SegmentEncoder(programme.work / f"segment-{name}.mp3", settings.sample_rate, programme.encode)
    try:
        return encoder, master_segment(plan, iter(chunks), encoder, settings, target)
    except BaseException:
        encoder.close()
        raise


def _work_folder(dest: Path, renders: Renders, wait: bool) -> Path:
    """A new folder in <destination's parent>/.render-tmp: two levels down, so no reader
    globbing ``rendered/*/*.episode.json`` ever sees a half-made episode. The post's lock is
    taken first."""
    try:
        renders.claim(dest, wait)
        work = Path(tempfile.mkdtemp(dir=dest.parent / RENDER_WORK, prefix=f"{dest.name}."))
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


def render_episode(
    post_path: str | Path,
    show: Show,
    voice: str | None = None,
    out_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    threads: int | None = None,
    engine: Engine | None = None,
    wait: bool = False,
) -> RenderedEpisode:
    """Render one post into its episode folder (``show.rendered_dir / slug`` unless
    ``out_dir``). ``engine``, when given, is used instead of loading the voice's (a batch
    worker keeps one loaded); ``voice`` still names the profile for pauses and records.
    Renders run side by side, but one post at a time: a render of a post being rendered
    waits for it (``wait``, as batch workers do) or is refused (``audio.work``)."""
    with rendering(show) as renders:
        return _render_episode(post_path, show, voice, out_dir, use_cache, progress, threads, engine, renders, wait)


def _render_episode(post_path: str | Path, show: Show, voice: str | None, out_dir: str | Path | None, use_cache: bool,
                    progress: Progress | None, threads: int | None, engine: Engine | None, renders: Renders,
                    wait: bool) -> RenderedEpisode:
    from audio.engines.registry import create_engine
    from audio.prepare import prepare_post
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

    slug, guid = episode_identity(show, script)
    meta = replace(script.meta, slug=slug)
    dest = Path(out_dir) if out_dir is not None else show.rendered_dir / meta.slug
    work = _work_folder(dest, renders, wait)
    # --no-cache: a cache of this render's own, beside its work folder and gone with it.
    cache = SynthCache.for_show(show) if use_cache else SynthCache(work.with_name(work.name + ".cache"))
    try:
        mp3 = work / f"{meta.slug}.mp3"
        render = show.render
        settings = _master_settings(show, engine.sample_rate)
        identity = engine.identity()
        programme = _Programme(
            script=script,
            plans=plan_segments(script, settings, profile.pauses),
            speech_keys=[SynthCache.key(identity, s.speech) for s in sentences],
            engine=engine,
            cache=cache,
            settings=settings,
            encode=EncodeSettings(sample_rate=render.sample_rate, channels=render.channels, bitrate=render.bitrate,
                                  target_lufs=render.target_lufs, true_peak=render.true_peak),
            work=work,
            clock=clock,
            progress=progress,
        )
        level = _Level()
        while True:
            parts = _render_segments(programme, level)
            loud = loudness_of([part.measured for part in parts])
            miss = render.target_lufs - loud.integrated_lufs
            over = loud.true_peak_dbtp - render.true_peak
            if (abs(miss) <= LOUDNESS_TOLERANCE_LU and over <= 0) or level != _Level():
                break  # on target, or already corrected once
            level = _Level(target=miss, ceiling=min(0.0, -over - 0.3))

        t = time.perf_counter()
        join_mp3([part.mp3 for part in parts], mp3)
        starts = [0.0]
        for part in parts[:-1]:
            starts.append(starts[-1] + part.measured.span_s)
        last = parts[-1].measured
        duration_s = starts[-1] + last.samples / last.sample_rate
        timed = timeline(script, programme.plans, [part.layout for part in parts], starts, duration_s, settings)
        clock.add("encode", time.perf_counter() - t)

        t = time.perf_counter()
        artwork = show.folder / show.publish.artwork if show.publish.artwork else None
        write_tags(mp3, EpisodeTags(
            title=meta.title, artist=meta.author or show.show.author, album=show.show.title, date=meta.date,
            url=meta.canonical_url or post_url(show.show.base_url, meta.slug),
            chapters=timed.chapters, duration_s=timed.duration_s, cover=artwork,
        ))
        clock.add("tag", time.perf_counter() - t)

        t = time.perf_counter()
        files = {role: f"{meta.slug}{suffix}" for role, suffix in FILE_SUFFIXES.items()}
        (work / files["vtt"]).write_text(to_vtt(timed.sentences, SPEAKER), encoding="utf-8")
        (work / files["srt"]).write_text(to_srt(timed.sentences), encoding="utf-8")
        (work / files["transcript"]).write_text(to_transcript_json(timed.sentences, SPEAKER), encoding="utf-8")
        (work / files["chapters"]).write_text(to_chapters_json(timed.chapters), encoding="utf-8")
        episode = Episode(
            title=meta.title, slug=meta.slug, guid=guid, date=meta.date, voice=profile.name,
            duration_s=round(timed.duration_s, 3), bytes=mp3.stat().st_size, sha256=sha256_file(mp3),
            loudness_lufs=loud.integrated_lufs, true_peak_dbtp=loud.true_peak_dbtp,
            chapters=tuple(Chapter(ms(c.start_s) / 1000, c.title) for c in timed.chapters),
            files=files, source_hash=script.source_hash, tool_version=__version__, subtitle=meta.subtitle,
            author=meta.author or show.show.author, post_id=meta.post_id, audience=meta.audience,
            canonical_url=meta.canonical_url, notes_html=script.notes_html,
        )
        (work / f"{meta.slug}{EPISODE_SUFFIX}").write_text(episode_to_json(episode), encoding="utf-8")
        _move_into_place(work, dest, meta.slug)
        if use_cache:
            cache.save_manifest(meta.slug)
        clock.add("write", time.perf_counter() - t)
    except OSError as exc:
        raise OutputError(getattr(exc, "filename", None) or dest, f"cannot write the episode ({exc.strerror or exc})") from exc
    finally:
        if not use_cache:
            shutil.rmtree(cache.folder, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    spent = clock.spent
    stats = RenderStats(
        sentences=len(sentences),
        cache_hits=len(sentences) - cache.misses,  # every pass reads the cache; a sentence is synthesized once
        cache_misses=cache.misses,
        segments=len(programme.plans),
        segments_reused=programme.reused,
        audio_s=timed.duration_s,
        wall_s=time.perf_counter() - started,
        **{f"{stage}_s": spent.get(stage, 0.0) for stage in ("prepare", "load", "synthesize", "master", "encode", "tag", "write")},
    )
    record = {f.name: getattr(episode, f.name) for f in fields(Episode)}
    return RenderedEpisode(**{**record, "folder": dest}, stats=stats)
