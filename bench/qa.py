"""Speech QA benchmark: real corpus posts rendered with the real Piper voice (joe), judged
by the default recogniser, with faults injected at the audio level into a known set of
sentences.

The first post calibrates the voice (its clean sentences: ``calibrate``); the others are
held out: every one of their sentences is judged clean, then again with one fault (the
classes of ``audio.qa.faults`` in turn), so no threshold is fitted to the sentences it is
measured on.

Prints: % of injected faults flagged (per class and in all; target >= 95 %), % of clean
sentences flagged (target <= 5 %), the QA wall time of the held-out episodes against their
cold render wall time and their synthesis wall time, both measured in this run (target
<= 50 %), and the word error rate of the final episode (mastered, MP3-encoded, cut by the
transcript's times) against raw Piper on the same sentences, by the same recogniser
(target: within 2 points).

    python bench/qa.py [--threads N] [--intelligibility-sentences N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SEED_SHOW = REPO / "episodes"
CORPUS = REPO.parent / "shared" / "corpus" / "interconnects"
CALIBRATION = "2022-02-08-designingsocietallybeneficialreinforcementlearning.md"
HELD_OUT = ("2025-06-06-howiwrite.md", "2020-08-07-digitalcompaniesandthegoalofat-homeembodiedai.md")
URLS = ("https://www.interconnects.ai/p/the-open-models", "http://example.com/index.html",
        "https://github.com/allenai/open-instruct")
FINAL_RATE = 16000  # the final MP3 decoded straight to the recogniser's rate


def _show(tmp: Path):
    from audio.show import load_show

    show = tmp / "show"
    shutil.copytree(SEED_SHOW, show, ignore=shutil.ignore_patterns("rendered", "site", ".cache", "catalog.sqlite*", "posts"))
    (show / "posts").mkdir()
    for name in (CALIBRATION, *HELD_OUT):
        shutil.copyfile(CORPUS / name, show / "posts" / name)
    return load_show(show)


class Rendered:
    """One post rendered cold: its timed sentences (speech = the spoken words), each
    sentence's own synthesized audio (from the cache) and the final MP3."""

    def __init__(self, show, engine, profile, post: Path):
        from audio.models import TimedSentence
        from audio.pipeline import render_episode, voicing_of
        from audio.prepare import prepare_read, read_post
        from audio.synth.cache import SynthCache

        episode = render_episode(post, show, engine=engine)
        self.stats = episode.stats
        self.mp3 = episode.folder / episode.files["audio"]
        segments = json.loads((episode.folder / episode.files["transcript"]).read_text(encoding="utf-8"))["segments"]
        script = prepare_read(read_post(post, show), show, voicing_of(engine, profile))
        spoken = [s for s in script.sentences() if (s.written or s.text).strip()]
        assert len(spoken) == len(segments), (len(spoken), len(segments))
        cache = SynthCache.for_show(show)
        self.sentences = [TimedSentence(seg["startTime"], seg["endTime"], s.written or s.text, 0, speech=s.text)
                          for s, seg in zip(spoken, segments)]
        self.pcm = [cache.get(SynthCache.key(engine.identity(), s.speech), engine.sample_rate) for s in spoken]
        self.rate = engine.sample_rate
        self.name = post.name

    def final(self) -> np.ndarray:
        from audio.master.encode import ffmpeg_exe

        raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(self.mp3), "-f", "s16le", "-ac", "1",
                              "-ar", str(FINAL_RATE), "-"], capture_output=True, check=True).stdout
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768


def _faulted(r: Rendered, i: int, kind: str, url_pcm: list[np.ndarray], rng) -> np.ndarray:
    from audio.qa import faults

    pcm = r.pcm[i]
    if kind == "truncate":
        return faults.truncate(pcm, keep=rng.uniform(0.4, 0.7))
    if kind == "swap":
        return faults.swap(r.pcm[(i + 5) % len(r.pcm)])
    if kind == "url":
        return faults.splice(pcm, r.rate, url_pcm[i % len(url_pcm)], at=rng.uniform(0.3, 0.7))
    if kind == "silence":
        return faults.silence(pcm, r.rate)
    if kind == "noise":
        return faults.noise(pcm, rng, snr_db=rng.uniform(10, 20))
    return faults.babble(pcm)


def _weighted_wer(pairs: list[tuple[str, str]]) -> float:
    from audio.qa.compare import compare

    scored = [compare(written, heard) for written, heard in pairs]
    words = sum(len(c.written.split()) for c in scored)
    return sum(c.wer * len(c.written.split()) for c in scored) / max(1, words)


def main() -> None:
    from audio.qa.check import calibrate, check_sentences
    from audio.qa.compare import compare
    from audio.qa.faults import FAULTS, url_speech
    from audio.qa.recognizers.registry import create_recognizer
    from audio.synth.engines.registry import create_engine
    from audio.synth.voices import load_voice

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int)
    parser.add_argument("--intelligibility-sentences", type=int, default=30, help="per held-out post")
    args = parser.parse_args()
    rng = np.random.default_rng(15)

    with tempfile.TemporaryDirectory() as tmp:
        show = _show(Path(tmp))
        profile = load_voice(show.render.voice, show)
        engine = create_engine(profile, threads=args.threads)
        url_pcm = [c.samples for c in engine.synthesize([url_speech(u) for u in URLS])]  # also the warm-up
        rendered = [Rendered(show, engine, profile, show.folder / "posts" / name) for name in (CALIBRATION, *HELD_OUT)]
        recognizer = create_recognizer()
        t = time.perf_counter()
        cal = rendered[0]
        norms = calibrate(enumerate(cal.sentences), cal.pcm.__getitem__, cal.rate, recognizer, profile.name,
                          engine.identity())
        calibrate_s = time.perf_counter() - t
        k = show.qa.spread
        print(f"posts: calibration {CALIBRATION} ({len(cal.sentences)} sentences, {calibrate_s:.1f} s); held out "
              f"{', '.join(HELD_OUT)}; recogniser {recognizer.name}; [qa] spread {k}", flush=True)
        print(f"voice norms: WER {norms.wer.median:.3f} +- {norms.wer.spread:.3f}, rate {norms.rate.median:.1f} +- "
              f"{norms.rate.spread:.2f} chars/s, floor {norms.floor.median:.0f} +- {norms.floor.spread:.1f} dBFS, fit "
              + (f"{norms.fit.median:.3f} +- {norms.fit.spread:.3f}" if norms.fit else "none") + f", n={norms.n}",
              flush=True)

        held = rendered[1:]
        qa_s, clean_checks = 0.0, []
        for r in held:
            t = time.perf_counter()
            clean_checks += check_sentences(enumerate(r.sentences), r.pcm.__getitem__, r.rate, recognizer, norms, k)
            qa_s += time.perf_counter() - t
        render_s = sum(r.stats.wall_s for r in held)
        synth_s = sum(r.stats.synthesize_s for r in held)
        audio_s = sum(r.stats.audio_s for r in held)
        clean_flagged = [c for c in clean_checks if c.suspect]
        print(f"clean flagged            {100 * len(clean_flagged) / len(clean_checks):6.1f} %   target <= 5 %    "
              f"({len(clean_flagged)} of {len(clean_checks)}: "
              + ", ".join(f"{x} {m}" for x, m in Counter(x for c in clean_flagged for x in c.reasons).most_common())
              + ")")
        recognised = sum(1 for c in clean_checks if c.heard or c.suspect)
        print(f"QA wall / cold render    {100 * qa_s / render_s:6.1f} %   target <= 50 %   ({qa_s:.1f} s / {render_s:.1f} s "
              f"for {audio_s / 60:.1f} min of audio; QA {qa_s / audio_s:.4f}x real time, render {render_s / audio_s:.4f}x; "
              f"{recognised} of {len(clean_checks)} sentences recognised in full)")
        print(f"QA wall / synthesis      {100 * qa_s / synth_s:6.1f} %   ({qa_s:.1f} s / {synth_s:.1f} s of the renders' "
              f"synthesis)", flush=True)

        results = []  # (fault class, flagged, reasons, written, audio)
        fault_s = 0.0
        n = 0
        for r in held:
            kinds = [FAULTS[(n + i) % len(FAULTS)] for i in range(len(r.sentences))]
            n += len(r.sentences)
            audio = [_faulted(r, i, kind, url_pcm, rng) for i, kind in enumerate(kinds)]
            t = time.perf_counter()
            checks = check_sentences(enumerate(r.sentences), audio.__getitem__, r.rate, recognizer, norms, k)
            fault_s += time.perf_counter() - t
            for kind, c, pcm in zip(kinds, checks, audio):
                results.append((kind, c.suspect, c.reasons, c.written, pcm))
        total = Counter(kind for kind, *_ in results)
        flagged = Counter(kind for kind, hit, *_ in results if hit)
        for kind in FAULTS:
            reasons = Counter(x for kd, hit, rs, *_ in results if kd == kind for x in rs)
            print(f"  {kind:9s} {flagged[kind]:3d} / {total[kind]:3d} flagged   reasons: "
                  + ", ".join(f"{x} {m}" for x, m in reasons.most_common()))
        hits = sum(flagged.values())
        print(f"faults flagged           {100 * hits / len(results):6.1f} %   target >= 95 %   ({hits} of {len(results)}; "
              f"QA of the faulted sentences {fault_s:.1f} s)", flush=True)
        # What open recognition of every sentence would add: the misses' error rates.
        missed = [(kind, compare(written, " ".join(w.word for w in recognizer.recognize(pcm, cal.rate))).wer)
                  for kind, hit, _, written, pcm in results if not hit]
        caught = sum(1 for _, wer in missed if wer > norms.wer.above(k))
        print(f"misses open recognition would catch: {caught} of {len(missed)} "
              f"({', '.join(f'{kind} {wer:.2f}' for kind, wer in missed)})", flush=True)

        pairs_raw, pairs_final = [], []
        for r in held:
            final = r.final()
            for i, s in enumerate(r.sentences[: args.intelligibility_sentences]):
                cut = final[int(s.start_s * FINAL_RATE): int(s.end_s * FINAL_RATE)]
                pairs_raw.append((s.speech, " ".join(w.word for w in recognizer.recognize(r.pcm[i], r.rate))))
                pairs_final.append((s.speech, " ".join(w.word for w in recognizer.recognize(cut, FINAL_RATE))))
    raw, final = _weighted_wer(pairs_raw), _weighted_wer(pairs_final)
    print(f"WER final episode        {100 * final:6.1f} %   raw Piper {100 * raw:.1f} %   difference "
          f"{100 * (final - raw):+.1f} points   target within 2   ({len(pairs_raw)} sentences)")
    print(f"1-minute load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
