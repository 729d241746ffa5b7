"""``audio-essay script`` and ``audio-essay init``: output formats, exact errors, exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_POST, SAMPLE_SHOW

from audio.cli import main
from audio.prepare import prepare_post
from audio.script_output import SCRIPT_SCHEMA_VERSION, script_text
from audio.show import load_show


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_script_text_is_exactly_what_is_spoken(runner, sample_show):
    post = sample_show / "posts" / SAMPLE_POST.name
    result = runner.invoke(main, ["script", str(post)])
    assert result.exit_code == 0, result.output
    script = prepare_post(post, load_show(sample_show))
    assert result.output == script_text(script)
    blocks = result.output.rstrip("\n").split("\n\n")
    # title block, one block per section (heading first), outro
    assert len(blocks) == len(script.sections) + 2
    assert blocks[0].startswith("State of play of A I progress")
    assert blocks[2].split("\n")[0] == "One. How labs make progress on evaluations"
    assert blocks[-1] == "Thanks for listening. The full post, with links and footnotes, is at interconnects dot ai."
    spoken = [s.text for s in script.sentences()]
    assert " ".join(result.output.split()) == " ".join(" ".join(spoken).split())


def test_script_json_schema(runner):
    result = runner.invoke(main, ["script", str(SAMPLE_POST), "--show", str(SAMPLE_SHOW), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == SCRIPT_SCHEMA_VERSION
    assert set(data) == {"schema", "meta", "intro", "sections", "outro", "omissions", "notes_html", "word_count",
                         "source_hash"}
    assert data["meta"]["slug"] == "brakes-on-an-intelligence-explosion"
    assert data["meta"]["date"] == "2025-04-30T12:02:24.452000+00:00"
    section = data["sections"][1]
    assert section["title"] == "1. How labs make progress on evaluations"
    assert section["paragraphs"][0]["kind"] == "heading"
    first = section["paragraphs"][1]["sentences"][0]
    assert set(first) == {"text", "speech", "written"}
    assert first["text"].startswith("One of the hardest things to communicate in A I is")  # spoken
    assert first["written"].startswith("One of the hardest things to communicate in AI is")  # the post's words
    assert {o["kind"] for o in data["omissions"]} == {"image", "embed"}
    assert '<a href="https://ai-2027.com/"' in data["notes_html"]
    assert data["word_count"] > 3000


def test_lexicon_report(runner, tmp_path):
    show = tmp_path / "show"
    show.mkdir()
    (show / "show.toml").write_text('[script]\nlexicon = "lexicon.toml"\n', encoding="utf-8")
    (show / "lexicon.toml").write_text('[[entry]]\nmatch = "Kokotajlo"\nsay = "coco tie lo"\n', encoding="utf-8")
    result = runner.invoke(main, ["script", str(SAMPLE_POST), "--show", str(show), "--lexicon-report"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "lexicon entries (times fired):"
    assert lines[1].split() == ["1", "Kokotajlo"]
    assert "uncovered words (occurrences), candidates for the lexicon:" in lines
    assert any(line.split()[-1] == "GPQA" for line in lines)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty file"), (b"\x00\x01\x02binary", "binary file, not a text post"),
     (b"\xff\xfe\xfa", "not UTF-8 text (bad byte at offset 0)")],
)
def test_bad_posts_exit_2_with_one_line(runner, tmp_path, content, reason):
    post = tmp_path / "bad.md"
    post.write_bytes(content)
    result = runner.invoke(main, ["script", str(post), "--show", str(SAMPLE_SHOW)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"audio-essay: {post}: {reason}\n"


def test_missing_post_exits_2(runner, tmp_path):
    post = tmp_path / "missing.md"
    result = runner.invoke(main, ["script", str(post), "--show", str(SAMPLE_SHOW)])
    assert result.exit_code == 2
    assert result.stderr == f"audio-essay: {post}: no such file\n"


def test_bad_show_exits_2(runner, tmp_path):
    (tmp_path / "show.toml").write_text("[script]\nread_footnotes = 3\n", encoding="utf-8")
    result = runner.invoke(main, ["script", str(SAMPLE_POST), "--show", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == (f"audio-essay: {tmp_path / 'show.toml'}: script.read_footnotes: "
                             "expected true or false, got 3\n")


def test_init_scaffolds_a_working_show(runner, tmp_path):
    folder = tmp_path / "my-show"
    result = runner.invoke(main, ["init", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "show.toml").is_file() and (folder / "posts" / "example-post.md").is_file()
    show = load_show(folder)
    assert show.show.title == "My Show"
    assert show.script.read_footnotes is False and show.script.frame_quotes is True
    text = runner.invoke(main, ["script", str(folder / "posts" / "example-post.md")])
    assert text.exit_code == 0
    assert text.output.splitlines()[0].startswith("An example post. Replace me with your own writing.")
    assert "example dot com" in text.output and "https" not in text.output
    again = runner.invoke(main, ["init", str(folder)])
    assert again.exit_code == 2
    assert again.stderr == f"audio-essay: {folder / 'show.toml'}: already exists; not overwriting an existing show\n"


def test_prepare_posts_matches_prepare_post(corpus):
    from audio.prepare import prepare_posts

    show = load_show(SAMPLE_SHOW)
    some = corpus[::16]
    assert [script_text(s) for s in prepare_posts(some, show)] == [script_text(prepare_post(p, show)) for p in some]
