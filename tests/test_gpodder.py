"""gPodder's command-line client subscribes to the served feed and downloads every episode."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess

from conftest import require
from publish_support import Server, free_port, make_show

from audio.publish.build import publish_site
from audio.publish.serve import make_app
from audio.show import load_show


def _gpo(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(["gpo", *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_gpo_subscribes_updates_and_downloads_every_episode(tmp_path):
    require(shutil.which("gpo") is not None, "gPodder's gpo is not installed (apt-get install gpodder python3-gi)")
    port = free_port()
    # The feed's URLs must reach this loopback server: a preview site on http://127.0.0.1.
    show = load_show(make_show(tmp_path / "show", site_url=f"http://127.0.0.1:{port}"))
    publish_site(show, preview=True)
    site = show.site_dir
    home, downloads = tmp_path / "gpodder", tmp_path / "downloads"
    # gpo is Debian's Python with python3-gi: keep the virtualenv out of its way.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GPODDER_HOME": str(home),
           "GPODDER_DOWNLOAD_DIR": str(downloads), "LANG": os.environ.get("LANG", "C.UTF-8")}
    feed = f"http://127.0.0.1:{port}/feed.xml"
    with Server(make_app(site), port=port):
        assert f"Successfully added {feed}" in _gpo("subscribe", feed, env=env)
        assert "3 new episodes" in _gpo("update", env=env)
        assert "3 episodes downloaded" in _gpo("download", env=env)
    got = {p.name: p.read_bytes() for p in downloads.rglob("*.mp3")}
    expected = {p.name: p.read_bytes() for p in (site / "episodes").rglob("*.mp3")}
    assert len(expected) == 3 and got == expected
    with sqlite3.connect(home / "Database") as db:
        rows = set(db.execute("SELECT guid, file_size, total_time FROM episode"))
    durations = {"first-post": 3, "second-post": 5, "third-post": 4}
    assert rows == {(f"audio-essay-{slug}", len(expected[f"{slug}.mp3"]), s) for slug, s in durations.items()}
