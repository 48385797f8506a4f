"""Helpers over measures for the decide stage: one clause or the whole instrument
per document, and how a status on a date is said in words.

>>> status_phrase(Status("suspended", "2025-11-07", "2026-11-10", "mofcom-gac-2025-70"), {"mofcom-gac-2025-70": "Ann. 70"})
'suspended since 7 November 2025 by Ann. 70, until 10 November 2026'
"""

from __future__ import annotations

import re

from assistant.answer import terms
from assistant.dates import human_date
from assistant.register import ELEMENTS, Measure, Status

MAX_MEASURES = 8
GENERIC_TERMS = set(terms("rule rules clause clauses control controls export exports ban item items measure"))


def _collapse(question: str, measures: list[Measure]) -> list[Measure]:
    """Per document, the clauses the question is about, else the instrument as a whole."""
    by_document: dict[str, list[Measure]] = {}
    for m in measures:
        by_document.setdefault(m.document_id, []).append(m)
    return [m for group in by_document.values() for m in _best_of_document(question, group)]


def _best_of_document(question: str, measures: list[Measure]) -> list[Measure]:
    """The clause a question is about, or the instrument as a whole."""
    if len(measures) <= 1:
        return measures
    q = set(terms(question)) - GENERIC_TERMS
    clauses = [m for m in measures if "#" in m.id and q & set(terms(m.title.split(",")[-1]))]
    if clauses:
        return clauses
    whole = [m for m in measures if "#" not in m.id]
    return whole or measures


def _number_of(number: str) -> str:
    match = re.search(r"\d+", number)
    return match.group(0) if match else ""


def _unique(measures: list[Measure]) -> list[Measure]:
    seen, out = set(), []
    for m in measures:
        if m.id not in seen:
            seen.add(m.id)
            out.append(m)
    return out


def element_label(name: str) -> str:
    symbol = ELEMENTS.get(name)
    return f"{name} ({symbol})" if symbol else name


def status_phrase(status: Status, titles: dict[str, str]) -> str:
    by = titles.get(status.by or "", status.by or "")
    since, until = human_date(status.since), human_date(status.until)
    if status.status == "in_force":
        text = f"in force since {since}" + (f", until {until}" if until else "")
    elif status.status == "announced":
        text = f"announced on {since}, not yet in force" + (f" ({status.note})" if status.note else "")
    elif status.status == "suspended":
        text = f"suspended since {since}" + (f" by {by}" if by else "") + (f", until {until}" if until else "")
    elif status.status == "not_issued":
        text = f"not yet issued on that date (it dates from {until})"
    elif status.status == "unknown":
        text = f"status unknown after {since} (nothing later in the corpus)"
    else:
        text = f"{status.status.replace('_', ' ')} since {since}" + (f" by {by}" if by else "")
    return text
