"""Thin commands over the engine. Each catches Lodestone's own errors and exits
with a clear message and a non-zero code; tracebacks are for bugs only.

    lodestone index build [--full]      build or update the index from corpus/
    lodestone index status [--dropped FILE]  documents, chunks, model, corpus changes, damage
    lodestone ask "QUESTION" [--json|--plain] [-k N] [--as-of YYYY-MM-DD]
    lodestone chat [--plain]            terminal chat: follow-ups, /new, /date D, /sources
    lodestone web                       the web chat
    lodestone slack [--http]            the Slack bot
    lodestone eval [--suite F] [--report DIR] [--compare F] [--gate]
    lodestone feedback export [--format csv|jsonl]
    lodestone screen NAME [--as-of D] [--json]      screen a party against the listed entities
    lodestone screen --file F.csv [--column C] --out R.csv|R.json
    lodestone screen log --export [--format csv|jsonl]
"""

from __future__ import annotations

import functools
import json
import os
import sys

import click

from assistant.config import Settings, set_offline_environment
from assistant.errors import LodestoneError
from assistant.schema import Turn
from assistant.textinput import clean_question


def friendly(command):
    """Turn Lodestone errors into a one-line message and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except LodestoneError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)

    return wrapper


@click.group()
def main():
    """Lodestone: cited, date-aware answers on rare-earth export controls."""
    set_offline_environment()


# Set by a command that only reads (ask, changes) once its answer is printed.
_read_only = False


def run() -> None:
    """The `lodestone` command. A read-only command that finished leaves at once: tearing down the interpreter's
    modules (chromadb's alone) costs about 0.35 s of CPU after the answer is printed and saves nothing."""
    try:
        main()
    except SystemExit as stop:
        if not _read_only:
            raise
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


@main.group()
def index():
    """Build the index or show its status."""


@index.command("build")
@click.option("--full", is_flag=True, help="Re-embed everything, ignoring the previous build.")
@click.option("--if-stale", is_flag=True, help="Only build when the corpus changed since the last build.")
@friendly
def index_build(full, if_stale):
    from assistant.store import build_index, corpus_changed

    settings = Settings.load()
    if if_stale and not full and not corpus_changed(settings):
        click.echo("Index is up to date.")
        return
    report = build_index(settings, full=full)
    for problem in report.problems:
        click.echo(f"Warning: {problem}", err=True)
    for damage in report.repaired:
        click.echo(f"Repaired: {damage}", err=True)
    for path, count in report.dropped.items():
        click.echo(
            f"Note: the web-capture cleaner dropped {count} lines of {path} "
            f"(see them with: lodestone index status --dropped {path})",
            err=True,
        )
    click.echo(
        f"Indexed {report.documents} documents, {report.chunks} chunks: {report.embedded} embedded, "
        f"{report.removed} removed, {report.unchanged_documents} documents unchanged "
        f"({'full' if report.full else 'incremental'} build, {report.seconds:.1f} s)."
    )


@index.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--dropped", "dropped_file", metavar="FILE", help="Show the lines the web-capture cleaner dropped from FILE.")
@friendly
def index_status_command(as_json, dropped_file):
    from dataclasses import asdict

    from assistant.store import dropped_lines, index_status

    if dropped_file:
        path, lines = dropped_lines(Settings.load(), dropped_file)
        click.echo(f"{path}: {len(lines)} lines dropped by the web-capture cleaner" + (":" if lines else "."))
        for line in lines:
            click.echo(f"  {line}")
        return
    status = index_status(Settings.load())
    if as_json:
        click.echo(json.dumps(asdict(status) | {"stale": status.stale}, indent=1))
        return
    click.echo(f"Index:     {status.path} (built {status.built_at})")
    click.echo(f"Documents: {status.documents}   Chunks: {status.chunks}")
    click.echo(f"Model:     {status.model}   Chunking: {status.chunking}")
    for damage in status.damage:
        click.echo(f"Damaged:   {damage}")
    if status.stale:
        for label, ids in (("changed", status.changed), ("new", status.added), ("deleted", status.removed)):
            if ids:
                click.echo(f"Corpus {label} since the build: {', '.join(ids)}")
        click.echo("Run: lodestone index build")
    else:
        click.echo("Corpus unchanged since the build.")
    for problem in status.problems:
        click.echo(f"Warning: {problem}", err=True)
    if status.damage:
        sys.exit(1)


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as one JSON object.")
@click.option("--plain", is_flag=True, help="Plain text: the answer as written, then each citation with its file.")
@click.option("-k", "top_k", type=int, default=None, help="Passages to retrieve.")
@click.option("--as-of", default=None, help="Date the answer speaks for (YYYY-MM-DD; default today).")
@friendly
def ask(question, as_json, plain, top_k, as_of):
    """Answer one question with verified citations."""
    from assistant.engine import Engine

    global _read_only
    _emit(Engine(Settings.load()).ask(clean_question(question), as_of=as_of, k=top_k), as_json, plain)
    _read_only = True


@main.command()
@click.option("--from", "start", required=True, help="First day of the window (YYYY-MM-DD).")
@click.option("--to", "end", default=None, help="Last day of the window (YYYY-MM-DD; default today).")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer as one JSON object.")
@click.option("--plain", is_flag=True, help="Plain text, as 'ask --plain' prints it.")
@friendly
def changes(start, end, as_json, plain):
    """Every status change the register records between two dates, in date order, each cited."""
    from assistant.engine import Engine

    global _read_only
    _emit(Engine(Settings.load()).changes(start, end), as_json, plain)
    _read_only = True


def _emit(answer, as_json: bool, plain: bool) -> None:
    """One Answer printed as JSON, as plain text, or drawn with rich."""
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    elif plain:
        click.echo(render_text(answer))
    else:
        _print_rich(answer, sources=True)


def render_text(answer) -> str:
    lines = [f"(as of {answer.as_of})", answer.answer, ""]
    for c in answer.citations:
        where = ", ".join(x for x in (c.published, c.url) if x)
        lines.append(f"[{c.n}] {c.title} ({c.document}{', ' + where if where else ''})")
        lines.append(f'    "{c.quote}"')
    for note in answer.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines).rstrip()


def _print_rich(answer, sources: bool) -> None:
    from rich.console import Console

    from assistant.render.terminal import print_answer, print_sources

    console = Console(soft_wrap=False)
    print_answer(answer, console)
    if sources:
        print_sources(answer, console)


CHAT_HELP = "Commands: /new starts over, /date YYYY-MM-DD sets the as-of date, /sources lists the last answer's sources."


@main.command()
@click.option("--as-of", default=None, help="Date the answers speak for (YYYY-MM-DD; default today).")
@click.option("--plain", is_flag=True, help="Plain text answers, as 'ask --plain' prints them.")
@friendly
def chat(as_of, plain):
    """Terminal chat; follow-up questions are understood in context. Ctrl-D quits."""
    from assistant.engine import Engine

    settings = Settings.load()
    engine = Engine(settings)
    history: list[Turn] = []
    last = None
    _load_chat_history(settings)
    click.echo(f"Lodestone chat. Ask about rare-earth export controls; Ctrl-D quits. {CHAT_HELP}")
    while True:
        try:
            question = input("\nYou: ")
        except (EOFError, KeyboardInterrupt):
            click.echo("")
            return
        command, _, argument = question.strip().partition(" ")
        if command.lower() in {"new", "/new"}:
            history, last = [], None
            click.echo("(new conversation)")
            continue
        if command.lower() == "/date":
            as_of = _chat_date(argument.strip(), as_of)
            continue
        if command.lower() == "/sources":
            _chat_sources(last, plain)
            continue
        try:
            answer = engine.ask(clean_question(question), as_of=as_of, history=history)
        except LodestoneError as error:
            click.echo(f"Lodestone: {error}")
            continue
        if plain:
            click.echo("Lodestone: " + render_text(answer))
        else:
            click.echo("Lodestone:")
            _print_rich(answer, sources=False)
            if answer.citations:
                click.echo(f"({len(answer.citations)} sources: /sources lists them)")
        history.append(Turn(question=answer.standalone_question or question, answer=answer.answer))
        last = answer


def _chat_date(text: str, current: str | None) -> str | None:
    import datetime as dt

    if not text:
        click.echo(f"(answers are as of {current or 'today'}; /date YYYY-MM-DD changes it)")
        return current
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        click.echo(f"Lodestone: dates are YYYY-MM-DD, got {text!r}; the as-of date stays {current or 'today'}.")
        return current
    click.echo(f"(answers are now as of {text})")
    return text


def _chat_sources(answer, plain: bool) -> None:
    if answer is None or not answer.citations:
        click.echo("(no sources yet: ask a question first)")
    elif plain:
        click.echo("\n".join(f"[{c.n}] {c.title}" for c in answer.citations))
    else:
        from rich.console import Console

        from assistant.render.terminal import print_sources

        print_sources(answer, Console())


def _load_chat_history(settings: Settings) -> None:
    """Questions typed in earlier chats come back with the arrow keys (data/chat_history)."""
    import atexit
    from pathlib import Path

    try:
        import readline
    except ImportError:  # not on every platform; the chat works without it
        return
    path = Path(settings.data_dir) / "chat_history"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            readline.read_history_file(path)
    except OSError:
        return
    readline.set_history_length(1000)
    atexit.register(_save_chat_history, readline, path)


def _save_chat_history(readline, path) -> None:
    try:
        readline.write_history_file(path)
    except OSError:
        pass


@main.command()
@click.option("--host", default=None, help="Address to bind (default from LODESTONE_WEB_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default from LODESTONE_WEB_PORT, 7860).")
@friendly
def web(host, port):
    """Start the web chat."""
    from assistant.web import serve

    serve(Settings.load(), host=host, port=port)


@main.command()
@click.option("--http", "http_mode", is_flag=True, help="Serve Slack's HTTP events API instead of Socket Mode.")
@click.option("--port", type=int, default=3000, help="Port for --http.")
@friendly
def slack(http_mode, port):
    """Run the Slack bot (Socket Mode by default)."""
    from assistant.slack import serve

    serve(Settings.load(), http_mode=http_mode, port=port)


@main.command("eval")
@click.option("--suite", "suites", multiple=True, help="Golden suite file(s) (default: evals/golden/*.jsonl).")
@click.option("--report", "report_dir", default="evals/report", help="Folder for report.json and report.md.")
@click.option("--compare", default="evals/baseline.json", help="Baseline to compare with.")
@click.option("--gate", is_flag=True, help="Exit non-zero when a gated metric falls below the baseline.")
@click.option("--update-baseline", is_flag=True, help="Write this run's totals as the new baseline.")
@click.option("--baselines", is_flag=True, help="Also run the plain llama-index and BM25-only baselines.")
@click.option("--judge", is_flag=True, help="Advisory LLM scores per answer (needs LODESTONE_LLM_URL; never gated).")
@friendly
def eval_command(suites, report_dir, compare, gate, update_baseline, baselines, judge):
    """Run the golden questions through the engine and report the metrics."""
    from evals.runner import run_cli

    sys.exit(run_cli(suites, report_dir, compare, gate, update_baseline, baselines, judge))


@main.group()
def feedback():
    """Feedback given in the web chat and Slack."""


@feedback.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="-", help="File to write (default stdout).")
@friendly
def feedback_export(fmt, output):
    from assistant.feedback import FeedbackStore

    store = FeedbackStore(Settings.load().feedback_db)
    with click.open_file(output, "w") as f:
        count = store.export(f, fmt)
    click.echo(f"Exported {count} feedback records.", err=True)


class _ScreenGroup(click.Group):
    """``lodestone screen NAME`` and ``lodestone screen --file F`` run the hidden ``name`` command; ``log`` is a subcommand."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["name", *args]
        return super().parse_args(ctx, args)


@main.group(cls=_ScreenGroup)
def screen():
    """Screen parties against the Chinese lists in the corpus.

    \b
    lodestone screen "Teledyne FLIR" [--as-of D] [--json]
    lodestone screen --file customers.csv [--column NAME] --out results.csv|.json
    lodestone screen log --export [--format csv|jsonl] [-o FILE]
    """


@screen.command("name", hidden=True)
@click.argument("names", nargs=-1)
@click.option("--file", "names_file", type=click.Path(dir_okay=False), default=None, help="CSV of names to screen.")
@click.option("--column", default=None, help="Column of --file holding the names (default: a 'name'/'company' column).")
@click.option("--out", default=None, help="Write the results of --file to a .csv or .json file.")
@click.option("--as-of", default=None, help="Date the status is given for (YYYY-MM-DD; default today).")
@click.option("--json", "as_json", is_flag=True, help="Print each Screening as one JSON object.")
@friendly
def screen_names(names, names_file, column, out, as_of, as_json):
    from assistant.engine import Engine

    engine = Engine(Settings.load())
    if names_file:
        return _screen_file(engine, names_file, column, out, as_of, as_json)
    if not names:
        raise click.UsageError('Give a name (lodestone screen "Teledyne FLIR") or --file customers.csv')
    for name in names:
        screening = engine.screen(name, as_of=as_of, frontend="cli")
        click.echo(json.dumps(screening.to_json(), ensure_ascii=False) if as_json else render_screening(screening))


def _screen_file(engine, names_file, column, out, as_of, as_json):
    from rich.progress import Progress

    from assistant.screening import read_names_csv, write_results

    settings = engine.settings
    names, bad = read_names_csv(names_file, column, settings.screen_max_names)
    for row in bad:
        click.echo(f"Skipped row {row.row}: {row.reason}", err=True)
    batch = engine.screen_many(names, as_of=as_of, frontend="cli")
    counts = {"exact": 0, "possible": 0, "none": 0}
    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task("Screening", total=batch.total)

        def tracked():
            for screening in batch:
                counts[screening.outcome] += 1
                progress.advance(task)
                yield screening

        if out:
            write_results(tracked(), out)
        else:
            for screening in tracked():
                click.echo(json.dumps(screening.to_json(), ensure_ascii=False) if as_json else render_screening(screening, brief=True))
    resumed = f", {batch.done_before} read back from an earlier run" if batch.done_before else ""
    click.echo(
        f"Screened {batch.total} names as of {batch.as_of}: {counts['exact']} exact, {counts['possible']} possible, "
        f"{counts['none']} no match; {len(bad)} rows skipped{resumed}. Batch {batch.id}." + (f" Results: {out}" if out else ""),
        err=True,
    )


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def render_screening(s, brief: bool = False) -> str:
    """A Screening as terminal text: one block a hit, each with its citation."""
    if s.outcome == "none":
        return f"{s.input}: no match (as of {s.as_of}). {s.note}"
    lines = [f"{s.input}: {s.outcome} match (as of {s.as_of})"]
    for h in s.hits[: 1 if brief else None]:
        when = f" since {h.since}" if h.since else ""
        lines.append(f"  {h.match.upper()} {h.name} ({h.country or 'country not given'}), score {h.score:g}: {h.reason}")
        lines.append(f"    {h.list_title}: {h.status.replace('_', ' ')}{when}" + (f" ({h.note})" if h.note else ""))
        lines.append(f"    Meaning: {h.meaning}")
        if h.citation and not brief:
            c = h.citation
            lines.append(f"    [{c.n}] {c.title} ({c.document}{', ' + c.published if c.published else ''})")
            lines.append(f'        "{c.quote}"')
    if s.note:
        lines.append(f"  {s.note}")
    return "\n".join(lines)


@screen.command("log")
@click.option("--export", "do_export", is_flag=True, help="Write the audit trail of every screening.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="-", help="File to write (default stdout).")
@friendly
def screen_log(do_export, fmt, output):
    """The screening audit trail (front end, user, input, corpus version, as-of, results)."""
    from assistant.audit import AuditLog

    log = AuditLog(Settings.load().audit_db)
    if not do_export:
        click.echo(f"{log.count()} screenings in {log.path}. Export with: lodestone screen log --export [--format jsonl]")
        return
    with click.open_file(output, "w", encoding="utf-8") as f:
        count = log.export(f, fmt)
    click.echo(f"Exported {count} screenings.", err=True)
