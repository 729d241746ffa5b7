"""publish: the site's files, the feed read by real parsers, GUIDs, paid posts, atomicity."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from pathlib import Path

import feedparser
import httpx
import podcastparser
import pytest
from lxml import etree
from PIL import Image
from publish_support import Server, free_port, make_episode, make_show

from audio.catalog import Catalog
from audio.errors import ConfigError, InputError, OutputError
from audio.publish.artwork import is_placeholder, write_placeholder
from audio.publish.build import check_site, placeholder_warnings, podcast_guid, publish_site
from audio.publish.feed import MAX_DESCRIPTION_BYTES
from audio.publish.serve import make_app
from audio.show import load_show

SITE_URL = "https://audio.interconnects.ai"
PUBLIC = ["third-post", "second-post", "first-post"]  # newest first


@pytest.fixture
def show(tmp_path):
    return load_show(make_show(tmp_path / "show"))


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_podcast_guid_matches_the_podcasting20_check_value():
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("http://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_publish_writes_feed_pages_audio_transcripts_chapters_and_artwork(show):
    report = publish_site(show)
    site = show.site_dir
    assert report.site_dir == site and report.episodes == 3 and report.private_episodes == 1
    assert report.feed_url == f"{SITE_URL}/feed.xml"
    names = set(_files(site))
    for slug in PUBLIC:
        for suffix in (".mp3", ".vtt", ".srt", ".transcript.json", ".chapters.json"):
            name = f"episodes/{slug}{suffix}"
            assert name in names
            assert (site / name).read_bytes() == (show.rendered_dir / slug / f"{slug}{suffix}").read_bytes()
        assert f"episodes/{slug}.html" in names
    artwork = [n for n in names if n.startswith("artwork-")]
    assert len(artwork) == 1 and artwork[0].endswith(".png")
    with Image.open(site / artwork[0]) as image:
        assert image.size == (1400, 1400) and image.mode == "RGB"
    assert {"feed.xml", "index.html"} <= names
    assert check_site(site) == []
    # Nothing left beside the site: the build folder was swapped in, not copied.
    assert sorted(p.name for p in show.folder.iterdir() if p.name.startswith(".site")) == []


def test_feed_channel_and_items_follow_the_spec(show):
    publish_site(show)
    xml = (show.site_dir / "feed.xml").read_bytes()
    ns = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "podcast": "https://podcastindex.org/namespace/1.0",
          "atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"}
    channel = etree.fromstring(xml).find("channel")
    assert channel.findtext("title") == "Interconnects Audio Essays"
    assert channel.findtext("link") == f"{SITE_URL}/"
    assert channel.findtext("language") == "en-us"
    assert channel.find("atom:link[@rel='self']", ns).get("href") == f"{SITE_URL}/feed.xml"
    assert channel.findtext("itunes:explicit", namespaces=ns) == "false"
    assert channel.findtext("itunes:type", namespaces=ns) == "episodic"
    assert channel.find("itunes:category", ns).get("text") == "Technology"
    assert channel.findtext("itunes:author", namespaces=ns) == "Nathan Lambert"
    owner = channel.find("itunes:owner", ns)  # the name defaults to [show] author
    assert [(e.tag.split("}")[1], e.text) for e in owner] == [("name", "Nathan Lambert"),
                                                              ("email", "owner@interconnects.ai")]
    assert channel.findtext("copyright") == "2026 Nathan Lambert"
    assert uuid.UUID(channel.findtext("podcast:guid", namespaces=ns)).version == 5
    assert channel.findtext("podcast:locked", namespaces=ns) == "no"
    assert channel.find("podcast:funding", ns).get("url") == "https://www.interconnects.ai/subscribe"
    assert channel.findtext("lastBuildDate") == "Tue, 01 Jul 2025 09:00:00 +0000"  # the newest episode
    items = channel.findall("item")
    assert [i.findtext("guid") for i in items] == [f"audio-essay-{s}" for s in PUBLIC]
    for item, slug in zip(items, PUBLIC):
        assert item.find("guid").get("isPermaLink") == "false"
        assert item.findtext("link") == f"https://www.interconnects.ai/p/{slug}"
        assert item.findtext("itunes:episodeType", namespaces=ns) == "full"
        assert item.findtext("itunes:explicit", namespaces=ns) == "false"
        transcripts = {t.get("type"): t.get("url") for t in item.findall("podcast:transcript", ns)}
        base = f"{SITE_URL}/episodes/{slug}"
        assert transcripts == {"text/vtt": f"{base}.vtt", "application/x-subrip": f"{base}.srt",
                               "application/json": f"{base}.transcript.json"}
        chapters = item.find("podcast:chapters", ns)
        assert (chapters.get("url"), chapters.get("type")) == (f"{base}.chapters.json", "application/json+chapters")
        person = item.find("podcast:person", ns)
        assert person.text == "Nathan Lambert" and person.get("role") == "author"
        content = item.findtext("content:encoded", namespaces=ns)
        assert '<a href="https://example.org/ref"' in content
        # The post's images are not published; relative links point into the post.
        assert "<img" not in content and "A chart" in content
        assert f'<a href="https://www.interconnects.ai/p/{slug}#footnote-1"' in content
        assert content.rstrip().endswith(
            'visit <a href="https://www.interconnects.ai/subscribe">https://www.interconnects.ai/subscribe</a></p>\n'
            "<p>This episode is an AI-narrated reading of the post.</p>")
        assert "a link [https://example.org/ref]" in item.findtext("description")
        assert item.findtext("description").endswith(
            "/subscribe\n\nThis episode is an AI-narrated reading of the post.")


def test_podcastparser_and_feedparser_read_every_episode_over_loopback(tmp_path):
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    show = load_show(make_show(tmp_path / "show", site_url=root))
    publish_site(show, preview=True)
    with Server(make_app(show.site_dir), port=port), httpx.Client(base_url=root) as client:
        response = client.get("/feed.xml")
        assert response.headers["content-type"].startswith("application/rss+xml")
        parsed = podcastparser.parse(f"{root}/feed.xml", io.BytesIO(response.content))
        fp = feedparser.parse(response.content)
        assert not fp.bozo, fp.get("bozo_exception")
        assert len(parsed["episodes"]) == len(fp.entries) == 3
        by_guid = {e["guid"]: e for e in parsed["episodes"]}
        for slug, entry in zip(PUBLIC, fp.entries):
            size = (show.site_dir / "episodes" / f"{slug}.mp3").stat().st_size
            url = f"{root}/episodes/{slug}.mp3"
            episode = by_guid[f"audio-essay-{slug}"]
            enclosure = episode["enclosures"][0]
            assert (enclosure["url"], enclosure["file_size"], enclosure["mime_type"]) == (url, size, "audio/mpeg")
            assert episode["total_time"] == {"first-post": 3, "second-post": 5, "third-post": 4}[slug]
            assert entry.id == f"audio-essay-{slug}"
            assert entry.enclosures[0].href == url and int(entry.enclosures[0].length) == size
            assert entry.enclosures[0].type == "audio/mpeg"
            assert entry.itunes_duration == str(episode["total_time"])
            head = client.head(url)  # the enclosure is there, with the length the feed states
            assert head.status_code == 200 and int(head.headers["content-length"]) == size


def test_rebuild_is_byte_identical_and_guids_never_change(show, tmp_path):
    publish_site(show)
    first = _files(show.site_dir)
    publish_site(show)
    assert _files(show.site_dir) == first
    # A different site folder gives the same feed too.
    publish_site(show, tmp_path / "elsewhere")
    assert _files(tmp_path / "elsewhere")["feed.xml"] == first["feed.xml"]
    # podcast:guid is stored once: moving the feed keeps it.
    guid = re.search(rb"<podcast:guid>(.+?)<", first["feed.xml"]).group(1)
    toml = show.config_path.read_text().replace(SITE_URL, "https://new.interconnects.ai")
    show.config_path.write_text(toml + 'new_feed_url = "https://new.interconnects.ai/feed.xml"\n')
    moved = load_show(show.folder)
    publish_site(moved)
    feed = (show.site_dir / "feed.xml").read_bytes()
    assert re.search(rb"<podcast:guid>(.+?)<", feed).group(1) == guid
    assert b"<itunes:new-feed-url>https://new.interconnects.ai/feed.xml</itunes:new-feed-url>" in feed


def test_retitled_rerender_keeps_the_episode_guid(show):
    """The render stage asks the catalogue for the GUID; a retitle re-render gets the stored one."""
    with Catalog(show.catalog_path) as catalog:
        guid = catalog.guid_for("post:101", "urn:audio-essay:first-title")
    make_episode(show.rendered_dir, "first-post", "The first post", "2025-05-01T09:00:00+00:00", guid=guid)
    publish_site(show)
    before = (show.site_dir / "feed.xml").read_text()
    with Catalog(show.catalog_path) as catalog:
        again = catalog.guid_for("post:101", "urn:audio-essay:a-new-title")
    make_episode(show.rendered_dir, "first-post", "A new title", "2025-05-01T09:00:00+00:00", guid=again)
    publish_site(show)
    after = (show.site_dir / "feed.xml").read_text()
    assert "A new title" in after and "A new title" not in before
    assert f'<guid isPermaLink="false">{guid}</guid>' in before
    assert f'<guid isPermaLink="false">{guid}</guid>' in after


def test_paid_posts_never_reach_the_public_feed_site_or_index(tmp_path):
    show = load_show(make_show(tmp_path / "show", extra="private_feed = true"))
    report = publish_site(show)
    site = show.site_dir
    public = {n: b for n, b in _files(site).items() if not n.startswith("private/")}
    for name, data in public.items():
        assert b"paid-post" not in data and b"A paid-only post" not in data, name
    token = report.private_feed_url.split("/private/")[1].split("/")[0]
    assert len(token) >= 24
    for name, data in public.items():
        assert token.encode() not in data, name
    private = (site / "private" / token / "feed.xml").read_text()
    assert "A paid-only post" in private and "<itunes:block>Yes</itunes:block>" in private
    assert private.count("<item>") == 4
    assert (site / "private" / token / "episodes" / "paid-post.mp3").is_file()
    assert check_site(site) == []
    # The token is made once and kept.
    assert publish_site(show).private_feed_url == report.private_feed_url


def test_paid_posts_are_left_out_with_a_warning_without_a_private_feed(show):
    report = publish_site(show)
    assert not (show.site_dir / "private").exists()
    assert any("paid subscribers left out" in w for w in report.warnings)
    assert all(b"paid-post" not in data for data in _files(show.site_dir).values())


def test_a_broken_episode_is_left_out_with_its_reason_and_the_others_published(show):
    (show.rendered_dir / "second-post" / "second-post.vtt").unlink()
    report = publish_site(show)
    assert report.episodes == 2
    vtt = show.rendered_dir / "second-post" / "second-post.vtt"
    assert f"episode second-post left out of the site and feed: {vtt}: the episode's vtt file is missing" \
        in report.warnings
    names = set(_files(show.site_dir))
    assert "episodes/first-post.html" in names and "episodes/third-post.html" in names
    assert not any("second-post" in name for name in names)
    assert "second-post" not in (show.site_dir / "feed.xml").read_text()
    assert check_site(show.site_dir) == []


def test_publish_is_atomic_when_writing_fails(show, monkeypatch):
    publish_site(show)
    before = _files(show.site_dir)

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("audio.publish.build.episode_page", fail)
    with pytest.raises(OutputError, match="No space left on device"):
        publish_site(show)
    assert _files(show.site_dir) == before
    assert [p.name for p in show.folder.iterdir() if p.name.startswith(".site")] == []


def test_publish_refuses_to_replace_a_folder_that_is_not_a_site(show, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me")
    with pytest.raises(OutputError, match="refusing"):
        publish_site(show, precious)
    assert (precious / "thesis.txt").read_text() == "keep me"


def test_urls_are_ascii_and_descriptions_fit(tmp_path):
    show = load_show(make_show(tmp_path / "show"))
    long_notes = "".join(f"<p>Paragraph {i} about reasoning models, é and 漢字. " * 5 + "</p>" for i in range(200))
    episode = make_episode(show.rendered_dir, "unicode-post", "Ünïcode title", "2025-08-01T09:00:00+00:00",
                           notes_html=long_notes)
    record = show.rendered_dir / "unicode-post" / "unicode-post.episode.json"
    record.write_text(record.read_text().replace(episode.canonical_url, "https://www.interconnects.ai/p/café-ü"))
    publish_site(show)
    feed = (show.site_dir / "feed.xml").read_text()
    assert "<link>https://www.interconnects.ai/p/caf%C3%A9-%C3%BC</link>" in feed
    fp = feedparser.parse(feed.encode())
    entry = fp.entries[0]
    assert len(entry.description.encode("utf-8")) <= MAX_DESCRIPTION_BYTES
    assert entry.description.endswith(
        "visit https://www.interconnects.ai/subscribe\n\nThis episode is an AI-narrated reading of the post.")
    assert "Paragraph 199" in entry.content[0].value  # the full notes stay in content:encoded
    assert check_site(show.site_dir) == []


def test_placeholders_are_reported(tmp_path):
    folder = tmp_path / "fresh"
    folder.mkdir()
    show = load_show(folder)  # every default
    warnings = "\n".join(placeholder_warnings(show))
    for expected in ("base_url", "site_url", "artwork", "title", "author", "description"):
        assert expected in warnings
    with pytest.raises(ConfigError) as refused:  # a public build needs real URLs
        publish_site(show)
    assert str(refused.value) == (
        f"{folder / 'show.toml'}: [show] base_url = 'https://example.com' is a placeholder: set it to your "
        "newsletter's address, or run `audio-essay publish --preview` for a local preview")
    report = publish_site(show, preview=True)  # no episodes: still a site to look at
    assert report.episodes == 0 and report.feed_url == "http://127.0.0.1:8000/feed.xml"
    assert len(report.warnings) == 5  # all but site_url, which the preview replaces
    write_placeholder(folder / "cover.png", "Fresh")
    assert is_placeholder(folder / "cover.png")
    (folder / "show.toml").write_text('[publish]\nartwork = "cover.png"\n')
    assert any("cover.png is the generated placeholder" in w for w in placeholder_warnings(load_show(folder)))


def test_configured_artwork_is_published_under_a_content_name(tmp_path):
    folder = make_show(tmp_path / "show", extra='artwork = "cover.jpg"')
    Image.new("RGB", (1500, 1500), (10, 20, 30)).save(folder / "cover.jpg", quality=90)
    show = load_show(folder)
    assert not any("artwork" in w for w in placeholder_warnings(show))
    publish_site(show)
    data = (folder / "cover.jpg").read_bytes()
    name = f"artwork-{hashlib.sha256(data).hexdigest()[:12]}.jpg"
    assert (show.site_dir / name).read_bytes() == data
    assert f'<itunes:image href="{SITE_URL}/{name}"/>' in (show.site_dir / "feed.xml").read_text()


@pytest.mark.parametrize("setting, message", [
    ('site_url = "http://podcast.interconnects.ai"', "publish.site_url: expected an https URL"),
    ('funding_url = "ftp://x"', 'publish.funding_url: expected an https URL, got "ftp://x"'),
    ('category = "Tech"', 'publish.category: expected one of "Arts", "Business", '),
    ('subcategory = "Tech News"', 'publish.subcategory: expected a subcategory of "Technology", one of: none, '
                                  'got "Tech News"'),
    ('owner_email = "nobody"', 'publish.owner_email: expected an e-mail address, got "nobody"'),
    ('episode_footer = "visit {nowhere}"', "publish.episode_footer: expected a template with the fields {base_url} "),
    ('explicit = "no"', 'publish.explicit: expected true or false, got "no"'),
    ('artwork = "missing.png"', "publish.artwork:"),
    ('colour = "red"', "publish.colour: unknown key (allowed: ai_disclosure, artwork, category, copyright, "),
])
def test_bad_publish_settings_are_one_clear_error(tmp_path, setting, message):
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "show.toml").write_text(f"[publish]\n{setting}\n")
    with pytest.raises(ConfigError) as info:
        load_show(folder)
    assert message in str(info.value) and str(folder / "show.toml") in str(info.value)


@pytest.mark.parametrize("size, mode, problem", [
    ((1400, 1300), "RGB", "must be square"),
    ((1000, 1000), "RGB", "must be 1400-3000 px"),
    ((1400, 1400), "RGBA", "must be RGB without alpha"),
])
def test_bad_artwork_is_refused_with_the_reason(tmp_path, size, mode, problem):
    folder = tmp_path / "show"
    folder.mkdir()
    Image.new(mode, size).save(folder / "cover.png")
    (folder / "show.toml").write_text('[publish]\nartwork = "cover.png"\n')
    with pytest.raises(ConfigError, match=problem):
        load_show(folder)


def test_loopback_http_is_allowed_for_a_preview(tmp_path):
    show = load_show(make_show(tmp_path / "show", site_url="http://127.0.0.1:8000"))
    assert show.publish.resolved_feed_url == "http://127.0.0.1:8000/feed.xml"


def test_subcategory_is_nested_in_its_category(tmp_path):
    toml = 'category = "News"\nsubcategory = "Tech News"\nexplicit = true\nlocked = true'
    folder = make_show(tmp_path / "show", extra=toml)
    (folder / "show.toml").write_text((folder / "show.toml").read_text().replace('category = "Technology"\n', ""))
    show = load_show(folder)
    publish_site(show)
    feed = (show.site_dir / "feed.xml").read_text()
    assert '<itunes:category text="News">\n      <itunes:category text="Tech News"/>\n    </itunes:category>' in feed
    assert "<itunes:explicit>true</itunes:explicit>" in feed and feed.count("<itunes:explicit>true<") == 4
    assert '<podcast:locked owner="owner@interconnects.ai">yes</podcast:locked>' in feed
    assert check_site(show.site_dir) == []


def test_unchanged_files_keep_their_identity_across_rebuilds(show):
    """Same bytes, same file (mtime, ETag): apps polling an unchanged feed get 304."""
    publish_site(show)
    before = {n: (show.site_dir / n).stat() for n in ("feed.xml", "index.html", "episodes/first-post.html")}
    make_episode(show.rendered_dir, "third-post", "The third post, retitled", "2025-07-01T09:00:00+00:00",
                 seconds=4.0, frequency=660)
    publish_site(show)
    after = {n: (show.site_dir / n).stat() for n in before}
    assert after["episodes/first-post.html"].st_ino == before["episodes/first-post.html"].st_ino
    assert after["episodes/first-post.html"].st_mtime_ns == before["episodes/first-post.html"].st_mtime_ns
    assert after["feed.xml"].st_ino != before["feed.xml"].st_ino  # the title changed
    assert "The third post, retitled" in (show.site_dir / "feed.xml").read_text()


def test_a_render_in_progress_is_not_published(show):
    make_episode(show.rendered_dir, ".first-post.render-abc123", "Half-rendered", "2025-09-01T09:00:00+00:00",
                 guid="audio-essay-first-post")
    report = publish_site(show)
    assert report.episodes == 3 and "Half-rendered" not in (show.site_dir / "feed.xml").read_text()


def test_episodes_sharing_a_guid_are_refused(show):
    make_episode(show.rendered_dir, "copy-post", "A copy", "2025-08-01T09:00:00+00:00", guid="audio-essay-first-post")
    with pytest.raises(InputError, match="same guid as"):
        publish_site(show)


def test_cli_publish_prints_warnings_and_the_feed(show):
    from click.testing import CliRunner

    from audio.cli import main

    result = CliRunner().invoke(main, ["publish", "--show", str(show.folder)])
    assert result.exit_code == 0, result.output
    assert f"{show.site_dir}: 3 episodes; feed {SITE_URL}/feed.xml" in result.stdout
    assert "warning: [publish] artwork is not set" in result.stderr
    record = show.rendered_dir / "first-post" / "first-post.episode.json"
    record.write_text("{ not json")  # that episode is left out, with one line; the others are published
    result = CliRunner().invoke(main, ["publish", "--show", str(show.folder)])
    assert result.exit_code == 0, result.output
    assert f"{show.site_dir}: 2 episodes; feed {SITE_URL}/feed.xml" in result.stdout
    [line] = [line for line in result.stderr.splitlines() if "first-post" in line]
    assert line.startswith(f"warning: {record}: not a readable episode record (")
