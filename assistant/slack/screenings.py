"""Block Kit for party screenings: one name's hits with their list, meaning, status on the date and
citation; a no-match that names the lists checked and where to check (never a silent "clear"); and the
summary of a CSV file screened in a direct message.

>>> from assistant.schema import Screening
>>> none = Screening("Acme Widgets", "2026-11-24", "none", lists_checked=["unreliable_entity_list"],
...                  corpus_date="2026-06-22", note="No match on the lists checked. Check MOFCOM.")
>>> screening_blocks(none)[0]["text"]["text"]
'*No match* for “Acme Widgets” on 24 November 2026.'
"""

from __future__ import annotations

from assistant.schema import PartyHit, Screening
from assistant.slack.blocks import _date, context, escape, section, sections, shorten

OUTCOME = {"exact": "Listed", "possible": "Possible match", "none": "No match"}
STATUS = {"listed": "listed", "suspended": "suspended", "lifted": "lifted", "not_yet_listed": "not yet listed",
          "unknown": "status unknown"}  # fmt: skip
HITS_SHOWN = 5
ROWS_SHOWN = 20


def hit_mrkdwn(hit: PartyHit, n: int) -> str:
    """One hit: the listed name, how it matched, the list, its status on the date, what it means, the evidence."""
    status = STATUS.get(hit.status, hit.status.replace("_", " "))
    since = f" since {_date(hit.since)}" if hit.since else ""
    until = f", until {_date(hit.until)}" if hit.until else ""
    listed = escape(hit.list_title or hit.list.replace("_", " "))
    head = f"*{escape(hit.name)}*" + (f" ({escape(hit.country)})" if hit.country else "")
    lines = [
        f"{head} · {listed}: {status}{since}{until} [{n}]",
        f"{hit.match} match, score {hit.score:g}: {escape(hit.reason)}",
        f"_{escape(shorten(hit.meaning, 300))}_",
    ]
    if hit.note:
        lines.append(f"🔎 {escape(hit.note)}")
    if hit.citation:
        source = escape(shorten(hit.citation.title, 120))
        lines.append(f">{escape(shorten(hit.citation.quote, 300))} — [{n}] {source}")
    return "\n".join(lines)


def screening_blocks(screening: Screening) -> list[dict]:
    outcome = OUTCOME.get(screening.outcome, screening.outcome)
    blocks = [section(f"*{outcome}* for “{escape(screening.input)}” on {_date(screening.as_of)}.")]
    for n, hit in enumerate(screening.hits[:HITS_SHOWN], start=1):
        blocks += sections(hit_mrkdwn(hit, n))
    if len(screening.hits) > HITS_SHOWN:
        blocks.append(context(f"{len(screening.hits) - HITS_SHOWN} more possible matches not shown."))
    if screening.note:
        blocks.append(section(f"⚠️ {escape(screening.note)}"))
    lists = ", ".join(x.replace("_", " ") for x in screening.lists_checked)
    checked = f"Lists checked: {escape(lists)}" if lists else "Lists checked: none"
    blocks.append(context(checked + (f" · corpus up to {_date(screening.corpus_date)}" if screening.corpus_date else "")))
    return blocks


def screening_text(screening: Screening) -> str:
    """The plain-text version for notifications."""
    outcome = OUTCOME.get(screening.outcome, screening.outcome)
    names = "; ".join(f"{h.name} ({h.list_title or h.list}, {h.status})" for h in screening.hits[:HITS_SHOWN])
    return f"{outcome} for {screening.input} on {screening.as_of}" + (f": {names}" if names else ". " + screening.note)


def batch_blocks(file_name: str, screenings: list[Screening], skipped: list) -> list[dict]:
    """The summary of a screened file: counts, the names that matched (best hit each), the rows skipped."""
    counts = {k: sum(s.outcome == k for s in screenings) for k in ("exact", "possible", "none")}
    head = (
        f"*Screened {len(screenings):,} names from {escape(file_name)}*: {counts['exact']} listed, "
        f"{counts['possible']} possible, {counts['none']} no match"
        + (f", {len(skipped)} rows skipped" if skipped else "")
        + "."
    )
    blocks = [section(head)]
    matched = [s for s in screenings if s.outcome != "none"]
    lines = []
    for s in matched[:ROWS_SHOWN]:
        best = s.hits[0]
        status = STATUS.get(best.status, best.status)
        lines.append(f"• “{escape(s.input)}” → *{escape(best.name)}* ({escape(best.list_title or best.list)}, "
                     f"{status}; {best.match} {best.score:g})")  # fmt: skip
    if lines:
        blocks += sections("\n".join(lines))
    if len(matched) > ROWS_SHOWN:
        blocks.append(context(f"{len(matched) - ROWS_SHOWN} more matches are in the results file."))
    for row in skipped[:5]:
        blocks.append(context(f"Row {row.row} skipped: {escape(row.reason)}"))
    if screenings:
        note = next((s.note for s in screenings if s.outcome == "none" and s.note), "")
        if note:
            blocks.append(context(escape(note)))
    return blocks
