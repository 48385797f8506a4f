"""Drawing a typed Answer for the web page: plain functions, no gradio.

The chat shows the verdict in its own line, then the status lines, quotes and
caveats, and a small "understood as" line when the question set its own date
or instruments. When the answer has none of these parts (an older pipeline, a
refusal), the chat shows ``answer.answer`` as written. The panel beside the
chat shows one answer's status table and source cards.

>>> chat_markdown(Answer("q", "Listed. [1]", False, as_of="2025-11-20"))
'Listed. [\\\\[1\\\\]](#source-1)\\n\\n_Answer as of 20 November 2025_'
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from assistant.dates import display_date as human_date
from assistant.schema import Answer, Citation, MeasureStatus, Passage
from assistant.web.documents import Shelf, Source, host

MARKER = re.compile(r"\[(\d+)\](?!\()")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
HOST_IN_TEXT = re.compile(r"\b((?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:gov\.cn|com|cn|org|gov))\b")
PLACEHOLDER = '<p class="placeholder">The sources of the selected answer appear here.</p>'
STATUS_WORDS = {"in_force": "in force", "not_issued": "not issued"}


@dataclass
class StatusRow:
    """One row of the status table, from a StatusLine or (older answers) a MeasureStatus."""

    title: str
    status: str
    phrase: str
    citation: int | None = None
    where_to_check: str | None = None


# -- small pieces -----------------------------------------------------------


def link_markers(text: str) -> str:
    """Turn each [n] marker into a Markdown link to source n in the panel."""
    return MARKER.sub(lambda m: f"[\\[{m[1]}\\]](#source-{m[1]})", text)


def marker_links(numbers: list[int]) -> str:
    return "".join(f' <a href="#source-{n}">[{n}]</a>' for n in numbers)


def status_word(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " "))


def status_rows(answer: Answer, shelf: Shelf | None = None) -> list[StatusRow]:
    """The status table's rows; instruments are named by their titles, never by their ids."""
    if answer.status_lines:
        return [
            StatusRow(
                s.title or _title_of(s.measure_id, shelf), s.status, _phrase(s.status, s.phrase, s.since), s.citation,
                s.where_to_check,
            )
            for s in answer.status_lines
        ]
    return [_row_of_measure(m, shelf) for m in answer.measures]


def _title_of(document_id: str, shelf: Shelf | None) -> str:
    source = shelf.get(document_id) if shelf else None
    return source.title if source else document_id


def _row_of_measure(m: MeasureStatus, shelf: Shelf | None) -> StatusRow:
    parts = [status_word(m.status)]
    if m.since:
        parts.append(f"since {human_date(m.since)}")
    if m.until:
        parts.append(f"until {human_date(m.until)}")
    if m.by:
        parts.append(f"by {_title_of(m.by, shelf)}")
    phrase = _phrase(m.status, " ".join(parts), m.since)
    return StatusRow(m.title or m.id, m.status, phrase, m.citation, m.note if m.status == "unknown" else None)


def _phrase(status: str, phrase: str, since: str | None) -> str:
    if status == "unknown":
        return f"unknown after {human_date(since)} (nothing later in the corpus)" if since else "unknown"
    return phrase


def understood_line(answer: Answer, control_as_of: str | None) -> str | None:
    """'Understood as: as of 15 December 2025 (from the question) · Announcement No. 57' when that differs."""
    query = answer.query
    if query is None:
        return None
    parts = []
    if query.as_of_source == "question" and query.as_of and query.as_of != (control_as_of or ""):
        parts.append(f"as of {human_date(query.as_of)} (from the question)")
    titles = {s.measure_id: s.title for s in answer.status_lines}
    if query.instruments:
        parts.append("about " + ", ".join(titles.get(i) or i for i in query.instruments))
    return "Understood as: " + " · ".join(parts) if parts else None


# -- the chat message ----------------------------------------------------------
def chat_markdown(answer: Answer, control_as_of: str | None = None) -> str:
    """The finished answer as shown in the chat, verdict first when the answer has one."""
    if answer.has_typed_parts():
        lines = _typed_parts(answer)
    else:
        lines = [link_markers(answer.answer)]
    if answer.removed and answer.generator != "extractive":
        count = len(answer.removed)
        lines.append(f"_{count} unsupported sentence{'s' if count != 1 else ''} removed._")
    if understood := understood_line(answer, control_as_of):
        lines.append(f'<p class="understood">{html.escape(understood)}</p>')
    lines.append(f"_Answer as of {human_date(answer.as_of)}_")
    return "\n\n".join(lines)


def _typed_parts(answer: Answer) -> list[str]:
    lines = []
    if answer.verdict:
        lines.append(f'<p class="verdict">{html.escape(answer.verdict.text)}{marker_links(answer.verdict.citations)}</p>')
    rows = status_rows(answer)
    if rows:
        lines.append("\n".join(f"- **{_md(r.title)}**: {_md(r.phrase)}{_cite(r.citation)}" for r in rows))
    if answer.reply:
        lines.append(link_markers(answer.reply))
    lines += [f"> {'_(Describes a later period.)_ ' if q.later else ''}{_md(q.text)}{_cite(q.citation)}" for q in answer.quotes]
    lines += [f"_{_md(c.text)}_{''.join(_cite(n) for n in c.citations)}" for c in answer.caveats]
    return lines


def _cite(n: int | None) -> str:
    return f" [\\[{n}\\]](#source-{n})" if n else ""


def _md(text: str) -> str:
    """Plain text safe inside Markdown: no HTML, no emphasis or link syntax of its own."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", " ".join(str(text).split()))


# -- the panel: status table and source cards -------------------------------------
def details_html(answer: Answer | None, shelf: Shelf | None, position: int | None = None) -> str:
    if answer is None:
        return PLACEHOLDER
    label = f"Answer {position + 1}" if position is not None else "Answer"
    parts = [f'<p class="selected">{label} · as of {html.escape(human_date(answer.as_of))}</p>']
    if rows := status_rows(answer, shelf):
        parts.append(status_table(rows, answer.as_of))
    cards = source_cards(answer, shelf)
    if cards:
        parts.append(f"<h3>Sources ({len(answer.citations)})</h3>")
        parts += cards
    else:
        reason = "the corpus does not cover this question" if answer.refused else "this answer cites nothing"
        parts.append(f'<p class="placeholder">No sources: {reason}.</p>')
    return "".join(parts)


def error_html(message: str) -> str:
    """The panel after a question that got no answer: nothing of the previous answer stays."""
    return f'<p class="placeholder">No sources: this question was not answered ({html.escape(message)})</p>'


def status_table(rows: list[StatusRow], as_of: str) -> str:
    body = "".join(
        f'<tr><th scope="row">{html.escape(r.title)}</th>'
        f'<td><span class="status status-{html.escape(r.status)}">{html.escape(status_word(r.status))}</span> '
        f"{html.escape(_tail(r))}{marker_links([r.citation]) if r.citation else ''}"
        f"{_where_to_check(r.where_to_check)}</td></tr>"
        for r in rows
    )
    return (
        f'<h3>Status on {html.escape(human_date(as_of))}</h3><table class="measures">'
        f'<thead><tr><th scope="col">Measure</th><th scope="col">Status</th></tr></thead><tbody>{body}</tbody></table>'
    )


def _tail(row: StatusRow) -> str:
    word = status_word(row.status)
    return row.phrase[len(word) :].strip() if row.phrase.startswith(word) else row.phrase


def _where_to_check(text: str | None) -> str:
    if not text:
        return ""
    escaped = html.escape(text)
    linked = HOST_IN_TEXT.sub(
        lambda m: f'<a href="{m[1] if m[1].startswith("http") else "https://" + m[1]}" target="_blank" '
        f'rel="noopener noreferrer">{host(m[1] if m[1].startswith("http") else "https://" + m[1])}</a>',
        escaped,
    )
    return f'<br><span class="check">Where to check: {linked}</span>'


def source_cards(answer: Answer, shelf: Shelf | None) -> list[str]:
    """One card per distinct passage; the citations that quote it share its card."""
    by_rank = {p.rank: p for p in answer.passages}
    groups: dict[str, list[Citation]] = {}
    for c in answer.citations:
        passage = by_rank.get(c.passage)
        key = passage.chunk_id if passage else f"{c.document_id or c.document}:{c.start}"
        groups.setdefault(key, []).append(c)
    return [
        source_card(citations, by_rank.get(citations[0].passage), shelf.get(citations[0].document_id) if shelf else None)
        for citations in groups.values()
    ]


def source_card(citations: list[Citation], passage: Passage | None, source: Source | None) -> str:
    first = citations[0]
    numbers = "".join(f"[{c.n}]" for c in citations)
    anchors = "".join(f'<span class="anchor" id="source-{c.n}"></span>' for c in citations[1:])
    kind = source.kind if source else "Source"
    return (
        f'<section class="source" id="source-{first.n}" aria-label="Source {numbers}">{anchors}'
        f'<p class="kind kind-{kind.split()[-1].lower()}">{html.escape(kind)}</p>'
        f"<h4>{numbers} {html.escape(first.title)}</h4>{_provenance(first, source)}"
        '<blockquote tabindex="0">'
        f"{highlighted(passage.text, passage.start, citations) if passage else _quotes(citations)}</blockquote>"
        f"{_open_document(source, citations)}</section>"
    )


def _provenance(citation: Citation, source: Source | None) -> str:
    lines = []
    issuer = source.issuer if source else citation.issuer
    issued = source.issued if source else None
    if issuer or issued:
        lines.append("Issued" + (f" by {html.escape(issuer)}" if issuer else "") + (f" on {human_date(issued)}" if issued else ""))
    if source and (source.publisher or source.published):
        who = html.escape(source.publisher or "")
        when = f"{source.published_verb} {human_date(source.published)}" if source.published else ""
        lines.append(", ".join(x for x in (who, when) if x))
    elif citation.published:
        lines.append(f"Published {human_date(citation.published)}")
    links = source.links if source else [citation.url] if citation.url else []
    if links:
        lines.append(
            "Links: "
            + ", ".join(
                f'<a href="{html.escape(u)}" target="_blank" rel="noopener noreferrer">{html.escape(host(u))}</a>'
                for u in links[:4]
            )
            + (f" and {len(links) - 4} more" if len(links) > 4 else "")
        )
    return "".join(f'<p class="meta">{line}</p>' for line in lines)


def _quotes(citations: list[Citation]) -> str:
    return " … ".join(f"<mark>{html.escape(' '.join(c.quote.split()))}</mark>" for c in citations)


def quote_span(text: str, offset: int, citation: Citation) -> tuple[int, int] | None:
    """Where the quote sits in text that starts at ``offset`` of the document: by offsets, else by search."""
    lo, hi = citation.start - offset, citation.end - offset
    quote = " ".join(citation.quote.split())
    if 0 <= lo < hi <= len(text) and " ".join(text[lo:hi].split()) == quote:
        return lo, hi
    if not quote:
        return None
    match = re.search(r"\s+".join(re.escape(word) for word in quote.split()), text)
    return (match.start(), match.end()) if match else None


def highlighted(text: str, offset: int, citations: list[Citation]) -> str:
    """The text with each quote marked and Markdown heading lines left out."""
    marked = [False] * len(text)
    for c in citations:
        if span := quote_span(text, offset, c):
            marked[span[0] : span[1]] = [True] * (span[1] - span[0])
    out, position = [], 0
    for line in text.splitlines(keepends=True):
        start, position = position, position + len(line)
        if HEADING.match(line) or (start == 0 and not line.strip()):
            continue
        out.append(_marked_line(line, marked[start:position]))
    return "".join(out).strip() or _quotes(citations)


def _marked_line(line: str, marks: list[bool]) -> str:
    pieces, run, state = [], "", False
    for char, mark in zip(line, marks):
        if mark != state and run:
            pieces.append(f"<mark>{html.escape(run)}</mark>" if state else html.escape(run))
            run = ""
        state = mark
        run += char
    if run:
        pieces.append(f"<mark>{html.escape(run)}</mark>" if state else html.escape(run))
    return "".join(pieces)


def _open_document(source: Source | None, citations: list[Citation]) -> str:
    if source is None:
        return ""
    return (
        f'<details class="document"><summary>Open document</summary>'
        f'<div class="document-text" tabindex="0" aria-label="Whole text of {html.escape(source.title)}">'
        f"{highlighted(source.text, 0, citations)}</div></details>"
    )


# -- Markdown documents (download, copy, export) ----------------------------------
def answer_markdown(answer: Answer, shelf: Shelf | None = None, heading: str = "# Lodestone answer") -> str:
    """One answer with its status and sources as a Markdown document, with plain [n] markers."""
    lines = [heading, "", f"**Question:** {answer.question}", "", f"**Answer as of:** {answer.as_of}", ""]
    if answer.verdict:
        lines += [f"**{answer.verdict.text}**{''.join(f' [{n}]' for n in answer.verdict.citations)}", ""]
    lines += [answer.answer, ""]
    if rows := status_rows(answer, shelf):
        lines += [f"## Status on {answer.as_of}", "", "| Measure | Status |", "|---|---|"]
        lines += [f"| {r.title} | {r.phrase}{f' [{r.citation}]' if r.citation else ''} |" for r in rows]
        lines.append("")
    if answer.citations:
        lines += ["## Sources", ""]
        for c in answer.citations:
            source = shelf.get(c.document_id) if shelf else None
            about = [source.kind] if source else []
            about += [x for x in (c.issuer, c.published, c.url) if x]
            lines += [f"[{c.n}] {c.title}{' (' + ', '.join(about) + ')' if about else ''}", "", f"> {' '.join(c.quote.split())}", ""]
    return "\n".join(lines)


def conversation_markdown(title: str, answers: list[Answer], shelf: Shelf | None = None) -> str:
    """A whole conversation: each answer in turn, under the conversation's title."""
    parts = [f"# {title or 'Lodestone conversation'}", ""]
    for n, answer in enumerate(answers, 1):
        parts.append(answer_markdown(answer, shelf, heading=f"## {n}. {answer.question}").replace("\n## ", "\n### "))
    return "\n".join(parts)
