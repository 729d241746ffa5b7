"""MP3 encoding and loudness measurement with the ffmpeg that imageio-ffmpeg ships.

``Mp3Stream`` is fed the mastered programme while synthesis is still running: one
ffmpeg encodes (libmp3lame CBR, resampling to the output rate with swr), and the same
MP3 packets go, through the ``tee`` muxer, to a second ffmpeg that decodes them and
measures with ``ebur128=peak=true``. So the loudness reported is that of the encoded
MP3, and it costs no extra pass after the last sentence. The PCM is kept beside the
MP3 so that, should the measurement miss the target, one corrective encode can follow.
"""

from __future__ import annotations

import math
import queue
import re
import subprocess
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from audio.errors import OutputError

LAME_QUALITY = 7  # libmp3lame -q: 7 is LAME's "fast, ok quality"; ample for speech at 96 kbps
LOUDNESS_TOLERANCE_LU = 0.5  # a measured miss beyond this gets the corrective encode
# The piped copy has no LAME header (a pipe cannot be rewritten at the end), so its
# decoder does not drop the encoder delay (576 + 529 samples) as a file's does; the
# meter drops it, so that its 400 ms blocks fall exactly where they do in the file.
LAME_DELAY = 1105
QUEUE_CHUNKS = 64  # pieces of PCM (a sentence or a pause each) waiting for the encoder


@dataclass(frozen=True)
class EncodeSettings:
    sample_rate: int = 44100
    channels: int = 1
    bitrate: str = "96k"
    target_lufs: float = -16.0
    true_peak: float = -1.0


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float
    encodes: int = 1  # 2 when the corrective encode ran


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


_SUMMARY_I = re.compile(r"Integrated loudness:\s+I:\s+(-?[\d.]+|-inf) LUFS")
_SUMMARY_PEAK = re.compile(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS")


def parse_ebur128(stderr: str) -> Loudness:
    """The integrated loudness and true peak from ffmpeg's ebur128 summary."""
    summary = stderr[stderr.rfind("Summary:") :]
    i, peak = _SUMMARY_I.search(summary), _SUMMARY_PEAK.search(summary)
    if not i or not peak:
        raise ValueError("no ebur128 summary in ffmpeg's output")
    return Loudness(float(i.group(1)), float(peak.group(1)))


def measure(path: Path) -> Loudness:
    """ffmpeg ``ebur128=peak=true`` on an audio file."""
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise OutputError(path, f"ffmpeg cannot measure it ({_last_line(result.stderr)})")
    return parse_ebur128(result.stderr)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"


def _encoder_args(settings: EncodeSettings, input_rate: int, source: str, outputs: list[str], gain_db: float = 0.0) -> list[str]:
    args = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y"]
    args += ["-f", "s16le", "-ar", str(input_rate), "-ac", "1", "-i", source]
    if gain_db:
        args += ["-af", f"volume={gain_db:.2f}dB"]
    args += ["-ar", str(settings.sample_rate), "-ac", str(settings.channels)]
    args += ["-c:a", "libmp3lame", "-b:a", settings.bitrate, "-compression_level", str(LAME_QUALITY), "-map", "0:a"]
    return args + ["-f", "tee", "|".join(outputs)]


class Mp3Stream:
    """An encoder taking float32 mono samples at ``input_rate``; ``finish()`` returns the
    MP3's measured loudness, after a corrective encode if the first one missed.

    A thread feeds ffmpeg from a queue, so the engine is not held up while ffmpeg takes
    in a sentence. (Lowering ffmpeg's priority was tried: on a busy machine it starved
    the encoder and the render waited for it at the end.)
    """

    def __init__(self, path: Path, input_rate: int, settings: EncodeSettings):
        self.path = path
        self.input_rate = input_rate
        self.settings = settings
        self.pcm_path = path.with_suffix(".pcm")
        self.log_path = path.with_suffix(".ffmpeg.log")
        self.pcm = open(self.pcm_path, "wb")
        self.log = open(self.log_path, "w")
        self.broken = False
        self.feeder: threading.Thread | None = None
        self._start()

    def _start(self, source: str = "pipe:0", gain_db: float = 0.0) -> None:
        outputs = [f"[f=mp3:id3v2_version=0]{self.path}", "[f=mp3]pipe:1"]
        self.encoder = subprocess.Popen(
            _encoder_args(self.settings, self.input_rate, source, outputs, gain_db),
            stdin=subprocess.PIPE if source == "pipe:0" else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.meter = subprocess.Popen(
            [ffmpeg_exe(), "-hide_banner", "-nostats", "-f", "mp3", "-i", "pipe:0",
             "-af", f"atrim=start_sample={LAME_DELAY},ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
            stdin=self.encoder.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.encoder.stdout.close()  # the meter holds it now
        if source == "pipe:0":
            self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_CHUNKS)
            self.feeder = threading.Thread(target=self._feed, daemon=True)
            self.feeder.start()

    def _feed(self) -> None:
        """Pass queued PCM to the encoder; ``None`` closes its input."""
        stdin = self.encoder.stdin
        while (data := self.queue.get()) is not None:
            try:
                stdin.write(data)
            except (BrokenPipeError, ValueError, OSError):
                self.broken = True
        try:
            stdin.close()
        except (BrokenPipeError, OSError):
            self.broken = True

    def write(self, samples: np.ndarray) -> None:
        if self.broken:
            raise OutputError(self.path, f"ffmpeg stopped encoding ({self._log_tail()})")
        data = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        self.pcm.write(data)
        self.queue.put(data)

    def _log_tail(self) -> str:
        self.log.flush()
        return _last_line(self.log_path.read_text(errors="replace"))

    def _end_input(self) -> None:
        if self.feeder is not None and self.feeder.is_alive():
            self.queue.put(None)
            self.feeder.join()
        self.feeder = None

    def _wait(self) -> Loudness:
        self._end_input()
        meter_err = self.meter.communicate()[1].decode("utf-8", "replace")
        if self.encoder.wait() or self.meter.returncode:
            raise OutputError(self.path, f"ffmpeg failed to encode ({self._log_tail() if self.encoder.returncode else _last_line(meter_err)})")
        try:
            return parse_ebur128(meter_err)
        except ValueError as exc:
            raise OutputError(self.path, str(exc)) from exc

    def finish(self) -> Loudness:
        """Close the stream and return the MP3's loudness. A miss of more than
        ``LOUDNESS_TOLERANCE_LU``, or a true peak over the ceiling, is corrected once from
        the kept PCM with a plain gain (never raising the peak past the ceiling)."""
        self.pcm.close()
        result = self._wait()
        target, ceiling = self.settings.target_lufs, self.settings.true_peak
        if abs(result.integrated_lufs - target) > LOUDNESS_TOLERANCE_LU or result.true_peak_dbtp > ceiling:
            gain = min(target - result.integrated_lufs, ceiling - 0.3 - result.true_peak_dbtp)
            if math.isfinite(gain):
                self._start(str(self.pcm_path), gain)
                result = replace(self._wait(), encodes=2)
        self.close()
        return result

    def close(self) -> None:
        """Stop ffmpeg (if still running) and drop the working files; the MP3 stays."""
        for process in (self.encoder, self.meter):
            if process.poll() is None:
                process.kill()
                process.wait()
        self._end_input()  # the feeder sees the broken pipe and ends
        self.pcm.close()
        self.log.close()
        self.pcm_path.unlink(missing_ok=True)
        self.log_path.unlink(missing_ok=True)
