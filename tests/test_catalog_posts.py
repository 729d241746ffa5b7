"""The catalogue's posts and renders: migrations, idempotent imports, render records, the show lock."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from audio.catalog import Catalog, PostRecord, RenderRecord
from audio.errors import CatalogError
from audio.work import show_lock


def _post(key: str, slug: str, content: str = "h1", **kw) -> PostRecord:
    return PostRecord(key=key, slug=slug, source=f"posts/{slug}.md", content_hash=content, meta={"title": slug}, **kw)


def test_migrations_are_named_recorded_and_upgrade_an_old_catalogue(tmp_path):
    path = tmp_path / "catalog.sqlite"
    db = sqlite3.connect(path)  # a catalogue from before the back catalogue: only 0001_state
    db.executescript(
        "CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL);"
        "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE guids (post_key TEXT PRIMARY KEY, guid TEXT NOT NULL UNIQUE);"
        "INSERT INTO migrations VALUES ('0001_state', 'then');"
        "INSERT INTO guids VALUES ('1.a', 'guid-a');"
    )
    db.close()
    with Catalog(path) as catalog:
        assert catalog.applied_migrations() == ["0001_state", "0002_posts_renders", "0003_slugs", "0004_subscribers"]
        assert catalog.guid_for("1.a", "other") == "guid-a"  # old state survives
        assert catalog.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Catalog(path) as catalog:  # reopening applies nothing twice
        assert catalog.applied_migrations() == ["0001_state", "0002_posts_renders", "0003_slugs", "0004_subscribers"]


def test_import_is_idempotent_and_marks_changed_posts(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        assert catalog.import_posts([_post("1.a", "a"), _post("2.b", "b")]) == {"1.a": "new", "2.b": "new"}
        assert catalog.import_posts([_post("1.a", "a"), _post("2.b", "b")]) == {"1.a": "unchanged", "2.b": "unchanged"}
        assert len(catalog.posts()) == 2
        catalog.record_render("1.a", RenderRecord(voice="joe", content_hash="h1", duration_s=60.0))
        # new content: the rendered post becomes changed, the pending one stays pending
        assert catalog.import_posts([_post("1.a", "a", "h2"), _post("2.b", "b", "h2")]) == {"1.a": "changed", "2.b": "changed"}
        assert {p.slug: p.status for p in catalog.posts()} == {"a": "changed", "b": "pending"}


def test_a_post_without_post_id_matches_by_slug_and_slug_clashes_are_refused(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        catalog.import_posts([_post("a", "a")])  # e.g. from a feed: key is the slug
        assert catalog.import_posts([_post("1.a", "a")]) == {"1.a": "unchanged"}  # the export row of the same post
        assert [p.key for p in catalog.posts()] == ["1.a"]
        outcome = catalog.import_posts([_post("9.a", "a")])["9.a"]
        assert outcome.startswith("conflict") and "'1.a'" in outcome
        assert len(catalog.posts()) == 1


def test_drafts_are_skipped_until_published(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        assert catalog.import_posts([_post("1.d", "d")], drafts={"1.d"}) == {"1.d": "draft"}
        assert catalog.status_counts()["skipped"] == 1
        assert catalog.import_posts([_post("1.d", "d")]) == {"1.d": "new"}
        assert catalog.post("1.d").status == "pending"


def test_render_records_set_the_status_and_keep_history(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        catalog.import_posts([_post("1.a", "a", word_count=300), _post("2.b", "b")])
        catalog.record_render("2.b", RenderRecord(voice="joe", content_hash="h1", error="boom"))
        catalog.record_render("1.a", RenderRecord(voice="joe", content_hash="h1", duration_s=100.0, wall_s=3.0,
                                                  sentences=10, synthesized=10, guid="g-a", files={"audio": "a.mp3"}))
        assert catalog.post("1.a").status == "rendered" and catalog.post("1.a").guid == "g-a"
        failed = catalog.failures()
        assert [(p.slug, p.error) for p in failed] == [("b", "boom")]
        (post, render), = catalog.latest_renders()
        assert post.slug == "a" and render.files == {"audio": "a.mp3"} and render.duration_s == 100.0
        rtf, per_word = catalog.measured_rtf("joe")
        assert rtf == pytest.approx(0.03) and per_word == pytest.approx(100 / 300)
        # a render of content that changed meanwhile does not mark the post rendered
        catalog.import_posts([_post("1.a", "a", "h2")])
        catalog.record_render("1.a", RenderRecord(voice="joe", content_hash="h1", duration_s=1.0))
        assert catalog.post("1.a").status == "changed"
        count = catalog.db.execute("SELECT count(*) FROM renders").fetchone()[0]
        assert count == 3


def test_a_failed_transaction_changes_nothing(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        catalog.import_posts([_post("1.a", "a")])
        with pytest.raises(CatalogError):
            catalog.record_render("missing", RenderRecord(voice="joe", content_hash="h1"))
        assert catalog.db.execute("SELECT count(*) FROM renders").fetchone()[0] == 0


def test_show_lock_refuses_a_second_holder_and_dies_with_its_process(tmp_path):
    with show_lock(tmp_path):
        with pytest.raises(CatalogError) as exc:
            with show_lock(tmp_path):
                pass
        assert "another batch, import, publish or catalog rebuild is running on this show" in exc.value.reason
    # a holder killed with SIGKILL releases the lock
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from audio.work import show_lock\n"
                               f"with show_lock({str(tmp_path)!r}):\n print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CatalogError) as exc:
            with show_lock(tmp_path):
                pass
        assert f"pid {holder.pid}" in exc.value.reason
    finally:
        holder.kill()
        holder.wait()
    with show_lock(tmp_path):
        pass
