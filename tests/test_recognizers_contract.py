"""One contract, every recogniser: what speech QA relies on from any speech recogniser.

Run against PocketSphinx (always: a base dependency) and faster-whisper with a tiny random
model built by tests/whisper_models.py (skipped without the whisper extra on a user's
machine, required in CI). The random Whisper hears nothing useful, so what needs a real
ear (low error on real speech, low confidence on the wrong text) is asked of PocketSphinx.
Speech is real Piper audio of real corpus sentences, read in place from ../shared/corpus.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from dataclasses import replace
from importlib.metadata import EntryPoint
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, SAMPLE_SHOW, require
from scipy.signal import resample_poly

from audio import plugins
from audio.errors import ConfigError, RecognizerMissing
from audio.models import HeardWord
from audio.prepare import prepare_post
from audio.qa.recognizers import pocketsphinx, pronounce, registry
from audio.qa.recognizers.base import ENTRY_POINT_GROUP
from audio.qa.recognizers.registry import available_recognizers, create_recognizer
from audio.show import load_show
from audio.synth.engines.registry import create_engine
from audio.synth.voices import load_voice

# Corpus sentences (post, a word of the sentence), each holding a word PocketSphinx's
# dictionary lacks.
SENTENCES = [
    ("2020-10-30-towardsanethicsforroboticists.md", "roboticist"),
    ("2021-01-22-roboticcompanies20horizontalmodularity.md", "datavolution"),
    ("2020-12-11-facebookcasestudyusingaitoregulatethedigitalecosys.md", "immense"),
]
OUT_OF_VOCABULARY = ["roboticist", "datavolution"]


def words(text: str) -> str:
    """The sentence as recognisers are given it: lower case words separated by spaces."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def word_error_rate(written: list[str], heard: list[str]) -> float:
    row = list(range(len(heard) + 1))
    for i, w in enumerate(written, 1):
        diagonal, row[0] = row[0], i
        for j, h in enumerate(heard, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (w != h))
    return row[-1] / len(written)


@pytest.fixture(scope="module")
def speech() -> list[tuple[str, np.ndarray, int]]:
    """(words, Piper's audio, its rate) for each of SENTENCES; Piper without noise, so
    the audio is the same on every run."""
    require(CORPUS.is_dir(), f"the corpus is missing at {CORPUS}")
    show = load_show(SAMPLE_SHOW)
    texts = []
    for post, word in SENTENCES:
        sentences = prepare_post(CORPUS / post, show).sentences()
        texts.append(next(s for s in sentences if word in s.text))
    joe = load_voice("joe", None)
    engine = create_engine(replace(joe, params={**joe.params, "noise_scale": 0.0, "noise_w_scale": 0.0}), threads=1)
    return [(words(s.text), c.samples, c.sample_rate) for s, c in zip(texts, engine.synthesize([s.speech for s in texts]))]


def whisper_model(tmp: Path) -> Path:
    from whisper_models import tiny_whisper, whisper_available

    whisper_available()
    return tiny_whisper(tmp / "whisper")


MODELS = {"pocketsphinx": lambda tmp: None, "whisper": whisper_model}


@pytest.fixture(scope="module", params=sorted(MODELS))
def recognizer(request, tmp_path_factory):
    return create_recognizer(request.param, MODELS[request.param](tmp_path_factory.mktemp(request.param)))


def assert_in_order(heard: tuple[HeardWord, ...], duration_s: float) -> None:
    assert all(isinstance(w, HeardWord) and w.word and w.word == w.word.strip() for w in heard)
    starts = [w.start_s for w in heard]
    assert starts == sorted(starts)
    for w in heard:
        assert 0.0 <= w.start_s <= w.end_s <= duration_s + 0.02
        assert w.confidence is None or 0.0 <= w.confidence <= 1.0


def test_every_recognizer_is_registered():
    assert {"pocketsphinx", "whisper"} <= set(available_recognizers())


def test_hears_us_english(recognizer):
    assert recognizer.hears("en-us") and recognizer.hears("en")
    assert not recognizer.hears("xx")


def test_words_come_in_order_inside_the_audio(recognizer, speech):
    for text, samples, rate in speech:
        duration = len(samples) / rate
        assert_in_order(recognizer.recognize(samples, rate), duration)
        aligned = recognizer.align(samples, rate, text)
        assert aligned is not None
        assert [w.word for w in aligned] == text.split()  # every word of the text, once, in order
        assert_in_order(aligned, duration)


@pytest.mark.parametrize("rate", [8000, 16000, 24000, 44100, 48000])
def test_any_sample_rate(recognizer, speech, rate):
    text, samples, source_rate = speech[0]
    resampled = resample_poly(samples, rate, source_rate).astype(np.float32)
    aligned = recognizer.align(resampled, rate, text)
    assert [w.word for w in aligned] == text.split()
    assert_in_order(aligned, len(resampled) / rate)
    assert_in_order(recognizer.recognize(resampled, rate), len(resampled) / rate)


def test_silence_has_no_words(recognizer):
    silence = np.zeros(24000 * 2, dtype=np.float32)
    assert recognizer.recognize(silence, 24000) == ()
    aligned = recognizer.align(silence, 24000, "nobody said this")
    assert aligned is None or all(w.confidence < 0.5 for w in aligned)  # never a confident fit


def test_no_audio_or_no_text_is_answered_not_refused(recognizer):
    assert recognizer.recognize(np.zeros(0, dtype=np.float32), 22050) == ()
    assert recognizer.align(np.zeros(0, dtype=np.float32), 22050, "some words") in (None, ())
    assert recognizer.align(np.zeros(22050, dtype=np.float32), 22050, "") == ()


# What needs a real ear: PocketSphinx, with the model its wheel ships.

@pytest.fixture(scope="module")
def sphinx():
    return create_recognizer("pocketsphinx")


def test_real_speech_is_recognised_with_low_error(sphinx, speech):
    """Open vocabulary: a word the language model lacks ("datavolution") is heard as others."""
    rates = [word_error_rate(text.split(), [w.word for w in sphinx.recognize(samples, rate)])
             for text, samples, rate in speech]
    assert max(rates) < 0.6 and np.mean(rates) < 0.45, rates


def test_real_speech_aligns_with_high_confidence(sphinx, speech):
    for text, samples, rate in speech:
        confidences = [w.confidence for w in sphinx.align(samples, rate, text)]
        assert np.median(confidences) > 0.8
        assert np.mean(np.array(confidences) > 0.5) >= 0.8


def test_text_forced_onto_other_audio_scores_low(sphinx, speech):
    """Forced alignment fits any text somewhere: the confidence tells a good fit from a forced one."""
    (short, _, _), (_, long_audio, rate), _ = speech
    forced = sphinx.align(long_audio, rate, short)
    assert forced is not None and [w.word for w in forced] == short.split()
    assert np.median([w.confidence for w in forced]) < 0.3


def test_text_against_noise_or_a_cut_off_sentence_does_not_fit(sphinx, speech):
    text, samples, rate = speech[1]
    noise = (np.random.default_rng(0).standard_normal(len(samples)) * 0.1).astype(np.float32)
    for audio in (noise, samples[: len(samples) // 2]):
        aligned = sphinx.align(audio, rate, text)
        assert aligned is None or np.median([w.confidence for w in aligned]) < 0.3


def test_words_the_dictionary_lacks_get_a_pronunciation_once(monkeypatch, speech):
    recognizer = create_recognizer("pocketsphinx")
    assert all(recognizer.decoder.lookup_word(w) is None for w in OUT_OF_VOCABULARY)
    calls = []
    monkeypatch.setattr(pocketsphinx, "pronounce", lambda word: calls.append(word) or pronounce.pronounce(word))
    for text, samples, rate in speech[:2]:
        recognizer.align(samples, rate, text)
        recognizer.align(samples, rate, text)
    assert calls == OUT_OF_VOCABULARY  # once each: cached by the recogniser
    assert recognizer.pronunciations == {"roboticist": "R OW B AA T IH S IH S T",
                                         "datavolution": "D EY T AH V AH L UW SH AH N"}


def test_aligned_words_keep_the_texts_spelling(sphinx, speech):
    """Each word comes back as the text spells it, placed once (capitals, the dictionary's
    own "a(2)" notation); a token without a letter or digit is no word."""
    text, samples, rate = speech[0]
    assert text == "what does it mean to be a roboticist"
    aligned = sphinx.align(samples, rate, "What does it mean to be a(2) Roboticist —")
    assert [w.word for w in aligned] == ["What", "does", "it", "mean", "to", "be", "a(2)", "Roboticist"]
    assert aligned[-1].confidence > 0.8  # espeak-ng's "Roboticist" fits as well as "roboticist"


def test_ipa_maps_to_the_models_phones():
    assert pronounce.pronounce("substack") == ["S", "AH", "B", "S", "T", "AE", "K"]
    assert pronounce.arpabet("bˈɜːd") == ["B", "ER", "D"]  # the r-coloured vowel takes no extra R
    assert pronounce.arpabet("bˈʌʔn̩") == ["B", "AH", "T", "AH", "N"]  # a syllabic n
    assert pronounce.arpabet("(fr)ʃˈɛf(en)") == ["SH", "EH", "F"]  # language switches are no phones
    assert pronounce.pronounce("café") == ["K", "AE", "F", "EY"]  # letters beyond ASCII
    assert pronounce.pronounce("—") == []


# The registry: names, missing packages and models, third-party recognisers.

def _installed(monkeypatch, **targets: str) -> None:
    eps = [EntryPoint(name=n, value=v, group=ENTRY_POINT_GROUP) for n, v in targets.items()]
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps if group == ENTRY_POINT_GROUP else [])


def test_the_built_ins_are_declared_and_found_without_installed_metadata(monkeypatch):
    """pyproject.toml declares each built-in as an entry point; a source tree run without
    installing still finds them."""
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"][ENTRY_POINT_GROUP] == registry.BUILTIN
    assert "faster-whisper>=1.2" in project["project"]["optional-dependencies"]["whisper"]
    _installed(monkeypatch)
    assert available_recognizers() == sorted(registry.BUILTIN)


def test_an_unknown_name_names_the_installed_ones(monkeypatch, tmp_path):
    _installed(monkeypatch)
    with pytest.raises(ConfigError) as caught:
        create_recognizer("kaldi", None, tmp_path / "show.toml")
    assert caught.value.reason == "qa.recognizer: unknown recognizer 'kaldi' (installed: pocketsphinx, whisper)"
    assert caught.value.path == str(tmp_path / "show.toml")


def test_a_missing_package_names_the_extra(monkeypatch, tmp_path):
    _installed(monkeypatch, vosk="no_such_vosk_package.recognizer:Vosk")
    with pytest.raises(RecognizerMissing) as caught:
        create_recognizer("vosk")
    assert caught.value.reason == ("recognizer 'vosk' is not installed (no_such_vosk_package); "
                                    "install it with: pip install 'audio-essay[vosk]'")
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # the whisper extra not installed
    with pytest.raises(RecognizerMissing) as caught:
        create_recognizer("whisper", tmp_path)
    assert caught.value.reason == ("recognizer 'whisper' needs the whisper extra (faster_whisper missing): "
                                    "pip install 'audio-essay[whisper]'")


def test_a_missing_whisper_model_says_how_to_fetch_one(tmp_path):
    from audio.qa.recognizers.whisper import FETCH, INSTALL

    require(importlib.util.find_spec("faster_whisper") is not None, f"whisper extra not installed: {INSTALL}")
    assert "huggingface-cli download Systran/faster-whisper-tiny.en --local-dir" in FETCH
    with pytest.raises(RecognizerMissing) as caught:
        create_recognizer("whisper", None)
    assert caught.value.reason == f"recognizer 'whisper' needs a model folder ([qa] model): {FETCH}"
    with pytest.raises(RecognizerMissing) as caught:
        create_recognizer("whisper", tmp_path / "nowhere")
    assert caught.value.reason == f"whisper model folder {tmp_path / 'nowhere'} does not exist: {FETCH}"
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(RecognizerMissing) as caught:
        create_recognizer("whisper", tmp_path)
    assert caught.value.reason == (f"whisper model folder {tmp_path} is not a CTranslate2 Whisper model "
                                    f"(model.bin, tokenizer.json missing): {FETCH}")


def test_a_multilingual_whisper_hears_other_languages(tmp_path):
    from whisper_models import tiny_whisper, whisper_available

    whisper_available()
    recognizer = create_recognizer("whisper", tiny_whisper(tmp_path / "multilingual", ("en", "es")))
    assert recognizer.hears("es") and recognizer.hears("en-us")
    aligned = recognizer.align(np.zeros(16000, dtype=np.float32), 16000, "hola amigo")  # its language detected
    assert [w.word for w in aligned] == ["hola", "amigo"]


class EchoRecognizer:
    """A third-party recogniser: hears its model's one word everywhere."""

    name = "echo"

    def __init__(self, model: Path | None = None):
        self.word = model.name if model else "echo"

    @classmethod
    def check(cls, model: Path | None = None) -> str | None:
        return None if model is None or model.name.isalpha() else f"echo model {model.name!r} is not a word"

    def hears(self, language: str) -> bool:
        return True

    def recognize(self, pcm: np.ndarray, sample_rate: int) -> tuple[HeardWord, ...]:
        return (HeardWord(self.word, 0.0, len(pcm) / sample_rate),) if len(pcm) else ()

    def align(self, pcm: np.ndarray, sample_rate: int, text: str) -> tuple[HeardWord, ...] | None:
        return tuple(HeardWord(w, 0.0, len(pcm) / sample_rate, float(w == self.word)) for w in text.split())


def test_a_new_recognizer_is_one_module_and_one_entry_point(monkeypatch, tmp_path):
    _installed(monkeypatch, echo=f"{__name__}:EchoRecognizer")
    assert available_recognizers() == ["echo", "pocketsphinx", "whisper"]
    echo = create_recognizer("echo", Path("hello"))
    assert echo.recognize(np.zeros(8000, dtype=np.float32), 8000) == (HeardWord("hello", 0.0, 1.0),)
    with pytest.raises(RecognizerMissing) as caught:  # its own check speaks through the registry
        create_recognizer("echo", Path("h3llo"), tmp_path / "show.toml")
    assert caught.value.message == f"{tmp_path / 'show.toml'}: echo model 'h3llo' is not a word"
