"""Benchmark: 200 concurrent clients doing range downloads of an episode for 20 s.

Starts ``audio-essay serve``'s app (uvicorn) in its own process on a loopback port,
publishes a one-episode site with a real 10-minute MP3, and has N asyncio + httpx
clients each fetch random 256 KiB ranges (as players do when seeking) as fast as
they can (``--range-kib``). Every response must be 206 with the right bytes. Target: 0 errors.

    python bench/serve.py [--clients 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def make_site(root: Path, mp3: Path | None) -> Path:
    site = root / "site"
    (site / "episodes").mkdir(parents=True)
    if mp3 is not None:
        (site / "episodes" / "episode.mp3").write_bytes(mp3.read_bytes())
        return site
    import imageio_ffmpeg

    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=600",
         "-ar", "44100", "-ac", "1", "-b:a", "96k", str(site / "episodes" / "episode.mp3")],
        check=True,
    )
    return site


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to show who was the bottleneck."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def client(http: httpx.AsyncClient, url: str, data: bytes, chunk: int, stop: float,
                 latencies: list[float], errors: list[str]) -> None:
    rng = random.Random()
    while time.perf_counter() < stop:
        start = rng.randrange(0, len(data) - 1)
        end = min(start + chunk, len(data)) - 1
        t0 = time.perf_counter()
        try:
            response = await http.get(url, headers={"Range": f"bytes={start}-{end}"})
            body = response.content
            if response.status_code != 206 or body != data[start:end + 1]:
                errors.append(f"status {response.status_code}, {len(body)} bytes")
        except httpx.HTTPError as exc:
            errors.append(repr(exc))
        latencies.append(time.perf_counter() - t0)


async def run(url: str, data: bytes, chunk: int, clients: int, seconds: float) -> tuple[list[float], list[str], float]:
    """One AsyncClient (one keep-alive connection) per simulated listener: httpx's shared
    pool spends more CPU finding a free connection among 200 than the server spends serving."""
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    https = [httpx.AsyncClient(limits=limits, timeout=30) for _ in range(clients)]
    try:
        t0 = time.perf_counter()
        stop = t0 + seconds
        await asyncio.gather(*(client(http, url, data, chunk, stop, latencies, errors) for http in https))
        elapsed = time.perf_counter() - t0
    finally:
        await asyncio.gather(*(http.aclose() for http in https))
    return latencies, errors, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--range-kib", type=int, default=256, help="size of each range request")
    parser.add_argument("--mp3", type=Path, help="serve this MP3 (default: a 10-minute sine made with ffmpeg)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp), args.mp3)
        data = (site / "episodes" / "episode.mp3").read_bytes()
        port = free_port()
        # Every simulated listener comes from 127.0.0.1: lift serve's cap on connections per address.
        server = subprocess.Popen([
            sys.executable, "-c",
            "import sys; from audio.publish.serve import ServeLimits, run_server; "
            "run_server(sys.argv[1], port=int(sys.argv[2]), log_level='warning', "
            "limits=ServeLimits(per_client=int(sys.argv[3])))", str(site), str(port), str(args.clients + 1),
        ])
        try:
            url = f"http://127.0.0.1:{port}/episodes/episode.mp3"
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.head(url).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    time.sleep(0.1)
            cpu0 = _cpu_seconds(server.pid)
            client0 = time.process_time()
            latencies, errors, elapsed = asyncio.run(run(url, data, args.range_kib * 1024, args.clients, args.seconds))
            server_cpu, client_cpu = _cpu_seconds(server.pid) - cpu0, time.process_time() - client0
        finally:
            server.terminate()
            server.wait(timeout=10)
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"clients: {args.clients}  duration: {elapsed:.1f} s  episode: {len(data) / 1e6:.1f} MB  "
          f"range size: {args.range_kib} KiB")
    print(f"requests: {len(latencies)}  requests/s: {len(latencies) / elapsed:.0f}  "
          f"throughput: {len(latencies) * args.range_kib * 1024 / elapsed / 1e6:.0f} MB/s")
    print(f"latency p50: {p50 * 1000:.0f} ms  p99: {p99 * 1000:.0f} ms")
    print(f"CPU seconds: server {server_cpu:.1f}, clients {client_cpu:.1f} (of {elapsed:.0f} s on "
          f"{len(os.sched_getaffinity(0))} cores)")
    print(f"errors: {len(errors)}   target 0" + (f"  (first: {errors[0]})" if errors else ""))


if __name__ == "__main__":
    main()
