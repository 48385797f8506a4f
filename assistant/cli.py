"""Thin commands over the engine. Each catches Lodestone's own errors and exits
with a clear message and a non-zero code; tracebacks are for bugs only.

    lodestone index build [--full]      build or update the index from corpus/
    lodestone index status [--dropped FILE]  documents, chunks, model, corpus changes, damage
    lodestone ask "QUESTION" [--json] [-k N] [--as-of YYYY-MM-DD]
    lodestone chat                      terminal chat with follow-ups
    lodestone web                       the web chat
    lodestone slack [--http]            the Slack bot
    lodestone eval [--suite F] [--report DIR] [--compare F] [--gate]
    lodestone feedback export [--format csv|jsonl]
"""

from __future__ import annotations

import functools
import json
import sys

import click

from assistant.config import Settings, set_offline_environment
from assistant.errors import LodestoneError
from assistant.schema import Turn


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
@click.option("-k", "top_k", type=int, default=None, help="Passages to retrieve.")
@click.option("--as-of", default=None, help="Date the answer speaks for (YYYY-MM-DD; default today).")
@friendly
def ask(question, as_json, top_k, as_of):
    """Answer one question with verified citations."""
    from assistant.engine import Engine

    answer = Engine(Settings.load()).ask(question, as_of=as_of, k=top_k)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        click.echo(render_text(answer))


def render_text(answer) -> str:
    lines = [f"(as of {answer.as_of})", answer.answer, ""]
    for c in answer.citations:
        where = ", ".join(x for x in (c.published, c.url) if x)
        lines.append(f"[{c.n}] {c.title} ({c.document}{', ' + where if where else ''})")
        lines.append(f'    "{c.quote}"')
    for note in answer.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines).rstrip()


@main.command()
@click.option("--as-of", default=None, help="Date the answers speak for (YYYY-MM-DD; default today).")
@friendly
def chat(as_of):
    """Terminal chat; follow-up questions are understood in context. Ctrl-D quits."""
    from assistant.engine import Engine

    engine = Engine(Settings.load())
    history: list[Turn] = []
    click.echo("Lodestone chat. Ask about rare-earth export controls; 'new' starts over, Ctrl-D quits.")
    while True:
        try:
            question = input("\nYou: ")
        except (EOFError, KeyboardInterrupt):
            click.echo("")
            return
        if question.strip().lower() in {"new", "/new"}:
            history = []
            click.echo("(new conversation)")
            continue
        try:
            answer = engine.ask(question, as_of=as_of, history=history)
        except LodestoneError as error:
            click.echo(f"Lodestone: {error}")
            continue
        click.echo("Lodestone: " + render_text(answer))
        history.append(Turn(question=answer.standalone_question or question, answer=answer.answer))


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
