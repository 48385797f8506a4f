"""Which measures an answer relies on, and their status lines on the as-of date.

Relevant measures come from the register, not from retrieval alone: the items
a question names (elements, control codes, HS codes), the announcement numbers
it names, the destinations it names, and the measures of the documents the
answer quotes. Each status line cites the sentence of the measure's document
that states that period (its ``evidence``), so it is verified like any quote.

>>> status_phrase(Status("suspended", "2025-11-07", "2026-11-10", "mofcom-gac-2025-70"), {"mofcom-gac-2025-70": "Ann. 70"})
'suspended since 7 Nov 2025 by Ann. 70, until 10 Nov 2026'
"""

from __future__ import annotations

import re

from assistant.answer import terms
from assistant.dates import human_date
from assistant.keyword import announcement_numbers
from assistant.register import ELEMENTS, RARE_EARTHS, Measure, Register, Status, items_in

MAX_MEASURES = 8
GENERIC_TERMS = set(terms("rule rules clause clauses control controls export exports ban item items measure"))
DESTINATIONS = {
    "United States": re.compile(r"\b(US|U\.S\.?|USA|United States|America|American)\b"),
    "Japan": re.compile(r"\b(Japan|Japanese)\b", re.I),
}
CONTROL_QUESTION = re.compile(r"\b(control|licen[cs]|restrict|ban|allowed|permit|ship|export|apply|cover|need|in force|status)", re.I)


def relevant_measures(question: str, register: Register, quoted_documents: list[str]) -> list[Measure]:
    items = items_in(question)
    found: list[Measure] = _collapse(question, register.for_items(items) + register.for_terms(question))
    numbers = announcement_numbers(question)
    found += _collapse(question, [m for m in register.measures.values() if m.number and _number_of(m.number) in numbers])
    named = {d for d, pattern in DESTINATIONS.items() if pattern.search(question)}
    if named and (items or CONTROL_QUESTION.search(question)):
        by_destination = [m for m in register.measures.values() if set(m.destinations) & named]
        if items.elements:  # "gallium to the US": the destination's measures that share the document
            docs = {m.document_id for m in found}
            by_destination = [m for m in by_destination if m.document_id in docs or not m.elements]
        found += by_destination
    found = [m for m in found if not m.destinations or not named or set(m.destinations) & named]
    if not found and not items:  # nothing named: the measures of the two documents quoted first
        for doc_id in quoted_documents[:2]:
            found += _best_of_document(question, register.for_documents([doc_id]))
    found = sorted(_unique(found), key=lambda m: not any(e in m.title.lower() for e in items.elements))
    return found[:MAX_MEASURES]


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


def unlisted_elements(question: str, register: Register) -> list[str]:
    """Rare earths the question names that no measure in the corpus lists."""
    if not CONTROL_QUESTION.search(question):
        return []
    listed = {e for m in register.measures.values() for e in m.elements}
    return [e for e in items_in(question).elements if e in RARE_EARTHS and e not in listed]


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
