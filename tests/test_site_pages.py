"""The site's pages as link previews and listeners see them: cards, artwork, "Listen on"
links, the embeddable player and the policy each page is served with."""

from __future__ import annotations

import json

import httpx
import lxml.html
import pytest
from publish_support import Server, make_episode, make_show

from audio.errors import ConfigError
from audio.publish.build import check_site, publish_site
from audio.publish.serve import make_app
from audio.publish.site import CONTENT_SECURITY_POLICY, EMBED_CONTENT_SECURITY_POLICY
from audio.show import load_show

SITE = "https://audio.interconnects.ai"
APPLE = "https://podcasts.apple.com/us/podcast/interconnects/id1234567890"
SPOTIFY = "https://open.spotify.com/show/2x3y4z"
POCKET_CASTS = "https://pca.st/abcd1234"
LISTED = f'[publish.listen_on]\napple = "{APPLE}"\nspotify = "{SPOTIFY}"\npocket_casts = "{POCKET_CASTS}"\n'


def _page(path):
    return lxml.html.fromstring(path.read_bytes())


def _meta(page) -> dict[str, str]:
    """Every <meta property|name content> of the page."""
    return {m.get("property") or m.get("name"): m.get("content")
            for m in page.xpath("//meta[@content]") if m.get("property") or m.get("name")}


def _listen_on(page) -> list[tuple[str, str]]:
    return [(a.text, a.get("href")) for a in page.xpath("//nav[@class='listen-on']/a")]


@pytest.fixture
def site(tmp_path):
    show = load_show(make_show(tmp_path / "show", extra=LISTED))
    publish_site(show)
    return show.site_dir


def test_episode_page_has_open_graph_and_a_twitter_player_card(site):
    page = _page(site / "episodes" / "second-post.html")
    artwork = page.xpath("//header/img[@class='artwork']/@src")
    assert len(artwork) == 1 and artwork[0].startswith("../artwork-") and (site / "episodes" / artwork[0]).is_file()
    image = f"{SITE}/{artwork[0].removeprefix('../')}"
    assert _meta(page) == {
        "viewport": "width=device-width, initial-scale=1",
        "description": "A subtitle",
        "og:type": "article",
        "og:site_name": "Interconnects Audio Essays",
        "og:title": "Second: “quotes” & ampersands",
        "og:description": "A subtitle",
        "og:url": f"{SITE}/episodes/second-post.html",
        "og:audio": f"{SITE}/episodes/second-post.mp3",
        "og:audio:type": "audio/mpeg",
        "article:published_time": "2025-06-01T09:00:00+00:00",
        "og:image": image,
        "og:image:alt": "Interconnects Audio Essays artwork",
        "twitter:card": "player",
        "twitter:title": "Second: “quotes” & ampersands",
        "twitter:description": "A subtitle",
        "twitter:image": image,
        "twitter:image:alt": "Interconnects Audio Essays artwork",
        "twitter:player": f"{SITE}/embed/second-post.html",
        "twitter:player:width": "480",
        "twitter:player:height": "160",
        "twitter:player:stream": f"{SITE}/episodes/second-post.mp3",
        "twitter:player:stream:content_type": "audio/mpeg",
    }
    assert page.xpath("//link[@rel='canonical']/@href") == [f"{SITE}/episodes/second-post.html"]
    # The player sits in its own (sticky) bar, outside the page's main text.
    assert page.xpath("//body/div[@class='player-bar']/audio/@id") == ["player"]


def test_index_has_artwork_and_a_summary_card(site):
    page = _page(site / "index.html")
    artwork = page.xpath("//header/img[@class='artwork']/@src")
    assert len(artwork) == 1 and (site / artwork[0]).is_file()
    meta = _meta(page)
    assert {k: v for k, v in meta.items() if k.startswith(("og:", "twitter:"))} == {
        "og:type": "website", "og:site_name": "Interconnects Audio Essays", "og:title": "Interconnects Audio Essays",
        "og:description": "Audio essays about AI.", "og:url": f"{SITE}/",
        "og:image": f"{SITE}/{artwork[0]}", "og:image:alt": "Interconnects Audio Essays artwork",
        "twitter:card": "summary", "twitter:title": "Interconnects Audio Essays",
        "twitter:description": "Audio essays about AI.", "twitter:image": f"{SITE}/{artwork[0]}",
        "twitter:image:alt": "Interconnects Audio Essays artwork",
    }


def test_the_twitter_player_is_a_small_page_of_the_site_with_artwork_and_audio(site):
    for slug in ("first-post", "second-post", "third-post"):
        player = _meta(_page(site / "episodes" / f"{slug}.html"))["twitter:player"]
        embed = site / player.removeprefix(f"{SITE}/")
        assert embed == site / "embed" / f"{slug}.html"
        page = _page(embed)
        assert page.xpath("//audio[@id='player']/@src") == [f"../episodes/{slug}.mp3"]
        artwork = page.xpath("//img[@class='artwork']/@src")
        assert len(artwork) == 1 and (embed.parent / artwork[0]).is_file()
        assert page.xpath("//script/@src") == ["../site.js"]
        assert page.xpath("//meta[@name='robots']/@content") == ["noindex"]
        assert page.xpath("//p[@class='title']/a/@href") == [f"../episodes/{slug}.html"]
    assert sorted(p.name for p in (site / "embed").iterdir()) == ["first-post.html", "second-post.html",
                                                                  "third-post.html"]
    assert check_site(site) == []


def test_listen_on_links_come_from_show_toml_with_rss_always_last(site, tmp_path):
    expected = [("Apple Podcasts", APPLE), ("Spotify", SPOTIFY), ("Pocket Casts", POCKET_CASTS),
                ("RSS", f"{SITE}/feed.xml")]
    assert _listen_on(_page(site / "index.html")) == expected
    assert _listen_on(_page(site / "episodes" / "third-post.html")) == expected
    # Only the directories the show names; the feed always.
    show = load_show(make_show(tmp_path / "other", extra=f'[publish.listen_on]\nspotify = "{SPOTIFY}"\n'))
    publish_site(show)
    assert _listen_on(_page(show.site_dir / "index.html")) == [("Spotify", SPOTIFY), ("RSS", f"{SITE}/feed.xml")]
    bare = load_show(make_show(tmp_path / "bare"))
    publish_site(bare)
    assert _listen_on(_page(bare.site_dir / "episodes" / "first-post.html")) == [("RSS", f"{SITE}/feed.xml")]


@pytest.mark.parametrize("table, reason", [
    ('apple = "http://podcasts.apple.com/x"',
     'publish.listen_on.apple: expected an https URL, got "http://podcasts.apple.com/x"'),
    ('spotify = "open.spotify.com/show/1"', 'publish.listen_on.spotify: expected an https URL, got "open.spotify.com/show/1"'),
    ('overcast = "https://overcast.fm/itunes1"',
     "publish.listen_on.overcast: unknown key (allowed: apple, pocket_casts, spotify)"),
    ("pocket_casts = 3", "publish.listen_on.pocket_casts: expected a string, got 3"),
])
def test_listen_on_settings_name_the_key_and_what_it_allows(tmp_path, table, reason):
    folder = make_show(tmp_path / "show", extra=f"[publish.listen_on]\n{table}\n")
    with pytest.raises(ConfigError) as error:
        load_show(folder)
    assert str(error.value) == f"{folder / 'show.toml'}: {reason}"


def test_only_the_embeddable_players_may_be_framed_by_other_sites(site):
    with Server(make_app(site)) as server, httpx.Client(base_url=server.url) as client:
        for path, policy in (("/embed/second-post.html", EMBED_CONTENT_SECURITY_POLICY),
                             ("/episodes/second-post.html", CONTENT_SECURITY_POLICY),
                             ("/", CONTENT_SECURITY_POLICY), ("/site.js", CONTENT_SECURITY_POLICY)):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-security-policy"] == policy, path
    assert "frame-ancestors *" in EMBED_CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert EMBED_CONTENT_SECURITY_POLICY.replace("frame-ancestors *", "frame-ancestors 'none'") == \
        CONTENT_SECURITY_POLICY


def test_an_episode_without_a_subtitle_is_previewed_by_its_notes_else_the_show(tmp_path):
    folder = make_show(tmp_path / "show")
    for slug, notes in (("first-post", "<p>What the <em>notes</em> say first.</p><p>And then more.</p>"),
                        ("third-post", "")):
        make_episode(folder / "rendered", slug, slug, "2025-05-01T09:00:00+00:00", notes_html=notes)
        record = folder / "rendered" / slug / f"{slug}.episode.json"
        data = json.loads(record.read_text(encoding="utf-8"))
        record.write_text(json.dumps({**data, "subtitle": ""}), encoding="utf-8")
    show = load_show(folder)
    publish_site(show)
    first = _meta(_page(show.site_dir / "episodes" / "first-post.html"))
    assert first["og:description"] == first["twitter:description"] == first["description"] == \
        "What the notes say first. And then more."
    third = _meta(_page(show.site_dir / "episodes" / "third-post.html"))
    assert third["og:description"] == "Audio essays about AI."
