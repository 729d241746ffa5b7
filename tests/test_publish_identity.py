"""The show's identity and URLs in a published feed: the channel GUID is fixed only from the
real feed URL, a public build refuses placeholder and loopback URLs (``--preview`` builds
for ``serve``), item links follow the current settings, a moved feed redirects, and the
owner, per-episode tags and AI-narration disclosure reach podcast apps."""

from __future__ import annotations

import dataclasses
import io
import json

import httpx
import podcastparser
import pytest
from click.testing import CliRunner
from lxml import etree
from publish_support import Server, make_episode, make_show

from audio.catalog import Catalog, identity_path
from audio.cli import main
from audio.episode_store import episode_to_json, load_episode
from audio.errors import ConfigError, InputError
from audio.pipeline import render_episode
from audio.prepare import read_post
from audio.publish.build import check_site, podcast_guid, publish_site
from audio.publish.serve import make_app
from audio.show import load_show

SITE_URL = "https://audio.interconnects.ai"
NS = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "podcast": "https://podcastindex.org/namespace/1.0",
      "content": "http://purl.org/rss/1.0/modules/content/"}
PREVIEW_HINT = "or run `audio-essay publish --preview` for a local preview"
FAKE_VOICE = 'engine = "fake"\n[params]\nchars_per_second = 300.0\n'


def _parsed(show):
    return podcastparser.parse(f"{SITE_URL}/feed.xml", io.BytesIO((show.site_dir / "feed.xml").read_bytes()))


def _channel(show):
    return etree.fromstring((show.site_dir / "feed.xml").read_bytes()).find("channel")


def _set(show, old: str, new: str):
    config = show.config_path
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    return load_show(show.folder)


def _stored_guid(show) -> str | None:
    with Catalog(show.catalog_path) as catalog:
        return catalog.state("publish.podcast_guid")


def _rewrite(show, slug: str, **changes) -> None:
    path = show.rendered_dir / slug / f"{slug}.episode.json"
    path.write_text(episode_to_json(dataclasses.replace(load_episode(path), **changes)), encoding="utf-8")


# --- the channel GUID ---------------------------------------------------------------------------

def test_the_channel_guid_is_fixed_once_from_the_real_feed_url(tmp_path):
    show = load_show(make_show(tmp_path / "show", site_url="https://podcast.example.com"))
    publish_site(show, preview=True)  # a preview fixes nothing
    assert _parsed(show)["title"] and _channel(show).findtext("podcast:guid", namespaces=NS) == \
        podcast_guid("http://127.0.0.1:8000/feed.xml")
    assert _stored_guid(show) is None

    # What earlier builds stored from the placeholder (every such show shared it) counts as not fixed.
    with Catalog(show.catalog_path) as catalog:
        catalog.set_state("publish.podcast_guid", podcast_guid("https://podcast.example.com/feed.xml"))
    show = _set(show, "https://podcast.example.com", SITE_URL)
    publish_site(show)
    real = podcast_guid(f"{SITE_URL}/feed.xml")
    assert _channel(show).findtext("podcast:guid", namespaces=NS) == real == _stored_guid(show)
    kept = json.loads(identity_path(show.catalog_path).read_text(encoding="utf-8"))["state"]
    assert kept["publish.podcast_guid"] == real  # catalog rebuild restores it from here

    # Fixed for ever: a new host, or a preview, keeps the show's identity.
    show = _set(show, SITE_URL, "https://podcast.interconnects.ai")
    publish_site(show)
    assert _channel(show).findtext("podcast:guid", namespaces=NS) == real == _stored_guid(show)
    publish_site(show, preview=True)
    assert _channel(show).findtext("podcast:guid", namespaces=NS) == real


@pytest.mark.parametrize(("setting", "value", "line"), [
    ("site_url", "https://podcast.example.com",
     ("[publish] site_url = 'https://podcast.example.com' is a placeholder: set it to the https address where "
     f"the site will be served, {PREVIEW_HINT}")),
    ("site_url", "http://127.0.0.1:8000",
     ("[publish] site_url = 'http://127.0.0.1:8000' is a loopback address only this machine reaches: set it to "
     f"the https address where the site will be served, {PREVIEW_HINT}")),
    ("feed_url", "http://localhost:9000/feed.xml",
     ("[publish] feed_url = 'http://localhost:9000/feed.xml' is a loopback address only this machine reaches: "
     f"set it to the feed's public https address, or leave it empty, {PREVIEW_HINT}")),
    ("base_url", "https://www.example.org",
     (f"[show] base_url = 'https://www.example.org' is a placeholder: set it to your newsletter's address, "
     f"{PREVIEW_HINT}")),
])
def test_a_public_publish_refuses_placeholder_and_loopback_urls_in_one_line(tmp_path, setting, value, line):
    show = load_show(make_show(tmp_path / "show"))
    old = {"site_url": f'site_url = "{SITE_URL}"', "base_url": 'base_url = "https://www.interconnects.ai"',
           "feed_url": 'category = "Technology"'}[setting]
    new = f'{setting} = "{value}"' + ('\ncategory = "Technology"' if setting == "feed_url" else "")
    show = _set(show, old, new)
    result = CliRunner().invoke(main, ["publish", "--show", str(show.folder)])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"audio-essay: {show.config_path}: {line}\n")
    assert not show.site_dir.exists() and _stored_guid(show) is None

    preview = CliRunner().invoke(main, ["publish", "--preview", "--show", str(show.folder)])
    assert preview.exit_code == 0, preview.output
    assert f"{show.site_dir}: 3 episodes; feed http://127.0.0.1:8000/feed.xml" in preview.stdout
    assert _stored_guid(show) is None
    check = CliRunner().invoke(main, ["check", "--preview", "--show", str(show.folder)])
    assert (check.exit_code, check.stdout, check.stderr) == (0, "", f"{show.site_dir}: feed OK\n")


# --- URLs derived at publish time ---------------------------------------------------------------

def test_item_links_follow_the_current_base_url_and_a_post_s_own_url_is_kept(tmp_path):
    show = load_show(make_show(tmp_path / "show"))
    # first-post: an old record (no canonical_explicit) holding the URL derived at render time.
    _rewrite(show, "second-post", canonical_url="https://www.interconnects.ai/p/second-post", canonical_explicit=False)
    _rewrite(show, "third-post", canonical_url="https://other.news/p/third-post", canonical_explicit=True)
    make_episode(show.rendered_dir, "imported", "An imported post", "2025-04-01T09:00:00+00:00")
    _rewrite(show, "imported", canonical_url="https://medium.com/@writer/an-imported-post-123")  # old, its own

    show = _set(show, "https://www.interconnects.ai", "https://news.interconnects.ai")
    publish_site(show)
    links = {e["guid"]: e["link"] for e in _parsed(show)["episodes"]}
    assert links == {
        "audio-essay-first-post": "https://news.interconnects.ai/p/first-post",
        "audio-essay-second-post": "https://news.interconnects.ai/p/second-post",
        "audio-essay-third-post": "https://other.news/p/third-post",
        "audio-essay-imported": "https://medium.com/@writer/an-imported-post-123",
    }
    page = (show.site_dir / "episodes" / "first-post.html").read_text(encoding="utf-8")
    assert 'href="https://news.interconnects.ai/p/first-post"' in page
    assert "www.interconnects.ai" not in (show.site_dir / "feed.xml").read_text(encoding="utf-8")
    assert check_site(show.site_dir) == []


def test_a_post_that_names_its_url_is_explicit_else_derived(tmp_path):
    folder = make_show(tmp_path / "show")
    posts = folder / "posts"
    posts.mkdir()
    (posts / "own.md").write_text("---\ntitle: Own\ncanonical_url: https://other.news/p/own\n---\nA sentence.\n")
    (posts / "derived.md").write_text("---\ntitle: Derived\n---\nA sentence.\n")
    show = load_show(folder)
    own, derived = read_post(posts / "own.md", show).meta, read_post(posts / "derived.md", show).meta
    assert (own.canonical_url, own.canonical_explicit) == ("https://other.news/p/own", True)
    assert (derived.canonical_url, derived.canonical_explicit) == ("https://www.interconnects.ai/p/derived", False)


# --- a moved feed ------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["moved_to", "new_feed_url"])  # new_feed_url: the older name, still read
def test_a_moved_feed_says_so_and_serve_answers_301(tmp_path, key):
    new = "https://feeds.interconnects.ai/audio.xml"
    show = load_show(make_show(tmp_path / "show", extra=f'{key} = "{new}"'))
    assert show.publish.moved_feed_url == new
    publish_site(show)
    assert _parsed(show)["new_url"] == new
    assert check_site(show.site_dir) == []
    with Server(make_app(show.site_dir, moved_to=show.publish.moved_feed_url)) as server, \
            httpx.Client(base_url=server.url) as client:
        moved = client.get("/feed.xml")
        assert (moved.status_code, moved.headers["location"]) == (301, new)
        assert client.head("/feed.xml").status_code == 301
        assert client.get("/episodes/first-post.mp3").status_code == 200  # only the feed moved
    with Server(make_app(show.site_dir)) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/feed.xml").status_code == 200


def test_moved_to_and_its_older_name_must_agree(tmp_path):
    folder = make_show(tmp_path / "show", extra='moved_to = "https://a.interconnects.ai/feed.xml"\n'
                                                'new_feed_url = "https://b.interconnects.ai/feed.xml"')
    with pytest.raises(ConfigError, match="publish: moved_to and new_feed_url .* name different URLs: keep moved_to"):
        load_show(folder)


# --- owner, per-episode tags, disclosure ---------------------------------------------------------

def test_owner_and_episode_tags_reach_podcast_apps(tmp_path):
    show = load_show(make_show(tmp_path / "show", extra='owner_name = "Interconnects LLC"'))
    _rewrite(show, "third-post", explicit=True, episode_type="trailer", season=2, episode_number=5)
    _rewrite(show, "second-post", episode_type="bonus")
    publish_site(show)
    parsed = _parsed(show)
    assert parsed["itunes_owner"] == {"name": "Interconnects LLC", "email": "owner@interconnects.ai"}
    by_guid = {e["guid"]: e for e in parsed["episodes"]}
    third, second, first = (by_guid[f"audio-essay-{s}"] for s in ("third-post", "second-post", "first-post"))
    assert (third["explicit"], third["type"], third["season"], third["number"]) == (True, "trailer", 2, 5)
    assert (second["explicit"], second["type"]) == (False, "bonus")
    assert (first["explicit"], first["type"]) == (False, "full")
    assert "season" not in first and "number" not in first
    assert check_site(show.site_dir) == []


def test_front_matter_tags_go_through_render_into_the_feed(tmp_path):
    folder = make_show(tmp_path / "show")
    (folder / "voices").mkdir()
    (folder / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    post = folder / "posts" / "tagged.md"
    post.parent.mkdir()
    post.write_text("---\ntitle: Tagged\ndate: 2025-09-01\nexplicit: yes\nepisode_type: Bonus\nseason: 3\n"
                    "episode: 12\n---\nA first sentence to read. And a second one.\n", encoding="utf-8")
    show = load_show(folder)
    episode = render_episode(post, show, voice="fake")
    assert (episode.explicit, episode.episode_type, episode.season, episode.episode_number) == (True, "bonus", 3, 12)
    assert episode.canonical_explicit is False
    publish_site(show)
    [tagged] = [e for e in _parsed(show)["episodes"] if e["title"] == "Tagged"]
    assert (tagged["explicit"], tagged["type"], tagged["season"], tagged["number"]) == (True, "bonus", 3, 12)


@pytest.mark.parametrize(("front", "line"), [
    ("explicit: maybe", "front matter explicit: expected true or false, got 'maybe'"),
    ("episode_type: special", "front matter episode_type: expected one of full, trailer, bonus, got 'special'"),
    ("season: two", "front matter season: expected a whole number from 1, got 'two'"),
    ("episode: 0", "front matter episode: expected a whole number from 1, got 0"),
])
def test_a_bad_episode_tag_is_one_line_naming_the_post_and_the_key(tmp_path, front, line):
    folder = make_show(tmp_path / "show")
    post = folder / "posts" / "bad.md"
    post.parent.mkdir()
    post.write_text(f"---\ntitle: Bad\n{front}\n---\nA sentence.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["script", str(post)])
    assert (result.exit_code, result.stderr) == (2, f"audio-essay: {post}: {line}\n")
    with pytest.raises(InputError):
        read_post(post, load_show(folder))


def test_the_ai_narration_disclosure_is_configurable_and_can_be_turned_off(tmp_path):
    show = load_show(make_show(tmp_path / "show", extra='ai_disclosure = "Read aloud by a synthetic voice."'))
    publish_site(show)
    [item] = [e for e in _parsed(show)["episodes"] if e["guid"] == "audio-essay-first-post"]
    assert item["description"].endswith("/subscribe\n\nRead aloud by a synthetic voice.")
    assert item["description_html"].endswith("</p>\n<p>Read aloud by a synthetic voice.</p>")

    show = _set(show, 'ai_disclosure = "Read aloud by a synthetic voice."', 'ai_disclosure = ""')
    publish_site(show)
    [item] = [e for e in _parsed(show)["episodes"] if e["guid"] == "audio-essay-first-post"]
    assert item["description"].endswith("visit https://www.interconnects.ai/subscribe")
    assert "synthetic voice" not in (show.site_dir / "feed.xml").read_text(encoding="utf-8")


# --- check ----------------------------------------------------------------------------------------

def test_check_of_a_preview_is_quiet_about_http_but_a_public_check_names_each_problem_once(tmp_path):
    show = load_show(make_show(tmp_path / "show"))
    publish_site(show, preview=True)
    assert check_site(show.site_dir, preview=True) == []
    hint = "publish again, or check --preview for a local preview"
    assert check_site(show.site_dir) == [
        ('feed.xml: channel: <atom:link rel="self"> http://127.0.0.1:8000/feed.xml is a loopback URL in a public '
        f"feed: set [publish] site_url (or feed_url) in show.toml and {hint}"),
        (f"feed.xml: channel: <podcast:guid> {podcast_guid('127.0.0.1:8000/feed.xml')} was derived from a placeholder "
        "feed URL: set [publish] site_url in show.toml and publish again (the GUID is derived from the real URL)"),
    ]  # and not one "not https" line for the preview's http URLs


def test_check_refuses_what_a_podcast_directory_refuses(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "show.toml").write_text('[show]\nbase_url = "https://news.test"\n[publish]\nsite_url = "https://pod.test"\n')
    show = load_show(folder)
    publish_site(show)
    assert check_site(show.site_dir) == [
        "feed.xml: channel: missing <itunes:author>: set [show] author in show.toml",
        "feed.xml: channel: <description> only repeats the title: set [show] description in show.toml",
        ("feed.xml: channel: missing <itunes:owner>/<itunes:email>: set [publish] owner_email in show.toml "
        "(directories send their ownership check there)"),
        "feed.xml: channel: no <item>: directories refuse a feed without episodes; render a post and publish again",
    ]


def test_check_names_a_guid_derived_from_a_placeholder(tmp_path):
    show = load_show(make_show(tmp_path / "show"))
    publish_site(show)
    feed = show.site_dir / "feed.xml"
    placeholder = podcast_guid("https://podcast.example.com/feed.xml")  # as builds before the rule stored it
    feed.write_text(feed.read_text(encoding="utf-8").replace(podcast_guid(f"{SITE_URL}/feed.xml"), placeholder),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--show", str(show.folder)])
    assert result.exit_code == 1
    assert result.stdout == (
        f"feed.xml: channel: <podcast:guid> {placeholder} was derived from a placeholder feed URL: set [publish] "
        "site_url in show.toml and publish again (the GUID is derived from the real URL)\n")
    assert check_site(show.site_dir, preview=True) == []
