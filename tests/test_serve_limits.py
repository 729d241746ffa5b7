"""serve against clients that hold it: half-sent requests, silent and stalled connections, too
many connections from one address, and Range headers it cannot use. A real uvicorn server on
loopback with serve's own settings (short limits so the tests take seconds)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from publish_support import Server, make_show

from audio.publish.build import publish_site
from audio.publish.serve import ServeLimits, make_app, server_options, usable_range
from audio.show import load_show

MP3 = "/episodes/second-post.mp3"
BIG = 8 * 1024 * 1024  # more than loopback's socket buffers hold


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    show = load_show(make_show(tmp_path_factory.mktemp("serve-limits") / "show"))
    publish_site(show)
    (show.site_dir / "big.bin").write_bytes(bytes(range(256)) * (BIG // 256))
    return show.site_dir


@contextmanager
def _server(site, **limits) -> Iterator[Server]:
    with Server(make_app(site), **server_options(ServeLimits(**limits))) as server:
        yield server


def _connections(server: Server) -> int:
    return len(server.server.server_state.connections)


def _until(condition, seconds: float) -> float:
    """Seconds until ``condition()`` holds (polled), or fail after ``seconds``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "still not so"
        time.sleep(0.05)
    return time.monotonic() - started


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed: recv gives EOF (or a reset) instead of timing out."""
    sock.settimeout(0.05)
    try:
        return sock.recv(65536) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def test_a_half_sent_request_is_closed_at_the_header_deadline(site):
    with _server(site, header_seconds=1) as server:
        with _connect(server) as sock:
            sock.sendall(b"GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            started = time.monotonic()
            while not _closed_by_server(sock):  # a header byte every 0.2 s does not extend it
                assert time.monotonic() - started < 5, "the half-sent request is still open"
                sock.sendall(b"X")
                time.sleep(0.2)
            assert 0.8 < time.monotonic() - started < 4
        _until(lambda: _connections(server) == 0, 2)


def test_a_silent_connection_is_closed_at_the_header_deadline(site):
    with _server(site, header_seconds=1) as server, _connect(server) as sock:
        assert 0.7 < _until(lambda: _closed_by_server(sock), 4)


def test_keep_alive_then_a_half_sent_second_request_is_closed_too(site):
    with _server(site, header_seconds=1, keep_alive_seconds=30) as server, _connect(server) as sock:
        sock.sendall(b"GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while b"</rss>" not in answer:
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 ")
        time.sleep(1.5)  # idle between requests: the keep-alive (30 s) holds, not the header deadline
        assert not _closed_by_server(sock)
        sock.sendall(b"GET /feed.xml HTTP/1.1\r\nHo")
        assert 0.7 < _until(lambda: _closed_by_server(sock), 4)


def test_a_client_that_stops_reading_is_dropped_after_the_idle_timeout(site):
    with _server(site, idle_seconds=1) as server:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(5)
        with sock:
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            time.sleep(0.5)
            assert _connections(server) == 1
            _until(lambda: _connections(server) == 0, 4)  # dropped without the client reading a byte
            received = 0
            try:
                while chunk := sock.recv(1 << 20):
                    received += len(chunk)
            except ConnectionResetError:
                pass
            assert received < BIG


def test_connections_per_client_are_capped(site):
    with _server(site, per_client=3) as server:
        held = [_connect(server) for _ in range(3)]
        try:
            _until(lambda: _connections(server) == 3, 2)
            with _connect(server) as fourth:
                answer = b""
                while chunk := fourth.recv(65536):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
            assert answer.endswith(b"\r\n\r\nToo many connections from one address.")
            with httpx.Client(base_url=server.url) as client:  # the held ones still work
                held[0].sendall(b"GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                assert held[0].recv(65536).startswith(b"HTTP/1.1 200 ")
                held.pop(0).close()
                _until(lambda: _connections(server) == 2, 2)
                assert client.get("/feed.xml").status_code == 200  # a free slot is usable again
        finally:
            for sock in held:
                sock.close()


@pytest.fixture(scope="module")
def served(site):
    with _server(site) as server, httpx.Client(base_url=server.url) as client:
        yield site, client


@pytest.mark.parametrize("value", [
    "bytes=a-b", "bytes=5-3", "bytes=", "bytes", "bytes=--1", "bytes=1-2-3", "bytes=0-1,x",
    "items=0-99", "bytes=0 - 9", f"bytes=0-{'9' * 5000}",
])
def test_a_range_it_cannot_use_is_ignored(served, value):
    site, client = served
    data = (site / MP3.lstrip("/")).read_bytes()
    for method in ("GET", "HEAD"):
        response = client.request(method, MP3, headers={"Range": value})
        assert response.status_code == 200
        assert int(response.headers["content-length"]) == len(data)
        assert "content-range" not in response.headers
    assert client.get(MP3, headers={"Range": value}).content == data


def test_valid_ranges_still_work(served):
    site, client = served
    data = (site / MP3.lstrip("/")).read_bytes()
    size = len(data)
    first = client.get(MP3, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.content == data[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    assert client.get(MP3, headers={"Range": "BYTES=-100"}).content == data[-100:]
    long = client.get(MP3, headers={"Range": f"bytes=10-{'9' * 40}"})
    assert long.status_code == 206 and long.content == data[10:]
    several = client.get(MP3, headers={"Range": "bytes=0-9, 20-29"})
    assert several.status_code == 206 and several.headers["content-type"].startswith("multipart/byteranges")
    assert client.get(MP3, headers={"Range": f"bytes={size}-"}).status_code == 416


@pytest.mark.parametrize("value, usable", [
    ("bytes=0-0", True), ("bytes=5-", True), ("bytes=-5", True), ("bytes=0-1,,4-5", True), (" Bytes = 1-2 ", True),
    ("bytes=2-1", False), ("bytes=-", False), ("bytes=1", False), ("bytes=0x1-2", False), ("=0-1", False),
])
def test_usable_range(value, usable):
    assert usable_range(value) is usable
