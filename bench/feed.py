"""Benchmark: publish the feed and site for 1,000 synthetic episodes.

The records are synthetic (no audio is rendered: each episode's files are small
placeholders), so this measures publish itself: reading the records, building
feed.xml and 2,001 pages, placing 5,000 files and the atomic swap. Target: < 1 s.

Three figures: the first build (no site, no cache: every page is a new file), a rebuild
with nothing changed, and a rebuild after one new episode (the common case). The first
build's floor is creating its ~2,000 new files, timed alone on the last line.

    python bench/feed.py [--episodes 1000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from audio.episode_store import episode_to_json
from audio.models import Chapter, Episode
from audio.publish.build import publish_site
from audio.show import load_show

NOTES = "".join(
    f'<p>Paragraph {i} of the post, with <a href="https://example.org/{i}">a link</a> and some words '
    "about reasoning models, reward models and open science that make a realistic length.</p>"
    for i in range(20)
)


def make_records(rendered: Path, count: int, first: int = 0) -> None:
    start = datetime(2020, 1, 1, 9, tzinfo=timezone.utc)
    for n in range(first, first + count):
        slug = f"post-{n:04d}"
        folder = rendered / slug
        folder.mkdir(parents=True)
        files = {"audio": f"{slug}.mp3", "vtt": f"{slug}.vtt", "srt": f"{slug}.srt",
                 "transcript": f"{slug}.transcript.json", "chapters": f"{slug}.chapters.json"}
        for name in files.values():
            (folder / name).write_bytes(b"x" * 64)
        (folder / files["transcript"]).write_text(json.dumps({"version": "1.0.0", "segments": [
            {"speaker": "Narrator", "startTime": i * 5.0, "endTime": i * 5.0 + 4.5, "body": f"Sentence {i}."}
            for i in range(100)]}))
        episode = Episode(
            title=f"Episode {n}: a post", slug=slug, guid=f"urn:bench:{n}", date=start + timedelta(days=n),
            voice="fake", duration_s=900.0, bytes=64, sha256="0" * 64, loudness_lufs=-16.0, true_peak_dbtp=-1.5,
            chapters=tuple(Chapter(i * 120.0, f"Section {i}") for i in range(6)), files=files,
            source_hash="0" * 64, tool_version="bench", author="Bench Author",
            canonical_url=f"https://www.example.com/p/{slug}", notes_html=NOTES,
        )
        (folder / f"{slug}.episode.json").write_text(episode_to_json(episode))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "show"
        folder.mkdir()
        (folder / "show.toml").write_text(
            '[show]\ntitle = "Bench"\nauthor = "Bench Author"\ndescription = "Benchmark show."\n'
            'base_url = "https://www.bench.test"\n'
            '[publish]\nsite_url = "https://podcast.bench.test"\nowner_email = "owner@bench.test"\n')
        make_records(folder / "rendered", args.episodes)
        show = load_show(folder)
        wall, cpu = [], []
        for new in (0, 0, 0, 1):
            make_records(folder / "rendered", new, first=args.episodes)
            t0, c0 = time.perf_counter(), time.process_time()
            report = publish_site(show)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        size = (show.site_dir / "feed.xml").stat().st_size
        pages = sum(1 for _ in show.site_dir.glob("*/*.html"))
        print(f"episodes: {report.episodes}  feed.xml: {size / 1e6:.1f} MB  pages: {pages}  "
              f"files: {sum(1 for p in show.site_dir.rglob('*') if p.is_file())}")
        print(f"publish (first build): {wall[0]:.2f} s wall, {cpu[0]:.2f} s CPU")
        print(f"publish (rebuild, best of 2): {min(wall[1:3]):.2f} s wall, {min(cpu[1:3]):.2f} s CPU   target < 1 s")
        print(f"publish (rebuild after one new episode): {wall[3]:.2f} s wall, {cpu[3]:.2f} s CPU   target < 1 s")
        t0, c0 = time.perf_counter(), time.process_time()
        for n in range(pages):
            (Path(tmp) / f"empty-{n}").touch()
        print(f"creating {pages} empty files alone: {time.perf_counter() - t0:.2f} s wall, "
              f"{time.process_time() - c0:.2f} s CPU")


if __name__ == "__main__":
    main()
