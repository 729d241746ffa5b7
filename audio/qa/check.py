"""Judging sentences: which of an episode's sentences a listener would stumble on.

Each sentence is judged on its own synthesized audio (from the synthesis cache, never the
MP3), cheap signals first and full recognition only where they point:

1. From the samples alone (energy per 20 ms frame): how long the voice speaks (voiced
   seconds), the longest pause (inside the sentence or at its ends), and the noise floor.
2. Forced alignment of the sentence's spoken text (``Recognizer.align``, about 0.02x real
   time): ``None`` when the text cannot be fitted, else each word's ``confidence``; the
   sentence's fit is the lower quartile of its words' (a garbled stretch or an inserted
   one drags down a few words, not the mean), over the words long enough to judge
   (``FIT_WORD_S``), and none for a sentence with fewer than ``FIT_WORDS`` of them.
3. Open recognition (``Recognizer.recognize``, about 0.2x real time) only for a sentence
   that step 1 or 2 flagged: what was heard, scored against what was written (word and
   character error rate, ``compare``).

Thresholds are the voice's own (``VoiceNorms``: median + ``spread`` x robust spread on clean
sentences, measured once per voice, engine and recogniser: ``calibrate``), except the
pause, which is absolute. Recognition clears a poor fit only when it hears the sentence
about as well as the voice's clean ones (error rate within one spread of their median):
open recognition errs too often on synthetic speech for its error rate alone to tell a
garbled sentence at ``spread`` 4.

The reasons a sentence is suspect (``SentenceCheck.reasons``), short stable codes:

- ``too-fast``: characters per voiced second (a spelled-out letter counted as a syllable:
  ``spoken_chars``) far above the voice's norm (a cut-off, a
  skipped clause);
- ``too-slow``: far below it (extra speech: babble, a URL read out, another sentence);
- ``silence``: a pause of ``SILENCE_S`` or more in the sentence's audio (dead air, inside
  or at either end: the render adds its own pauses between sentences);
- ``noise``: the noise floor far above the voice's (hiss or crosstalk under the speech);
- ``unaligned``: the text could not be fitted to the audio, or fitted poorly (its fit far
  below the voice's), and recognition did not clear it;
- ``error-rate``: the recognised words' error rate above the voice's norm;
- ``stray-url``: URL- or markup-like words heard ("h t t p", "slash", "dot com") that
  the text does not have.

A recogniser that does not hear the voice's language must not judge it: ``can_judge``
says so, and the caller skips QA (never scores it as all wrong).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from audio.models import SentenceCheck, TimedSentence, VoiceProfile
from audio.qa.compare import compare, normalise
from audio.qa.norms import Spread, VoiceNorms
from audio.qa.recognizers.base import Recognizer

FRAME_S = 0.02  # energy frames
VOICED_DB = 35.0  # a frame within this many dB of the sentence's loudest is voiced
SILENCE_S = 1.0  # a pause this long in a sentence is a fault, whatever the voice
FLOOR_PERCENTILE = 1  # the noise floor: this percentile of the frames' energy, in dBFS
FIT_PERCENTILE = 25  # a sentence's fit: this percentile of its aligned words' confidence
# A word placed in less time than this has too few frames for its confidence to mean much
# (a reduced "a", "of", "to": Piper swallows them, and the aligner then doubts them even in
# clean speech); the fit is taken over the longer words.
FIT_WORD_S = 0.15
FIT_WORDS = 3  # a sentence with fewer long words than this has no fit: one word's doubt is noise
LETTER_CHARS = 3  # a letter read on its own (in a run of them: "a i", "g p t") lasts a syllable
# The smallest spread a norm takes, so that a voice whose clean sentences all measure alike
# (every one heard perfectly) does not flag the first small difference. The floor's: most
# clean sentences reach digital silence somewhere, which makes its MAD small, but a fluent
# sentence without a pause sits up to 15 dB above it; hiss 20 dB under the speech, 50 dB above.
MIN_SPREAD = {"wer": 0.06, "rate": 0.06, "floor": 6.0, "fit": 0.03}  # rate: a share of its median

# Words a recogniser hears when a URL or markup is read out.
URL_WORDS = {"http", "https", "www", "slash", "backslash", "colon", "dot", "com", "org", "net", "html", "href",
             "underscore", "nbsp", "div", "span"}
URL_SURE = {"http", "https", "www", "slash", "backslash", "html", "href", "nbsp"}  # one is enough


@dataclass(frozen=True)
class Signals:
    """One sentence measured before recognition."""

    written: str  # normalised spoken text
    chars_per_s: float
    longest_pause_s: float
    floor_db: float
    aligned: bool
    fit: float | None  # FIT_PERCENTILE of the aligned words' confidence, where the recogniser gives one


def can_judge(recognizer: Recognizer, profile: VoiceProfile) -> bool:
    """Whether ``recognizer`` hears the voice's language; QA of a voice it cannot hear is
    skipped, never scored."""
    return recognizer.hears(profile.language)


def _frames_db(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    frame = max(1, int(FRAME_S * sample_rate))
    n = len(pcm) // frame
    if n == 0:
        return np.full(1, -120.0)
    power = (pcm[: n * frame].astype(np.float64).reshape(n, frame) ** 2).mean(axis=1)
    return 10 * np.log10(power + 1e-12)


def spoken_chars(written: str) -> int:
    """The characters a speaking rate counts in normalised text: each word's letters, a
    letter read on its own (a run of single-letter words: an acronym spelled out) as
    ``LETTER_CHARS``, since it lasts a syllable rather than a letter's share of a word."""
    words = written.split()
    single = [len(w) == 1 for w in words]
    spelled = [one and ((i > 0 and single[i - 1]) or (i + 1 < len(words) and single[i + 1]))
               for i, one in enumerate(single)]
    return sum(LETTER_CHARS if spell else len(w) for w, spell in zip(words, spelled))


def measure(pcm: np.ndarray, sample_rate: int, speech: str, recognizer: Recognizer) -> Signals:
    """The cheap signals and the forced alignment of one sentence."""
    written = normalise(speech)
    db = _frames_db(pcm, sample_rate)
    voiced = db > max(db.max() - VOICED_DB, -70.0)
    at = np.flatnonzero(voiced)  # never empty: the loudest frame is voiced
    pauses = np.diff(np.concatenate([[-1], at, [len(voiced)]])) - 1
    words = recognizer.align(pcm, sample_rate, written) if written else None
    confidences = [w.confidence for w in words or () if w.confidence is not None and w.end_s - w.start_s >= FIT_WORD_S]
    if len(confidences) < FIT_WORDS:
        confidences = []
    return Signals(
        written=written,
        chars_per_s=spoken_chars(written) / max(FRAME_S, voiced.sum() * FRAME_S),
        longest_pause_s=float(pauses.max()) * FRAME_S,
        floor_db=float(np.percentile(db, FLOOR_PERCENTILE)),
        aligned=words is not None,
        fit=float(np.percentile(confidences, FIT_PERCENTILE)) if confidences else None,
    )


def _pointers(s: Signals, norms: VoiceNorms, k: float) -> list[str]:
    """The reasons measured without recognition, and ``unaligned``."""
    reasons = []
    if s.chars_per_s > norms.rate.above(k):
        reasons.append("too-fast")
    if s.chars_per_s < norms.rate.below(k):
        reasons.append("too-slow")
    if s.longest_pause_s >= SILENCE_S:
        reasons.append("silence")
    if s.floor_db > norms.floor.above(k):
        reasons.append("noise")
    if not s.aligned or (norms.fit and s.fit is not None and s.fit < norms.fit.below(k)):
        reasons.append("unaligned")
    return reasons


def stray_url(written: str, heard: str) -> bool:
    """Whether ``heard`` has URL- or markup-like words that ``written`` lacks (runs of
    single letters joined first: "h t t p" is "http")."""
    joined = re.sub(r"\b(?:\w )+\w\b", lambda m: m.group(0).replace(" ", ""), heard)
    have = set(written.split())
    stray = [w for w in joined.split() if w in URL_WORDS and w not in have]
    return bool(set(stray) & URL_SURE) or len(stray) >= 2


def check_sentences(
    sentences: Iterable[tuple[int, TimedSentence]],
    audio_of: Callable[[int], np.ndarray],
    sample_rate: int,
    recognizer: Recognizer,
    norms: VoiceNorms,
    spread: float,
) -> tuple[SentenceCheck, ...]:
    """Judge each ``(index, sentence)``: ``audio_of(index)`` is its own synthesized audio
    at ``sample_rate``; ``sentence.speech`` the text the engine was given. Thresholds are
    ``norms`` plus ``spread`` times their spread (``[qa] spread``). A sentence is
    recognised in full only when its cheap signals or its alignment flag it."""
    checks = []
    for index, sentence in sentences:
        pcm = audio_of(index)
        s = measure(pcm, sample_rate, sentence.speech or sentence.text, recognizer)
        reasons = _pointers(s, norms, spread)
        heard, wer, cer = "", 0.0, 0.0
        if reasons:
            c = compare(s.written, " ".join(w.word for w in recognizer.recognize(pcm, sample_rate)))
            heard, wer, cer = c.heard, c.wer, c.cer
            if wer > norms.wer.above(spread):
                reasons.append("error-rate")
            if "unaligned" in reasons and wer <= norms.wer.above(1):
                reasons.remove("unaligned")  # heard about as well as a clean sentence: the fit's doubt is cleared
            if stray_url(c.written, c.heard):
                reasons.append("stray-url")
        checks.append(SentenceCheck(index=index, start_s=sentence.start_s, end_s=sentence.end_s, written=s.written,
                                    heard=heard, wer=round(wer, 4), cer=round(cer, 4),
                                    chars_per_s=round(s.chars_per_s, 3), reasons=tuple(reasons)))
    return tuple(checks)


def _spread(values: Sequence[float], minimum: float) -> Spread:
    v = np.asarray(values, dtype=float)
    median = float(np.median(v))
    return Spread(median, max(minimum, float(1.4826 * np.median(np.abs(v - median)))))


def calibrate(
    sentences: Iterable[tuple[int, TimedSentence]],
    audio_of: Callable[[int], np.ndarray],
    sample_rate: int,
    recognizer: Recognizer,
    voice: str,
    engine: str,
) -> VoiceNorms | None:
    """A voice's norms, measured on an episode's sentences (each aligned and recognised in
    full: a one-off cost per voice, about 0.25x real time with PocketSphinx; a few dozen
    sentences are enough). Sentences with a long pause are left out; the median and scaled
    MAD are robust to the few other faults an episode may hold. None when no sentence has
    words to measure."""
    measured = []
    for index, sentence in sentences:
        pcm = audio_of(index)
        s = measure(pcm, sample_rate, sentence.speech or sentence.text, recognizer)
        if s.longest_pause_s < SILENCE_S and s.written:
            heard = " ".join(w.word for w in recognizer.recognize(pcm, sample_rate))
            measured.append((s, compare(s.written, heard).wer))
    if not measured:
        return None
    rates = [s.chars_per_s for s, _ in measured]
    fits = [s.fit for s, _ in measured if s.fit is not None]
    return VoiceNorms(
        voice=voice, engine=engine, recognizer=recognizer.name, n=len(measured),
        wer=_spread([w for _, w in measured], MIN_SPREAD["wer"]),
        rate=_spread(rates, MIN_SPREAD["rate"] * float(np.median(rates))),
        floor=_spread([s.floor_db for s, _ in measured], MIN_SPREAD["floor"]),
        fit=_spread(fits, MIN_SPREAD["fit"]) if fits else None,
    )
