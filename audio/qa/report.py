"""The QA report, made from QA records only: the rows of the terminal table ``audio-essay
qa`` prints, an episode's QA state as ``status`` shows it, the catalogue's totals for the
batch summary, and the HTML report in the show's private QA folder (never the site).

The report lists the sentences worth a listener's attention: the suspects, and the
sentences a retake repaired. Written and heard words are set side by side with the words
that differ marked (difflib's alignment of the two word sequences). The HTML report is an
index of the episodes and one page per episode whose entries play the episode's rendered
MP3 from the sentence's start; pages link the MP3 by a relative URL, so the report works
opened as a file, offline, with its small script inline.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from string import Template
from typing import NamedTuple
from urllib.parse import quote

from rich.table import Table
from rich.text import Text

from audio.episode_store import QA_SUFFIX, list_episodes, load_qa
from audio.errors import InputError
from audio.files import write_text
from audio.models import Episode, EpisodeQA, SentenceCheck
from audio.show import Show
from audio.timecode import clock

REPORT_DIR = "report"  # the HTML report's folder in Show.qa_dir
PAGE_SUFFIX = ".qa.html"  # an episode's page: <slug>.qa.html beside index.html
NOT_HEARD = "(not transcribed)"  # what "heard" says of a sentence QA only aligned
DIFFERS = "bold red"  # the terminal table's style for a word that differs


class SuspectRow(NamedTuple):
    """One line of the terminal table: a sentence as QA left it."""

    time: str  # where the sentence starts in the episode, H:MM:SS or M:SS
    reasons: str  # why it is a suspect, comma-separated; "" when a retake repaired it
    written: str  # the spoken text, normalised
    heard: str  # what the recogniser heard, normalised the same way
    retakes: str  # what retaking it did (``retake_outcome``)


HEADINGS = SuspectRow("time", "why", "written", "heard", "retakes")


@dataclass(frozen=True)
class QATotals:
    """The catalogue's QA at a glance, for the batch summary."""

    episodes: int  # QA records
    checked: int  # episodes QA listened to (not skipped)
    clean: int
    with_suspects: int
    skipped: int
    suspects: int  # suspect sentences, over every episode
    retaken: int  # sentences synthesized again
    repaired: int  # retaken sentences no longer suspect

    def summary(self) -> str:
        """One line: "4 episodes checked: 3 clean, 1 with suspects (2 sentences); 1 skipped;
        3 sentences retaken, 1 repaired"."""
        return (f"{_count(self.checked, 'episode')} checked: {self.clean} clean, {self.with_suspects} with suspects "
                f"({_count(self.suspects, 'sentence')}); {self.skipped} skipped; "
                f"{_count(self.retaken, 'sentence')} retaken, {self.repaired} repaired")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def listed(qa: EpisodeQA) -> tuple[SentenceCheck, ...]:
    """The sentences the report lists, in speaking order: the suspects and the retaken."""
    return tuple(s for s in qa.sentences if s.suspect or s.takes_tried)


def retake_outcome(s: SentenceCheck) -> str:
    """What retaking a sentence did, in words: "-" (not retaken), "3 tried, none better",
    "retake 2 better (3 tried), still suspect", "repaired by retake 2 (3 tried)"; a take
    chosen by an earlier check and kept: "retake 2"."""
    if not s.takes_tried:
        return f"retake {s.take}" if s.take else "-"
    if not s.improved:
        return f"{s.takes_tried} tried, none better"
    if s.suspect:
        return f"retake {s.take} better ({s.takes_tried} tried), still suspect"
    return f"repaired by retake {s.take} ({s.takes_tried} tried)"


def suspect_rows(qa: EpisodeQA) -> list[SuspectRow]:
    """The terminal table's rows for an episode (``HEADINGS`` names the columns)."""
    return [SuspectRow(clock(s.start_s), ", ".join(s.reasons), s.written, s.heard or NOT_HEARD, retake_outcome(s))
            for s in listed(qa)]


def word_diff(written: str, heard: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """The words of ``written`` and of ``heard``, each with whether it differs from the other
    text. Nothing differs when nothing was heard (QA only aligned the sentence)."""
    w, h = written.split(), heard.split()
    if not h:
        return [(word, False) for word in w], []
    w_marks, h_marks = [True] * len(w), [True] * len(h)
    for block in SequenceMatcher(None, w, h, autojunk=False).get_matching_blocks():
        w_marks[block.a:block.a + block.size] = [False] * block.size
        h_marks[block.b:block.b + block.size] = [False] * block.size
    return list(zip(w, w_marks, strict=True)), list(zip(h, h_marks, strict=True))


def _text(words: list[tuple[str, bool]], empty: str = "") -> Text:
    if not words:
        return Text(empty)
    text = Text()
    for i, (word, differs) in enumerate(words):
        text.append(" " if i else "")
        text.append(word, style=DIFFERS if differs else "")
    return text


def suspect_table(qa: EpisodeQA) -> Table:
    """``suspect_rows`` as a rich table, the words that differ marked; its title is the
    episode and its state."""
    table = Table(title=Text(f"{qa.slug}: {status_cell(qa)}"), show_lines=True)
    for heading in HEADINGS:
        table.add_column(heading, justify="right" if heading == HEADINGS.time else "left", overflow="fold")
    for s, row in zip(listed(qa), suspect_rows(qa), strict=True):
        written, heard = word_diff(s.written, s.heard)
        # Text, never markup: a sentence's brackets are shown as they are
        table.add_row(Text(row.time), Text(row.reasons), _text(written), _text(heard, NOT_HEARD), Text(row.retakes))
    return table


def status_cell(qa: EpisodeQA | None) -> str:
    """An episode's QA state for ``status``: "clean", "3 suspects", "skipped: <reason>", or
    "-" when it was never checked."""
    if qa is None:
        return "-"
    if qa.state == "skipped":
        return f"skipped: {qa.skipped_reason}" if qa.skipped_reason else "skipped"
    n = len(qa.suspects)
    return _count(n, "suspect") if n else "clean"


def catalogue_totals(qas: Iterable[EpisodeQA]) -> QATotals:
    """The totals of the catalogue's QA records."""
    qas = list(qas)
    checked = [qa for qa in qas if qa.state != "skipped"]
    sentences = [s for qa in checked for s in qa.sentences]
    return QATotals(
        episodes=len(qas), checked=len(checked), clean=sum(1 for qa in checked if not qa.suspects),
        with_suspects=sum(1 for qa in checked if qa.suspects), skipped=len(qas) - len(checked),
        suspects=sum(1 for s in sentences if s.suspect), retaken=sum(1 for s in sentences if s.takes_tried),
        repaired=sum(1 for s in sentences if s.takes_tried and not s.suspect),
    )


def show_qas(show: Show, unreadable: list[InputError] | None = None) -> dict[str, EpisodeQA]:
    """Every rendered episode's QA record (``<slug>.qa.json`` beside the episode), by slug.
    An unreadable record raises, or, given ``unreadable``, is left out and added to it."""
    qas = {}
    for path in sorted(show.rendered_dir.glob(f"*/*{QA_SUFFIX}")):
        if path.parent.name.startswith("."):
            continue
        try:
            qa = load_qa(path)
        except InputError as exc:
            if unreadable is None:
                raise
            unreadable.append(exc)
            continue
        qas[qa.slug] = qa
    return qas


# --- the HTML report -------------------------------------------------------------------------

PAGE = Template("""<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>$title</title>
<style>
body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
.meta{color:#666;font-size:.9rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
.player-bar{position:sticky;top:0;background:#fff;padding:.5rem 0;border-bottom:1px solid #ddd}
audio{display:block;width:100%}
ol.sentences>li{margin:1rem 0}
button.play{font:inherit;font-variant-numeric:tabular-nums;cursor:pointer}
li.is-playing{background:#fff6cc}
dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;margin:.4rem 0}
dt{color:#666}
dd{margin:0}
mark{background:#ffd0d0;color:inherit}
</style>
</head>
<body>
$body
</body>
</html>
""")

INDEX_BODY = Template("""<h1>Speech QA · $show_title</h1>
<p>$summary</p>
<p class="meta">Private: this report is never published. Each episode's page plays its sentences.</p>
<table class="episodes">
<thead><tr><th>Episode</th><th>QA</th><th>Retaken</th><th>Repaired</th><th>WER</th><th>Checked</th></tr></thead>
<tbody>
$rows
</tbody>
</table>""")

INDEX_ROW = Template("""<tr><td><a href="$href">$title</a></td><td>$state</td><td>$retaken</td><td>$repaired</td>\
<td>$wer</td><td>$checked</td></tr>""")

EPISODE_BODY = Template("""<p><a href="index.html">Speech QA · $show_title</a></p>
<h1>$title</h1>
<p class="meta">$state · voice $voice · recogniser $recognizer · WER $wer · checked $checked</p>
<div class="player-bar">
<audio id="player" controls preload="metadata" src="$audio">
<a href="$audio">The episode's MP3</a>
</audio>
</div>
$sentences
<script>
// A sentence's button (data-start, in seconds) seeks the player there and plays.
(function () {
  "use strict";
  var player = document.getElementById("player");
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-start]");
    if (!button) { return; }
    var seconds = parseFloat(button.getAttribute("data-start"));
    var go = function () {
      player.currentTime = seconds;
      var playing = player.play();
      if (playing) { playing.catch(function () {}); }
    };
    document.querySelectorAll("li.is-playing").forEach(function (li) { li.classList.remove("is-playing"); });
    button.closest("li").classList.add("is-playing");
    if (player.readyState >= 1) { go(); } else { player.addEventListener("loadedmetadata", go, { once: true }); }
  });
}());
</script>""")

SENTENCE = Template("""<li id="sentence-$index" class="$kind">
<button type="button" class="play" data-start="$start" aria-label="Play from $time">▶ $time</button>
<span class="reasons">$reasons</span> <span class="retakes meta">$retakes</span>
<dl><dt>written</dt><dd class="written">$written</dd><dt>heard</dt><dd class="heard">$heard</dd></dl>
</li>""")


def report_dir(show: Show) -> Path:
    """Where the HTML report is written: in the show's private QA folder."""
    return show.qa_dir / REPORT_DIR


def _marked(words: list[tuple[str, bool]], empty: str = "") -> str:
    if not words:
        return html.escape(empty)
    return " ".join(f"<mark>{html.escape(w)}</mark>" if differs else html.escape(w) for w, differs in words)


def _sentence(s: SentenceCheck) -> str:
    written, heard = word_diff(s.written, s.heard)
    return SENTENCE.substitute(
        index=s.index, kind="suspect" if s.suspect else "repaired", start=f"{s.start_s:.3f}", time=clock(s.start_s),
        reasons=html.escape(", ".join(s.reasons) or "repaired"),
        retakes=html.escape("not retaken" if s.takes_tried == s.take == 0 else retake_outcome(s)),
        written=_marked(written), heard=_marked(heard, NOT_HEARD),
    )


def _sentences(qa: EpisodeQA) -> str:
    if qa.state == "skipped":
        return f'<p class="skipped">QA skipped: {html.escape(qa.skipped_reason or "no reason given")}</p>'
    sentences = listed(qa)
    if not sentences:
        return "<p>No suspect sentences.</p>"
    items = "\n".join(_sentence(s) for s in sentences)
    return f"<h2>{html.escape(_count(len(qa.suspects), 'suspect sentence'))}</h2>\n" \
           f'<ol class="sentences">\n{items}\n</ol>'


def _checked(qa: EpisodeQA) -> str:
    return qa.checked_at.strftime("%Y-%m-%d %H:%M") if qa.checked_at else "-"


def _wer(qa: EpisodeQA) -> str:
    return "-" if qa.state == "skipped" else f"{qa.wer:.1%}"


def _audio_url(show: Show, page_dir: Path, qa: EpisodeQA, episode: Episode | None) -> str:
    """The episode's MP3, relative to its page (``<show>/rendered/<slug>/<slug>.mp3``)."""
    name = episode.files.get("audio", f"{qa.slug}.mp3") if episode else f"{qa.slug}.mp3"
    return quote(Path(os.path.relpath(show.rendered_dir / qa.slug / name, page_dir)).as_posix())


def _page(show: Show, title: str, body: str) -> str:
    return PAGE.substitute(lang=html.escape(show.show.language), title=html.escape(title), body=body)


def episode_page(show: Show, qa: EpisodeQA, episode: Episode | None) -> str:
    """An episode's page: its player and the sentences the report lists."""
    e = html.escape
    title = episode.title if episode else qa.slug
    body = EPISODE_BODY.substitute(
        show_title=e(show.show.title), title=e(title), state=e(status_cell(qa)), voice=e(qa.voice),
        recognizer=e(qa.recognizer), wer=_wer(qa), checked=_checked(qa),
        audio=e(_audio_url(show, report_dir(show), qa, episode)), sentences=_sentences(qa),
    )
    return _page(show, f"QA · {title}", body)


def index_page(show: Show, qas: list[EpisodeQA], episodes: dict[str, Episode]) -> str:
    """Every episode with its QA state and counts, linking its page."""
    e = html.escape
    rows = []
    for qa in qas:
        totals = catalogue_totals([qa])
        rows.append(INDEX_ROW.substitute(
            href=e(quote(qa.slug + PAGE_SUFFIX)), title=e(episodes[qa.slug].title if qa.slug in episodes else qa.slug),
            state=e(status_cell(qa)), retaken=totals.retaken, repaired=totals.repaired, wer=_wer(qa),
            checked=_checked(qa)))
    body = INDEX_BODY.substitute(show_title=e(show.show.title), summary=e(catalogue_totals(qas).summary()),
                                 rows="\n".join(rows))
    return _page(show, f"Speech QA · {show.show.title}", body)


def write_html_report(show: Show, qas: Iterable[EpisodeQA]) -> Path:
    """Write the HTML report of ``qas`` (the show's whole QA, as ``show_qas`` reads it) into
    ``report_dir(show)`` and return its index page. Episodes are listed newest first, as
    rendered; pages of episodes no longer in ``qas`` are removed. Each file is written
    whole (a temporary file renamed into place)."""
    folder = report_dir(show)
    rendered = list_episodes(show.rendered_dir, unreadable=[]) if show.rendered_dir.is_dir() else []
    episodes = {ep.slug: ep for ep in rendered}
    order = {slug: i for i, slug in enumerate(episodes)}
    qas = sorted(qas, key=lambda qa: (order.get(qa.slug, len(order)), qa.slug))
    pages = set()
    for qa in qas:
        page = folder / f"{qa.slug}{PAGE_SUFFIX}"
        _write(page, episode_page(show, qa, episodes.get(qa.slug)))
        pages.add(page.name)
    for stale in folder.glob(f"*{PAGE_SUFFIX}"):
        if stale.name not in pages:
            stale.unlink()
    index = folder / "index.html"
    _write(index, index_page(show, qas, episodes))
    return index


def _write(path: Path, text: str) -> None:
    write_text(path, text, "the QA report")
