"""The render cache: one FLAC file per synthesized sentence, one MP3 per encoded
segment, each addressed by content.

The key of a sentence is sha256(engine identity + the exact text it was given). The
engine identity names the engine, the model file by its content hash and every
parameter that changes the audio, so a new model or a changed ``length_scale`` never
serves stale audio, and editing one paragraph of a post re-synthesizes only the
sentences whose text changed.

Takes: speech QA may synthesize a sentence again through one of the engine's variants
(``audio.synth.takes``), each take under a key of its own, and record the one to keep
(``choose``). A render asks for every sentence by its own key and ``chosen`` resolves
that to the chosen take's key while the take's audio is there, so a re-render uses the
chosen take and synthesizes nothing.

A segment's key and its record (made by ``audio.master.segments``) cover everything its
encoding depends on: its sentences' keys, its pauses, the loudness it was levelled to
and the encoder settings. This module stores them.

Layout under the cache folder (a show uses ``<show>/.cache/synth``)::

    audio/<2 hex>/<key>.flac      24-bit FLAC, mono, at the engine's rate
    segments/<2 hex>/<key>.mp3    an encoded segment, and <key>.json, its layout and measurement
    takes/<2 hex>/<key>.json      a sentence's chosen take: its number, its key, the scores
    manifests/<episode>.txt       keys a finished render used, one a line

Entries are written to a temporary file and renamed into place (a segment's MP3 before
its record), so a crash leaves no half-written entry under a real name; an entry that
is unreadable anyway (truncated, wrong rate, garbage) is made again and overwritten,
never fatal.

Pruning (``audio-essay cache prune``): by default removes every entry that no current
episode's manifest lists, i.e. audio no re-render of an existing episode would reuse
(a chosen take of a sentence a manifest lists, by either key, is kept with its record
and the sentence's first take, so that clearing the choice synthesizes nothing);
``older_than_days`` additionally spares entries used (hit or written) within that many
days; ``everything`` empties the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from audio.errors import EngineError, OutputError
from audio.files import atomic_write, write_text
from audio.models import AudioChunk, TakeResult
from audio.synth.engines.base import Engine, parallelism

if TYPE_CHECKING:
    from audio.show import Show

SUFFIX = ".flac"
SEGMENT_SUFFIX = ".mp3"
TAKE_SUFFIX = ".json"
SUBTYPE = "PCM_24"  # -146 dB quantisation noise: inaudible, a third the size of float32 .npy


@dataclass(frozen=True)
class PruneReport:
    removed: int
    kept: int
    bytes_freed: int


class SynthCache:
    """Per-sentence audio on disk. Counts the sentences synthesized (``misses``) and
    remembers the keys it served (``used_keys``) so a finished render can record them
    with ``save_manifest``."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.misses = 0
        self.used_keys: list[str] = []

    @classmethod
    def for_show(cls, show: Show) -> SynthCache:
        return cls(show.cache_dir / "synth")

    @staticmethod
    def key(identity: str, text: str) -> str:
        return hashlib.sha256(f"{identity}\0{text}".encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.folder / "audio" / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str, sample_rate: int) -> np.ndarray | None:
        """The cached samples, or None when absent or unusable (a corrupt entry is removed)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            info = sf.info(str(path))
            samples, rate = sf.read(str(path), dtype="float32", always_2d=False)
            ok = rate == sample_rate and samples.ndim == 1 and len(samples) == info.frames > 0
        except (sf.LibsndfileError, RuntimeError, ValueError, OSError):
            ok = False
        with contextlib.suppress(OSError):  # a read-only cache still serves its audio
            if not ok:
                path.unlink(missing_ok=True)
            else:
                os.utime(path)  # "last used", for prune --older-than
        return samples if ok else None

    def put(self, key: str, samples: np.ndarray, sample_rate: int) -> None:
        try:
            atomic_write(self.path(key), lambda tmp: sf.write(str(tmp), samples, sample_rate, subtype=SUBTYPE, format="FLAC"))
        except OSError as exc:
            raise OutputError(self.folder, f"cannot write the synthesis cache ({exc.strerror or exc})") from exc

    def segment_path(self, key: str) -> Path:
        return self.folder / "segments" / key[:2] / f"{key}{SEGMENT_SUFFIX}"

    def get_segment(self, key: str) -> dict | None:
        """A stored segment's record, or None when absent or damaged (a damaged one is removed)."""
        mp3 = self.segment_path(key)
        record_path = mp3.with_suffix(".json")
        if not record_path.is_file():
            return None
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            ok = isinstance(record, dict) and record.get("bytes") == mp3.stat().st_size
        except (OSError, ValueError):
            ok = False
        with contextlib.suppress(OSError):
            for path in (mp3, record_path):
                if ok:
                    os.utime(path)
                else:
                    path.unlink(missing_ok=True)
        if not ok:
            return None
        self.used_keys.append(key)
        return record

    def put_segment(self, key: str, mp3: Path, record: dict) -> Path:
        """Move an encoded segment into the cache with its record; returns where it now is."""
        dest = self.segment_path(key)
        record = {**record, "bytes": mp3.stat().st_size}
        try:
            atomic_write(dest, lambda tmp: shutil.move(mp3, tmp))
            atomic_write(dest.with_suffix(".json"), lambda tmp: tmp.write_text(json.dumps(record), encoding="utf-8"))
        except OSError as exc:
            raise OutputError(self.folder, f"cannot write the segment cache ({exc.strerror or exc})") from exc
        self.used_keys.append(key)
        return dest

    def take_path(self, key: str) -> Path:
        return self.folder / "takes" / key[:2] / f"{key}{TAKE_SUFFIX}"

    def choose(self, result: TakeResult) -> None:
        """Record which take of sentence ``result.key`` a render uses; take 0 clears the
        choice (the first take is used again)."""
        path = self.take_path(result.key)
        try:
            if result.take == 0:
                path.unlink(missing_ok=True)
                return
            text = json.dumps({"take": result.take, "key": result.take_key, "scores": list(result.scores)})
            atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        except OSError as exc:
            raise OutputError(self.folder, f"cannot write the synthesis cache ({exc.strerror or exc})") from exc

    def choice(self, key: str) -> TakeResult | None:
        """The take chosen for sentence ``key``, or None when none is recorded (or the record
        is unreadable: it is then ignored, and the first take used)."""
        try:
            record = json.loads(self.take_path(key).read_text(encoding="utf-8"))
            return TakeResult(key, int(record["take"]), str(record["key"]), tuple(float(x) for x in record["scores"]))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def chosen(self, key: str) -> str:
        """The key of the audio to use for sentence ``key``: its chosen take's while that
        take's audio is in the cache, else ``key`` itself."""
        choice = self.choice(key)
        return choice.take_key if choice is not None and self.path(choice.take_key).is_file() else key

    def save_manifest(self, episode: str) -> None:
        """Record that episode ``episode`` (its slug) uses the keys served so far, sorted: the
        order they were served in depends on how synthesis and encoding overlapped."""
        path = self.folder / "manifests" / f"{episode}.txt"
        text = "".join(f"{k}\n" for k in sorted(set(self.used_keys)))
        write_text(path, text, "the cache manifest", encoding="ascii")

    def entries(self) -> list[Path]:
        """The synthesized sentences."""
        return sorted((self.folder / "audio").glob(f"*/*{SUFFIX}"))

    def segment_entries(self) -> list[Path]:
        return sorted((self.folder / "segments").glob(f"*/*{SEGMENT_SUFFIX}"))

    def prune(
        self,
        episodes: Iterable[str] | None = None,
        older_than_days: float | None = None,
        everything: bool = False,
    ) -> PruneReport:
        """Remove entries no current episode uses (see the module docstring).

        ``episodes``: the slugs that still exist; manifests of other episodes are dropped
        (None keeps every manifest). ``older_than_days``: spare unreferenced entries used
        more recently than that. ``everything``: remove every entry and manifest.
        """
        manifests = sorted((self.folder / "manifests").glob("*.txt"))
        live = None if episodes is None else set(episodes)
        referenced: set[str] = set()
        for manifest in manifests:
            if everything or (live is not None and manifest.stem not in live):
                manifest.unlink(missing_ok=True)
            else:
                referenced.update(manifest.read_text(encoding="ascii").split())
        cutoff = None if older_than_days is None else time.time() - older_than_days * 86400
        for record in sorted((self.folder / "takes").glob(f"*/*{TAKE_SUFFIX}")):
            choice = self.choice(record.stem)
            if not everything and choice is not None and referenced & {choice.key, choice.take_key}:
                referenced.update((choice.key, choice.take_key))
            elif everything or cutoff is None or record.stat().st_mtime < cutoff:
                record.unlink(missing_ok=True)
        removed = kept = freed = 0
        for entry in [*self.entries(), *self.segment_entries()]:
            stat = entry.stat()
            spare = not everything and (entry.stem in referenced or (cutoff is not None and stat.st_mtime >= cutoff))
            if spare:
                kept += 1
            else:
                entry.unlink(missing_ok=True)
                entry.with_suffix(".json").unlink(missing_ok=True)  # a segment's record
                removed += 1
                freed += stat.st_size
        for folder in ("audio", "segments", "takes"):
            for stray in (self.folder / folder).glob("*/.*.tmp"):
                stray.unlink(missing_ok=True)  # left by a killed process
        return PruneReport(removed=removed, kept=kept, bytes_freed=freed)


def prune_show_cache(show: Show, older_than_days: float | None = None, everything: bool = False) -> PruneReport:
    """``audio-essay cache prune``: keep what the show's rendered episodes use."""
    rendered = show.rendered_dir
    episodes = [p.name for p in rendered.iterdir() if p.is_dir()] if rendered.is_dir() else []
    return SynthCache.for_show(show).prune(episodes, older_than_days=older_than_days, everything=everything)


def synthesize_cached(
    engine: Engine,
    sentences: Sequence[str],
    cache: SynthCache,
    on_chunk: Callable[[AudioChunk, bool], None] | None = None,
    ahead: Lookahead | None = None,
) -> Iterator[AudioChunk]:
    """Yield one chunk per sentence (the engine's input text), in order, synthesizing
    only what the cache lacks, all misses in one streaming engine call (or, for an engine
    that takes several at once, ``parallelism(engine)`` sentences at a time: the chunks,
    the cache entries and their order are the same either way). A sentence with a chosen
    take is that take's audio (``SynthCache.chosen``).

    ``on_chunk(chunk, cached)`` is called before each chunk is yielded (for progress).
    ``ahead``: where the misses are being synthesized already (a render's ``Lookahead``).
    Misses are counted on ``cache``.
    """
    identity = engine.identity()
    firsts = [SynthCache.key(identity, s) for s in sentences]
    keys = [cache.chosen(k) for k in firsts]
    rate = engine.sample_rate
    misses = {k: s for k, s in zip(keys, sentences) if not cache.path(k).is_file()}
    fresh = _checked(engine, list(misses.values()), ahead)
    for key, first, text in zip(keys, firsts, sentences):
        if key in misses:
            del misses[key]  # a repeat of this sentence later is a hit on what is stored now
            samples, cached = next(fresh).samples, False
        else:
            samples = cache.get(key, rate)
            if samples is None and key != first:  # a chosen take's audio is damaged: the first take serves
                key = first
                samples = cache.get(key, rate)
            cached = samples is not None
            if not cached:  # a corrupt entry: synthesize this sentence alone
                samples = next(_checked(engine, [text])).samples
        if not cached:
            cache.put(key, samples, rate)
            cache.misses += 1
        cache.used_keys.append(key)
        chunk = AudioChunk(text=text, samples=samples, sample_rate=rate)
        if on_chunk:
            on_chunk(chunk, cached)
        yield chunk


def synthesize_own(engine: Engine, text: str, cache: SynthCache) -> tuple[str, np.ndarray]:
    """One sentence's own audio through ``engine`` (never a chosen take's) and its key: from
    the cache, else synthesized, stored and counted as a miss."""
    key = SynthCache.key(engine.identity(), text)
    samples = cache.get(key, engine.sample_rate)
    if samples is None:
        samples = next(_checked(engine, [text])).samples
        cache.put(key, samples, engine.sample_rate)
        cache.misses += 1
    return key, samples


class Lookahead:
    """Sentences known to be coming, synthesized ahead of the render that will ask for
    them: ``parallelism(engine)`` at once, each in a thread of its own (the engine's model
    releases the GIL), at most ``DEPTH`` a thread ahead. ``synthesize`` serves them in the order
    asked; a sentence that was not foreseen (or no longer needed: another render stored
    it meanwhile) is synthesized there and then, so what is served never depends on it."""

    DEPTH = 8  # sentences ahead per thread: enough to go on while the previous segment is measured

    def __init__(self, engine: Engine, sentences: Iterable[str]):
        self.engine = engine
        workers = parallelism(engine)
        self.depth = self.DEPTH * workers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="synthesize")
        self.coming = iter(sentences)
        self.ahead: deque[tuple[str, Future[list[AudioChunk]]]] = deque()
        self._fill()

    def __enter__(self) -> Lookahead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _one(self, text: str) -> list[AudioChunk]:
        return list(itertools.islice(self.engine.synthesize([text]), 1))

    def _fill(self) -> None:
        for text in itertools.islice(self.coming, self.depth - len(self.ahead)):
            self.ahead.append((text, self.pool.submit(self._one, text)))

    def synthesize(self, sentences: Iterable[str]) -> Iterator[AudioChunk]:
        """One chunk per sentence, in order; stops early where the engine had nothing for
        a sentence (``_checked`` says which)."""
        for text in sentences:
            if any(t == text for t, _ in self.ahead):
                while (ready := self.ahead.popleft())[0] != text:
                    ready[1].cancel()
                chunks = ready[1].result()
            else:
                chunks = self.pool.submit(self._one, text).result()
            self._fill()
            if not chunks:
                return
            yield chunks[0]


def _checked(engine: Engine, sentences: Sequence[str], ahead: Lookahead | None = None) -> Iterator[AudioChunk]:
    """The engine's chunks for ``sentences`` (through ``ahead`` when given, else several at
    once if the engine takes them), checked: one per sentence, non-empty mono at its declared rate."""
    if ahead is None and parallelism(engine) > 1 and len(sentences) > 1:
        with Lookahead(engine, sentences) as ahead:
            yield from _checked(engine, sentences, ahead)
        return
    chunks = iter(engine.synthesize(sentences)) if ahead is None else ahead.synthesize(sentences)
    for text in sentences:
        chunk = next(chunks, None)
        if chunk is None:
            raise EngineError(None, f"engine {engine.name!r} returned no audio for {text[:60]!r}")
        samples = np.asarray(chunk.samples, dtype=np.float32)
        if chunk.sample_rate != engine.sample_rate or samples.ndim != 1 or len(samples) == 0:
            raise EngineError(None, f"engine {engine.name!r} returned unusable audio for {text[:60]!r}")
        yield AudioChunk(text=text, samples=samples, sample_rate=chunk.sample_rate)
