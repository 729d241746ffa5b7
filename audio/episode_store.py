"""Reading and writing ``<slug>.episode.json``, the record publish and batch read back, and
``<slug>.qa.json`` beside it, the episode's speech QA."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path

from audio.errors import InputError
from audio.models import Chapter, Episode, EpisodeQA, RenderedSentence, SentenceCheck

EPISODE_SUFFIX = ".episode.json"
QA_SUFFIX = ".qa.json"
SENTENCES_SUFFIX = ".sentences.json"


def episode_to_json(episode: Episode) -> str:
    record = asdict(episode)
    record.pop("folder")
    record["date"] = episode.date.isoformat() if episode.date else None
    return json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def load_episode(path: Path) -> Episode:
    """Read an episode record; its ``folder`` is the folder the record lies in."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(Episode)}
        record = {k: v for k, v in record.items() if k in known}
        record["chapters"] = tuple(Chapter(**c) for c in record["chapters"])
        record["date"] = datetime.fromisoformat(record["date"]) if record.get("date") else None
        return Episode(**{**record, "folder": path.parent})
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise InputError(path, f"not a readable episode record ({exc})") from exc


def qa_to_json(qa: EpisodeQA) -> str:
    record = asdict(qa)
    record["checked_at"] = qa.checked_at.isoformat() if qa.checked_at else None
    record["suspects"] = len(qa.suspects)  # for a reader of the file; recounted on load
    return json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def load_qa(path: Path) -> EpisodeQA:
    """Read an episode's QA record."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        record.pop("suspects", None)
        known = {f.name for f in fields(SentenceCheck)}
        record["sentences"] = tuple(
            SentenceCheck(**{k: tuple(v) if k == "reasons" else v for k, v in s.items() if k in known})
            for s in record["sentences"])
        record["checked_at"] = datetime.fromisoformat(record["checked_at"]) if record.get("checked_at") else None
        known = {f.name for f in fields(EpisodeQA)}
        return EpisodeQA(**{k: v for k, v in record.items() if k in known})
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InputError(path, f"not a readable QA record ({exc})") from exc


def sentences_to_json(sentences: tuple[RenderedSentence, ...]) -> str:
    return json.dumps([asdict(s) for s in sentences], indent=0, ensure_ascii=False) + "\n"


def load_sentences(path: Path) -> tuple[RenderedSentence, ...]:
    """Read the record of which audio a render used for each sentence."""
    try:
        return tuple(RenderedSentence(**row) for row in json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(path, f"not a readable sentence record ({exc})") from exc


def list_episodes(folder: Path, unreadable: list[InputError] | None = None) -> list[Episode]:
    """Every episode rendered under ``folder`` (one sub-folder per episode), newest first.

    Hidden sub-folders are renders in progress (or left by a killed one), never episodes.
    An unreadable record raises, or, given ``unreadable``, is left out and added to it."""
    episodes = []
    for path in sorted(folder.glob(f"*/*{EPISODE_SUFFIX}")):
        if path.parent.name.startswith("."):
            continue
        try:
            episodes.append(load_episode(path))
        except InputError as exc:
            if unreadable is None:
                raise
            unreadable.append(exc)
    return sorted(episodes, key=lambda e: (e.date.timestamp() if e.date else 0.0, e.slug), reverse=True)
