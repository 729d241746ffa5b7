"""End to end: render real posts with the fake engine, publish, lint, parse."""

from __future__ import annotations

import io
import re

import podcastparser
from conftest import SAMPLE_POST

from audio.pipeline import render_episode
from audio.publish.build import check_site, publish_site
from audio.scaffold import init_show
from audio.show import load_show

FAKE_VOICE = 'engine = "fake"\ndescription = "fast tone bursts"\n[params]\nchars_per_second = 150.0\n'


def _with_fake_voice(folder):
    (folder / "voices").mkdir(exist_ok=True)
    (folder / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    return load_show(folder)


def _public(folder):
    """The sample show with the real URLs and owner a public build needs."""
    config = folder / "show.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace('site_url = "https://podcast.example.com"', 'site_url = "https://audio.interconnects.ai"')
    config.write_text(text.replace('owner_email = ""', 'owner_email = "owner@interconnects.ai"'), encoding="utf-8")
    return folder


def test_rendered_sample_post_publishes_and_passes_check(sample_show):
    show = _with_fake_voice(_public(sample_show))
    post = show.posts_dir / SAMPLE_POST.name
    episode = render_episode(post, show, voice="fake")
    report = publish_site(show)
    assert report.episodes == 1
    assert check_site(show.site_dir) == []
    xml = (show.site_dir / "feed.xml").read_bytes()
    parsed = podcastparser.parse(report.feed_url, io.BytesIO(xml))
    [item] = parsed["episodes"]
    assert item["guid"] == episode.guid and item["title"] == episode.title
    audio = show.site_dir / "episodes" / episode.files["audio"]
    assert item["enclosures"][0]["file_size"] == audio.stat().st_size == episode.bytes
    assert abs(item["total_time"] - episode.duration_s) <= 1
    assert f"{show.show.base_url}/subscribe" in item["description_html"]

    # Retitle the post and render again: the GUID stays, the title follows.
    text = post.read_text(encoding="utf-8")
    post.write_text(re.sub(r"(?m)^title: .*$", 'title: "A retitled post"', text, count=1), encoding="utf-8")
    again = render_episode(post, show, voice="fake")
    publish_site(show)
    [item] = podcastparser.parse(report.feed_url, io.BytesIO((show.site_dir / "feed.xml").read_bytes()))["episodes"]
    assert again.guid == episode.guid == item["guid"]
    assert item["title"] == "A retitled post"
    assert check_site(show.site_dir) == []


def test_a_new_show_from_init_renders_and_publishes_without_editing(tmp_path):
    folder = init_show(tmp_path / "new-show")
    show = _with_fake_voice(folder)
    for post in sorted(show.posts_dir.glob("*.md")):
        render_episode(post, show, voice="fake")
    report = publish_site(show, preview=True)  # placeholder URLs: a local preview only
    assert report.episodes >= 1 and report.feed_url == "http://127.0.0.1:8000/feed.xml"
    # Quiet about the preview's http and placeholders; what a directory needs is still said.
    assert check_site(show.site_dir, preview=True) == [
        "feed.xml: channel: missing <itunes:author>: set [show] author in show.toml",
        "feed.xml: channel: <description> only repeats the title: set [show] description in show.toml",
        ("feed.xml: channel: missing <itunes:owner>/<itunes:email>: set [publish] owner_email in show.toml "
         "(directories send their ownership check there)"),
    ]
    joined = "\n".join(report.warnings)
    assert "base_url" in joined and "artwork" in joined
