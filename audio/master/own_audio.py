"""A podcast post's own audio (an interview, a voiceover), published instead of a narration.

The audio the post names (``podcast_url`` in its front matter: an http(s) URL, or a file
beside the post) is fetched or copied into the episode's work folder. An MP3 is kept byte
for byte, tags included: podcast apps play it as it is. Any other format ffmpeg reads (WAV,
FLAC, Ogg, M4A...) is encoded to MP3 with the show's render settings, as the feed serves
``audio/mpeg``. Its duration is the MP3's own (mutagen), its loudness is measured as a
narrated episode's is; it gets no tags from us (they would call it AI-narrated), and no
transcript or chapters.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from mutagen import File as MutagenFile
from mutagen import MutagenError
from mutagen.mp3 import MP3

from audio.errors import AudioEssayError, InputError
from audio.fetch import fetch
from audio.limits import ImportLimits
from audio.master.encode import LAME_QUALITY, EncodeSettings, Loudness, ffmpeg_exe, loudness_of, measure_mp3

AUDIO_ACCEPT = "audio/mpeg, audio/*;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class OwnAudio:
    """The post's audio, as it lies in the episode folder."""

    path: Path
    duration_s: float
    loudness: Loudness
    encoded_from: str  # the format it came in when it had to be encoded to MP3 ("WAVE"...), else ""


def audio_source(reference: str, post: Path) -> str | Path:
    """Where the audio a post names lies: an http(s) URL, or a file in the post's folder (a
    path relative to the post; one outside its folder is refused)."""
    if re.match(r"^https?://", reference, re.I):
        return reference
    if re.match(r"^[a-z][a-z0-9+.-]*:", reference, re.I):
        raise InputError(post, f"podcast_url {reference!r}: not an http(s) URL or a file beside the post")
    folder = post.resolve().parent
    path = (folder / urllib.parse.unquote(reference)).resolve()
    if not path.is_relative_to(folder):
        raise InputError(post, f"podcast_url {reference!r}: the file must lie beside the post, in {folder}")
    if not path.is_file():
        raise InputError(path, "no such audio file (podcast_url)")
    return path


def _ffmpeg(args: list[str], source: Path) -> None:
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-nostdin", "-loglevel", "error", "-y", *args],
                            check=False, capture_output=True, text=True)
    if result.returncode:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise InputError(source, f"not audio ffmpeg can read ({lines[-1].strip() if lines else 'no message'})")


def _encode(source: Path, out: Path, settings: EncodeSettings) -> None:
    """``source`` (any format ffmpeg decodes) as an MP3 of the show's rate, channels and bitrate."""
    _ffmpeg(["-i", str(source), "-map", "0:a:0", "-map_metadata", "-1", "-ar", str(settings.sample_rate),
             "-ac", str(settings.channels), "-c:a", "libmp3lame", "-b:a", settings.bitrate,
             "-compression_level", str(LAME_QUALITY), "-id3v2_version", "0", "-f", "mp3", str(out)], source)


def _format(path: Path) -> str:
    """mutagen's name for the file's format ("MP3", "WAVE", "FLAC", "MP4"...), "" if unknown."""
    try:
        found = MutagenFile(path)
    except (MutagenError, OSError):
        return ""
    return type(found).__name__ if found is not None else ""


def place_own_audio(source: str | Path, work: Path, slug: str, settings: EncodeSettings, ceiling_dbtp: float,
                    limits: ImportLimits = ImportLimits()) -> OwnAudio:
    """The post's audio as ``<work>/<slug>.mp3``: downloaded (``audio.fetch``, within ``limits``,
    redirects to other hosts followed, as podcast hosts redirect to their CDN) or copied, and
    encoded only when it is not an MP3. Every failure is an ``InputError`` naming the source."""
    mp3 = work / f"{slug}.mp3"
    download = work / f".{slug}.download"
    try:
        if isinstance(source, str):
            with open(download, "wb") as out:
                fetch(source, out, limits, follow_redirects=True, noun="audio",
                      advice="check the post's podcast_url", accept=AUDIO_ACCEPT)
            got = download
        else:
            got = source
        kind = _format(got)
        if kind == "MP3":
            shutil.copyfile(got, mp3)
        else:
            _encode(got, mp3, settings)
        where = source if isinstance(source, str) else got
        try:
            duration = MP3(mp3).info.length
            loudness = loudness_of([measure_mp3(mp3, ceiling_dbtp)])
        except (MutagenError, AudioEssayError) as exc:
            raise InputError(where, f"not playable MP3 audio ({getattr(exc, 'reason', exc)})") from exc
        if duration <= 0:
            raise InputError(where, "no audio in it (0 s)")
        return OwnAudio(mp3, duration, loudness, "" if kind == "MP3" else kind or "unknown")
    finally:
        download.unlink(missing_ok=True)
