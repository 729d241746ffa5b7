"""Retakes: a sentence synthesized again, another way, until one take sounds right.

Speech QA finds a sentence that came out wrong (mumbled, cut off, babbling) and asks
``retake`` for more takes of it. Take n is read by the engine's ``variant(n)`` (another
seed, other noise settings; see ``engines.base.take_engine``) and stored in the synthesis
cache under a key of its own. A ``judge`` supplied by the caller scores each take (lower
is better, e.g. an error rate); the best take, the first one included, is recorded in the
cache as the sentence's chosen take, which every later render uses without synthesizing
it again. Nothing here knows how takes are judged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from audio.models import TakeResult
from audio.synth.cache import SynthCache, synthesize_own
from audio.synth.engines.base import Engine, take_engine

Judge = Callable[[np.ndarray], float]  # a take's samples (at the engine's rate) -> its score, lower is better


def retake(engine: Engine, cache: SynthCache, text: str, judge: Judge, max_retakes: int,
           clean: float = 0.0, first_score: float | None = None) -> TakeResult:
    """Takes 1..``max_retakes`` of sentence ``text`` (``engine``'s input text), each judged,
    stopping at the first judged ``clean`` (a score at or below it); the best-scoring take
    is recorded as the sentence's chosen take (on a tie, the earlier take), and returned
    with every score. ``first_score``: take 0's score (the sentence's first synthesis, not
    a chosen take) where the caller has judged it already; else it is judged here, from the cache. A take already in the cache is not
    synthesized again. ``max_retakes`` 0, or an engine without variants: nothing is
    synthesized, judged or recorded."""
    key = SynthCache.key(engine.identity(), text)
    if max_retakes <= 0 or take_engine(engine, 1) is None:
        return TakeResult(key, 0, key, () if first_score is None else (first_score,))
    scores = [judge(synthesize_own(engine, text, cache)[1]) if first_score is None else first_score]
    keys = [key]
    for take in range(1, max_retakes + 1):
        if min(scores) <= clean:
            break
        take_key, samples = synthesize_own(take_engine(engine, take), text, cache)
        keys.append(take_key)
        scores.append(judge(samples))
    best = scores.index(min(scores))
    result = TakeResult(key, best, keys[best], tuple(scores))
    cache.choose(result)
    return result
