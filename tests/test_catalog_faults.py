"""The catalogue is the show's memory: a damaged file is refused, never recreated;
``catalog rebuild`` keeps every token and GUID; a read-only catalogue or show is refused
before any synthesis; two posts that want one slug get two; ``status`` sees a deleted MP3."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import recorded
from test_batch import make_show

from audio.back_catalogue.batch import run_batch, show_status
from audio.back_catalogue.importer import import_source
from audio.catalog import Catalog, identity_path
from audio.cli import main
from audio.episode_store import list_episodes
from audio.errors import CatalogError
from audio.show import load_show
from audio.synth.engines.fake import FakeEngine

HINT = "left as it is; `audio-essay catalog rebuild` sets it aside and rebuilds it from the rendered episodes"
PRIVATE = '[publish]\nsite_url = "https://podcast.test"\nprivate_feed = true\n'


def write_post(folder: Path, name: str, title: str, post_id: str = "", audience: str = "everyone") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    front = f"title: {title}\ndate: 2024-05-01\naudience: {audience}\n" + (f"post_id: \"{post_id}\"\n" if post_id else "")
    path = folder / name
    path.write_text(f"---\n{front}---\n{title} makes a point about catalogues. It makes a second one.\n\n"
                    "A second paragraph, so that there is a pause to master.\n", encoding="utf-8")
    return path


def private_show(folder: Path):
    show = make_show(folder)
    with open(show.config_path, "a", encoding="utf-8") as f:
        f.write(PRIVATE)
    return load_show(folder)


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def no_synthesis(monkeypatch):
    """Every sentence the fake engine is asked to speak."""
    return recorded(monkeypatch, FakeEngine)


# --- a damaged catalogue is refused, never recreated ---------------------------------------------

def _zero(path: Path) -> None:
    path.write_bytes(b"")


def _foreign(path: Path) -> None:
    path.write_text("name,value\nnot,a catalogue\n", encoding="utf-8")


def _other_sqlite(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.commit()
    db.close()


def _truncated(path: Path) -> None:
    with Catalog(path) as catalog:
        catalog.state_once("publish.private_token", lambda: "secret-token")
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 3)


@pytest.mark.parametrize("damage, reason", [
    (_zero, "empty file (0 bytes), not a catalogue"),
    (_foreign, "not an SQLite file, so not a catalogue"),
    (_other_sqlite, "an SQLite file without the catalogue's tables"),
    (_truncated, "damaged (database disk image is malformed)"),
])
def test_a_damaged_catalogue_is_refused_with_one_line_and_left_untouched(tmp_path, damage, reason):
    show = private_show(tmp_path / "show")
    post = write_post(show.posts_dir, "a-post.md", "A post")
    damage(show.catalog_path)
    before = show.catalog_path.read_bytes()
    identity = identity_path(show.catalog_path)
    kept = identity.read_bytes() if identity.exists() else None
    line = f"audio-essay: {show.catalog_path}: {reason}: {HINT}\n"
    for args in (["status"], ["publish"], ["batch"], ["import", str(show.posts_dir)],
                 ["render", str(post), "--quiet"]):
        result = cli(*args, "--show", str(show.folder))
        assert (result.exit_code, result.output) == (2, line), args
    assert show.catalog_path.read_bytes() == before  # not recreated, not repaired, not touched
    assert (identity.read_bytes() if identity.exists() else None) == kept  # no token minted
    assert not show.site_dir.exists() and not show.rendered_dir.exists()


# --- catalog rebuild keeps every identity ----------------------------------------------------------

def _feed(site: Path, token: str = "") -> tuple[str, list[str]]:
    import feedparser

    path = site / "private" / token / "feed.xml" if token else site / "feed.xml"
    feed = feedparser.parse(path.read_bytes())
    return feed.feed["podcast_guid"], sorted(e.id for e in feed.entries)


def test_a_catalogue_truncated_mid_run_is_rebuilt_with_the_same_guids_tokens_and_episodes(tmp_path):
    show = private_show(tmp_path / "show")
    write_post(show.posts_dir, "first.md", "First post", post_id="101.first")
    write_post(show.posts_dir, "second.md", "Second post", post_id="102.second", audience="only_paid")
    import_source(show.posts_dir, show)
    report = run_batch(show, jobs=1)
    assert len(report.rendered) == 2 and report.site.startswith("site rebuilt")
    token = cli("publish", "--show", str(show.folder)).output.split("/private/")[1].split("/")[0]
    public, private = _feed(show.site_dir), _feed(show.site_dir, token)
    with Catalog(show.catalog_path) as catalog:
        identity = catalog.identity()
        posts = {(p.key, p.slug, p.status, p.content_hash, p.guid) for p in catalog.posts()}
    assert identity["state"]["publish.private_token"] == token and len(identity["guids"]) == 2
    assert json.loads(identity_path(show.catalog_path).read_text(encoding="utf-8"))["state"] == identity["state"]

    broken = show.catalog_path.read_bytes()[:6000]  # the file cut short, as by a full disk or a bad copy
    show.catalog_path.write_bytes(broken)
    result = cli("status", "--show", str(show.folder))
    assert result.exit_code == 2 and "catalog rebuild" in result.output and result.output.count("\n") == 1

    result = cli("catalog", "rebuild", "--show", str(show.folder))
    assert result.exit_code == 0, result.output
    [aside] = show.folder.glob("catalog.sqlite.broken-*")
    assert aside.read_bytes() == broken  # set aside, never deleted
    assert "2 posts, 2 recorded as rendered, from 2 episodes on disk" in result.output
    with Catalog(show.catalog_path) as catalog:
        assert {k: catalog.identity()[k] for k in ("state", "guids")} == {k: identity[k] for k in ("state", "guids")}
        assert {(p.key, p.slug, p.status, p.content_hash, p.guid) for p in catalog.posts()} == posts
    again = cli("publish", "--show", str(show.folder))
    assert f"/private/{token}/feed.xml" in again.output
    assert _feed(show.site_dir) == public and _feed(show.site_dir, token) == private
    assert run_batch(show, jobs=1, publish=False).rendered == []  # nothing rendered twice


def test_a_lost_catalogue_is_made_anew_with_the_identities_kept_beside_it(tmp_path):
    path = tmp_path / "catalog.sqlite"
    with Catalog(path) as catalog:
        token = catalog.state_once("publish.private_token", lambda: "secret-token")
        guid = catalog.guid_for("101.a", "guid-a")
    assert oct(identity_path(path).stat().st_mode & 0o777) == "0o600"  # it holds the private token
    path.unlink()
    with Catalog(path) as catalog:
        assert catalog.state_once("publish.private_token", lambda: "a new token") == token
        assert catalog.guid_for("101.a", "another guid") == guid


# --- read-only: one line before any synthesis --------------------------------------------------------

@pytest.fixture
def shared_show():
    """A show with one rendered post's catalogue, in a folder another user can reach (root
    writes read-only files regardless, so as root the test runs as nobody)."""
    folder = Path(tempfile.mkdtemp(prefix="audio-essay-ro-"))
    folder.chmod(0o755)
    show = make_show(folder / "show")
    write_post(show.posts_dir, "a-post.md", "A post")
    Catalog(show.catalog_path).close()
    if os.geteuid() == 0:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, 65534, 65534)
    yield show
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(folder)


@contextmanager
def unprivileged():
    if os.geteuid() != 0:
        yield
        return
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def test_a_read_only_catalogue_is_refused_before_any_synthesis(shared_show, no_synthesis):
    show = shared_show
    show.catalog_path.chmod(0o444)
    line = (f"audio-essay: {show.catalog_path}: read-only: the catalogue cannot be written (make it writable, "
            "or work on a copy of the show)\n")
    with unprivileged():
        for args in (["render", str(show.posts_dir / "a-post.md"), "--quiet"], ["batch"], ["publish", "--preview"],
                     ["import", str(show.posts_dir)]):
            result = cli(*args, "--show", str(show.folder))
            assert (result.exit_code, result.output) == (2, line), args
        status = cli("status", "--show", str(show.folder))  # reading needs no write
    assert status.exit_code == 0 and "posts: 0 pending" in status.output
    assert no_synthesis == [] and not show.rendered_dir.exists()


def test_a_read_only_show_folder_is_refused_before_any_synthesis(shared_show, no_synthesis):
    show = shared_show
    for path in (show.folder, show.posts_dir):
        path.chmod(0o555)
    with unprivileged():
        result = cli("render", str(show.posts_dir / "a-post.md"), "--quiet", "--show", str(show.folder))
    assert result.exit_code == 2 and result.output == (
        f"audio-essay: {show.folder}: cannot create its lock file .audio-essay.renders.lock (Permission denied)\n")
    assert no_synthesis == []


# --- identity: two posts, one slug ------------------------------------------------------------------

def test_two_posts_that_want_one_slug_get_two_slugs_and_two_guids(tmp_path):
    show = make_show(tmp_path / "show")
    first = write_post(show.posts_dir, "101.same-slug.md", "The first post", post_id="101.same-slug")
    second = write_post(tmp_path / "elsewhere", "202.same-slug.md", "The second post", post_id="202.same-slug")
    for post in (first, second, second, first):  # and again: each keeps its own
        result = cli("render", str(post), "--quiet", "--show", str(show.folder))
        assert result.exit_code == 0, result.output
    episodes = {e.slug: e for e in list_episodes(show.rendered_dir)}
    assert sorted(episodes) == ["same-slug", "same-slug-2"]
    assert episodes["same-slug"].title == "The first post" and episodes["same-slug"].post_id == "101.same-slug"
    assert episodes["same-slug-2"].title == "The second post"
    assert (show.rendered_dir / "same-slug-2" / "same-slug-2.mp3").is_file()
    assert episodes["same-slug"].guid != episodes["same-slug-2"].guid
    kept = json.loads(identity_path(show.catalog_path).read_text(encoding="utf-8"))
    assert kept["slugs"] == {"101.same-slug": "same-slug", "202.same-slug": "same-slug-2"}
    assert cli("publish", "--preview", "--show", str(show.folder)).exit_code == 0


def test_slugs_are_claimed_once_and_a_taken_guid_is_not_shared(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        assert catalog.slug_for("1.a", "a") == "a"
        assert catalog.slug_for("2.a", "a") == "a-2"
        assert catalog.slug_for("1.a", "a") == "a" and catalog.slug_for("2.a", "a") == "a-2"
        assert catalog.slug_for("a", "a") == "a"  # a post without post_id is the post with its slug
        assert catalog.guid_for("1.a", "g") == "g"
        other = catalog.guid_for("2.a", "g")
        assert other != "g" and catalog.guid_for("2.a", "g") == other
    with pytest.raises(CatalogError) as error:  # any SQLite failure leaves as one line naming the file
        with Catalog(tmp_path / "c.sqlite") as catalog:
            catalog.db.execute("SELECT * FROM nowhere")
    assert error.value.message == f"{tmp_path / 'c.sqlite'}: cannot use the catalogue (no such table: nowhere)"


# --- status sees a deleted MP3 ---------------------------------------------------------------------

def test_status_says_missing_when_a_rendered_mp3_was_deleted_and_batch_renders_it_again(tmp_path):
    show = make_show(tmp_path / "show")
    write_post(show.posts_dir, "kept.md", "Kept post")
    write_post(show.posts_dir, "lost.md", "Lost post")
    import_source(show.posts_dir, show)
    assert len(run_batch(show, jobs=1, publish=False).rendered) == 2
    (show.rendered_dir / "lost" / "lost.mp3").unlink()
    state = show_status(show)
    assert (state.counts["rendered"], state.counts["missing"], state.due) == (1, 1, 1)
    result = cli("status", "--show", str(show.folder))
    assert "1 rendered, 0 failed, 0 skipped, 1 missing" in result.output
    assert "  lost (2024-05-01, " in result.output and "words, missing)" in result.output
    assert [r.slug for r in run_batch(show, jobs=1, publish=False).rendered] == ["lost"]
    assert show_status(show).counts["missing"] == 0
