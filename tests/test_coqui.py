"""The coqui engine through coqui's real loading path, on tiny random models.

Needs the coqui extra (skipped without it on a user's machine, required in CI):
    pip install -e '.[coqui]' && pip install --no-deps torchaudio==2.11.0 torchcodec==0.17.0
"""

from __future__ import annotations

import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from coqui_models import FRAMES_PER_TOKEN, coqui_available, reference_clip, tiny_vits, tiny_xtts

from audio.cli import main
from audio.errors import ConfigError, EngineError
from audio.show import load_show
from audio.synth.engines import coqui
from audio.synth.engines.registry import check_voice, create_engine
from audio.synth.voices import load_voice

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def vits_dir(tmp_path_factory) -> Path:
    coqui_available()
    return tiny_vits(tmp_path_factory.mktemp("models") / "my-vits")


@pytest.fixture(scope="module")
def xtts_show(tmp_path_factory) -> Path:
    """A show whose voices/ holds an XTTS profile and its reference clips."""
    coqui_available()
    show = tmp_path_factory.mktemp("xtts-show")
    tiny_xtts(show / "models" / "xtts")
    reference_clip(show / "voices" / "me" / "take1.wav")
    reference_clip(show / "voices" / "me" / "take2.wav", seconds=3.0)
    (show / "voices" / "me.toml").write_text('engine = "coqui"\nmodel = "../models/xtts"\nlanguage = "en-us"\n', encoding="utf-8")
    return show


def vits_show(tmp_path: Path, vits_dir: Path, params: str = "") -> Path:
    (tmp_path / "voices").mkdir(exist_ok=True)
    (tmp_path / "voices" / "mine.toml").write_text(f'engine = "coqui"\nmodel = "{vits_dir}"\n{params}', encoding="utf-8")
    return tmp_path


def test_vits_loads_through_the_tts_api(tmp_path, vits_dir):
    engine = create_engine(load_voice("mine", load_show(vits_show(tmp_path, vits_dir))), threads=1)
    from TTS.api import TTS

    assert isinstance(engine.tts, TTS)
    assert Path(engine.tts.synthesizer.tts_checkpoint) == vits_dir / "model.pth"
    assert not engine.is_xtts and engine.sample_rate == 22050
    [chunk] = engine.synthesize(["Hello from a tiny model."])
    # Coqui's 10,000 samples of padding are removed: the length is the model's frames.
    tokens = 2 * len("hello from a tiny model.") + 1  # characters with blanks between and around
    assert len(chunk.samples) == tokens * FRAMES_PER_TOKEN * 256


def test_vits_parameters_change_the_audio(tmp_path, vits_dir):
    show = load_show(vits_show(tmp_path, vits_dir, "[params]\nlength_scale = 2\nnoise_scale = 0.0\n"))
    slow = create_engine(load_voice("mine", show), threads=1)
    normal = create_engine(replace(load_voice("mine", show), params={}), threads=1)
    assert slow.model is normal.model  # one loaded model per process, whatever the parameters
    for _ in range(2):  # alternate: each engine applies its own settings every time
        [a] = slow.synthesize(["Some words."])
        [b] = normal.synthesize(["Some words."])
        assert len(a.samples) == 2 * len(b.samples)
    assert slow.identity() != normal.identity()


def test_seeded_per_sentence_so_takes_are_repeatable(tmp_path, vits_dir):
    profile = load_voice("mine", load_show(vits_show(tmp_path, vits_dir)))
    first = [c.samples for c in create_engine(profile).synthesize(["One.", "Two."])]
    again = [c.samples for c in create_engine(profile).synthesize(["Two."])]
    assert np.array_equal(first[1], again[0])  # the same sentence, whatever comes before it
    other = create_engine(replace(profile, params={"seed": 1}))
    assert not np.array_equal(next(other.synthesize(["Two."])).samples, first[1])
    assert other.identity() != create_engine(profile).identity()


def test_params_of_another_model_type_are_config_errors(tmp_path, vits_dir):
    show = load_show(vits_show(tmp_path, vits_dir, "[params]\ntemperature = 0.5\n"))
    with pytest.raises(ConfigError, match="temperature: not used by this model"):
        create_engine(load_voice("mine", show))
    (tmp_path / "voices" / "mine.toml").write_text(f'engine = "coqui"\nmodel = "{vits_dir}"\n[params]\nspeaker = "bob"\n')
    with pytest.raises(ConfigError, match="single speaker"):
        create_engine(load_voice("mine", show))


def test_xtts_clones_from_reference_clips_and_caches_latents(xtts_show):
    show = load_show(xtts_show)
    profile = load_voice("me", show)
    assert check_voice(profile) is None
    engine = create_engine(profile, threads=1)
    assert engine.is_xtts and engine.sample_rate == 24000 and engine.max_sentence_chars == 250
    chunks = list(engine.synthesize(["Hello there.", "A second sentence."]))
    assert [c.text for c in chunks] == ["Hello there.", "A second sentence."]
    for chunk in chunks:
        assert chunk.samples.dtype == np.float32 and chunk.samples.ndim == 1 and chunk.duration_s > 0.1
        assert np.max(np.abs(chunk.samples)) > 1e-3
    cached = list((xtts_show / "voices" / "me").glob(".latents-*.pth"))
    assert len(cached) == 1

    # A second engine reuses the cached latents instead of reading the clips again.
    def no_recompute(*args):
        raise AssertionError("latents recomputed")

    original = coqui.CoquiEngine._conditioning_latents
    coqui.CoquiEngine._conditioning_latents = no_recompute
    try:
        again = create_engine(profile, threads=1)
    finally:
        coqui.CoquiEngine._conditioning_latents = original
    assert np.array_equal(next(again.synthesize(["Hello there."])).samples, chunks[0].samples)


def test_xtts_corrupt_latents_cache_is_recomputed(xtts_show):
    profile = load_voice("me", load_show(xtts_show))
    create_engine(profile)
    [cached] = (xtts_show / "voices" / "me").glob(".latents-*.pth")
    good = create_engine(profile).voice[0].clone()
    cached.write_bytes(b"garbage")
    engine = create_engine(profile)
    assert np.allclose(engine.voice[0].numpy(), good.numpy())
    assert cached.stat().st_size > 100  # rewritten


def test_xtts_identity_follows_the_reference_clips(xtts_show, tmp_path):
    show = load_show(xtts_show)
    before = create_engine(load_voice("me", show)).identity()
    clip = xtts_show / "voices" / "me" / "take2.wav"
    saved = clip.read_bytes()
    try:
        reference_clip(clip, seconds=2.0)
        after = create_engine(load_voice("me", show))
        assert after.identity() != before
        assert len(list(clip.parent.glob(".latents-*.pth"))) == 2  # new clips, new latents
    finally:
        clip.write_bytes(saved)


def test_xtts_without_clips_is_reported(xtts_show, tmp_path):
    (xtts_show / "voices" / "nobody.toml").write_text('engine = "coqui"\nmodel = "../models/xtts"\n', encoding="utf-8")
    profile = load_voice("nobody", load_show(xtts_show))
    assert "no reference clips" in check_voice(profile)
    with pytest.raises(EngineError, match="no reference clips"):
        create_engine(profile)


def offline() -> bool:
    try:
        socket.create_connection(("github.com", 443), timeout=3).close()
        return False
    except OSError:
        return True


def test_catalogue_name_without_internet_is_one_clear_line(tmp_path, monkeypatch):
    coqui_available()
    if not offline():
        pytest.skip("the internet is reachable: the catalogue model would really be downloaded")
    monkeypatch.setenv("TTS_HOME", str(tmp_path / "tts-home"))
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "lj.toml").write_text('engine = "coqui"\nmodel = "tts_models/en/ljspeech/vits"\n', encoding="utf-8")
    profile = load_voice("lj", load_show(tmp_path))
    assert "not downloaded" in check_voice(profile)
    result = CliRunner().invoke(main, ["voices", "--show", str(tmp_path), "say", "lj", "Hello.", "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith("audio-essay: ") and "cannot download coqui model tts_models/en/ljspeech/vits" in line
    assert len(line.splitlines()) == 1 and not (tmp_path / "x.wav").exists()


def test_broken_checkpoint_is_an_engine_error(tmp_path, vits_dir):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_bytes((vits_dir / "config.json").read_bytes())
    (broken / "model.pth").write_bytes(b"not a checkpoint")
    show = load_show(vits_show(tmp_path, broken))
    with pytest.raises(EngineError, match="cannot (load|read) coqui model"):
        create_engine(load_voice("mine", show))


def test_missing_extra_says_what_to_install(tmp_path, monkeypatch):
    """Runs with or without the extra: the check is made to see it missing."""
    monkeypatch.setattr(coqui, "missing_modules", lambda: ["TTS", "torchaudio"])
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "mine.toml").write_text('engine = "coqui"\nmodel = "somewhere"\n', encoding="utf-8")
    with pytest.raises(EngineError) as err:
        create_engine(load_voice("mine", load_show(tmp_path)))
    assert "pip install 'audio-essay[coqui]'" in err.value.reason and "torchaudio==2.11.0" in err.value.reason
    result = CliRunner().invoke(main, ["voices", "--show", str(tmp_path)])
    assert result.exit_code == 0
    assert "mine             coqui    not ready: coqui extra not installed (TTS, torchaudio missing)" in result.output


def test_shipped_coqui_profiles_are_documented_examples():
    for name in ("my-vits", "my-xtts"):
        profile = load_voice(name, None)
        assert profile.engine == "coqui" and profile.description
        text = profile.source.read_text(encoding="utf-8")
        assert "audio-essay[coqui]" in text


def test_piper_and_the_package_never_import_torch():
    code = (
        "import sys, audio, audio.cli, audio.synth.voices, audio.synth.cache, audio.synth.engines.coqui;"
        "from audio.synth.engines.registry import create_engine;"
        "from audio.synth.voices import load_voice, voice_report;"
        "voice_report(None);"
        "e = create_engine(load_voice('joe', None), threads=1); list(e.synthesize(['Hi.']));"
        "bad = [m for m in ('torch', 'TTS', 'torchaudio') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
