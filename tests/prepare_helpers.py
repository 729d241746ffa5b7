"""Helpers for the preparer tests: a throwaway show with chosen [script] options."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from audio.models import Script
from audio.prepare import prepare_post
from audio.script_output import script_text
from audio.show import Show, load_show


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def make_show(folder: Path, author: str = "Ada Writer", base_url: str = "https://www.example.ai", **script: object) -> Show:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["[show]", f"author = {toml_value(author)}", f"base_url = {toml_value(base_url)}", "[script]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in script.items()]
    (folder / "show.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_show(folder)


def prepare_md(tmp_path: Path, body: str, front: str | None = 'title: "A post"\ndate: 2025-04-30', name: str = "post.md", **script: object) -> Script:
    show = make_show(tmp_path / "show", **script)
    text = body if front is None else f"---\n{front}\n---\n{body}"
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return prepare_post(path, show)


def body_text(script: Script) -> str:
    """The spoken text of the sections only (no intro or outro), one paragraph per line."""
    return "\n".join(" ".join(s.text for s in p.sentences) for sec in script.sections for p in sec.paragraphs if p.sentences)


def all_text(script: Script) -> str:
    return script_text(script)


@lru_cache(maxsize=None)
def corpus_script(path: Path) -> Script:
    """A corpus post prepared with the sample show, once per test session."""
    from conftest import SAMPLE_SHOW

    return prepare_post(path, load_show(SAMPLE_SHOW))


GOLDEN = Path(__file__).parent / "golden"


def assert_golden(name: str, text: str, suffix: str = ".script.txt") -> None:
    """``text`` is the golden file ``golden/<name><suffix>`` (a script by default; UPDATE_GOLDEN=1
    rewrites it: read the change before committing it)."""
    golden = GOLDEN / f"{name}{suffix}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"missing golden file {golden} (run with UPDATE_GOLDEN=1 and read it)"
    assert text == golden.read_text(encoding="utf-8")
