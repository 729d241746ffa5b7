"""Podcast posts (front matter ``type: podcast``): published with their own audio, narrated,
or skipped, as ``[publish] podcast_posts`` says; for one post (``render``) and a back
catalogue (``import``, ``batch``, ``status``). Audio is made by ffmpeg; remote audio is
served by a loopback HTTP server."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import imageio_ffmpeg
import podcastparser
import pytest
from click.testing import CliRunner
from conftest import CORPUS, require
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from publish_support import Server, free_port, make_show, sine_mp3

from audio.back_catalogue.batch import run_batch, show_status
from audio.back_catalogue.importer import import_source
from audio.catalog import Catalog
from audio.cli import main
from audio.episode_store import load_episode
from audio.errors import ConfigError, PostSkipped
from audio.pipeline import render_episode
from audio.publish.build import check_site, publish_site
from audio.publish.serve import make_app
from audio.show import load_show

FAKE_VOICE = 'engine = "fake"\n[params]\nchars_per_second = 300.0\n'
NO_AUDIO = 'podcast post without its own audio: skipped ([publish] podcast_posts = "own-audio"); "narrate" reads it aloud'


def _show(folder: Path, podcast_posts: str | None = None):
    extra = f'podcast_posts = "{podcast_posts}"\n' if podcast_posts else ""
    make_show(folder, extra=extra + '\n[render]\nvoice = "fake"\n')
    (folder / "voices").mkdir(exist_ok=True)
    (folder / "voices" / "fake.toml").write_text(FAKE_VOICE, encoding="utf-8")
    (folder / "posts").mkdir(exist_ok=True)
    return load_show(folder)


def _post(show, name: str, title: str, audio: str | None = None, kind: str = "podcast", date: str = "2025-08-01") -> Path:
    url = f"podcast_url: {audio}\n" if audio else ""
    path = show.posts_dir / f"{name}.md"
    path.write_text(f"---\ntitle: {title}\ndate: {date}\ntype: {kind}\n{url}---\n"
                    f"This week I talk with a guest about {title.lower()}. Listen on "
                    "[Apple Podcasts](https://podcasts.apple.com/us/podcast/x/id1).\n", encoding="utf-8")
    return path


def _tone(path: Path, seconds: float, *options: str) -> Path:
    """A file of a sine tone; its format from the suffix, unless ``options`` say otherwise."""
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency=330:duration={seconds}", *options, "-y", str(path)], check=True)
    return path


def _wav(path: Path, seconds: float) -> Path:
    return _tone(path, seconds, "-ar", "48000", "-ac", "2")


class _Files(SimpleHTTPRequestHandler):
    """Files from the server's folder; ``/moved/<name>`` redirects to them on another host name."""

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        if self.path.startswith("/moved/"):
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_address[1]}/{self.path[7:]}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


@contextmanager
def _serving(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Files, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- one post: render ------------------------------------------------------------------------


def test_a_local_mp3_is_published_byte_for_byte_with_its_own_duration(tmp_path):
    show = _show(tmp_path / "show")
    audio = sine_mp3(3.0)
    (show.posts_dir / "interview.mp3").write_bytes(audio)
    post = _post(show, "an-interview", "An interview", audio="interview.mp3")
    episode = render_episode(post, show)
    mp3 = episode.folder / episode.files["audio"]
    assert episode.files == {"audio": "an-interview.mp3"}  # no transcript, no chapters
    assert mp3.read_bytes() == audio and episode.bytes == len(audio)  # not re-encoded, not re-tagged
    assert episode.sha256 == hashlib.sha256(audio).hexdigest()
    assert episode.duration_s == pytest.approx(MP3(mp3).info.length, abs=0.001)
    assert episode.duration_s == pytest.approx(3.0, abs=0.1)
    assert (episode.own_audio, episode.voice, episode.chapters, episode.encoded_from) == ("interview.mp3", "", (), "")
    assert episode.notes_html.startswith("<p>This week I talk with a guest about an interview.")
    stored = load_episode(episode.folder / "an-interview.episode.json")
    assert stored.own_audio == "interview.mp3" and stored.duration_s == episode.duration_s
    assert sorted(p.name for p in episode.folder.iterdir()) == ["an-interview.episode.json", "an-interview.mp3"]


def test_an_episode_record_from_before_own_audio_still_loads(tmp_path):
    show = _show(tmp_path / "show")
    (show.posts_dir / "interview.mp3").write_bytes(sine_mp3(3.0))
    episode = render_episode(_post(show, "old", "Old", audio="interview.mp3"), show)
    record = episode.folder / "old.episode.json"
    record.write_text(record.read_text(encoding="utf-8").replace('  "own_audio": "interview.mp3",\n', ""),
                      encoding="utf-8")
    assert '"own_audio"' not in record.read_text(encoding="utf-8")
    assert load_episode(record).own_audio == ""


def test_a_wav_is_encoded_to_mp3_with_the_show_settings(tmp_path):
    show = _show(tmp_path / "show")
    _wav(show.posts_dir / "voiceover.wav", 2.0)
    episode = render_episode(_post(show, "voiceover", "(Voiceover) A post", audio="voiceover.wav"), show)
    mp3 = MP3(episode.folder / "voiceover.mp3")
    assert episode.encoded_from == "WAVE" and episode.own_audio == "voiceover.wav"
    assert (mp3.info.sample_rate, mp3.info.channels, mp3.info.bitrate // 1000) == (44100, 1, 96)  # [render] defaults
    assert episode.duration_s == pytest.approx(mp3.info.length, abs=0.001)
    assert episode.duration_s == pytest.approx(2.0, abs=0.1)


def test_aac_is_kept_in_an_m4a_and_not_re_encoded(tmp_path):
    show = _show(tmp_path / "show")
    m4a = _tone(show.posts_dir / "interview.m4a", 3.0, "-c:a", "aac", "-b:a", "64k")
    episode = render_episode(_post(show, "m4a", "M4A", audio="interview.m4a"), show)
    assert episode.files == {"audio": "m4a.m4a"} and episode.encoded_from == ""
    assert (episode.folder / "m4a.m4a").read_bytes() == m4a.read_bytes()
    assert episode.duration_s == pytest.approx(MP4(m4a).info.length, abs=0.001)
    adts = _tone(show.posts_dir / "voiceover.aac", 2.0, "-c:a", "aac", "-b:a", "64k", "-f", "adts")
    episode = render_episode(_post(show, "adts", "ADTS", audio="voiceover.aac"), show)
    remuxed = MP4(episode.folder / "adts.m4a")  # the same AAC frames, in an MP4 container
    assert episode.files == {"audio": "adts.m4a"} and episode.encoded_from == ""
    assert remuxed.info.codec == "mp4a.40.2" and remuxed.info.bitrate // 1000 in range(56, 73)
    assert episode.duration_s == pytest.approx(2.0, abs=0.1)
    assert adts.stat().st_size - 2000 < episode.bytes < adts.stat().st_size + 2000  # no new encoding's size


def test_remote_audio_is_downloaded_following_a_redirect(tmp_path):
    show = _show(tmp_path / "show")
    served = tmp_path / "www"
    served.mkdir()
    audio = sine_mp3(4.0, 550)
    (served / "ep.mp3").write_bytes(audio)
    with _serving(served) as base:
        post = _post(show, "remote", "Remote", audio=f"{base}/moved/ep.mp3")  # -> http://localhost:<port>/ep.mp3
        episode = render_episode(post, show)
        assert (episode.folder / "remote.mp3").read_bytes() == audio
        assert episode.own_audio == f"{base}/moved/ep.mp3"
        assert not list(episode.folder.glob(".*"))  # the download is not left behind
        missing = _post(show, "gone", "Gone", audio=f"{base}/nope.mp3")
        with pytest.raises(PostSkipped) as caught:
            render_episode(missing, show)
    assert caught.value.reason == (
        f"podcast post whose own audio cannot be used ({base}/nope.mp3: cannot fetch the audio (HTTP 404 File not "
        "found); check the post's podcast_url): skipped ([publish] podcast_posts = \"own-audio\")")
    assert not (show.rendered_dir / "gone").exists()


def test_audio_outside_the_post_folder_or_not_audio_is_refused(tmp_path):
    show = _show(tmp_path / "show")
    (tmp_path / "secret.mp3").write_bytes(sine_mp3(1.0))
    with pytest.raises(PostSkipped, match="the file must lie beside the post"):
        render_episode(_post(show, "outside", "Outside", audio="../../secret.mp3"), show)
    (show.posts_dir / "text.mp3").write_text("not audio at all\n", encoding="utf-8")
    with pytest.raises(PostSkipped, match=r"text\.mp3: not audio ffmpeg can read"):
        render_episode(_post(show, "text", "Text", audio="text.mp3"), show)
    with pytest.raises(PostSkipped, match="not an http.s. URL or a file beside the post"):
        render_episode(_post(show, "ftp", "Ftp", audio="ftp://example.org/a.mp3"), show)
    # make_show's episodes only: nothing written, no work folder left behind
    assert sorted(p.name for p in show.rendered_dir.iterdir()) == ["first-post", "paid-post", "second-post", "third-post"]


def test_cli_render_says_what_it_did_or_why_it_skipped(tmp_path):
    show = _show(tmp_path / "show")
    (show.posts_dir / "interview.mp3").write_bytes(sine_mp3(3.0))
    post = _post(show, "with-audio", "With audio", audio="interview.mp3")
    result = CliRunner().invoke(main, ["render", str(post), "--show", str(show.folder)])
    assert result.exit_code == 0, result.output
    folder = show.rendered_dir / "with-audio"
    assert result.output == (f"{folder / 'with-audio.mp3'}: the post's own audio (interview.mp3), kept as it is: "
                             f"0:03 audio, 0.0 MB, {load_episode(folder / 'with-audio.episode.json').loudness_lufs:.1f} LUFS\n")
    bare = _post(show, "no-audio", "No audio")
    result = CliRunner().invoke(main, ["render", str(bare), "--show", str(show.folder)])
    assert result.exit_code == 2
    assert result.output == f"audio-essay: {bare}: {NO_AUDIO}\n"
    assert not (show.rendered_dir / "no-audio").exists()


def test_narrate_reads_a_podcast_post_aloud_and_skip_skips_even_with_audio(tmp_path):
    show = _show(tmp_path / "narrate", "narrate")
    (show.posts_dir / "interview.mp3").write_bytes(sine_mp3(3.0))
    episode = render_episode(_post(show, "narrated", "Narrated", audio="interview.mp3"), show)
    assert episode.voice == "fake" and episode.own_audio == "" and "vtt" in episode.files
    assert episode.stats.sentences > 0
    show = _show(tmp_path / "skip", "skip")
    (show.posts_dir / "interview.mp3").write_bytes(sine_mp3(3.0))
    with pytest.raises(PostSkipped) as caught:
        render_episode(_post(show, "skipped", "Skipped", audio="interview.mp3"), show)
    assert caught.value.reason == 'podcast post: skipped ([publish] podcast_posts = "skip")'
    newsletter = render_episode(_post(show, "essay", "An essay", kind="newsletter"), show)  # other posts: narrated
    assert newsletter.voice == "fake"


def test_a_corpus_podcast_post_without_audio_is_skipped(tmp_path):
    show = _show(tmp_path / "show")
    post = CORPUS / "2024-10-30-voiceoverwhyibuildopenlanguagemodels.md"  # "(Voiceover)": only "Full post:" and a link
    with pytest.raises(PostSkipped) as caught:
        render_episode(post, show)
    assert caught.value.reason == NO_AUDIO


def test_the_setting_is_checked(tmp_path):
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "show.toml").write_text('[publish]\npodcast_posts = "tts"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_show(folder)
    assert caught.value.message == (f'{folder / "show.toml"}: publish.podcast_posts: expected one of "own-audio", '
                                    '"narrate", "skip", got "tts"')


# --- the feed ----------------------------------------------------------------------------


def test_the_feed_carries_the_own_audio_with_its_length_and_duration(tmp_path):
    show = _show(tmp_path / "show")
    audio = sine_mp3(7.0, 660)
    (show.posts_dir / "interview.mp3").write_bytes(audio)
    _wav(show.posts_dir / "voiceover.wav", 2.0)
    _tone(show.posts_dir / "talk.m4a", 5.0, "-c:a", "aac", "-b:a", "64k")
    own = render_episode(_post(show, "an-interview", "An interview", audio="interview.mp3"), show)
    encoded = render_episode(_post(show, "voiceover", "A voiceover", audio="voiceover.wav", date="2025-08-02"), show)
    aac = render_episode(_post(show, "a-talk", "A talk", audio="talk.m4a", date="2025-08-03"), show)
    report = publish_site(show)
    assert report.episodes == 6  # the three public episodes of make_show, and these three
    xml = (show.site_dir / "feed.xml").read_bytes()
    items = {e["title"]: e for e in podcastparser.parse(report.feed_url, io.BytesIO(xml))["episodes"]}
    for episode, suffix, kind, reader in ((own, "mp3", "audio/mpeg", MP3), (encoded, "mp3", "audio/mpeg", MP3),
                                          (aac, "m4a", "audio/x-m4a", MP4)):
        item = items[episode.title]
        site_audio = show.site_dir / "episodes" / f"{episode.slug}.{suffix}"
        assert item["guid"] == episode.guid
        assert item["enclosures"][0]["file_size"] == site_audio.stat().st_size == episode.bytes
        assert item["enclosures"][0]["url"] == f"https://audio.interconnects.ai/episodes/{episode.slug}.{suffix}"
        assert item["enclosures"][0]["mime_type"] == kind
        assert item["total_time"] == round(reader(site_audio).info.length)
    assert (show.site_dir / "episodes" / "an-interview.mp3").read_bytes() == audio
    assert items["An interview"]["total_time"] == 7
    parsed = feedparser.parse(xml)
    entry = next(e for e in parsed.entries if e.title == "An interview")
    assert entry.itunes_duration == "7" and entry.enclosures[0]["length"] == str(len(audio))
    assert "podcast_transcript" not in entry  # no transcript of its own
    assert check_site(show.site_dir) == []


# --- a back catalogue: import, batch, status -------------------------------------------------


def test_batch_publishes_own_audio_skips_with_a_reason_and_status_says_why(tmp_path):
    show = _show(tmp_path / "show")
    (show.posts_dir / "interview.mp3").write_bytes(sine_mp3(3.0))
    _post(show, "an-interview", "An interview", audio="interview.mp3")
    bare = _post(show, "no-audio", "No audio")
    _post(show, "an-essay", "An essay", kind="newsletter")
    import_source(show.posts_dir, show)
    report = run_batch(show, jobs=1)
    assert sorted(r.slug for r in report.rendered) == ["an-essay", "an-interview"] and not report.failed
    assert [(r.slug, r.error) for r in report.set_aside] == [("no-audio", NO_AUDIO)]
    with Catalog(show.catalog_path) as catalog:
        assert catalog.post("no-audio").status == "skipped" and catalog.post("no-audio").error == NO_AUDIO
    state = show_status(show)
    assert state.counts["skipped"] == 1 and state.due == 0 and [p.slug for p in state.set_aside] == ["no-audio"]
    result = CliRunner().invoke(main, ["status", "--show", str(show.folder)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    i = lines.index("skipped by the show's settings (1; `batch --retry-failed` tries them again):")
    assert lines[i + 1] == f"  no-audio: {NO_AUDIO}"
    assert "nothing due" in lines
    assert run_batch(show, jobs=1).rendered == []  # a skipped post is not due again ...
    # ... until its file changes: given audio, it is published
    bare.write_text(bare.read_text(encoding="utf-8").replace("type: podcast\n", "type: podcast\npodcast_url: "
                                                              "interview.mp3\n"), encoding="utf-8")
    again = run_batch(show, jobs=1)
    assert [r.slug for r in again.rendered] == ["no-audio"] and again.set_aside == []
    feed = feedparser.parse((show.site_dir / "feed.xml").read_bytes())
    assert {"An interview", "No audio", "An essay"} <= {e.title for e in feed.entries}


def test_import_from_outside_the_show_brings_the_local_audio_along(tmp_path):
    show = _show(tmp_path / "show")
    source = tmp_path / "elsewhere"
    (source / "audio").mkdir(parents=True)
    audio = sine_mp3(3.0, 880)
    (source / "audio" / "talk.mp3").write_bytes(audio)
    (source / "talk.md").write_text("---\ntitle: A talk\ndate: 2025-02-01\ntype: podcast\npodcast_url: audio/talk.mp3\n"
                                    "---\nA talk I gave.\n", encoding="utf-8")
    report = import_source(source, show)
    assert report.new == ["talk"] and not report.problems
    assert (show.posts_dir / "audio" / "talk.mp3").read_bytes() == audio  # copied, the original left in place
    assert (source / "audio" / "talk.mp3").is_file()
    episode = render_episode(show.posts_dir / "talk.md", show)
    assert (episode.folder / "talk.mp3").read_bytes() == audio and episode.own_audio == "audio/talk.mp3"
    # another post whose audio of the same name differs is refused, the first one's file kept
    other = tmp_path / "other"
    (other / "audio").mkdir(parents=True)
    (other / "audio" / "talk.mp3").write_bytes(sine_mp3(2.0, 220))
    (other / "second.md").write_text("---\ntitle: Another talk\ntype: podcast\npodcast_url: audio/talk.mp3\n---\n"
                                     "Another talk.\n", encoding="utf-8")
    refused = import_source(other, show)
    assert refused.new == [] and len(refused.problems) == 1
    assert refused.problems[0].reason == (f"podcast_url 'audio/talk.mp3': {show.posts_dir / 'audio' / 'talk.mp3'} "
                                          "exists with other audio; rename one of them")
    assert (show.posts_dir / "audio" / "talk.mp3").read_bytes() == audio


def test_a_substack_export_podcast_url_is_fetched_into_the_episode(tmp_path):
    show = _show(tmp_path / "show")
    served = tmp_path / "www"
    served.mkdir()
    audio = sine_mp3(5.0, 440)
    (served / "episode.mp3").write_bytes(audio)
    export = tmp_path / "export"
    (export / "posts").mkdir(parents=True)
    with _serving(served) as base:
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(["post_id", "post_date", "is_published", "type", "audience", "title", "subtitle", "podcast_url"])
        writer.writerow(["2001.an-interview", "2025-03-01T12:00:00.000Z", "true", "podcast", "everyone",
                         "An interview", "With a guest", f"{base}/episode.mp3"])
        writer.writerow(["2002.a-voiceover", "2025-03-02T12:00:00.000Z", "true", "podcast", "everyone",
                         "A voiceover", "", ""])
        (export / "posts.csv").write_text(out.getvalue(), encoding="utf-8")
        for post_id in ("2001.an-interview", "2002.a-voiceover"):
            (export / "posts" / f"{post_id}.html").write_text("<p>We talk about open models.</p>", encoding="utf-8")
        imported = import_source(export, show)
        assert sorted(imported.new) == ["a-voiceover", "an-interview"] and not imported.problems
        with Catalog(show.catalog_path) as catalog:
            post = catalog.post("2001.an-interview")
        assert post.meta["type"] == "podcast" and post.meta["podcast_url"] == f"{base}/episode.mp3"
        assert f'podcast_url: "{base}/episode.mp3"' in (show.folder / post.source).read_text(encoding="utf-8")
        report = run_batch(show, jobs=1)
    assert [r.slug for r in report.rendered] == ["an-interview"]
    assert [(r.slug, r.error) for r in report.set_aside] == [("a-voiceover", NO_AUDIO)]
    [episode] = [e for e in map(load_episode, show.rendered_dir.glob("an-interview/*.episode.json"))]
    assert (episode.folder / "an-interview.mp3").read_bytes() == audio
    assert episode.own_audio == f"{base}/episode.mp3" and episode.subtitle == "With a guest"


def test_an_rss_enclosure_makes_a_podcast_post_with_its_audio(tmp_path):
    show = _show(tmp_path / "show")
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<title>T</title><link>https://www.interconnects.ai</link><description>d</description>"
        "<item><title>An interview</title><link>https://www.interconnects.ai/p/an-interview</link>"
        "<pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate>"
        '<enclosure url="https://cdn.example.org/ep.mp3?x=1" length="123" type="audio/mpeg"/>'
        "<content:encoded><![CDATA[<p>We talk.</p>]]></content:encoded></item>"
        "<item><title>An essay</title><link>https://www.interconnects.ai/p/an-essay</link>"
        "<pubDate>Tue, 04 Mar 2025 10:00:00 GMT</pubDate>"
        '<enclosure url="https://cdn.example.org/cover.png" length="9" type="image/png"/>'
        "<content:encoded><![CDATA[<p>We write.</p>]]></content:encoded></item>"
        "</channel></rss>", encoding="utf-8")
    report = import_source(feed, show)
    assert sorted(report.new) == ["an-essay", "an-interview"]
    with Catalog(show.catalog_path) as catalog:
        interview, essay = catalog.post("an-interview"), catalog.post("an-essay")
    assert (interview.meta["type"], interview.meta["podcast_url"]) == ("podcast", "https://cdn.example.org/ep.mp3?x=1")
    assert essay.meta["type"] == "newsletter" and "podcast_url" not in essay.meta


def test_gpodder_downloads_the_posts_own_audio(tmp_path):
    require(shutil.which("gpo") is not None, "gPodder's gpo is not installed (apt-get install gpodder python3-gi)")
    port = free_port()
    folder = tmp_path / "show"
    _show(folder)
    (folder / "show.toml").write_text((folder / "show.toml").read_text(encoding="utf-8").replace(
        "https://audio.interconnects.ai", f"http://127.0.0.1:{port}"), encoding="utf-8")
    show = load_show(folder)
    mp3 = sine_mp3(3.0, 990)
    (show.posts_dir / "interview.mp3").write_bytes(mp3)
    m4a = _tone(show.posts_dir / "talk.m4a", 2.0, "-c:a", "aac", "-b:a", "64k").read_bytes()
    render_episode(_post(show, "an-interview", "An interview", audio="interview.mp3"), show)
    render_episode(_post(show, "a-talk", "A talk", audio="talk.m4a", date="2025-08-02"), show)
    publish_site(show, preview=True)
    home, downloads = tmp_path / "gpodder", tmp_path / "downloads"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GPODDER_HOME": str(home),
           "GPODDER_DOWNLOAD_DIR": str(downloads), "LANG": os.environ.get("LANG", "C.UTF-8")}
    feed = f"http://127.0.0.1:{port}/feed.xml"

    def gpo(*args: str) -> str:
        result = subprocess.run(["gpo", *args], env=env, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    with Server(make_app(show.site_dir), port=port):
        assert f"Successfully added {feed}" in gpo("subscribe", feed)
        assert "5 new episodes" in gpo("update")  # make_show's three public ones, and these two
        assert "5 episodes downloaded" in gpo("download")
    got = sorted(p.read_bytes() for p in downloads.rglob("*") if p.is_file())
    assert mp3 in got and m4a in got and len(got) == 5
    with sqlite3.connect(home / "Database") as db:
        rows = dict(db.execute("SELECT title, mime_type FROM episode"))
    assert (rows["An interview"], rows["A talk"]) == ("audio/mpeg", "audio/mp4")  # as serve typed the downloads
