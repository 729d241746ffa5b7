"""The element policy, one element at a time, on small hand-written posts."""

from __future__ import annotations

import pytest
from prepare_helpers import all_text, body_text, make_show, prepare_md

from audio.errors import ConfigError
from audio.models import CAPTION, CUE, FOOTNOTE, HEADING, LIST_ITEM, OUTRO, QUOTE, RULE, TITLE
from audio.prepare import prepare_post

FOOTNOTED = """Robots are hard.[1](#footnote-1){#footnote-anchor-1 .footnote-anchor component-name="FootnoteAnchorToDOM" target="_self"} Really hard.

## Next

Plain words here.

::::: {.footnote component-name="FootnoteToDOM"}
[1](#footnote-anchor-1){#footnote-1 .footnote-number contenteditable="false" target="_self"}

:::: footnote-content
See my [older post](https://x.example/p/old) on this.

::: {.digest-post-embed attrs="{\\"title\\":\\"An embedded card\\",\\"canonical_url\\":\\"https://x.example/p/card\\"}"}
:::
::::
:::::
"""


def test_link_text_spoken_url_never(tmp_path):
    script = prepare_md(tmp_path, "Read [the paper](https://arxiv.org/abs/1234) today.\n")
    assert body_text(script) == "Read the paper today."


def test_bare_url_inside_sentence_is_its_domain_alone_is_dropped(tmp_path):
    body = ("I wrote about it at https://www.interconnects.ai/p/some-post earlier.\n\n"
            "https://www.interconnects.ai/p/why-i-build-open-language-models\n\n"
            "<https://x.com/someone>\n\nLast words.\n")
    text = body_text(prepare_md(tmp_path, body))
    assert text == "I wrote about it at interconnects dot ai earlier.\nLast words."


def test_email_addresses_are_never_spoken(tmp_path):
    text = body_text(prepare_md(tmp_path, "Write to <team@example.org> or [me](mailto:me@example.org) today.\n"))
    assert "example" not in text and "@" not in text
    assert text.startswith("Write to")


def test_broken_markdown_link_keeps_text_drops_url(tmp_path):
    body = "[Hierarchical control](https://en.wikipedia.org/wiki/H#:~:text=A%20b%20(HCS,form.) and more fields.\n"
    assert body_text(prepare_md(tmp_path, body)) == "Hierarchical control and more fields."


def test_footnote_markers_never_bodies_optional(tmp_path):
    default = prepare_md(tmp_path / "a", FOOTNOTED)
    assert body_text(default) == "Robots are hard. Really hard.\nNext\nPlain words here."
    assert not [p for s in default.sections for p in s.paragraphs if p.kind == FOOTNOTE]

    read = prepare_md(tmp_path / "b", FOOTNOTED, read_footnotes=True)
    first = read.sections[0].paragraphs
    assert first[-1].kind == FOOTNOTE  # at the end of the section holding its marker
    assert " ".join(s.text for s in first[-1].sentences) == "Footnote one: See my older post on this."
    assert "card" not in all_text(read)  # the embed inside the footnote stays silent


def test_native_pandoc_footnotes(tmp_path):
    body = "A claim.[^a] More.\n\n[^a]: The source.\n"
    assert body_text(prepare_md(tmp_path / "a", body)) == "A claim. More."
    text = body_text(prepare_md(tmp_path / "b", body, read_footnotes=True))
    assert text == "A claim. More.\nFootnote one: The source."


def test_images_are_omissions_captions_optional(tmp_path):
    body = "Before.\n\n![A chart of growth](images/chart.png)\n\n![Image.png](images/x.png)\n\nAfter.\n"
    script = prepare_md(tmp_path / "a", body)
    assert body_text(script) == "Before.\nAfter."
    assert [(o.kind, o.detail) for o in script.omissions] == [("image", "A chart of growth"), ("image", "images/x.png")]
    captioned = prepare_md(tmp_path / "b", body, read_captions=True)
    assert body_text(captioned) == "Before.\nA chart of growth.\nAfter."
    assert [p.kind for p in captioned.sections[0].paragraphs][1] == CAPTION


EMBEDS = """Intro words.

::::::::: {.embedded-post-wrap attrs="{\\"url\\":\\"https://other.example/p/card\\",\\"title\\":\\"Card title\\"}" component-name="EmbeddedPostToDOM"}
[](https://other.example/p/card?utm_source=substack){.embedded-post native="true"}

::: embedded-post-title
Card title
:::

::: embedded-post-cta-wrapper
[Read more]{.embedded-post-cta}
:::
:::::::::

:::::::: {#youtube2-abc .youtube-wrap attrs="{\\"videoId\\":\\"abc\\"}" component-name="Youtube2ToDOM"}
:::: player-unavailable
# An error occurred. {.message}

::: submessage
[Try watching this video on www.youtube.com](https://www.youtube.com/watch?v=abc)
:::
::::
::::::::

::: {.tweet component-name="Twitter2ToDOM"}
Some tweet text \\@someone
:::

::: {.apple-podcast-container component-name="ApplePodcastToDom"}
Listen on Apple
:::

::: {.subscription-widget-wrap component-name="SubscribeWidgetToDOM"}
Subscribe now for more
:::

::: {.button-wrapper component-name="ButtonCreateButton"}
[Share](https://x.example/share){.button .primary}
:::

::: {.native-video-embed component-name="VideoPlaceholder"}
:::

Outro words.
"""


def test_embeds_widgets_and_buttons_are_never_spoken(tmp_path):
    script = prepare_md(tmp_path, EMBEDS)
    assert body_text(script) == "Intro words.\nOutro words."
    embeds = [o.detail for o in script.omissions if o.kind == "embed"]
    assert embeds[:2] == ["https://other.example/p/card", "https://www.youtube.com/watch?v=abc"]
    assert len(embeds) == 5  # card, video, tweet, podcast, native video; widgets are not embeds


def test_unknown_substack_component_is_an_embed_not_prose(tmp_path):
    body = 'Words.\n\n::: {.some-new-widget component-name="ShinyNewThingToDOM"}\nNoise\n:::\n'
    script = prepare_md(tmp_path, body)
    assert body_text(script) == "Words."
    assert [o.kind for o in script.omissions] == ["embed"]


def test_headings_start_sections(tmp_path):
    script = prepare_md(tmp_path, "Opening.\n\n## First part\n\nOne.\n\n### Deeper\n\nTwo.\n")
    assert [s.title for s in script.sections] == [None, "First part", "Deeper"]
    assert [p.kind for p in script.sections[1].paragraphs] == [HEADING, "paragraph"]


def test_list_items_are_sentences(tmp_path):
    body = "Items:\n\n1.  First thing,\n\n2.  Second thing\n\n    -   nested point\n"
    script = prepare_md(tmp_path, body)
    items = [p for p in script.sections[0].paragraphs if p.kind == LIST_ITEM]
    assert [" ".join(s.text for s in p.sentences) for p in items] == ["First thing.", "Second thing.", "Nested point."]


def test_block_quotes_framed_and_configurable(tmp_path):
    body = "He said:\n\n> First line.\n>\n> Second line.\n\nDone.\n"
    framed = prepare_md(tmp_path / "a", body)
    assert body_text(framed) == "He said:\nQuote. First line.\nSecond line. End quote.\nDone."
    assert [p.kind for p in framed.sections[0].paragraphs] == ["paragraph", QUOTE, QUOTE, "paragraph"]
    custom = prepare_md(tmp_path / "b", body, quote_open="Begin quote.", quote_close="Unquote.")
    assert "Begin quote. First line." in body_text(custom) and "Second line. Unquote." in body_text(custom)
    plain = prepare_md(tmp_path / "c", body, frame_quotes=False)
    assert body_text(plain) == "He said:\nFirst line.\nSecond line.\nDone."


def test_code_tables_math_are_cued_and_listed(tmp_path):
    body = ("Look:\n\n```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n$$E = mc^2$$\n\nEnd.\n")
    script = prepare_md(tmp_path / "a", body)
    assert body_text(script) == ("Look:\nThe post shows a code block here.\nThe post shows a table here.\n"
                                 "The post shows an equation here.\nEnd.")
    assert [o.kind for o in script.omissions] == ["code", "table", "math"]
    assert [p.kind for p in script.sections[0].paragraphs][1:4] == [CUE, CUE, CUE]
    quiet = prepare_md(tmp_path / "b", body, omission_cues=False)
    assert body_text(quiet) == "Look:\nEnd."
    assert [o.kind for o in quiet.omissions] == ["code", "table", "math"]


def test_horizontal_rules_are_wordless_pauses(tmp_path):
    body = "One.\n\n<div>\n\n---\n\n</div>\n\nTwo.\n\n---\n\n---\n\n## Next\n\nThree.\n"
    script = prepare_md(tmp_path, body)
    kinds = [p.kind for p in script.sections[0].paragraphs]
    assert kinds == ["paragraph", RULE, "paragraph"]  # no doubled or trailing rule
    assert script.sections[0].paragraphs[1].sentences == ()


def test_boilerplate_dropped_and_configurable(tmp_path):
    body = ("Real prose.\n\nInterconnects is a reader-supported publication. Consider becoming a subscriber.\n\n"
            "Thanks for reading! Subscribe for free.\n\nComments on this post are open to everyone.\n\n"
            "Share this post\n\nMy sign-off.\n")
    assert body_text(prepare_md(tmp_path / "a", body)) == "Real prose.\nMy sign-off."
    custom = prepare_md(tmp_path / "b", body, boilerplate=["^My sign-off"])
    assert "My sign-off" not in body_text(custom) and "Thanks for reading" in body_text(custom)


def test_intro_and_outro_templates(tmp_path):
    full = prepare_md(tmp_path / "a", "Words.\n", front='title: "Big Title"\nsubtitle: "Small words."\ndate: 2025-04-30')
    assert [p.kind for p in full.intro] == [TITLE] and [p.kind for p in full.outro] == [OUTRO]
    intro = " ".join(s.text for s in full.intro[0].sentences)
    assert intro == ("Big Title. Small words. Written by Ada Writer, published April thirtieth, twenty twenty-five. "
                     "This is an A I-narrated audio version of the post.")
    outro = " ".join(s.text for s in full.outro[0].sentences)
    assert outro == "Thanks for listening. The full post, with links and footnotes, is at example dot ai."


def test_intro_without_subtitle_author_or_date_has_no_gaps(tmp_path):
    show = make_show(tmp_path / "show", author="")
    post = tmp_path / "p.md"
    post.write_text('---\ntitle: "Only a title?"\n---\nWords.\n', encoding="utf-8")
    intro = " ".join(s.text for s in prepare_post(post, show).intro[0].sentences)
    assert intro == "Only a title? This is an A I-narrated audio version of the post."
    assert ". ." not in intro and " , " not in intro


def test_template_with_unknown_field_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"\[script\] intro: unknown field \{nope\}"):
        prepare_md(tmp_path, "Words.\n", intro="{title}. {nope}.")


def test_long_sentences_are_split_to_the_limit(tmp_path):
    sentence = "This clause keeps going, " * 30 + "and ends here."
    script = prepare_md(tmp_path, sentence + "\n", max_sentence_chars=120)
    assert all(len(s.text) <= 120 for s in script.sentences())
    assert " ".join(s.text for s in script.sections[0].paragraphs[0].sentences).split() == sentence.split()


def test_lexicon_applies_to_speech_not_text(tmp_path):
    (tmp_path / "show").mkdir()
    (tmp_path / "show" / "lexicon.toml").write_text('[[entry]]\nmatch = "Kokotajlo"\nsay = "coco tie lo"\n',
                                                    encoding="utf-8")
    script = prepare_md(tmp_path, "Daniel Kokotajlo wrote it.\n", lexicon="lexicon.toml")
    sentence = script.sections[0].paragraphs[0].sentences[0]
    assert sentence.text == "Daniel Kokotajlo wrote it."
    assert sentence.speech == "Daniel coco tie lo wrote it."


def test_word_count_counts_spoken_words(tmp_path):
    script = prepare_md(tmp_path, "One two three.\n")
    assert script.word_count == sum(len(s.text.split()) for s in script.sentences())


def test_heading_over_only_an_embed_is_not_read(tmp_path):
    body = ("Opening.\n\n## YouTube\n\n::: {.youtube-wrap component-name=\"Youtube2ToDOM\"}\n:::\n\n"
            "## Part one\n\n## Part one point one\n\nText.\n")
    script = prepare_md(tmp_path, body)
    assert [s.title for s in script.sections] == [None, "Part one", "Part one point one"]
    assert [(o.kind, o.section) for o in script.omissions] == [("embed", 0)]


def test_list_items_running_on_stay_open(tmp_path):
    body = "I want to discuss:\n\n-   ideas in the works, or\n-   questions,\n"
    items = [p for p in prepare_md(tmp_path, body).sections[0].paragraphs if p.kind == LIST_ITEM]
    assert [" ".join(s.text for s in p.sentences) for p in items] == ["Ideas in the works, or", "Questions."]
