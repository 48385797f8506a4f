"""The measures register: which measure covers which item, and its status on a date.

Built at index time from document front matter (see ``corpus/README.md``).
A measure is a document with a ``timeline`` or one of its ``clauses``.

Status on a date:

- before the first period: ``not_issued``;
- inside a period: that period's status;
- after the last period when it had an ``until`` date: ``unknown``; the
  corpus does not say what happened, so neither ``in_force`` nor ``lifted``.

>>> m = Measure(id="a", title="A", document_id="a", timeline=[
...     {"from": "2025-11-07", "until": "2026-11-10", "status": "suspended", "by": "b"}])
>>> m.status_on("2026-11-24").status
'unknown'
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.schema import Document

ELEMENTS = {
    "scandium": "Sc", "yttrium": "Y", "lanthanum": "La", "cerium": "Ce", "praseodymium": "Pr",
    "neodymium": "Nd", "promethium": "Pm", "samarium": "Sm", "europium": "Eu", "gadolinium": "Gd",
    "terbium": "Tb", "dysprosium": "Dy", "holmium": "Ho", "erbium": "Er", "thulium": "Tm",
    "ytterbium": "Yb", "lutetium": "Lu", "gallium": "Ga", "germanium": "Ge", "antimony": "Sb",
    "graphite": None, "tungsten": "W", "tellurium": "Te", "bismuth": "Bi", "molybdenum": "Mo", "indium": "In",
}  # fmt: skip
RARE_EARTHS = list(ELEMENTS)[:17]
# Listed products an unlisted element goes into: Nd and Pr are not listed, but NdFeB magnets containing Dy or Tb are.
RELATED_PRODUCTS = {"neodymium": "NdFeB", "praseodymium": "NdFeB", "lanthanum": "magnet", "cerium": "magnet"}
# Symbols that are also common English words are only read next to a form ("In oxide" is not "in").
AMBIGUOUS_SYMBOLS = {"In", "W", "Y", "Bi", "Te", "Ce", "La", "Pr", "Er", "Ho", "Ga", "Ge", "Sc"}
# Symbols that are also English words or usual abbreviations, never read in lower case ("in", "la", "pr").
WORD_LIKE_SYMBOLS = {"In", "W", "Y", "Bi", "Te", "Ce", "La", "Pr", "Er", "Ho", "Mo", "Pm"}
FORMS = ("oxide", "metal", "alloy", "magnet", "compound", "target", "powder", "ore", "concentrate", "salt")


@dataclass
class Status:
    status: str
    since: str | None = None
    until: str | None = None
    by: str | None = None
    note: str | None = None
    evidence: str | None = None


@dataclass
class Measure:
    id: str
    title: str
    document_id: str
    timeline: list[dict]
    elements: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    control_codes: list[str] = field(default_factory=list)
    hs_codes: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # phrases that name what it covers ("0.1%", "know-how", an entity)
    scope_evidence: str | None = None
    number: str | None = None

    def status_on(self, day: str) -> Status:
        first = self.timeline[0]
        if day < first["from"]:
            return Status("not_issued", until=first["from"], note=f"issued on {first['from']}", evidence=first.get("evidence"))
        for period in self.timeline:
            until = period.get("until")
            if period["from"] <= day and (until is None or day <= until):
                return Status(period["status"], period["from"], until, period.get("by"), period.get("note"), period.get("evidence"))
        last = self.timeline[-1]
        return Status("unknown", since=last.get("until"), by=None, note=_after_note(last), evidence=last.get("evidence"))


DEFAULT_CHECK = "MOFCOM's announcements (www.mofcom.gov.cn, Security and Control Bureau)"


def _after_note(last: dict) -> str:
    return (
        f"the corpus records it as {last['status'].replace('_', ' ')} until {last['until']} and has nothing later; "
        f"check {last.get('check') or DEFAULT_CHECK} for what applies now"
    )


class Register:
    def __init__(self, measures: list[Measure]):
        self.measures = {m.id: m for m in measures}

    @classmethod
    def from_documents(cls, documents: list[Document]) -> Register:
        measures = []
        for doc in documents:
            meta = doc.meta
            if meta.get("timeline"):
                measures.append(_measure(doc.id, doc.title, doc, meta.get("items") or {}, meta["timeline"]))
            for clause in meta.get("clauses") or []:
                title = f"{doc.title}, {clause.get('title') or clause['id']}"
                items = clause.get("items") or meta.get("items") or {}
                measures.append(_measure(f"{doc.id}#{clause['id']}", title, doc, items, clause["timeline"]))
        return cls(measures)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps([asdict(m) for m in self.measures.values()], indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Register:
        return cls([Measure(**row) for row in json.loads(path.read_text(encoding="utf-8"))])

    def get(self, measure_id: str) -> Measure | None:
        return self.measures.get(measure_id)

    def for_items(self, items: ItemQuery) -> list[Measure]:
        """Measures that cover any element, code or HS code named in the question."""
        found = []
        for m in self.measures.values():
            if (
                any(e in m.elements for e in items.elements)
                or any(_code_match(c, m.control_codes) for c in items.control_codes)
                or any(h in m.hs_codes for h in items.hs_codes)
            ):
                found.append(m)
        return found

    def for_terms(self, question: str) -> list[Measure]:
        """Measures whose declared terms ("de minimis", "MP Materials") the question uses."""
        lowered = question.lower()
        return [m for m in self.measures.values() if any(_phrase_in(t.lower(), lowered) for t in m.terms)]

    def for_documents(self, document_ids: list[str]) -> list[Measure]:
        return [m for m in self.measures.values() if m.document_id in document_ids]

    def element_lists(self) -> list[Measure]:
        """Measures that list rare-earth elements: the lists to check an element against."""
        return [m for m in self.measures.values() if any(e in RARE_EARTHS for e in m.elements) and m.scope_evidence]


def _measure(measure_id: str, title: str, doc: Document, items: dict, timeline: list[dict]) -> Measure:
    return Measure(
        id=measure_id,
        title=title,
        document_id=doc.id,
        timeline=timeline,
        elements=[e.lower() for e in items.get("elements", [])],
        forms=list(items.get("forms", [])),
        control_codes=[c.upper() if "." not in c else c[: c.index(".")].upper() + c[c.index(".") :] for c in items.get("control_codes", [])],
        hs_codes=list(items.get("hs_codes", [])),
        destinations=list(items.get("destinations", [])),
        terms=list(items.get("terms", [])),
        scope_evidence=items.get("evidence"),
        number=str(doc.meta.get("number")) if doc.meta.get("number") else None,
    )


def _phrase_in(phrase: str, text: str) -> bool:
    """A declared term used in lower-cased text, however its words are joined: "affiliates rule" is in "the
    affiliates (50%) rule", "affiliates' rule" and "affiliates-rule".

    >>> [_phrase_in("affiliates rule", t) for t in ("the bis affiliates (50%) rule", "affiliates' rule", "affiliates ruled")]
    [True, True, False]
    >>> _phrase_in("jet mill", "are jet mills listed?"), _phrase_in("jet mill", "jet milling")
    (True, False)
    """
    return bool(_phrase_pattern(phrase).search(text))


@functools.lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern:
    words = [re.escape(w) for w in phrase.split()]
    joint = r"(?:'s?)?(?:\W+|\s*\([^()]{0,15}\)\s*)"  # a possessive, punctuation, or a short aside in brackets
    plural = r"(?:e?s)?" if phrase[-1:].isalpha() else ""  # "jet mill" is in "jet mills", "furnace" in "furnaces"
    return re.compile(rf"(?<![\w.]){joint.join(words)}{plural}(?!\w)")


def _code_match(code: str, codes: list[str]) -> bool:
    base = code.split(".")[0].upper()
    return any(c.split(".")[0].upper() == base for c in codes)


@dataclass
class ItemQuery:
    """Items a question names: elements, control codes, HS codes."""

    elements: list[str] = field(default_factory=list)
    control_codes: list[str] = field(default_factory=list)
    hs_codes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.elements or self.control_codes or self.hs_codes)


_CODE = re.compile(r"\b\d[A-E]\d{3}(?:\.[a-z])?\b", re.I)
_HS = re.compile(r"\b\d{8,10}\b")


def items_in(text: str) -> ItemQuery:
    """Elements (names or symbols), control codes and HS codes named in ``text``.

    >>> items_in("Can we ship Dy oxide or 1C909 items?").elements
    ['dysprosium']
    """
    lowered = text.lower()
    elements = [name for name in ELEMENTS if re.search(rf"\b{name}\b", lowered)]
    elements += [e for e in _misspelt_elements(lowered) if e not in elements]
    for name, symbol in ELEMENTS.items():
        if symbol and name not in elements and _symbol_named(symbol, text):
            elements.append(name)
    return ItemQuery(elements, [c for c in _CODE.findall(text)], _HS.findall(text))


def _misspelt_elements(lowered: str) -> list[str]:
    """Element names typed with a slip ("holmuim", "samarim")."""
    import difflib

    found = []
    for word in re.findall(r"[a-z]{6,}", lowered):
        if word not in ELEMENTS:  # a slip keeps the length: "german" and "germany" are not germanium
            close = difflib.get_close_matches(word, list(ELEMENTS), n=1, cutoff=0.85)
            found += [name for name in close if abs(len(name) - len(word)) <= 1]
    return found


_PLAIN_SYMBOLS = "|".join(sorted(v for v in ELEMENTS.values() if v and v not in AMBIGUOUS_SYMBOLS))


def _listed_with_symbol(symbol: str, text: str) -> bool:
    """An ambiguous symbol in a list with an unambiguous one: "Lu and Sc", "Sc, Dy"."""
    join = r"\s*(?:,|/|&|\band\b|\bor\b)\s*"
    return bool(
        re.search(
            rf"\b(?:{_PLAIN_SYMBOLS})(?:{join}[A-Z][a-z]?)*{join}{symbol}\b|\b{symbol}(?:{join}[A-Z][a-z]?)*{join}(?:{_PLAIN_SYMBOLS})\b",
            text,
        )
    )


def _symbol_named(symbol: str, text: str) -> bool:
    if re.search(rf"(?<![A-Za-z]){symbol}\d", text):  # a formula: Dy2O3, Tb4O7
        return True
    if symbol == "Sm" and re.search(r"\bSmCo", text, re.I):  # samarium-cobalt magnets
        return True
    if re.search(rf"(?<![\w-]){symbol}(?=\s*/\s*[A-Z][a-z]?\b)|(?<=\b[A-Z][a-z]/){symbol}(?![\w])", text):  # "Ga/Ge", "Dy/Tb"
        return True
    trade = r"(?i:exports?|exported|shipments?|shipped|supplies|supply|sales|controls?|licen[cs]es?)"
    if symbol not in WORD_LIKE_SYMBOLS and re.search(rf"(?<![\w-]){symbol.lower()}\s+(?:{trade}|{'|'.join(FORMS)})s?\b", text):
        return True  # typed in lower case by a hurried user: "ga shipment to US", "dy oxide"
    if symbol in AMBIGUOUS_SYMBOLS:
        if _listed_with_symbol(symbol, text):  # "Lu and Sc products", "Dy, Tb or Ho"
            return True
        if symbol != "In" and re.search(rf"(?<![\w-]){symbol}\s+{trade}\b", text):  # "Ga exports", "Ho shipment"
            return True
        if symbol != "In" and re.search(rf"(?<![\w-]){symbol}\s+(?:to|for)\s+(?:the\s+)?[A-Z]", text):  # "Ga to US chip fab"
            return True
        if symbol != "In" and re.search(rf"\b{symbol}-[A-Z][a-z]?\b|\b[A-Z][a-z]?-{symbol}\b", text):  # alloy notation: "Sc-Al", "Al-Sc"
            return True
        forms = "|".join(FORMS)
        return bool(
            re.search(rf"\b{symbol}(?:-\w+)?\s+(?:{forms})s?\b|\({symbol}\)", text)
            or re.search(rf"\b(?i:ship|export|send|sell|supply|buy|import|move)\w*\s+{symbol}\b(?!-)", text)
        )
    return bool(re.search(rf"(?<![\w-]){symbol}(?![\w])", text))
