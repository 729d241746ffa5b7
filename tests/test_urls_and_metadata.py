"""Hostile URLs and invisible characters in metadata.

Every URL that reaches the feed, the site, the ID3 tags or the show notes is absolute
http(s): a relative one is resolved against the show's base_url, anything else is
dropped with a warning naming the post and the field. The site runs under a
Content-Security-Policy (no inline script); titles lose bidi and zero-width characters.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import httpx
import lxml.html
import pytest
from click.testing import CliRunner
from lxml import etree
from publish_support import Server, make_show

from audio.back_catalogue.importer import import_source
from audio.catalog import Catalog
from audio.cli import main
from audio.episode_store import episode_to_json, load_episode
from audio.master.tags import read_tags
from audio.prepare import read_post
from audio.publish.build import check_site, publish_site
from audio.publish.serve import make_app
from audio.publish.site import ASSETS, CONTENT_SECURITY_POLICY, asset
from audio.show import load_show
from audio.urls import web_url

BASE = "https://essays.test"
EVIL = "javascript:alert(document.domain)"
RLO, ZWSP, ZWNJ, RLM = "\u202e", "\u200b", "\u200c", "\u200f"
INVISIBLE = (RLO, ZWSP, ZWNJ, RLM)
HOSTILE_TITLE = f"Invoice{RLO}fdp.exe{ZWSP} title"
PERSIAN = f"Persian keeps its joiner: \u0645\u06cc{ZWNJ}\u062e\u0648\u0627\u0647\u0645 and Hebrew its mark \u05e9\u05dc\u05d5\u05dd{RLM}."


def make_fake_show(folder: Path):
    """A show at ``BASE`` that renders with the fake engine, fast."""
    (folder / "voices").mkdir(parents=True)
    (folder / "voices" / "tones.toml").write_text('engine = "fake"\n[params]\nchars_per_second = 300.0\n')
    (folder / "show.toml").write_text(f'[show]\nauthor = "Tester"\ndescription = "Hostile posts."\nbase_url = "{BASE}"\n'
                                      '[publish]\nsite_url = "https://audio.essays.test"\nowner_email = "me@essays.test"\n'
                                      '[render]\nvoice = "tones"\n')
    return load_show(folder)


def _site_text(site: Path) -> dict[str, str]:
    """Every text file of a site (pages, feeds, transcripts, chapters, notes)."""
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in sorted(site.rglob("*"))
            if p.is_file() and p.suffix in (".html", ".xml", ".json", ".vtt", ".srt", ".js", ".css")}


def _post(folder: Path, name: str, front: str, body: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    body = body or f"The body of {name} has one plain sentence. And a second paragraph follows it."
    path.write_text(f"---\n{front}\ndate: 2024-05-01\n---\n{body}\n", encoding="utf-8")
    return path


# --- one place: the URL rule --------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("https://www.interconnects.ai/p/x", "https://www.interconnects.ai/p/x"),
    ("http://example.org/a?b=1#c", "http://example.org/a?b=1#c"),
    ("/p/x", f"{BASE}/p/x"),
    ("p/x", f"{BASE}/p/x"),
    (EVIL, None),
    ("JavaScript:alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("mailto:someone@example.org", None),
    ("vbscript:msgbox(1)", None),
    ("not a url", None),
    ("https://", None),
    ("https://host:port/", None),
    ("http://[::1", None),
    ("https:\\\\evil.example", None),
    ("", None),
])
def test_web_url_is_absolute_http_or_nothing(value, expected):
    assert web_url(value, BASE) == expected


# --- front matter -----------------------------------------------------------------------------


def test_front_matter_urls_are_resolved_or_dropped_with_a_warning(tmp_path, caplog):
    show = make_fake_show(tmp_path / "show")
    posts = tmp_path / "show" / "posts"
    evil = _post(posts, "evil.md", f'title: Evil\ncanonical_url: "{EVIL}"')
    relative = _post(posts, "relative.md", "title: Relative\ncanonical_url: /p/x")
    garbage = _post(posts, "garbage.md", "title: Garbage\nurl: not a url")
    with caplog.at_level(logging.WARNING, logger="audio"):
        assert read_post(evil, show).meta.canonical_url == f"{BASE}/p/evil"
        assert read_post(relative, show).meta.canonical_url == f"{BASE}/p/x"
        assert read_post(garbage, show).meta.canonical_url == f"{BASE}/p/garbage"
    assert caplog.messages == [
        f"{evil}: canonical_url '{EVIL}' is not an http(s) URL; dropped",
        f"{garbage}: url 'not a url' is not an http(s) URL; dropped",
    ]


def test_cli_script_prints_the_warning_as_one_line(tmp_path):
    make_fake_show(tmp_path / "show")
    evil = _post(tmp_path / "show" / "posts", "evil.md", f'title: Evil\ncanonical_url: "{EVIL}"')
    result = CliRunner().invoke(main, ["script", str(evil), "--show", str(tmp_path / "show")])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"warning: {evil}: canonical_url '{EVIL}' is not an http(s) URL; dropped\n"
    assert "javascript:" not in result.stdout


# --- the whole path: import, batch (render + publish), check ----------------------------------


@pytest.fixture(scope="module")
def batch_show(tmp_path_factory):
    """Posts with a javascript:, a relative and an invalid canonical URL, and a title and
    headings full of bidi and zero-width characters, imported and batch-rendered (fake voice)."""
    folder = tmp_path_factory.mktemp("hostile") / "show"
    show = make_fake_show(folder)
    posts = folder / "posts"
    _post(posts, "evil.md", f'title: "{HOSTILE_TITLE}"\nauthor: "Mallory{RLO}"\ncanonical_url: "{EVIL}"',
          f"An opening sentence before any heading.\n\n## Chapter{ZWSP} two{RLO}\n\n{PERSIAN}\n\n"
          f"[A bad link]({EVIL}) and [a good one](https://example.org/ref) and [a footnote](#fn1).\n")
    _post(posts, "relative.md", "title: Relative\ncanonical_url: /p/x")
    _post(posts, "garbage.md", "title: Garbage\ncanonical_url: not a url")
    runner = CliRunner()
    imported = runner.invoke(main, ["import", str(posts), "--show", str(folder)])
    assert imported.exit_code == 0, imported.output
    batch = runner.invoke(main, ["batch", "--show", str(folder), "--jobs", "1"])
    return show, imported, batch


def test_batch_publishes_every_post_despite_bad_urls(batch_show):
    show, imported, batch = batch_show
    assert batch.exit_code == 0, batch.output
    assert "site rebuilt" in batch.output
    assert f"warning: {show.posts_dir / 'evil.md'}: canonical_url '{EVIL}' is not an http(s) URL; dropped" \
        in imported.stderr.splitlines()
    assert f"warning: {show.posts_dir / 'garbage.md'}: canonical_url 'not a url' is not an http(s) URL; dropped" \
        in imported.stderr.splitlines()
    pages = sorted(p.name for p in (show.site_dir / "episodes").glob("*.html"))
    assert pages == ["evil.html", "garbage.html", "relative.html"]
    with Catalog(show.catalog_path) as catalog:
        urls = {p.slug: p.meta["canonical_url"] for p in catalog.posts()}
    assert urls == {"evil": f"{BASE}/p/evil", "relative": f"{BASE}/p/x", "garbage": f"{BASE}/p/garbage"}
    assert check_site(show.site_dir) == []


def test_no_javascript_url_anywhere_in_the_site_feed_or_tags(batch_show):
    show, _, _ = batch_show
    for name, text in _site_text(show.site_dir).items():
        assert "javascript:" not in text.lower(), name
    page = lxml.html.fromstring((show.site_dir / "episodes" / "evil.html").read_bytes())
    assert page.xpath("//a[.='Read the post']/@href") == [f"{BASE}/p/evil"]
    notes = page.xpath("//div[@class='notes']//a")
    assert [(a.text, a.get("href")) for a in notes][:3] == [
        ("A bad link", None), ("a good one", "https://example.org/ref"), ("a footnote", f"{BASE}/p/evil#fn1")]
    relative = lxml.html.fromstring((show.site_dir / "episodes" / "relative.html").read_bytes())
    assert relative.xpath("//a[.='Read the post']/@href") == [f"{BASE}/p/x"]
    assert f"<link>{BASE}/p/x</link>" in (show.site_dir / "feed.xml").read_text()
    tags = read_tags(show.rendered_dir / "evil" / "evil.mp3")
    assert tags.comment.endswith(f"The full post: {BASE}/p/evil")


def test_bidi_and_zero_width_characters_leave_titles_but_stay_in_prose(batch_show):
    show, _, _ = batch_show
    clean_title = "Invoicefdp.exe title"
    record = load_episode(show.rendered_dir / "evil" / "evil.episode.json")
    assert (record.title, record.author) == (clean_title, "Mallory")
    assert [c.title for c in record.chapters] == ["Introduction", clean_title, "Chapter two"]
    tags = read_tags(show.rendered_dir / "evil" / "evil.mp3")
    assert (tags.title, tags.artist) == (clean_title, "Mallory")
    assert [title for _, _, title in tags.chapters] == ["Introduction", clean_title, "Chapter two"]
    chapters = json.loads((show.site_dir / "episodes" / "evil.chapters.json").read_text())
    assert [c["title"] for c in chapters["chapters"]] == ["Introduction", clean_title, "Chapter two"]
    # The feed: every element but the notes (description, content:encoded: the post's prose).
    feed = etree.parse(str(show.site_dir / "feed.xml"))
    item = next(i for i in feed.iter("item") if i.findtext("title") == clean_title)
    for element in item.iter():
        if etree.QName(element).localname not in ("description", "encoded"):
            assert not any(c in (element.text or "") + "".join(element.attrib.values()) for c in INVISIBLE), element
    index = (show.site_dir / "index.html").read_text()
    assert clean_title in index and not any(c in index for c in INVISIBLE)
    page = lxml.html.fromstring((show.site_dir / "episodes" / "evil.html").read_bytes())
    assert page.findtext(".//title").startswith(clean_title) and page.findtext(".//h1") == clean_title
    chapters = [a.text_content().split(" ", 1)[1] for a in page.xpath("//ol[@class='chapters']//a")]
    assert chapters == ["Introduction", clean_title, "Chapter two"]
    # The prose keeps its joiner and mark (Persian, Hebrew): in the show notes.
    notes = page.xpath("//div[@class='notes']")[0].text_content()
    assert f"\u0645\u06cc{ZWNJ}\u062e" in notes and f"\u05e9\u05dc\u05d5\u05dd{RLM}" in notes


# --- imported feeds ---------------------------------------------------------------------------


RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Someone</title><link>https://news.example.org</link><description>d</description>
<item><title>Evil item</title><link>{link}</link>
<content:encoded><![CDATA[<p>An imported post with a sentence or two. It has a second one.</p>]]></content:encoded></item>
</channel></rss>"""


def test_an_imported_feed_item_link_must_be_http(tmp_path, caplog):
    show = make_fake_show(tmp_path / "show")
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS.format(link=EVIL), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="audio"):
        report = import_source(feed, show)
    assert report.new == ["evil-item"] and not report.problems
    assert caplog.messages == [f"{feed} entry 1 (Evil item): link '{EVIL}' is not an http(s) URL; dropped"]
    staged = show.posts_dir / "evil-item.md"
    assert "javascript" not in staged.read_text()
    assert read_post(staged, show).meta.canonical_url == f"{BASE}/p/evil-item"


def test_an_imported_relative_item_link_is_the_channels(tmp_path):
    show = make_fake_show(tmp_path / "show")
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS.format(link="/p/relative-item"), encoding="utf-8")
    assert import_source(feed, show).new == ["relative-item"]
    meta = read_post(show.posts_dir / "relative-item.md", show).meta
    assert meta.canonical_url == "https://news.example.org/p/relative-item"


# --- publish: old episode records, notes, isolation --------------------------------------------


@pytest.fixture
def site_show(tmp_path):
    return load_show(make_show(tmp_path / "show"))


def _rewrite(show, name: str, **changes) -> None:
    path = show.rendered_dir / name / f"{name}.episode.json"
    episode = dataclasses.replace(load_episode(path), **changes)
    path.write_text(episode_to_json(episode), encoding="utf-8")


def test_publish_never_crashes_on_bad_urls_in_episode_records(site_show):
    show = site_show
    _rewrite(show, "first-post", canonical_url=EVIL,
             notes_html=f'<p><a href="{EVIL}">x</a> <a href="data:text/html,hi">d</a> '
                        '<a href="mailto:a@example.org">m</a> <a href="/p/other">o</a></p>')
    _rewrite(show, "second-post", canonical_url="not a url")
    _rewrite(show, "third-post", canonical_url="/p/x")
    report = publish_site(show)
    assert report.episodes == 3
    assert f"episode first-post: canonical_url '{EVIL}' is not an http(s) URL; dropped" in report.warnings
    assert "episode second-post: canonical_url 'not a url' is not an http(s) URL; dropped" in report.warnings
    feed = (show.site_dir / "feed.xml").read_text()
    assert "<link>https://www.interconnects.ai/p/first-post</link>" in feed
    assert "<link>https://www.interconnects.ai/p/second-post</link>" in feed
    assert "<link>https://www.interconnects.ai/p/x</link>" in feed
    for name, text in _site_text(show.site_dir).items():
        assert "javascript:" not in text and "data:" not in text and "mailto:" not in text, name
    page = lxml.html.fromstring((show.site_dir / "episodes" / "first-post.html").read_bytes())
    assert [(a.text, a.get("href")) for a in page.xpath("//div[@class='notes']/p[1]/a")] == [
        ("x", None), ("d", None), ("m", None), ("o", "https://www.interconnects.ai/p/other")]
    assert check_site(show.site_dir) == []


def test_cli_publish_warns_and_leaves_out_only_the_unusable_episode(site_show):
    show = site_show
    _rewrite(show, "first-post", canonical_url="not a url")
    _rewrite(show, "second-post", slug="../escape")
    result = CliRunner().invoke(main, ["publish", "--show", str(show.folder)])
    assert result.exit_code == 0, result.output
    assert "warning: episode first-post: canonical_url 'not a url' is not an http(s) URL; dropped" \
        in result.stderr.splitlines()
    left_out = [line for line in result.stderr.splitlines() if "left out of the site" in line]
    assert left_out == [f"warning: episode ../escape left out of the site and feed: "
                        f"{show.rendered_dir / 'second-post'}: episode slug '../escape' is not safe as a file name"]
    assert f"{show.site_dir}: 2 episodes;" in result.stdout
    assert sorted(p.name for p in (show.site_dir / "episodes").glob("*.html")) == ["first-post.html", "third-post.html"]


def test_an_unreadable_episode_record_is_left_out_and_the_others_published(site_show):
    show = site_show
    record = show.rendered_dir / "second-post" / "second-post.episode.json"
    record.write_text('{"slug": "second-post", "chap', encoding="utf-8")  # cut short, as by a full disk
    result = CliRunner().invoke(main, ["publish", "--show", str(show.folder)])
    assert result.exit_code == 0, result.output
    [left_out] = [line for line in result.stderr.splitlines() if "left out of the site" in line]
    assert left_out.startswith(f"warning: {record}: not a readable episode record (")
    assert left_out.endswith("): left out of the site and feed")
    assert sorted(p.name for p in (show.site_dir / "episodes").glob("*.html")) == ["first-post.html", "third-post.html"]


# --- check ------------------------------------------------------------------------------------


def test_check_rejects_non_http_links_in_the_feed_and_the_pages(site_show):
    show = site_show
    publish_site(show)
    site = show.site_dir
    feed = site / "feed.xml"
    xml = feed.read_text()
    feed.write_text(xml.replace("<link>https://www.interconnects.ai/p/third-post</link>", f"<link>{EVIL}</link>")
                    .replace('href="https://example.org/ref"', 'href="data:text/html,x"', 1), encoding="utf-8")
    page = site / "episodes" / "first-post.html"
    page.write_text(page.read_text().replace('href="https://www.interconnects.ai/p/first-post"', f'href="{EVIL}"')
                    .replace("</main>", '</main><script>alert(1)</script><img src="x.png" onerror="alert(1)">'))
    lines = check_site(site)
    assert lines == [
        f"feed.xml: <link>: URL '{EVIL}' is not an absolute http(s) URL",
        "feed.xml: <encoded>: link 'data:text/html,x' is not an http(s) URL",
        f"episodes/first-post.html: <a href>: '{EVIL}' is not an http(s) URL",
        "episodes/first-post.html: inline <script> (the Content-Security-Policy refuses it)",
        "episodes/first-post.html: <img onerror>: inline script (the Content-Security-Policy refuses it)",
    ]
    result = CliRunner().invoke(main, ["check", "--site", str(site)])
    assert result.exit_code == 1 and f"<link>: URL '{EVIL}'" in result.stdout


# --- the site under a Content-Security-Policy -----------------------------------------------


def test_no_inline_script_or_style_in_any_page(site_show):
    publish_site(site_show)
    site = site_show.site_dir
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 7  # the index, and a page and an embeddable player per episode
    for path in pages:
        page = lxml.html.fromstring(path.read_bytes())
        scripts = page.xpath("//script")
        assert all(s.get("src") and not (s.text or "").strip() for s in scripts), path
        assert page.xpath("//style") == [] and page.xpath("//*[@style]") == [], path
        assert not [a for e in page.iter() if isinstance(e.tag, str) for a in e.attrib if a.startswith("on")], path
        for url in page.xpath("//@href | //@src"):
            assert not url.startswith("data:"), (path, url)
    episode = lxml.html.fromstring((site / "episodes" / "second-post.html").read_bytes())
    assert episode.xpath("//script/@src") == ["../site.js"]
    assert episode.xpath("//link[@rel='stylesheet']/@href") == ["../site.css"]
    assert [(site / name).read_bytes() for name in ASSETS] == [asset(name) for name in ASSETS]


def test_served_pages_carry_the_content_security_policy(site_show):
    publish_site(site_show)
    with Server(make_app(site_show.site_dir)) as server, httpx.Client(base_url=server.url) as client:
        for path, kind in (("/", "text/html"), ("/episodes/second-post.html", "text/html"),
                           ("/site.js", "text/javascript"), ("/site.css", "text/css")):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            assert response.headers["content-type"].startswith(kind)
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY


# --- property: whatever a post says, the published site and feed link only to http(s) -----------

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SCHEMES = st.sampled_from(["https:", "http:", "javascript:", "JaVaScRiPt:", "java\tscript:", "data:", "vbscript:",
                           "file:", "mailto:", "ftp:", "//", "/", "", " javascript:"])
HOSTILE_URLS = st.one_of(st.builds("{}{}".format, SCHEMES, st.sampled_from(
    ["//news.test/p/x", "alert(document.domain)", "text/html;base64,PHNjcmlwdD4=", "/p/x", "p/x", "not a url",
     "//evil.test/%0ajavascript:x", "x\"onmouseover=\"alert(1)"])), st.text(max_size=30))


def _links(site: Path) -> list[tuple[str, str]]:
    """Every URL a page or feed of the site points at: (file, url)."""
    found = []
    for path in sorted(site.rglob("*.html")):
        page = lxml.html.fromstring(path.read_bytes())
        found += [(path.name, url) for url in page.xpath("//@href | //@src")]
    for path in sorted(site.rglob("feed.xml")):
        tree = etree.parse(str(path))
        found += [(path.name, (e.text or "").strip()) for e in tree.iter("link")]
        found += [(path.name, url) for url in tree.xpath("//@href | //@url")]
        for encoded in tree.iter("{http://purl.org/rss/1.0/modules/content/}encoded", "description"):
            if encoded.text and "<" in encoded.text:
                found += [(path.name, url) for url in lxml.html.fromstring(f"<div>{encoded.text}</div>")
                          .xpath("//@href | //@src")]
    return found


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(canonical=HOSTILE_URLS, link=HOSTILE_URLS, image=HOSTILE_URLS)
@example(canonical="https://news.test/p/x", link='"', image="x.png")  # '<a href=""">' stays text in the post
@example(canonical="http://news.test/p/x", link="", image="")  # a newsletter on http: the item's <link> may be
@example(canonical="", link="", image="\x00")  # a refused post: nothing rendered, nothing to check
def test_any_url_in_a_post_publishes_only_http_links(tmp_path_factory, canonical, link, image):
    folder = tmp_path_factory.mktemp("property") / "show"
    show = make_fake_show(folder)
    post = _post(folder / "posts", "post.md", f"title: A post\ncanonical_url: {json.dumps(canonical)}",
                 f"A first sentence to read. [A link]({link}) and more words.\n\n![An image]({image})\n\n"
                 f'<a href="{link}">raw</a> closing words here.\n')
    runner = CliRunner()
    codes = []
    for args in (["render", str(post), "--quiet"], ["publish"]):
        result = runner.invoke(main, [*args, "--show", str(folder)])
        assert result.exit_code in (0, 2) and isinstance(result.exception, (SystemExit, type(None))), \
            (args, result.output, result.exception)
        codes.append(result.exit_code)
    if codes != [0, 0]:  # the post refused (one line, status 2): no episode, a feed check would say so
        return
    assert check_site(show.site_dir) == []
    for name, url in _links(show.site_dir):
        if "://" in url or ":" in url.split("/")[0] and not url.startswith("#"):  # absolute: http(s) only
            assert web_url(url, BASE) == url and url.lower().startswith(("https://", "http://")), (name, url)
        else:  # the site's own files
            assert not url.startswith("//"), (name, url)


def test_control_characters_in_a_post_never_reach_the_feed(tmp_path):
    """Found by the property above: a C0 control character in a post made publish crash
    (XML cannot hold it). The reader drops them; a form feed is a line end."""
    folder = tmp_path / "show"
    show = make_fake_show(folder)
    post = _post(folder / "posts", "ctl.md", "title: \"Bell\\a title\\x1f\"",
                 "A first sentence\x1f to read.\x0cA page break, then \x07more\uffff words.\n")
    runner = CliRunner()
    for args in (["render", str(post), "--quiet"], ["publish"]):
        result = runner.invoke(main, [*args, "--show", str(folder)])
        assert result.exit_code == 0, (args, result.output)
    feed = (show.site_dir / "feed.xml").read_text(encoding="utf-8")
    assert "<title>Bell title</title>" in feed
    assert not any(c in feed for c in "\x07\x0c\x1f\uffff")
    assert "A first sentence to read." in feed and "more words." in feed
    assert check_site(show.site_dir) == []
