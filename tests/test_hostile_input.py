"""Hostile posts: a YAML alias bomb, an over-size post, deep nesting, too many
sentences. Every command that reads posts (``script``, ``render``, ``import``; ``batch``
renders through the same preparer) refuses them the same way: one line naming the file,
exit status 2, quickly; and a folder import imports the good posts beside a bad one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prepare_helpers import make_show

from audio import limits
from audio.back_catalogue.importer import import_source
from audio.cli import main
from audio.errors import AudioEssayError, InputError
from audio.limits import PostLimits
from audio.prepare import prepare_post, read_post
from audio.readers import pandoc
from audio.show import load_show

GOOD = "---\ntitle: {title}\n---\nA short post about {title}. It has two sentences.\n"
# Billion laughs: nine levels of nine aliases, a billion strings once expanded.
BOMB_FRONT = "\n".join(
    ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi")]
    + ["title: *i"]
)
BOMB = f"---\n{BOMB_FRONT}\n---\nHello there.\n"
ALIAS_REFUSED = "front matter uses a YAML alias (*a); aliases are not allowed"
DEEP = "nested more than 100 levels deep at line {line} (blockquotes, lists or HTML elements)"
DEEP_AST = "nested more than 100 levels deep (blockquotes, lists or other elements)"
OVER_SIZE = "{size} bytes: over the 16777216-byte limit for one post"


@pytest.fixture
def show_dir(tmp_path: Path) -> Path:
    """A show whose voice is the fake engine (render runs in a second)."""
    folder = tmp_path / "show"
    make_show(folder)
    (folder / "voices").mkdir()
    (folder / "voices" / "tones.toml").write_text('engine = "fake"\n[params]\nchars_per_second = 40\n')
    config = folder / "show.toml"
    config.write_text(config.read_text() + '[render]\nvoice = "tones"\n')
    return folder


def _post(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _over_size(folder: Path) -> Path:
    """A sparse file just over the limit: nothing large on disk."""
    path = folder / "huge.md"
    with path.open("wb") as f:
        f.truncate(limits.POST.max_bytes + 1)
    return path


def _run(*args: str) -> tuple[int, str, float]:
    started = time.monotonic()
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output and not isinstance(result.exception, RecursionError)
    return result.exit_code, result.output, time.monotonic() - started


def _refused_everywhere(post: Path, show_dir: Path, reason: str) -> None:
    """script, render and import each print exactly one line for the post, exit 2, quickly."""
    line = f"audio-essay: {post}: {reason}\n"
    for args in (["script", str(post), "--show", str(show_dir)],
                 ["render", str(post), "--show", str(show_dir), "--quiet"],
                 ["import", str(post), "--show", str(show_dir)]):
        code, output, seconds = _run(*args)
        assert code == 2, (args, output)
        assert line in output, (args, output)
        assert output.count("audio-essay:") == 1, output
        assert seconds < 20, (args, seconds)
    assert not (show_dir / "rendered").exists() or not any((show_dir / "rendered").iterdir())


# --- front matter ----------------------------------------------------------------------------


def test_alias_bomb_is_refused_at_once_by_every_command(tmp_path, show_dir):
    _refused_everywhere(_post(tmp_path, "bomb.md", BOMB), show_dir, ALIAS_REFUSED)


def test_an_alias_bomb_cannot_hide_in_the_lenient_fallback(tmp_path):
    """Front matter YAML rejects as a whole is read line by line; a one-line bomb is
    still refused, not expanded."""
    levels = ['&a [1, 1, 1, 1, 1, 1, 1, 1, 1]'] + [f"&{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefg", "bcdefgh")]
    front = f'title: ""10 years""\nbomb: [{", ".join(levels)}]\nsubtitle: *h'
    post = _post(tmp_path, "p.md", f"---\n{front}\n---\nHello there.\n")
    with pytest.raises(InputError) as refused:
        read_post(post, make_show(tmp_path / "show"))
    assert refused.value.message == f"{post}: {ALIAS_REFUSED}"


def test_a_star_that_is_no_alias_is_still_text(tmp_path):
    post = _post(tmp_path, "p.md", "---\ntitle: *Updated* notes on *scaling\n---\nHello there.\n")
    assert read_post(post, make_show(tmp_path / "show")).meta.title == "*Updated* notes on *scaling"


@pytest.mark.parametrize(("front", "reason"), [
    ("title: " + "[" * 500 + "]" * 500, "front matter nested more than 100 levels deep"),
    ("title: T\nnote: " + "x" * 70_000, "front matter is 70015 bytes, over the 65536-byte limit"),
    ("title: T\ndate: 2024-13-45", "front matter date: not a date ('2024-13-45')"),
])
def test_hostile_front_matter_is_one_line(tmp_path, show_dir, front, reason):
    post = _post(tmp_path, "p.md", f"---\n{front}\n---\nHello there.\n")
    code, output, _ = _run("script", str(post), "--show", str(show_dir))
    assert (code, output) == (2, f"audio-essay: {post}: {reason}\n")


def test_values_yaml_types_cannot_hold_are_read_as_text(tmp_path):
    digits = "1" * 5000  # over Python's int-from-string limit
    post = _post(tmp_path, "p.md", f"---\ntitle: {digits}\n---\nHello there.\n")
    assert read_post(post, make_show(tmp_path / "show")).meta.title == digits


# --- size ------------------------------------------------------------------------------------


def test_over_size_post_is_refused_before_it_is_read(tmp_path, show_dir):
    post = _over_size(tmp_path)
    _refused_everywhere(post, show_dir, OVER_SIZE.format(size=limits.POST.max_bytes + 1))


def test_import_and_the_reader_share_one_size_limit():
    from audio.back_catalogue.importer import ImportLimits

    assert ImportLimits().max_file_bytes == limits.POST.max_bytes == 16 * 1024 * 1024


# --- nesting ---------------------------------------------------------------------------------


def test_blockquotes_400_deep_are_refused(tmp_path, show_dir):
    post = _post(tmp_path, "quotes.md", "---\ntitle: Deep\n---\nIntro.\n\n" + "> " * 400 + "Deep text.\n")
    _refused_everywhere(post, show_dir, DEEP.format(line=6))


def test_lists_5000_deep_are_refused(tmp_path, show_dir):
    post = _post(tmp_path, "lists.md", "Intro.\n\n" + "- " * 5000 + "item\n")
    _refused_everywhere(post, show_dir, DEEP.format(line=3))


def test_indented_lists_are_refused_before_pandoc(tmp_path, show_dir):
    """Pandoc takes minutes over a list indented 1,000 deep (its reader is quadratic)."""
    post = _post(tmp_path, "indented.md", "Intro.\n\n" + "\n".join("  " * i + "- item" for i in range(1000)) + "\n")
    code, output, seconds = _run("script", str(post), "--show", str(show_dir))
    assert (code, output) == (2, f"audio-essay: {post}: {DEEP.format(line=203)}\n")
    assert seconds < 5


def test_html_nested_5000_deep_is_refused(tmp_path, show_dir):
    post = _post(tmp_path, "deep.html", "<p>Intro.</p>" + "<blockquote>" * 5000 + "text" + "</blockquote>" * 5000)
    _refused_everywhere(post, show_dir, DEEP.format(line=1))


def test_nesting_only_pandoc_shows_is_refused_after_it(tmp_path, show_dir):
    """Emphasis nested 300 deep: no line prefix shows it, the document does."""
    post = _post(tmp_path, "emph.md", "Intro.\n\n" + "*_" * 150 + "text" + "_*" * 150 + "\n")
    code, output, _ = _run("script", str(post), "--show", str(show_dir))
    assert (code, output) == (2, f"audio-essay: {post}: {DEEP_AST}\n")


@pytest.mark.parametrize(("name", "text"), [
    ("quotes.md", "Intro.\n\n" + "> " * 98 + "Deep text.\n"),
    ("ordered.md", "Intro.\n\n" + "\n".join("   " * i + "1. item" for i in range(97)) + "\n"),
    ("bullets.md", "Intro.\n\n" + "\n".join("  " * i + "- item" for i in range(97)) + "\n"),
    ("embeds.html", "<p>Intro.</p>" + '<div class="embedded-post-wrap">' * 97 + '<a href="https://x.com/a">link</a>'
     + "</div>" * 97),
    ("tables.html", "<p>Intro.</p>" + "<table><tr><td>" * 30 + "text" + "</td></tr></table>" * 30),
    ("spans.html", "<p>Intro. " + '<span><a href="https://x.com">' * 45 + "text" + "</a></span>" * 45 + "</p>"),
])
def test_nesting_under_the_limit_is_read(tmp_path, show_dir, name, text):
    """Just under the limit, every walk over the post (script, notes) gets through."""
    post = _post(tmp_path, name, text)
    code, output, _ = _run("script", str(post), "--show", str(show_dir), "--format", "json")
    assert code == 0, output
    assert '"notes_html"' in output


# --- sentences and pandoc's budget ---------------------------------------------------------


def test_too_many_sentences_are_refused(tmp_path, show_dir, monkeypatch):
    monkeypatch.setattr(limits, "POST", PostLimits(max_sentences=50))
    post = _post(tmp_path, "long.md", "---\ntitle: Long\n---\n" + "\n\n".join("Go now. Stop here." for _ in range(30)))
    reason = "more than 50 sentences: over the limit for one post"
    _refused_everywhere(post, show_dir, reason)
    monkeypatch.setattr(limits, "POST", PostLimits(max_sentences=60))
    script = prepare_post(post, load_show(show_dir))
    assert sum(len(p.sentences) for s in script.sections for p in s.paragraphs) == 60


def test_the_default_sentence_cap():
    assert limits.POST.max_sentences == 20_000


def test_pandoc_runs_within_a_time_budget(tmp_path, show_dir, monkeypatch):
    """Twenty unclosed brackets: recent pandocs' Markdown reader backtracks on them for
    minutes (older ones do not). The budget holds whatever pandoc does: here a pandoc
    that never answers."""
    monkeypatch.setattr(limits, "POST", PostLimits(pandoc_seconds=1, pandoc_seconds_per_mib=0))
    hung = tmp_path / "pandoc"
    hung.write_text("#!/bin/sh\nexec sleep 60\n", encoding="ascii")
    hung.chmod(0o755)
    monkeypatch.setattr(pandoc, "pandoc_path", lambda: str(hung))
    post = _post(tmp_path, "brackets.md", "Intro.\n\n" + "[" * 25 + "text\n")
    code, output, seconds = _run("script", str(post), "--show", str(show_dir))
    assert (code, output) == (2, f"audio-essay: {post}: pandoc could not read it within 1 s (too large or too complex)\n")
    assert seconds < 10


def test_pandoc_runs_within_a_memory_budget(tmp_path, show_dir, monkeypatch):
    monkeypatch.setattr(limits, "POST", PostLimits(pandoc_heap_mib=8))
    post = _post(tmp_path, "wide.md", "Intro.\n\n" + "A sentence of prose, not very long.\n" * 40_000)
    code, output, _ = _run("script", str(post), "--show", str(show_dir))
    assert (code, output) == (2, f"audio-essay: {post}: pandoc could not read it within 8 MiB of memory "
                                 "(too large or too complex)\n")


# --- isolation in import ---------------------------------------------------------------------


def test_folder_import_keeps_the_good_posts_beside_bad_ones(tmp_path, show_dir):
    folder = tmp_path / "posts"
    folder.mkdir()
    _post(folder, "one.md", GOOD.format(title="One"))
    _post(folder, "two.md", GOOD.format(title="Two"))
    bomb = _post(folder, "bomb.md", BOMB)
    deep = _post(folder, "deep.md", "Intro.\n\n" + "> " * 400 + "Deep text.\n")
    huge = _over_size(folder)
    started = time.monotonic()
    report = import_source(folder, load_show(show_dir))
    assert time.monotonic() - started < 20  # the show lock is not held for long
    assert sorted(report.new) == ["one", "two"]
    assert {(p.path, p.reason) for p in report.problems} == {
        (str(bomb), ALIAS_REFUSED),
        (str(deep), DEEP.format(line=3)),
        (str(huge), OVER_SIZE.format(size=limits.POST.max_bytes + 1)),
    }
    code, output, _ = _run("import", str(folder), "--show", str(show_dir))  # the lock was released
    assert code == 2
    assert output.startswith(f"{folder} (folder): 0 new, 0 changed, 2 unchanged, 0 drafts skipped, 3 rejected\n")
    assert f"audio-essay: {bomb}: {ALIAS_REFUSED}\n" in output


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>
<link>https://example.com</link><description>d</description>{items}</channel></rss>"""
ENTRY = """<item><title>{slug}</title><link>https://example.com/p/{slug}</link>
<content:encoded><![CDATA[{html}]]></content:encoded></item>"""


def test_feed_import_keeps_the_good_entries_beside_a_deep_one(tmp_path, show_dir):
    deep = "<div>" * 5000 + "text" + "</div>" * 5000
    items = ENTRY.format(slug="good", html="<p>A good post. It reads well.</p>") + ENTRY.format(slug="deep", html=deep)
    feed = _post(tmp_path, "feed.xml", FEED.format(items=items))
    report = import_source(feed, load_show(show_dir))
    assert report.new == ["good"]
    assert [(p.path, p.reason) for p in report.problems] == [
        (f"{feed} entry 2 (https://example.com/p/deep)", DEEP.format(line=1))]


# --- property ------------------------------------------------------------------------------


SCALARS = st.one_of(st.text(max_size=20), st.integers(), st.sampled_from(
    ["2024-13-45", "1" * 5000, "~", "!!binary aGVsbG8=", "!!python/object:os.system", "[1, 2", '""10 years""',
     "2025-04-30T12:00:00Z", "*a", "&a x", "{a: *a}", "<<: *a", "yes", ".inf", "0x1F"]))
URLS = st.builds("{}:{}".format, st.sampled_from(["https", "http", "javascript", "data", "ftp", "mailto", "file", "",
                                                  "vbscript", "JaVaScRiPt"]),
                 st.sampled_from(["//example.com/p/x", "alert(1)", "text/html;base64,PHNjcmlwdD4=", "/p/x", "not a url"]))


@st.composite
def front_matter(draw) -> str:
    lines = []
    for key in draw(st.lists(st.sampled_from(["title", "subtitle", "author", "date", "post_id", "type", "audience",
                                              "draft", "canonical_url", "a", "b"]), max_size=6)):
        value = draw(URLS) if key == "canonical_url" else draw(SCALARS)
        anchor = draw(st.sampled_from(["", "&a ", "&b "]))
        lines.append(f"{key}: {anchor}{value}")
    if draw(st.booleans()):
        lines.append(draw(st.text(max_size=40)))
    return "---\n" + "\n".join(lines) + "\n---\n"


@st.composite
def nested(draw) -> str:
    depth = draw(st.integers(min_value=0, max_value=150))
    kind = draw(st.sampled_from(["> ", "- ", "1. ", "indent", "html"]))
    link = f"[a link]({draw(URLS)})"
    text = f"Deep text with {link}."
    if kind == "indent":
        return "\n".join("  " * i + "- item" for i in range(depth)) + "\n" + "  " * depth + text
    if kind == "html":
        return "<div>" * depth + text + "</div>" * depth
    return kind * depth + text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=front_matter(), body=nested(), prose=st.text(max_size=60))
def test_hostile_posts_raise_only_package_errors(tmp_path_factory, front, body, prose):
    folder = tmp_path_factory.mktemp("hostile")
    show = make_show(folder / "show")
    post = _post(folder, "post.md", f"{front}Intro sentence.\n\n{body}\n\n{prose}\n")
    try:
        prepare_post(post, show)
    except AudioEssayError:
        pass


def test_batch_applies_the_same_caps_and_goes_on(tmp_path, show_dir):
    """A post edited into a bomb after import fails in batch with the same reason; the
    other is rendered."""
    from audio.catalog import Catalog

    folder = tmp_path / "posts"
    folder.mkdir()
    _post(folder, "one.md", GOOD.format(title="One"))
    _post(folder, "two.md", GOOD.format(title="Two"))
    show = load_show(show_dir)
    import_source(folder, show)
    bomb = _post(show.posts_dir, "two.md", BOMB)
    result = CliRunner().invoke(main, ["batch", "--show", str(show_dir), "--jobs", "1", "--no-publish"])
    assert result.exit_code == 1, result.output  # batch: some post failed
    with Catalog(show.catalog_path) as catalog:
        assert catalog.post("one").status == "rendered"
        assert catalog.post("two").error == f"{bomb}: {ALIAS_REFUSED}"
