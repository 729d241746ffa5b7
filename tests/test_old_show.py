"""A show made by an earlier release (8028cfd: import, render, batch, publish with the fake
voice) still works: the same CLI reads its settings, migrates its catalogue, renders nothing
twice and publishes the same identities (channel GUID, item GUIDs, private-feed URL)."""

from __future__ import annotations

import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from audio.cli import main

FIXTURE = Path(__file__).parent / "golden" / "old-show" / "show-8028cfd.tar.gz"
PODCAST = "{https://podcastindex.org/namespace/1.0}"


def _identities(feed: Path) -> tuple[str, list[str]]:
    channel = etree.parse(str(feed)).getroot().find("channel")
    return channel.findtext(f"{PODCAST}guid"), sorted(item.findtext("guid") for item in channel.iter("item"))


@pytest.fixture
def old_show(tmp_path) -> Path:
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path / "show"


def test_a_show_made_by_the_last_release_still_works(old_show):
    show = old_show
    [private] = (show / "site" / "private").iterdir()
    public_before = _identities(show / "site" / "feed.xml")
    private_before = _identities(private / "feed.xml")
    records = {p.parent.name: json.loads(p.read_text()) for p in show.glob("rendered/*/*.episode.json")}
    assert {*public_before[1], *private_before[1]} == {r["guid"] for r in records.values()}  # paid: private only

    runner = CliRunner()
    status = runner.invoke(main, ["status", "--show", str(show)])
    assert status.exit_code == 0 and "posts: 0 pending, 0 changed, 2 rendered, 0 failed" in status.output

    batch = runner.invoke(main, ["batch", "--show", str(show), "--jobs", "1"])
    assert batch.exit_code == 0, batch.output
    assert "0 sentences synthesized" in batch.output  # nothing rendered twice
    assert _identities(show / "site" / "feed.xml") == public_before
    assert _identities(private / "feed.xml") == private_before  # the same token: the same private URL

    with sqlite3.connect(show / "catalog.sqlite") as db:  # migrated in place, nothing lost
        migrations = [name for (name,) in db.execute("SELECT name FROM migrations ORDER BY name")]
        assert db.execute("SELECT count(*) FROM posts WHERE status = 'rendered'").fetchone() == (2,)
        # The single private token of that release is now the subscriber "shared": same URL.
        assert db.execute("SELECT label, token, revoked_at FROM subscribers").fetchall() == [
            ("shared", private.name, None)]
    assert migrations[-1] == "0004_subscribers"
    identity = json.loads((show / "catalog.sqlite.identity.json").read_text())
    assert private.name in json.dumps(identity["state"])
    assert sorted(identity["guids"].values()) == sorted(r["guid"] for r in records.values())

    post = show / "posts" / "first-essay.md"
    render = runner.invoke(main, ["render", str(post), "--show", str(show), "--quiet"])
    assert render.exit_code == 0, render.output
    again = json.loads((show / "rendered" / "first-essay" / "first-essay.episode.json").read_text())
    assert again["guid"] == records["first-essay"]["guid"] and again["slug"] == "first-essay"
