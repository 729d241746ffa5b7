"""Shared fixtures: the corpus, the sample show, and the CI rule for optional components."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "interconnects"
SEEDS = REPO.parent / "shared" / "seeds"
SAMPLE_SHOW = REPO / "episodes"
SAMPLE_POST = SAMPLE_SHOW / "posts" / "brakes-on-an-intelligence-explosion.md"
IN_CI = os.environ.get("CI") == "true"


def require(available: bool, reason: str) -> None:
    """Skip a test whose component (system package, extra) is missing; in CI, fail instead."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def recorded(monkeypatch, engine: type) -> list[str]:
    """The texts ``engine`` will be given, as a list filled while it synthesizes."""
    given: list[str] = []
    synthesize = engine.synthesize

    def recording(self, sentences):
        sentences = list(sentences)
        given.extend(sentences)
        return synthesize(self, sentences)

    monkeypatch.setattr(engine, "synthesize", recording)
    return given


def corpus_posts() -> list[Path]:
    """The 63 real posts, read in place from ../shared/corpus (never copied into the repo)."""
    return sorted(CORPUS.glob("*.md"))


@pytest.fixture
def corpus() -> list[Path]:
    posts = corpus_posts()
    require(bool(posts), f"the corpus is missing at {CORPUS}")
    return posts


@pytest.fixture
def sample_show(tmp_path: Path) -> Path:
    """A private copy of the sample show (settings and sample post), safe to render into."""
    show = tmp_path / "show"
    shutil.copytree(SAMPLE_SHOW, show, ignore=shutil.ignore_patterns("rendered", "site", ".cache", "catalog.sqlite*"))
    return show
