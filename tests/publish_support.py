"""Helpers for the publish tests: rendered episode folders made of real files.

Each episode is what the render stage writes: a real MP3 (a sine made by ffmpeg,
44.1 kHz mono 96 kb/s), VTT, SRT, JSON transcript, JSON chapters and the
``<slug>.episode.json`` record.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import threading
import time
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import imageio_ffmpeg
import uvicorn

from audio.episode_store import episode_to_json
from audio.models import Chapter, Episode


@lru_cache(maxsize=None)
def sine_mp3(seconds: float, frequency: int = 440) -> bytes:
    out = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
         f"sine=frequency={frequency}:duration={seconds}", "-ar", "44100", "-ac", "1", "-b:a", "96k",
         "-f", "mp3", "-"],
        check=True, capture_output=True,
    )
    return out.stdout


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def make_episode(rendered: Path, slug: str, title: str, date: str, *, guid: str | None = None,
                 audience: str = "everyone", seconds: float = 4.0, frequency: int = 440,
                 notes_html: str | None = None, author: str = "Nathan Lambert",
                 texts: tuple[str, ...] = ()) -> Episode:
    """Write a complete rendered episode folder under ``rendered`` and return its record.
    Its transcript is ``texts`` spread evenly over the audio, else two sentences."""
    folder = rendered / slug
    folder.mkdir(parents=True, exist_ok=True)
    audio = sine_mp3(seconds, frequency)
    (folder / f"{slug}.mp3").write_bytes(audio)
    sentences = [(0.0, seconds / 2, f"The first half of {title}."), (seconds / 2, seconds - 0.1, "And the rest.")]
    if texts:
        step = seconds / len(texts)
        sentences = [(i * step, (i + 1) * step - 0.05, text) for i, text in enumerate(texts)]
    vtt = "WEBVTT\n\n" + "".join(
        f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{text}\n\n" for a, b, text in sentences)
    srt = "".join(
        f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{text}\n\n" for i, (a, b, text) in enumerate(sentences, 1))
    transcript = {"version": "1.0.0", "segments": [
        {"speaker": "Narrator", "startTime": a, "endTime": b, "body": text} for a, b, text in sentences]}
    chapters = (Chapter(0.0, "Introduction"), Chapter(round(seconds / 2, 3), "The argument"))
    chapters_json = {"version": "1.2.0", "chapters": [{"startTime": c.start_s, "title": c.title} for c in chapters]}
    (folder / f"{slug}.vtt").write_text(vtt, encoding="utf-8")
    (folder / f"{slug}.srt").write_text(srt, encoding="utf-8")
    (folder / f"{slug}.transcript.json").write_text(json.dumps(transcript), encoding="utf-8")
    (folder / f"{slug}.chapters.json").write_text(json.dumps(chapters_json), encoding="utf-8")
    episode = Episode(
        title=title, slug=slug, guid=guid or f"audio-essay-{slug}", date=datetime.fromisoformat(date),
        voice="fake", duration_s=seconds, bytes=len(audio), sha256=hashlib.sha256(audio).hexdigest(),
        loudness_lufs=-16.0, true_peak_dbtp=-1.5, chapters=chapters,
        files={"audio": f"{slug}.mp3", "vtt": f"{slug}.vtt", "srt": f"{slug}.srt",
               "transcript": f"{slug}.transcript.json", "chapters": f"{slug}.chapters.json"},
        source_hash="0" * 64, tool_version="test", subtitle="A subtitle", author=author,
        audience=audience, canonical_url=f"https://www.interconnects.ai/p/{slug}",
        notes_html=notes_html if notes_html is not None else
        f'<p>Notes for {title} with <a href="https://example.org/ref">a link</a>.</p>'
        '<figure><img src="images/chart.png" alt="A chart"><figcaption>A chart</figcaption></figure>'
        '<p>A footnote<a href="#footnote-1">1</a>.</p>',
    )
    (folder / f"{slug}.episode.json").write_text(episode_to_json(episode), encoding="utf-8")
    return episode


SHOW_TOML = """\
[show]
title = "Interconnects Audio Essays"
author = "Nathan Lambert"
description = "Audio essays about AI."
language = "en-us"
base_url = "https://www.interconnects.ai"

[publish]
site_url = "{site_url}"
category = "Technology"
copyright = "2026 Nathan Lambert"
funding_url = "https://www.interconnects.ai/subscribe"
owner_email = "owner@interconnects.ai"
{extra}
"""


def make_show(folder: Path, site_url: str = "https://audio.interconnects.ai", extra: str = "") -> Path:
    """A show folder with publish settings and three public episodes plus one paid one."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "show.toml").write_text(SHOW_TOML.format(site_url=site_url, extra=extra), encoding="utf-8")
    rendered = folder / "rendered"
    make_episode(rendered, "first-post", "The first post", "2025-05-01T09:00:00+00:00", seconds=3.0)
    make_episode(rendered, "second-post", "Second: “quotes” & ampersands", "2025-06-01T09:00:00+00:00",
                 seconds=5.0, frequency=550)
    make_episode(rendered, "third-post", "The third post", "2025-07-01T09:00:00+00:00", seconds=4.0, frequency=660)
    make_episode(rendered, "paid-post", "A paid-only post", "2025-06-15T09:00:00+00:00", audience="only_paid",
                 seconds=3.0, frequency=770)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn serving an ASGI app on a loopback port in a background thread."""

    def __init__(self, app, port: int | None = None, **options):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
