"""Private feeds per subscriber: the CLI, CSV imports from newsletter platforms, what is stored,
one feed per subscriber read by real clients, live revocation under serve, catalog rebuild."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import feedparser
import httpx
import pytest
from click.testing import CliRunner
from conftest import require
from publish_support import Server, free_port, make_show

from audio.catalog import Catalog, identity_path
from audio.cli import main
from audio.publish.build import check_site, publish_site
from audio.publish.serve import make_app
from audio.show import load_show

TITLE = "Interconnects Audio Essays"
SUBSTACK = """\
email,active_subscription,expiry,plan,email_disabled,created_at,first_payment_at
ada@example.org,true,2026-12-01,yearly,false,2024-01-02,2024-01-02
free@example.org,false,,,false,2024-02-03,
lapsed@example.org,false,2025-01-01,monthly,false,2023-05-06,2023-05-06
not an address,true,2026-12-01,yearly,false,2024-01-02,2024-01-02
Ada@Example.org ,true,2026-12-01,yearly,false,2024-01-02,2024-01-02
grace@example.net,true,2026-06-01,monthly,true,2024-03-04,2024-03-04
"""


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def show(tmp_path):
    return load_show(make_show(tmp_path / "show", extra="private_feed = true"))


def _add(show, who: str) -> tuple[int, str]:
    result = cli("subscribers", "add", who, "--show", str(show.folder))
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    return int(line.split()[1]), line.rsplit(" ", 1)[1]


def _token(url: str) -> str:
    return url.split("/private/")[1].split("/")[0]


def test_add_prints_each_subscriber_their_own_url_and_list_shows_them(show):
    first_id, first = _add(show, "Ada Lovelace")
    second_id, second = _add(show, "grace@example.net")
    assert (first_id, second_id) == (1, 2) and first != second
    for url in (first, second):
        assert url.startswith("https://audio.interconnects.ai/private/") and url.endswith("/feed.xml")
        assert len(_token(url)) >= 32
    listing = cli("subscribers", "list", "--show", str(show.folder))
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:3] == ["1", "Ada", "Lovelace"] and lines[0].endswith(first) and "(active, added" in lines[0]
    assert lines[1].split()[:2] == ["2", "g…@example.net"] and lines[1].endswith(second)
    assert "2 active, 0 revoked" in listing.stderr


def test_an_email_is_kept_only_masked_and_hashed(show):
    _add(show, "Grace.Hopper@Example.net")
    again = cli("subscribers", "add", "grace.hopper@example.NET ", "--show", str(show.folder))
    assert again.exit_code == 2
    assert again.output == f"audio-essay: {show.catalog_path}: G…@example.net is already a subscriber (id 1)\n"
    stored = [show.catalog_path.read_bytes(), identity_path(show.catalog_path).read_bytes()]
    stored += [p.read_bytes() for p in show.folder.glob("catalog.sqlite*")]
    for data in stored:
        assert b"hopper" not in data.lower() and b"grace" not in data.lower()
    with sqlite3.connect(show.catalog_path) as db:
        assert db.execute("SELECT label, length(email_hash), revoked_at FROM subscribers").fetchall() == [
            ("G…@example.net", 64, None)]
        columns = [row[1] for row in db.execute("PRAGMA table_info(subscribers)")]
    assert columns == ["id", "token", "label", "email_hash", "created_at", "revoked_at"]


def test_import_takes_the_paying_subscribers_of_a_substack_export_once(show, tmp_path):
    export = tmp_path / "email_list.csv"
    export.write_text(SUBSTACK, encoding="utf-8")
    result = cli("subscribers", "import", str(export), "--show", str(show.folder))
    assert result.exit_code == 0, result.output
    assert result.output == (f"{export}: 2 added, 4 skipped (2 not paying, 0 already known, 1 repeated, 1 without an "
                             "email); `audio-essay subscribers list` shows their URLs\n")
    again = cli("subscribers", "import", str(export), "--show", str(show.folder))
    assert again.output.startswith(f"{export}: 0 added, 6 skipped (2 not paying, 3 already known, 0 repeated, 1 ")
    with Catalog(show.catalog_path) as catalog:
        assert [s.label for s in catalog.subscribers()] == ["a…@example.org", "g…@example.net"]


def test_import_reads_ghost_and_buttondown_exports(show, tmp_path):
    ghost = tmp_path / "members.csv"
    ghost.write_text("\ufeffid,Email,name,status,deleted_at\n1,paid@ghost.example,Pat,paid,\n"
                     "2,free@ghost.example,Fay,free,\n3,comp@ghost.example,Cy,comped,\n"
                     "4,gone@ghost.example,Gus,paid,2025-01-01\n", encoding="utf-8")
    result = cli("subscribers", "import", str(ghost), "--show", str(show.folder))
    assert result.output.startswith(f"{ghost}: 2 added, 2 skipped (2 not paying,")
    buttondown = tmp_path / "buttondown.csv"
    buttondown.write_text("Email Address,subscriber_type,creation_date\nreg@bd.example,regular,2024-01-01\n"
                          "prem@bd.example,premium,2024-01-01\n", encoding="utf-8")
    result = cli("subscribers", "import", str(buttondown), "--show", str(show.folder))
    assert result.output.startswith(f"{buttondown}: 1 added, 1 skipped (1 not paying,")
    plain = tmp_path / "plain.csv"
    plain.write_text("EMAIL\nsomeone@plain.example\n", encoding="utf-8")  # says nothing of payment: all taken
    assert cli("subscribers", "import", str(plain), "--show", str(show.folder)).output.startswith(f"{plain}: 1 added")
    with Catalog(show.catalog_path) as catalog:
        assert [s.label for s in catalog.subscribers()] == [
            "p…@ghost.example", "c…@ghost.example", "p…@bd.example", "s…@plain.example"]


def test_a_csv_without_an_email_column_is_refused_in_one_line(show, tmp_path):
    names = tmp_path / "names.csv"
    names.write_text("name,plan\nAda,yearly\n", encoding="utf-8")
    result = cli("subscribers", "import", str(names), "--show", str(show.folder))
    assert result.exit_code == 2
    assert result.output == f"audio-essay: {names}: no email column in this CSV (its header has: name, plan)\n"
    missing = cli("subscribers", "import", str(tmp_path / "nope.csv"), "--show", str(show.folder))
    assert missing.exit_code == 2 and missing.output.startswith(f"audio-essay: {tmp_path / 'nope.csv'}: not a readable")
    assert missing.output.count("\n") == 1
    with Catalog(show.catalog_path) as catalog:
        assert catalog.subscribers() == []


def test_revoke_of_an_unknown_subscriber_is_one_line(show):
    result = cli("subscribers", "revoke", "7", "--show", str(show.folder))
    assert result.exit_code == 2
    assert result.output == (f"audio-essay: {show.catalog_path}: no subscriber '7' (`audio-essay subscribers list` "
                             "shows them)\n")


def _feed(site: Path, token: str) -> feedparser.FeedParserDict:
    return feedparser.parse((site / "private" / token / "feed.xml").read_bytes())


def test_each_subscriber_gets_a_private_feed_and_a_revoked_one_is_gone_at_the_next_publish(show):
    _, ada = _add(show, "Ada")
    grace_id, grace = _add(show, "grace@example.net")
    report = publish_site(show)
    site = show.site_dir
    assert report.private_feeds == 2 and report.private_feed_url == ""  # no shared subscriber once any is added
    for url in (ada, grace):
        feed = _feed(site, _token(url))
        assert feed.feed.title == f"{TITLE} (paid subscribers)"
        assert [link.href for link in feed.feed.links if link.rel == "self"] == [url]
        assert len(feed.entries) == 4 and "A paid-only post" in {e.title for e in feed.entries}
    ada_feed = (site / "private" / _token(ada) / "feed.xml").read_bytes()
    assert ada_feed.replace(_token(ada).encode(), _token(grace).encode()) == \
        (site / "private" / _token(grace) / "feed.xml").read_bytes()  # the feeds differ by their token only
    assert check_site(site) == []
    public = (site / "feed.xml").read_text()
    assert "A paid-only post" not in public and "private/" not in public and "(paid subscribers)" not in public

    revoked = cli("subscribers", "revoke", "grace@example.net", "--show", str(show.folder))
    assert revoked.exit_code == 0 and revoked.stdout.split()[:2] == [str(grace_id), "g…@example.net"]
    assert "(revoked " in revoked.stdout
    assert (site / "private" / _token(grace) / "feed.xml").exists()  # until the next publish
    report = publish_site(show)
    assert report.private_feeds == 1 and not (site / "private" / _token(grace)).exists()
    assert (site / "private" / _token(ada) / "feed.xml").read_bytes() == ada_feed
    assert check_site(site) == []


def test_with_every_subscriber_revoked_the_paid_episodes_are_left_out_with_the_reason(show):
    _add(show, "Ada")
    cli("subscribers", "revoke", "1", "--show", str(show.folder))
    report = publish_site(show)
    assert report.private_feeds == 0 and not (show.site_dir / "private").exists()
    assert "1 episode(s) for paid subscribers left out: every subscriber is revoked: add one with `audio-essay " \
           "subscribers add`" in report.warnings


def test_add_warns_when_the_private_feed_is_off(tmp_path):
    show = load_show(make_show(tmp_path / "show"))
    result = cli("subscribers", "add", "Ada", "--show", str(show.folder))
    assert result.exit_code == 0 and result.stdout.startswith("subscriber 1 (Ada): https://audio.interconnects.ai/")
    assert result.stderr == ("warning: [publish] private_feed is false: set it to true and publish to make this URL "
                             "work\n")


def test_cli_serve_with_the_show_asks_its_catalogue(show, monkeypatch):
    import audio.publish.serve

    calls = []
    monkeypatch.setattr(audio.publish.serve, "run_server", lambda site, **options: calls.append((site, options)))
    publish_site(show)
    assert cli("serve", "--show", str(show.folder), "--port", "8123").exit_code == 0
    assert cli("serve", "--site", str(show.site_dir)).exit_code == 0
    assert [(Path(site), options["catalog_path"]) for site, options in calls] == [
        (show.site_dir, show.catalog_path), (show.site_dir, None)]


def test_a_custom_suffix_titles_the_private_feed(tmp_path):
    show = load_show(make_show(tmp_path / "show", extra='private_feed = true\nprivate_title_suffix = " — members"'))
    report = publish_site(show)
    assert _feed(show.site_dir, _token(report.private_feed_url)).feed.title == f"{TITLE} — members"


def test_the_shared_token_of_earlier_releases_keeps_working_until_revoked(show):
    shared_url = publish_site(show).private_feed_url  # no subscriber yet: one shared feed, as before
    shared = _token(shared_url)
    with Catalog(show.catalog_path) as catalog:
        assert [(s.id, s.label, s.token) for s in catalog.subscribers()] == [(1, "shared", shared)]
    paid = show.site_dir / "private" / shared / "episodes" / "paid-post.mp3"
    assert paid.is_file()
    _, ada = _add(show, "Ada")
    report = publish_site(show)
    assert report.private_feed_url == shared_url and report.private_feeds == 2
    assert paid.is_file()  # the paid files keep their URLs while the shared token lives
    cli("subscribers", "revoke", "1", "--show", str(show.folder))
    report = publish_site(show)
    assert report.private_feed_url == "" and report.private_feeds == 1
    assert not (show.site_dir / "private" / shared).exists()  # nothing is left under the revoked token
    [episodes] = [p for p in (show.site_dir / "private").iterdir() if p.name != _token(ada)]
    assert (episodes / "episodes" / "paid-post.mp3").is_file() and not (episodes / "feed.xml").exists()
    enclosures = {e.enclosures[0].href for e in _feed(show.site_dir, _token(ada)).entries}
    assert f"https://audio.interconnects.ai/private/{episodes.name}/episodes/paid-post.mp3" in enclosures
    assert check_site(show.site_dir) == []


def test_serve_answers_410_for_a_revoked_token_at_once_and_private_is_not_cached_publicly(show):
    _, ada = _add(show, "Ada")
    _, grace = _add(show, "Grace")
    publish_site(show)
    with Server(make_app(show.site_dir, show.catalog_path)) as server, httpx.Client(base_url=server.url) as client:
        path = f"/private/{_token(grace)}/feed.xml"
        before = client.get(path)
        assert before.status_code == 200 and before.headers["cache-control"] == "private, max-age=300"
        assert client.get("/feed.xml").headers["cache-control"] == "public, max-age=300"
        mp3 = next(e.enclosures[0].href for e in feedparser.parse(before.content).entries if "paid" in e.title.lower())
        assert client.get(mp3.removeprefix("https://audio.interconnects.ai")).headers["cache-control"].startswith(
            "private")
        assert cli("subscribers", "revoke", "2", "--show", str(show.folder)).exit_code == 0
        gone = client.get(path)  # no publish in between: serve asks the catalogue
        assert gone.status_code == 410 and gone.headers["cache-control"] == "private, no-store"
        assert client.head(path).status_code == 410
        assert client.get(f"/private/{_token(ada)}/feed.xml").status_code == 200
        publish_site(show)
        assert client.get(path).status_code == 410  # still gone (and now gone from the site too)
        assert client.get(f"/private/{_token(ada)}/feed.xml").status_code == 200


def test_catalog_rebuild_keeps_every_subscriber_token_id_and_revocation(show):
    _, ada = _add(show, "Ada")
    _, grace = _add(show, "grace@example.net")
    cli("subscribers", "revoke", "2", "--show", str(show.folder))
    publish_site(show)
    before = cli("subscribers", "list", "--show", str(show.folder)).stdout
    show.catalog_path.write_bytes(show.catalog_path.read_bytes()[:3000])  # damaged
    assert cli("catalog", "rebuild", "--show", str(show.folder)).exit_code == 0
    assert cli("subscribers", "list", "--show", str(show.folder)).stdout == before
    again = cli("subscribers", "add", "Grace@example.net", "--show", str(show.folder))  # the hash key survived too
    assert again.output.endswith("g…@example.net was revoked (id 2)\n")
    publish_site(show)
    assert (show.site_dir / "private" / _token(ada) / "feed.xml").is_file()
    assert not (show.site_dir / "private" / _token(grace)).exists()
    kept = json.loads(identity_path(show.catalog_path).read_text())["subscribers"]
    assert set(kept) == {_token(ada), _token(grace)} and kept[_token(grace)]["revoked_at"]


def test_gpodder_and_feedparser_read_a_subscribers_private_feed_over_loopback(tmp_path):
    require(shutil.which("gpo") is not None, "gPodder's gpo is not installed (apt-get install gpodder python3-gi)")
    port = free_port()
    show = load_show(make_show(tmp_path / "show", site_url=f"http://127.0.0.1:{port}", extra="private_feed = true"))
    _, url = _add(show, "Ada")
    publish_site(show, preview=True)
    home, downloads = tmp_path / "gpodder", tmp_path / "downloads"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GPODDER_HOME": str(home),
           "GPODDER_DOWNLOAD_DIR": str(downloads), "LANG": os.environ.get("LANG", "C.UTF-8")}

    def gpo(*args: str) -> str:
        result = subprocess.run(["gpo", *args], check=False, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    with Server(make_app(show.site_dir, show.catalog_path), port=port):
        parsed = feedparser.parse(httpx.get(url).content)
        assert parsed.feed.title == f"{TITLE} (paid subscribers)" and len(parsed.entries) == 4
        assert f"Successfully added {url}" in gpo("subscribe", url)
        assert "4 new episodes" in gpo("update")
        assert "4 episodes downloaded" in gpo("download")
    got = {p.name for p in downloads.rglob("*.mp3")}
    assert got == {"first-post.mp3", "second-post.mp3", "third-post.mp3", "paid-post.mp3"}
