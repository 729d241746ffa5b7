"""MP3 encoding with the ffmpeg that imageio-ffmpeg ships, segment by segment.

Each segment of the programme is encoded into an MP3 of its own (libmp3lame CBR,
resampled to the output rate by ffmpeg) while synthesis of the next one goes on, then
decoded (libsndfile's mpg123, gapless) and measured: BS.1770 sub-block energies and the
true peak. The episode is the segments' MP3 frames joined by ffmpeg's concat demuxer,
which writes one LAME header (encoder delay and padding) for the whole file. So the
loudness reported is that of the encoded MP3, and a re-render after an edit encodes
only the segments that changed.

Segments begin in silence, so each segment's own encoder delay and padding (a few
hundredths of a second, inside a pause) are simply played; a segment's audio starts
exactly ``samples_per_frame x (frames before it)`` into the joined file.
"""

from __future__ import annotations

import math
import queue
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from audio.errors import OutputError
from audio.master.loudness import (
    SUB_BLOCK_S,
    TRUE_PEAK_CONTEXT,
    KFilter,
    integrated,
    sample_true_peaks,
    sub_block_energies,
)

LAME_QUALITY = 7  # libmp3lame -q: 7 is LAME's "fast, ok quality"; ample for speech at 96 kbps
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


@dataclass(frozen=True)
class Mp3Measurement:
    """What a segment's MP3 holds, from its frames and its decoded audio."""

    frames: int  # audio frames (the LAME header frame not counted)
    samples_per_frame: int
    sample_rate: int
    samples: int  # decoded, encoder delay and padding removed
    subs: tuple[float, ...]  # K-weighted 100 ms sub-block energies, channels summed
    peak: float  # true peak, linear

    @property
    def span_s(self) -> float:
        """How long the segment lasts inside a joined file (its delay and padding played)."""
        return self.frames * self.samples_per_frame / self.sample_rate


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def last_line(text: str) -> str:
    """The last non-blank line of a tool's messages (what ffmpeg says went wrong)."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"


class SegmentEncoder:
    """An ffmpeg encoding float32 mono samples at ``input_rate`` into ``path``.

    A thread feeds ffmpeg from a queue, so the engine is not held up while ffmpeg takes
    in a sentence. (Lowering ffmpeg's priority was tried: on a busy machine it starved
    the encoder and the render waited for it at the end.)
    """

    def __init__(self, path: Path, input_rate: int, settings: EncodeSettings, gain_db: float = 0.0):
        self.path = path
        self.log_path = path.with_suffix(".ffmpeg.log")
        self.log = open(self.log_path, "w")
        self.broken = False
        args = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y"]
        args += ["-f", "f32le", "-ar", str(input_rate), "-ac", "1", "-i", "pipe:0"]
        if gain_db:
            args += ["-af", f"volume={gain_db:.2f}dB"]
        args += ["-ar", str(settings.sample_rate), "-ac", str(settings.channels), "-c:a", "libmp3lame",
                 "-b:a", settings.bitrate, "-compression_level", str(LAME_QUALITY), "-id3v2_version", "0",
                 "-f", "mp3", str(path)]
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.log)
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self.feeder: threading.Thread | None = threading.Thread(target=self._feed, daemon=True)
        self.feeder.start()

    def _feed(self) -> None:
        """Pass queued PCM to ffmpeg; ``None`` closes its input."""
        stdin = self.process.stdin
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
        self.queue.put(np.asarray(samples, dtype="<f4").tobytes())

    def _log_tail(self) -> str:
        self.log.flush()
        return last_line(self.log_path.read_text(errors="replace"))

    def _end_input(self) -> None:
        if self.feeder is not None and self.feeder.is_alive():
            self.queue.put(None)
            self.feeder.join()
        self.feeder = None

    def finish(self) -> None:
        """Close the input and wait for the MP3; a failure is an ``OutputError`` and leaves no file."""
        self._end_input()
        if self.process.wait():
            reason = self._log_tail()
            self.close()
            raise OutputError(self.path, f"ffmpeg failed to encode ({reason})")
        self.log.close()
        self.log_path.unlink(missing_ok=True)

    def close(self) -> None:
        """Abandon the encoding: stop ffmpeg, remove its partial MP3 and its log."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._end_input()  # the feeder sees the broken pipe and ends
        self.log.close()
        self.log_path.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)


# MPEG audio frame headers: bitrates (kbps) by version, sample rates by version.
_BITRATES = {
    "1": (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    "2": (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_frames(data: bytes) -> tuple[int, int]:
    """(audio frames, samples per frame) of a Layer III stream as ffmpeg writes it: an
    optional ID3v2 tag, a LAME header frame (not counted), the audio frames."""
    pos = 10 + int.from_bytes(bytes(b & 0x7F for b in data[6:10]), "big") if data[:3] == b"ID3" else 0
    frames, per_frame, first = 0, 1152, True
    while pos + 4 <= len(data):
        header = int.from_bytes(data[pos : pos + 4], "big")
        version, bitrate_index = (header >> 19) & 3, (header >> 12) & 0xF
        if header >> 21 != 0x7FF or version == 1 or (header >> 10) & 3 == 3 or bitrate_index in (0, 15):
            break  # not a frame header (or a free-format one, which ffmpeg never writes)
        mpeg1 = version == 3
        bitrate = _BITRATES["1" if mpeg1 else "2"][bitrate_index] * 1000
        per_frame = 1152 if mpeg1 else 576
        size = per_frame // 8 * bitrate // _RATES[version][(header >> 10) & 3] + ((header >> 9) & 1)
        if not (first and (b"Info" in data[pos : pos + 64] or b"Xing" in data[pos : pos + 64])):
            frames += 1
        pos, first = pos + size, False
    return frames, per_frame


MEASURE_BLOCK = 1 << 18  # samples decoded at a time: memory stays small whatever the segment's length


def measure_mp3(path: Path, ceiling_dbtp: float) -> Mp3Measurement:
    """Decode an MP3 block by block and measure it: its frames, BS.1770 sub-blocks
    (K-weighted, channels summed) and true peak."""
    try:
        frames, per_frame = mp3_frames(path.read_bytes())
        with sf.SoundFile(str(path)) as decoded:
            rate, channels = decoded.samplerate, decoded.channels
            hop, near = int(SUB_BLOCK_S * rate), 10 ** (ceiling_dbtp / 20)
            filters = [KFilter(rate) for _ in range(channels)]
            carry = [np.zeros(0, dtype=np.float32) for _ in range(channels)]
            context = np.zeros((0, channels), dtype=np.float32)  # the previous block's end, for the true peak
            subs: list[float] = []
            peak, total = 0.0, 0

            def peak_of(samples: np.ndarray, first: int, last: int) -> float:
                """The true peak of ``samples[first:last]``, whose neighbours both ways are in ``samples``."""
                return max(float(sample_true_peaks(samples[:, c], near / 2)[first:last].max(initial=0.0))
                           for c in range(channels))

            for block in decoded.blocks(blocksize=MEASURE_BLOCK, dtype="float32", always_2d=True):
                total += len(block)
                energy = 0.0
                for c in range(channels):
                    weighted = np.concatenate([carry[c], filters[c](block[:, c])])
                    energy = energy + sub_block_energies(weighted, rate)
                    carry[c] = weighted[len(weighted) // hop * hop :]
                subs.extend(np.atleast_1d(energy).tolist())
                # The previous block's last samples are measured now, with what follows them.
                joined = np.concatenate([context, block])
                peak = max(peak, peak_of(joined, len(context) // 2, len(joined) - TRUE_PEAK_CONTEXT))
                context = joined[-2 * TRUE_PEAK_CONTEXT :]
            peak = max(peak, peak_of(context, len(context) // 2, len(context)))  # the end: silence follows
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise OutputError(path, f"cannot read the encoded MP3 back ({exc})") from exc
    return Mp3Measurement(frames, per_frame, rate, total, tuple(subs), peak)


# What MP3 encoding takes off speech's loudness (BS.1770, measured on the decoded file):
# LAME at 96 kbps mono drops some sibilant energy that the K-weighting counts.
CODEC_LOSS_LU = 0.45


def as_heard(subs: Sequence[float], rate: int, output_rate: int) -> tuple[float, ...]:
    """Sub-block energies of PCM at ``rate`` as the decoded MP3 at ``output_rate`` would give
    them: scaled to the output's sub-block length, less ``CODEC_LOSS_LU``. An estimate for
    levelling the first minute without encoding it on trial; what is reported is measured."""
    scale = output_rate / rate * 10 ** (-CODEC_LOSS_LU / 10)
    return tuple(float(e) * scale for e in subs)


def loudness_of(parts: Sequence[Mp3Measurement]) -> Loudness:
    """The joined file's integrated loudness and true peak, from its segments' measurements."""
    subs = np.concatenate([np.asarray(p.subs, dtype=np.float64) for p in parts]) if parts else np.zeros(0)
    peak = max((p.peak for p in parts), default=0.0)
    return Loudness(
        round(integrated(subs, parts[0].sample_rate if parts else 44100), 1),
        round(20 * math.log10(peak), 1) if peak > 0 else -math.inf,
    )


def join_mp3(parts: Sequence[Path], out: Path) -> None:
    """Join segment MP3s frame for frame into ``out`` (no re-encoding), with one LAME header."""
    listing = out.with_suffix(".parts.txt")
    quoted = ["file '" + str(p.resolve()).replace("'", "'\\''") + "'\n" for p in parts]
    listing.write_text("".join(quoted), encoding="utf-8")
    try:
        # -loglevel fatal: the concat demuxer warns about timestamps at every join, where
        # each segment's encoder delay overlaps the previous one's padding; the frames are right.
        result = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostats", "-nostdin", "-loglevel", "fatal", "-y", "-f", "concat",
             "-safe", "0", "-i", str(listing), "-c", "copy", "-id3v2_version", "0", "-f", "mp3", str(out)],
            capture_output=True,
            text=True,
        )
    finally:
        listing.unlink(missing_ok=True)
    if result.returncode:
        raise OutputError(out, f"ffmpeg cannot join the segments ({last_line(result.stderr)})")
