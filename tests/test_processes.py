"""Processes that die or overlap: batch workers die with a killed batch, a render holds its
locks against a batch, and the work folders of killed runs are removed by the next command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from click.testing import CliRunner
from test_batch import SHOW_TOML, write_posts

from audio.back_catalogue.importer import import_source
from audio.catalog import Catalog
from audio.cli import main
from audio.show import load_show
from audio.work import RENDER_WORK, rendering

# The fake voice, a quarter of a second per sentence: slow enough to be caught mid-render;
# "quick" sounds the same (the same cache entries) without the wait.
FAKE = 'engine = "fake"\ndescription = "tone bursts"\n[params]\nchars_per_second = 300.0\n'


def slow_show(folder: Path):
    (folder / "voices").mkdir(parents=True)
    (folder / "voices" / "fake.toml").write_text(FAKE + "delay_s = 0.25\n", encoding="utf-8")
    (folder / "voices" / "quick.toml").write_text(FAKE, encoding="utf-8")
    (folder / "show.toml").write_text(SHOW_TOML.format(voice="fake"), encoding="utf-8")
    return load_show(folder)


def cli(*args: str, **kwargs) -> subprocess.Popen:
    """``python -m audio ARGS`` in its own session, so a test can always end all of it."""
    return subprocess.Popen([sys.executable, "-m", "audio", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, **kwargs)


def wait_for(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def end(process: subprocess.Popen) -> None:
    """Kill whatever is left of a test's process session."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def work_pieces(show) -> list[str]:
    work = show.rendered_dir / RENDER_WORK
    return sorted(p.name for p in work.iterdir()) if work.is_dir() else []


def test_killing_the_batch_parent_kills_its_workers(tmp_path):
    show = slow_show(tmp_path / "show")
    write_posts(tmp_path / "src", 2, sentences=12)
    import_source(tmp_path / "src", show)
    batch = cli("batch", "--show", str(show.folder), "--jobs", "2", "--no-publish")
    try:
        parent = psutil.Process(batch.pid)

        def rendering_workers():
            workers = [p for p in parent.children() if "spawn_main" in " ".join(p.cmdline())]
            busy = [n for n in work_pieces(show) if not n.endswith(".lock")]
            return workers if len(workers) == 2 and len(busy) == 2 else None

        workers = wait_for(rendering_workers, "two workers rendering")
        batch.send_signal(signal.SIGKILL)  # the parent alone, as `kill -9 <pid>` does
        batch.wait(timeout=30)
        gone, alive = psutil.wait_procs(workers, timeout=5)
        assert alive == [], f"workers outlived the batch: {alive}"
    finally:
        end(batch)
    with Catalog(show.catalog_path) as catalog:
        assert catalog.status_counts()["pending"] == 2


def test_a_worker_whose_batch_is_already_gone_exits_at_once():
    # the race: the batch died before the worker could ask to die with it
    code = "import os, time\nfrom audio.back_catalogue.batch import _die_with_parent\n_die_with_parent(os.getpid())\ntime.sleep(30)"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], timeout=30)
    assert done.returncode == 1 and time.monotonic() - started < 20


def test_without_pdeathsig_a_worker_notices_its_batch_is_gone():
    # elsewhere than on Linux only the watching thread ends an orphaned worker
    worker = ("import sys, time\nfrom audio.back_catalogue.batch import _die_with_parent\nsys.platform = 'darwin'\n"
              "_die_with_parent(int(sys.argv[1]))\nprint('ready', flush=True)\ntime.sleep(60)")
    batch = ("import os, subprocess, sys\n"
             f"w = subprocess.Popen([sys.executable, '-c', {worker!r}, str(os.getpid())], stdout=subprocess.PIPE, "
             "stderr=subprocess.DEVNULL, text=True)\n"
             "assert w.stdout.readline() == 'ready\\n'\nprint(w.pid, flush=True)\nos._exit(0)")
    done = subprocess.run([sys.executable, "-c", batch], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    try:
        orphan = psutil.Process(int(done.stdout))
    except psutil.NoSuchProcess:
        return  # gone already
    try:
        gone, alive = psutil.wait_procs([orphan], timeout=5)
        assert alive == []
    finally:
        if orphan.is_running():
            orphan.kill()


def test_a_batch_during_a_render_leaves_the_render_alone(tmp_path):
    show = slow_show(tmp_path / "show")
    posts = write_posts(tmp_path / "src", 2, sentences=10)
    import_source(tmp_path / "src", show)
    render = cli("render", str(show.posts_dir / posts[0].name), "--show", str(show.folder), "--quiet")
    try:
        wait_for(lambda: any(not n.endswith(".lock") for n in work_pieces(show)), "the render's work folder")
        busy = work_pieces(show)
        assert render.poll() is None, "the render finished before the batch could start"
        # the batch starts while the render works: it does not clear the render's folder, renders the
        # other post, and waits for the render to finish before rendering the same post
        batch = CliRunner().invoke(main, ["batch", "--show", str(show.folder), "--jobs", "2", "--no-publish",
                                          "--voice", "quick"])
        out, err = render.communicate(timeout=120)
    finally:
        end(render)
    assert render.returncode == 0, err
    assert batch.exit_code == 0, batch.output
    assert len(busy) == 2 and f"{posts[0].stem}.lock" in busy and all(n.startswith(f"{posts[0].stem}.") for n in busy)
    with Catalog(show.catalog_path) as catalog:
        assert catalog.status_counts()["rendered"] == 2
    assert (show.rendered_dir / posts[0].stem / f"{posts[0].stem}.mp3").is_file()
    assert not (show.rendered_dir / RENDER_WORK).exists()


def test_a_second_render_of_the_same_post_is_refused(tmp_path):
    show = slow_show(tmp_path / "show")
    post = write_posts(show.posts_dir, 1)[0]
    dest = show.rendered_dir / post.stem
    with rendering(show) as renders:  # as a render of that post in another process holds it
        renders.claim(dest)
        other = subprocess.run([sys.executable, "-m", "audio", "render", str(post), "--show", str(show.folder)],
                               capture_output=True, text=True, timeout=120)
    assert other.returncode == 2
    assert other.stderr.strip() == (f"audio-essay: {dest}: this post is being rendered by another process "
                                    f"(pid {os.getpid()}); wait for it to finish")
    assert not dest.exists() and not (show.rendered_dir / RENDER_WORK).exists()


def test_a_killed_renders_work_is_removed_by_the_next_command(tmp_path):
    show = slow_show(tmp_path / "show")
    posts = write_posts(show.posts_dir, 2, sentences=10)
    render = cli("render", str(posts[0]), "--show", str(show.folder), "--quiet")
    try:
        wait_for(lambda: any(not n.endswith(".lock") for n in work_pieces(show)), "the render's work folder")
        os.killpg(render.pid, signal.SIGKILL)
        render.wait(timeout=30)
    finally:
        end(render)
    assert work_pieces(show)  # left behind by the killed render
    done = CliRunner().invoke(main, ["render", str(posts[1]), "--show", str(show.folder), "--quiet", "--voice", "quick"])
    assert done.exit_code == 0, done.output
    assert not (show.rendered_dir / RENDER_WORK).exists()
    assert sorted(p.name for p in show.rendered_dir.iterdir()) == [posts[1].stem]

    # import and publish, which take the show lock, remove what killed runs of any command left
    def plant() -> list[Path]:
        pieces = [show.rendered_dir / RENDER_WORK / f"{posts[0].stem}.k1ll3d", show.folder / ".import-k1ll3d",
                  show.folder / ".site.build-k1ll3d"]
        for piece in pieces:
            piece.mkdir(parents=True)
            (piece / "half.mp3").write_bytes(b"\xff\xfb" * 100)
        (show.rendered_dir / RENDER_WORK / f"{posts[0].stem}.lock").write_text("999999\n")
        return pieces

    for command in (["import", str(show.posts_dir)], ["publish", "--preview"]):
        pieces = plant()
        result = CliRunner().invoke(main, [*command, "--show", str(show.folder)])
        assert result.exit_code == 0, result.output
        assert [p for p in pieces if p.exists()] == [] and not (show.rendered_dir / RENDER_WORK).exists()


def test_render_work_is_kept_while_a_render_runs(tmp_path):
    show = slow_show(tmp_path / "show")
    post = write_posts(show.posts_dir, 1)[0]
    import_source(show.posts_dir, show)
    live = show.rendered_dir / RENDER_WORK / f"{post.stem}.l1v3"
    with rendering(show) as renders:  # a render in progress (in this process: the lock is per open file)
        renders.claim(show.rendered_dir / post.stem)
        live.mkdir()
        result = CliRunner().invoke(main, ["import", str(show.posts_dir), "--show", str(show.folder)])
        assert result.exit_code == 0, result.output
        assert live.is_dir()
    result = CliRunner().invoke(main, ["import", str(show.posts_dir), "--show", str(show.folder)])
    assert result.exit_code == 0, result.output
    assert not (show.rendered_dir / RENDER_WORK).exists()
