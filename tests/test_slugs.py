"""One slugifier (``audio.urls.slugify``) for the reader and the importer, giving the slugs
both gave before it: the corpus posts keep their Substack slugs."""

from __future__ import annotations

from conftest import CORPUS, SAMPLE_SHOW, require

from audio.prepare.reader import read_post
from audio.show import load_show
from audio.urls import slugify


def test_slugify():
    assert slugify("Brakes on an intelligence explosion") == "brakes-on-an-intelligence-explosion"
    assert slugify("  --GPT-4o: what's new?!-- ") == "gpt-4o-what-s-new"
    assert slugify("Café au lait") == "café-au-lait"  # letters of any script stay, as the reader always kept them
    assert slugify("!!!") == "" and slugify("") == ""
    assert slugify("a " * 60, max_chars=80) == ("a-" * 40)[:80] and len(slugify("word " * 40, 80)) == 80


def test_corpus_posts_keep_their_substack_slugs():
    require(CORPUS.is_dir(), f"the corpus {CORPUS} is missing")
    show = load_show(SAMPLE_SHOW)
    posts = sorted(CORPUS.glob("*.md"))
    assert posts
    for post in posts:
        meta = read_post(post, show).meta
        assert meta.slug == meta.post_id.partition(".")[2], post.name  # 160875693.brakes-on-x -> brakes-on-x


def test_a_post_file_without_a_post_id_is_named_by_its_file(tmp_path):
    show = load_show(SAMPLE_SHOW)
    for name, slug in (("My First_Post.md", "my-first-post"), ("123.a-post.md", "a-post"), ("---.md", "post")):
        post = tmp_path / name
        post.write_text("---\ntitle: T\n---\nSome words.\n", encoding="utf-8")
        assert read_post(post, show).meta.slug == slug
