"""Reading posts: metadata from every input format, and one-line errors for bad files."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import CORPUS, SAMPLE_POST, SAMPLE_SHOW, require
from prepare_helpers import body_text, corpus_script, make_show

from audio.errors import AudioEssayError, InputError
from audio.prepare import prepare_post, read_post
from audio.show import load_show


def test_seed_metadata():
    post = read_post(SAMPLE_POST, load_show(SAMPLE_SHOW))
    meta = post.meta
    assert meta.title == "State of play of AI progress (and related brakes on an intelligence explosion)"
    assert meta.subtitle == "Why I don't think AI 2027 is going to come true."
    assert meta.author == "Nathan Lambert"  # the show's default
    # email_sent_at is preferred over the bare date, and it is timezone-aware.
    assert meta.date == datetime(2025, 4, 30, 12, 2, 24, 452000, tzinfo=timezone.utc)
    assert meta.slug == "brakes-on-an-intelligence-explosion"
    assert meta.post_id == "160875693.brakes-on-an-intelligence-explosion"
    assert meta.type == "newsletter" and meta.audience == "everyone"
    assert meta.canonical_url == "https://www.interconnects.ai/p/brakes-on-an-intelligence-explosion"
    assert len(post.source_hash) == 64
    assert post.ast["blocks"], "the body is parsed"


def test_front_matter_pandoc_rejects_is_read_leniently(tmp_path):
    """Real exports hold titles YAML rejects: ``title: ""10 years of automation""``."""
    path = tmp_path / "odd.md"
    path.write_text('---\ntitle: ""10 years of automation in 1 year""\nsubtitle: "What \\"it\\" means"\n'
                    "date: 2020-06-12\npost_id: 516347.10-years\n---\nSome prose here.\n", encoding="utf-8")
    meta = read_post(path, make_show(tmp_path / "show")).meta
    assert meta.title == '"10 years of automation in 1 year"'
    assert meta.subtitle == 'What "it" means'
    assert meta.slug == "10-years"
    assert meta.date == datetime(2020, 6, 12, tzinfo=timezone.utc)


def test_corpus_front_matter_all_parse(corpus):
    for path in corpus:
        meta = corpus_script(path).meta
        assert meta.title and meta.slug and meta.date is not None and meta.date.tzinfo is not None, path.name
        assert meta.canonical_url.startswith("https://www.interconnects.ai/p/"), path.name


def test_author_type_audience_and_canonical_from_front_matter(tmp_path):
    path = tmp_path / "p.md"
    path.write_text('---\ntitle: T\nauthor: ["Jo A", "Sam B"]\ntype: podcast\naudience: only_paid\n'
                    "canonical_url: https://elsewhere.org/x\ndate: 2024-02-29T10:00:00-05:00\n---\nWords.\n",
                    encoding="utf-8")
    meta = read_post(path, make_show(tmp_path / "show")).meta
    assert meta.author == "Jo A, Sam B"
    assert (meta.type, meta.audience) == ("podcast", "only_paid")
    assert meta.canonical_url == "https://elsewhere.org/x"
    assert meta.date.utcoffset().total_seconds() == -5 * 3600
    assert meta.slug == "p"


def test_commonmark_without_front_matter_takes_title_from_first_heading(tmp_path):
    path = tmp_path / "notes-on-things.md"
    path.write_text("# The Real Title\n\nFirst paragraph with a [link](https://a.example/x).\n\n"
                    "## Part two\n\n- one item\n- two item\n", encoding="utf-8")
    show = make_show(tmp_path / "show")
    script = prepare_post(path, show)
    assert script.meta.title == "The Real Title"
    assert script.meta.slug == "notes-on-things"
    assert script.meta.canonical_url == "https://www.example.ai/p/notes-on-things"
    # The title heading is said once, in the intro, not again as a section.
    assert [s.title for s in script.sections] == [None, "Part two"]
    assert body_text(script).splitlines()[0] == "First paragraph with a link."


def test_commonmark_without_heading_takes_title_from_file_name(tmp_path):
    path = tmp_path / "why_i-write.md"
    path.write_text("Just prose.\n", encoding="utf-8")
    meta = read_post(path, make_show(tmp_path / "show")).meta
    assert meta.title == "Why i write"
    assert meta.date is None


def test_substack_export_body_html(tmp_path):
    path = tmp_path / "160875693.my-html-post.html"
    path.write_text('<p>Hello <a href="https://x.example/">world</a>.</p>'
                    '<h2>Section</h2><p>More text.</p>', encoding="utf-8")
    post = read_post(path, make_show(tmp_path / "show"))
    assert post.meta.slug == "my-html-post"
    assert post.meta.post_id == "160875693.my-html-post"
    assert post.meta.title == "Section"  # first heading, kept in place (it is not first)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\n\t ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file, not a text post"),
        (b"caf\xe9 au lait", "not UTF-8 text (bad byte at offset 3)"),
    ],
)
def test_bad_files_are_input_errors(tmp_path, content, reason):
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_post(path, make_show(tmp_path / "show"))
    assert info.value.path == str(path)
    assert info.value.reason == reason


def test_missing_file_and_folder(tmp_path):
    show = make_show(tmp_path / "show")
    with pytest.raises(InputError, match="no such file"):
        read_post(tmp_path / "nope.md", show)
    with pytest.raises(InputError, match="is a folder, not a post"):
        read_post(tmp_path, show)


def test_bad_date_and_front_matter_only(tmp_path):
    show = make_show(tmp_path / "show")
    path = tmp_path / "d.md"
    path.write_text("---\ntitle: T\ndate: next tuesday\n---\nText.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"front matter date: not a date \('next tuesday'\)"):
        read_post(path, show)
    path.write_text("---\ntitle: T\n---\n", encoding="utf-8")
    with pytest.raises(InputError, match="no text to read aloud"):
        prepare_post(path, show)


def test_only_package_errors(tmp_path):
    """A post that is only chrome is a clear error, not a crash."""
    path = tmp_path / "chrome.md"
    path.write_text('::: {.subscription-widget-wrap component-name="SubscribeWidgetToDOM"}\nSubscribe\n:::\n',
                    encoding="utf-8")
    with pytest.raises(AudioEssayError):
        prepare_post(path, make_show(tmp_path / "show"))


def test_corpus_location_is_outside_the_repo():
    require(CORPUS.is_dir(), f"the corpus is missing at {CORPUS}")
    assert not CORPUS.resolve().is_relative_to(Path(__file__).resolve().parents[1])
