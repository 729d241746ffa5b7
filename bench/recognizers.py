"""Recogniser cost and align confidence: PocketSphinx on real Piper speech.

    python bench/recognizers.py [--sentences N] [--posts P] [--recognize]

Synthesizes the first N sentences of P corpus posts with the default Piper voice, then
times ``align`` of each sentence against its own audio (CPU seconds / audio seconds, the
real-time factor on one core) and, with --recognize, open-vocabulary ``recognize``. It
also forces each sentence's text onto another, longer sentence's audio, and prints how
the per-word confidence separates the two: what QA uses to tell a good fit from a forced
one. Words without a pronunciation in PocketSphinx's dictionary are counted (espeak-ng
gives them one).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from audio.prepare import prepare_post  # noqa: E402
from audio.qa.recognizers.registry import create_recognizer  # noqa: E402
from audio.show import load_show  # noqa: E402
from audio.synth.engines.registry import create_engine  # noqa: E402
from audio.synth.voices import load_voice  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "interconnects"


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def _alike(text: str, other: str) -> bool:
    """Sentences sharing most words ("written by ... published <date>"): forcing one onto
    the other fits the shared words well and only the different ones badly, rightly."""
    words = set(text.split())
    return len(words & set(other.split())) > len(words) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=12)
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--recognize", action="store_true")
    args = parser.parse_args()
    show = load_show(REPO / "episodes")
    sentences = []
    for post in sorted(CORPUS.glob("*.md"))[10:10 + args.posts]:
        sentences += prepare_post(post, show).sentences()[2:2 + args.sentences]
    engine = create_engine(load_voice("joe", show), threads=1)
    clips = [(words(s.text), c.samples, c.sample_rate) for s, c in zip(sentences, engine.synthesize([s.speech for s in sentences]))]
    audio_s = sum(len(samples) / rate for _, samples, rate in clips)
    print(f"{len(clips)} sentences, {audio_s:.1f} s of audio")

    recognizer = create_recognizer("pocketsphinx")
    recognizer.align(clips[0][1], clips[0][2], clips[0][0])  # load the decoder's search once
    recognizer.pronunciations.clear()
    start = time.process_time()
    own = [recognizer.align(samples, rate, text) for text, samples, rate in clips]
    align_cpu = time.process_time() - start
    print(f"align: CPU-time RTF {align_cpu / audio_s:.4f}; {len(recognizer.pronunciations)} words given an espeak-ng "
          f"pronunciation: {', '.join(sorted(recognizer.pronunciations)[:15])}")

    forced, unfit = [], 0
    by_length = sorted(range(len(clips)), key=lambda i: len(clips[i][1]) / clips[i][2])
    for rank, i in enumerate(by_length[:-1]):
        other = next((clips[j] for j in by_length[rank + 1:] if not _alike(clips[i][0], clips[j][0])), None)
        if other is None:
            continue
        heard = recognizer.align(other[1], other[2], clips[i][0])
        if heard is None:
            unfit += 1
        else:
            forced.append(heard)
    for label, runs in (("own audio", [r for r in own if r]), ("forced on other audio", forced)):
        confidence = np.array([w.confidence for run in runs for w in run])
        medians = np.array([np.median([w.confidence for w in run]) for run in runs])
        print(f"{label:<22} words {len(confidence):5d}  median {np.median(confidence):.3f}  "
              f"share > 0.5 {np.mean(confidence > 0.5):.3f}  sentence medians: p10 {np.percentile(medians, 10):.3f} "
              f"p90 {np.percentile(medians, 90):.3f}")
    print(f"own audio that did not fit: {sum(r is None for r in own)}; other audio that did not fit: {unfit}")

    if args.recognize:
        start = time.process_time()
        for _, samples, rate in clips:
            recognizer.recognize(samples, rate)
        print(f"recognize: CPU-time RTF {(time.process_time() - start) / audio_s:.4f}")


if __name__ == "__main__":
    main()
