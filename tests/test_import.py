"""``audio-essay import``: corpus folder, Substack export, feed; idempotence; refused archives."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from audio.back_catalogue.importer import ImportLimits, import_source
from audio.catalog import Catalog
from audio.cli import main
from audio.errors import InputError
from audio.show import load_show


def _rows(show) -> list[tuple]:
    """Everything the catalogue holds about posts, to prove an import changed nothing."""
    if not show.catalog_path.exists():
        return []
    db = sqlite3.connect(show.catalog_path)
    try:
        return db.execute("SELECT key, slug, source, content_hash, status, updated_at FROM posts ORDER BY key").fetchall()
    finally:
        db.close()


@pytest.fixture
def show(tmp_path: Path):
    folder = tmp_path / "show"
    folder.mkdir()
    return load_show(folder)


def _body(post: Path) -> str:
    text = post.read_text(encoding="utf-8")
    return text.split("\n---\n", 1)[1]  # the corpus front matter is not always valid YAML: pandoc gets the body


def _html(post: Path) -> str:
    import pypandoc

    return pypandoc.convert_text(_body(post), "html", format="markdown")


CSV_HEADER = ["post_id", "post_date", "is_published", "email_sent_at", "inbox_sent_at", "type", "audience",
              "title", "subtitle", "podcast_url"]
TRICKY_TITLE = 'Brakes, "quotes", and commas'


def _export(corpus: list[Path]) -> tuple[dict[str, bytes], dict[str, str]]:
    """A Substack export: 3 published posts (one paid, one with a quoted comma in its
    title) and a draft. Returns the files and post_id -> expected title."""
    posts = corpus[:4]
    ids = [f"{1000 + i}.{p.stem.split('-', 3)[3]}" for i, p in enumerate(posts)]
    titles = {ids[0]: "A public post", ids[1]: "A paid post", ids[2]: TRICKY_TITLE, ids[3]: "A draft"}
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for i, post_id in enumerate(ids):
        writer.writerow([post_id, f"2024-0{i + 1}-15T12:00:00.000Z", "false" if i == 3 else "true",
                         f"2024-0{i + 1}-15T12:00:00.000Z", "", "newsletter", "only_paid" if i == 1 else "everyone",
                         titles[post_id], "A subtitle, with a comma", ""])
    files = {"posts.csv": out.getvalue().encode("utf-8")}
    for post_id, post in zip(ids[:3], posts):
        files[f"posts/{post_id}.html"] = _html(post).encode("utf-8")
    return files, titles


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_corpus_folder_imports_once(corpus, show):
    report = import_source(corpus[0].parent, show)
    assert report.kind == "folder" and not report.problems
    assert len(report.new) == len(corpus) == 63
    with Catalog(show.catalog_path) as catalog:
        posts = catalog.posts()
    assert len(posts) == 63 and {p.status for p in posts} == {"pending"}
    post = next(p for p in posts if p.slug == "10-years-of-automation-in-1-year")
    assert post.key == "516347.10-years-of-automation-in-1-year"
    assert post.audience == "everyone" and post.word_count > 500 and post.post_date.startswith("2020-06-12")
    # a stable copy inside the show, byte for byte
    copied = show.folder / post.source
    assert copied.parent == show.posts_dir
    assert copied.read_bytes() == (corpus[0].parent / "2020-06-12-10yearsofautomationin1year.md").read_bytes()
    before = _rows(show)
    again = import_source(corpus[0].parent, show)
    assert len(again.unchanged) == 63 and not again.new and not again.changed
    assert _rows(show) == before  # no duplicates, nothing touched
    assert not list(show.folder.glob(".import-*"))


def test_changed_content_is_marked_for_rerendering(corpus, show, tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    for post in corpus[:2]:
        (folder / post.name).write_bytes(post.read_bytes())
    import_source(folder, show)
    with Catalog(show.catalog_path) as catalog:
        key = catalog.posts()[0].key
        catalog.db.execute("UPDATE posts SET status = 'rendered' WHERE key = ?", (key,))
        edited = show.folder / catalog.post(key).source
    source = folder / next(p.name for p in corpus[:2] if p.read_bytes() == edited.read_bytes())
    source.write_text(source.read_text(encoding="utf-8") + "\nA new closing paragraph.\n", encoding="utf-8")
    report = import_source(folder, show)
    assert len(report.changed) == 1 and len(report.unchanged) == 1
    with Catalog(show.catalog_path) as catalog:
        assert catalog.post(key).status == "changed"
    assert edited.read_text(encoding="utf-8").endswith("A new closing paragraph.\n")


def test_drafts_in_a_folder_are_counted_and_skipped_until_published(corpus, show, tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    marks = ["", "draft: true\n", "published: 'false'\n"]
    for post, mark in zip(corpus[:3], marks):
        (folder / post.name).write_text(post.read_text(encoding="utf-8").replace("---\n", "---\n" + mark, 1),
                                        encoding="utf-8")
    report = import_source(folder, show)
    assert (len(report.new), len(report.drafts), report.problems) == (1, 2, [])
    with Catalog(show.catalog_path) as catalog:
        statuses = {p.slug: (p.status, p.source) for p in catalog.posts()}
    assert sorted(statuses.values()) == [("pending", f"posts/{report.new[0]}.md"), ("skipped", ""), ("skipped", "")]
    assert len(list(show.posts_dir.iterdir())) == 1  # a draft's file stays where the author keeps it
    published = folder / corpus[1].name
    published.write_text(published.read_text(encoding="utf-8").replace("draft: true\n", ""), encoding="utf-8")
    again = import_source(folder, show)
    assert (len(again.new), len(again.unchanged), len(again.drafts)) == (1, 1, 1)
    with Catalog(show.catalog_path) as catalog:
        statuses = {p.slug: (p.status, p.source) for p in catalog.posts()}
    assert statuses[again.new[0]] == ("pending", f"posts/{again.new[0]}.md")
    assert len(list(show.posts_dir.iterdir())) == 2


def test_substack_export_zip_and_folder(corpus, show, tmp_path):
    files, titles = _export(corpus)
    archive = _zip(tmp_path / "export.zip", files)
    report = import_source(archive, show)
    assert report.kind == "substack" and not report.problems
    assert len(report.new) == 3 and len(report.drafts) == 1
    with Catalog(show.catalog_path) as catalog:
        posts = {p.key: p for p in catalog.posts()}
    assert len(posts) == 4
    by_title = {p.meta["title"]: p for p in posts.values()}
    assert set(by_title) == set(titles.values())
    assert by_title["A paid post"].audience == "only_paid"
    assert by_title["A draft"].status == "skipped"
    tricky = by_title[TRICKY_TITLE]
    assert tricky.status == "pending" and tricky.meta["subtitle"] == "A subtitle, with a comma"
    assert tricky.post_date.startswith("2024-03-15")
    body = (show.folder / tricky.source).read_text(encoding="utf-8")
    assert body.startswith("---\n") and tricky.source.startswith("posts/")
    # the post's prose survived HTML -> Markdown
    first_words = " ".join(_body(corpus[2]).split()[:3])
    assert first_words.split()[0] in body
    # the unpacked export is the same posts: nothing new
    unpacked = tmp_path / "unpacked"
    for name, data in files.items():
        (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
        (unpacked / name).write_bytes(data)
    again = import_source(unpacked, show)
    assert len(again.unchanged) == 3 and len(again.drafts) == 1 and not again.new
    assert len(_rows(show)) == 4


def test_zip_slip_and_oversized_archives_are_refused_whole(corpus, show, tmp_path):
    import_source(corpus[0], show)  # something already catalogued
    before = _rows(show)
    files, _ = _export(corpus)
    slip = _zip(tmp_path / "slip.zip", {**files, "../../escaped.html": b"<p>pwned</p>"})
    with pytest.raises(InputError, match="zip-slip"):
        import_source(slip, show)
    absolute = _zip(tmp_path / "abs.zip", {**files, "/tmp/escaped.html": b"<p>pwned</p>"})
    with pytest.raises(InputError, match="outside"):
        import_source(absolute, show)
    huge = _zip(tmp_path / "huge.zip", {**files, "posts/huge.html": b"\0" * (17 * 1024 * 1024)})
    with pytest.raises(InputError, match="over the .*limit"):
        import_source(huge, show)
    assert _rows(show) == before
    assert not (tmp_path / "escaped.html").exists() and not Path("/tmp/escaped.html").exists()
    assert sorted(p.name for p in show.posts_dir.iterdir()) == ["10-years-of-automation-in-1-year.md"]
    # the CLI: one line naming the archive, exit 2, no traceback
    result = CliRunner().invoke(main, ["import", str(slip), "--show", str(show.folder)])
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"audio-essay: {slip}: entry '../../escaped.html'")
    assert "Traceback" not in result.output


def test_bad_files_are_reported_and_the_rest_imported(corpus, show, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.md").write_bytes(corpus[0].read_bytes())
    (folder / "binary.md").write_bytes(b"\x00\x01\x02 not text")
    (folder / "latin1.md").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (folder / "big.md").write_text("word " * 20_000, encoding="utf-8")
    assert corpus[0].stat().st_size < 50_000
    report = import_source(folder, show, limits=ImportLimits(max_file_bytes=50_000))
    assert len(report.new) == 1
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    assert set(reasons) == {"binary.md", "latin1.md", "big.md"}
    assert "over the 50000-byte limit" in reasons["big.md"]
    assert "UTF-8" in reasons["latin1.md"]
    assert len(_rows(show)) == 1
    result = CliRunner().invoke(main, ["import", str(folder), "--show", str(show.folder)])
    assert result.exit_code == 2  # something was rejected: said once per file
    assert result.output.count("audio-essay: ") == 2  # big.md fits the default limit; binary and latin1 do not


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Interconnects</title><link>https://www.interconnects.ai</link><description>d</description>
{items}
</channel></rss>
"""
ITEM = """<item><title>{title}</title><link>https://www.interconnects.ai/p/{slug}</link>
<guid>https://www.interconnects.ai/p/{slug}</guid><pubDate>Mon, 0{n} Jan 2024 10:00:00 GMT</pubDate>
<description>Short summary</description><content:encoded><![CDATA[{html}]]></content:encoded></item>"""


def test_rss_feed_with_full_content(corpus, show, tmp_path):
    items = "".join(ITEM.format(title=f"Post {n}", slug=f"post-{n}", n=n, html=_html(corpus[n])) for n in (1, 2))
    items += "<item><title>Summary only</title><link>https://x.example/p/s</link><description>s</description></item>"
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS.format(items=items), encoding="utf-8")
    report = import_source(feed, show)
    assert report.kind == "feed" and sorted(report.new) == ["post-1", "post-2"]
    assert len(report.problems) == 1 and "no full content" in report.problems[0].reason
    with Catalog(show.catalog_path) as catalog:
        post = catalog.post("post-1")
    assert post.meta["title"] == "Post 1" and post.post_date.startswith("2024-01-01")
    assert post.meta["canonical_url"] == "https://www.interconnects.ai/p/post-1"
    assert sorted(import_source(feed, show).unchanged) == ["post-1", "post-2"]
    assert len(_rows(show)) == 2


def test_feed_url_without_network_is_a_clear_error(show):
    with pytest.raises(InputError, match="cannot fetch the feed"):
        import_source("http://127.0.0.1:9/feed.xml", show)
    assert _rows(show) == []


def test_missing_source(show, tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        import_source(tmp_path / "nope", show)


def test_two_posts_that_want_one_slug_get_distinct_slugs(show, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for post_id, words in (("111.same-slug", "The first post."), ("222.same-slug", "The second post.")):
        (src / f"{post_id.split('.')[0]}.md").write_text(f"---\ntitle: Same\npost_id: \"{post_id}\"\n---\n\n{words}\n",
                                                         encoding="utf-8")
    report = import_source(src, show)
    assert report.problems == [] and sorted(report.new) == ["same-slug", "same-slug-2"]
    with Catalog(show.catalog_path) as catalog:
        slugs = {p.key: p.slug for p in catalog.posts()}
    assert slugs == {"111.same-slug": "same-slug", "222.same-slug": "same-slug-2"}
    texts = {p.name: p.read_text(encoding="utf-8") for p in show.posts_dir.iterdir()}
    assert "The first post." in texts["same-slug.md"] and "The second post." in texts["same-slug-2.md"]
    again = import_source(src, show)  # each post keeps its slug; nothing moves
    assert again.problems == [] and sorted(again.unchanged) == ["same-slug", "same-slug-2"]
