"""check: passes on a built site, and names each violation on broken ones."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from PIL import Image
from publish_support import make_show

from audio.cli import main
from audio.publish.build import check_site, publish_site
from audio.show import load_show


@pytest.fixture
def site(tmp_path):
    show = load_show(make_show(tmp_path / "show"))
    publish_site(show)
    return show.site_dir


def _edit_feed(site, old, new, count=1):
    feed = site / "feed.xml"
    text = feed.read_text()
    assert old in text, old
    feed.write_text(text.replace(old, new, count))


def test_check_passes_on_a_published_site(site):
    assert check_site(site) == []
    result = CliRunner().invoke(main, ["check", "--site", str(site)])
    assert result.exit_code == 0, result.output


def test_check_cli_prints_one_line_per_violation_and_exits_1(site):
    _edit_feed(site, "<itunes:explicit>false</itunes:explicit>", "<itunes:explicit>yes</itunes:explicit>")
    _edit_feed(site, "<itunes:duration>4</itunes:duration>", "<itunes:duration>40</itunes:duration>")
    result = CliRunner().invoke(main, ["check", "--site", str(site)])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines == [
        "feed.xml: channel: itunes:explicit 'yes' must be true or false",
        "feed.xml: item 1 (The third post): itunes:duration 40 s differs from the audio's 4.0 s by more than 1 s",
    ]


def test_check_on_a_folder_without_a_feed(tmp_path):
    assert check_site(tmp_path) == [f"{tmp_path}: no feed.xml (not a published site)"]


BROKEN = [
    ("malformed", lambda s: _edit_feed(s, "</channel>", ""), "feed.xml: feed: not well-formed XML"),
    ("length", lambda s: _edit_feed(s, 'length="48632"', 'length="48000"'),
     "feed.xml: item 1 (The third post): enclosure length 48000 != file size 48632"),
    ("duplicate guid", lambda s: _edit_feed(s, "audio-essay-second-post</guid>", "audio-essay-third-post</guid>"),
     "feed.xml: item 2 (Second: “quotes” & ampersands): duplicate guid audio-essay-third-post"),
    ("permalink", lambda s: _edit_feed(s, 'isPermaLink="false"', 'isPermaLink="true"'),
     'feed.xml: item 1 (The third post): guid must have isPermaLink="false"'),
    ("duplicate enclosure", lambda s: _edit_feed(s, "episodes/second-post.mp3", "episodes/third-post.mp3"),
     "feed.xml: item 2 (Second: “quotes” & ampersands): duplicate enclosure URL"),
    ("type", lambda s: _edit_feed(s, 'type="audio/mpeg"', 'type="audio/mp3"'),
     "feed.xml: item 1 (The third post): enclosure type 'audio/mp3' must be audio/mpeg"),
    ("decimal duration", lambda s: _edit_feed(s, "<itunes:duration>4<", "<itunes:duration>4.2<"),
     "feed.xml: item 1 (The third post): itunes:duration '4.2' must be whole seconds"),
    ("http", lambda s: _edit_feed(s, '<enclosure url="https://', '<enclosure url="http://'),
     "feed.xml: <enclosure>: URL 'http://audio.interconnects.ai/episodes/third-post.mp3' is not https"),
    ("non-ascii", lambda s: _edit_feed(s, "<link>https://www.interconnects.ai/p/third-post",
                                       "<link>https://www.interconnects.ai/p/thírd-post"),
     "feed.xml: <link>: URL 'https://www.interconnects.ai/p/thírd-post' is not ASCII"),
    ("pubdate", lambda s: _edit_feed(s, "Tue, 01 Jul 2025 09:00:00 +0000</pubDate>", "2025-07-01</pubDate>"),
     "feed.xml: item 1 (The third post): pubDate '2025-07-01' is not an RFC 2822 date"),
    ("order", lambda s: _edit_feed(s, "01 May 2025 09:00:00 +0000</pubDate>", "01 May 2026 09:00:00 +0000</pubDate>"),
     "feed.xml: item 3 (The first post): items are not newest first"),
    ("episode type", lambda s: _edit_feed(s, "<itunes:episodeType>full<", "<itunes:episodeType>extra<"),
     "feed.xml: item 1 (The third post): itunes:episodeType 'extra' must be full, trailer or bonus"),
    ("category", lambda s: _edit_feed(s, 'itunes:category text="Technology"', 'itunes:category text="Tech"'),
     "feed.xml: channel: itunes:category 'Tech' is not an Apple Podcasts category"),
    ("no author", lambda s: _edit_feed(s, "<itunes:author>Nathan Lambert</itunes:author>", ""),
     "feed.xml: channel: missing <itunes:author>"),
    ("no self link", lambda s: _edit_feed(s, 'rel="self" ', 'rel="alternate" '),
     'feed.xml: channel: missing <atom:link rel="self">'),
    ("long description", lambda s: _edit_feed(s, "<description>https://www.interconnects.ai/p/third-post",
                                                      "<description>" + "x" * 4001),
     "feed.xml: item 1 (The third post): description is "),
    ("missing transcript", lambda s: (s / "episodes/third-post.srt").unlink(),
     "feed.xml: item 1 (The third post): https://audio.interconnects.ai/episodes/third-post.srt: "
     "no such file in the site"),
    ("bad vtt", lambda s: (s / "episodes/third-post.vtt").write_text("hello\n"),
     "feed.xml: item 1 (The third post): transcript third-post.vtt: does not start with WEBVTT"),
    ("bad json transcript", lambda s: (s / "episodes/third-post.transcript.json").write_text("{}"),
     "feed.xml: item 1 (The third post): transcript third-post.transcript.json: not a JSON transcript"),
    ("chapters order", lambda s: (s / "episodes/third-post.chapters.json").write_text(json.dumps(
        {"version": "1.2.0", "chapters": [{"startTime": 2.0}, {"startTime": 1.0}]})),
     "feed.xml: item 1 (The third post): chapters third-post.chapters.json: start times not ascending (2.0 then 1.0)"),
    ("chapters past the end", lambda s: (s / "episodes/third-post.chapters.json").write_text(json.dumps(
        {"version": "1.2.0", "chapters": [{"startTime": 0.0}, {"startTime": 9.0}]})),
     "feed.xml: item 1 (The third post): chapters third-post.chapters.json: start time 9.0 is outside the audio"),
    ("artwork", lambda s: Image.new("RGB", (800, 800)).save(next(s.glob("artwork-*.png"))),
     "must be 1400-3000 px on each side, is 800x800"),
    ("missing audio", lambda s: (s / "episodes/first-post.mp3").unlink(),
     "feed.xml: item 3 (The first post): https://audio.interconnects.ai/episodes/first-post.mp3: "
     "no such file in the site"),
]


@pytest.mark.parametrize("name, breaks, expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_check_names_the_violation(site, name, breaks, expected):
    breaks(site)
    problems = check_site(site)
    assert any(line.startswith(expected) or expected in line for line in problems), problems
    assert all(re.match(r"^feed\.xml: ", line) for line in problems), problems
    assert len(problems) <= 2, problems  # the violation (and at most one consequence), not a flood
