"""The episode page's transcript: paragraphs from the JSON transcript's paragraph ends, each
opened by a link to its time, its sentences as spans with their start times."""

from __future__ import annotations

import json

import lxml.html
from publish_support import make_show

from audio.publish.build import check_site, publish_site
from audio.show import load_show


def test_transcript_paragraphs_with_timestamps(tmp_path):
    folder = make_show(tmp_path / "show")
    transcript = folder / "rendered" / "third-post" / "third-post.transcript.json"
    segments = [
        {"speaker": "Narrator", "startTime": 0.0, "endTime": 1.0, "body": "GPT-4o cost $5.6M in 2025."},
        {"speaker": "Narrator", "startTime": 1.2, "endTime": 2.0, "body": "A second <sentence> & more.\n"},
        {"speaker": "Narrator", "startTime": 62.5, "endTime": 63.9, "body": "A new paragraph.\n"},
    ]
    transcript.write_text(json.dumps({"version": "1.0.0", "segments": segments}), encoding="utf-8")
    show = load_show(folder)
    publish_site(show)
    page = lxml.html.fromstring((show.site_dir / "episodes" / "third-post.html").read_bytes())
    paragraphs = page.xpath("//div[@class='transcript']/p")
    assert len(paragraphs) == 2
    stamps = [(a.get("href"), a.get("data-start"), a.text) for p in paragraphs for a in p.xpath("a[@class='time']")]
    assert stamps == [("#t=0:00", "0.000", "0:00"), ("#t=1:02", "62.500", "1:02")]
    spans = [[(s.get("data-start"), s.text) for s in p.xpath("span[@data-start]")] for p in paragraphs]
    assert spans == [[("0.000", "GPT-4o cost $5.6M in 2025."), ("1.200", "A second <sentence> & more.")],
                     [("62.500", "A new paragraph.")]]
    raw = (show.site_dir / "episodes" / "third-post.html").read_text(encoding="utf-8")
    assert ('<p><a class="time" href="#t=0:00" data-start="0.000">0:00</a> <span data-start="0.000">GPT-4o cost $5.6M '
            'in 2025.</span> <span data-start="1.200">A second &lt;sentence&gt; &amp; more.</span></p>') in raw
    # A transcript rendered before paragraphs were marked is one paragraph, still published.
    old = lxml.html.fromstring((show.site_dir / "episodes" / "first-post.html").read_bytes())
    assert len(old.xpath("//div[@class='transcript']/p")) == 1
    assert [s.text for s in old.xpath("//div[@class='transcript']//span")] == ["The first half of The first post.",
                                                                                  "And the rest."]
    assert check_site(show.site_dir) == []
