"""Retakes: engine variants, chosen takes in the synthesis cache, the retake loop with a
judge the test scripts, and renders that use a chosen take without synthesizing it again.
The fake engine throughout; the real Piper voice for the determinism of its takes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from test_engines_contract import CASES
from test_master import long_script
from test_render import render, show_dir  # noqa: F401  (the sample show with a fake voice)
from test_segments import renderer

from audio.errors import EngineError
from audio.master import segments
from audio.models import TakeResult
from audio.prepare import prepare_post
from audio.show import load_show
from audio.synth.cache import SynthCache, prune_show_cache, synthesize_cached
from audio.synth.engines.base import take_engine
from audio.synth.engines.fake import FakeEngine
from audio.synth.engines.registry import create_engine
from audio.synth.takes import retake

TEXT = "A sentence the voice got wrong the first time."


class Scripted:
    """A judge that hands out the scores the test wrote, one per take judged, and keeps
    the samples it was given."""

    def __init__(self, *scores: float):
        self.scores = list(scores)
        self.heard: list[np.ndarray] = []

    def __call__(self, samples: np.ndarray) -> float:
        self.heard.append(samples)
        return self.scores[len(self.heard) - 1]


def take_key(engine, take: int, text: str = TEXT) -> str:
    return SynthCache.key(take_engine(engine, take).identity(), text)


# --- engine variants ---------------------------------------------------------------


def test_a_fake_take_is_other_audio_under_another_identity():
    engine = FakeEngine()
    base = engine.identity()
    assert base == 'fake:1:{"chars_per_second": 15.0, "level": 0.4}'  # existing caches stay valid
    first, second, again = (take_engine(engine, n) for n in (1, 2, 1))
    assert take_engine(engine, 0) is engine and engine.identity() == base
    assert len({base, first.identity(), second.identity()}) == 3 and again.identity() == first.identity()
    audio = {n: next(take_engine(engine, n).synthesize([TEXT])).samples for n in (0, 1, 2)}
    assert not np.array_equal(audio[0], audio[1]) and not np.array_equal(audio[1], audio[2])
    assert np.array_equal(next(again.synthesize([TEXT])).samples, audio[1])


def test_take_engine_of_an_engine_without_variants_is_none():
    class Plain:
        name = "plain"

        def identity(self) -> str:
            return "plain"

    assert take_engine(Plain(), 1) is None

    class Careless(Plain):
        def variant(self, take):
            return self

    with pytest.raises(EngineError, match="take 1 has the identity of take 0"):
        take_engine(Careless(), 1)


# --- the retake loop ---------------------------------------------------------------


def test_the_best_take_is_kept_and_recorded(tmp_path: Path):
    engine, cache = FakeEngine(), SynthCache(tmp_path)
    judge = Scripted(0.5, 0.4, 0.2, 0.3)
    result = retake(engine, cache, TEXT, judge, max_retakes=3)
    key = SynthCache.key(engine.identity(), TEXT)
    assert result == TakeResult(key, 2, take_key(engine, 2), (0.5, 0.4, 0.2, 0.3))
    assert (result.tried, result.improved) == (3, True)
    # Every take under its own key, and the judge heard each take's own audio.
    for n in range(4):
        stored = cache.get(take_key(engine, n), engine.sample_rate)
        assert np.allclose(stored, next(take_engine(engine, n).synthesize([TEXT])).samples, atol=1e-6)
        assert np.allclose(judge.heard[n], stored, atol=1e-6)
    assert cache.misses == 4
    assert cache.choice(key) == result and cache.chosen(key) == take_key(engine, 2)
    assert json.loads(cache.take_path(key).read_text()) == {"take": 2, "key": take_key(engine, 2), "scores": [0.5, 0.4, 0.2, 0.3]}
    # Asked again: every take is in the cache, none is synthesized again.
    again = SynthCache(tmp_path)
    assert retake(engine, again, TEXT, Scripted(0.5, 0.4, 0.2, 0.3), max_retakes=3) == result
    assert again.misses == 0


def test_a_clean_take_stops_the_loop(tmp_path: Path):
    engine, cache = FakeEngine(), SynthCache(tmp_path)
    judge = Scripted(0.05, 0.0)
    result = retake(engine, cache, TEXT, judge, max_retakes=3, clean=0.1, first_score=0.6)
    assert (result.take, result.scores, result.tried, result.improved) == (1, (0.6, 0.05), 1, True)
    assert len(judge.heard) == 1  # take 0 was judged by the caller; take 1 is clean
    assert cache.misses == 1 and not cache.path(take_key(engine, 2)).exists()
    assert not cache.path(take_key(engine, 0)).exists()  # its score was given: not needed


def test_when_no_retake_is_better_the_first_take_stays(tmp_path: Path):
    engine, cache = FakeEngine(), SynthCache(tmp_path)
    cache.choose(TakeResult(SynthCache.key(engine.identity(), TEXT), 3, "f" * 64))  # an earlier choice
    result = retake(engine, cache, TEXT, Scripted(0.2, 0.2, 0.3), max_retakes=2)
    key = SynthCache.key(engine.identity(), TEXT)
    assert result == TakeResult(key, 0, key, (0.2, 0.2, 0.3)) and result.improved is False
    assert cache.choice(key) is None and cache.chosen(key) == key and not cache.take_path(key).exists()


def test_no_retakes_asked_does_nothing(tmp_path: Path):
    engine, cache = FakeEngine(), SynthCache(tmp_path / "cache")
    judge = Scripted()
    result = retake(engine, cache, TEXT, judge, max_retakes=0, first_score=0.7)
    key = SynthCache.key(engine.identity(), TEXT)
    assert result == TakeResult(key, 0, key, (0.7,)) and (result.tried, result.improved) == (0, None)
    assert judge.heard == [] and cache.misses == 0 and not cache.folder.exists()


def test_an_engine_without_variants_is_not_retaken(tmp_path: Path):
    class Plain(FakeEngine):
        variant = None

    cache = SynthCache(tmp_path)
    result = retake(Plain(), cache, TEXT, Scripted(), max_retakes=3)
    assert (result.take, result.scores) == (0, ()) and cache.misses == 0


# --- the cache's record of a choice ------------------------------------------------


def test_a_choice_whose_audio_is_gone_or_whose_record_is_damaged_falls_back(tmp_path: Path):
    engine, cache = FakeEngine(), SynthCache(tmp_path)
    key = SynthCache.key(engine.identity(), TEXT)
    retake(engine, cache, TEXT, Scripted(0.5, 0.1), max_retakes=1)
    first = take_key(engine, 1)
    assert cache.chosen(key) == first
    chunk = next(synthesize_cached(engine, [TEXT], cache))
    assert np.array_equal(chunk.samples, cache.get(first, engine.sample_rate)) and cache.used_keys == [first]
    # Damaged take audio: the first take serves, nothing is written under the take's key.
    cache.path(first).write_bytes(b"not flac")
    served = next(synthesize_cached(engine, [TEXT], cache))
    assert np.array_equal(served.samples, cache.get(key, engine.sample_rate)) and not cache.path(first).exists()
    assert cache.chosen(key) == key
    cache.take_path(key).write_text("{not json")
    assert cache.choice(key) is None and cache.chosen(key) == key
    cache.choose(TakeResult(key, 0, key))  # clearing removes the record
    assert not cache.take_path(key).exists()


# --- renders use the chosen take ---------------------------------------------------


def test_a_rerender_uses_the_chosen_take_and_encodes_only_its_segment(tmp_path: Path, monkeypatch):
    script = long_script(paragraphs=12, sentences=4)
    first = renderer(tmp_path, script)
    parts, _ = first.render()
    engine, cache = first.engine, first.cache
    plans = first.plans
    index = plans[1].sentences[3]  # a sentence of the middle segment
    text = first.sentences[index].speech
    result = retake(engine, cache, text, Scripted(0.9, 0.3), max_retakes=1)
    assert result.take == 1

    served = []

    def recording(engine, texts, cache, *args):
        for chunk in synthesize_cached(engine, texts, cache, *args):
            served.append(chunk)
            yield chunk

    monkeypatch.setattr(segments, "synthesize_cached", recording)
    again = renderer(tmp_path, script)
    assert again.speech_keys[index] == result.take_key
    assert [k for i, k in enumerate(again.speech_keys) if i != index] == \
        [k for i, k in enumerate(first.speech_keys) if i != index]
    reparts, _ = again.render()
    assert again.cache.misses == 0  # nothing synthesized
    assert again.reused == len(plans) - 1  # the other segments are reused
    changed = [n for n, (a, b) in enumerate(zip(parts, reparts)) if a.mp3 != b.mp3]
    assert changed == [1] and reparts[1].mp3.read_bytes() != parts[1].mp3.read_bytes()
    assert [c.text for c in served] == [first.sentences[i].speech for i in plans[1].sentences]
    take = next(c.samples for c in served if c.text == text)
    assert np.array_equal(take, cache.get(result.take_key, engine.sample_rate))


def test_episode_render_and_prune_keep_the_chosen_take(show_dir: Path):  # noqa: F811
    show = load_show(show_dir)
    engine = FakeEngine()
    first = render(show_dir, engine=engine)
    cache = SynthCache.for_show(show)
    manifest = cache.folder / "manifests" / f"{first.slug}.txt"
    texts = [s.speech for s in prepare_post(show_dir / "posts" / "short.md", show).sentences()]
    keys = [SynthCache.key(engine.identity(), t) for t in texts]
    assert set(keys) <= set(manifest.read_text().split())  # the texts the render synthesized
    text, key = texts[-1], keys[-1]  # in the last segment: a short post is levelled on trial throughout
    result = retake(engine, cache, text, Scripted(0.8, 0.7, 0.1), max_retakes=3, clean=0.2)
    assert (result.take, result.tried) == (2, 2)

    # Pruned before the re-render: the choice is kept by the sentence's own key.
    report = prune_show_cache(show)
    assert report.removed == 1  # take 1, tried and not chosen
    assert cache.path(result.take_key).is_file() and cache.path(key).is_file() and cache.choice(key) == result

    second = render(show_dir, engine=engine)
    assert (second.stats.cache_misses, second.stats.cache_hits) == (0, first.stats.sentences)
    assert second.stats.segments_reused == second.stats.segments - 1
    listed = set(manifest.read_text().split())
    assert result.take_key in listed and key not in listed
    # The episode uses the take: pruned again, the take and its record stay, and the first
    # take too (clearing the choice then synthesizes nothing).
    prune_show_cache(show)
    assert cache.path(result.take_key).is_file() and cache.path(key).is_file() and cache.choice(key) == result
    cache.choose(TakeResult(key, 0, key))
    third = render(show_dir, engine=engine)
    assert third.stats.cache_misses == 0 and key in manifest.read_text().split()
    assert result.take_key not in manifest.read_text().split()

    # The episode is gone: its takes and their record go with it.
    cache.choose(result)
    shutil.rmtree(show.rendered_dir / first.slug)
    prune_show_cache(show)
    assert not cache.path(result.take_key).exists() and cache.choice(key) is None
    assert not list((cache.folder / "takes").glob("*/*.json"))


# --- every engine, and the real Piper voice -----------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_engine_reads_another_take_the_same_way_each_time(name: str, tmp_path: Path):
    """Fake, Piper (its case speaks without noise: a take adds Piper's default noise) and
    Coqui (a tiny random VITS; its seed moves on)."""
    engine = create_engine(CASES[name](tmp_path).profile, threads=1)
    base = engine.identity()
    take = take_engine(engine, 1)
    assert engine.identity() == base and take.identity() != base and take_engine(engine, 1).identity() == take.identity()
    first = next(engine.synthesize([TEXT])).samples
    once, twice = (next(take_engine(engine, 1).synthesize([TEXT])).samples for _ in range(2))
    assert np.array_equal(once, twice)
    assert not (len(first) == len(once) and np.array_equal(first, once))


def test_piper_takes_differ_and_each_take_repeats():
    from audio.synth.voices import load_voice

    engine = create_engine(load_voice("joe", None), threads=1)
    base = engine.identity()
    takes = {n: take_engine(engine, n) for n in (1, 2)}
    assert engine.identity() == base and len({base, *(t.identity() for t in takes.values())}) == 3
    assert (takes[1].syn_config.noise_scale, takes[2].syn_config.noise_w_scale) == (round(0.667 * 0.8, 4), round(0.8 * 0.6, 4))
    audio = {n: next(t.synthesize([TEXT])).samples for n, t in takes.items()}
    assert not (len(audio[1]) == len(audio[2]) and np.array_equal(audio[1], audio[2]))
    again = next(take_engine(engine, 1).synthesize([TEXT])).samples
    assert np.array_equal(again, audio[1])  # the same take of the same sentence: the same audio
    assert float(np.sqrt(np.mean(audio[2] ** 2))) > 1e-3  # speech, not silence
