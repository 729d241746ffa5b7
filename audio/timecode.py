"""Times as people read them: M:SS, or H:MM:SS past an hour (site pages, QA report, CLI)."""

from __future__ import annotations


def clock(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"
