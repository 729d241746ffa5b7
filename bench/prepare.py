"""Benchmark: prepare all 63 corpus posts (read, walk, normalise, split, lexicon, show
notes) in one process with the sample show. Target: under 10 s on 2 cores.

Pandoc is a subprocess, run twice per post (read the post; write its show notes), by
``prepare_posts`` in two reader threads ahead of the Python work. Prints wall seconds,
words per second, and CPU seconds of Python and of the pandoc children (the CPU figures
stay meaningful on a busy machine, where wall time does not).

    python bench/prepare.py [--repeat N] [--sequential]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

from audio.prepare import prepare_post, prepare_posts
from audio.show import load_show

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "interconnects"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs; the fastest is reported")
    parser.add_argument("--sequential", action="store_true", help="prepare_post one post after another")
    args = parser.parse_args()
    posts = sorted(CORPUS.glob("*.md"))
    if not posts:
        raise SystemExit(f"no corpus at {CORPUS}")
    show = load_show(REPO / "episodes")
    runs = []
    for _ in range(args.repeat):
        wall, cpu, child = time.perf_counter(), time.process_time(), children_cpu()
        if args.sequential:
            words = sum(prepare_post(p, show).word_count for p in posts)
        else:
            words = sum(script.word_count for script in prepare_posts(posts, show))
        runs.append((time.perf_counter() - wall, time.process_time() - cpu, children_cpu() - child, words))
    total, python_cpu, pandoc_cpu, words = min(runs)
    mode = "sequential" if args.sequential else "prepare_posts, 2 reader threads"
    print(f"prepared {len(posts)} posts ({mode}), {words} spoken words")
    print(f"total: {total:.2f} s wall  ({words / total:,.0f} words/s)  [target < 10 s]")
    print(f"cpu: python {python_cpu:.2f} s, pandoc {pandoc_cpu:.2f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
