"""``audio-essay batch`` and ``status``: render a back catalogue with every core busy.

The catalogue says what is due (pending or changed posts; failed ones with
``retry_failed``). N worker processes each load the voice's engine once, with
cores/N threads, and render one post at a time; the parent records each result in
the catalogue as it arrives, so a failing post is recorded and the batch goes on.

Resuming is safe at any moment, even after ``kill -9``: episodes are written to a
temporary folder and renamed (``render_episode``), cache entries likewise, and every
catalogue change is one transaction. A re-run first adopts episodes that were finished
but not yet recorded, so no finished episode is rendered again, and the synthesis
cache serves every sentence already synthesized. Only one batch, import or publish runs
on a show at a time (``work.show_locked``). The workers die with the batch, however it
dies: a killed batch leaves no worker rendering behind the next one (``_die_with_parent``).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import date
from multiprocessing import get_context
from pathlib import Path

from audio.catalog import DUE_STATUSES, Catalog, PostRecord, RenderRecord
from audio.episode_store import EPISODE_SUFFIX, list_episodes, load_episode
from audio.errors import AudioEssayError, InputError, PostSkipped
from audio.files import sha256_file
from audio.models import EpisodeQA
from audio.qa.report import catalogue_totals, show_qas
from audio.show import Show
from audio.work import show_locked

# Wall seconds per audio second of ONE worker, by engine and threads, until the catalogue
# has measured the voice (measured on Piper joe-medium: 1 thread 0.047, 2 threads 0.029).
DEFAULT_RTF = {("piper", 1): 0.047, ("piper", 2): 0.029, ("fake", 1): 0.002}
DEFAULT_SECONDS_PER_WORD = 60 / 160  # a narrator's pace until measured


@dataclass(frozen=True)
class PostResult:
    """One post's outcome in a batch."""

    slug: str
    title: str
    words: int
    ok: bool
    error: str | None = None
    duration_s: float = 0.0
    wall_s: float = 0.0
    sentences: int = 0
    synthesized: int = 0
    bytes: int = 0
    worker: int = 0  # the worker's pid
    peak_rss_kb: int = 0  # the worker's peak resident memory so far
    skipped: bool = False  # left out by the show's settings (``error`` says why), not failed


@dataclass(frozen=True)
class PlannedPost:
    slug: str
    title: str
    date: str | None
    words: int
    status: str
    est_audio_s: float


@dataclass
class BatchProgress:
    """What the progress display shows; sent when the batch starts and after every post."""

    done: int
    total: int
    words_done: int
    words_total: int
    audio_s: float
    elapsed_s: float
    est_rtf: float  # aggregate wall/audio expected before anything is measured
    last: PostResult | None = None

    @property
    def rtf(self) -> float | None:
        """Aggregate real-time factor so far: wall time over audio produced."""
        return self.elapsed_s / self.audio_s if self.audio_s else None

    @property
    def eta_s(self) -> float | None:
        remaining = self.words_total - self.words_done
        if self.words_done and self.elapsed_s:
            return remaining * self.elapsed_s / self.words_done
        return None


@dataclass
class BatchReport:
    planned: list[PlannedPost]
    jobs: int
    threads: int
    voice: str
    dry_run: bool = False
    rendered: list[PostResult] = field(default_factory=list)
    failed: list[PostResult] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)  # finished earlier, recorded now
    unchanged: int = 0  # already rendered, up to date
    skipped: int = 0  # drafts
    set_aside: list[PostResult] = field(default_factory=list)  # skipped by the show's settings, with why
    wall_s: float = 0.0
    est_audio_s: float = 0.0
    est_wall_s: float = 0.0
    interrupted: bool = False
    site: str = ""  # what publish did, or why it did not run
    qa: str = ""  # the catalogue's speech QA totals, when [qa] is enabled
    peak_rss_kb: dict[int, int] = field(default_factory=dict)  # worker pid -> peak RSS

    @property
    def audio_s(self) -> float:
        return sum(r.duration_s for r in self.rendered)

    @property
    def synthesized(self) -> int:
        return sum(r.synthesized for r in self.rendered)

    @property
    def rtf(self) -> float | None:
        return self.wall_s / self.audio_s if self.audio_s else None


def available_cores() -> int:
    """The cores this process may run on (taskset, cgroup cpusets), not the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --- worker processes ----------------------------------------------------------------------

_worker: dict = {}
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_S = 0.5


def _die_with_parent(parent: int) -> None:
    """End this worker as soon as the batch process ``parent`` is gone, however it died.
    On Linux the kernel sends SIGKILL when the parent exits (PR_SET_PDEATHSIG; the pool
    starts workers from the batch's main thread, so "parent thread" is the process). Had
    the parent died before that was set, or elsewhere than on Linux, a thread sees the
    parent pid change (the orphan is adopted) and exits."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)  # an orphan: nobody will record what it renders

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _init_worker(show_folder: str, voice: str | None, threads: int, parent: int) -> None:
    """Load the show and the engine once per worker process."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    from audio.show import load_show
    from audio.synth.engines.registry import create_engine
    from audio.synth.voices import load_voice

    show = load_show(show_folder)
    profile = load_voice(voice or show.render.voice, show)
    # The show's voice is loaded at once; a voice for another language when a post needs it.
    _worker.update(show=show, voice=voice, threads=threads, engines={profile.name: create_engine(profile, threads=threads)})


def _render_one(slug: str, title: str, words: int, source: str) -> tuple[PostResult, RenderRecord | None]:
    """Render one post in a worker; every failure becomes a result, never an exception."""
    from audio.pipeline import render_episode

    start = time.perf_counter()
    error, skipped = None, False
    try:
        episode = render_episode(Path(source), _worker["show"], voice=_worker["voice"], engines=_worker["engines"],
                                 threads=_worker["threads"], wait=True)
    except PostSkipped as exc:
        error, skipped = exc.reason, True
    except AudioEssayError as exc:
        error = exc.message
    except Exception as exc:  # a bug met by one post must not stop the batch: record it
        error = f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if error is not None:
        return PostResult(slug, title, words, ok=False, error=error, wall_s=wall, worker=os.getpid(), peak_rss_kb=rss,
                          skipped=skipped), None
    sentences, synthesized = episode.stats.sentences, episode.stats.synthesized
    result = PostResult(slug, title, words, ok=True, duration_s=episode.duration_s, wall_s=wall, sentences=sentences,
                        synthesized=synthesized, bytes=episode.bytes, worker=os.getpid(), peak_rss_kb=rss)
    return result, _render_record(episode, wall, sentences, synthesized)


def _render_record(episode, wall: float, sentences: int, synthesized: int) -> RenderRecord:
    return RenderRecord(voice=episode.voice, content_hash=episode.source_hash, files=dict(episode.files),
                        duration_s=episode.duration_s, bytes=episode.bytes, sha256=episode.sha256,
                        loudness_lufs=episode.loudness_lufs, wall_s=wall, sentences=sentences,
                        synthesized=synthesized, guid=episode.guid)


# --- planning --------------------------------------------------------------------------------


def _source_path(show: Show, post: PostRecord) -> Path:
    path = Path(post.source)
    return path if path.is_absolute() else show.folder / path


def _finished_episode(show: Show, post: PostRecord):
    """The episode already on disk for this post's current content, if any."""
    folder = show.rendered_dir / post.slug
    for record in sorted(folder.glob(f"*{EPISODE_SUFFIX}")) if folder.is_dir() else []:
        try:
            episode = load_episode(record)
        except InputError:
            continue
        audio = episode.files.get("audio")
        if episode.source_hash == post.content_hash and audio and (folder / audio).is_file():
            return episode
    return None


def _file_hash(path: Path) -> str | None:
    try:
        return sha256_file(path)
    except OSError:
        return None


def reconcile(show: Show, catalog: Catalog) -> list[str]:
    """Bring the catalogue in line with the disk before planning: a post file edited in place
    since its import is ``changed``; an episode a killed batch finished but never recorded is
    recorded (not rendered again); a rendered post whose episode disappeared is pending again;
    a post the settings skipped (a podcast post without audio) is due again once its file changes.
    Returns the slugs of the episodes recorded."""
    for post in catalog.posts(("pending", "changed", "failed", "rendered", "skipped")):
        digest = _file_hash(_source_path(show, post)) if post.source else None  # drafts have no file yet
        if digest is not None and digest != post.content_hash:
            catalog.source_changed(post.key, digest)
            if post.status == "skipped":
                catalog.set_status(post.key, "pending")
    adopted = []
    for post in catalog.posts((*DUE_STATUSES, "failed", "rendered")):
        episode = _finished_episode(show, post)
        if post.status == "rendered":
            if episode is None:
                catalog.set_status(post.key, "pending")
        elif episode is not None:
            catalog.record_render(post.key, _render_record(episode, 0.0, 0, 0))
            adopted.append(post.slug)
    return adopted


def _select(catalog: Catalog, since: date | str | None, only: Iterable[str], limit: int | None,
            retry_failed: bool) -> list[PostRecord]:
    """The posts this batch renders, newest first. Retried with the failed ones: the posts
    the settings skipped (a draft, without a file, is not one of them)."""
    only = list(only)
    statuses = (*DUE_STATUSES, "failed", "skipped") if retry_failed or only else DUE_STATUSES
    posts = [p for p in catalog.posts(statuses) if p.status != "skipped" or p.source]
    if only:
        known = {p.slug for p in catalog.posts()}
        unknown = [s for s in only if s not in known]
        if unknown:
            raise InputError(catalog.path, f"no post with slug {', '.join(unknown)} in the catalogue (run import first)")
        posts = [p for p in posts if p.slug in only]
    if since:
        cutoff = since.isoformat() if isinstance(since, date) else str(since)
        posts = [p for p in posts if p.post_date and p.post_date[:len(cutoff)] >= cutoff]
    return posts[:limit] if limit is not None else posts


def _voice_figures(show: Show, catalog: Catalog, voice: str, threads: int) -> tuple[str, float, float]:
    """(voice name, one worker's real-time factor, audio seconds per word): measured by
    earlier batches of this voice where possible, else the defaults above."""
    from audio.synth.voices import load_voice

    profile = load_voice(voice, show)
    measured = catalog.measured_rtf(profile.name)
    if measured:
        return profile.name, measured[0], measured[1]
    rtf = DEFAULT_RTF.get((profile.engine, threads)) or DEFAULT_RTF.get((profile.engine, 1), 0.05)
    return profile.name, rtf, DEFAULT_SECONDS_PER_WORD


def plan_batch(show: Show, jobs: int | None = None, since: date | str | None = None, only: Iterable[str] = (),
               limit: int | None = None, retry_failed: bool = False, voice: str | None = None,
               threads: int | None = None) -> BatchReport:
    """What a batch would render, with estimated audio hours and wall time (``--dry-run``).
    ``threads`` per worker defaults to cores/jobs."""
    cores = available_cores()
    jobs = max(1, jobs or cores)
    threads = threads or max(1, cores // jobs)
    voice = voice or show.render.voice
    if not show.catalog_path.exists():
        raise InputError(show.catalog_path, "no catalogue yet: run `audio-essay import` first")
    with Catalog(show.catalog_path) as catalog:
        name, rtf, per_word = _voice_figures(show, catalog, voice, threads)
        posts = _select(catalog, since, only, limit, retry_failed)
        counts = catalog.status_counts()
    planned = [PlannedPost(p.slug, p.title, p.post_date, p.word_count, p.status, p.word_count * per_word) for p in posts]
    report = BatchReport(planned=planned, jobs=jobs, threads=threads, voice=name, dry_run=True,
                         unchanged=counts["rendered"], skipped=counts["skipped"])
    report.est_audio_s = sum(p.est_audio_s for p in planned)
    report.est_wall_s = report.est_audio_s * rtf / min(jobs, max(1, len(planned)))
    return report


# --- the batch -------------------------------------------------------------------------------


def run_batch(show: Show, jobs: int | None = None, since: date | str | None = None, only: Iterable[str] = (),
              limit: int | None = None, retry_failed: bool = False, dry_run: bool = False,
              progress: Callable[[BatchProgress], None] | None = None, verbose: bool = False,
              voice: str | None = None, publish: bool = True, threads: int | None = None) -> BatchReport:
    """Render every due post (see the module docstring); ``verbose`` is the CLI's per-post
    lines and changes nothing here. ``publish`` False skips rebuilding the site. Without
    ``voice``, each post is read by the show's voice for its language."""
    asked, voice = voice, voice or show.render.voice
    if dry_run or not show.catalog_path.exists():
        return plan_batch(show, jobs, since, only, limit, retry_failed, voice, threads)
    with show_locked(show):
        with Catalog(show.catalog_path) as catalog:
            adopted = reconcile(show, catalog)
        report = plan_batch(show, jobs, since, only, limit, retry_failed, voice, threads)
        report.dry_run = False
        report.adopted = adopted
        with Catalog(show.catalog_path) as catalog:
            todo = {p.slug: p for p in catalog.posts() if p.slug in {q.slug for q in report.planned}}
            _render_all(show, catalog, report, todo, asked, progress)
            counts = catalog.status_counts()
        report.unchanged = counts["rendered"] - len(report.rendered) - len(report.adopted)
        if show.qa.enabled:
            report.qa = catalogue_totals(show_qas(show, unreadable=[]).values()).summary()
        if publish and (report.rendered or report.adopted or not show.site_dir.exists()):
            report.site = _publish(show)
    return report


def _render_all(show: Show, catalog: Catalog, report: BatchReport, todo: dict[str, PostRecord],
                voice: str | None, progress: Callable[[BatchProgress], None] | None) -> None:
    # Longest first: the last post to finish is a short one, so no worker idles long at the end.
    queue = sorted(todo.values(), key=lambda p: -p.word_count)
    state = BatchProgress(done=0, total=len(queue), words_done=0, words_total=sum(p.word_count for p in queue),
                          audio_s=0.0, elapsed_s=0.0,
                          est_rtf=report.est_wall_s / report.est_audio_s if report.est_audio_s else 0.0)
    if progress:
        progress(state)
    if not queue:
        return
    start = time.perf_counter()
    jobs = min(report.jobs, len(queue))
    pool = _pool(show, voice, jobs, report.threads)
    running: dict[Future, PostRecord] = {}
    try:
        while queue or running:
            while queue and len(running) < jobs:
                post = queue.pop(0)
                future = pool.submit(_render_one, post.slug, post.title, post.word_count, str(_source_path(show, post)))
                running[future] = post
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                post = running.pop(future)
                try:
                    result, record = future.result()
                except BrokenProcessPool:
                    broken = True
                    result, record = PostResult(post.slug, post.title, post.word_count, ok=False,
                                                error="the worker process died while rendering this post"), None
                _record(catalog, report, post, result, record)
                state.done += 1
                state.words_done += post.word_count
                state.audio_s += result.duration_s
                state.elapsed_s = time.perf_counter() - start
                state.last = result
                if progress:
                    progress(state)
            if broken:  # start a fresh pool for the rest
                pool.shutdown(wait=False, cancel_futures=True)
                for future, post in list(running.items()):
                    queue.insert(0, post)
                    del running[future]
                pool = _pool(show, voice, jobs, report.threads)
    except KeyboardInterrupt:
        report.interrupted = True
        _stop(pool)
        raise
    finally:
        report.wall_s = time.perf_counter() - start
        pool.shutdown(wait=True, cancel_futures=True)


def _pool(show: Show, voice: str | None, jobs: int, threads: int) -> ProcessPoolExecutor:
    # spawn: a fresh interpreter per worker, nothing inherited from the parent (locks, threads, fds)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_init_worker,
                               initargs=(str(show.folder), voice, threads, os.getpid()))


def _stop(pool: ProcessPoolExecutor) -> None:
    """Ctrl-C: end the workers now; whatever they were writing was going to a temporary file."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _record(catalog: Catalog, report: BatchReport, post: PostRecord, result: PostResult,
            record: RenderRecord | None) -> None:
    if result.skipped:
        catalog.set_status(post.key, "skipped", result.error)
        report.set_aside.append(result)
        return
    if record is None:
        record = RenderRecord(voice=report.voice, content_hash=post.content_hash, wall_s=result.wall_s,
                              error=result.error)
    catalog.record_render(post.key, record)
    (report.rendered if result.ok else report.failed).append(result)
    if result.worker:
        report.peak_rss_kb[result.worker] = max(report.peak_rss_kb.get(result.worker, 0), result.peak_rss_kb)


def _publish(show: Show) -> str:
    """Rebuild the site from the rendered episodes (``audio.publish.publish_site``); a local
    preview while show.toml still has placeholder or loopback URLs."""
    from audio.publish.build import public_url_problem, publish_site

    problem = public_url_problem(show)
    try:
        result = publish_site(show, preview=problem is not None)
    except AudioEssayError as exc:
        return f"site not rebuilt: {exc.message}"
    private = f" (+{result.private_episodes} private)" if result.private_episodes else ""
    kind = f"site rebuilt as a local preview ({problem})" if problem else "site rebuilt"
    return f"{kind}: {result.site_dir} with {result.episodes} episodes{private}, feed {result.feed_url}"


# --- status ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShowStatus:
    counts: dict[str, int]  # by catalogue status, and "missing": recorded rendered, episode gone from disk
    audio_s: float  # total duration of the current renders
    failures: list[PostRecord]  # the latest, with their errors
    set_aside: list[PostRecord]  # skipped by the show's settings (not drafts), with why
    next_due: list[PostRecord]  # what the next batch renders first
    due: int
    qa: dict[str, EpisodeQA | None] = field(default_factory=dict)  # each rendered episode's speech QA (None: unchecked)


def show_status(show: Show, failures: int = 5, next_due: int = 5) -> ShowStatus:
    """``audio-essay status``: counts by status, audio hours, last failures, next posts due."""
    if not show.catalog_path.exists():
        raise InputError(show.catalog_path, "no catalogue yet: run `audio-essay import` first")
    with Catalog(show.catalog_path, write=False) as catalog:
        counts = catalog.status_counts()
        # the next batch renders these again (reconcile)
        missing = [replace(p, status="missing") for p in catalog.posts(("rendered",)) if not _finished_episode(show, p)]
        counts["rendered"] -= len(missing)
        counts["missing"] = len(missing)
        gone = {p.key for p in missing}
        audio = sum(r.duration_s for p, r in catalog.latest_renders()
                    if p.status in ("rendered", "changed") and p.key not in gone)
        due = missing + catalog.posts(DUE_STATUSES)
        set_aside = [p for p in catalog.posts(("skipped",)) if p.error]
        checked = show_qas(show, unreadable=[])
        qa = {e.slug: checked.get(e.slug) for e in list_episodes(show.rendered_dir, unreadable=[]) if not e.own_audio}
        return ShowStatus(counts=counts, audio_s=audio, failures=catalog.failures(failures), set_aside=set_aside,
                          next_due=due[:next_due], due=len(due), qa=dict(sorted(qa.items())))
