"""Substack HTML: a saved post web page (with page chrome and a comment section like seed
000) reads like the Markdown post, and the show notes keep links but no widgets."""

from __future__ import annotations

import html
import subprocess
from datetime import datetime, timezone

import pytest
from conftest import CORPUS, SAMPLE_POST, SAMPLE_SHOW, require
from prepare_helpers import body_text, make_show, prepare_md

from audio.prepare import prepare_post, read_post
from audio.readers.markdown import split_front_matter
from audio.readers.pandoc import pandoc_path
from audio.show import load_show

SOURCE = "2025-05-06-whatpeoplegetwrongabouttheleadingchineseopenmodels.md"

COMMENTS = """
<div id="discussion" class="comments-section"><h4 class="comments-title">16 Comments</h4>
<div class="comment"><div class="comment-avatar"><img alt="User's avatar" src="https://substackcdn.com/a.png"></div>
<div class="comment-body"><a class="commenter-name" href="https://substack.com/@victor">Victor Dibia, PhD</a>
<p>Strong agree here @Nathan Lambert . Everything has changed - pace , culture, volume.</p>
<p>I write about it earlier in the year https://newsletter.victordibia.com/p/you-have-ai-fatigue</p>
<button class="expand-comment">Expand full comment</button><div class="like-button-container">12 likes</div></div></div>
<div class="comment"><p>Thanks for bringing this up, very well observed and relatable.</p>
<button>Expand full comment</button></div></div>
"""


def saved_page(body_html: str, title: str, subtitle: str) -> str:
    """A post body wrapped the way a saved Substack post page wraps it."""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)} - by Nathan Lambert</title>
<meta name="author" content="Nathan Lambert"><meta name="description" content="{html.escape(subtitle)}">
<link rel="canonical" href="https://www.interconnects.ai/p/leading-chinese-open-models">
<script>window._preloads = {{"post": {{"id": 1}}}}</script></head>
<body><div class="main-menu"><a href="/">Interconnects</a><a href="/archive">Archive</a>
<button class="button primary">Subscribe</button><a href="/signin">Sign in</a></div>
<article class="typography newsletter-post post"><div class="post-header">
<h1 class="post-title published">{html.escape(title)}</h1><h3 class="subtitle">{html.escape(subtitle)}</h3>
<div class="post-meta"><div class="byline-names"><a href="https://substack.com/@natolambert">Nathan Lambert</a></div>
<div class="pencraft pc-reset meta-EgzBVA">May 06, 2025</div></div>
<div class="post-ufi"><a class="post-ufi-button" href="#">42</a><a class="post-ufi-button" href="#">Share</a></div></div>
<div class="available-content"><div class="body markup" dir="auto">{body_html}
<div class="subscription-widget-wrap-editor" data-component-name="SubscribeWidgetToDOM"><div class="subscription-widget">
<div class="preamble"><p class="cta-caption">Interconnects is a reader-supported publication. Consider becoming a subscriber.</p></div>
<form class="subscription-widget-subscribe"><input type="email" class="email-input" placeholder="Type your email…">
<input type="submit" class="button primary" value="Subscribe"></form></div></div>
<p class="button-wrapper" data-component-name="ButtonCreateButton"><a class="button primary" href="https://www.interconnects.ai/p/x?utm_source=share"><span>Share</span></a></p>
<div class="tweet" data-component-name="Twitter2ToDOM"><a class="tweet-link-top" href="https://x.com/someone/status/1">
<div class="tweet-header">Some One @someone</div><div class="tweet-text">A tweet that must not be read.</div></a></div>
</div></div>
<div class="post-footer"><p>Subscribe to Interconnects</p><p>Thousands of paid subscribers</p></div></article>
{COMMENTS}
<div class="footer-wrap"><p>© 2025 Nathan Lambert · Privacy · Terms · Collection notice</p></div>
</body></html>"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    require((CORPUS / SOURCE).is_file(), f"the corpus is missing at {CORPUS}")
    front, body = split_front_matter((CORPUS / SOURCE).read_text(encoding="utf-8"))
    body_html = subprocess.run([pandoc_path(), "-f", "markdown-yaml_metadata_block", "-t", "html"],
                               input=body.encode(), capture_output=True, check=True).stdout.decode()
    folder = tmp_path_factory.mktemp("html")
    path = folder / "leading-chinese-open-models.html"
    path.write_text(saved_page(body_html, "What people get wrong about the leading Chinese open models",
                               "Adoption and the AI race."), encoding="utf-8")
    show = load_show(SAMPLE_SHOW)
    return prepare_post(path, show), prepare_post(CORPUS / SOURCE, show)


def test_saved_page_metadata(page):
    from_html, _ = page
    meta = from_html.meta
    assert meta.title == "What people get wrong about the leading Chinese open models"
    assert meta.subtitle == "Adoption and the AI race."
    assert meta.author == "Nathan Lambert"
    assert meta.date == datetime(2025, 5, 6, tzinfo=timezone.utc)
    assert meta.slug == "leading-chinese-open-models"
    assert meta.canonical_url == "https://www.interconnects.ai/p/leading-chinese-open-models"


def test_saved_page_reads_like_the_markdown_post(page):
    from_html, from_md = page
    assert body_text(from_html) == body_text(from_md)
    assert [s.title for s in from_html.sections] == [s.title for s in from_md.sections]


def test_saved_page_chrome_is_never_spoken(page):
    from_html, _ = page
    spoken = body_text(from_html)
    for chrome in ("Comments", "Expand full comment", "avatar", "Victor", "Strong agree", "Subscribe", "Sign in",
                   "Archive", "tweet that must not", "reader-supported", "Privacy", "Share", "likes"):
        assert chrome not in spoken, chrome
    assert "tweet that must not" not in from_html.notes_html
    assert "Expand full comment" not in from_html.notes_html


def test_show_notes_keep_links_and_footnotes_drop_widgets(tmp_path):
    script = prepare_post(SAMPLE_POST, load_show(SAMPLE_SHOW))
    notes = script.notes_html
    assert '<a href="https://en.wikipedia.org/wiki/Technological_singularity" rel="noopener noreferrer">Wikipedia</a>' in notes
    # The footnote: a superscript marker linking to its note, in a "Notes" list at the end.
    assert 'nature of the <em>environment</em> rather than just the learning.<sup><a href="#note-1" id="note-ref-1" ' \
           'rel="noopener noreferrer">[1]</a></sup></p>' in notes
    assert notes.endswith('<h2>Notes</h2>\n<ol>\n<li id="note-1"><p>Some of my recent coverage on robotics is here:</p>\n'
                          '<p><a href="https://www.interconnects.ai/p/robotic-foundation-models" rel="noopener noreferrer">'
                          'A realistic path to robotic foundation models</a></p></li>\n</ol>')
    assert "footnote-1" not in notes and "footnote-anchor" not in notes
    assert '<a href="https://epochai.substack.com/p/most-ai-value-will-come-from-broad" rel="noopener noreferrer">' \
           "Most AI value will come from broad automation, not from R&amp;D</a>" in notes  # embed -> one link
    assert "Read more" not in notes and "component-name" not in notes and "attrs=" not in notes
    assert "Comments on this post are open" not in notes  # boilerplate (configurable)
    assert "<img" in notes and "<script" not in notes


def test_show_notes_are_sanitised_and_boilerplate_configurable(tmp_path):
    body = ('Hi <script>alert(1)</script> [x](javascript:alert(1)) and <span onclick="evil()">y</span>.\n\n'
            "Thanks for reading! Subscribe.\n")
    notes = prepare_md(tmp_path / "a", body).notes_html
    assert "<script" not in notes and "javascript:" not in notes and "onclick" not in notes
    assert "Thanks for reading" not in notes
    kept = prepare_md(tmp_path / "b", body, notes_boilerplate=True).notes_html
    assert "Thanks for reading" in kept


def test_export_post_body_html(tmp_path):
    path = tmp_path / "160875693.brakes.html"
    path.write_text('<p>Prose with a <a href="https://a.example/">link</a><a class="footnote-anchor" '
                    'data-component-name="FootnoteAnchorToDOM" id="footnote-anchor-1" href="#footnote-1">1</a>.</p>'
                    '<div class="captioned-image-container"><figure><img src="https://substackcdn.com/i.png">'
                    '<figcaption class="image-caption">A caption</figcaption></figure></div>'
                    '<div class="footnote" data-component-name="FootnoteToDOM"><a id="footnote-1" '
                    'href="#footnote-anchor-1" class="footnote-number">1</a><div class="footnote-content">'
                    "<p>The note.</p></div></div>", encoding="utf-8")
    show = make_show(tmp_path / "show", read_footnotes=True)
    script = prepare_post(path, show)
    assert script.meta.slug == "brakes" and read_post(path, show).meta.post_id == "160875693.brakes"
    assert body_text(script) == "Prose with a link.\nFootnote one: The note."
    assert [(o.kind, o.detail) for o in script.omissions] == [("image", "A caption")]


def test_page_without_post_header_uses_the_html_title(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<!DOCTYPE html><html><head><title>On robots - by Jo Writer</title></head><body>"
                    '<div class="available-content"><p>Robots are here.</p></div>'
                    '<div class="comments-section"><p>Expand full comment</p></div></body></html>',
                    encoding="utf-8")
    script = prepare_post(path, make_show(tmp_path / "show", author=""))
    assert (script.meta.title, script.meta.author) == ("On robots", "Jo Writer")
    assert body_text(script) == "Robots are here."
