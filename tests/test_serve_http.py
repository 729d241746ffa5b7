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


def _raw_response(server, path: str) -> bytes:
    """Send a request line exactly as written, with no other header than Host (httpx would
    normalise the path and add Accept-Encoding); the whole response."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def _raw(server, path: str) -> int:
    return int(_raw_response(server, path).split(b" ", 2)[1])


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


# --- RFC 9110 details: preconditions, 304 headers, gzip, preflight --------------------------------

FEED = "/feed.xml"


def test_a_failed_if_match_or_if_unmodified_since_gives_412(served):
    _, _, client = served
    etag = client.get(FEED, headers={"Accept-Encoding": "identity"}).headers["etag"]
    failed = client.get(FEED, headers={"If-Match": '"not-this-one"'})
    assert failed.status_code == 412 and failed.content == b""
    assert client.get(MP3, headers={"If-Match": '"old"', "Range": "bytes=0-9"}).status_code == 412
    assert client.get(FEED, headers={"If-Match": f'"x", {etag}', "Accept-Encoding": "identity"}).status_code == 200
    assert client.get(FEED, headers={"If-Match": "*"}).status_code == 200
    assert client.get(FEED, headers={"If-Match": f"W/{etag}"}).status_code == 412  # If-Match compares strongly
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(FEED, headers={"If-Unmodified-Since": old}).status_code == 412
    assert client.get(FEED, headers={"If-Unmodified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}).status_code == 200


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_304_carries_etag_cache_control_last_modified_and_vary(served, encoding):
    _, _, client = served
    first = client.get(FEED, headers={"Accept-Encoding": encoding})
    for condition in ({"If-None-Match": first.headers["etag"]}, {"If-Modified-Since": first.headers["last-modified"]}):
        again = client.get(FEED, headers={"Accept-Encoding": encoding, **condition})
        assert again.status_code == 304 and again.content == b""
        for name in ("etag", "cache-control", "last-modified", "vary", "access-control-allow-origin"):
            assert again.headers[name] == first.headers[name], name
    mp3 = client.get(MP3)
    again = client.get(MP3, headers={"If-None-Match": mp3.headers["etag"]})
    assert again.status_code == 304
    assert {n: again.headers[n] for n in ("etag", "cache-control", "last-modified")} == \
        {n: mp3.headers[n] for n in ("etag", "cache-control", "last-modified")}


def _raw_get(client, path: str, **headers) -> tuple[httpx.Response, bytes]:
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


@pytest.mark.parametrize("path", [FEED, "/index.html", "/episodes/second-post.html",
                                  "/episodes/second-post.transcript.json", "/episodes/second-post.vtt"])
def test_text_is_gzipped_for_clients_that_accept_it(served, path):
    import gzip

    site, _, client = served
    data = (site / path.lstrip("/")).read_bytes()
    zipped, raw = _raw_get(client, path, **{"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
    assert zipped.headers["content-encoding"] == "gzip" and gzip.decompress(raw) == data
    assert int(zipped.headers["content-length"]) == len(raw) < len(data)
    assert zipped.headers["vary"] == "Accept-Encoding" and "accept-ranges" not in zipped.headers
    plain, raw = _raw_get(client, path, **{"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in plain.headers and raw == data
    assert plain.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["etag"] != plain.headers["etag"]  # another representation, another tag
    assert b"content-encoding" not in _raw_response(served[1], path).split(b"\r\n\r\n")[0].lower()  # identity
    head = client.head(path, headers={"Accept-Encoding": "gzip"})
    assert head.headers["content-encoding"] == "gzip" and head.headers["content-length"] == zipped.headers[
        "content-length"] and head.content == b""
    ranged, raw = _raw_get(client, path, **{"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert ranged.status_code == 206 and raw == data[:10] and "content-encoding" not in ranged.headers


def test_the_audio_is_never_gzipped(served):
    site, _, client = served
    response, raw = _raw_get(client, MP3, **{"Accept-Encoding": "gzip, deflate, *"})
    assert "content-encoding" not in response.headers and "vary" not in response.headers
    assert raw == (site / MP3.lstrip("/")).read_bytes()


def test_options_preflight_gives_204_with_allow_and_cors(served):
    _, _, client = served
    preflight = client.options(FEED, headers={"Origin": "https://player.example", "Access-Control-Request-Method": "GET",
                                              "Access-Control-Request-Headers": "range"})
    assert preflight.status_code == 204 and preflight.content == b""
    assert preflight.headers["allow"] == "GET, HEAD, OPTIONS"
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert "Range" in preflight.headers["access-control-allow-headers"].split(", ")
    assert int(preflight.headers["access-control-max-age"]) > 0
    page = client.options("/index.html")
    assert page.status_code == 204 and page.headers["allow"] == "GET, HEAD, OPTIONS"
    assert "access-control-allow-origin" not in page.headers
    refused = client.delete(FEED)
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD, OPTIONS"


def test_an_unknown_range_unit_on_the_feed_gets_the_whole_feed(served):
    site, _, client = served
    response = client.get(FEED, headers={"Range": "items=0-1", "Accept-Encoding": "identity"})
    assert response.status_code == 200 and response.content == (site / "feed.xml").read_bytes()
