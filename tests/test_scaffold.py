"""``audio-essay init``'s show.toml: generated from the settings schema, so every table and
every key is written with its default and its description."""

from __future__ import annotations

import tomllib

from audio.scaffold import init_show
from audio.show import ShowFile, load_show


def test_every_setting_is_written_with_its_description_and_loads_back_to_the_defaults(tmp_path):
    folder = init_show(tmp_path / "my-show")
    text = (folder / "show.toml").read_text(encoding="utf-8")
    written = tomllib.loads(text)
    lines = text.splitlines()
    assert list(written) == list(ShowFile.model_fields)
    for table, info in ShowFile.model_fields.items():
        record = info.annotation
        assert set(written[table]) == set(record.model_fields), table
        for key, setting in record.model_fields.items():
            assert setting.description, f"[{table}] {key} has no description"
            at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
            assert lines[at - 1] == f"# {setting.description}"
    show = load_show(folder)
    defaults = ShowFile()
    assert show.show == defaults.show.model_copy(update={"title": "My Show"})  # the folder names the show
    assert (show.script, show.publish, show.render) == (defaults.script, defaults.publish, defaults.render)
