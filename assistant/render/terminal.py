"""An Answer in the terminal, with rich: bold verdict and statuses, wrapped text, sources by title and host.

>>> from io import StringIO
>>> out = StringIO()
>>> print_answer(Answer("q", "It is **listed**. [1]", False, as_of="2025-11-20"), Console(file=out, width=60))
>>> print(out.getvalue().strip())
As of 20 November 2025
It is listed. [1]
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from assistant.dates import display_date as human_date
from assistant.schema import Answer

STATUS_WORDS = {"in_force": "in force", "not_issued": "not issued"}
MARKDOWN_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")


def host(url: str) -> str:
    return (urlsplit(url).hostname or url).removeprefix("www.")


def print_answer(answer: Answer, console: Console) -> None:
    """The verdict (or the text answer), status lines, quotes, caveats; sources with print_sources."""
    console.print(Text(f"As of {human_date(answer.as_of)}", style="dim"))
    if answer.verdict:
        console.print(Text(answer.verdict.text + _markers(answer.verdict.citations), style="bold"))
    for line in answer.status_lines:
        phrase = line.phrase
        if line.status == "unknown":
            phrase = f"unknown after {human_date(line.since)} (nothing later in the corpus)" if line.since else "unknown"
        console.print(Text.assemble("• ", (line.title, "bold"), ": ", phrase, _markers([line.citation] if line.citation else [])))
    if answer.reply:
        console.print(_plain_markdown(answer.reply))
    for quote in answer.quotes:
        later = "(Describes a later period.) " if quote.later else ""
        console.print(Text(f"{later}“{quote.text}”{_markers([quote.citation])}", style="italic"))
    for caveat in answer.caveats:
        console.print(Text(f"Note: {caveat.text}{_markers(caveat.citations)}"))
    if not answer.has_typed_parts():
        console.print(_plain_markdown(answer.answer))  # a refusal, or an answer of text alone
    for note in answer.notes:
        console.print(Text(f"Note: {note}", style="dim"))


def print_sources(answer: Answer, console: Console) -> None:
    """The citations as a numbered list of titles and links named by host, never file paths."""
    if not answer.citations:
        return
    console.print(Text("Sources", style="bold"))
    for c in answer.citations:
        when = f"issued {human_date(c.issued)}" if c.issued else human_date(c.published) if c.published else None
        where = ", ".join(x for x in (c.issuer, when, host(c.url) if c.url else None) if x)
        console.print(f"[{c.n}] {escape(c.title)}" + (f" ({escape(where)})" if where else ""), highlight=False)


def _markers(numbers: list[int]) -> str:
    return "".join(f" [{n}]" for n in numbers if n)


def _plain_markdown(text: str) -> Text:
    """The text answer without Markdown emphasis marks: bold where it was bold."""
    result, position = Text(), 0
    for match in MARKDOWN_EMPHASIS.finditer(text):
        result.append(text[position : match.start()])
        result.append(match[1] or match[2], style="bold")
        position = match.end()
    result.append(text[position:])
    return result
