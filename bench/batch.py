"""Benchmark the back-catalogue batch with the real voice (Piper joe), in one run:

1. 10 corpus posts with --jobs 1 (one worker, cores threads) and --jobs 2 (two one-thread
   workers): throughput ratio (target >= 1.15); and one one-thread worker, for the parallel
   efficiency of --jobs 2 against twice its throughput (target >= 0.9).
2. The whole 63-post corpus with the default jobs: wall time, audio hours, aggregate
   real-time factor including mastering and encoding (target <= 0.03), peak RSS per worker.
3. A batch killed (kill -9 on its process group) at about half way, then resumed:
   sentences synthesized again (target: only those in flight at the kill).

Every run starts from an empty show and an empty synthesis cache. The corpus is read from
../shared/corpus. Usage: python bench/batch.py [--skip-full] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from audio.back_catalogue.batch import available_cores, run_batch, show_status
from audio.back_catalogue.importer import import_source
from audio.show import load_show
from audio.synth.cache import SynthCache

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "interconnects"
SHOW_TOML = '[show]\ntitle = "Bench"\nauthor = "Bench"\nbase_url = "https://bench.test"\n[render]\nvoice = "joe"\n'


def say(text: str) -> None:
    print(text, flush=True)


def load() -> str:
    """The machine's load average: other work on the machine slows every figure here."""
    return "load average %.1f %.1f %.1f" % os.getloadavg()


def new_show(workdir: Path, name: str, posts: list[Path]):
    """A fresh show with ``posts`` imported (copied in by the importer)."""
    folder = workdir / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "show.toml").write_text(SHOW_TOML, encoding="utf-8")
    source = workdir / f"{name}-src"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir()
    for post in posts:
        (source / post.name).symlink_to(post)
    show = load_show(folder)
    report = import_source(source, show)
    assert not report.problems, report.problems
    return show


def cpu_seconds() -> float:
    """CPU time of this process and every finished descendant (workers, their ffmpeg)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def timed_batch(show, jobs: int, threads: int | None = None):
    start, cpu = time.perf_counter(), cpu_seconds()
    report = run_batch(show, jobs=jobs, threads=threads, publish=False)
    wall = time.perf_counter() - start
    cpu = cpu_seconds() - cpu
    if report.failed:
        say(f"  FAILED: {[(f.slug, f.error) for f in report.failed]}")
    if report.audio_s:  # unlike wall time, CPU time per audio second barely depends on other load
        say(f"  CPU {cpu:.0f} s: {cpu / report.audio_s:.4f} CPU s per audio s; peak RSS per worker: "
            + ", ".join(f"{kb / 1024:.0f} MiB" for kb in report.peak_rss_kb.values()))
    return report, wall


def part_one(workdir: Path, posts: list[Path]) -> None:
    say(f"== 1. {len(posts)} posts ({sum(len(p.read_text().split()) for p in posts)} words), each run from an empty cache")
    figures = {}
    for label, jobs, threads in (("--jobs 1 (1 worker x 2 threads)", 1, None),
                                 ("--jobs 2 (2 workers x 1 thread)", 2, None),
                                 ("one 1-thread worker", 1, 1)):
        show = new_show(workdir, f"ten-{jobs}-{threads}", posts)
        report, wall = timed_batch(show, jobs, threads)
        throughput = report.audio_s / wall
        figures[label] = throughput
        say(f"  {label}: {len(report.rendered)} posts, {report.audio_s / 3600:.2f} h audio in {wall:.1f} s: "
            f"RTF {wall / report.audio_s:.4f}, throughput {throughput:.1f} audio s per wall s ({load()})")
        shutil.rmtree(show.folder, ignore_errors=True)
    one, two, single = figures.values()
    say(f"  throughput ratio --jobs 2 / --jobs 1: {two / one:.2f} (target >= 1.15)")
    say(f"  parallel efficiency --jobs 2 / (2 x one 1-thread worker): {two / (2 * single):.2f} (target >= 0.9)")


def part_two(workdir: Path, posts: list[Path]) -> None:
    say(f"== 2. the whole corpus ({len(posts)} posts) with the default jobs ({available_cores()} cores)")
    show = new_show(workdir, "full", posts)
    last = [0.0]

    def progress(state) -> None:
        if time.monotonic() - last[0] > 60 or state.done == state.total:
            last[0] = time.monotonic()
            rtf = f"{state.rtf:.4f}" if state.rtf else "-"
            say(f"  ... {state.done}/{state.total} posts, {state.audio_s / 3600:.2f} h audio, "
                f"{state.elapsed_s:.0f} s, RTF {rtf}")

    start, cpu = time.perf_counter(), cpu_seconds()
    report = run_batch(show, progress=progress, publish=False)
    wall = time.perf_counter() - start
    cpu = cpu_seconds() - cpu
    say(f"  {len(report.rendered)} rendered, {len(report.failed)} failed, {report.jobs} jobs x {report.threads} threads")
    for failure in report.failed:
        say(f"  FAILED {failure.slug}: {failure.error}")
    say(f"  wall {wall:.0f} s, audio {report.audio_s / 3600:.2f} h, aggregate RTF {wall / report.audio_s:.4f} "
        f"(incl. preparing, mastering, encoding; target <= 0.03) ({load()})")
    say(f"  CPU {cpu:.0f} s: {cpu / report.audio_s:.4f} CPU s per audio s")
    for pid, kb in sorted(report.peak_rss_kb.items()):
        say(f"  worker {pid}: peak RSS {kb / 1024:.0f} MiB")
    shutil.rmtree(show.folder, ignore_errors=True)


def cache_inodes(show) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in SynthCache.for_show(show).entries()}


def part_three(workdir: Path, posts: list[Path]) -> None:
    show = new_show(workdir, "kill", posts)
    with_words = {p.slug: p.words for p in run_batch(show, dry_run=True).planned}
    total_words = sum(with_words.values())
    say(f"== 3. kill -9 at about half way ({len(posts)} posts, {total_words} words), then resume")
    batch = subprocess.Popen([sys.executable, "-m", "audio", "batch", "--show", str(show.folder), "--no-publish"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    start = time.perf_counter()
    while batch.poll() is None:
        time.sleep(0.5)
        if not show.catalog_path.exists():
            continue
        status = show_status(show)
        done = sum(with_words.get(p.slug, 0) for p in _rendered(show))
        if done >= total_words / 2 or status.counts["rendered"] >= len(posts) - 1:
            break
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    first = cache_inodes(show)
    rendered = len(_rendered(show))
    say(f"  killed after {time.perf_counter() - start:.0f} s: {rendered} posts rendered, {len(first)} sentences cached")
    report, wall = timed_batch(show, jobs=available_cores())
    after = cache_inodes(show)
    again = [k for k, ino in first.items() if after.get(k) != ino]
    say(f"  resume: {len(report.rendered)} rendered, {len(report.adopted)} recovered, {wall:.0f} s, "
        f"{report.synthesized} sentences synthesized, {len(after) - len(first)} new cache entries")
    say(f"  sentences cached by the killed run and synthesized again: {len(again)} (target 0; the killed run's "
        f"in-flight sentences, never cached, are the only extra work)")
    say(f"  all posts rendered: {show_status(show).counts['rendered'] == len(posts)}; "
        f"temporary files left: {_leftovers(show.folder)}")
    shutil.rmtree(show.folder, ignore_errors=True)


def _rendered(show):
    from audio.catalog import Catalog

    with Catalog(show.catalog_path) as catalog:
        return catalog.posts(["rendered"])


def _leftovers(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".import-")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-full", action="store_true", help="Skip part 2 (the whole corpus: 15.8 hours of audio, about 55 minutes on 2 cores).")
    parser.add_argument("--only", choices=("1", "2", "3"), help="Run one part.")
    parser.add_argument("--workdir", type=Path, help="Where the bench shows go (default: a temporary folder).")
    parser.add_argument("--posts", type=int, default=10, help="Posts in parts 1 and 3 (default 10; fewer on a busy machine).")
    args = parser.parse_args()
    posts = sorted(CORPUS.glob("*.md"))
    if len(posts) != 63:
        sys.exit(f"bench/batch.py: the corpus is missing at {CORPUS}")
    # Ten short essays (about 1,000-1,500 words each; the two shortest files are notices, not essays),
    # so that part 1's three runs take minutes, not an hour.
    by_words = sorted(posts, key=lambda p: len(p.read_text(encoding="utf-8").split()))
    ten = sorted(by_words[2:2 + args.posts])
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    say(f"bench/batch.py: {available_cores()} cores, work in {workdir}, {load()}")
    if args.only in (None, "1"):
        part_one(workdir, ten)
    if args.only == "2" or (args.only is None and not args.skip_full):
        part_two(workdir, posts)
    if args.only in (None, "3"):
        part_three(workdir, ten)


if __name__ == "__main__":
    main()
