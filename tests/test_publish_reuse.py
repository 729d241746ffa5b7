"""publish: a rebuild takes unchanged episodes from the previous build (``.cache/publish``),
and gives, file for file, the site a first build with no cache gives."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from publish_support import make_episode, make_show

import audio.publish.build
import audio.publish.reuse
from audio.episode_store import load_episode
from audio.publish.artwork import is_placeholder
from audio.publish.build import publish_site
from audio.publish.reuse import CACHE_FILE
from audio.show import load_show


def _cache(show) -> dict:
    """The cache file's JSON line."""
    return json.loads((show.cache_dir / CACHE_FILE).read_bytes().split(b"\n", 1)[0])


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture
def show(tmp_path):
    return load_show(make_show(tmp_path / "show"))


@pytest.fixture
def made(monkeypatch) -> list[str]:
    """The slugs whose item and page publish makes afresh (not taken from the cache)."""
    slugs: list[str] = []
    make = audio.publish.build._make

    def spy(show, episode, *args):
        slugs.append(episode.slug)
        return make(show, episode, *args)

    monkeypatch.setattr(audio.publish.build, "_make", spy)
    return slugs


def _as_first_build(show, tmp_path: Path) -> None:
    """The site and warnings are those of a first build: no cache, another folder."""
    rebuilt = publish_site(show)
    shutil.rmtree(show.cache_dir / "publish")
    cold = tmp_path / f"cold-{len(list(tmp_path.glob('cold-*')))}"
    first = publish_site(show, cold)
    assert _files(show.site_dir) == _files(cold)
    assert rebuilt.warnings == first.warnings


def test_an_unchanged_rebuild_makes_nothing_and_is_byte_identical(show, made, tmp_path):
    publish_site(show)
    assert sorted(made) == ["first-post", "second-post", "third-post"]
    assert _cache(show)["format"] == 2
    before = _files(show.site_dir)
    made.clear()
    publish_site(show)
    assert made == [] and _files(show.site_dir) == before
    _as_first_build(show, tmp_path)


def test_a_new_episode_is_the_only_one_made(show, made, tmp_path):
    publish_site(show)
    made.clear()
    make_episode(show.rendered_dir, "fourth-post", "The fourth post", "2025-08-01T09:00:00+00:00", seconds=2.0)
    publish_site(show)
    assert made == ["fourth-post"]
    assert b"The fourth post" in (show.site_dir / "feed.xml").read_bytes()
    _as_first_build(show, tmp_path)


def test_a_rerendered_episode_is_made_again(show, made, tmp_path):
    publish_site(show)
    made.clear()
    make_episode(show.rendered_dir, "second-post", "Second, retitled", "2025-06-01T09:00:00+00:00",
                 seconds=5.0, frequency=550)
    publish_site(show)
    assert made == ["second-post"]
    assert "Second, retitled" in (show.site_dir / "episodes" / "second-post.html").read_text(encoding="utf-8")
    _as_first_build(show, tmp_path)


def test_a_transcript_replaced_by_one_of_the_same_size_is_read_again(show, made, tmp_path):
    publish_site(show)
    transcript = show.rendered_dir / "first-post" / "first-post.transcript.json"
    text = transcript.read_text(encoding="utf-8")
    changed = text.replace("The first half", "The FIRST half")
    assert len(changed) == len(text)
    replacement = transcript.with_name("new.tmp")  # as a render writes it: a new file renamed over
    replacement.write_text(changed, encoding="utf-8")
    os.replace(replacement, transcript)
    made.clear()
    publish_site(show)
    assert made == ["first-post"]
    assert "The FIRST half" in (show.site_dir / "episodes" / "first-post.html").read_text(encoding="utf-8")
    _as_first_build(show, tmp_path)


def test_a_settings_change_makes_every_episode_again(show, made, tmp_path):
    publish_site(show)
    toml = show.config_path.read_text(encoding="utf-8").replace("https://www.interconnects.ai",
                                                                "https://news.interconnects.ai")
    show.config_path.write_text(toml + 'episode_footer = "Read it at {link}"\n', encoding="utf-8")
    show = load_show(show.folder)
    made.clear()
    publish_site(show)
    assert sorted(made) == ["first-post", "second-post", "third-post"]
    page = (show.site_dir / "episodes" / "first-post.html").read_text(encoding="utf-8")
    assert 'Read it at <a href="https://news.interconnects.ai/p/first-post">' in page
    _as_first_build(show, tmp_path)


def test_an_episode_s_warnings_are_given_again_when_it_is_taken_from_the_cache(show, made, tmp_path):
    folder = show.rendered_dir / "third-post"
    record = load_episode(folder / "third-post.episode.json")
    data = json.loads((folder / "third-post.episode.json").read_text(encoding="utf-8"))
    data.update(canonical_url="javascript:alert(1)", canonical_explicit=True)
    (folder / "third-post.episode.json").write_text(json.dumps(data), encoding="utf-8")
    warning = f"episode {record.slug}: canonical_url 'javascript:alert(1)' is not an http(s) URL; dropped"
    assert warning in publish_site(show).warnings
    made.clear()
    assert warning in publish_site(show).warnings
    assert made == []
    _as_first_build(show, tmp_path)


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"format": 2, "episodes": {"k": {"item": 3}}}\nx',
                                    b'{"format": 999, "episodes": {}}', b"[1]"])
def test_a_damaged_or_foreign_cache_is_ignored(show, made, tmp_path, damage):
    publish_site(show)
    before = _files(show.site_dir)
    (show.cache_dir / CACHE_FILE).write_bytes(damage)
    made.clear()
    publish_site(show)
    assert sorted(made) == ["first-post", "second-post", "third-post"]
    assert _files(show.site_dir) == before
    assert _cache(show)["format"] == 2  # written again


def test_a_cut_cache_is_ignored(show, made):
    publish_site(show)
    before = _files(show.site_dir)
    cache = (show.cache_dir / CACHE_FILE).read_bytes()
    (show.cache_dir / CACHE_FILE).write_bytes(cache[:-100])
    made.clear()
    publish_site(show)
    assert sorted(made) == ["first-post", "second-post", "third-post"]
    assert _files(show.site_dir) == before


def test_a_damaged_cache_entry_is_made_again(show, made):
    publish_site(show)
    before = _files(show.site_dir)
    head, texts = (show.cache_dir / CACHE_FILE).read_bytes().split(b"\n", 1)
    cache = json.loads(head)
    for entry in cache["episodes"].values():
        del entry["item"]["title"]
    (show.cache_dir / CACHE_FILE).write_bytes(json.dumps(cache).encode() + b"\n" + texts)
    made.clear()
    publish_site(show)
    assert sorted(made) == ["first-post", "second-post", "third-post"]
    assert _files(show.site_dir) == before
    made.clear()
    publish_site(show)  # the entries were made again, and kept
    assert made == []


def test_a_cache_that_cannot_be_written_does_not_stop_publishing(show, made):
    (show.cache_dir / CACHE_FILE).parent.mkdir(parents=True)
    (show.cache_dir / CACHE_FILE).mkdir()  # a folder where the file would go
    report = publish_site(show)
    assert report.episodes == 3 and (show.site_dir / "feed.xml").is_file()


def test_the_placeholder_artwork_is_drawn_once(show, monkeypatch, tmp_path):
    publish_site(show)
    before = _files(show.site_dir)
    placeholders = list((show.cache_dir / CACHE_FILE).parent.glob("placeholder-*.png"))
    assert len(placeholders) == 1 and is_placeholder(placeholders[0])

    def fail(title):
        raise AssertionError("drawn again")

    monkeypatch.setattr(audio.publish.reuse, "placeholder_png", fail)
    publish_site(show)
    assert _files(show.site_dir) == before
    placeholders[0].write_bytes(b"not a png")  # damaged: drawn again
    monkeypatch.undo()
    publish_site(show)
    assert _files(show.site_dir) == before and is_placeholder(placeholders[0])
    # A new title: a new placeholder, the old one removed.
    show.config_path.write_text(show.config_path.read_text(encoding="utf-8").replace(
        'title = "Interconnects Audio Essays"', 'title = "Another title"'), encoding="utf-8")
    publish_site(load_show(show.folder))
    assert [p.name for p in placeholders[0].parent.glob("placeholder-*.png")] != [placeholders[0].name]
    assert len(list(placeholders[0].parent.glob("placeholder-*.png"))) == 1
