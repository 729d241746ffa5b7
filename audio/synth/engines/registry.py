"""Find engines by name through the ``audio_essay.engines`` entry point group.

Each entry point names a factory ``(profile, threads=None) -> Engine`` (the built-ins
are classes). A factory may also offer ``check(profile) -> str | None``: a cheap
readiness test (extra installed? model present?) that loads nothing; ``None`` means
ready. A third-party engine is one installed package declaring::

    [project.entry-points."audio_essay.engines"]
    myengine = "my_package.engine:MyEngine"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audio.errors import ConfigError, EngineError
from audio.plugins import resolve, targets
from audio.synth.engines.base import ENTRY_POINT_GROUP, Engine

if TYPE_CHECKING:
    from audio.models import VoiceProfile

# The built-ins, also declared as entry points in pyproject.toml; listed here too so a
# source tree run without installing (PYTHONPATH=.) still finds them.
BUILTIN = {
    "piper": "audio.synth.engines.piper:PiperEngine",
    "coqui": "audio.synth.engines.coqui:CoquiEngine",
    "fake": "audio.synth.engines.fake:FakeEngine",
}


def _targets() -> dict[str, str]:
    return targets(ENTRY_POINT_GROUP, BUILTIN)


def available_engines() -> list[str]:
    """Names of every engine installed (built-in or from another package)."""
    return sorted(_targets())


def _factory(profile: VoiceProfile) -> Any:
    found = _targets()
    if profile.engine not in found:
        raise ConfigError(profile.source, f"engine: unknown engine {profile.engine!r} (installed: {', '.join(sorted(found))})")
    try:
        return resolve(found[profile.engine])
    except (ImportError, AttributeError) as exc:
        raise EngineError(profile.source, f"engine {profile.engine!r} cannot be loaded from {found[profile.engine]} ({exc})") from exc


def create_engine(profile: VoiceProfile, threads: int | None = None) -> Engine:
    """The engine a profile names, with its model loaded (``threads`` None: the engine's default)."""
    return _factory(profile)(profile, threads=threads)


def check_voice(profile: VoiceProfile) -> str | None:
    """Why the profile cannot be used right now (engine missing, extra not installed,
    model absent), or None when it is ready. Loads no model."""
    try:
        factory = _factory(profile)
    except (ConfigError, EngineError) as exc:
        return exc.reason
    check = getattr(factory, "check", None)
    return check(profile) if check else None
