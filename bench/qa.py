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
(target: within 2 points). Then the retakes of the synthesis faults (the truncation and
babble classes) that QA flagged: each retaken by the real loop (``audio.synth.takes.retake``,
judged like ``audio-essay qa`` judges a take, ``[qa] max_retakes`` takes at most, into a
scratch synthesis cache); a fault counts as repaired when a retake is judged clean. An
injected fault is not something a fresh take reproduces, so every one should be.

With ``--reuse DIR`` the show (its synthesis cache included) lives in DIR and is kept: a
later run with the same DIR renders from the cache and reports the cold renders' wall times
recorded by the first (``render-stats.json``), so thresholds can be iterated on without
synthesizing again. Piper's noise makes each cold render's audio differ, so figures from a
fresh render and a reused one differ by that much.

    python bench/qa.py [--threads N] [--intelligibility-sentences N] [--reuse DIR]
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
    if show.is_dir():
        return load_show(show)
    shutil.copytree(SEED_SHOW, show, ignore=shutil.ignore_patterns("rendered", "site", ".cache", "catalog.sqlite*", "posts"))
    (show / "posts").mkdir()
    for name in (CALIBRATION, *HELD_OUT):
        shutil.copyfile(CORPUS / name, show / "posts" / name)
    return load_show(show)


class Rendered:
    """One post rendered cold: its timed sentences (speech = the spoken words), each
    sentence's own synthesized audio (from the cache) and the final MP3."""

    def __init__(self, show, engine, profile, post: Path, cold: dict):
        from audio.models import TimedSentence
        from audio.pipeline import render_episode, voicing_of
        from audio.prepare import prepare_read, read_post
        from audio.synth.cache import SynthCache

        episode = render_episode(post, show, engine=engine)
        stats = cold.setdefault(post.name, {k: getattr(episode.stats, k) for k in ("wall_s", "synthesize_s", "audio_s")})
        self.stats = argparse.Namespace(**stats)  # the cold render's, where a reused show rendered from its cache
        self.mp3 = episode.folder / episode.files["audio"]
        segments = json.loads((episode.folder / episode.files["transcript"]).read_text(encoding="utf-8"))["segments"]
        script = prepare_read(read_post(post, show), show, voicing_of(engine, profile))
        spoken = [s for s in script.sentences() if (s.written or s.text).strip()]
        assert len(spoken) == len(segments), (len(spoken), len(segments))
        cache = SynthCache.for_show(show)
        self.sentences = [TimedSentence(seg["startTime"], seg["endTime"], s.written or s.text, 0, speech=s.text)
                          for s, seg in zip(spoken, segments)]
        self.inputs = [s.speech for s in spoken]  # the engine's text: what a retake reads again
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


RETAKEN = ("truncate", "babble")  # the synthesis faults: what a fresh take can repair


def _retakes(flagged, engine, recognizer, norms, k: float, max_retakes: int, scratch: Path) -> None:
    """Retake each flagged synthesis fault, its faulted audio as take 0, and print how many
    a retake repaired (judged clean) per class."""
    from audio.pipeline import _score
    from audio.qa.check import check_sentences
    from audio.synth.cache import SynthCache
    from audio.synth.takes import retake

    cache = SynthCache(scratch)
    tried, repaired, takes = Counter(), Counter(), Counter()
    t = time.perf_counter()
    for kind, r, i, check in flagged:
        def judge(samples: np.ndarray, sentence=r.sentences[i], index=i) -> float:
            (take,) = check_sentences([(index, sentence)], lambda _: samples, engine.sample_rate, recognizer, norms, k)
            return _score(take)

        result = retake(engine, cache, r.inputs[i], judge, max_retakes, clean=0.0, first_score=_score(check))
        tried[kind] += 1
        takes[kind] += result.tried
        repaired[kind] += result.take > 0 and result.scores[result.take] == 0.0
    for kind in RETAKEN:
        print(f"  retakes {kind:9s} {repaired[kind]:3d} / {tried[kind]:3d} flagged faults repaired (judged clean), "
              f"{takes[kind]} takes synthesized")
    print(f"retakes repaired         {sum(repaired.values())} of {sum(tried.values())} flagged synthesis faults   "
          f"([qa] max_retakes {max_retakes}; {time.perf_counter() - t:.1f} s)", flush=True)


def main() -> None:
    from audio.qa.check import calibrate, check_sentences, measure
    from audio.qa.compare import compare, normalise
    from audio.qa.faults import FAULTS, url_speech
    from audio.qa.recognizers.registry import create_recognizer
    from audio.synth.engines.registry import create_engine
    from audio.synth.voices import load_voice

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int)
    parser.add_argument("--intelligibility-sentences", type=int, default=30, help="per held-out post")
    parser.add_argument("--reuse", type=Path, help="keep the show and its synthesis cache here, for a later run")
    args = parser.parse_args()
    rng = np.random.default_rng(15)

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.reuse or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        show = _show(folder)
        profile = load_voice(show.render.voice, show)
        engine = create_engine(profile, threads=args.threads)
        url_pcm = [c.samples for c in engine.synthesize([url_speech(u) for u in URLS])]  # also the warm-up
        stats_file = folder / "render-stats.json"
        cold = json.loads(stats_file.read_text()) if stats_file.is_file() else {}
        rendered = [Rendered(show, engine, profile, show.folder / "posts" / name, cold)
                    for name in (CALIBRATION, *HELD_OUT)]
        stats_file.write_text(json.dumps(cold, indent=1))
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
        for c in clean_flagged:  # what flagged them: the signals measured again
            r = next(r for r in held if c.index < len(r.sentences) and normalise(r.sentences[c.index].speech) == c.written)
            m = measure(r.pcm[c.index], r.rate, r.sentences[c.index].speech, recognizer)
            print(f"    {' '.join(c.reasons):18s} {m.chars_per_s:5.1f} chars/s, pause {m.longest_pause_s:.2f} s, floor "
                  f"{m.floor_db:5.1f} dB, fit " + (f"{m.fit:.3f}" if m.fit is not None else "none")
                  + f", {len(c.written.split())} words, wer {c.wer:.2f}: {c.written[:80]!r}"
                  + (f" heard {c.heard[:60]!r}" if c.heard else ""))
        recognised = sum(1 for c in clean_checks if c.heard or c.suspect)
        print(f"QA wall / cold render    {100 * qa_s / render_s:6.1f} %   target <= 50 %   ({qa_s:.1f} s / {render_s:.1f} s "
              f"for {audio_s / 60:.1f} min of audio; QA {qa_s / audio_s:.4f}x real time, render {render_s / audio_s:.4f}x; "
              f"{recognised} of {len(clean_checks)} sentences recognised in full)")
        print(f"QA wall / synthesis      {100 * qa_s / synth_s:6.1f} %   ({qa_s:.1f} s / {synth_s:.1f} s of the renders' "
              f"synthesis)", flush=True)

        results = []  # (fault class, flagged, reasons, written, audio)
        to_retake = []  # (fault class, rendered post, sentence, its check) of the flagged synthesis faults
        fault_s = 0.0
        n = 0
        for r in held:
            kinds = [FAULTS[(n + i) % len(FAULTS)] for i in range(len(r.sentences))]
            n += len(r.sentences)
            audio = [_faulted(r, i, kind, url_pcm, rng) for i, kind in enumerate(kinds)]
            t = time.perf_counter()
            checks = check_sentences(enumerate(r.sentences), audio.__getitem__, r.rate, recognizer, norms, k)
            fault_s += time.perf_counter() - t
            for i, (kind, c, pcm) in enumerate(zip(kinds, checks, audio)):
                results.append((kind, c.suspect, c.reasons, c.written, pcm))
                if kind in RETAKEN and c.suspect:
                    to_retake.append((kind, r, i, c))
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
              f"{100 * (final - raw):+.1f} points   target within 2   ({len(pairs_raw)} sentences)", flush=True)
        _retakes(to_retake, engine, recognizer, norms, k, show.qa.max_retakes, Path(tmp) / "takes")
    print(f"1-minute load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
