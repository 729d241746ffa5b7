"""Work folders, the locks that say who owns them, and the removal of those a killed process left.

Every command that writes a show writes into a work folder first and renames the result
into place. The folders are named here, once, and their owners are known by the locks:

- ``import`` stages posts in ``<show>/.import-XXXX``, ``publish`` builds the site in
  ``.<site>.build-XXXX`` (and moves the old one to ``.<site>.old-XXXX``). Both hold the
  show lock (``show_lock``, also held by ``batch``), so whoever holds it knows
  that no such folder belongs to a live process.
- Renders work in ``<episode folder's parent>/.render-tmp/<slug>.XXXX`` and write the
  synthesis cache. Every render (``render`` and each post of a ``batch``) holds a SHARED
  lock on ``<show>/.audio-essay.renders.lock`` for its duration, so renders run side by side
  (a user's ``render`` never waits for a batch), and an EXCLUSIVE lock on
  ``.render-tmp/<slug>.lock``, so two renders of one post never race for its folder.
  Render leftovers are removed only by a process that gets the renders lock exclusively,
  that is while no render runs at all.

``remove_stale_work`` is the one cleanup: ``show_locked`` (batch, import, publish) and
``rendering`` (every render) call it once they hold their lock.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from audio.episode_store import EPISODE_SUFFIX
from audio.errors import CatalogError, OutputError
from audio.files import TMP_SUFFIX
from audio.show import Show

RENDER_WORK = ".render-tmp"  # renders: <destination's parent>/.render-tmp/<slug>.XXXX
IMPORT_STAGING = ".import-"  # import: <show>/.import-XXXX
SHOW_LOCK = ".audio-essay.lock"  # held by batch, import, publish and catalog rebuild
RENDERS_LOCK = ".audio-essay.renders.lock"  # shared by every running render
POST_LOCK_SUFFIX = ".lock"  # .render-tmp/<slug>.lock: one render of a post at a time


def site_work_prefix(site: Path, kind: str) -> str:
    """publish's work folders beside the site: ``kind`` is ``build`` (the new site) or ``old``."""
    return f".{site.name}.{kind}-"


def remove_stale_work(show: Show, show_locked: bool = False) -> list[Path]:
    """Remove the work folders (and temporary files) of killed processes; returns them.

    ``show_locked``: the caller holds the show lock, so import staging and site builds are
    stale. Render work and the cache's temporary files are removed only when no render is
    running (the renders lock can be taken exclusively); otherwise they wait for a later
    command."""
    stale = []
    if show_locked:
        site = show.site_dir
        for folder, pattern in ((show.folder, f"{IMPORT_STAGING}*"), (site.parent, f"{site_work_prefix(site, 'build')}*"),
                                (site.parent, f"{site_work_prefix(site, 'old')}*")):
            stale += list(folder.glob(pattern)) if folder.is_dir() else []
    try:
        renders = _acquire(show.folder / RENDERS_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a render is running (or the show is read-only, which its own lock reports)
        renders = None
    else:
        work = show.rendered_dir / RENDER_WORK
        stale += [work] if work.exists() else []
        stale += list(show.cache_dir.glob(f"**/.*{TMP_SUFFIX}")) if show.cache_dir.is_dir() else []
    try:
        for path in stale:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    finally:
        if renders is not None:
            os.close(renders)
    return stale


@contextmanager
def show_lock(folder: str | Path) -> Iterator[Path]:
    """Hold the show's exclusive lock (``batch``, ``import``, ``publish``, ``catalog rebuild``) or refuse at once.

    ``fcntl.flock`` on ``<show>/.audio-essay.lock``: the kernel releases it when the
    holder exits, however it dies, so a ``kill -9`` never leaves the show locked."""
    path = Path(folder) / SHOW_LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise CatalogError(path, f"cannot create the lock file ({exc.strerror})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CatalogError(
                path, f"another batch, import, publish or catalog rebuild is running on this show (pid {_holder(path)}); "
                "wait for it to finish"
            ) from None
        _stamp(fd)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def show_locked(show: Show) -> Iterator[Path]:
    """Hold the show lock (``batch``, ``import``, ``publish``), leftovers of killed runs removed."""
    with show_lock(show.folder) as path:
        remove_stale_work(show, show_locked=True)
        yield path


def _stamp(fd: int) -> None:
    """Write our pid into a lock file we hold, for whoever is refused to read."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)


def _holder(path: Path) -> str:
    """The pid a lock's holder wrote into it (``unknown`` when there is none to read)."""
    try:
        return path.read_text(encoding="ascii", errors="replace").strip() or "unknown"
    except OSError:  # released meanwhile
        return "unknown"


def _acquire(path: Path, operation: int) -> int:
    """``flock(operation)`` on ``path``, created if need be; returns the descriptor, whose
    closing releases the lock. Raises BlockingIOError when LOCK_NB is asked and another
    process holds it. A post's lock file is removed by its holder on release: the file
    locked is checked to be the one still at ``path``, else it is opened again."""
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            if path.parent.is_dir():
                raise
            continue  # its folder was removed meanwhile
        try:
            fcntl.flock(fd, operation)
            if os.path.exists(path) and os.path.samestat(os.fstat(fd), os.stat(path)):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


class Renders:
    """A render's hold on the show (see ``rendering``)."""

    def __init__(self):
        self._posts: list[tuple[Path, int]] = []

    def claim(self, dest: Path, wait: bool = False) -> None:
        """Hold the lock of the episode folder ``dest`` until the render ends: a second render
        of the same post waits for the first (``wait``) or is refused."""
        path = dest.parent / RENDER_WORK / f"{dest.name}{POST_LOCK_SUFFIX}"
        if any(held == path for held, _ in self._posts):
            return  # held already: the render's second pass (with speech QA's better takes)
        try:
            fd = _acquire(path, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise OutputError(dest, f"this post is being rendered by another process (pid {_holder(path)}); "
                                    "wait for it to finish") from None
        self._posts.append((path, fd))
        _stamp(fd)

    def work_folder(self, dest: Path, wait: bool = False) -> Path:
        """Claim ``dest`` and make a new work folder for it in <destination's parent>/.render-tmp:
        two levels down, so no reader globbing ``rendered/*/*.episode.json`` ever sees a
        half-made episode."""
        try:
            self.claim(dest, wait)
            work = Path(tempfile.mkdtemp(dir=dest.parent / RENDER_WORK, prefix=f"{dest.name}."))
            umask = os.umask(0)
            os.umask(umask)
            work.chmod(0o777 & ~umask)  # mkdtemp makes it private; the episode folder is not
            return work
        except OSError as exc:
            in_the_way = next((p for p in (dest, *dest.parents) if p.exists() and not p.is_dir()), None)
            reason = f"{in_the_way} is a file, not a folder" if in_the_way else exc.strerror or str(exc)
            raise OutputError(dest, f"cannot write the episode here ({reason})") from exc

    def release(self) -> None:
        for path, fd in reversed(self._posts):
            path.unlink(missing_ok=True)  # while still held: a waiter then opens the file afresh
            os.close(fd)
            with suppress(OSError):
                path.parent.rmdir()  # .render-tmp, when no other render is using it
        self._posts.clear()


def move_into_place(work: Path, dest: Path, slug: str) -> None:
    """Swap a render's finished work folder in for the episode folder ``dest``. A
    destination holding anything but this episode's files (a user's ``--out`` folder) gets
    the files one by one instead, the record last, each by an atomic rename."""
    if dest.exists() and not all(p.name.startswith(f"{slug}.") for p in dest.iterdir()):
        for path in sorted(work.iterdir(), key=lambda p: p.name.endswith(EPISODE_SUFFIX)):
            os.replace(path, dest / path.name)
        work.rmdir()
        return
    old = None
    if dest.exists():
        old = Path(tempfile.mkdtemp(dir=work.parent, prefix=f"{dest.name}.old-"))
        os.replace(dest, old / dest.name)
    os.replace(work, dest)
    if old:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def rendering(show: Show) -> Iterator[Renders]:
    """Hold the show's renders lock, shared, for one render; leftovers of killed renders are
    removed first when no render is running. ``Renders.claim`` then takes the post's lock."""
    remove_stale_work(show)
    try:
        renders_lock = _acquire(show.folder / RENDERS_LOCK, fcntl.LOCK_SH)
    except OSError as exc:
        raise OutputError(show.folder, f"cannot create its lock file {RENDERS_LOCK} ({exc.strerror})") from exc
    renders = Renders()
    try:
        yield renders
    finally:
        renders.release()
        os.close(renders_lock)
