"""serve: a real uvicorn server on loopback, checked with httpx and raw sockets."""

from __future__ import annotations

import os
import socket

import httpx
import pytest
from publish_support import Server, make_show

from audio.errors import ConfigError
from audio.publish.build import publish_site
from audio.publish.serve import make_app
from audio.show import load_show

MP3 = "/episodes/second-post.mp3"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    show = load_show(make_show(tmp_path_factory.mktemp("serve") / "show"))
    publish_site(show)
    site = show.site_dir
    (show.folder / "secret.txt").write_text("outside the site")
    os.symlink(show.folder / "secret.txt", site / "leak.txt")  # a symlink leading out
    with Server(make_app(site)) as server, httpx.Client(base_url=server.url) as client:
        yield site, server, client


def _raw(server, path: str) -> int:
    """Send a request line exactly as written (httpx would normalise the path); the status."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


def test_get_and_head(served):
    site, _, client = served
    data = (site / MP3.lstrip("/")).read_bytes()
    got = client.get(MP3)
    assert got.status_code == 200 and got.content == data
    assert got.headers["accept-ranges"] == "bytes"
    head = client.head(MP3)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(data)
    assert head.headers["etag"] == got.headers["etag"] and "last-modified" in head.headers
    assert client.get("/").text == (site / "index.html").read_text()


def test_ranges(served):
    site, _, client = served
    data = (site / MP3.lstrip("/")).read_bytes()
    size = len(data)
    first = client.get(MP3, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.content == data[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    assert first.headers["content-type"] == "audio/mpeg"
    middle = client.get(MP3, headers={"Range": "bytes=1000-1999"})
    assert middle.status_code == 206 and middle.content == data[1000:2000]
    tail = client.get(MP3, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == data[-100:]
    assert tail.headers["content-range"] == f"bytes {size - 100}-{size - 1}/{size}"
    open_ended = client.get(MP3, headers={"Range": "bytes=100-"})
    assert open_ended.status_code == 206 and open_ended.content == data[100:]
    head = client.head(MP3, headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and head.headers["content-range"] == f"bytes 0-99/{size}"
    beyond = client.get(MP3, headers={"Range": f"bytes={size}-{size + 10}"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"


def test_conditional_requests_answer_304(served):
    _, _, client = served
    first = client.get("/feed.xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get("/feed.xml", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feed.xml", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/feed.xml", headers={"If-None-Match": '"other"'}).status_code == 200
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get("/feed.xml", headers={"If-Modified-Since": old}).status_code == 200


@pytest.mark.parametrize("path, kind, cors", [
    ("/feed.xml", "application/rss+xml", True),
    (MP3, "audio/mpeg", True),
    ("/episodes/second-post.vtt", "text/vtt", True),
    ("/episodes/second-post.srt", "application/x-subrip", True),
    ("/episodes/second-post.transcript.json", "application/json", True),
    ("/episodes/second-post.chapters.json", "application/json+chapters", True),
    ("/index.html", "text/html", False),
    ("/episodes/second-post.html", "text/html", False),
])
def test_content_types_and_cors(served, path, kind, cors):
    _, _, client = served
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == kind
    assert (response.headers.get("access-control-allow-origin") == "*") == cors


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/episodes/%2e%2e/%2e%2e/secret.txt",
    "/episodes/..%2f..%2fsecret.txt",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/leak.txt",
    "/episodes/",
    "/episodes",
    "/private/",
    "/nothing-here.mp3",
])
def test_never_serves_outside_the_site_or_lists_folders(served, path):
    _, server, _ = served
    assert _raw(server, path) == 404


def test_episode_page_is_served(served):
    site, _, client = served
    page = client.get("/episodes/second-post.html")
    assert page.status_code == 200 and page.text == (site / "episodes/second-post.html").read_text()


def test_only_get_and_head(served):
    _, _, client = served
    assert client.post("/feed.xml").status_code == 405


def test_make_app_needs_a_site(tmp_path):
    with pytest.raises(ConfigError, match="no such site folder"):
        make_app(tmp_path / "missing")


def test_cli_serve_binds_loopback_by_default():
    from audio.cli import serve

    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1"


def test_cli_serve_runs_a_server_on_loopback(served):
    import subprocess
    import sys
    import time

    from publish_support import free_port

    site, _, _ = served
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "audio", "serve", "--site", str(site), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/feed.xml")
                break
            except httpx.ConnectError:
                assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert response.status_code == 200 and response.content == (site / "feed.xml").read_bytes()
        assert "server" not in response.headers  # no version banner
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert f"serving {site} at http://127.0.0.1:{port}/" in output
