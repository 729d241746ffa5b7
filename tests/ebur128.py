"""The independent meter the tests check renders with: ffmpeg's ebur128 filter (true peak on)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from audio.master.encode import ffmpeg_exe

_SUMMARY_I = re.compile(r"Integrated loudness:\s+I:\s+(-?[\d.]+|-inf) LUFS")
_SUMMARY_PEAK = re.compile(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS")


@dataclass(frozen=True)
class Reading:
    integrated_lufs: float
    true_peak_dbtp: float


def parse_ebur128(stderr: str) -> Reading:
    summary = stderr[stderr.rfind("Summary:") :]
    i, peak = _SUMMARY_I.search(summary), _SUMMARY_PEAK.search(summary)
    if not i or not peak:
        raise ValueError("no ebur128 summary in ffmpeg's output")
    return Reading(float(i.group(1)), float(peak.group(1)))


def measure(path: Path) -> Reading:
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )
    return parse_ebur128(result.stderr)
