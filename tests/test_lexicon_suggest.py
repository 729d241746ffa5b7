"""``audio-essay lexicon suggest``: the words of a show's catalogue a voice may read wrong,
ranked by occurrences and QA failures, written as commented lexicon entries; ``voices say
--lexicon`` auditions an entry; a lexicon change re-renders only the sentences holding the word.

Regenerate the golden list after an intended change with
``UPDATE_GOLDEN=1 pytest tests/test_lexicon_suggest.py`` and read the diff.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import soundfile as sf
from click.testing import CliRunner
from conftest import CORPUS, recorded, require
from prepare_helpers import assert_golden
from test_batch import make_show

from audio.back_catalogue.importer import import_source
from audio.back_catalogue.lexicon_suggest import suggest_lexicon, write_suggestions
from audio.catalog import Catalog
from audio.cli import main
from audio.episode_store import qa_to_json
from audio.models import EpisodeQA, SentenceCheck, Voicing
from audio.pipeline import render_episode
from audio.prepare import prepare_post
from audio.prepare.lexicon import Lexicon
from audio.show import load_show
from audio.synth.engines.fake import FakeEngine

POSTS = (  # three real posts, read from ../shared/corpus (copied only into the test's own folder)
    "2020-06-12-10yearsofautomationin1year.md",
    "2020-07-10-onlinecoursesautomatingeducationanddigitalizingdeg.md",
    "2020-08-07-digitalcompaniesandthegoalofat-homeembodiedai.md",
)
LEXICON = '[[entry]]\nmatch = "Attia"\nsay = "ah tee ah"\n\n[acronyms]\nUC = "U C"\n'


def corpus_show(folder: Path, lexicon: str | None = None):
    require(all((CORPUS / name).is_file() for name in POSTS), f"the corpus is missing at {CORPUS}")
    source = folder / "src"
    source.mkdir(parents=True)
    for name in POSTS:
        shutil.copy(CORPUS / name, source / name)
    show = make_show(folder / "show")
    if lexicon is not None:
        (show.folder / "lexicon.toml").write_text(lexicon, encoding="utf-8")
        with (show.folder / "show.toml").open("a", encoding="utf-8") as toml:
            toml.write('[script]\nlexicon = "lexicon.toml"\n')
        show = load_show(show.folder)
    report = import_source(source, show)
    assert len(report.new) == 3 and not report.problems
    return show


@pytest.fixture(scope="module")
def plain_show(tmp_path_factory):
    return corpus_show(tmp_path_factory.mktemp("plain"))


@pytest.fixture(scope="module")
def lexicon_show(tmp_path_factory):
    return corpus_show(tmp_path_factory.mktemp("lexicon"), LEXICON)


def test_top_suggestions_are_the_golden_list(plain_show):
    report = suggest_lexicon(plain_show)
    assert (report.posts, report.qa_episodes, report.problems) == (3, 0, ())
    assert report.dictionary == "the CMU pronouncing dictionary (PocketSphinx's)"
    lines = [f"{s.count}\t{s.qa_failures}\t{s.match}\t{', '.join(s.reasons)}\t{s.said}" for s in report.suggestions[:30]]
    assert_golden("lexicon-suggest", "\n".join(lines) + "\n", suffix=".top.txt")
    top = {s.match: s for s in report.suggestions}
    # each kind of word the voice may read wrong is there, with what it is said as today
    assert top["AI"].reasons == ("acronym",) and top["AI"].said == "A I"
    assert top["COVID19"].reasons == ("letters and digits",) and top["COVID19"].said == "Covid nineteen"
    assert top["AlphaGo"].reasons == ("mixed case", "not in dictionary")
    assert top["iPad"].reasons == ("mixed case",)
    assert top["Abbeel"].reasons == ("name", "not in dictionary")
    assert top["Abbeel"].example.startswith("Although, now we also have high-speed pick and place robots")
    # words the dictionary knows, names it knows, and the tables' own words are not suggested
    assert not {"Berkeley", "Google", "automation", "COVID", "Covid"} & set(top)


def test_entries_already_in_the_lexicon_are_not_suggested(plain_show, lexicon_show):
    before = {s.match for s in suggest_lexicon(plain_show).suggestions}
    after = {s.match for s in suggest_lexicon(lexicon_show).suggestions}
    assert {"Attia", "UC"} <= before
    assert before - after == {"Attia", "UC"}  # the entry and the [acronyms] name; nothing else changes


def sentence_holding(show, word: str) -> tuple[str, int, int]:
    """(slug, index in speaking order, sentences) of the first sentence of the catalogue's
    posts whose written words hold the word."""
    with Catalog(show.catalog_path, write=False) as catalog:
        posts = catalog.posts()
    for post in posts:
        script = prepare_post(show.folder / post.source, show, Voicing())
        for index, sentence in enumerate(script.sentences()):
            if re.search(rf"\b{word}\b", sentence.written):
                return post.slug, index, len(script.sentences())
    raise AssertionError(word)


def write_qa(show, slug: str, suspects: set[int], sentences: int) -> None:
    checks = tuple(SentenceCheck(index=i, start_s=float(i), end_s=i + 1.0, written="", heard="", wer=0.6 if i in suspects
                                 else 0.0, cer=0.0, chars_per_s=15.0, reasons=("error rate",) if i in suspects else ())
                   for i in range(sentences))
    qa = EpisodeQA(slug=slug, voice="fake", recognizer="stub", state="suspects", sentences=checks)
    folder = show.rendered_dir / slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{slug}.qa.json").write_text(qa_to_json(qa), encoding="utf-8")


def test_qa_failures_raise_a_words_rank(tmp_path):
    show = corpus_show(tmp_path)
    before = suggest_lexicon(show).suggestions
    assert [s.match for s in before].index("Abbeel") > 5  # said once: far down
    slug, index, sentences = sentence_holding(show, "Abbeel")
    write_qa(show, slug, {index}, sentences)
    report = suggest_lexicon(show)
    assert report.qa_episodes == 1
    # the words of the flagged sentence come first ("AI": "a Berkeley AI Research member,
    # Professor Abbeel"), by their counts, then the rest as before
    flagged = [s for s in report.suggestions if s.qa_failures]
    assert [(s.match, s.count, s.qa_failures) for s in flagged] == [("AI", 17, 1), ("Abbeel", 1, 1)]
    assert report.suggestions[2:] == tuple(s for s in before if s.match not in ("AI", "Abbeel"))
    # a QA record of another version of the post (an index past its end) is not read
    write_qa(show, slug, {index}, sentences + 5)
    assert suggest_lexicon(show).qa_episodes == 0
    # nor one of a QA that was skipped (a language the recogniser cannot hear)
    skipped = EpisodeQA(slug=slug, voice="fake", recognizer="stub", state="skipped", sentences=(),
                        skipped_reason="the recogniser cannot hear Spanish")
    (show.rendered_dir / slug / f"{slug}.qa.json").write_text(qa_to_json(skipped), encoding="utf-8")
    assert suggest_lexicon(show).qa_episodes == 0


def test_posts_folder_without_a_catalogue_and_the_voices_own_lexicon(tmp_path):
    show = make_show(tmp_path / "show")
    (show.folder / "voices" / "fake.toml").write_text('engine = "fake"\nlexicon = "fake.lexicon.toml"\n', encoding="utf-8")
    (show.folder / "voices" / "fake.lexicon.toml").write_text('[[entry]]\nmatch = "Kokotajlo"\nsay = "koko tie low"\n',
                                                              encoding="utf-8")
    (show.folder / "posts").mkdir()
    (show.folder / "posts" / "names.md").write_text(
        "---\ntitle: Names\n---\nKokotajlo and Vorontsova wrote to Vorontsova's editor about the H100.\n", encoding="utf-8")
    report = suggest_lexicon(show)
    assert not show.catalog_path.exists() and (report.posts, report.qa_episodes) == (1, 0)
    assert [(s.match, s.count, s.reasons, s.said) for s in report.suggestions] == [
        ("Vorontsova", 2, ("name", "not in dictionary"), "Vorontsova"),
        ("AI", 1, ("acronym",), "A I"),  # the show's intro: "an AI-narrated audio version"
        ("H100", 1, ("letters and digits",), "H one hundred"),
    ]


def uncommented(text: str) -> str:
    return "\n".join(re.sub(r"^# ?", "", line) for line in text.splitlines()) + "\n"


def test_the_uncommented_proposal_is_a_valid_lexicon(plain_show, tmp_path):
    path, report = write_suggestions(plain_show, tmp_path / "proposal.toml", top=40)
    text = path.read_text(encoding="utf-8")
    assert Lexicon.load(path).entries == ()  # as written, every entry is commented out
    assert text.count("\n# [[entry]]\n") == 40
    first = report.suggestions[0]
    assert f'\n## AI: {first.count} times; acronym; said now: A I\n## e.g. ' in text
    assert '\n# [[entry]]\n# match = "AI"\n# say = "A I"\n' in text
    (tmp_path / "all.toml").write_text(uncommented(text), encoding="utf-8")
    lexicon = Lexicon.load(tmp_path / "all.toml")
    assert [e.match for e in lexicon.entries] == [s.match for s in report.suggestions[:40]]
    assert lexicon.apply("Coronavirus and coronavirus, AlphaGo.", phonemes=False) == \
        "Coronavirus and Coronavirus, AlphaGo."  # seen in two capitalisations: case_sensitive = false
    # one entry alone, uncommented as an author would
    one = re.search(r"# \[\[entry\]\]\n# match = \"AlphaGo\"\n# say = \"AlphaGo\"\n", text).group(0)
    (tmp_path / "one.toml").write_text(uncommented(one).replace('say = "AlphaGo"', 'say = "alpha go"'), encoding="utf-8")
    assert Lexicon.load(tmp_path / "one.toml").apply("AlphaGo won.", phonemes=False) == "alpha go won."


def test_cli_writes_the_proposal_beside_the_lexicon_never_over_it(lexicon_show):
    show = lexicon_show
    lexicon = (show.folder / "lexicon.toml").read_bytes()
    result = CliRunner().invoke(main, ["lexicon", "suggest", "--show", str(show.folder), "--top", "5"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    total = len(suggest_lexicon(show).suggestions)
    assert lines[0] == f"{show.folder / 'lexicon.suggested.toml'}: 5 of {total} words, from 3 posts (333 sentences, 0 with QA)"
    assert lines[1] == "     17 times    0 flagged  AI  (acronym; said now: A I)"
    assert len(lines) == 11
    assert (show.folder / "lexicon.suggested.toml").read_text(encoding="utf-8").count("# [[entry]]") == 5
    assert (show.folder / "lexicon.toml").read_bytes() == lexicon
    assert [p.name for p in show.folder.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--show", "{tmp}/nowhere"], "nowhere: no such show folder"),
        (["--show", "{show}", "--out", "/proc/nope/out.toml"], "/proc/nope/out.toml: cannot write"),
        (["--show", "{show}", "--out", "{show}/lexicon.toml"], "lexicon.toml: is the show's lexicon"),
        (["--show", "{tmp}/empty"], "no posts: no catalogue"),
    ],
)
def test_cli_bad_input_is_one_line(lexicon_show, tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    args = [a.format(tmp=tmp_path, show=lexicon_show.folder) for a in args]
    result = CliRunner().invoke(main, ["lexicon", "suggest", *args])
    assert result.exit_code == 2
    assert result.output.startswith("audio-essay: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.fixture
def heard(monkeypatch) -> list[str]:
    """The texts the fake engine was given."""
    return recorded(monkeypatch, FakeEngine)


def test_voices_say_auditions_a_lexicon_entry(tmp_path, heard):
    show = make_show(tmp_path / "show")
    (show.folder / "lexicon.toml").write_text('[[entry]]\nmatch = "Qwen"\nsay = "kwen"\n', encoding="utf-8")
    with (show.folder / "show.toml").open("a", encoding="utf-8") as toml:
        toml.write('[script]\nlexicon = "lexicon.toml"\n')
    proposal = tmp_path / "lexicon.suggested.toml"
    proposal.write_text('## OpenAI: 3 times\n# [[entry]]\n# match = "OpenAI"\n# say = "Open A I"\n', encoding="utf-8")

    def say(*extra: str) -> None:
        out = tmp_path / "say.wav"
        result = CliRunner().invoke(main, ["voices", "--show", str(show.folder), "say", "fake", "OpenAI and Qwen",
                                           "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
        assert out.is_file()

    say()  # as given
    say("--lexicon", str(proposal))  # read as an episode: normalised, the show's lexicon, nothing uncommented
    proposal.write_text(uncommented(proposal.read_text(encoding="utf-8")).replace("Open A I", "oh pen eye"))
    say("--lexicon", str(proposal))  # the entry auditioned
    assert heard == ["OpenAI and Qwen", "Open A-I and kwen", "oh pen eye and kwen"]


def test_voices_say_lexicon_errors_are_one_line(tmp_path, heard):
    show = make_show(tmp_path / "show")
    (tmp_path / "bad.toml").write_text("[[entry]]\nmatch = 1\n", encoding="utf-8")
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    for text, lexicon, message in [("OpenAI", "missing.toml", "missing.toml: no such lexicon file"),
                                   ("OpenAI", "bad.toml", "bad.toml: entry 1: 'match' must be a non-empty string"),
                                   ("...", "empty.toml", "nothing to say: '...' is read as nothing")]:
        result = CliRunner().invoke(main, ["voices", "say", "fake", text, "--lexicon", str(tmp_path / lexicon),
                                           "--show", str(show.folder), "-o", str(tmp_path / "x.wav")])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("audio-essay: ") and message in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert heard == [] and not (tmp_path / "x.wav").exists()


def test_a_lexicon_change_re_renders_only_the_sentences_holding_the_word(tmp_path):
    show = make_show(tmp_path / "show")
    post = show.folder / "posts" / "names.md"
    post.parent.mkdir()
    post.write_text("---\ntitle: Names\ndate: 2024-05-01\n---\nKokotajlo wrote a forecast. It was widely read. "
                    "Critics answered it.\n\nA second paragraph follows here. Kokotajlo replied to them all.\n",
                    encoding="utf-8")
    first = render_episode(post, show).stats
    assert first.cache_misses == first.sentences
    again = render_episode(post, show).stats
    assert (again.cache_misses, again.cache_hits) == (0, first.sentences)
    (show.folder / "lexicon.toml").write_text('[[entry]]\nmatch = "Kokotajlo"\nsay = "koko tie low"\n', encoding="utf-8")
    with (show.folder / "show.toml").open("a", encoding="utf-8") as toml:
        toml.write('[script]\nlexicon = "lexicon.toml"\n')
    show = load_show(show.folder)
    holding = [s for s in prepare_post(post, show).sentences() if "koko tie low" in s.speech]
    assert len(holding) == 2
    changed = render_episode(post, show).stats
    assert (changed.cache_misses, changed.cache_hits) == (2, first.sentences - 2)


def test_voices_say_auditions_phonemes_with_the_real_voice(tmp_path, monkeypatch):
    from audio.synth.engines.piper import PiperEngine

    given = recorded(monkeypatch, PiperEngine)
    proposal = tmp_path / "proposal.toml"
    proposal.write_text('[[entry]]\nmatch = "Kokotajlo"\nsay = "koko tie low"\nphonemes = "kˌoʊkoʊtˈaɪloʊ"\n',
                        encoding="utf-8")
    out = tmp_path / "joe.wav"
    show = make_show(tmp_path / "show")
    result = CliRunner().invoke(main, ["voices", "say", "joe", "Kokotajlo", "--lexicon", str(proposal), "--show",
                                       str(show.folder), "-o", str(out), "--threads", "1"])
    assert result.exit_code == 0, result.output
    assert given == ["[[ kˌoʊkoʊtˈaɪloʊ ]]"]  # Piper takes phonemes: the entry's, not its respelling
    data, rate = sf.read(str(out))
    assert rate == 22050 and 0.4 < len(data) / rate < 3 and abs(data).max() > 0.05
