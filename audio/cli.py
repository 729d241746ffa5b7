"""The command line: the only module that imports click, prints or exits.

Each command parses its options, calls one library function and turns the
package's own errors into one line on stderr and exit status 2.
"""

from __future__ import annotations

import functools
import sys

import click

from audio import __version__
from audio.errors import AudioEssayError


def reports_errors(command):
    """Turn an AudioEssayError into ``audio-essay: <file>: <reason>`` and its exit status."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except AudioEssayError as exc:
            click.echo(f"audio-essay: {exc.message}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


@click.group()
@click.version_option(__version__, prog_name="audio-essay")
def main() -> None:
    """Turn written essays into narrated podcast episodes."""


@main.group(invoke_without_command=True)
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@click.pass_context
@reports_errors
def voices(ctx: click.Context, show_dir: str | None) -> None:
    """List voice profiles and whether each is ready (engine installed, model present)."""
    from audio.show import find_show
    from audio.voices import voice_report

    ctx.obj = show_dir
    if ctx.invoked_subcommand is not None:
        return
    for status in voice_report(find_show(show_dir)):
        p = status.profile
        state = "ready" if status.ready else f"not ready: {status.problem}"
        click.echo(f"{p.name:<16} {p.engine:<8} {state}")
        click.echo(f"{'':<16} {p.description or p.model}  ({p.source})")


@voices.command("say")
@click.argument("name")
@click.argument("text")
@click.option("-o", "--out", type=click.Path(dir_okay=False), default="say.wav", show_default=True, help="WAV file to write.")
@click.option("--threads", type=click.IntRange(min=1), help="Engine threads (default: all cores).")
@click.pass_obj
@reports_errors
def voices_say(show_dir: str | None, name: str, text: str, out: str, threads: int | None) -> None:
    """Read TEXT with voice NAME into a WAV file, for a quick listen."""
    from pathlib import Path

    from audio.show import find_show
    from audio.voices import say

    seconds = say(name, text, Path(out), find_show(show_dir), threads=threads)
    click.echo(f"{out}: {seconds:.1f} s", err=True)


@main.group()
def cache() -> None:
    """Manage the per-sentence synthesis cache (<show>/.cache/synth)."""


@cache.command("prune")
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@click.option("--older-than", "older_than", type=click.FloatRange(min=0), metavar="DAYS",
              help="Also keep audio no episode uses if it was used within DAYS days.")
@click.option("--all", "everything", is_flag=True, help="Empty the cache entirely.")
@reports_errors
def cache_prune(show_dir: str | None, older_than: float | None, everything: bool) -> None:
    """Remove cached sentences that no rendered episode of the show uses."""
    from audio.show import find_show
    from audio.synth_cache import prune_show_cache

    report = prune_show_cache(find_show(show_dir), older_than_days=older_than, everything=everything)
    click.echo(f"removed {report.removed} cached sentences ({report.bytes_freed / 1e6:.1f} MB), kept {report.kept}")
