"""The per-sentence synthesis cache: what it serves and what it synthesizes, keys, corrupt entries, pruning."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from audio.errors import EngineError
from audio.models import AudioChunk
from audio.show import load_show
from audio.synth.cache import Lookahead, SynthCache, prune_show_cache, synthesize_cached
from audio.synth.engines.base import parallelism
from audio.synth.engines.fake import FakeEngine
from audio.synth.voices import VoiceProfile

SENTENCES = ["The first sentence.", "A second, longer sentence with more words.", "The third one."]


class CountingEngine(FakeEngine):
    """The fake engine, recording every batch it is asked for."""

    def __init__(self, params: dict | None = None):
        super().__init__(VoiceProfile(name="t", engine="fake", params=params or {}))
        self.calls: list[list[str]] = []

    def synthesize(self, sentences):
        batch = list(sentences)
        self.calls.append(batch)
        yield from super().synthesize(batch)


def render(engine, sentences, folder):
    cache = SynthCache(folder)
    chunks = list(synthesize_cached(engine, sentences, cache))
    return cache, chunks


def hits(engine, sentences, folder) -> tuple[int, int]:
    """Synthesize through the cache: (sentences served from it, sentences synthesized)."""
    cache, served = SynthCache(folder), []
    list(synthesize_cached(engine, sentences, cache, lambda chunk, cached: served.append(cached)))
    assert sum(served) == len(sentences) - cache.misses
    return sum(served), cache.misses


def test_second_run_is_all_hits_and_same_audio(tmp_path):
    engine = CountingEngine()
    cold, first = render(engine, SENTENCES, tmp_path)
    assert cold.misses == 3
    assert engine.calls == [SENTENCES]  # the misses go to the engine in one batch
    warm, second = render(engine, SENTENCES, tmp_path)
    assert warm.misses == 0
    assert hits(engine, SENTENCES, tmp_path) == (3, 0)
    assert engine.calls == [SENTENCES]  # nothing synthesized again
    assert [c.text for c in second] == SENTENCES
    for a, b in zip(first, second):
        assert a.sample_rate == b.sample_rate == 22050
        assert b.samples.dtype == np.float32 and len(a.samples) == len(b.samples)
        assert np.max(np.abs(a.samples - b.samples)) < 1e-5  # 24-bit FLAC round trip


def test_edited_sentence_alone_is_synthesized_in_order(tmp_path):
    engine = CountingEngine()
    render(engine, SENTENCES, tmp_path)
    edited = [SENTENCES[0], "A second sentence, now edited.", SENTENCES[2], "A new closing line."]
    cache, chunks = render(engine, edited, tmp_path)
    assert cache.misses == 2
    assert engine.calls[-1] == edited[1:2] + edited[3:]
    assert [c.text for c in chunks] == edited
    assert cache.used_keys == [SynthCache.key(engine.identity(), s) for s in edited]


def test_repeated_sentence_is_synthesized_once(tmp_path):
    engine = CountingEngine()
    cache, chunks = render(engine, ["Quote.", "Words.", "End quote.", "Quote.", "End quote."], tmp_path)
    assert engine.calls == [["Quote.", "Words.", "End quote."]]
    assert cache.misses == 3
    assert np.allclose(chunks[0].samples, chunks[3].samples, atol=1e-5)


def test_key_changes_with_text_and_params():
    """(The model file's part of the identity is checked per engine in test_engines_contract.)"""
    base = FakeEngine().identity()
    assert SynthCache.key(base, "Hello.") != SynthCache.key(base, "Hello!")
    assert SynthCache.key(base, "Hello.") != SynthCache.key(base, "Hello. ")
    slower = CountingEngine({"chars_per_second": 10}).identity()
    assert slower != base and SynthCache.key(slower, "Hello.") != SynthCache.key(base, "Hello.")


def test_params_change_misses_the_cache(tmp_path):
    render(CountingEngine(), SENTENCES, tmp_path)
    assert hits(CountingEngine({"chars_per_second": 12}), SENTENCES, tmp_path) == (0, 3)


@pytest.mark.parametrize("damage", ["garbage", "truncate", "empty"])
def test_corrupt_entry_is_resynthesized(tmp_path, damage):
    engine = CountingEngine()
    cold, first = render(engine, SENTENCES, tmp_path)
    victim = cold.path(cold.used_keys[1])
    data = victim.read_bytes()
    victim.write_bytes({"garbage": b"not a flac file" * 50, "truncate": data[: len(data) // 2], "empty": b""}[damage])
    cache, chunks = render(engine, SENTENCES, tmp_path)
    assert cache.misses == 1
    assert engine.calls[-1] == [SENTENCES[1]]
    assert np.allclose(chunks[1].samples, first[1].samples, atol=1e-5)
    assert cache.get(cache.used_keys[1], engine.sample_rate) is not None  # repaired on disk


class ThreadedEngine(FakeEngine):
    """The fake engine taking ``threads`` sentences at once, recording the threads it ran on."""

    def __init__(self, threads: int):
        super().__init__(VoiceProfile(name="t", engine="fake", params={"delay_s": 0.01}), threads=threads)
        self.threads: set[str] = set()

    def synthesize(self, sentences):
        for chunk in super().synthesize(sentences):
            self.threads.add(threading.current_thread().name)
            yield chunk


def test_parallel_synthesis_stores_the_same_keys_in_the_same_order(tmp_path):
    sentences = [f"Sentence number {i} of the test, {'with more words ' * (i % 4)}here." for i in range(12)]
    sentences.insert(5, sentences[2])  # a repeat is a hit on what was just stored
    caches, chunks, engines = {}, {}, {}
    for threads in (1, 3):
        engines[threads] = ThreadedEngine(threads)
        caches[threads], chunks[threads] = render(engines[threads], sentences, tmp_path / str(threads))
    assert len(engines[1].threads) == 1 and len(engines[3].threads) > 1  # it did run concurrently
    assert caches[3].used_keys == caches[1].used_keys and caches[3].misses == caches[1].misses == 12
    assert [p.name for p in caches[3].entries()] == [p.name for p in caches[1].entries()]
    assert [c.text for c in chunks[3]] == sentences
    for a, b in zip(chunks[1], chunks[3]):
        assert np.array_equal(a.samples, b.samples)


def test_lookahead_serves_what_is_asked_whatever_was_foreseen(tmp_path):
    """Sentences foreseen, skipped (stored meanwhile) or not foreseen at all: each request
    gets its own sentence's audio, in the order asked."""
    engine = ThreadedEngine(2)
    foreseen = [f"Foreseen sentence {i}." for i in range(6)]
    asked = [foreseen[0], foreseen[3], "Not foreseen at all.", foreseen[4]]
    with Lookahead(engine, foreseen) as ahead:
        chunks = list(ahead.synthesize(asked))
    assert [c.text for c in chunks] == asked
    for chunk in chunks:
        assert np.array_equal(chunk.samples, engine._burst(chunk.text))


def test_one_thread_synthesizes_in_one_stream(tmp_path):
    """A batch worker's engine (threads=1) gets every miss in one call, on the caller's thread."""
    engine = CountingEngine()
    assert parallelism(engine) == 1
    render(engine, SENTENCES, tmp_path)
    assert engine.calls == [SENTENCES]


def test_a_failure_in_parallel_synthesis_is_raised_in_order(tmp_path):
    class Failing(ThreadedEngine):
        def synthesize(self, sentences):
            sentences = list(sentences)
            if sentences == [SENTENCES[1]]:
                raise EngineError(None, "the engine broke")
            yield from super().synthesize(sentences)

    cache = SynthCache(tmp_path)
    served = []
    with pytest.raises(EngineError, match="the engine broke"):
        for chunk in synthesize_cached(Failing(3), SENTENCES, cache):
            served.append(chunk.text)
    assert served == SENTENCES[:1] and cache.misses == 1


def test_on_chunk_reports_hits(tmp_path):
    engine = CountingEngine()
    render(engine, SENTENCES[:1], tmp_path)
    seen = []
    list(synthesize_cached(engine, SENTENCES, SynthCache(tmp_path), on_chunk=lambda c, cached: seen.append(cached)))
    assert seen == [True, False, False]


def test_engine_returning_too_few_chunks_is_an_engine_error(tmp_path):
    class Short(FakeEngine):
        def synthesize(self, sentences):
            yield from super().synthesize(list(sentences)[:-1])

    with pytest.raises(EngineError, match="returned no audio"):
        list(synthesize_cached(Short(), SENTENCES, SynthCache(tmp_path)))


def test_engine_returning_bad_audio_is_an_engine_error(tmp_path):
    class Stereo(FakeEngine):
        def synthesize(self, sentences):
            for s in sentences:
                yield AudioChunk(s, np.zeros((10, 2), dtype=np.float32), self.sample_rate)

    with pytest.raises(EngineError, match="unusable audio"):
        list(synthesize_cached(Stereo(), SENTENCES, SynthCache(tmp_path)))


def test_prune_keeps_what_current_episodes_use(tmp_path):
    engine = CountingEngine()
    kept, _ = render(engine, SENTENCES, tmp_path)
    kept.save_manifest("kept-episode")
    gone, _ = render(engine, ["Only in a deleted episode."], tmp_path)
    gone.save_manifest("deleted-episode")
    render(engine, ["A voices say experiment."], tmp_path)  # never part of an episode

    report = SynthCache(tmp_path).prune(episodes=["kept-episode"])
    assert (report.removed, report.kept) == (2, 3) and report.bytes_freed > 0
    assert sorted(p.stem for p in SynthCache(tmp_path).entries()) == sorted(kept.used_keys)
    assert [p.stem for p in (tmp_path / "manifests").iterdir()] == ["kept-episode"]
    again, _ = render(engine, SENTENCES, tmp_path)
    assert again.misses == 0


def test_manifest_lists_each_key_once_sorted(tmp_path):
    """The order keys were served in depends on how synthesis and encoding overlapped: the
    manifest does not."""
    cache = SynthCache(tmp_path)
    cache.used_keys.extend(["c" * 64, "a" * 64, "c" * 64, "b" * 64])
    cache.save_manifest("episode")
    assert (tmp_path / "manifests" / "episode.txt").read_text() == "".join(f"{k * 64}\n" for k in "abc")


def test_prune_older_than_spares_recently_used(tmp_path):
    engine = CountingEngine()
    old, _ = render(engine, ["Used long ago."], tmp_path)
    recent, _ = render(engine, ["Used just now."], tmp_path)
    month_ago = time.time() - 30 * 86400
    os.utime(old.path(old.used_keys[0]), (month_ago, month_ago))
    report = SynthCache(tmp_path).prune(episodes=[], older_than_days=7)
    assert (report.removed, report.kept) == (1, 1)
    assert [p.stem for p in SynthCache(tmp_path).entries()] == recent.used_keys
    # A hit refreshes "last used".
    os.utime(recent.path(recent.used_keys[0]), (month_ago, month_ago))
    render(engine, ["Used just now."], tmp_path)
    assert SynthCache(tmp_path).prune(episodes=[], older_than_days=7).removed == 0
    assert SynthCache(tmp_path).prune(everything=True).removed == 1


def test_prune_show_cache_uses_rendered_episodes(tmp_path):
    show = load_show(tmp_path)
    (show.rendered_dir / "live").mkdir(parents=True)
    engine = CountingEngine()
    live, _ = render(engine, SENTENCES, show.cache_dir / "synth")
    live.save_manifest("live")
    removed, _ = render(engine, ["Orphan."], show.cache_dir / "synth")
    removed.save_manifest("removed-episode")
    report = prune_show_cache(show)
    assert (report.removed, report.kept) == (1, 3)


def test_cli_cache_prune(tmp_path):
    from click.testing import CliRunner

    from audio.cli import main

    render(CountingEngine(), SENTENCES, tmp_path / ".cache" / "synth")
    result = CliRunner().invoke(main, ["cache", "prune", "--show", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "removed 3 cached sentences" in result.output
    assert not SynthCache(tmp_path / ".cache" / "synth").entries()
