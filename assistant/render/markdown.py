"""The Answer as Markdown: the verdict line first, then status lines, quotes and caveats.

>>> from assistant.schema import Answer, Quote, StatusLine, Verdict
>>> a = Answer("q", "", False, as_of="2025-11-20", verdict=Verdict("suspended", "Not at present.", [1]),
...            status_lines=[StatusLine("m", "No. 57", "suspended", "suspended since 7 November 2025", citation=1)],
...            quotes=[Quote("It was suspended.", 2)])
>>> print(render(a))
**Not at present.** [1]
<BLANKLINE>
**Status on 20 November 2025**
- No. 57: suspended since 7 November 2025 [1]
<BLANKLINE>
It was suspended. [2]
"""

from __future__ import annotations

from assistant.dates import human_date
from assistant.schema import Answer

QUOTES_FIRST = {"reasons", "history", "procedure", "definition", "party"}  # the quotes answer; statuses are context


def markers(numbers) -> str:
    return "".join(f" [{n}]" for n in numbers if n)


def render(answer: Answer) -> str:
    if answer.refused:
        return answer.answer
    blocks = []
    if answer.verdict:
        blocks.append(f"**{answer.verdict.text}**{markers(answer.verdict.citations)}")
    understood = understood_line(answer)
    if understood:
        blocks.append(f"_{understood}_")
    quotes = "\n".join(
        f"{'(Describes a later period.) ' if q.later else ''}{q.text} [{q.citation}]" for q in answer.quotes
    )
    quotes_first = answer.verdict is None and answer.query is not None and answer.query.intent in QUOTES_FIRST
    if quotes and quotes_first:
        blocks.append(quotes)
    if answer.status_lines:
        heading = "Status changes" if answer.verdict and answer.verdict.outcome == "changes" else f"Status on {human_date(answer.as_of)}"
        lines = [f"**{heading}**"]
        lines += [f"- {s.title}: {s.phrase}{markers([s.citation])}" for s in answer.status_lines]
        blocks.append("\n".join(lines))
    listing = [c for c in answer.caveats if c.kind in {"lists_checked", "limit"}]
    if listing:
        blocks.append("\n".join(f"- {c.text}" + ("" if "[" in c.text else markers(c.citations)) for c in listing))
    if quotes and not quotes_first:
        blocks.append(quotes)
    rest = [c for c in answer.caveats if c.kind not in {"lists_checked", "limit"}]
    if rest:
        blocks.append("\n".join(c.text + markers(c.citations) for c in rest))
    return "\n\n".join(blocks).strip()


def understood_line(answer: Answer) -> str:
    """What the engine read from the question that the user did not set: an as-of date, instruments."""
    query = answer.query
    if query is None:
        return ""
    parts = []
    if query.as_of_source == "question":
        parts.append(f"as of {human_date(query.as_of)} (the date in the question)")
    if query.window:
        start, end = query.window
        parts.append(f"changes on {human_date(start)}" if start == end else f"changes from {human_date(start)} to {human_date(end)}")
    return ("Understood: " + "; ".join(parts) + ".") if parts else ""
