"""Every real post: nothing unspeakable is spoken, the prose survives, goldens match.

Golden files (tests/golden/<slug>.script.txt) hold the exact spoken text of the seed and
of corpus posts of different kinds; they were read line by line before being committed.
Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_prepare_corpus.py``
and read the diff.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from conftest import CORPUS, SAMPLE_POST, SAMPLE_SHOW, corpus_posts, require
from prepare_helpers import assert_golden, corpus_script

from audio.prepare import policy, prepare_post, read_post
from audio.script_output import script_text
from audio.show import load_show

# golden name -> corpus file (None: the seed, the sample post)
GOLDENS = {
    "brakes-on-an-intelligence-explosion": None,  # the seed: embeds, footnote, quotes, lists, rules
    "crafting-a-good-reasoning-model": "2025-06-18-craftingagoodreasoningmodel.md",  # talk transcript, type podcast
    "ai-arbitration-of-truth": "2020-09-04-aiarbitrationoftruth.md",  # links to tweets
    "different-development-paths-of-llms": "2023-06-14-differentdevelopmentpathsofllms.md",  # embedded cards
    "code-green-pastures-for-llms": "2023-05-25-codegreenpasturesforllms.md",  # footnotes on list items
    "10-years-of-automation-in-1-year": "2020-06-12-10yearsofautomationin1year.md",  # YouTube embeds, insets
    "predicting-machine-learning-moats": "2022-12-28-predictingmachinelearningmoats.md",  # pull quote
    "text-to-video-models": "2024-06-18-text-to-videoaimodelsarealreadyabundantbuttheprodu.md",  # video embeds
}

FORBIDDEN = ("http", "www.", "](", "{.", ":::", "<", ">", "footnote", "component-name", "substackcdn",
             "Expand full comment", "\\")
MARKER = re.compile(r"\[\d+\]")
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def spoken_problems(text: str) -> list[str]:
    problems = [bad for bad in FORBIDDEN if bad.lower() in text.lower()]
    if MARKER.search(text):
        problems.append("a [n] marker")
    if re.search(r'[{\[]\s*"\w+"\s*:', text):
        problems.append("JSON")
    return problems


def prose_words(ast: dict, boilerplate: re.Pattern[str] | None) -> list[str]:
    """Ordinary lower-case words of the post's prose paragraphs (not inside embeds,
    widgets or footnotes, not boilerplate): pandoc's Str tokens of its Para blocks."""
    words: list[str] = []

    def inline_words(inlines: list) -> list[str]:
        found: list[str] = []
        for node in inlines:
            if node["t"] == "Str":
                token = node["c"].strip(".,;:!?()[]\"'\u201c\u201d\u2018\u2019*")
                if token.isalpha() and token.islower() and len(token) > 2:
                    found.append(token)
            elif node["t"] in ("Emph", "Strong", "Underline", "SmallCaps"):
                found += inline_words(node["c"])
            elif node["t"] in ("Link", "Span", "Quoted"):
                found += inline_words(node["c"][1])
        return found

    def blocks(nodes: list) -> None:
        for node in nodes:
            t = node["t"]
            if t == "Para":
                text = " ".join(inline_words(node["c"]))
                if not (boilerplate and boilerplate.search(text)):
                    words.extend(inline_words(node["c"]))
            elif t == "Div" and policy.classify(node["c"][0]) == policy.PROSE:
                blocks(node["c"][1])
            elif t == "BlockQuote":
                blocks(node["c"])
            elif t in ("BulletList", "OrderedList"):
                for item in node["c"] if t == "BulletList" else node["c"][1]:
                    blocks(item)

    blocks(ast["blocks"])
    return words


def test_every_corpus_post_speaks_only_prose(corpus):
    """What the post itself says: the title block and the sections. (The outro is the show's own
    template, which by default names the post's footnotes on purpose.)"""
    failures = []
    for path in corpus:
        script = corpus_script(path)
        for sentence in (s for p in script.post_paragraphs() for s in p.sentences):
            for text in (sentence.text, sentence.speech):
                problems = spoken_problems(text)
                if problems:
                    failures.append(f"{path.name}: {problems}: {text[:160]}")
    assert not failures, "\n".join(failures[:20])


def test_every_corpus_post_keeps_its_prose(corpus):
    show = load_show(SAMPLE_SHOW)
    boilerplate = policy.boilerplate_matcher(show.script.boilerplate)
    low = []
    for path in corpus:
        source = Counter(prose_words(read_post(path, show).ast, boilerplate))
        spoken = Counter(WORD.findall(" ".join(s.text for s in corpus_script(path).sentences()).lower()))
        total = sum(source.values())
        if not total:
            continue
        kept = sum(min(n, spoken[w]) for w, n in source.items())
        if kept / total < 0.9:
            low.append(f"{path.name}: {kept}/{total} = {kept / total:.1%}")
    assert not low, "\n".join(low)


def test_corpus_scripts_are_well_formed(corpus):
    for path in corpus:
        script = corpus_script(path)
        assert script.intro and script.outro and script.sections, path.name
        assert script.word_count > 0
        assert all(s.text.strip() and s.speech.strip() for s in script.sentences()), path.name
        assert all(len(s.text) <= 400 or " " not in s.text for s in script.sentences()), path.name
        assert all(0 <= o.section < len(script.sections) for o in script.omissions), path.name
        json.dumps([o.detail for o in script.omissions])


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_golden_scripts(name):
    source = GOLDENS[name]
    if source is None:
        script = prepare_post(SAMPLE_POST, load_show(SAMPLE_SHOW))
    else:
        require((CORPUS / source).is_file(), f"the corpus is missing at {CORPUS}")
        script = corpus_script(CORPUS / source)
    text = script_text(script)
    assert_golden(name, text)


def test_golden_sources_cover_the_kinds(corpus):
    """The goldens include an interview/talk transcript, tweets, cards and list footnotes."""
    kinds = {name: corpus_script(CORPUS / src).meta.type for name, src in GOLDENS.items() if src}
    assert "podcast" in kinds.values()
    assert len(corpus_posts()) >= 63


def test_footnotes_on_list_items_read_at_section_end(tmp_path):
    """read_footnotes on a corpus post whose footnote markers sit in list items."""
    source = CORPUS / "2023-05-25-codegreenpasturesforllms.md"
    require(source.is_file(), f"the corpus is missing at {CORPUS}")
    show_dir = tmp_path / "show"
    show_dir.mkdir()
    (show_dir / "show.toml").write_text('[show]\nbase_url = "https://www.interconnects.ai"\n'
                                        "[script]\nread_footnotes = true\n", encoding="utf-8")
    script = prepare_post(source, load_show(show_dir))
    notes = [(i, p) for i, s in enumerate(script.sections) for p in s.paragraphs if p.kind == "footnote"]
    assert len(notes) == source.read_text(encoding="utf-8").count('component-name="FootnoteToDOM"')
    spoken = [" ".join(s.text for s in p.sentences) for _, p in notes]
    assert spoken[0].startswith("Footnote one: ") and spoken[1].startswith("Footnote two: ")
    for index, paragraph in notes:  # each section's footnotes close it
        kinds = [p.kind for p in script.sections[index].paragraphs]
        assert kinds[kinds.index("footnote"):] == ["footnote"] * (len(kinds) - kinds.index("footnote"))
    for paragraph in script.post_paragraphs():
        for sentence in paragraph.sentences:
            assert not spoken_problems(sentence.text.replace("Footnote", "")), sentence.text
