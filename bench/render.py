"""Render benchmark: the seed post with the real Piper voice, in one run.

Prints: audio seconds, wall seconds, real-time factor, the time split (prepare /
synthesize / master / encode / tag), the ratios of render wall time and CPU seconds to
raw Piper synthesis of the same sentences measured in this run (one onnxruntime session
on N threads, default every core, one sentence at a time; in a process of its own, before
and after the render, the mean taken: this machine's speed drifts), a re-render after a
one-paragraph edit as a percentage of the cold render, peak RSS, and peak RSS of a cold
render of the longest corpus post (in a fresh process).

Targets: real-time factor <= 0.04, render / raw: wall <= 0.95 and CPU <= 1.10,
re-render <= 10 %, peak RSS <= 1 GB.

    python bench/render.py [--threads N] [--skip-longest]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED_SHOW = REPO / "episodes"
SEED = SEED_SHOW / "posts" / "brakes-on-an-intelligence-explosion.md"
CORPUS = REPO.parent / "shared" / "corpus" / "interconnects"


def _show_copy(tmp: Path, post: Path):
    from audio.show import load_show

    show = tmp / "show"
    shutil.copytree(SEED_SHOW, show, ignore=shutil.ignore_patterns("rendered", "site", ".cache", "catalog.sqlite*", "posts"))
    (show / "posts").mkdir()
    copy = show / "posts" / post.name
    shutil.copyfile(post, copy)
    return load_show(show), copy


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (ffmpeg): a machine shared
    with other work slows wall time, much less CPU time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _split(stats) -> str:
    return " / ".join(f"{getattr(stats, f'{k}_s'):.2f}" for k in ("prepare", "synthesize", "master", "encode", "tag"))


def _edit_one_paragraph(post: Path) -> None:
    """Change one word in the longest paragraph of the post's body."""
    text = post.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")  # after the front matter
    paragraphs = body.split("\n\n")
    i = max(range(len(paragraphs)), key=lambda k: len(paragraphs[k]) if not paragraphs[k].lstrip().startswith(("#", ">", "-", "*", "!", "[", "<", ":")) else 0)
    paragraphs[i] = paragraphs[i].replace(" the ", " this ", 1)
    post.write_text(head + sep + "\n\n".join(paragraphs), encoding="utf-8")


def _raw_piper(engine, threads: int | None):
    """Raw Piper, the yardstick: the same voice and parameters in one onnxruntime session
    with default options on ``threads`` intra-op threads (default every core), one
    sentence at a time."""
    import onnxruntime
    from piper.voice import PiperVoice

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(engine.model), sess_options=options, providers=["CPUExecutionProvider"])
    raw = copy.copy(engine)
    raw.voice, raw.parallel = PiperVoice(session=session, config=engine.voice.config), 1
    return raw


def _seed_speech(show, post, engine, profile) -> list[str]:
    from audio.pipeline import voicing_of
    from audio.prepare import prepare_post

    return [s.speech for s in prepare_post(post, show, voicing_of(engine, profile)).sentences()]


def raw_run(threads: int | None) -> dict:
    """Raw Piper on the seed post's sentences, in a process of its own (its session never
    adds to the render's memory)."""
    from audio.synth.engines.registry import create_engine
    from audio.synth.voices import load_voice

    with tempfile.TemporaryDirectory() as tmp:
        show, post = _show_copy(Path(tmp), SEED)
        profile = load_voice(show.render.voice, show)
        engine = create_engine(profile, threads=threads)
        speech = _seed_speech(show, post, engine, profile)
        raw = _raw_piper(engine, threads)
        list(raw.synthesize(speech[:2]))  # warm-up: espeak data, onnxruntime arenas
        t, c = time.perf_counter(), _cpu_s()
        audio = sum(len(chunk.samples) for chunk in raw.synthesize(speech)) / engine.sample_rate
        return {"raw_s": time.perf_counter() - t, "raw_cpu_s": _cpu_s() - c, "raw_speech_s": audio}


def _raw_child(threads: int | None) -> dict:
    cmd = [sys.executable, __file__, "--raw-only"] + (["--threads", str(threads)] if threads else [])
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def seed_run(threads: int | None) -> dict:
    """Raw Piper before and after the render (the yardstick is their mean: a machine whose
    speed drifts during the run moves both), the cold render, and a re-render after an edit."""
    from audio.pipeline import render_episode
    from audio.synth.engines.registry import create_engine
    from audio.synth.voices import load_voice

    before = _raw_child(threads)
    with tempfile.TemporaryDirectory() as tmp:
        show, post = _show_copy(Path(tmp), SEED)
        profile = load_voice(show.render.voice, show)
        t = time.perf_counter()
        engine = create_engine(profile, threads=threads)
        load_s = time.perf_counter() - t
        list(engine.synthesize(_seed_speech(show, post, engine, profile)[:2]))  # warm-up, as for raw

        c = _cpu_s()
        cold = render_episode(post, show, engine=engine).stats
        cold_cpu = _cpu_s() - c
        _edit_one_paragraph(post)
        warm = render_episode(post, show, engine=engine).stats
        peak = _peak_rss_mb()
    after = _raw_child(threads)
    return {
        "sentences": cold.sentences,
        "audio_s": cold.audio_s,
        "raw_speech_s": before["raw_speech_s"],
        "load_s": load_s,
        "raw_runs": (before["raw_s"], after["raw_s"]),
        "raw_synth_s": (before["raw_s"] + after["raw_s"]) / 2,
        "raw_cpu_s": (before["raw_cpu_s"] + after["raw_cpu_s"]) / 2,
        "cold_cpu_s": cold_cpu,
        "load_avg": os.getloadavg()[0],
        "cold": cold,
        "warm": warm,
        "peak_rss_mb": peak,
    }


def longest_run(threads: int | None) -> dict:
    from audio.pipeline import render_episode

    posts = sorted(CORPUS.glob("*.md"), key=lambda p: len(p.read_text(encoding="utf-8").split()))
    post = posts[-1]
    with tempfile.TemporaryDirectory() as tmp:
        show, copy = _show_copy(Path(tmp), post)
        # The longest post is an interview (a podcast post): read aloud, as a show narrating them would.
        show = replace(show, publish=show.publish.model_copy(update={"podcast_posts": "narrate"}))
        stats = render_episode(copy, show, threads=threads).stats
        return {"post": post.name, "audio_s": stats.audio_s, "wall_s": stats.wall_s, "rtf": stats.real_time_factor,
                "peak_rss_mb": _peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int)
    parser.add_argument("--skip-longest", action="store_true")
    parser.add_argument("--longest-only", action="store_true", help=argparse.SUPPRESS)  # the child processes
    parser.add_argument("--raw-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_only:
        print(json.dumps(raw_run(args.threads)))
        return
    if args.longest_only:
        print(json.dumps(longest_run(args.threads)))
        return

    r = seed_run(args.threads)
    cold, warm = r["cold"], r["warm"]
    print(f"seed post: {SEED.name}, {r['sentences']} sentences (1-minute load average at the end: {r['load_avg']:.1f}, "
          f"{os.cpu_count()} cores)")
    print(f"audio seconds            {cold.audio_s:9.1f}")
    print(f"wall seconds (cold)      {cold.wall_s:9.2f}   (voice model loaded beforehand in {r['load_s']:.2f} s)")
    print(f"real-time factor         {cold.real_time_factor:9.4f}   target <= 0.04")
    print(f"split prepare/synthesize/master/encode/tag (s): {_split(cold)}   (+ write {cold.write_s:.2f})")
    print(f"raw Piper synthesis      {r['raw_synth_s']:9.2f} s for {r['raw_speech_s']:.1f} s of untrimmed speech "
          f"(RTF {r['raw_synth_s'] / r['raw_speech_s']:.4f}; mean of {r['raw_runs'][0]:.2f} s before the render "
          f"and {r['raw_runs'][1]:.2f} s after)")
    print(f"render / raw, wall       {cold.wall_s / r['raw_synth_s']:9.3f}   target <= 0.95   "
          f"({cold.wall_s:.2f} / {r['raw_synth_s']:.2f} s)")
    print(f"render / raw, CPU        {r['cold_cpu_s'] / r['raw_cpu_s']:9.3f}   target <= 1.10   "
          f"({r['cold_cpu_s']:.1f} / {r['raw_cpu_s']:.1f} CPU s)")
    print(f"re-render after edit     {warm.wall_s:9.2f} s = {100 * warm.wall_s / cold.wall_s:.1f} % of cold   target <= 10 %"
          f"   ({warm.cache_misses} of {warm.sentences} sentences synthesized, {warm.segments - warm.segments_reused} "
          f"of {warm.segments} segments encoded; split {_split(warm)})")
    print(f"peak RSS (seed)          {r['peak_rss_mb']:9.0f} MB   target <= 1024")
    if not args.skip_longest:
        cmd = [sys.executable, __file__, "--longest-only"] + (["--threads", str(args.threads)] if args.threads else [])
        child = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        print(f"peak RSS (longest post)  {child['peak_rss_mb']:9.0f} MB   target <= 1024   ({child['post']}: "
              f"{child['audio_s'] / 60:.1f} min audio, {child['wall_s']:.1f} s wall, RTF {child['rtf']:.4f})")


if __name__ == "__main__":
    main()
