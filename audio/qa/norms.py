"""A voice's QA calibration: what its clean sentences measure, heard by one recogniser.

Measured once (``audio.qa.check.calibrate``) from a voice's first checked episode and kept
in the show's private QA folder, ``<show>/qa/voices/<profile>-<key>.json``, the key a hash
of the engine's identity (model by content hash, parameters) and the recogniser's name:
a new model, a changed parameter or another recogniser is measured afresh. A file that
cannot be read, or of an older ``FORMAT``, is measured again, like a damaged cache entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from audio.files import write_text

# Raised when a signal is measured differently, so that stored norms are measured again (2: the
# speaking rate counts a spelled-out letter as a syllable; the fit is over words long enough).
FORMAT = 2


@dataclass(frozen=True)
class Spread:
    """A measure's median and robust spread (the MAD scaled to a normal's standard
    deviation) on a voice's clean sentences."""

    median: float
    spread: float

    def above(self, k: float) -> float:
        return self.median + k * self.spread

    def below(self, k: float) -> float:
        return self.median - k * self.spread


@dataclass(frozen=True)
class VoiceNorms:
    """The yardstick of a voice's suspects. ``fit`` is None for a recogniser that gives its
    aligned words no confidence."""

    voice: str  # the voice profile's name
    engine: str  # the engine's identity
    recognizer: str
    n: int  # clean sentences measured
    wer: Spread  # word error rate of open recognition
    rate: Spread  # characters of speech per voiced second
    floor: Spread  # noise floor, dBFS
    fit: Spread | None = None  # how well the text aligns: a low percentile of its words' confidence


def norms_path(qa_dir: Path, voice: str, engine: str, recognizer: str) -> Path:
    """Where a voice's norms live under ``Show.qa_dir``."""
    key = hashlib.sha256(f"{engine}\0{recognizer}".encode()).hexdigest()[:16]
    return qa_dir / "voices" / f"{voice}-{key}.json"


def save_norms(qa_dir: Path, norms: VoiceNorms) -> Path:
    path = norms_path(qa_dir, norms.voice, norms.engine, norms.recognizer)
    text = json.dumps({"format": FORMAT, **asdict(norms)}, indent=2) + "\n"
    write_text(path, text, "the voice's QA calibration")
    return path


def load_norms(qa_dir: Path, voice: str, engine: str, recognizer: str) -> VoiceNorms | None:
    """The stored norms, or None when there are none yet or the file is unreadable."""
    path = norms_path(qa_dir, voice, engine, recognizer)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.pop("format") != FORMAT:
            return None
        spreads = {k: Spread(**data[k]) for k in ("wer", "rate", "floor")}
        fit = Spread(**data["fit"]) if data.get("fit") else None
        norms = VoiceNorms(voice=str(data["voice"]), engine=str(data["engine"]), recognizer=str(data["recognizer"]),
                           n=int(data["n"]), fit=fit, **spreads)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return norms if (norms.voice, norms.engine, norms.recognizer) == (voice, engine, recognizer) else None
