"""faster-whisper (the ``whisper`` extra): Whisper through CTranslate2, for users who have
a converted model folder (``[qa] model``, e.g. Systran/faster-whisper-tiny.en fetched
once). Nothing is downloaded at run time: ``check`` refuses a folder without the model,
its vocabulary or its tokenizer.

``recognize`` transcribes with word timestamps, behind faster-whisper's own voice
activity filter (Silero, shipped in its wheel) so that silence yields no words rather
than Whisper's inventions. ``align`` is a real forced alignment: the known text's tokens
are fed to the decoder after the audio (teacher forcing), the cross-attention places each
word in time, and a word's ``confidence`` is the mean probability the model gave its
tokens, low where the audio says something else. Whisper hears at most 30 s at once: a
longer sentence cannot be aligned (``None``).
"""

from __future__ import annotations

import importlib.util
from math import gcd
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from audio.errors import RecognizerMissing
from audio.models import HeardWord

RATE = 16000  # Whisper's sample rate
WINDOW_S = 30.0  # the audio Whisper's encoder hears at once
INSTALL = "pip install 'audio-essay[whisper]'"
FETCH = ("fetch one once on a machine with internet, e.g. "
         "huggingface-cli download Systran/faster-whisper-tiny.en --local-dir models/faster-whisper-tiny.en, "
         "and set [qa] model to that folder")
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")  # tokenizer.json: else faster-whisper downloads one


def _pcm16k(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    if sample_rate != RATE:
        g = gcd(RATE, sample_rate)
        pcm = resample_poly(pcm, RATE // g, sample_rate // g)
    return np.clip(pcm, -1.0, 1.0).astype(np.float32)


def _in_order(words: list[tuple[str, float, float, float]], duration_s: float) -> tuple[HeardWord, ...]:
    """Words with their times clamped into the audio and never going back (a weak model's
    timestamps can run past the end or overlap)."""
    heard: list[HeardWord] = []
    start_floor = 0.0
    for word, start, end, probability in words:
        word = word.strip()
        if not word:
            continue
        start = min(max(float(start), start_floor), duration_s)
        end = min(max(float(end), start), duration_s)
        heard.append(HeardWord(word=word, start_s=start, end_s=end, confidence=float(probability)))
        start_floor = start
    return tuple(heard)


class WhisperRecognizer:
    name = "whisper"
    parallel = 1

    def __init__(self, model: Path | None = None):
        problem = self.check(model)
        if problem:  # create_recognizer checks first; this guards direct use
            raise RecognizerMissing(model, problem)
        from faster_whisper import WhisperModel

        self.model = WhisperModel(str(model), device="cpu", compute_type="int8", cpu_threads=1, local_files_only=True)

    @classmethod
    def check(cls, model: Path | None = None) -> str | None:
        missing = [m for m in ("faster_whisper", "ctranslate2") if importlib.util.find_spec(m) is None]
        if missing:
            return f"recognizer 'whisper' needs the whisper extra ({', '.join(missing)} missing): {INSTALL}"
        if model is None:
            return f"recognizer 'whisper' needs a model folder ([qa] model): {FETCH}"
        folder = Path(model)
        if not folder.is_dir():
            return f"whisper model folder {folder} does not exist: {FETCH}"
        absent = [f for f in MODEL_FILES if not (folder / f).is_file()]
        if absent:
            return f"whisper model folder {folder} is not a CTranslate2 Whisper model ({', '.join(absent)} missing): {FETCH}"
        return None

    def hears(self, language: str) -> bool:
        return language.lower().split("-")[0] in self.model.supported_languages  # an .en model: English only

    def recognize(self, pcm: np.ndarray, sample_rate: int) -> tuple[HeardWord, ...]:
        audio = _pcm16k(pcm, sample_rate)
        english_only = not self.model.model.is_multilingual
        segments, _info = self.model.transcribe(
            audio, language="en" if english_only else None, word_timestamps=True, vad_filter=True,
            condition_on_previous_text=False, beam_size=1)
        words = [(w.word, w.start, w.end, w.probability) for s in segments for w in (s.words or [])]
        return _in_order(words, len(audio) / RATE)

    def align(self, pcm: np.ndarray, sample_rate: int, text: str) -> tuple[HeardWord, ...] | None:
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        words = text.split()
        audio = _pcm16k(pcm, sample_rate)
        duration_s = len(audio) / RATE
        if not words:
            return ()
        if duration_s > WINDOW_S:
            return None
        features = self.model.feature_extractor(audio)
        window = self.model.feature_extractor.nb_max_frames
        frames = min(features.shape[-1], window)
        encoded = self.model.encode(pad_or_trim(features, window))
        language = "en"
        if self.model.model.is_multilingual:
            language = self.model.model.detect_language(encoded)[0][0][0].strip("<|>")
        tokenizer = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language=language)
        spans, tokens = [], []  # each text word's tokens, encoded on their own so they map back
        for word in words:
            ids = tokenizer.encode(" " + word)
            spans.append((len(tokens), len(tokens) + len(ids)))
            tokens += ids
        result = self.model.model.align(encoded, tokenizer.sot_sequence, [tokens], frames)[0]
        probabilities = np.asarray(result.text_token_probs)
        text_index = np.array([pair[0] for pair in result.alignments])
        time_index = np.array([pair[1] for pair in result.alignments])
        if len(text_index) == 0:
            return None
        jumps = np.pad(np.diff(text_index), (1, 0), constant_values=1).astype(bool)
        jump_times = time_index[jumps] / self.model.tokens_per_second  # when each token begins
        placed = []
        for word, (first, last) in zip(words, spans):
            start = jump_times[min(first, len(jump_times) - 1)]
            end = jump_times[min(last, len(jump_times) - 1)]
            placed.append((word, start, end, float(np.mean(probabilities[first:last])) if last > first else 0.0))
        return _in_order(placed, duration_s)
