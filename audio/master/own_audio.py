"""A podcast post's own audio (an interview, a voiceover), published instead of a narration.

The audio the post names (``podcast_url`` in its front matter: an http(s) URL, or a file
beside the post) is fetched or copied into the episode's work folder. Formats podcast apps
play are kept as they came: an MP3 byte for byte, tags included; AAC in an MP4 (M4A) too, and
bare ADTS AAC is put into one, without re-encoding. Any other format ffmpeg reads (WAV, FLAC,
Ogg, ALAC...) is encoded to MP3 with the show's render settings. Its duration is the file's
own (mutagen), its loudness and true peak are measured (ffmpeg's EBU R128 meter); it gets no
tags from us (they would call it AI-narrated), and no transcript or chapters.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen import MutagenError

from audio.errors import InputError
from audio.fetch import fetch
from audio.limits import ImportLimits
from audio.master.encode import LAME_QUALITY, EncodeSettings, Loudness, ffmpeg_exe, last_line

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
    if re.match(r"^https?://", reference, re.IGNORECASE):
        return reference
    if re.match(r"^[a-z][a-z0-9+.-]*:", reference, re.IGNORECASE):
        raise InputError(post, f"podcast_url {reference!r}: not an http(s) URL or a file beside the post")
    folder = post.resolve().parent
    path = (folder / urllib.parse.unquote(reference)).resolve()
    if not path.is_relative_to(folder):
        raise InputError(post, f"podcast_url {reference!r}: the file must lie beside the post, in {folder}")
    if not path.is_file():
        raise InputError(path, "no such audio file (podcast_url)")
    return path


def _ffmpeg(args: list[str], source: Path | str) -> str:
    """Run ffmpeg on ``source``; its messages (stderr). A failure is an InputError naming the source."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-nostdin", "-y", *args], check=False,
                            capture_output=True, text=True, errors="replace")
    if result.returncode:
        raise InputError(source, f"not audio ffmpeg can read ({last_line(result.stderr)})")
    return result.stderr


def _format(path: Path) -> str:
    """mutagen's name for the file's format ("MP3", "AAC", "WAVE", "FLAC"...; an MP4 with its
    codec: "MP4 mp4a.40.2", "MP4 alac"), "" when mutagen does not know it."""
    try:
        found = mutagen.File(path)
    except (MutagenError, OSError):
        return ""
    if found is None:
        return ""
    name = type(found).__name__
    return f"{name} {getattr(found.info, 'codec', '')}".strip() if name == "MP4" else name


def _place(got: Path, work: Path, slug: str, settings: EncodeSettings, where: str | Path) -> tuple[Path, str]:
    """``got`` as the episode's audio file; the format it was encoded from, "" if kept."""
    kind = _format(got)
    if kind == "MP3" or kind.startswith("MP4 mp4a"):  # AAC in an MP4 container (M4A)
        out = work / f"{slug}.{'mp3' if kind == 'MP3' else 'm4a'}"
        shutil.copyfile(got, out)
        return out, ""
    if kind == "AAC":  # bare ADTS frames: the same audio, put into an M4A
        out = work / f"{slug}.m4a"
        _ffmpeg(["-loglevel", "error", "-i", str(got), "-map", "0:a:0", "-c:a", "copy", "-f", "ipod", str(out)], where)
        return out, ""
    out = work / f"{slug}.mp3"
    _ffmpeg(["-loglevel", "error", "-i", str(got), "-map", "0:a:0", "-map_metadata", "-1",
             "-ar", str(settings.sample_rate), "-ac", str(settings.channels), "-c:a", "libmp3lame",
             "-b:a", settings.bitrate, "-compression_level", str(LAME_QUALITY), "-id3v2_version", "0",
             "-f", "mp3", str(out)], where)
    return out, kind or "unknown"


def _loudness(path: Path, where: str | Path) -> Loudness:
    """Integrated loudness (LUFS) and true peak (dBTP) by ffmpeg's EBU R128 meter."""
    summary = _ffmpeg(["-loglevel", "info", "-i", str(path), "-map", "0:a:0",
                       "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"], where).rpartition("Summary:")[2]
    found = re.search(r"\bI:\s+(\S+) LUFS", summary), re.search(r"\bPeak:\s+(\S+) dBFS", summary)
    if not all(found):
        raise InputError(where, "no loudness measured (ffmpeg's meter said nothing)")
    return Loudness(*(round(float(m.group(1)), 1) for m in found))


def place_own_audio(source: str | Path, work: Path, slug: str, settings: EncodeSettings,
                    limits: ImportLimits | None = None) -> OwnAudio:
    """The post's audio in ``work`` as ``<slug>.mp3`` or ``<slug>.m4a``: downloaded
    (``audio.fetch``, within ``limits``, redirects to other hosts followed, as podcast hosts
    redirect to their CDN) or copied, encoded only when podcast apps would not play it.
    Every failure is an ``InputError`` naming the source."""
    download = work / f".{slug}.download"
    try:
        if isinstance(source, str):
            with open(download, "wb") as out:
                fetch(source, out, limits or ImportLimits(), follow_redirects=True, noun="audio",
                      advice="check the post's podcast_url", accept=AUDIO_ACCEPT)
            got = download
        else:
            got = source
        where = source if isinstance(source, str) else got
        path, encoded_from = _place(got, work, slug, settings, where)
        try:
            duration = mutagen.File(path).info.length
        except (MutagenError, OSError, AttributeError) as exc:
            raise InputError(where, f"not playable audio ({exc})") from exc
        if not duration or duration <= 0:
            raise InputError(where, "no audio in it (0 s)")
        return OwnAudio(path, duration, _loudness(path, where), encoded_from)
    finally:
        download.unlink(missing_ok=True)
