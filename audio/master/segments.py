"""Segments: the programme planned, rendered and cached as runs of paragraphs.

A script is cut into segments (``plan_segments``), runs of paragraphs cut in the silence
before a paragraph. Each is mastered (``master.master_segment``), encoded to MP3 and
measured on its own, and kept in the render cache under a key (``segment_key``) that
covers everything its encoding depends on: its sentences, pauses and show audio, the
loudness it was levelled to and the encoder settings. A re-render after an edit encodes
only the segments that changed, then joins them all.

Within a segment, synthesis, mastering and encoding run as one stream: each sentence is
mastered as soon as the engine (or the cache) hands it over and goes straight into the
segment's MP3 encoder, and a finished segment is measured and stored in a background
thread while the next one is synthesized, so the render costs little more than the
synthesis itself.

Levelling (``Leveller``): a segment's loudness target depends on the measured segments
before it; until the programme is a minute long, a segment is first mastered on trial.
When the joined programme still misses the loudness or the true-peak target, the
segments are rendered once more with a correction (``SegmentRenderer.render``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

from audio import __version__
from audio.master.encode import (
    EncodeSettings,
    Loudness,
    Mp3Measurement,
    SegmentEncoder,
    as_heard,
    loudness_of,
    measure_mp3,
)
from audio.master.mastering import (
    TAIL_S,
    LoudnessTracker,
    MasterSettings,
    Pause,
    SegmentLayout,
    SegmentPlan,
    ShowAudio,
    Speech,
    Step,
    master_segment,
)
from audio.models import AudioChunk, Paragraph, Pauses, Script
from audio.synth.cache import Lookahead, SynthCache, synthesize_cached
from audio.synth.engines.base import Engine, file_digest, parallelism

SEGMENT_FORMAT = 1  # bump when mastering or encoding changes what a segment key stands for
LOUDNESS_TOLERANCE_LU = 0.5  # a measured miss beyond this gets a corrective pass

Progress = Callable[[int, int], None]  # (sentences done, sentences in all)
Spend = Callable[[str, float], None]  # (stage, wall seconds spent waiting on it)


# --- planning ----------------------------------------------------------------------

# Segments: always at a section, else at a paragraph whose text hashes even once the
# segment holds SEGMENT_MIN_CHARS (about a minute of speech), and by SEGMENT_MAX_CHARS
# at the latest. Cutting by content, not by position, means an edit moves no later
# boundary: every segment after the edited one is the same as before and is reused.
SEGMENT_MIN_CHARS = 1000
SEGMENT_MAX_CHARS = 4000


def _content_cut(text: str) -> bool:
    return hashlib.sha256(text.encode("utf-8")).digest()[0] % 2 == 0


class _Planner:
    """Lays out steps (pauses, show audio, sentences) in order, cutting segments."""

    def __init__(self, script: Script, pauses: Pauses):
        self.sentences = script.sentences()
        self.pauses = pauses
        self.segments: list[list[Step]] = [[]]
        self.pending = 0.0  # the pause owed before the next sound: the longest one asked for
        self.chars = 0  # speech characters in the current segment
        self.spoken = 0  # sentences laid out so far

    def boundary(self, section_start: bool, text: str = "") -> None:
        if self.segments[-1] and (
            section_start
            or self.chars >= SEGMENT_MAX_CHARS
            or (self.chars >= SEGMENT_MIN_CHARS and _content_cut(text))
        ):
            self.segments.append([])
            self.chars = 0

    def show_audio(self, path: Path | None, before: float, after: float) -> bool:
        if path is None:
            return False
        if any(self.segments):
            self.segments[-1].append(Pause(max(self.pending, before)))
        self.segments[-1].extend([ShowAudio(path), Pause(after, crossfade=True)])
        self.pending = 0.0
        return True

    def speak(self, paragraphs: Iterable[Paragraph], section: int) -> None:
        for paragraph in paragraphs:
            if paragraph.sentences:
                self.boundary(False, paragraph.sentences[0].text)
            for i in range(len(paragraph.sentences)):
                if self.pending and any(self.segments):
                    self.segments[-1].append(Pause(self.pending))
                self.pending = 0.0
                self.segments[-1].append(Speech(self.spoken, section))
                self.chars += len(self.sentences[self.spoken].speech)
                self.spoken += 1
                if i < len(paragraph.sentences) - 1:
                    self.pending = self.pauses.sentence
            self.pending = max(self.pending, self.pauses.after(paragraph.kind))


def plan_segments(script: Script, settings: MasterSettings, pauses: Pauses = Pauses()) -> tuple[SegmentPlan, ...]:
    """Lay out the whole script as steps (pauses, show audio, sentences) cut into segments."""
    plan = _Planner(script, pauses)
    plan.show_audio(settings.intro_audio, 0.0, pauses.paragraph)
    plan.speak(script.intro, -1)
    for index, section in enumerate(script.sections):
        plan.pending = max(plan.pending, pauses.section)
        plan.boundary(True)
        if index > 0:
            plan.show_audio(settings.transition_audio, pauses.paragraph, pauses.paragraph)
        plan.speak(section.paragraphs, index)
    plan.pending = max(plan.pending, pauses.section)
    if script.outro:
        plan.boundary(True)
    plan.speak(script.outro, len(script.sections))
    if not plan.show_audio(settings.outro_audio, pauses.paragraph, TAIL_S):
        plan.segments[-1].append(Pause(TAIL_S))
    return tuple(SegmentPlan(tuple(steps)) for steps in plan.segments if steps)


# --- levelling ---------------------------------------------------------------------

Trial = Callable[[float], tuple[SegmentLayout, Sequence[float]]]


class Leveller:
    """The levelling loop over a programme's segments, in order (see ``LoudnessTracker``).

    For each segment: ``target(trial)`` is the loudness to master it at; ``add`` then
    tells what it became (its layout and the sub-block energies it is heard with). Until
    the programme is ``settled``, ``trial(level)`` is called to master the segment on
    trial at ``level`` and return its layout and sub-block energies. ``offset`` (dB) is a
    corrective pass's shift of every target.
    """

    def __init__(self, target_lufs: float, rate: int, offset: float = 0.0):
        self.tracker = LoudnessTracker(target_lufs, rate)
        self.offset = offset

    @property
    def settled(self) -> bool:
        return self.tracker.settled

    def target(self, trial: Trial | None = None) -> float:
        if self.tracker.settled or trial is None:
            return self.tracker.target() + self.offset
        layout, subs = trial(self.tracker.nominal + self.offset)
        return self.tracker.target(layout, tuple(subs)) + self.offset

    def add(self, layout: SegmentLayout, subs: Sequence[float]) -> None:
        self.tracker.add(layout, tuple(subs))


# --- the cache's segment entries ---------------------------------------------------


def segment_key(plan: SegmentPlan, speech_keys: Sequence[str], target: object, settings: MasterSettings,
                encode: EncodeSettings) -> str:
    """What a segment's encoding depends on. ``speech_keys``: the synthesis-cache key of
    every sentence of the script. ``target``: the segment's loudness target, or, for a
    segment levelled on trial, how (the pass's offset and the keys of the segments before it)."""
    steps = []
    for step in plan.steps:
        if isinstance(step, Speech):
            steps.append(["speech", speech_keys[step.index]])
        elif isinstance(step, Pause):
            steps.append(["pause", step.seconds, step.crossfade])
        else:
            steps.append(["audio", file_digest(step.path)])
    spec = {"format": SEGMENT_FORMAT, "tool": __version__, "steps": steps, "target": target,
            "rate": settings.sample_rate, "ceiling": settings.ceiling_dbtp, "crossfade": settings.crossfade_s,
            "encode": asdict(encode)}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Part:
    """A rendered segment: its layout, its MP3 (in the cache) and that MP3's measurement."""

    layout: SegmentLayout
    mp3: Path
    measured: Mp3Measurement


def _record(part: Part) -> dict:
    """The JSON record stored beside a segment's MP3."""
    return {"layout": asdict(part.layout), "mp3": asdict(part.measured)}


def _stored_part(record: dict, mp3: Path) -> Part:
    layout, measured = record["layout"], record["mp3"]
    return Part(
        SegmentLayout(**{**layout, "spans": tuple(map(tuple, layout["spans"])), "subs": tuple(layout["subs"])}),
        mp3,
        Mp3Measurement(**{**measured, "subs": tuple(measured["subs"])}),
    )


# --- rendering ---------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """A corrective pass's offsets, in dB: to every segment's loudness target and to the PCM ceiling."""

    target: float = 0.0
    ceiling: float = 0.0


def _timed(stage: str, spend: Spend, iterator: Iterator[AudioChunk]) -> Iterator[AudioChunk]:
    """``iterator``'s items, the wall time spent waiting on each charged to ``stage``."""
    while True:
        start = time.perf_counter()
        item = next(iterator, None)
        spend(stage, time.perf_counter() - start)
        if item is None:
            return
        yield item


class _Discard:
    """A sink that keeps nothing: a segment mastered on trial is only measured."""

    def write(self, samples) -> None:
        pass


class SegmentRenderer:
    """Renders a script's planned segments into MP3s, reusing those the cache holds.

    Synthesis runs in the caller's thread; each segment's mastering, encoding and
    measuring runs in one background thread while the next segment is synthesized.
    ``spend(stage, seconds)`` is told the wall time spent waiting on ``synthesize``,
    ``master`` (trials) and ``encode``; ``progress(done, total)`` after each sentence.
    Temporary MP3s are made in ``work``.
    """

    def __init__(self, script: Script, plans: tuple[SegmentPlan, ...], engine: Engine, cache: SynthCache,
                 settings: MasterSettings, encode: EncodeSettings, work: Path, spend: Spend,
                 progress: Progress | None = None):
        self.sentences = script.sentences()
        self.plans = plans
        self.engine, self.cache = engine, cache
        self.settings, self.encode = settings, encode
        self.work, self.spend, self.progress = work, spend, progress
        identity = engine.identity()
        # Each sentence's audio as the cache will serve it: a chosen take's, where QA chose one.
        self.speech_keys = [cache.chosen(SynthCache.key(identity, s.speech)) for s in self.sentences]
        self.reused = 0  # segments of the last pass found in the cache
        self._done = 0  # sentences of this pass done
        self._ahead: Lookahead | None = None  # this pass's sentences synthesized ahead

    def render(self) -> tuple[list[Part], Loudness]:
        """Every segment, and the joined programme's loudness. A programme that misses the
        loudness target by more than ``LOUDNESS_TOLERANCE_LU``, or the true-peak limit, is
        rendered once more, levelled by the measured miss."""
        correction = Correction()
        while True:
            parts = self.render_pass(correction)
            loud = loudness_of([part.measured for part in parts])
            miss = self.encode.target_lufs - loud.integrated_lufs
            over = loud.true_peak_dbtp - self.encode.true_peak
            if (abs(miss) <= LOUDNESS_TOLERANCE_LU and over <= 0) or correction != Correction():
                return parts, loud  # on target, or already corrected once
            correction = Correction(target=miss, ceiling=min(0.0, -over - 0.3))

    def render_pass(self, correction: Correction) -> list[Part]:
        """One pass over the segments: each is taken from the cache or synthesized, mastered
        and encoded. A segment's sentences that the synthesis cache lacks are synthesized
        before waiting for the previous segment, so that its encoder finishes meanwhile."""
        settings = replace(self.settings, ceiling_dbtp=self.settings.ceiling_dbtp + correction.ceiling)
        leveller = Leveller(settings.target_lufs, self.encode.sample_rate, correction.target)
        parts: list[Future[Part]] = []
        keys: list[str] = []
        self.reused = self._done = 0
        with self._lookahead() as self._ahead, ThreadPoolExecutor(max_workers=1) as finisher:
            for index, plan in enumerate(self.plans):
                chunks = None
                if any(not self.cache.path(self.speech_keys[i]).is_file() for i in plan.sentences):
                    chunks = self._synthesize(plan)  # new speech: no stored encoding can hold it
                if index:
                    previous = self._wait(parts[index - 1])
                    leveller.add(previous.layout, previous.measured.subs)
                target = leveller.target() if leveller.settled else None
                how = ["trial", correction.target, keys] if target is None else target
                key = segment_key(plan, self.speech_keys, how, settings, self.encode)
                keys.append(key)
                record = self.cache.get_segment(key) if chunks is None else None
                if record is not None:
                    parts.append(self._reuse(plan, key, record))
                    continue
                if chunks is None:
                    chunks = self._synthesize(plan)
                if target is None:
                    start = time.perf_counter()
                    target = leveller.target(partial(self._trial, plan, chunks, settings))
                    self.spend("master", time.perf_counter() - start)
                parts.append(finisher.submit(self._make, plan, chunks, settings, target, key, str(index)))
            return [self._wait(part) for part in parts]

    def _lookahead(self) -> Lookahead | nullcontext[None]:
        """For an engine that takes several sentences at once: every sentence the cache
        lacks, synthesized ahead in the order the segments will ask for them, so that
        synthesis goes on across segment boundaries and while a segment is levelled on trial."""
        missing = {key: s.speech for key, s in zip(self.speech_keys, self.sentences) if not self.cache.path(key).is_file()}
        return Lookahead(self.engine, list(missing.values())) if parallelism(self.engine) > 1 and missing else nullcontext()

    def _sentence_done(self, *_) -> None:
        self._done += 1
        if self.progress:
            self.progress(self._done, len(self.sentences))

    def _synthesize(self, plan: SegmentPlan) -> list[AudioChunk]:
        texts = [self.sentences[i].speech for i in plan.sentences]
        chunks = synthesize_cached(self.engine, texts, self.cache, self._sentence_done, self._ahead)
        return list(_timed("synthesize", self.spend, chunks))

    def _wait(self, part: Future[Part]) -> Part:
        """A segment's part, waiting for its encoder."""
        start = time.perf_counter()
        done = part.result()
        self.spend("encode", time.perf_counter() - start)
        return done

    def _reuse(self, plan: SegmentPlan, key: str, record: dict) -> Future[Part]:
        part: Future[Part] = Future()
        part.set_result(_stored_part(record, self.cache.segment_path(key)))
        self.cache.used_keys.extend(self.speech_keys[i] for i in plan.sentences)
        self.reused += 1
        for _ in plan.sentences:
            self._sentence_done()
        return part

    def _trial(self, plan: SegmentPlan, chunks: list[AudioChunk], settings: MasterSettings,
               level: float) -> tuple[SegmentLayout, tuple[float, ...]]:
        """The segment mastered at ``level`` and discarded, with the sub-block energies it
        would be heard with once encoded (``as_heard``): no trial encode."""
        layout = master_segment(plan, iter(chunks), _Discard(), settings, level)
        return layout, as_heard(layout.subs, settings.sample_rate, self.encode.sample_rate)

    def _make(self, plan: SegmentPlan, chunks: list[AudioChunk], settings: MasterSettings, target: float,
              key: str, name: str) -> Part:
        """Master and encode a segment, measure the MP3 and keep it in the cache."""
        encoder, layout = self._encode(plan, chunks, settings, target, name)
        encoder.finish()
        measured = measure_mp3(encoder.path, self.encode.true_peak)
        stored = self.cache.put_segment(key, encoder.path, _record(Part(layout, encoder.path, measured)))
        return Part(layout, stored, measured)

    def _encode(self, plan: SegmentPlan, chunks: list[AudioChunk], settings: MasterSettings, target: float,
                name: str) -> tuple[SegmentEncoder, SegmentLayout]:
        """Master a segment at ``target`` into a new encoder (left running)."""
        encoder = SegmentEncoder(self.work / f"segment-{name}.mp3", settings.sample_rate, self.encode)
        try:
            return encoder, master_segment(plan, iter(chunks), encoder, settings, target)
        except BaseException:
            encoder.close()
            raise
