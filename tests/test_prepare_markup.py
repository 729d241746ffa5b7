"""Substack's markup in any wrapper: an export body, a saved page, a Hugo or Jekyll post with
the HTML pasted into its Markdown, an RSS item's content:encoded. Footnote markers, captions,
embeds and widgets are recognised by class in each; every prose sentence is spoken; the
footnotes become the show notes' Notes list.

The test posts live in tests/markup/ (the corpus holds only Markdown). Golden scripts: the
Hugo post and the RSS item (tests/golden/; ``UPDATE_GOLDEN=1`` rewrites them, then read the diff).
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_SHOW
from prepare_helpers import assert_golden, body_text, make_show
from test_prepare_corpus import spoken_problems
from test_prepare_html import saved_page

from audio.back_catalogue.importer import import_source
from audio.catalog import Catalog
from audio.cli import main
from audio.models import NOTES_HEADING
from audio.prepare import prepare_post
from audio.script_output import script_text
from audio.show import load_show

MARKUP = Path(__file__).parent / "markup"
BODY = (MARKUP / "substack-body.html").read_text(encoding="utf-8")

# Every prose sentence of the Shannon post, as spoken: a footnote marker sat at the end
# of "definitions" and of "compressor".
SHANNON_PROSE = [
    "Information theory began with a single paper.",
    "Claude Shannon wrote it in nineteen forty-eight, and the field still runs on his definitions.",
    "Every model we train is, in the end, a Shannon one.",
    "The second idea is compression.",
    "A good predictor is a good compressor, and the converse holds too.",
    "Compression and channels",
    "Here is what I wrote about this last year.",
    "The third idea is about channels, and it matters most for language models.",
    "A noisy channel still carries information, if the code is good enough.",
    "That is the whole argument, in three ideas.",
]
# Words of the captions, embeds, widgets and footnote bodies: never spoken by default.
SHANNON_NEVER = ["Bits per character", "Restack", "Compression is intelligence", "preview of the embedded post",
                 "Read more", "likes", "reader-supported", "Subscribe", "Type your email", "Some One", "someone",
                 "tweet", "PM", "Share", "Mathematical Theory", "Arithmetic coding", "youtube"]
SHANNON_NOTES = (f"{NOTES_HEADING}\n<ol>\n"
                 '<li id="note-1"><p>A Mathematical Theory of Communication, in the Bell System Technical Journal.</p></li>\n'
                 '<li id="note-2"><p>Arithmetic coding makes the link exact.</p></li>\n</ol>')
JEKYLL_PROSE = [
    "Error-correcting codes are older than deep learning by half a century.",
    "Hamming built the first practical ones at Bell Labs.",
    "A code is a promise about what the noise cannot do.",
    "Reed and Solomon followed with codes that still guard every disc and Q R code.",
    "Today the same ideas decide how much a model can learn from noisy labels.",
]
JEKYLL_NEVER = ["Richard Hamming at the blackboard", "Weekly links", "Five posts", "Which code", "Get the app",
                "Substack app", "iOS", "nineteen fifty", "five pages", "century one", "followed two"]

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Interconnects</title><link>https://www.interconnects.ai</link><description>d</description>
<item><title>Three ideas from Shannon</title><link>https://www.interconnects.ai/p/three-ideas-from-shannon</link>
<guid>https://www.interconnects.ai/p/three-ideas-from-shannon</guid><pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate>
<description>Information theory, compression and channels.</description>
<content:encoded><![CDATA[{html}]]></content:encoded></item>
</channel></rss>
"""


def _spoken(script) -> str:
    return " ".join(s.text for p in script.post_paragraphs() for s in p.sentences)


def _notes_list(notes_html: str) -> str:
    return notes_html[notes_html.index(NOTES_HEADING):]


def _check_shannon(script) -> None:
    spoken = _spoken(script)
    for sentence in SHANNON_PROSE:
        assert sentence in spoken, sentence
    for words in SHANNON_NEVER:
        assert words not in spoken, words
    for sentence in (s for p in script.post_paragraphs() for s in p.sentences):
        assert not spoken_problems(sentence.text) and not spoken_problems(sentence.speech), sentence.text
    # The markers are the notes' superscripts at the anchors; the bodies, the Notes list.
    notes = script.notes_html
    assert "his definitions<sup><a href=\"#note-1\" id=\"note-ref-1\" rel=\"noopener noreferrer\">[1]</a></sup>." in notes
    assert "a good compressor<sup><a href=\"#note-2\" id=\"note-ref-2\" rel=\"noopener noreferrer\">[2]</a></sup>," in notes
    assert notes.endswith(SHANNON_NOTES)
    for widget in ("Subscribe", "reader-supported", "Share", "Restack", "tweet that", "preview of the embedded",
                   "footnote", "component-name", "attrs"):
        assert widget not in notes, widget
    # The embeds are one link each; the figure keeps its caption.
    assert '<a href="https://www.interconnects.ai/p/compression" rel="noopener noreferrer">Compression is intelligence</a>' in notes
    assert '<a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ" rel="noopener noreferrer">youtube.com</a>' in notes
    assert "<figcaption>Bits per character of three compressors over time.</figcaption>" in notes
    assert [(o.kind, o.detail) for o in script.omissions][:4] == [  # (a saved page adds its own tweet)
        ("image", "Bits per character of three compressors over time."),
        ("embed", "https://www.interconnects.ai/p/compression"),
        ("embed", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("embed", "https://x.com/someone/status/1"),
    ]


@pytest.fixture(scope="module")
def shannon(tmp_path_factory) -> dict[str, object]:
    """The Shannon post in each wrapper, prepared with the sample show."""
    folder = tmp_path_factory.mktemp("wrappers")
    show = load_show(SAMPLE_SHOW)
    export = folder / "160875693.three-ideas-from-shannon.html"
    export.write_text(BODY, encoding="utf-8")
    page = folder / "three-ideas-from-shannon.html"
    page.write_text(saved_page(BODY, "Three ideas from Shannon", "Information theory."), encoding="utf-8")
    return {
        "export body": prepare_post(export, show),
        "saved page": prepare_post(page, show),
        "hugo": prepare_post(MARKUP / "hugo-post.md", show),
        "rss": prepare_post(_imported_rss(folder / "rss"), show),
        "imported export": prepare_post(_imported_export(folder / "export"), show),
    }


def _imported_export(folder: Path) -> Path:
    """The Shannon post in an unpacked Substack export, imported (as Markdown)."""
    show = make_show(folder / "show", base_url="https://www.interconnects.ai")
    export = folder / "export"
    (export / "posts").mkdir(parents=True)
    (export / "posts.csv").write_text("post_id,is_published,title,post_date\n160875693.three-ideas-from-shannon,true,"
                                      "Three ideas from Shannon,2024-05-01T10:00:00.000Z\n", encoding="utf-8")
    (export / "posts" / "160875693.three-ideas-from-shannon.html").write_text(BODY, encoding="utf-8")
    report = import_source(export, show)
    assert report.new == ["three-ideas-from-shannon"] and not report.problems
    with Catalog(show.catalog_path) as catalog:
        return show.folder / catalog.post("160875693.three-ideas-from-shannon").source


def _imported_rss(folder: Path) -> Path:
    """The Shannon post as an RSS item, imported (``import`` writes it as Markdown)."""
    show = make_show(folder / "show", base_url="https://www.interconnects.ai")
    feed = folder / "feed.xml"
    feed.write_text(RSS.replace("{html}", BODY), encoding="utf-8")
    report = import_source(feed, show)
    assert report.new == ["three-ideas-from-shannon"] and not report.problems
    with Catalog(show.catalog_path) as catalog:
        return show.folder / catalog.post("three-ideas-from-shannon").source


@pytest.mark.parametrize("wrapper", ["export body", "saved page", "hugo", "rss", "imported export"])
def test_substack_markup_in_every_wrapper(shannon, wrapper):
    _check_shannon(shannon[wrapper])


def test_every_wrapper_reads_the_same(shannon):
    texts = {name: body_text(script) for name, script in shannon.items()}
    assert len(set(texts.values())) == 1, texts
    notes = {name: _notes_list(script.notes_html) for name, script in shannon.items()}
    assert len(set(notes.values())) == 1


def test_hugo_post_metadata_from_toml_front_matter(shannon):
    meta = shannon["hugo"].meta
    assert meta.title == "Three ideas from Shannon" and meta.date.isoformat() == "2024-05-01T10:00:00+00:00"
    assert not meta.draft
    spoken = script_text(shannon["hugo"]).lower()
    assert "plus plus" not in spoken and "equals" not in spoken and "information theory\"" not in spoken


def test_jekyll_post(tmp_path):
    script = prepare_post(MARKUP / "jekyll-post.md", load_show(SAMPLE_SHOW))
    spoken = _spoken(script)
    for sentence in JEKYLL_PROSE:
        assert sentence in spoken, sentence
    assert spoken.count("A code is a promise") == 1  # a pull quote is the author's prose
    for words in JEKYLL_NEVER:
        assert words not in spoken, words
    assert script.notes_html.endswith(f"{NOTES_HEADING}\n<ol>\n<li id=\"note-1\"><p>Hamming\u2019s paper appeared in 1950.</p></li>\n"
                                      '<li id="note-2"><p>Their paper was five pages long.</p></li>\n</ol>')
    assert "Reed and Solomon followed<sup>" in script.notes_html
    assert "Get the app" not in script.notes_html and "Which code" not in script.notes_html
    assert [(o.kind, o.detail) for o in script.omissions] == [
        ("image", "Richard Hamming at the blackboard."),
        ("embed", "https://www.interconnects.ai/p/links"),
        ("embed", "poll-embed"),
    ]


def test_captions_and_footnotes_when_the_show_reads_them(tmp_path):
    show = make_show(tmp_path / "show", read_captions=True, read_footnotes=True)
    spoken = _spoken(prepare_post(MARKUP / "hugo-post.md", show))
    assert spoken.count("Bits per character of three compressors over time.") == 1
    assert "Footnote one: A Mathematical Theory of Communication, in the Bell System Technical Journal." in spoken
    assert "Footnote two: Arithmetic coding makes the link exact." in spoken
    assert "Restack" not in spoken and "preview of the embedded post" not in spoken


def test_markdown_and_raw_html_footnotes_together(tmp_path):
    """A Markdown note and a pasted Substack footnote in one post: both are notes, in order."""
    post = tmp_path / "post.md"
    post.write_text(
        "---\ntitle: Mixed\n---\n\nFirst claim.[^a] Second claim with $x^2$ inside"
        '<a class="footnote-anchor" href="#footnote-1" id="footnote-anchor-1">1</a> here.\n\n'
        "[^a]: A Markdown note.\n\n"
        '<div class="footnote"><a id="footnote-1" href="#footnote-anchor-1" class="footnote-number">1</a>'
        '<div class="footnote-content"><p>A pasted note.</p></div></div>\n', encoding="utf-8")
    script = prepare_post(post, make_show(tmp_path / "show"))
    assert body_text(script) == "First claim. Second claim with inside here."
    assert [(o.kind, o.detail) for o in script.omissions] == [("math", "x^2")]  # still an equation
    assert script.notes_html.endswith(f'{NOTES_HEADING}\n<ol>\n<li id="note-1"><p>A Markdown note.</p></li>\n'
                                      '<li id="note-2"><p>A pasted note.</p></li>\n</ol>')


def test_bad_toml_front_matter_is_one_line(tmp_path):
    make_show(tmp_path / "show")
    post = tmp_path / "show" / "post.md"
    post.write_text('+++\ntitle = "unterminated\n+++\nBody.\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["script", "--show", str(tmp_path / "show"), str(post)])
    assert result.exit_code == 2
    assert result.output.startswith(f"audio-essay: {post}: front matter is not valid TOML (")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


class _Page(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):  # http.server's name
        self.requests.append(self.path)
        body = b"<html><body><p>Words from another site.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_iframe_is_never_fetched(tmp_path):
    """pandoc's HTML reader fetches what an iframe points to and reads it into the post; it runs sandboxed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        src = html.escape(f"http://127.0.0.1:{server.server_port}/embed")
        frame = f'<div class="youtube-wrap"><iframe src="{src}"></iframe></div><iframe src="{src}"></iframe>'
        (tmp_path / "post.html").write_text(f"<p>Our own words.</p>{frame}", encoding="utf-8")
        (tmp_path / "post.md").write_text(f"Our own words.\n\n{frame}\n", encoding="utf-8")
        show = make_show(tmp_path / "show")
        for name in ("post.html", "post.md"):
            script = prepare_post(tmp_path / name, show)
            assert body_text(script) == "Our own words."
            assert "another site" not in script.notes_html
    finally:
        server.shutdown()
    assert _Page.requests == []


@pytest.mark.parametrize("name", ["hugo-substack-markup", "rss-substack-item"])
def test_golden_markup_scripts(shannon, name):
    text = script_text(shannon["hugo" if name.startswith("hugo") else "rss"])
    assert_golden(name, text)


def test_unsanitised_feed_html_is_still_harmless(tmp_path):
    """The feed's HTML reaches pandoc whole (Substack's data- attributes included): scripts,
    styles and event handlers are neither spoken nor kept in the notes."""
    hostile = ('<p>Plain words stay.<script>alert("spoken?")</script></p><style>p { color: red }</style>'
               '<p><a href="javascript:alert(1)" onclick="steal()">A link</a> and '
               '<img src="https://example.com/x.png" onerror="steal()" alt=""></p>')
    folder = tmp_path / "rss"
    show = make_show(folder / "show", base_url="https://www.interconnects.ai")
    feed = folder / "feed.xml"
    feed.write_text(RSS.replace("{html}", hostile), encoding="utf-8")
    assert import_source(feed, show).new == ["three-ideas-from-shannon"]
    with Catalog(show.catalog_path) as catalog:
        script = prepare_post(show.folder / catalog.post("three-ideas-from-shannon").source, show)
    assert body_text(script) == "Plain words stay.\nA link and"
    for bad in ("alert", "steal", "javascript", "color", "<script", "<style", "onclick", "onerror"):
        assert bad not in script.notes_html, bad


# One of each Substack embed and widget, as Substack writes it; none says a word.
WIDGETS = {
    "twitter-embed": '<div class="twitter-embed" data-attrs="{&quot;url&quot;:&quot;https://x.com/a/status/2&quot;}">'
                     '<blockquote><p>Tweeted words.</p>&mdash; A person</blockquote></div>',
    "instagram": '<div class="instagram" data-attrs="{&quot;instagram_id&quot;:&quot;C1&quot;}" '
                 'data-component-name="InstagramToDOM"><a class="instagram-image" href="https://instagram.com/p/C1">'
                 '<div class="instagram-title">Instagram caption words</div></a></div>',
    "digest-post-embed": '<div class="digest-post-embed" data-attrs="{&quot;title&quot;:&quot;Digest&quot;}" '
                         'data-component-name="DigestPostEmbed"><h4>Digest title words</h4><p>Digest words.</p></div>',
    "poll-embed": '<div class="poll-embed" data-attrs="{&quot;id&quot;:1}" data-component-name="PollToDOM">'
                  '<p>Poll question words?</p><ul><li>Yes</li><li>No</li></ul></div>',
    "share-dialog": '<div class="share-dialog"><p>Share words</p><a href="https://x.com/intent">Share on X</a></div>',
    "install-substack-app-embed": '<div class="install-substack-app-embed" data-component-name="InstallSubstackAppToDOM">'
                                  '<div class="install-substack-app-header">Get more from the app</div></div>',
    "paywall": '<div class="paywall"><h2 class="paywall-title">Keep reading with a 7-day free trial</h2>'
               '<p>Paywall words.</p></div>',
    "footer": '<div class="footer"><p>Footer words, unsubscribe.</p></div>',
    "comments": '<div class="comments"><div class="comment"><p>Comment words.</p></div></div>',
    "subscription-widget-wrap": '<div class="subscription-widget-wrap" data-component-name="SubscribeWidget">'
                                '<p class="cta-caption">Widget words.</p></div>',
    "button-wrapper": '<p class="button-wrapper" data-component-name="ButtonCreateButton">'
                      '<a class="button primary" href="https://example.com/subscribe"><span>Button words</span></a></p>',
    "captioned-button-wrap": '<div class="captioned-button-wrap" data-component-name="CaptionedButtonToDOM">'
                             '<div class="preamble"><p class="cta-caption">Caption button words.</p></div>'
                             '<p class="button-wrapper"><a class="button primary" href="https://example.com/s">'
                             '<span>Go</span></a></p></div>',
    "latex-rendered": '<div class="latex-rendered" data-attrs="{&quot;persistentExpression&quot;:&quot;E=mc^2&quot;}" '
                      'data-component-name="LatexBlockToDOM"></div>',
}


@pytest.mark.parametrize("wrapper", ["html", "markdown"])
@pytest.mark.parametrize("widget", sorted(WIDGETS))
def test_no_widget_or_embed_says_a_word(tmp_path, wrapper, widget):
    prose = ("<p>Words before the widget.</p>", "<p>Words after the widget.</p>")
    if wrapper == "html":
        post = tmp_path / "post.html"
        post.write_text(f"{prose[0]}\n{WIDGETS[widget]}\n{prose[1]}\n", encoding="utf-8")
    else:
        post = tmp_path / "post.md"
        post.write_text(f"---\ntitle: Widgets\n---\n\nWords before the widget.\n\n{WIDGETS[widget]}\n\n"
                        "Words after the widget.\n", encoding="utf-8")
    script = prepare_post(post, make_show(tmp_path / "show"))
    expected = ["Words before the widget.", "Words after the widget."]
    if widget == "latex-rendered":
        expected.insert(1, "The post shows an equation here.")
    assert body_text(script).split("\n") == expected
    assert "words" not in script.notes_html.replace("Words before", "").replace("Words after", "").lower()
