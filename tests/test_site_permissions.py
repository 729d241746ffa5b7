"""The published site is readable by a web server running as another user, whatever the umask."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import require
from publish_support import make_show

from audio.publish.build import publish_site
from audio.show import load_show


@pytest.fixture
def reachable(tmp_path):
    """A folder another user can reach (pytest's own tmp folders are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="audio-essay-site-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def _publish_under_umask(show, site: Path, umask: int):
    old = os.umask(umask)
    try:
        return publish_site(show, site)
    finally:
        os.umask(old)


def test_folders_are_0755_and_files_0644_whatever_the_umask(tmp_path, reachable):
    show = load_show(make_show(tmp_path / "show", extra="private_feed = true"))
    site = reachable / "site"
    for umask in (0o077, 0o027):  # the second publish reuses (hard-links) the first one's files
        report = _publish_under_umask(show, site, umask)
        modes = {p.relative_to(site).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in site.rglob("*")}
        token = report.private_feed_url.split("/private/")[1].split("/")[0]
        assert stat.S_IMODE(site.stat().st_mode) == 0o755
        assert modes.pop("private") == 0o711  # reachable, not listable: the tokens stay secret
        assert {n: m for n, m in modes.items() if (site / n).is_dir()} == dict.fromkeys(
            ["embed", "episodes", f"private/{token}", f"private/{token}/episodes"], 0o755)
        files = {n: m for n, m in modes.items() if (site / n).is_file()}
        assert len(files) > 20 and set(files.values()) == {0o644}
    # Rendered files hard-linked into the site share their inode: they are 0644 too.
    assert stat.S_IMODE((show.rendered_dir / "first-post" / "first-post.mp3").stat().st_mode) == 0o644


def _nobody() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None


def test_another_user_reads_every_file_of_the_site_but_cannot_list_the_private_tokens(tmp_path, reachable):
    if os.geteuid() != 0:
        pytest.skip("reading as another user needs root to switch to nobody")
    nobody = _nobody()
    require(nobody is not None, "no user named nobody to read the site as")
    show = load_show(make_show(tmp_path / "show", extra="private_feed = true"))
    site = reachable / "site"
    _publish_under_umask(show, site, 0o077)
    files = sorted(p for p in site.rglob("*") if p.is_file())

    def as_nobody():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    read = subprocess.run(["cat", "--", *map(str, files)], check=False, preexec_fn=as_nobody, capture_output=True, timeout=60)
    assert read.returncode == 0, read.stderr
    assert read.stdout == b"".join(p.read_bytes() for p in files)
    assert any("/private/" in str(p) and p.name == "paid-post.mp3" for p in files)
    listing = subprocess.run(["ls", str(site / "private")], check=False, preexec_fn=as_nobody, capture_output=True, timeout=60)
    assert listing.returncode != 0 and b"Permission denied" in listing.stderr
    assert subprocess.run(["ls", str(site / "episodes")], check=False, preexec_fn=as_nobody, capture_output=True,
                          timeout=60).returncode == 0
