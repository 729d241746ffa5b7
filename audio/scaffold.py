"""``audio-essay init DIR``: a new show folder laid out like the sample show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audio.config import Settings
from audio.errors import OutputError
from audio.files import atomic_write
from audio.show import SHOW_FILE, ShowFile, load_show

HEADER = """\
# Settings for this audio-essay show. Every key is optional: a missing key takes the
# default written here. Paths are relative to this folder.
"""


def _toml_value(value: Any) -> str:
    """A setting's value in TOML (a JSON string is a TOML basic string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[\n" + "".join(f"    {_toml_value(v)},\n" for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _is_table(setting: Any) -> bool:
    return isinstance(setting.annotation, type) and issubclass(setting.annotation, Settings)


def _example(name: str, example: dict[str, Any]) -> list[str]:
    """A table keyed by the user (a language code...), shown by its example, commented out."""
    lines = []
    for key, value in example.items():
        if isinstance(value, dict):
            lines += [f"# [{name}.{key}]\n"] + [f"# {k} = {_toml_value(v)}\n" for k, v in value.items()]
        else:
            lines.append(f"# {key} = {_toml_value(value)}\n")
    return lines


def _table(name: str, record: type[Settings], title: str) -> list[str]:
    """``[name]``: its one-line description, then every key at its default with its
    description as a comment, then its own tables (``[publish.listen_on]``, and those keyed
    by the user, such as ``[script.languages.es]``, as commented examples)."""
    about = (record.__doc__ or "").strip().splitlines()[0].partition(": ")[2]
    parts, tables = [f"\n[{name}]\n# {about}\n"], []
    for key, setting in record.model_fields.items():
        if _is_table(setting):
            tables += _table(f"{name}.{key}", setting.annotation, title)
        elif isinstance(setting.default, dict):
            tables += [f"\n# {setting.description}:\n", *_example(f"{name}.{key}", setting.examples[0])]
        else:
            value = title if (name, key) == ("show", "title") else setting.default
            parts.append(f"# {setting.description}\n{key} = {_toml_value(value)}\n")
    return parts + tables


def show_toml(title: str) -> str:
    """The whole ``show.toml``: every table of the schema and every key at its default,
    each with its description as a comment; ``title`` names the show."""
    parts = [HEADER]
    for table, info in ShowFile.model_fields.items():
        if _is_table(info):
            parts += _table(table, info.annotation, title)
        else:  # a table keyed by the user: [voices]
            parts += [f"\n[{table}]\n# {info.description}\n", *_example("", info.examples[0])]
    return "".join(parts)


EXAMPLE_POST = """\
---
title: "An example post"
subtitle: "Replace me with your own writing."
date: 2025-01-01
type: newsletter
audience: everyone
---
This is an example post. Write posts in Markdown, with optional YAML front matter as
above, or drop in Substack HTML exports. Links are kept in the show notes, and
[their text](https://example.com) is read aloud, but never the address.

## A second section

Each heading starts a new section, which becomes a chapter of the episode.
"""


def init_show(folder: str | Path) -> Path:
    """Create ``folder`` with a documented ``show.toml`` and ``posts/`` holding an example.

    Refuses to touch a folder that already has a ``show.toml``.
    """
    folder = Path(folder)
    config = folder / SHOW_FILE
    if config.exists():
        raise OutputError(config, "already exists; not overwriting an existing show")
    if folder.exists() and not folder.is_dir():
        raise OutputError(folder, "exists and is not a folder")
    title = folder.resolve().name.replace("-", " ").replace("_", " ").strip().title() or "My audio essays"
    text = show_toml(title)
    try:
        example = folder / "posts" / "example-post.md"
        if not example.exists():
            atomic_write(example, lambda tmp: tmp.write_text(EXAMPLE_POST, encoding="utf-8"))
        atomic_write(config, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise OutputError(folder, f"cannot create the show ({exc.strerror or exc})") from exc
    load_show(folder)  # the scaffold must load cleanly
    return folder
