"""The QA report from QA records: the terminal table's rows, the status cell, the catalogue's
totals, and the HTML report in the show's private QA folder, opened in Chromium."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pytest
from browser_support import (
    browser_fixture,  # noqa: F401 (the browser fixture)
    wait,
)
from browser_support import errors as browser_errors
from publish_support import make_show
from rich.console import Console

from audio.episode_store import qa_to_json
from audio.errors import InputError
from audio.models import EpisodeQA, SentenceCheck
from audio.publish.build import publish_site
from audio.qa.report import (
    DIFFERS,
    HEADINGS,
    QATotals,
    SuspectRow,
    catalogue_totals,
    report_dir,
    retake_outcome,
    show_qas,
    status_cell,
    suspect_rows,
    suspect_table,
    word_diff,
    write_html_report,
)
from audio.show import load_show

CHECKED = datetime(2026, 11, 26, 20, 30, tzinfo=UTC)
SENTENCES = (
    SentenceCheck(0, 0.0, 1.2, "the first half", "", 0.0, 0.0, 14.0),
    SentenceCheck(1, 1.25, 2.5, "a <b> & c said", "a b and c said", 0.5, 0.3, 15.0, reasons=("wer",)),
    SentenceCheck(2, 2.5, 3.75, "visit the site", "visit h t t p the site", 1.0, 0.8, 30.0,
                  reasons=("rate", "url"), take=2, takes_tried=3, improved=True),
    SentenceCheck(3, 3.8, 4.9, "and the rest", "and the rest", 0.0, 0.0, 12.0, take=1, takes_tried=1, improved=True),
)
SUSPECTS = EpisodeQA("second-post", "joe", "pocketsphinx", "suspects", SENTENCES, wer=0.25, checked_at=CHECKED,
                     tool_version="0.1.0")
CLEAN = EpisodeQA("first-post", "joe", "pocketsphinx", "clean", (SENTENCES[0],), checked_at=CHECKED)
SKIPPED = EpisodeQA("third-post", "joe-es", "pocketsphinx", "skipped", (),
                    skipped_reason="pocketsphinx cannot hear es", checked_at=CHECKED)
ALL = (CLEAN, SUSPECTS, SKIPPED)


def test_the_table_lists_suspects_and_retaken_sentences_with_their_times_and_words():
    assert HEADINGS == ("time", "why", "written", "heard", "retakes")
    assert suspect_rows(SUSPECTS) == [
        SuspectRow("0:01", "wer", "a <b> & c said", "a b and c said", "-"),
        SuspectRow("0:02", "rate, url", "visit the site", "visit h t t p the site",
                   "retake 2 better (3 tried), still suspect"),
        SuspectRow("0:03", "", "and the rest", "and the rest", "repaired by retake 1 (1 tried)"),
    ]
    assert suspect_rows(CLEAN) == [] and suspect_rows(SKIPPED) == []
    # Timestamps past an hour; a suspect only aligned (nothing transcribed).
    late = EpisodeQA("long", "joe", "pocketsphinx", "suspects",
                     (SentenceCheck(7, 3725.5, 3730.0, "a long pause", "", 0.0, 0.0, 2.0, reasons=("rate",)),))
    assert suspect_rows(late) == [SuspectRow("1:02:05", "rate", "a long pause", "(not transcribed)", "-")]


def test_retake_outcomes_in_words():
    clean = SENTENCES[0]
    assert retake_outcome(clean) == "-"
    assert retake_outcome(SentenceCheck(**{**vars(clean), "take": 2})) == "retake 2"
    assert retake_outcome(SentenceCheck(**{**vars(clean), "reasons": ("wer",), "takes_tried": 3,
                                           "improved": False})) == "3 tried, none better"


def test_the_words_that_differ_are_marked_on_both_sides():
    assert word_diff("visit the site", "visit h t t p the site") == (
        [("visit", False), ("the", False), ("site", False)],
        [("visit", False), ("h", True), ("t", True), ("t", True), ("p", True), ("the", False), ("site", False)])
    assert word_diff("a big dog", "a bug dog") == ([("a", False), ("big", True), ("dog", False)],
                                                   [("a", False), ("bug", True), ("dog", False)])
    assert word_diff("a long pause", "") == ([("a", False), ("long", False), ("pause", False)], [])


def test_the_rich_table_marks_differing_words_and_keeps_brackets_literal():
    table = suspect_table(SUSPECTS)
    assert str(table.title) == "second-post: 2 suspects"
    console = Console(width=200, record=True, color_system=None)
    console.print(table)
    text = console.export_text()
    assert "a <b> & c said" in text and "rate, url" in text and "repaired by retake 1 (1 tried)" in text
    heard = table.columns[3]._cells[1]  # the second row's heard words: "h t t p" differ
    marked = [heard.plain[span.start:span.end] for span in heard.spans if span.style == DIFFERS]
    assert marked == ["h", "t", "t", "p"]
    written = table.columns[2]._cells[0]
    assert [written.plain[s.start:s.end] for s in written.spans if s.style == DIFFERS] == ["<b>", "&"]
    # rich markup in a sentence is shown as written, never interpreted
    odd = EpisodeQA("[i]odd", "joe", "pocketsphinx", "suspects",
                    (SentenceCheck(0, 0.0, 1.0, "[bold]x[/bold]", "[red]y", 1.0, 1.0, 9.0, reasons=("[b]why",)),))
    console = Console(width=200, record=True, color_system=None)
    console.print(suspect_table(odd))
    text = console.export_text()
    assert "[i]odd: 1 suspect" in text and "[bold]x[/bold]" in text and "[red]y" in text and "[b]why" in text


def test_status_cells():
    assert status_cell(None) == "-"
    assert status_cell(CLEAN) == "clean"
    assert status_cell(SUSPECTS) == "2 suspects"
    one = EpisodeQA("one", "joe", "pocketsphinx", "suspects", SENTENCES[:2])
    assert status_cell(one) == "1 suspect"
    assert status_cell(SKIPPED) == "skipped: pocketsphinx cannot hear es"
    assert status_cell(EpisodeQA("x", "joe", "pocketsphinx", "skipped", ())) == "skipped"


def test_catalogue_totals():
    totals = catalogue_totals(ALL)
    assert totals == QATotals(episodes=3, checked=2, clean=1, with_suspects=1, skipped=1, suspects=2, retaken=2,
                              repaired=1)
    assert totals.summary() == ("2 episodes checked: 1 clean, 1 with suspects (2 sentences); 1 skipped; "
                                "2 sentences retaken, 1 repaired")
    assert catalogue_totals([]).summary() == ("0 episodes checked: 0 clean, 0 with suspects (0 sentences); "
                                              "0 skipped; 0 sentences retaken, 0 repaired")


def _write_records(show_folder: Path, qas=ALL) -> None:
    for qa in qas:
        (show_folder / "rendered" / qa.slug / f"{qa.slug}.qa.json").write_text(qa_to_json(qa), encoding="utf-8")


def test_show_qas_reads_every_record_beside_its_episode(tmp_path):
    folder = make_show(tmp_path / "show")
    _write_records(folder)
    show = load_show(folder)
    assert show_qas(show) == {"first-post": CLEAN, "second-post": SUSPECTS, "third-post": SKIPPED}
    hidden = folder / "rendered" / ".first-post.render" / "first-post.qa.json"  # a render in progress
    hidden.parent.mkdir()
    hidden.write_text("{", encoding="utf-8")
    bad = folder / "rendered" / "paid-post" / "paid-post.qa.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        show_qas(show)
    assert caught.value.path == str(bad)
    unreadable: list[InputError] = []
    assert list(show_qas(show, unreadable)) == ["first-post", "second-post", "third-post"]
    assert [exc.path for exc in unreadable] == [str(bad)]


@pytest.fixture
def reported(tmp_path):
    """The sample show with QA records and its HTML report written."""
    folder = make_show(tmp_path / "show")
    _write_records(folder)
    show = load_show(folder)
    return show, write_html_report(show, show_qas(show).values())


def test_the_report_is_written_in_the_private_qa_folder(reported):
    show, index = reported
    assert index == show.folder / "qa" / "report" / "index.html" == report_dir(show) / "index.html"
    assert sorted(p.name for p in index.parent.iterdir()) == [
        "first-post.qa.html", "index.html", "second-post.qa.html", "third-post.qa.html"]
    assert not index.is_relative_to(show.site_dir)
    text = index.read_text(encoding="utf-8")
    assert "<p>2 episodes checked: 1 clean, 1 with suspects (2 sentences); 1 skipped; " \
           "2 sentences retaken, 1 repaired</p>" in text
    # Newest first, as rendered; titles escaped.
    rows = [line for line in text.splitlines() if line.startswith("<tr><td>")]
    assert rows == [
        ('<tr><td><a href="third-post.qa.html">The third post</a></td><td>skipped: pocketsphinx cannot hear es</td>'
         '<td>0</td><td>0</td><td>-</td><td>2026-11-26 20:30</td></tr>'),
        ('<tr><td><a href="second-post.qa.html">Second: “quotes” &amp; ampersands</a></td><td>2 suspects</td>'
         '<td>2</td><td>1</td><td>25.0%</td><td>2026-11-26 20:30</td></tr>'),
        ('<tr><td><a href="first-post.qa.html">The first post</a></td><td>clean</td>'
         '<td>0</td><td>0</td><td>0.0%</td><td>2026-11-26 20:30</td></tr>'),
    ]


def test_an_episode_page_lists_each_sentence_with_its_start_and_plays_the_rendered_mp3(reported):
    _, index = reported
    text = (index.parent / "second-post.qa.html").read_text(encoding="utf-8")
    assert "<title>QA · Second: “quotes” &amp; ampersands</title>" in text
    assert '<audio id="player" controls preload="metadata" src="../../rendered/second-post/second-post.mp3">' in text
    assert (index.parent / "../../rendered/second-post/second-post.mp3").resolve().is_file()
    assert '<p class="meta">2 suspects · voice joe · recogniser pocketsphinx · WER 25.0% · checked 2026-11-26 20:30</p>' \
        in text
    assert "<h2>2 suspect sentences</h2>" in text
    entries = text.split('<ol class="sentences">\n')[1].split("\n</ol>")[0]
    assert entries == """\
<li id="sentence-1" class="suspect">
<button type="button" class="play" data-start="1.250" aria-label="Play from 0:01">▶ 0:01</button>
<span class="reasons">wer</span> <span class="retakes meta">not retaken</span>
<dl><dt>written</dt><dd class="written">a <mark>&lt;b&gt;</mark> <mark>&amp;</mark> c said</dd>\
<dt>heard</dt><dd class="heard">a <mark>b</mark> <mark>and</mark> c said</dd></dl>
</li>
<li id="sentence-2" class="suspect">
<button type="button" class="play" data-start="2.500" aria-label="Play from 0:02">▶ 0:02</button>
<span class="reasons">rate, url</span> <span class="retakes meta">retake 2 better (3 tried), still suspect</span>
<dl><dt>written</dt><dd class="written">visit the site</dd>\
<dt>heard</dt><dd class="heard">visit <mark>h</mark> <mark>t</mark> <mark>t</mark> <mark>p</mark> the site</dd></dl>
</li>
<li id="sentence-3" class="repaired">
<button type="button" class="play" data-start="3.800" aria-label="Play from 0:03">▶ 0:03</button>
<span class="reasons">repaired</span> <span class="retakes meta">repaired by retake 1 (1 tried)</span>
<dl><dt>written</dt><dd class="written">and the rest</dd><dt>heard</dt><dd class="heard">and the rest</dd></dl>
</li>"""
    assert "<b>" not in text and "& c" not in text
    clean = (index.parent / "first-post.qa.html").read_text(encoding="utf-8")
    assert "<p>No suspect sentences.</p>" in clean and "data-start" not in clean.split("<script>")[0]
    skipped = (index.parent / "third-post.qa.html").read_text(encoding="utf-8")
    assert '<p class="skipped">QA skipped: pocketsphinx cannot hear es</p>' in skipped


def test_rewriting_the_report_drops_pages_of_episodes_no_longer_checked(reported):
    show, index = reported
    write_html_report(show, [SUSPECTS])
    assert sorted(p.name for p in index.parent.iterdir()) == ["index.html", "second-post.qa.html"]


def test_publish_leaves_the_report_and_the_qa_records_out_of_the_site(reported):
    show, _ = reported
    publish_site(show)
    published = [p for p in show.site_dir.rglob("*") if p.is_file()]
    assert published and not [p for p in published if ".qa." in p.name or p.is_relative_to(show.qa_dir)]
    assert not [p for p in published if p.suffix == ".html" and "Speech QA" in p.read_text(encoding="utf-8")]


def test_a_suspects_entry_seeks_the_player_to_its_sentence_and_plays_in_chromium(browser, reported):
    from selenium.webdriver.common.by import By

    _, index = reported
    browser.get(index.as_uri())
    assert browser.title == "Speech QA · Interconnects Audio Essays"
    browser.find_element(By.LINK_TEXT, "Second: “quotes” & ampersands").click()
    assert browser.title == html.unescape("QA · Second: “quotes” &amp; ampersands")
    wait(browser, "return document.getElementById('player').readyState >= 1")
    # The real MP3 beside the rendered episode, five seconds of tone.
    assert browser.execute_script("return document.getElementById('player').duration") == pytest.approx(5, abs=0.2)
    buttons = browser.find_elements(By.CSS_SELECTOR, "ol.sentences button.play")
    assert [b.text for b in buttons] == ["▶ 0:01", "▶ 0:02", "▶ 0:03"]
    buttons[1].click()
    # It plays from the sentence's start (2.5 s): read at once, it has barely moved.
    now = wait(browser, "const p = document.getElementById('player'); return !p.paused && p.currentTime >= 2.5 "
                        "&& p.currentTime")
    assert now == pytest.approx(2.5, abs=0.5)
    assert browser.execute_script("return document.querySelector('li.is-playing').id") == "sentence-2"
    # The keyboard reaches an entry too: focus and Enter.
    buttons[2].send_keys("\n")
    now = wait(browser, "const p = document.getElementById('player'); return !p.paused && p.currentTime >= 3.8 "
                        "&& p.currentTime")
    assert now == pytest.approx(3.8, abs=0.5)
    assert browser_errors(browser) == []
