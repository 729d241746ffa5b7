"""The render pipeline, the one module that wires the stages together:

prepare -> synthesize, master and encode by segment (``audio.master.segments``) -> join -> tag
-> transcripts -> episode record.

Everything is written into a temporary folder next to the destination and renamed into
place at the end (``audio.work``): a failed render leaves no files, and an older render
stays whole until the new one is complete.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, fields, replace
from pathlib import Path

from audio import __version__
from audio.catalog import Catalog
from audio.episode_store import EPISODE_SUFFIX, SENTENCES_SUFFIX, episode_to_json, sentences_to_json
from audio.errors import InputError, OutputError, PostSkipped
from audio.files import sha256_file
from audio.master.encode import EncodeSettings, join_mp3
from audio.master.mastering import MasterSettings, timeline
from audio.master.own_audio import audio_source, place_own_audio
from audio.master.segments import Progress, SegmentRenderer, plan_segments
from audio.master.tags import EpisodeTags, write_tags
from audio.master.transcripts import ms, to_chapters_json, to_srt, to_transcript_json, to_vtt
from audio.models import IMAGE_ROLE, Chapter, Episode, Post, RenderedSentence, Script, Voicing
from audio.show import Show
from audio.synth.cache import SynthCache
from audio.synth.engines.base import Engine
from audio.urls import post_url
from audio.work import Renders, move_into_place, rendering

SPEAKER = "Narrator"
PODCAST = "podcast"  # a post's type when it is an episode of its own (an interview, a voiceover)
FILE_SUFFIXES = {
    "audio": ".mp3",
    "vtt": ".vtt",
    "srt": ".srt",
    "transcript": ".transcript.json",
    "chapters": ".chapters.json",
}


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
    encoded_from: str = ""  # a podcast post's own audio encoded to MP3: the format it came in


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
    engines: dict[str, Engine] | None = None,
) -> RenderedEpisode:
    """Render one post into its episode folder (``show.rendered_dir / slug`` unless
    ``out_dir``). The voice is ``voice``, else the show's for the post's language (a post
    in a language the show has no voice for is skipped). ``engine``, when given, is used
    instead of loading the voice's; ``engines`` keeps loaded engines by profile name (a
    batch worker keeps one per language it meets).
    Renders run side by side, but one post at a time: a render of a post being rendered
    waits for it (``wait``, as batch workers do) or is refused (``audio.work``)."""
    with rendering(show) as renders:
        return _render_episode(post_path, show, voice, out_dir, use_cache, progress, threads, engine, renders, wait,
                               engines)


def _render_episode(post_path: str | Path, show: Show, voice: str | None, out_dir: str | Path | None, use_cache: bool,
                    progress: Progress | None, threads: int | None, engine: Engine | None, renders: Renders,
                    wait: bool, engines: dict[str, Engine] | None = None) -> RenderedEpisode:
    from audio.prepare import prepare_read, read_post
    from audio.prepare.language import check_voice_language, post_voice
    from audio.synth.engines.registry import create_engine
    from audio.synth.voices import load_voice

    started = time.perf_counter()
    clock = _Clock()
    post_path = Path(post_path)
    post = read_post(post_path, show)
    if post.meta.type == PODCAST and show.publish.podcast_posts != "narrate":
        return _own_audio_episode(post, show, out_dir, renders, wait, started)
    clock.add("prepare", time.perf_counter() - started)
    profile = load_voice(post_voice(post, show, voice), show)
    if voice is None:
        check_voice_language(profile, post, show)

    t = time.perf_counter()
    if engine is None and engines is not None:
        engine = engines.get(profile.name)
    if engine is None:
        engine = create_engine(profile, threads=threads)
        if engines is not None:
            engines[profile.name] = engine
    clock.add("load", time.perf_counter() - t)

    t = time.perf_counter()
    script = prepare_read(post, show, voicing_of(engine, profile))
    sentences = script.sentences()
    if not any(p.sentences for s in script.sections for p in s.paragraphs):
        raise InputError(post_path, "no speakable text: nothing in the post would be read aloud")
    clock.add("prepare", time.perf_counter() - t)

    slug, guid = episode_identity(show, script)
    meta = replace(script.meta, slug=slug)
    dest = Path(out_dir) if out_dir is not None else show.rendered_dir / meta.slug
    work = renders.work_folder(dest, wait)
    # --no-cache: a cache of this render's own, beside its work folder and gone with it.
    cache = SynthCache.for_show(show) if use_cache else SynthCache(work.with_name(work.name + ".cache"))
    try:
        mp3 = work / f"{meta.slug}.mp3"
        render = show.render
        settings = _master_settings(show, engine.sample_rate)
        plans = plan_segments(script, settings, profile.pauses)
        encode = EncodeSettings(sample_rate=render.sample_rate, channels=render.channels, bitrate=render.bitrate,
                                target_lufs=render.target_lufs, true_peak=render.true_peak)
        segments = SegmentRenderer(script, plans, engine, cache, settings, encode, work, clock.add, progress)
        parts, loud = segments.render()

        t = time.perf_counter()
        join_mp3([part.mp3 for part in parts], mp3)
        starts = [0.0]
        for part in parts[:-1]:
            starts.append(starts[-1] + part.measured.span_s)
        last = parts[-1].measured
        duration_s = starts[-1] + last.samples / last.sample_rate
        timed = timeline(script, plans, [part.layout for part in parts], starts, duration_s, settings)
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
        for name, image in script.note_images:  # the images the show notes show, published with the episode
            shutil.copyfile(image, work / name)
            files[f"{IMAGE_ROLE}{name}"] = name
        episode = Episode(
            title=meta.title, slug=meta.slug, guid=guid, date=meta.date, voice=profile.name,
            duration_s=round(timed.duration_s, 3), bytes=mp3.stat().st_size, sha256=sha256_file(mp3),
            loudness_lufs=loud.integrated_lufs, true_peak_dbtp=loud.true_peak_dbtp,
            chapters=tuple(Chapter(ms(c.start_s) / 1000, c.title) for c in timed.chapters),
            files=files, source_hash=script.source_hash, tool_version=__version__, subtitle=meta.subtitle,
            author=meta.author or show.show.author, post_id=meta.post_id, audience=meta.audience,
            canonical_url=meta.canonical_url, notes_html=script.notes_html,
            canonical_explicit=meta.canonical_explicit, explicit=meta.explicit, episode_type=meta.episode_type,
            season=meta.season, episode_number=meta.episode,
        )
        (work / f"{meta.slug}{EPISODE_SUFFIX}").write_text(episode_to_json(episode), encoding="utf-8")
        used = tuple(RenderedSentence(t.index, round(t.start_s, 3), round(t.end_s, 3), t.speech,
                                      segments.speech_keys[t.index], sentences[t.index].speech)
                     for t in timed.sentences)
        (work / f"{meta.slug}{SENTENCES_SUFFIX}").write_text(sentences_to_json(used), encoding="utf-8")
        move_into_place(work, dest, meta.slug)
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
        segments=len(plans),
        segments_reused=segments.reused,
        audio_s=timed.duration_s,
        wall_s=time.perf_counter() - started,
        **{f"{stage}_s": spent.get(stage, 0.0) for stage in ("prepare", "load", "synthesize", "master", "encode", "tag", "write")},
    )
    record = {f.name: getattr(episode, f.name) for f in fields(Episode)}
    return RenderedEpisode(**{**record, "folder": dest}, stats=stats)


def _unusable(post: Post, exc: InputError, setting: str) -> PostSkipped:
    return PostSkipped(post.source, f"podcast post whose own audio cannot be used ({exc.message}): skipped {setting}")


def _own_audio_episode(post: Post, show: Show, out_dir: str | Path | None, renders: Renders, wait: bool,
                       started: float) -> RenderedEpisode:
    """A podcast post published with the audio it names (``audio.master.own_audio``): no
    voice, no transcript, its notes as any episode's. Without usable audio of its own, or
    with ``[publish] podcast_posts = "skip"``, it is skipped (``PostSkipped``, with why)."""
    from audio.prepare import prepare_read

    setting = f'([publish] podcast_posts = "{show.publish.podcast_posts}")'
    if show.publish.podcast_posts == "skip":
        raise PostSkipped(post.source, f"podcast post: skipped {setting}")
    if not post.meta.podcast_url:
        raise PostSkipped(post.source,
                          f'podcast post without its own audio: skipped {setting}; "narrate" reads it aloud')
    try:
        source = audio_source(post.meta.podcast_url, post.source)
    except InputError as exc:
        raise _unusable(post, exc, setting) from exc
    script = prepare_read(post, show)
    slug, guid = episode_identity(show, script)
    meta = replace(script.meta, slug=slug)
    dest = Path(out_dir) if out_dir is not None else show.rendered_dir / slug
    work = renders.work_folder(dest, wait)
    render = show.render
    encode = EncodeSettings(sample_rate=render.sample_rate, channels=render.channels, bitrate=render.bitrate,
                            target_lufs=render.target_lufs, true_peak=render.true_peak)
    try:
        t = time.perf_counter()
        try:
            audio = place_own_audio(source, work, slug, encode)
        except InputError as exc:
            raise _unusable(post, exc, setting) from exc
        encode_s = time.perf_counter() - t
        episode = Episode(
            title=meta.title, slug=slug, guid=guid, date=meta.date, voice="", duration_s=round(audio.duration_s, 3),
            bytes=audio.path.stat().st_size, sha256=sha256_file(audio.path),
            loudness_lufs=audio.loudness.integrated_lufs, true_peak_dbtp=audio.loudness.true_peak_dbtp, chapters=(),
            files={"audio": audio.path.name}, source_hash=post.source_hash, tool_version=__version__,
            subtitle=meta.subtitle, author=meta.author or show.show.author, post_id=meta.post_id,
            audience=meta.audience, canonical_url=meta.canonical_url, notes_html=script.notes_html,
            own_audio=meta.podcast_url,
        )
        (work / f"{slug}{EPISODE_SUFFIX}").write_text(episode_to_json(episode), encoding="utf-8")
        move_into_place(work, dest, slug)
    except OSError as exc:
        raise OutputError(getattr(exc, "filename", None) or dest, f"cannot write the episode ({exc.strerror or exc})") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall = time.perf_counter() - started
    stats = RenderStats(sentences=0, cache_hits=0, cache_misses=0, segments=0, segments_reused=0,
                        audio_s=audio.duration_s, wall_s=wall, prepare_s=wall - encode_s, load_s=0.0, synthesize_s=0.0,
                        master_s=0.0, encode_s=encode_s, tag_s=0.0, write_s=0.0)
    record = {f.name: getattr(episode, f.name) for f in fields(Episode)}
    return RenderedEpisode(**{**record, "folder": dest}, stats=stats, encoded_from=audio.encoded_from)


# --- speech QA ---------------------------------------------------------------------------


def episode_folder(target: str | Path, show: Show) -> Path:
    """The rendered episode folder ``target`` names: an episode folder, a slug of the show's
    ``rendered/``, or a post file (its episode, by the slug the catalogue gave it)."""
    path = Path(target)
    if path.is_dir() and any(path.glob(f"*{EPISODE_SUFFIX}")):
        return path
    if (show.rendered_dir / str(target)).is_dir():
        return show.rendered_dir / str(target)
    if path.is_file():
        from audio.prepare import read_post

        meta = read_post(path, show).meta
        slug = meta.slug
        if show.catalog_path.exists():
            with Catalog(show.catalog_path, write=False) as catalog:
                record = catalog.post(meta.post_id or meta.slug)
            slug = record.slug if record else slug
        folder = show.rendered_dir / slug
        if folder.is_dir():
            return folder
        raise InputError(path, "not rendered yet: run `audio-essay render` first")
    raise InputError(path, "no such post or rendered episode")
