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
