"""ID3v2.3 tags on an encoded MP3: text frames, cover, comment, CHAP/CTOC in chapters.json's milliseconds."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from audio.errors import InputError
from audio.master.encode import EncodeSettings, SegmentEncoder
from audio.master.tags import DISCLOSURE, EpisodeTags, read_tags, write_tags
from audio.master.transcripts import to_chapters_json
from audio.models import Chapter

CHAPTERS = (Chapter(0.0, "Introduction"), Chapter(2.3456, "The first part"), Chapter(5.0004, "Ça va: the end"))


@pytest.fixture
def mp3(tmp_path: Path) -> Path:
    """Eight seconds of a quiet tone, encoded the way renders are."""
    path = tmp_path / "ep.mp3"
    encoder = SegmentEncoder(path, 22050, EncodeSettings())
    t = np.arange(8 * 22050) / 22050
    encoder.write((0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
    encoder.finish()
    return path


def _cover(tmp_path: Path) -> Path:
    path = tmp_path / "cover.png"
    Image.new("RGB", (64, 64), (200, 30, 30)).save(path)
    return path


def test_tags_round_trip(mp3: Path, tmp_path: Path):
    cover = _cover(tmp_path)
    write_tags(mp3, EpisodeTags(
        title="Brakes on an intelligence explosion", artist="Nathan Lambert", album="Interconnects Audio Essays",
        date=datetime(2025, 4, 2, 12, tzinfo=timezone.utc), url="https://www.interconnects.ai/p/brakes",
        chapters=CHAPTERS, duration_s=8.0, cover=cover,
    ))
    tags = read_tags(mp3)
    assert tags.version[:2] == (2, 3)
    assert (tags.title, tags.artist, tags.album) == ("Brakes on an intelligence explosion", "Nathan Lambert",
                                                      "Interconnects Audio Essays")
    assert tags.date.startswith("2025")
    assert "https://www.interconnects.ai/p/brakes" in tags.comment and DISCLOSURE in tags.comment
    assert tags.cover_mime == "image/png"
    assert tags.chapters == ((0, 2346, "Introduction"), (2346, 5000, "The first part"), (5000, 8000, "Ça va: the end"))
    # The same milliseconds as chapters.json.
    doc = json.loads(to_chapters_json(CHAPTERS))
    assert [c[0] / 1000 for c in tags.chapters] == [c["startTime"] for c in doc["chapters"]]
    assert abs(tags.duration_s - 8.0) < 0.05  # tagging left the audio alone


def test_retagging_replaces_the_old_tag(mp3: Path):
    for title in ("First", "Second"):
        write_tags(mp3, EpisodeTags(title=title, artist="", album="Show", date=None, url="", chapters=CHAPTERS[:1],
                                    duration_s=8.0))
    tags = read_tags(mp3)
    assert tags.title == "Second" and tags.cover_mime == "" and len(tags.chapters) == 1
    assert tags.comment == DISCLOSURE


def test_cover_must_be_png_or_jpeg(mp3: Path, tmp_path: Path):
    bad = tmp_path / "cover.gif"
    bad.write_bytes(b"GIF89a")
    with pytest.raises(InputError, match="PNG or JPEG"):
        write_tags(mp3, EpisodeTags(title="T", artist="", album="S", date=None, url="", chapters=(), duration_s=8.0,
                                    cover=bad))
