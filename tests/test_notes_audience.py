"""Show notes as listeners get them: the footer by audience, the post's URL first, footnotes
as a "Notes" list, and images only when they are published with the episode. Feeds are
read with feedparser (``content:encoded`` and ``description``), pages with lxml."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import lxml.html
import pytest
from conftest import CORPUS, SEEDS, require
from PIL import Image
from publish_support import make_episode, make_show

from audio.prepare import prepare_post
from audio.publish.build import check_site, publish_site
from audio.show import DEFAULT_AI_DISCLOSURE, load_show

SITE = "https://audio.interconnects.ai"
PUBLIC_FOOTER = ("This is a public episode. If you'd like to discuss this with other subscribers or get access to "
                 "bonus episodes, visit https://www.interconnects.ai/subscribe")
SEED_POST = SEEDS / "002_d707bd79e2bb6a8f.txt"
DISCLOSURE = f"\n\n{DEFAULT_AI_DISCLOSURE}"  # ends every narrated episode's description


def feed_entries(path: Path) -> dict[str, feedparser.FeedParserDict]:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {e.link.rsplit("/", 1)[-1]: e for e in parsed.entries}


def test_the_footer_follows_the_audience(tmp_path):
    show = load_show(make_show(tmp_path / "show", extra="private_feed = true"))
    report = publish_site(show)
    public = feed_entries(show.site_dir / "feed.xml")
    private = feed_entries(show.site_dir / report.private_feed_url.removeprefix(SITE + "/"))
    assert "paid-post" not in public
    for slug in ("first-post", "third-post"):
        assert public[slug].description.endswith(PUBLIC_FOOTER + DISCLOSURE)
        assert private[slug].description.endswith(PUBLIC_FOOTER + DISCLOSURE)
    paid = private["paid-post"]
    footer = ("This episode is for paid subscribers of Interconnects Audio Essays. Thank you for your support; "
              "discuss it at https://www.interconnects.ai/p/paid-post")
    assert paid.description.endswith(footer + DISCLOSURE) and "public episode" not in paid.description
    assert paid.content[0].value.endswith(
        'discuss it at <a href="https://www.interconnects.ai/p/paid-post">https://www.interconnects.ai/p/paid-post</a></p>'
        f"\n<p>{DEFAULT_AI_DISCLOSURE}</p>")
    assert check_site(show.site_dir) == []


def test_footer_settings_old_and_new(tmp_path):
    extra = ('private_feed = true\nepisode_footer = "Public: {title} at {link}"\n'
             'paid_episode_footer = "Paid, {show_title}: {title}"\nnotes_lead_link = false')
    show = load_show(make_show(tmp_path / "show", extra=extra))
    report = publish_site(show)
    private = feed_entries(show.site_dir / report.private_feed_url.removeprefix(SITE + "/"))
    assert private["third-post"].description.endswith(
        "Public: The third post at https://www.interconnects.ai/p/third-post" + DISCLOSURE)
    assert private["paid-post"].description.endswith(
        "Paid, Interconnects Audio Essays: A paid-only post" + DISCLOSURE)
    # Without the lead link the description opens with the notes.
    assert private["third-post"].description.startswith("Notes for The third post with a link [https://example.org/ref]")


def test_the_post_url_opens_the_description_as_in_the_seed_listing(tmp_path):
    show = load_show(make_show(tmp_path / "show"))
    publish_site(show)
    entry = feed_entries(show.site_dir / "feed.xml")["third-post"]
    url = "https://www.interconnects.ai/p/third-post"
    assert entry.description.startswith(f"{url} [{url}]\n\nNotes for The third post")
    assert entry.content[0].value.startswith(f'<p><a href="{url}">{url}</a></p>\n<p>Notes for The third post')
    page = lxml.html.fromstring((show.site_dir / "episodes" / "third-post.html").read_bytes())
    notes = page.xpath("//div[@class='notes']")[0]
    assert notes.xpath("string(p[1])").startswith("Notes for The third post")  # the page links the post in its header


def publish_notes_of(tmp_path: Path, post: Path) -> tuple[Path, feedparser.FeedParserDict, lxml.html.HtmlElement]:
    """A site whose newest episode has the show notes the preparer makes of ``post``."""
    folder = make_show(tmp_path / "show")
    show = load_show(folder)
    notes = prepare_post(post, show).notes_html
    make_episode(folder / "rendered", "noted", "A noted post", "2025-08-01T09:00:00+00:00", notes_html=notes)
    publish_site(show)
    entry = feed_entries(show.site_dir / "feed.xml")["noted"]
    page = lxml.html.fromstring((show.site_dir / "episodes" / "noted.html").read_bytes())
    return show.site_dir, entry, page


def test_seed_post_footnote_becomes_a_notes_list_in_feed_description_and_page(tmp_path):
    require(SEED_POST.is_file(), f"the seed post {SEED_POST} is missing")
    site, entry, page = publish_notes_of(tmp_path, SEED_POST)
    content = entry.content[0].value
    # The marker: a superscript [1] linking to the note (on the episode's page, from a feed).
    html = lxml.html.fragment_fromstring(content, create_parent="div")
    marker = html.xpath("//sup/a")
    assert [(a.text, a.get("href"), a.get("id")) for a in marker] == [
        ("[1]", "https://audio.interconnects.ai/episodes/noted.html#note-1", "note-ref-1")]
    assert marker[0].getparent().getparent().text_content().endswith("rather than just the learning.[1]")
    listed = html.xpath("//h2[.='Notes']/following-sibling::ol[1]/li")
    assert [li.get("id") for li in listed] == ["note-1"]
    assert listed[0].text_content().startswith("Some of my recent coverage on robotics is here:")
    assert html.xpath("//h2[.='Notes']/following-sibling::*[2]")[0].text_content().startswith("This is a public episode")
    assert "footnote-1" not in content
    # The description (cut to 4,000 bytes): the numbered "Notes" list is kept, before the footer.
    assert entry.description.endswith(
        "…\n\nNotes\n1. Some of my recent coverage on robotics is here:\n\n"
        "A realistic path to robotic foundation models [https://www.interconnects.ai/p/robotic-foundation-models]"
        f"\n\n{PUBLIC_FOOTER}{DISCLOSURE}")
    assert len(entry.description.encode("utf-8")) <= 4000
    # The page: the marker links to the list item on the same page.
    assert page.xpath("//div[@class='notes']//sup/a/@href") == ["#note-1"]
    assert page.xpath("//div[@class='notes']//h2[.='Notes']/following-sibling::ol[1]/li/@id") == ["note-1"]
    assert check_site(site) == []


def test_corpus_post_with_many_footnotes(tmp_path):
    post = CORPUS / "2023-05-25-codegreenpasturesforllms.md"  # footnotes on list items
    require(post.is_file(), f"the corpus post {post} is missing")
    site, entry, page = publish_notes_of(tmp_path, post)
    markers = page.xpath("//div[@class='notes']//sup/a")
    notes = page.xpath("//div[@class='notes']//h2[.='Notes']/following-sibling::ol[1]/li")
    count = len(re.findall(r"\[\^?\d+\]\(#footnote-\d+\)", post.read_text(encoding="utf-8")))
    assert count >= 2 and len(markers) == len(notes) == count
    for number, (marker, note) in enumerate(zip(markers, notes), 1):
        assert (marker.text, marker.get("href"), marker.get("id")) == (f"[{number}]", f"#note-{number}", f"note-ref-{number}")
        assert note.get("id") == f"note-{number}" and note.text_content().strip()
    notes_text = entry.description.rsplit("\n\nNotes\n", 1)[1].removesuffix(PUBLIC_FOOTER + DISCLOSURE).strip()
    assert [line.split(" ", 1)[0] for line in notes_text.split("\n")] == [f"{n}." for n in range(1, count + 1)]
    assert check_site(site) == []


@pytest.fixture
def fake_show(tmp_path: Path) -> Path:
    folder = tmp_path / "show"
    (folder / "voices").mkdir(parents=True)
    (folder / "voices" / "tones.toml").write_text('engine = "fake"\n[params]\nchars_per_second = 300.0\n')
    (folder / "show.toml").write_text('[show]\nauthor = "Tester"\ndescription = "Essays, read aloud."\n'
                                      'base_url = "https://essays.test"\n[publish]\nsite_url = "https://audio.essays.test"\n'
                                      'owner_email = "tester@essays.test"\n[render]\nvoice = "tones"\n')
    return folder


def test_only_images_published_with_the_episode_are_shown(fake_show: Path):
    """An image beside the post is copied into the site and shown; a relative one with no
    file and a remote one (the pages load nothing from another host) are not: their
    captions stay, and no <img> anywhere points at nothing."""
    from audio.pipeline import render_episode

    posts = fake_show / "posts"
    (posts / "images").mkdir(parents=True)
    Image.new("RGB", (40, 30), (200, 10, 10)).save(posts / "images" / "chart.png")
    post = posts / "imaged.md"
    post.write_text("---\ntitle: Imaged\ndate: 2025-01-01\n---\nA sentence to read aloud here.\n\n"
                    "![A red chart](images/chart.png)\n\n![A missing chart](images/missing.png)\n\n"
                    "![A remote chart](https://cdn.example.org/remote.png)\n\nClosing words of the post.\n",
                    encoding="utf-8")
    show = load_show(fake_show)
    episode = render_episode(post, show)
    images = {role: name for role, name in episode.files.items() if role.startswith("image:")}
    assert len(images) == 1
    name = next(iter(images.values()))
    assert re.fullmatch(r"img-[0-9a-f]{16}\.png", name) and (episode.folder / name).read_bytes() == (
        posts / "images" / "chart.png").read_bytes()
    publish_site(show)
    site = show.site_dir
    assert (site / "episodes" / name).read_bytes() == (posts / "images" / "chart.png").read_bytes()
    page = lxml.html.fromstring((site / "episodes" / "imaged.html").read_bytes())
    assert page.xpath("//div[@class='notes']//img/@src") == [name]
    assert page.xpath("//div[@class='notes']//img/@alt") == ["A red chart"]
    content = feed_entries(site / "feed.xml")["imaged"].content[0].value
    shown = lxml.html.fragment_fromstring(content, create_parent="div").xpath("//img")
    assert [(i.get("src"), i.get("alt")) for i in shown] == [(f"https://audio.essays.test/episodes/{name}", "A red chart")]
    assert "A missing chart" in content and "A remote chart" in content  # the captions stay
    assert check_site(site) == []


def test_markdown_footnotes_become_the_same_notes_list(tmp_path):
    from prepare_helpers import prepare_md

    notes = prepare_md(tmp_path, "A claim.[^a] And another[^b] here.\n\n"
                                 "[^a]: The first note, with a [link](https://x.org/).\n[^b]: Second.\n").notes_html
    assert notes == (
        '<p>A claim.<sup><a href="#note-1" id="note-ref-1" rel="noopener noreferrer">[1]</a></sup> And another'
        '<sup><a href="#note-2" id="note-ref-2" rel="noopener noreferrer">[2]</a></sup> here.</p>\n'
        "<h2>Notes</h2>\n<ol>\n"
        '<li id="note-1"><p>The first note, with a <a href="https://x.org/" rel="noopener noreferrer">link</a>.</p></li>\n'
        '<li id="note-2"><p>Second.</p></li>\n</ol>')


def test_every_corpus_footnote_has_its_marker_and_note(corpus, sample_show):
    """All corpus posts with Substack footnotes: as many markers as notes as footnotes in the
    post, numbered in order, and nothing of Substack's footnote markup left."""
    from audio.prepare import prepare_posts

    posts = [p for p in corpus if "(#footnote-" in p.read_text(encoding="utf-8")]
    assert len(posts) >= 20
    for post, script in zip(posts, prepare_posts(posts, load_show(sample_show)), strict=True):
        notes = script.notes_html
        count = len(set(re.findall(r"\(#footnote-(\d+)\)", post.read_text(encoding="utf-8"))))
        numbers = [str(n) for n in range(1, count + 1)]
        assert re.findall(r'<sup><a href="#note-(\d+)" id="note-ref-\1"[^>]*>\[\1\]</a></sup>', notes) == numbers, post.name
        assert re.findall(r'<li id="note-(\d+)">', notes.partition("<h2>Notes</h2>")[2]) == numbers, post.name
        assert "footnote" not in notes, post.name


@pytest.mark.parametrize("notes", [
    "", "<p>One paragraph with <a href=\"https://a.test/x\">a link</a>.</p>",
    "<ul><li>A first item</li><li>A second</li></ul><p>Then prose.</p>",
    "<ol><li><p>Numbered</p></li></ol>", "<blockquote><p>Quoted words.</p></blockquote><h2>A heading</h2>",
])
@pytest.mark.parametrize("lead", ["", "https://news.test/p/post", "http://news.test/p/a b", "https://news.test/p/<x>"])
def test_the_lead_link_shortcut_says_what_the_whole_notes_would(notes, lead):
    """The description's lead link is put before notes already made text (one notes_text
    per episode): the same description as making text of the lead paragraph and the notes."""
    from audio.publish.build import _description, _lead_link
    from audio.publish.feed import item_description, notes_text

    footer = "The footer."
    whole = item_description((_lead_link(lead) if lead else "") + notes, footer)
    assert _description(lead, notes, notes_text(notes), footer) == whole
