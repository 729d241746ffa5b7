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
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from audio import __version__
from audio.catalog import Catalog
from audio.episode_store import (
    EPISODE_SUFFIX,
    QA_SUFFIX,
    SENTENCES_SUFFIX,
    episode_to_json,
    list_episodes,
    load_episode,
    load_sentences,
    qa_to_json,
    sentences_to_json,
)
from audio.errors import AudioEssayError, EngineError, InputError, OutputError, PostSkipped
from audio.files import sha256_file, write_text
from audio.master.encode import EncodeSettings, join_mp3
from audio.master.mastering import MasterSettings, timeline
from audio.master.own_audio import audio_source, place_own_audio
from audio.master.segments import Progress, SegmentRenderer, plan_segments
from audio.master.tags import EpisodeTags, write_tags
from audio.master.transcripts import ms, to_chapters_json, to_srt, to_transcript_json, to_vtt
from audio.models import (
    IMAGE_ROLE,
    Chapter,
    Episode,
    EpisodeQA,
    Post,
    RenderedSentence,
    Script,
    SentenceCheck,
    TimedSentence,
    Voicing,
)
from audio.show import Show
from audio.synth.cache import SynthCache
from audio.qa.recognizers.base import Recognizer
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
    qa_s: float = 0.0  # speech QA and its retakes, with the second pass they called for ([qa] enabled)

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
    qa: EpisodeQA | None = None  # the render's speech QA, when [qa] is enabled


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
    engines = {} if engines is None else engines
    with rendering(show) as renders:
        episode = _render_episode(post_path, show, voice, out_dir, use_cache, progress, threads, engine, renders,
                                  wait, engines)
        if show.qa.enabled and use_cache and not episode.own_audio:
            episode = _render_checked(episode, post_path, show, voice, out_dir, threads, engine, renders, wait, engines)
        return episode


def _render_checked(episode: RenderedEpisode, post_path, show: Show, voice, out_dir, threads, engine, renders,
                    wait: bool, engines: dict[str, Engine]) -> RenderedEpisode:
    """``[qa] enabled``: listen to the episode just rendered; where retakes found better takes,
    render it again (only their segments are encoded again, nothing else synthesized) and
    keep the QA record, at the sentences' new times, beside it."""
    started = time.perf_counter()
    if engine is not None:
        engines.setdefault(episode.voice, engine)
    first = episode
    qa = qa_episode(episode.folder, show, engines=engines)
    if any(c.improved for c in qa.sentences):
        episode = _render_episode(post_path, show, voice, out_dir, True, None, threads, engine, renders, wait, engines)
        at = {s.index: s for s in load_sentences(episode.folder / f"{episode.slug}{SENTENCES_SUFFIX}")}
        qa = _save_qa(episode.folder, replace(qa, sentences=tuple(
            replace(c, start_s=at[c.index].start_s, end_s=at[c.index].end_s) if c.index in at else c
            for c in qa.sentences)))
    spent = time.perf_counter() - started
    stats = replace(first.stats, wall_s=first.stats.wall_s + spent, qa_s=spent)
    return replace(episode, qa=qa, stats=stats)


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


CALIBRATION_SENTENCES = 60  # a voice's norms are measured once, on this many of its first episode's sentences


@dataclass
class QARun:
    """What ``qa_show`` did: the episodes checked, the better takes it chose (a render uses
    them) and where the HTML report is."""

    checked: list[EpisodeQA]
    retaken: int
    report: Path
    problems: list[AudioEssayError]  # episodes that could not be checked, each with why


def qa_episode(folder: Path, show: Show, recognizer: Recognizer | None = None, retakes: bool = True,
               engines: dict[str, Engine] | None = None) -> EpisodeQA:
    """Speech QA of the episode rendered in ``folder``: every sentence's own synthesized audio
    (from the cache) judged against its text (``audio.qa.check``); each suspect retaken up to
    ``[qa] max_retakes`` times, the best take recorded in the cache for the next render
    (``audio.synth.takes``). Writes ``<slug>.qa.json`` beside the episode; the episode
    itself is never changed here."""
    from audio.qa.check import calibrate, can_judge, check_sentences
    from audio.qa.norms import load_norms, save_norms
    from audio.synth.engines.registry import create_engine
    from audio.synth.takes import retake
    from audio.synth.voices import load_voice

    slug = folder.name
    episode = load_episode(folder / f"{slug}{EPISODE_SUFFIX}")
    record = folder / f"{slug}{SENTENCES_SUFFIX}"
    if episode.own_audio:
        raise InputError(folder, "a podcast post's own audio: no synthesized speech to check")
    if not record.is_file():
        raise InputError(folder, "rendered before speech QA kept its sentence record: render it again")
    used = {s.index: s for s in load_sentences(record)}
    profile = load_voice(episode.voice, show)
    recognizer = recognizer or _recognizer(show)
    base = EpisodeQA(slug=slug, voice=profile.name, recognizer=recognizer.name, state="skipped", sentences=(),
                     checked_at=datetime.now(timezone.utc), tool_version=__version__)
    if not can_judge(recognizer, profile):
        qa = replace(base, skipped_reason=f"the {recognizer.name} recognizer does not hear {profile.language}")
        return _save_qa(folder, qa)
    engine = (engines or {}).get(profile.name) or create_engine(profile)
    if engines is not None:
        engines[profile.name] = engine
    cache = SynthCache.for_show(show)

    def audio_of(index: int) -> np.ndarray:
        samples = cache.get(used[index].key, engine.sample_rate)
        if samples is None:
            raise InputError(record, f"sentence {index}'s audio is no longer in the synthesis cache: render it again")
        return samples

    timed = [(s.index, TimedSentence(s.start_s, s.end_s, s.text, 0, speech=_alignable(s), index=s.index))
             for s in used.values()]
    norms = load_norms(show.qa_dir, profile.name, engine.identity(), recognizer.name)
    if norms is None:
        norms = calibrate(timed[:CALIBRATION_SENTENCES], audio_of, engine.sample_rate, recognizer, profile.name,
                          engine.identity())
        if norms is None:
            return _save_qa(folder, replace(base, skipped_reason="no sentence with words to measure the voice on"))
        save_norms(show.qa_dir, norms)
    checks = list(check_sentences(timed, audio_of, engine.sample_rate, recognizer, norms, show.qa.spread))
    if retakes and show.qa.max_retakes:
        for n, check in enumerate(checks):
            if check.suspect:
                checks[n] = _retake(check, used[check.index], engine, cache, recognizer, norms, show, retake)
    qa = replace(base, state="suspects" if any(c.suspect for c in checks) else "clean", sentences=tuple(checks),
                 wer=_episode_wer(checks))
    return _save_qa(folder, qa)


def _recognizer(show: Show) -> Recognizer:
    from audio.qa.recognizers.registry import create_recognizer

    model = show.folder / show.qa.model if show.qa.model else None
    return create_recognizer(show.qa.recognizer, model, show.config_path)


def _alignable(sentence: RenderedSentence) -> str:
    """The text to fit to a sentence's audio: what the engine was given (the lexicon's
    respellings are how the words should sound), unless it holds phonemes, which are no words."""
    return sentence.text if "[[" in sentence.speech or not sentence.speech else sentence.speech


def _score(check: SentenceCheck) -> float:
    """A take's score for the retake loop, lower is better: 0 for a clean take."""
    return 2.0 * len(check.reasons) + check.wer if check.reasons else 0.0


def _retake(check: SentenceCheck, sentence: RenderedSentence, engine: Engine, cache: SynthCache,
            recognizer: Recognizer, norms, show: Show, retake) -> SentenceCheck:
    """Retake one suspect sentence; its check becomes the kept take's."""
    from audio.qa.check import check_sentences

    judged: dict[int, SentenceCheck] = {}

    def judge(samples: np.ndarray) -> float:
        timed = TimedSentence(check.start_s, check.end_s, sentence.text, 0, speech=_alignable(sentence),
                              index=sentence.index)
        (take,) = check_sentences([(sentence.index, timed)], lambda _: samples, engine.sample_rate, recognizer,
                                  norms, show.qa.spread)
        judged[len(judged)] = take
        return _score(take)

    own = SynthCache.key(engine.identity(), sentence.speech)
    first = _score(check) if sentence.key == own else None  # the render used the first take: judged already
    if first is not None:
        judged[0] = check
    result = retake(engine, cache, sentence.speech, judge, show.qa.max_retakes, clean=0.0, first_score=first)
    kept = judged.get(result.take, check) if result.tried else check
    return replace(kept, index=check.index, start_s=check.start_s, end_s=check.end_s, take=result.take,
                   takes_tried=result.tried, improved=result.improved if result.tried else None)


def _episode_wer(checks: list[SentenceCheck]) -> float:
    """The episode's word error rate: each sentence's, weighted by its words (a sentence
    QA did not need to transcribe counts as heard right)."""
    words = [max(1, len(c.written.split())) for c in checks]
    return round(sum(c.wer * n for c, n in zip(checks, words)) / sum(words), 4) if checks else 0.0


def _save_qa(folder: Path, qa: EpisodeQA) -> EpisodeQA:
    write_text(folder / f"{qa.slug}{QA_SUFFIX}", qa_to_json(qa), "the QA record")
    return qa


def qa_show(show: Show, targets: list[str] | None = None, everything: bool = False, retakes: bool = True) -> QARun:
    """``audio-essay qa``: check the episodes ``targets`` name (posts, slugs or episode
    folders), else the show's rendered episodes not checked since their render (every one
    with ``everything``), then write the HTML report over all the show's QA records."""
    from audio.qa.report import show_qas, write_html_report

    if targets:
        folders = [episode_folder(t, show) for t in targets]
    else:
        folders = [e.folder for e in list_episodes(show.rendered_dir, unreadable=[]) if e.folder and not e.own_audio
                   and (everything or not (e.folder / f"{e.slug}{QA_SUFFIX}").exists())]
    recognizer = _recognizer(show) if folders else None
    engines: dict[str, Engine] = {}
    checked, problems = [], []
    for folder in folders:
        try:
            with rendering(show) as renders:  # no render replaces the episode while it is checked
                renders.claim(folder)
                checked.append(qa_episode(folder, show, recognizer, retakes, engines))
        except (InputError, EngineError) as exc:  # this episode cannot be checked; the others can
            problems.append(exc)
    report = write_html_report(show, show_qas(show, unreadable=problems).values())
    return QARun(checked, sum(1 for qa in checked for c in qa.sentences if c.improved), report, problems)
