"""The web chat's "Screen" tab: paste names or upload a CSV, see a results table, download it.

``build_screen_tab`` creates its components inside the caller's ``gr.Blocks`` /
``gr.Tab`` context and wires them to ``Engine.screen_many`` (audited as the
``web`` front end, with the logged-in user where there is one)::

    with gr.Blocks() as app:
        with gr.Tab("Screen"):
            build_screen_tab(engine, settings)
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from assistant.config import Settings
from assistant.errors import LodestoneError
from assistant.schema import Screening
from assistant.screening import BadRow, check_name, read_names_csv, write_results

COLUMNS = ["Name", "Outcome", "Listed party", "List", "Status on date", "Since", "Score", "Why", "Source"]
INTRO = (
    "Screen customers and suppliers against the parties the corpus names on China's Unreliable Entity List, "
    "export control list and watch list. Paste names (one a line) or upload a CSV with a *name* or *company* column. "
    "A match is cited; no match is **not** a clearance: the corpus is not a complete official list."
)


@dataclass
class ScreenTab:
    """The tab's components, for a caller that wants to wire more to them."""

    names: gr.Textbox
    upload: gr.File
    column: gr.Textbox
    as_of: gr.Textbox
    run: gr.Button
    message: gr.Markdown
    table: gr.Dataframe
    download: gr.DownloadButton


def build_screen_tab(engine, settings: Settings) -> ScreenTab:
    gr.Markdown(INTRO)
    with gr.Row():
        names = gr.Textbox(label="Names to screen, one a line", lines=6, elem_id="screen-names", scale=3)
        with gr.Column(scale=2):
            upload = gr.File(label="Or upload a CSV of names", file_types=[".csv", ".txt"], elem_id="screen-file")
            column = gr.Textbox(label="Name column in the CSV (optional)", elem_id="screen-column")
            as_of = gr.Textbox(label="As of (YYYY-MM-DD; empty: today)", elem_id="screen-as-of")
    with gr.Row():
        run = gr.Button("Screen", variant="primary", elem_id="screen-run")
        download = gr.DownloadButton("Download results (.csv)", visible=False, elem_id="screen-download")
    message = gr.Markdown(elem_id="screen-message")
    table = gr.Dataframe(
        value=_frame([]), headers=COLUMNS, interactive=False, wrap=True,
        elem_id="screen-results", label="Results",
    )  # fmt: skip
    screen = _Screen(engine, settings)
    run.click(screen.run, [names, upload, column, as_of], [message, table, download], api_name="screen")
    return ScreenTab(names, upload, column, as_of, run, message, table, download)


class _Screen:
    def __init__(self, engine, settings: Settings):
        self.engine, self.settings = engine, settings
        self.folder = Path(tempfile.mkdtemp(prefix="lodestone-screen-"))

    def run(self, pasted: str, upload, column: str, as_of: str, request: gr.Request | None = None):
        try:
            names, bad = self._names(pasted or "", upload, (column or "").strip() or None)
            if not names:
                return _message("Nothing to screen: paste names or upload a CSV.", bad), _frame([]), gr.DownloadButton(visible=False)
            user = getattr(request, "username", None) if request is not None else None
            results = list(self.engine.screen_many(names, as_of=(as_of or "").strip() or None, frontend="web", user=user))
        except LodestoneError as error:
            return f"**Could not screen:** {error}", _frame([]), gr.DownloadButton(visible=False)
        path = self.folder / f"screening-{results[0].as_of}-{len(list(self.folder.iterdir()))}.csv"
        write_results(results, path)
        return _summary(results, bad), _frame(results), gr.DownloadButton(value=str(path), visible=True)

    def _names(self, pasted: str, upload, column: str | None) -> tuple[list[str], list[BadRow]]:
        names, bad = [], []
        for line, value in enumerate(pasted.splitlines(), start=1):
            if value.strip():
                try:
                    names.append(check_name(value))
                except LodestoneError as problem:
                    bad.append(BadRow(line, value[:80], f"pasted line {line}: {problem}"))
        if upload is not None:
            path = upload if isinstance(upload, str) else getattr(upload, "name", str(upload))
            from_file, file_bad = read_names_csv(path, column, self.settings.screen_max_names)
            names += from_file
            bad += [BadRow(b.row, b.value, f"CSV row {b.row}: {b.reason}") for b in file_bad]
        return names, bad


def _frame(results: list[Screening]) -> dict:
    """The results table: one row a name, the best hit and its cited sentence."""
    rows = []
    for s in results:
        h = s.hits[0] if s.hits else None
        rows.append([
            s.input, s.outcome, h.name if h else "", h.list_title if h else "", h.status.replace("_", " ") if h else "",
            (h.since or "") if h else "", f"{h.score:g}" if h else "", h.reason if h else "",
            f'{h.citation.title}: "{h.citation.quote}"' if h and h.citation else "",
        ])  # fmt: skip
    return {"headers": COLUMNS, "data": rows}


def _summary(results: list[Screening], bad: list[BadRow]) -> str:
    counts = {k: sum(s.outcome == k for s in results) for k in ("exact", "possible", "none")}
    first = results[0]
    text = (
        f"Screened **{len(results)}** names as of {first.as_of}: **{counts['exact']} exact**, "
        f"**{counts['possible']} possible**, {counts['none']} no match."
    )
    notes = dict.fromkeys(s.note for s in results if s.note)
    return _message(text + "".join(f"\n\n{n}" for n in notes), bad)


def _message(text: str, bad: list[BadRow]) -> str:
    if bad:
        text += f"\n\nSkipped {len(bad)}: " + "; ".join(b.reason for b in bad[:5]) + (" ..." if len(bad) > 5 else "")
    return text
