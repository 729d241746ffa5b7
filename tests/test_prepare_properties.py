"""Properties: generated posts full of links, URLs, footnotes, embeds and images never
speak a URL or markup, and the preparer raises nothing but the package's own errors."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prepare_helpers import make_show

from audio.errors import AudioEssayError
from audio.prepare import prepare_post

WORDS = st.sampled_from(
    "the model data scaling open robots learning reward policy team quickly because however "
    "evaluation training careful narrator listens".split()
)
DOMAINS = st.sampled_from(["example.com", "www.interconnects.ai", "arxiv.org", "sub.domain.co.uk", "x.com"])
PATHS = st.sampled_from(["", "/p/post", "/abs/2401.01234", "/a_b/c?d=1&e=2#frag", "/wiki/Foo_(bar)"])


@st.composite
def urls(draw) -> str:
    return f"{draw(st.sampled_from(['https://', 'http://']))}{draw(DOMAINS)}{draw(PATHS)}"


@st.composite
def sentence(draw) -> str:
    words = draw(st.lists(WORDS, min_size=2, max_size=8))
    return " ".join(words).capitalize() + "."


@st.composite
def element(draw, index: int) -> str:
    kind = draw(st.sampled_from(["link", "bare", "angle", "footnote", "image", "embed", "tweet", "widget",
                                 "email", "native_note", "figure", "plain"]))
    text, url = draw(sentence()), draw(urls())
    if kind == "link":
        return f"{text[:-1]} [{draw(WORDS)}]({url}) end."
    if kind == "bare":
        return f"{text[:-1]} {url} then more."
    if kind == "angle":
        return f"<{url}>"
    if kind == "footnote":
        return (f"{text}[{index}](#footnote-{index}){{#footnote-anchor-{index} .footnote-anchor "
                f'component-name="FootnoteAnchorToDOM" target="_self"}}')
    if kind == "image":
        return f"![{draw(WORDS)}]({url}/img.png)"
    if kind == "embed":
        return (f'::: {{.embedded-post-wrap attrs="{{\\"url\\":\\"{url}\\"}}" component-name="EmbeddedPostToDOM"}}\n'
                f"[]({url}){{.embedded-post}}\n\n{text}\n:::")
    if kind == "tweet":
        return f'::: {{.tweet component-name="Twitter2ToDOM"}}\n{text} {url}\n:::'
    if kind == "widget":
        return f'::: {{.subscription-widget-wrap component-name="SubscribeWidgetToDOM"}}\n{text}\n:::'
    if kind == "email":
        return f"{text[:-1]} <{draw(WORDS)}@{draw(DOMAINS)}> ok."
    if kind == "native_note":
        return f"{text}[^n{index}]\n\n[^n{index}]: Note with {url} inside."
    if kind == "figure":
        return f"[![]({url}/i.png)]({url}){{.image-link component-name=\"Image2ToDOM\"}}"
    return text


@st.composite
def posts(draw) -> str:
    count = draw(st.integers(min_value=1, max_value=8))
    parts = [draw(element(i + 1)) for i in range(count)]
    return "---\ntitle: Generated\n---\nOpening words of the post.\n\n" + "\n\n".join(parts) + "\n"


URLISH = re.compile(r"https?:|www\.|\.com\b|\.org\b|\.ai\b|\.png|[<>{}\[\]\\]|\]\(|:::|component-name|footnote|@")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(posts())
def test_generated_posts_never_speak_urls_or_markup(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("gen")
    show = make_show(folder / "show", read_footnotes=True, read_captions=True)
    path = folder / "post.md"
    path.write_text(text, encoding="utf-8")
    script = prepare_post(path, show)
    for s in (s for p in script.post_paragraphs() for s in p.sentences):
        assert not URLISH.search(s.text), s.text
        assert not URLISH.search(s.speech), s.speech
    assert "Opening words of the post." in [s.text for s in script.sentences()]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_any_input_raises_only_package_errors(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("any")
    show = make_show(folder / "show")
    for name in ("post.md", "post.html"):
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        try:
            script = prepare_post(path, show)
        except AudioEssayError as exc:
            assert exc.path == str(path) and exc.reason and "\n" not in exc.reason
        else:
            assert script.sections
