"""``audio-essay init``'s show.toml: generated from the settings schema, so every table and
every key is written with its default and its description."""

from __future__ import annotations

import tomllib

from audio.config import Settings
from audio.scaffold import init_show
from audio.show import ShowFile, load_show


def _assert_table(name, record, written, lines):
    """Every key of ``record`` is in ``written`` with its description on the line above; a
    table of its own (``[publish.listen_on]``) is written as one, the same way."""
    keyed_by_user = {key for key, setting in record.model_fields.items() if isinstance(setting.default, dict)}
    assert set(written) == set(record.model_fields) - keyed_by_user, name
    for key, setting in record.model_fields.items():
        assert setting.description, f"[{name}] {key} has no description"
        if key in keyed_by_user:  # [script.languages.es]: an example, commented out
            assert f"# {setting.description}:" in lines and f"# [{name}.{key}.es]" in lines
            continue
        if isinstance(setting.annotation, type) and issubclass(setting.annotation, Settings):
            assert f"[{name}.{key}]" in lines
            _assert_table(f"{name}.{key}", setting.annotation, written[key], lines)
            continue
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
        assert lines[at - 1] == f"# {setting.description}"


def test_every_setting_is_written_with_its_description_and_loads_back_to_the_defaults(tmp_path):
    folder = init_show(tmp_path / "my-show")
    text = (folder / "show.toml").read_text(encoding="utf-8")
    written = tomllib.loads(text)
    lines = text.splitlines()
    assert list(written) == list(ShowFile.model_fields)
    for table, info in ShowFile.model_fields.items():
        if isinstance(info.default, dict):  # [voices]: keyed by language, an example commented out
            assert written[table] == {} and f"# {info.description}" in lines and '# es = "my-spanish"' in lines
        else:
            _assert_table(table, info.annotation, written[table], lines)
    show = load_show(folder)
    defaults = ShowFile()
    assert show.show == defaults.show.model_copy(update={"title": "My Show"})  # the folder names the show
    assert (show.script, show.publish, show.render, show.voices) == (
        defaults.script, defaults.publish, defaults.render, defaults.voices)
