"""import from hostile or broken sources: a damaged zip member, a feed URL that trickles or
redirects elsewhere, a feed with a DOCTYPE or with entity declarations. Servers are loopback
threads inside the test."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from audio.back_catalogue.importer import ImportLimits, import_source
from audio.catalog import Catalog
from audio.cli import main
from audio.errors import InputError
from audio.show import load_show
from audio.work import show_lock

BODY = "<p>{title} is a short post. It has two sentences.</p>"


@pytest.fixture
def show(tmp_path: Path):
    folder = tmp_path / "show"
    folder.mkdir()
    return load_show(folder)


def _slugs(show) -> list[str]:
    if not show.catalog_path.exists():
        return []
    with Catalog(show.catalog_path) as catalog:
        return sorted(p.slug for p in catalog.posts())


def _lock_is_free(show) -> bool:
    with show_lock(show.folder):  # raises CatalogError while another holder has it
        return True


# --- a damaged member of a Substack zip ------------------------------------------------------


def _export_zip(path: Path, compression: int) -> Path:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["post_id", "post_date", "is_published", "title"])
    for n in (1, 2, 3):
        writer.writerow([f"10{n}.post-{n}", f"2024-01-0{n}T10:00:00.000Z", "true", f"Post {n}"])
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("posts.csv", out.getvalue())
        for n in (1, 2, 3):
            archive.writestr(f"posts/10{n}.post-{n}.html", BODY.format(title=f"Post {n}") * 20)
    return path


def _corrupt(path: Path, member: str) -> None:
    """Flip bytes in the middle of one member's stored (compressed) data."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    raw = bytearray(path.read_bytes())
    header = info.header_offset  # a 30-byte local header, then the name and the extra field
    start = header + 30 + int.from_bytes(raw[header + 26:header + 28], "little") \
        + int.from_bytes(raw[header + 28:header + 30], "little")
    for i in range(start + info.compress_size // 2, start + info.compress_size // 2 + 4):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def test_a_damaged_zip_member_is_one_bad_post(show, tmp_path, compression):
    archive = _export_zip(tmp_path / "export.zip", compression)
    _corrupt(archive, "posts/102.post-2.html")
    with zipfile.ZipFile(archive) as check, pytest.raises(Exception):
        check.read("posts/102.post-2.html")  # really damaged
    report = import_source(archive, show)
    assert sorted(report.new) == ["post-1", "post-3"]
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.path == f"{archive}:posts/102.post-2.html"
    assert problem.reason.startswith("damaged or unreadable in the archive (")
    assert _slugs(show) == ["post-1", "post-3"]
    assert sorted(p.name for p in show.posts_dir.iterdir()) == ["post-1.md", "post-3.md"]
    result = CliRunner().invoke(main, ["import", str(archive), "--show", str(show.folder)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"audio-essay: {archive}:posts/102.post-2.html: damaged or unreadable in the archive (" in result.output
    assert "2 unchanged" in result.output


def test_a_damaged_posts_csv_refuses_the_export_in_one_line(show, tmp_path):
    archive = _export_zip(tmp_path / "export.zip", zipfile.ZIP_STORED)
    _corrupt(archive, "posts.csv")
    result = CliRunner().invoke(main, ["import", str(archive), "--show", str(show.folder)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith(f"audio-essay: {archive}:posts.csv: damaged or unreadable in the archive (")
    assert _slugs(show) == []


# --- feeds: DOCTYPE and entities -------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="UTF-8"?>
{doctype}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>A show</title><link>https://example.com</link><description>d</description>
<item><title>{title}</title><link>https://example.com/p/{slug}</link>
<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>
<content:encoded><![CDATA[{html}]]></content:encoded></item>
</channel></rss>
"""


def _rss(slug: str = "a-post", title: str = "A post", doctype: str = "") -> str:
    return RSS.format(doctype=doctype, slug=slug, title=title, html=BODY.format(title=title))


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
    '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n',
    "<!DOCTYPE rss>\n<!-- a comment -->\n",
    "<!DOCTYPE rss [\n<!-- an internal subset without entities -->\n]>\n",
], ids=["public", "bare", "subset"])
def test_a_feed_with_a_doctype_is_imported_as_a_feed(show, tmp_path, doctype):
    feed = tmp_path / "feed.xml"
    feed.write_text(_rss(doctype=doctype), encoding="utf-8")
    report = import_source(feed, show)
    assert (report.kind, report.new, report.problems) == ("feed", ["a-post"], [])
    with Catalog(show.catalog_path) as catalog:
        post = catalog.post("a-post")
    assert post.meta["title"] == "A post" and post.meta["canonical_url"] == "https://example.com/p/a-post"
    assert "DOCTYPE" not in (show.folder / post.source).read_text(encoding="utf-8")


def test_an_html_page_with_a_doctype_is_still_a_post(show, tmp_path):
    page = tmp_path / "a-page.html"
    page.write_text(f"<!DOCTYPE html>\n<html><head><title>A page</title></head><body>{BODY.format(title='A page')}"
                    "</body></html>", encoding="utf-8")
    report = import_source(page, show)
    assert (report.kind, report.new, report.problems) == ("folder", ["a-page"], [])


BILLION_LAUGHS = ('<!DOCTYPE rss [\n<!ENTITY a "lol">\n<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
                  '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n')
QUADRATIC = f'<!DOCTYPE rss [\n<!ENTITY big "{"x" * 50_000}">\n]>\n'
XXE = '<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
PARAMETER = '<!DOCTYPE rss [\n<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd">\n%remote;\n]>\n'


@pytest.mark.parametrize("doctype, title", [
    (BILLION_LAUGHS, "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"),
    (QUADRATIC, "&big;" * 5_000),
    (XXE, "&xxe;"),
    (PARAMETER, "A post"),
], ids=["billion-laughs", "quadratic", "xxe", "parameter-entity"])
def test_a_feed_declaring_entities_is_refused_whole(show, tmp_path, doctype, title):
    feed = tmp_path / "feed.xml"
    feed.write_text(_rss(doctype=doctype, title=title), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(InputError, match=r"declares XML entities \(<!ENTITY>\); refused, they are never expanded"):
        import_source(feed, show)
    assert time.monotonic() - started < 5
    assert _slugs(show) == [] and not show.posts_dir.exists()
    # a feed URL in UTF-16 too: the check reads what feedparser reads, after its decoding
    utf16 = _rss(doctype=doctype, title=title).replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    with _http({"/feed.xml": (200, {}, utf16)}) as port, \
            pytest.raises(InputError, match="declares XML entities"):
        import_source(f"http://127.0.0.1:{port}/feed.xml", show)
    assert _slugs(show) == []


# --- feed URLs: the total deadline and redirects ---------------------------------------------


@contextmanager
def _trickler(head_too: bool, interval: float = 0.5) -> Iterator[str]:
    """A loopback server that answers one byte every ``interval`` seconds: the status line and
    headers too (``head_too``), or after a prompt head, the body. Bounded: 100 bytes at most."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    stop = threading.Event()
    body = _rss().encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {len(body)}\r\n\r\n".encode()

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            if not head_too:
                conn.sendall(head)
            slow = (head + body if head_too else body)[:100]
            for i in range(len(slow)):
                if stop.wait(interval):
                    return
                try:
                    conn.sendall(slow[i:i + 1])
                except OSError:  # the client gave up: what we want
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/feed.xml"
    finally:
        stop.set()
        server.close()
        thread.join(timeout=5)


@pytest.mark.parametrize("head_too", [True, False], ids=["trickled-head", "trickled-body"])
def test_a_trickling_feed_is_cut_off_at_the_deadline_and_the_lock_released(show, head_too):
    with _trickler(head_too) as url:
        started = time.monotonic()
        with pytest.raises(InputError) as caught:
            import_source(url, show, limits=ImportLimits(fetch_seconds=2))
        elapsed = time.monotonic() - started
    assert 1.9 < elapsed < 5
    assert caught.value.message == (f"{url}: cannot fetch the feed: no complete answer within 2 s; "
                                    "download it and import the file instead")
    assert _lock_is_free(show) and _slugs(show) == []


class _Routes(BaseHTTPRequestHandler):
    """GET path -> (status, headers, body), from the server's ``routes``."""

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"not here"))
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def _http(routes: dict) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Routes)
    server.routes = routes
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def feeds():
    """Two loopback servers: one redirects /elsewhere to the other host (localhost) and /here to
    itself; the other serves the feed."""
    with _http({"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, _rss().encode())}) as target:
        routes = {"/elsewhere": (302, {"Location": f"http://localhost:{target}/feed.xml"}, b""),
                  "/here": (301, {"Location": "/moved"}, b""),
                  "/via": (302, {"Location": "/elsewhere"}, b""),
                  "/moved": (307, {"Location": f"http://127.0.0.1:{target}/feed.xml"}, b""),
                  "/loop": (302, {"Location": "/loop"}, b""),
                  "/file": (302, {"Location": "file:///etc/passwd"}, b"")}
        with _http(routes) as origin:
            yield f"http://127.0.0.1:{origin}", f"http://localhost:{target}/feed.xml"


def test_a_redirect_to_another_host_needs_follow_redirects(show, feeds):
    origin, target = feeds
    url = f"{origin}/elsewhere"
    result = CliRunner().invoke(main, ["import", url, "--show", str(show.folder)])
    assert result.exit_code == 2
    assert result.output == (f"audio-essay: {url}: redirects to another host: {target} "
                             "(pass --follow-redirects to follow it)\n")
    assert _slugs(show) == [] and _lock_is_free(show)
    result = CliRunner().invoke(main, ["import", url, "--show", str(show.folder), "--follow-redirects"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{url} (feed): 1 new, 0 changed, 0 unchanged, 0 drafts skipped, 0 rejected\n"
    assert _slugs(show) == ["a-post"]


def test_the_refusal_names_the_url_asked_for(show, feeds):
    origin, target = feeds
    with pytest.raises(InputError) as caught:
        import_source(f"{origin}/via", show)  # /via -> /elsewhere (same host) -> localhost
    assert caught.value.message == (f"{origin}/via: redirects to another host: {target} "
                                    "(pass --follow-redirects to follow it)")


def test_redirects_on_the_same_host_are_followed(show, feeds):
    origin, _ = feeds
    report = import_source(f"{origin}/here", show)  # /here -> /moved -> another port of 127.0.0.1
    assert report.new == ["a-post"] and not report.problems


@pytest.mark.parametrize("path, reason", [
    ("/loop", "cannot fetch the feed (more than 5 redirects)"),
    ("/file", "redirects to 'file:///etc/passwd', not an http(s) URL; refused"),
    ("/missing", "cannot fetch the feed (HTTP 404 Not Found); download it and import the file instead"),
])
def test_bad_redirects_and_answers_are_one_clear_line(show, feeds, path, reason):
    origin, _ = feeds
    with pytest.raises(InputError) as caught:
        import_source(f"{origin}{path}", show, follow_redirects=True)
    assert caught.value.reason == reason
    assert _slugs(show) == []


def test_a_url_without_a_host_is_one_clear_line(show):
    with pytest.raises(InputError) as caught:
        import_source("http:///feed.xml", show)
    assert caught.value.message == ("http:///feed.xml: cannot fetch the feed (no host in the URL); "
                                    "download it and import the file instead")
