"""Engine speed: load time and real-time factor per engine and thread count.

    python bench/engines.py [--sentences N] [--coqui]

Reads the first N sentences of the seed post (prepared as a render would) with the
default Piper voice at 1 and 2 onnxruntime threads, and with the fake engine; with
--coqui, also a tiny random VITS (its speed says little about a real model's).
Prints load seconds, audio seconds, wall seconds and the real-time factor (wall / audio),
and CPU seconds / audio seconds: on a busy machine, the 1-thread CPU-time figure is the
better estimate of the quiet-machine real-time factor. Issue 3 quotes 0.029 with 2
threads and 0.047 with 1 for Piper on this machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from audio.prepare import prepare_post  # noqa: E402
from audio.show import load_show  # noqa: E402
from audio.synth.engines import piper  # noqa: E402
from audio.synth.engines.registry import create_engine  # noqa: E402
from audio.synth.voices import VoiceProfile, load_voice  # noqa: E402

SAMPLE_POST = REPO / "episodes" / "posts" / "brakes-on-an-intelligence-explosion.md"


def measure(label: str, profile: VoiceProfile, sentences: list[str], threads: int) -> None:
    piper._VOICES.clear()  # time a cold load each time
    start = time.perf_counter()
    engine = create_engine(profile, threads=threads)
    loaded, cpu_start = time.perf_counter(), time.process_time()
    audio_s = sum(chunk.duration_s for chunk in engine.synthesize(sentences))
    wall, cpu = time.perf_counter() - loaded, time.process_time() - cpu_start
    print(f"{label:<22} threads {threads}  load {loaded - start:6.2f} s  audio {audio_s:7.1f} s  "
          f"wall {wall:6.2f} s  RTF {wall / audio_s:.4f}  CPU-time RTF {cpu / audio_s:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=60)
    parser.add_argument("--coqui", action="store_true")
    args = parser.parse_args()
    show = load_show(REPO / "episodes")
    sentences = [s.speech for s in prepare_post(SAMPLE_POST, show).sentences()][: args.sentences]
    print(f"{len(sentences)} sentences of {SAMPLE_POST.name}, {sum(map(len, sentences))} characters")
    joe = load_voice("joe", show)
    create_engine(joe, threads=1)  # warm the file cache and the model digest
    for threads in (2, 1):
        measure("piper joe", joe, sentences, threads)
    measure("fake", VoiceProfile(name="tones", engine="fake"), sentences, 1)
    if args.coqui:
        from coqui_models import tiny_vits_profile

        with tempfile.TemporaryDirectory() as tmp:
            measure("coqui tiny VITS", tiny_vits_profile(Path(tmp) / "vits"), sentences, 2)


if __name__ == "__main__":
    main()
