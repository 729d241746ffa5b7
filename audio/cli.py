"""The command line: the only module that imports click, prints or exits.

Each command parses its options, calls one library function and turns the
package's own errors into one line on stderr and exit status 2.
"""

from __future__ import annotations

import functools
import logging
import sys

import click

from audio import __version__
from audio.errors import AudioEssayError


class _WarningLines(logging.Handler):
    """The library's warnings (``logging``: a URL dropped from a post...) as ``warning: ...`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


logging.getLogger("audio").addHandler(_WarningLines(logging.WARNING))


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
    from audio.synth.voices import voice_report

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
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@click.option("--lexicon", "lexicon", type=click.Path(dir_okay=False),
              help="Read TEXT as an episode would: normalised, then this lexicon's entries (to audition one), "
                   "the voice's and the show's.")
@click.pass_obj
@reports_errors
def voices_say(group_show: str | None, name: str, text: str, out: str, threads: int | None, show_dir: str | None,
               lexicon: str | None) -> None:
    """Read TEXT with voice NAME into a WAV file, for a quick listen (TEXT is read as given, unless --lexicon)."""
    from pathlib import Path

    from audio.prepare.script import audition_speech
    from audio.show import find_show
    from audio.synth.voices import say

    show = find_show(show_dir or group_show)
    speech = functools.partial(audition_speech, show=show, lexicon=Path(lexicon)) if lexicon else None
    seconds = say(name, text, Path(out), show, threads=threads, speech=speech)
    click.echo(f"{out}: {seconds:.1f} s", err=True)


@main.group()
def lexicon() -> None:
    """The show's pronunciation lexicon (README "Pronunciation lexicon")."""


@lexicon.command("suggest")
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: <show>/lexicon.suggested.toml).")
@click.option("--top", type=click.IntRange(min=1), default=100, show_default=True, help="Words to propose, best first.")
@reports_errors
def lexicon_suggest(show_dir: str | None, out: str | None, top: int) -> None:
    """Propose lexicon entries (commented out) for the catalogue's words a voice may read wrong."""
    from audio.back_catalogue.lexicon_suggest import write_suggestions
    from audio.show import find_show

    path, report = write_suggestions(find_show(show_dir), out, top)
    for problem in report.problems:
        click.echo(f"warning: {problem.message} (left out)", err=True)
    found = report.suggestions
    click.echo(f"{path}: {min(top, len(found))} of {len(found)} words, from {report.posts} post{'' if report.posts == 1 else 's'} "
               f"({report.sentences} sentences, {report.qa_episodes} with QA)")
    for s in found[:10]:
        click.echo(f"  {s.count:5d} times  {s.qa_failures:3d} flagged  {s.match}  ({', '.join(s.reasons)}; "
                   f"said now: {s.said})")


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
    from audio.synth.cache import prune_show_cache

    report = prune_show_cache(find_show(show_dir), older_than_days=older_than, everything=everything)
    click.echo(f"removed {report.removed} cached sentences ({report.bytes_freed / 1e6:.1f} MB), kept {report.kept}")


@main.command()
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@click.option("--site", "site_dir", type=click.Path(file_okay=False), help="Site folder (default: <show>/site).")
@click.option("--preview", is_flag=True,
              help="Build for local viewing with `serve` (loopback URLs; placeholders allowed; fixes no GUID).")
@reports_errors
def publish(show_dir: str | None, site_dir: str | None, preview: bool) -> None:
    """Build the podcast feed and show site from the rendered episodes (atomically)."""
    from audio.publish.build import publish_site
    from audio.show import find_show
    from audio.work import show_locked

    show = find_show(show_dir)
    with show_locked(show):  # as batch and import: one at a time, leftovers of killed runs removed
        report = publish_site(show, site_dir, preview=preview)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{report.site_dir}: {report.episodes} episodes; feed {report.feed_url}")
    if report.private_feed_url:
        click.echo(f"private feed ({report.private_episodes} paid episodes; share only with subscribers): "
                   f"{report.private_feed_url}")
    if report.private_feeds:
        click.echo(f"private feeds: {report.private_feeds} subscribers ({report.private_episodes} paid episodes); "
                   "`audio-essay subscribers list` shows their URLs")


@main.command()
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@click.option("--site", "site_dir", type=click.Path(file_okay=False), help="Site folder (default: <show>/site).")
@click.option("--preview", is_flag=True, help="The site is a local preview (publish --preview): http on loopback is fine.")
@reports_errors
def check(show_dir: str | None, site_dir: str | None, preview: bool) -> None:
    """Lint the published feed(s): one line per violation, exit status 1 if any."""
    from audio.publish.build import check_site
    from audio.show import find_show

    site = site_dir if site_dir is not None else find_show(show_dir).site_dir
    problems = check_site(site, preview=preview)
    for line in problems:
        click.echo(line)
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"{site}: feed OK", err=True)


@main.command()
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@click.option("--site", "site_dir", type=click.Path(file_okay=False), help="Site folder (default: <show>/site).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0: every interface).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@reports_errors
def serve(show_dir: str | None, site_dir: str | None, host: str, port: int) -> None:
    """Serve the site with HEAD, byte ranges, ETags and podcast content types (with the show,
    a revoked subscriber's feed answers 410 at once)."""
    from audio.publish.serve import run_server
    from audio.show import find_show

    show = find_show(show_dir) if show_dir is not None or site_dir is None else None
    site = site_dir if site_dir is not None else show.site_dir
    moved_to = show.publish.moved_feed_url if show else ""
    click.echo(f"serving {site} at http://{host}:{port}/ (Ctrl-C stops)", err=True)
    if moved_to:
        click.echo(f"the feed has moved: /feed.xml answers 301 to {moved_to}", err=True)
    run_server(site, host=host, port=port, catalog_path=show.catalog_path if show else None, moved_to=moved_to)


# --- private-feed subscribers ----------------------------------------------------------------


@main.group()
def subscribers() -> None:
    """Private feeds: one secret feed URL per paying subscriber ([publish] private_feed = true)."""


def _subscriber_line(show, subscriber) -> str:
    from audio.publish.subscribers import feed_url

    state = f"revoked {subscriber.revoked_at[:10]}" if subscriber.revoked_at else "active"
    return f"{subscriber.id:>5}  {subscriber.label}  ({state}, added {subscriber.created_at[:10]})  " \
           f"{feed_url(show, subscriber.token)}"


@subscribers.command("add")
@click.argument("name_or_email")
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@reports_errors
def subscribers_add(name_or_email: str, show_dir: str | None) -> None:
    """Add a subscriber and print their private feed URL (an email is kept only masked and hashed)."""
    from audio.publish.subscribers import add_subscriber, feed_url
    from audio.show import find_show

    show = find_show(show_dir)
    subscriber = add_subscriber(show, name_or_email)
    click.echo(f"subscriber {subscriber.id} ({subscriber.label}): {feed_url(show, subscriber.token)}")
    if not show.publish.private_feed:
        click.echo("warning: [publish] private_feed is false: set it to true and publish to make this URL work",
                   err=True)


@subscribers.command("list")
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@reports_errors
def subscribers_list(show_dir: str | None) -> None:
    """Every subscriber: id, label, state, date added and private feed URL."""
    from audio.publish.subscribers import list_subscribers
    from audio.show import find_show

    show = find_show(show_dir)
    everyone = list_subscribers(show)
    for subscriber in everyone:
        click.echo(_subscriber_line(show, subscriber))
    active = sum(1 for s in everyone if s.active)
    click.echo(f"{active} active, {len(everyone) - active} revoked", err=True)


@subscribers.command("revoke")
@click.argument("subscriber")
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@reports_errors
def subscribers_revoke(subscriber: str, show_dir: str | None) -> None:
    """Revoke SUBSCRIBER (its id, token or email): 410 Gone at once under `serve`, and its
    feed left out of the site at the next publish."""
    from audio.publish.subscribers import revoke_subscriber
    from audio.show import find_show

    show = find_show(show_dir)
    click.echo(_subscriber_line(show, revoke_subscriber(show, subscriber)))
    click.echo("publish again to remove its feed from the site (`serve` refuses it already)", err=True)


@subscribers.command("import")
@click.argument("csv_file", metavar="CSV", type=click.Path(dir_okay=False))
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@reports_errors
def subscribers_import(csv_file: str, show_dir: str | None) -> None:
    """Add the paying subscribers of a newsletter platform's subscriber export (a CSV with an
    email column: Substack, Ghost, Buttondown...). Safe to repeat."""
    from audio.publish.subscribers import import_subscribers
    from audio.show import find_show

    report = import_subscribers(find_show(show_dir), csv_file)
    click.echo(f"{report.path}: {len(report.added)} added, {report.skipped} skipped ({report.not_paying} not "
               f"paying, {report.known} already known, {report.repeated} repeated, {report.no_email} without an "
               f"email); `audio-essay subscribers list` shows their URLs")


# --- back catalogue: import, batch, status ---------------------------------------------------


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def _clock(seconds: float | None) -> str:
    from audio.timecode import clock

    return "--:--" if seconds is None else clock(seconds)


@main.command("import")
@click.argument("source")
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@click.option("--follow-redirects", is_flag=True, help="Follow a feed URL's redirects to another host too.")
@reports_errors
def import_command(source: str, show_dir: str | None, follow_redirects: bool) -> None:
    """Import SOURCE into the show's catalogue: a folder of posts, a Substack export
    (.zip or unpacked folder), or an RSS/Atom feed file or URL. Safe to repeat."""
    from audio.back_catalogue.importer import import_source
    from audio.show import find_show

    report = import_source(source, find_show(show_dir), follow_redirects=follow_redirects)
    click.echo(f"{report.source} ({report.kind}): {len(report.new)} new, {len(report.changed)} changed, "
               f"{len(report.unchanged)} unchanged, {len(report.drafts)} drafts skipped, "
               f"{len(report.problems)} rejected")
    for problem in report.problems:
        click.echo(f"audio-essay: {problem.path}: {problem.reason}", err=True)
    if report.problems:
        sys.exit(2)


def _batch_display(verbose: bool):
    """A rich progress bar on stderr fed by run_batch's callback; per-post lines if verbose."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    bar = Progress(TextColumn("[bold]batch"), BarColumn(), TextColumn("{task.completed}/{task.total} posts"),
                   TextColumn("{task.fields[audio]} audio"), TextColumn("RTF {task.fields[rtf]}"),
                   TextColumn("ETA {task.fields[eta]}"), TimeElapsedColumn(), console=console, transient=False)
    task = bar.add_task("batch", total=None, audio="0.00 h", rtf="-", eta="--:--")

    def update(state) -> None:
        if not bar.live.is_started:
            bar.start()
        rtf = f"{state.rtf:.3f}" if state.rtf else (f"~{state.est_rtf:.3f}" if state.est_rtf else "-")
        bar.update(task, total=state.total, completed=state.done, audio=_hours(state.audio_s), rtf=rtf,
                   eta=_clock(state.eta_s))
        last = state.last
        if verbose and last is not None:
            if last.ok:
                bar.console.print(f"  rendered {last.slug}: {last.duration_s / 60:.1f} min audio, {last.wall_s:.0f} s, "
                                  f"{last.synthesized}/{last.sentences} sentences synthesized")
            elif last.skipped:
                bar.console.print(f"  skipped {last.slug}: {last.error}")
            else:
                bar.console.print(f"  [red]failed[/red] {last.slug}: {last.error}")

    return console, bar, update


def _batch_summary(console, report) -> None:
    from rich.table import Table

    table = Table(title="batch summary", show_header=True)
    table.add_column("outcome")
    table.add_column("posts", justify="right")
    table.add_column("details")
    rtf = f", RTF {report.rtf:.3f}" if report.rtf else ""
    table.add_row("rendered", str(len(report.rendered)),
                  f"{_hours(report.audio_s)} audio in {_clock(report.wall_s)}{rtf}, "
                  f"{report.synthesized} sentences synthesized, {report.jobs} jobs x {report.threads} threads")
    if report.adopted:
        table.add_row("recovered", str(len(report.adopted)), "finished by an interrupted batch, now recorded")
    table.add_row("unchanged", str(report.unchanged), "already rendered")
    table.add_row("skipped", str(report.skipped), "drafts")
    if report.set_aside:
        table.add_row("skipped", str(len(report.set_aside)), "by the show's settings")
        for skipped in report.set_aside:
            table.add_row("", skipped.slug, skipped.error or "")
    table.add_row("failed", str(len(report.failed)), "")
    for failure in report.failed:
        table.add_row("", failure.slug, failure.error or "")
    console.print(table)
    if report.qa:
        console.print(f"qa: {report.qa}", markup=False, highlight=False, soft_wrap=True)
    if report.site:
        console.print(report.site)


def _plan_table(console, report) -> None:
    from rich.table import Table

    table = Table(title=f"would render {len(report.planned)} posts with voice {report.voice}")
    for name in ("slug", "date", "status", "words", "audio"):
        table.add_column(name, justify="right" if name in ("words", "audio") else "left", overflow="fold")
    for post in report.planned:
        table.add_row(post.slug, (post.date or "")[:10], post.status, str(post.words), f"{post.est_audio_s / 60:.1f} min")
    console.print(table)
    words = sum(p.words for p in report.planned)
    console.print(f"{words} words, about {_hours(report.est_audio_s)} of audio, about {_clock(report.est_wall_s)} "
                  f"wall time with {report.jobs} jobs x {report.threads} threads")


@main.command()
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: the number of cores).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only posts published on or after DATE.")
@click.option("--only", multiple=True, metavar="SLUG", help="Only these posts (repeat, or separate with commas).")
@click.option("--limit", type=click.IntRange(min=1), help="At most N posts (the newest first).")
@click.option("--retry-failed", is_flag=True, help="Also render posts whose last render failed.")
@click.option("--dry-run", is_flag=True, help="Show what would be rendered and how long it would take.")
@click.option("--voice", help="Voice profile (default: joe).")
@click.option("--no-publish", is_flag=True, help="Do not rebuild the site at the end.")
@click.option("-v", "--verbose", is_flag=True, help="One line per post.")
@reports_errors
def batch(show_dir, jobs, since, only, limit, retry_failed, dry_run, voice, no_publish, verbose) -> None:
    """Render every pending or changed post of the catalogue, resumably, on every core."""
    from audio.back_catalogue.batch import run_batch
    from audio.show import find_show

    slugs = tuple(s for value in only for s in value.split(",") if s)
    console, bar, update = _batch_display(verbose)
    try:
        report = run_batch(find_show(show_dir), jobs=jobs, since=since.date() if since else None, only=slugs,
                           limit=limit, retry_failed=retry_failed, dry_run=dry_run, progress=update,
                           verbose=verbose, voice=voice, publish=not no_publish)
    except KeyboardInterrupt:
        bar.stop()
        console.print("interrupted: finished episodes are kept; run `audio-essay batch` again to resume")
        sys.exit(130)
    finally:
        if bar.live.is_started:
            bar.stop()
    from rich.console import Console

    out = Console()  # the plan and the summary are the command's output; progress went to stderr
    if dry_run:
        _plan_table(out, report)
        return
    _batch_summary(out, report)
    if report.failed:
        sys.exit(1)


@main.command()
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@reports_errors
def status(show_dir: str | None) -> None:
    """The catalogue at a glance: posts by status, audio hours, failures, next posts due."""
    from audio.back_catalogue.batch import show_status
    from audio.show import find_show

    state = show_status(find_show(show_dir))
    click.echo("posts: " + ", ".join(f"{n} {name}" for name, n in state.counts.items()))
    click.echo(f"audio: {_hours(state.audio_s)} rendered")
    if state.qa:
        _qa_status(state.qa)
    if state.failures:
        click.echo("last failures:")
        for post in state.failures:
            click.echo(f"  {post.slug} ({(post.updated_at or '')[:16]}): {post.error}")
    if state.set_aside:
        click.echo(f"skipped by the show's settings ({len(state.set_aside)}; `batch --retry-failed` tries them again):")
        for post in state.set_aside:
            click.echo(f"  {post.slug}: {post.error}")
    if state.next_due:
        click.echo(f"next due ({state.due} in all):")
        for post in state.next_due:
            click.echo(f"  {post.slug} ({(post.post_date or 'undated')[:10]}, {post.word_count} words, {post.status})")
    else:
        click.echo("nothing due")


@main.command("qa")
@click.argument("post", required=False)
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: the post's show, ./episodes or .).")
@click.option("--all", "everything", is_flag=True, help="With --show: every rendered episode, also those checked since their render.")
@click.option("--no-retakes", is_flag=True, help="Report only: synthesize no new takes.")
@reports_errors
def qa(post: str | None, show_dir: str | None, everything: bool, no_retakes: bool) -> None:
    """Listen to rendered episodes: find sentences a listener would stumble on, retake them
    (a later render uses the better takes) and report the rest. POST: a post, a slug or an
    episode folder; without it, --show checks the show's episodes not checked since their render."""
    from rich.console import Console

    from audio.pipeline import qa_show
    from audio.qa.report import suspect_table
    from audio.show import find_show

    if post is None and show_dir is None:
        raise click.UsageError("give a POST, or --show DIR to check a show's episodes")
    show = find_show(show_dir, post)
    out = Console()
    result = qa_show(show, [post] if post else None, everything=everything, retakes=not no_retakes)
    for qa in result.checked:
        click.echo(f"{qa.slug}: {_qa_state(qa)}")
        if qa.suspects or any(s.takes_tried for s in qa.sentences):
            out.print(suspect_table(qa))
    if not result.checked and not result.problems:
        click.echo("nothing to check: every rendered episode was checked since its render (--all checks them again)")
    if result.retaken:
        one = result.retaken == 1
        click.echo(f"{result.retaken} better take{'' if one else 's'} chosen: run `audio-essay render` (or `batch`) "
                   f"to use {'it' if one else 'them'}")
    click.echo(f"report: {result.report}")
    for problem in result.problems:
        click.echo(f"audio-essay: {problem.message}", err=True)
    if result.problems:
        sys.exit(2)


def _qa_status(qas: dict) -> None:
    """``status``: the catalogue's QA totals, then each episode not simply clean."""
    from audio.qa.report import catalogue_totals, status_cell

    checked = [qa for qa in qas.values() if qa is not None]
    unchecked = len(qas) - len(checked)
    click.echo("qa: " + (catalogue_totals(checked).summary() if checked else "no episode checked yet")
               + (f"; {unchecked} not checked since their render" if unchecked and checked else ""))
    for slug, qa in qas.items():
        if qa is None or qa.state != "clean":
            click.echo(f"  {slug}: {status_cell(qa) if qa else 'not checked'}")


def _qa_state(qa) -> str:
    from audio.qa.report import status_cell

    wer = f", word error rate {qa.wer:.1%}" if qa.state != "skipped" else ""
    return f"{status_cell(qa)} ({len(qa.sentences)} sentences{wer})"


@main.group()
def catalog() -> None:
    """Repair the show's catalogue (<show>/catalog.sqlite)."""


@catalog.command("rebuild")
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: ./episodes or .).")
@reports_errors
def catalog_rebuild(show_dir: str | None) -> None:
    """Set a damaged catalogue aside and rebuild it from the rendered episodes and the posts,
    keeping every token, GUID and slug."""
    from audio.back_catalogue.rebuild import rebuild_catalog
    from audio.show import find_show

    report = rebuild_catalog(find_show(show_dir))
    if report.set_aside:
        click.echo(f"{report.set_aside}: the old catalogue, set aside (delete it when you no longer need it)")
    imported = report.imported
    click.echo(f"{report.catalog}: rebuilt: {imported.imported if imported else 0} posts, {report.rendered} "
               f"recorded as rendered, from {report.episodes} episodes on disk")
    for problem in imported.problems if imported else ():
        click.echo(f"audio-essay: {problem.path}: {problem.reason}", err=True)
    if imported and imported.problems:
        sys.exit(2)


@main.command()
@click.argument("post", type=click.Path(dir_okay=True))
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: the post's show, ./episodes or .).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: exactly what will be spoken; json: the full script (README: Script JSON).")
@click.option("--lexicon-report", is_flag=True, help="Instead of the script: lexicon hits and uncovered name-like words.")
@reports_errors
def script(post: str, show_dir: str | None, fmt: str, lexicon_report: bool) -> None:
    """Print the speakable script of POST (Markdown or Substack HTML)."""
    from audio.script_output import post_output

    click.echo(post_output(post, show_dir, fmt, lexicon_report), nl=False)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@reports_errors
def init(folder: str) -> None:
    """Create a new show in FOLDER: a documented show.toml and posts/ with an example."""
    from audio.scaffold import init_show

    created = init_show(folder)
    click.echo(f"created {created / 'show.toml'} and {created / 'posts'}/; try: audio-essay script {created / 'posts' / 'example-post.md'}")


@main.command()
@click.argument("post", type=click.Path(dir_okay=False))
@click.option("--show", "show_dir", type=click.Path(file_okay=False), help="Show folder (default: the post's show, ./episodes or .).")
@click.option("--voice", help="Voice profile (default: [render] voice in show.toml, else joe).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Episode folder (default: <show>/rendered/<slug>).")
@click.option("--quiet", is_flag=True, help="No progress display and no summary.")
@click.option("--no-cache", is_flag=True, help="Synthesize every sentence, ignoring the synthesis cache.")
@click.option("--threads", type=click.IntRange(min=1), help="Sentences synthesized at once (default: all cores).")
@reports_errors
def render(post: str, show_dir: str | None, voice: str | None, out_dir: str | None, quiet: bool, no_cache: bool,
           threads: int | None) -> None:
    """Render POST into a finished episode: MP3 with chapters, transcripts, record."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from audio.pipeline import render_episode
    from audio.show import find_show

    show = find_show(show_dir, post)
    bar = Progress(TextColumn("[bold]render"), BarColumn(), MofNCompleteColumn(), TextColumn("sentences"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True),
                   transient=True, disable=quiet)
    task = bar.add_task("render", total=None)

    def progress(done: int, total: int) -> None:
        if not bar.live.is_started:  # started on the first sentence: errors before it print alone
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        episode = render_episode(post, show, voice=voice, out_dir=out_dir, use_cache=not no_cache, progress=progress,
                                 threads=threads)
    finally:
        if bar.live.is_started:
            bar.stop()
    if not quiet and episode.own_audio:
        how = f"encoded to MP3 from {episode.encoded_from}" if episode.encoded_from else "kept as it is"
        click.echo(f"{episode.folder / episode.files['audio']}: the post's own audio ({episode.own_audio}), {how}: "
                   f"{_clock(episode.duration_s)} audio, {episode.bytes / 1e6:.1f} MB, {episode.loudness_lufs:.1f} LUFS")
    elif not quiet:
        stats = episode.stats
        click.echo(f"{episode.folder / episode.files['audio']}: {_clock(episode.duration_s)} audio, "
                   f"{episode.bytes / 1e6:.1f} MB, {episode.loudness_lufs:.1f} LUFS, {episode.true_peak_dbtp:.1f} dBTP, "
                   f"{stats.wall_s:.1f} s wall, real-time factor {stats.real_time_factor:.3f} "
                   f"({stats.cache_misses} of {stats.sentences} sentences synthesized)")
        if episode.qa is not None:
            hint = f"; the report: `audio-essay qa {episode.slug}`" if episode.qa.suspects else ""
            click.echo(f"qa: {_qa_state(episode.qa)}, {stats.qa_s:.1f} s{hint}")
