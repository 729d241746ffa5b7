"""One contract, every input format: what the preparer and the importer rely on from any
reader the ``audio_essay.readers`` registry finds (the built-ins and any installed one).

Each reader has a sample of its kind (built here, small) and a damaged one. A new reader
needs both: the suite fails for a reader without them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, Callable

import pytest
from prepare_helpers import make_show

from audio import plugins
from audio.back_catalogue.importer import import_source
from audio.errors import AudioEssayError, ConfigError
from audio.limits import ImportLimits
from audio.models import ParsedPost
from audio.prepare import read_post
from audio.readers import registry
from audio.readers.base import ENTRY_POINT_GROUP, Source
from audio.readers.pandoc import meta_text, read_ast

MARKDOWN = "---\ntitle: A post\ndate: 2025-04-30\npost_id: 7.a-post\n---\nSome prose, enough to read.\n"
HTML = ('<!DOCTYPE html><html><head><title>A page</title></head><body>'
        '<h1 class="post-title">A page</h1><div class="body markup"><p>Some prose, enough to read.</p></div>'
        '</body></html>')
FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>A newsletter</title><link>https://example.org</link>
<item><title>A feed post</title><link>https://example.org/p/a-feed-post</link>
<pubDate>Wed, 30 Apr 2025 12:00:00 GMT</pubDate>
<content:encoded><![CDATA[<p>Some prose, enough to read.</p>]]></content:encoded></item>
</channel></rss>
"""


def _export_files() -> dict[str, str]:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["post_id", "post_date", "is_published", "title", "audience"])
    writer.writerow(["1001.a-post", "2025-04-30T12:00:00.000Z", "true", "A post", "everyone"])
    return {"posts.csv": out.getvalue(), "posts/1001.a-post.html": "<p>Some prose, enough to read.</p>"}


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _zip(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@dataclass
class Sample:
    """``post``: a post file of the reader's format; ``sources``: what ``import`` is given."""

    post: Callable[[Path], Path] | None = None
    sources: list[Callable[[Path], str]] | None = None
    damaged: Callable[[Path], Any] = None  # reads a damaged input with the reader under test


def _post_file(name: str, text: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / name).write_text(text, encoding="utf-8")
        return tmp / name
    return make


def _read(name: str, text: str) -> Callable[[Path], Any]:
    """The reader's ``read`` of a damaged post file."""
    def damaged(tmp: Path) -> Any:
        path = _post_file(name, text)(tmp)
        return registry.post_readers()[registry.post_reader(path, text).name].read(path, text)
    return damaged


def _items(reader: str, make: Callable[[Path], str], limits: ImportLimits = ImportLimits()) -> Callable[[Path], Any]:
    """The reader's items of a damaged source."""
    def damaged(tmp: Path) -> Any:
        source = Source(make(tmp), limits)
        assert _chosen(source).name == reader
        return list(_chosen(source).items(source))
    return damaged


def _chosen(source: Source):
    return registry.source_reader(source)


SAMPLES: dict[str, Sample] = {
    "markdown": Sample(
        post=_post_file("post.md", MARKDOWN),
        damaged=_read("bomb.md", "---\na: &a [x, x]\nb: [*a, *a]\n---\nProse.\n"),  # a YAML alias
    ),
    "html": Sample(
        post=_post_file("page.html", HTML),
        damaged=_read("deep.html", "<div>" * 200 + "Prose." + "</div>" * 200),  # nested past the limit
    ),
    "substack": Sample(
        sources=[lambda tmp: str(_write(tmp / "export", _export_files())),
                 lambda tmp: str(_zip(tmp / "export.zip", _export_files()))],
        damaged=_items("substack", lambda tmp: str(_zip(tmp / "slip.zip", {**_export_files(), "../evil.html": "x"}))),
    ),
    "feed": Sample(
        sources=[lambda tmp: str(_post_file("feed.xml", FEED)(tmp)), lambda tmp: "https://example.org/feed"],
        damaged=_items("feed", lambda tmp: str(_post_file("feed.xml", FEED[:FEED.index("<item>")])(tmp))),  # cut short
    ),
    "folder": Sample(
        sources=[lambda tmp: str(_write(tmp / "posts", {"a.md": MARKDOWN, "b/c.html": HTML, ".hidden.md": MARKDOWN})),
                 lambda tmp: str(_post_file("one.md", MARKDOWN)(tmp))],
        damaged=_items("folder", lambda tmp: str(_write(tmp / "many", {"a.md": MARKDOWN, "b.md": MARKDOWN})),
                       ImportLimits(max_files=1)),
    ),
}


def _sampled(request) -> str:
    if request.param not in SAMPLES:
        pytest.fail(f"reader {request.param!r} has no sample in tests/test_readers_contract.py")
    return request.param


@pytest.fixture(params=sorted(registry.available_readers()))
def name(request) -> str:
    return _sampled(request)


@pytest.fixture(params=sorted(registry.post_readers()))
def post_name(request) -> str:
    return _sampled(request)


@pytest.fixture(params=sorted(r.name for r in registry.source_readers()))
def source_name(request) -> str:
    return _sampled(request)


def test_declares_what_it_reads(name):
    reader = registry.available_readers()[name]
    suffixes, layouts = tuple(getattr(reader, "suffixes", ())), tuple(getattr(reader, "layouts", ()))
    assert reader.name == name
    assert suffixes or layouts
    assert all(s.startswith(".") and s == s.lower() for s in suffixes)
    if suffixes:
        assert callable(reader.sniffs) and callable(reader.read)
    if layouts:
        assert isinstance(reader.precedence, int) and callable(reader.recognises) and callable(reader.items)


def test_post_suffixes_belong_to_one_reader():
    owners: dict[str, str] = {}
    for reader in registry.post_readers().values():
        for suffix in reader.suffixes:
            assert suffix not in owners, f"{suffix} is read by {owners[suffix]} and {reader.name}"
            owners[suffix] = reader.name
    assert registry.DEFAULT_POST_READER in registry.post_readers()


def test_a_post_of_its_kind_is_read_by_it_alone(post_name, tmp_path):
    name = post_name
    path = SAMPLES[name].post(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert registry.post_reader(path, text).name == name
    others = [r for r in registry.post_readers().values() if r.name != name]
    assert not [r.name for r in others if r.sniffs(text) or path.suffix in r.suffixes]
    parsed = registry.post_readers()[name].read(path, text)
    # What the preparer completes the metadata from.
    assert isinstance(parsed, ParsedPost) and isinstance(parsed.front, dict)
    assert isinstance(parsed.ast.get("blocks"), list) and parsed.ast["blocks"]
    assert parsed.date is None or (isinstance(parsed.date, datetime) and parsed.date.tzinfo is not None)
    post = read_post(path, make_show(tmp_path / "show"))
    assert post.meta.title in ("A post", "A page") and post.meta.slug


def test_a_source_of_its_kind_is_taken_by_it(source_name, tmp_path):
    """Recognised by this reader; any other that recognises it too comes later by precedence."""
    name = source_name
    reader = next(r for r in registry.source_readers() if r.name == name)
    for i, make in enumerate(SAMPLES[name].sources):
        folder = tmp_path / str(i)
        folder.mkdir()
        source = Source(make(folder))
        assert reader.recognises(source)
        assert registry.source_reader(source).name == name
        also = [r.name for r in registry.source_readers() if r.name != name and r.recognises(source)
                and r.precedence >= reader.precedence]
        assert not also, f"{source.text} is recognised by {name} and, at no lower precedence, by {also}"


def test_a_source_yields_what_the_importer_needs(source_name, tmp_path):
    for i, make in enumerate(SAMPLES[source_name].sources):
        folder = tmp_path / str(i)
        folder.mkdir()
        source = Source(make(folder))
        if source.is_url:
            continue  # fetching is tested against a local server in test_import_faults.py
        items = list(registry.source_reader(source).items(source))
        assert items and not [item.problem for item in items if item.problem]
        for item in items:
            assert item.origin
            assert (item.source_path is not None and item.source_path.is_file()) != (item.html is not None)
            if item.html is not None:
                assert item.slug_hint and item.front.get("title")


def test_a_damaged_input_is_an_error_naming_it(name, tmp_path):
    with pytest.raises(AudioEssayError) as caught:
        SAMPLES[name].damaged(tmp_path)
    assert caught.value.path.startswith(str(tmp_path)) and caught.value.reason and "\n" not in caught.value.message


# A format from another package: one module plus one entry point (the README's example).
class OrgReader:
    name = "org"
    suffixes = (".org",)

    def sniffs(self, text: str) -> bool:
        return False

    def read(self, path: Path, text: str) -> ParsedPost:
        ast = read_ast(path, ["-f", "org"], text)
        return ParsedPost(ast=ast, title=meta_text(ast["meta"], "title"))


def _installed(monkeypatch, **targets: str) -> None:
    eps = [EntryPoint(name=n, value=v, group=ENTRY_POINT_GROUP) for n, v in targets.items()]
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps if group == ENTRY_POINT_GROUP else [])


def test_a_new_format_is_one_module_and_one_entry_point(monkeypatch, tmp_path):
    _installed(monkeypatch, org=f"{__name__}:OrgReader")
    show = make_show(tmp_path / "show")
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "notes.org").write_text("#+title: Org notes\n\nSome prose in Org.\n", encoding="utf-8")
    assert read_post(posts / "notes.org", show).meta.title == "Org notes"
    report = import_source(posts, show)  # the folder reader collects .org files now
    assert (report.kind, report.new, report.problems) == ("folder", ["notes"], [])


def test_the_built_ins_are_found_without_installed_metadata(monkeypatch):
    """A source tree run without installing (or an install from before the group existed)."""
    _installed(monkeypatch)
    assert sorted(registry.available_readers()) == sorted(registry.BUILTIN)


def test_a_reader_that_cannot_be_loaded_is_one_line(monkeypatch, tmp_path):
    _installed(monkeypatch, broken="no_such_package.reader:Reader")
    with pytest.raises(ConfigError) as caught:
        read_post(_post_file("post.md", MARKDOWN)(tmp_path), make_show(tmp_path / "show"))
    assert caught.value.message == ("input format 'broken' cannot be loaded from no_such_package.reader:Reader "
                                    "(No module named 'no_such_package')")
