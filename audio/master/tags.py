"""ID3v2.3 tags on the encoded MP3 (mutagen): title, artist, album, date, cover,
a comment with the post's URL and the AI-narration disclosure, and CHAP/CTOC chapters
whose millisecond times are those of ``chapters.json``.

Tagging happens after encoding; the episode's size and sha256 are of the tagged file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TALB, TCON, TDRC, TIT2, TPE1, CTOCFlags, ID3NoHeaderError
from mutagen.mp3 import MP3, HeaderNotFoundError

from audio.errors import InputError, OutputError
from audio.master.transcripts import ms
from audio.models import Chapter

DISCLOSURE = "AI-narrated audio version of the post, read by a synthetic voice."
COVER_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@dataclass(frozen=True)
class EpisodeTags:
    title: str
    artist: str
    album: str
    date: datetime | None
    url: str
    chapters: tuple[Chapter, ...]
    duration_s: float
    cover: Path | None = None


def comment_text(url: str) -> str:
    return f"{DISCLOSURE} The full post: {url}" if url else DISCLOSURE


def write_tags(mp3: Path, tags: EpisodeTags) -> None:
    """Replace any ID3 tag on ``mp3`` with these (ID3v2.3)."""
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    if tags.artist:
        id3.add(TPE1(encoding=3, text=tags.artist))
    id3.add(TALB(encoding=3, text=tags.album))
    id3.add(TCON(encoding=3, text="Podcast"))
    if tags.date:
        id3.add(TDRC(encoding=3, text=tags.date.strftime("%Y-%m-%d")))
    id3.add(COMM(encoding=3, lang="eng", desc="", text=comment_text(tags.url)))
    if tags.cover:
        mime = COVER_TYPES.get(tags.cover.suffix.lower())
        if mime is None:
            raise InputError(tags.cover, "cover art must be a PNG or JPEG file")
        try:
            data = tags.cover.read_bytes()
        except OSError as exc:
            raise InputError(tags.cover, f"cannot read the cover art ({exc.strerror or exc})") from exc
        id3.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=data))
    _add_chapters(id3, tags.chapters, tags.duration_s)
    try:
        id3.save(mp3, v2_version=3)
    except OSError as exc:
        raise OutputError(mp3, f"cannot write the ID3 tag ({exc.strerror or exc})") from exc


def _add_chapters(id3: ID3, chapters: Sequence[Chapter], duration_s: float) -> None:
    if not chapters:
        return
    ids = [f"chp{i}" for i in range(len(chapters))]
    ends = [ms(c.start_s) for c in chapters[1:]] + [ms(duration_s)]
    id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
                 sub_frames=[TIT2(encoding=3, text="Chapters")]))
    for element_id, chapter, end in zip(ids, chapters, ends):
        id3.add(CHAP(element_id=element_id, start_time=ms(chapter.start_s), end_time=end,
                     start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                     sub_frames=[TIT2(encoding=3, text=chapter.title)]))


@dataclass(frozen=True)
class ReadTags:
    """What a tagged MP3 says (tests and ``check`` read it back)."""

    version: tuple[int, int, int]
    title: str
    artist: str
    album: str
    date: str
    comment: str
    cover_mime: str
    chapters: tuple[tuple[int, int, str], ...]  # (start ms, end ms, title), in CTOC order
    duration_s: float


def read_tags(mp3: Path) -> ReadTags:
    try:
        id3 = ID3(mp3)
        info = MP3(mp3).info
    except (ID3NoHeaderError, HeaderNotFoundError, OSError) as exc:
        raise InputError(mp3, f"not a tagged MP3 ({exc})") from exc

    def text(frame_id: str) -> str:
        frames = id3.getall(frame_id)
        return str(frames[0].text[0]) if frames and frames[0].text else ""

    chapters = {f.element_id: f for f in id3.getall("CHAP")}
    toc = id3.getall("CTOC")
    order = toc[0].child_element_ids if toc else sorted(chapters)
    listed = tuple(
        (chapters[i].start_time, chapters[i].end_time, str(chapters[i].sub_frames["TIT2"].text[0]))
        for i in order if i in chapters
    )
    covers = id3.getall("APIC")
    return ReadTags(
        version=id3.version,
        title=text("TIT2"),
        artist=text("TPE1"),
        album=text("TALB"),
        date=text("TDRC"),
        comment=text("COMM"),
        cover_mime=covers[0].mime if covers else "",
        chapters=listed,
        duration_s=info.length,
    )
