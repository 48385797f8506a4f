"""Stage 3: ``Query`` + register -> which measures apply and their status, as data.

Relevant measures come from what the query names (items, instruments by number
or usual name, destinations), else from the documents the answer quotes. The
*primary* measures are the ones the question is about; the verdict speaks of
them. ``changes`` lists every status change inside a window, in date order.

>>> from assistant.register import Measure, Register
>>> m = Measure(id="a", title="A", document_id="a", timeline=[{"from": "2025-10-09", "until": "2025-11-06",
...     "status": "announced"}, {"from": "2025-11-07", "until": "2026-11-10", "status": "suspended"}])
>>> [c.status for c in changes(Register([m]), "2025-10-01", "2025-12-01")]
['announced', 'suspended']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.measures import MAX_MEASURES, _best_of_document, _collapse, _unique
from assistant.register import RARE_EARTHS, ItemQuery, Measure, Register, Status
from assistant.schema import Query
from assistant.understand import end_uses, held_abroad, ships_from_china

# What a question asks the status to be ("were they suspended too?", "is it still in force?").
ASKED_STATUS = {
    "suspended": re.compile(r"\b(suspend\w*|paused?|on hold|frozen|halted)\b", re.I),
    "lifted": re.compile(r"\b(lifted|removed|scrapped|cancell?ed|revoked|ended|dropped|rolled back|repealed)\b", re.I),
    # "does it apply?", not "who applies for the licence?" or "we applied to MOFCOM"
    "in_force": re.compile(r"\b(in force|in effect|(?<!who )(?<!we )(?<!they )appl(?:y|ies|ied)\b(?!\s+for\b)"
                           r"(?!\s+to\s+(?:mofcom|the ministry|the commerce))|effective|valid|took effect|take effect|"
                           r"enforced|active|kick(?:s|ed)? in|came into (?:force|effect)|in place)\b", re.I),
}
IN_FORCE_LIKE = {"in_force"}
# A question or claim about the past of a measure ("did it ever take effect?", "it kicked in on 1 December"), not its now.
ASKED_EVER = re.compile(r"\b(ever|did|was|were|has it|have they|had|took|came|kicked|started|since|on \d|from \d)\b", re.I)
# A claim that no licence is needed (any more): checked against the measures in force.
NOT_REQUIRED = re.compile(
    r"\b(?:no (?:export |dual-use )?licen[cs]es?\b|need(?:s|ed)? no\b|(?:ship|export|sell)\w* (?:it |them )?freely|without (?:a |any )?licen[cs]e|(?:do|does|did)(?: not|n'?t) need|not (?:be )?(?:needed|required)|"
    r"no longer (?:need\w*|required|controlled|covered|apply|applies)|licen[cs]e-free|(?:are|is) (?:now )?exempt|not controlled any ?more)",
    re.I,
)

# A claim that something needs a licence ("from 1 December our magnets need a Chinese licence").
NEEDS_LICENCE = re.compile(r"\b(?:need|needs|needed|require[sd]?|must (?:have|get))\s+(?:an?\s+)?(?:[\w-]+\s+){0,2}licen[cs]e", re.I)
LICENCE_TALK = re.compile(r"\blicen[cs]|\bpermit\b|" + NOT_REQUIRED.pattern, re.I)  # a question about needing a licence


@dataclass
class Change:
    """One status change of a measure on a day, with the sentence that states it."""

    day: str
    measure: Measure
    status: str
    evidence: str | None
    by: str | None = None


@dataclass
class Decision:
    """What the register says about the query on its as-of date."""

    measures: list[Measure] = field(default_factory=list)  # every measure worth a status line
    primary: list[Measure] = field(default_factory=list)  # what the verdict speaks of
    statuses: dict[str, Status] = field(default_factory=dict)
    unlisted: list[str] = field(default_factory=list)  # rare earths named that no instrument lists
    outcome: str | None = None  # yes | no | not_listed | suspended | not_yet_in_force | unknown | partly
    military_only: list[Measure] = field(default_factory=list)  # in force, but for military ends the question does not have
    asked: str | None = None  # the status the question or a claim puts forward
    asked_confirmed: bool | None = None
    asked_about: list[Measure] = field(default_factory=list)  # the measures the claim or asked status is about
    changes: list[Change] = field(default_factory=list)
    unchanged: list[Measure] = field(default_factory=list)  # in force through a window of changes, with no change in it
    of_suspension: bool = False  # the question asks about a suspension itself ("is the pause still on?")


SUSPENSION_ASKED = re.compile(r"\b(?:the|this|that|its|their)\s+(?:[\w-]+\s+)?(?:suspension|pause|moratorium|freeze)\b", re.I)
OVERSEAS = re.compile(r"\b(?:overseas|extraterritorial)\b", re.I)  # a measure on items outside China, in its title
PARENTHESES = re.compile(r"\([^()]*\)")


def _named_whole(query: Query, register: Register, named: list[Measure]) -> list[Measure]:
    """ "Is No. 61 of 2025 (the 0.1% rule) in force?": words in brackets describe what the question names, they do not
    narrow it to a clause, so the instrument as a whole is asked about too."""
    plain = PARENTHESES.sub(" ", query.standalone)
    if plain == query.standalone:
        return []
    wholes = _collapse(plain, [register.measures[i] for i in query.instruments if i in register.measures])
    return [m for m in wholes if "#" not in m.id and m not in named]


def decide(query: Query, register: Register, quoted_documents: list[str]) -> Decision:
    decision = Decision()
    items = ItemQuery(query.items.elements, query.items.control_codes, query.items.hs_codes)
    goods = [] if "technology" in query.items.products and not (items.control_codes or items.hs_codes) else register.for_items(items)
    named = _collapse(query.standalone, goods + _product_measures(query, register))  # "SmCo process documents": technology
    named += _collapse(query.standalone, [register.measures[i] for i in query.instruments if i in register.measures])
    named += _named_whole(query, register, named)
    with_destinations = _for_destinations(named, query, register, bool(items))
    # a destination's own measures are context, unless they cover what the question names ("gallium to the US")
    about = set(query.items.elements)
    decision.primary = _unique(
        [m for m in with_destinations if m in named or about & set(m.elements)] if named else with_destinations
    )
    # "antimony to a US military end user": a measure aimed at that destination and that end use decides too (the ban
    # on dual-use exports to US military users), although it names no item
    aimed = [m for m in with_destinations if set(m.destinations) & set(query.destinations) and set(end_uses(m.title)) & set(query.end_uses)]
    decision.primary += [m for m in aimed if m not in decision.primary]
    # "does the 0.1% rule catch our Dy magnets?": the instrument the question names is what the verdict speaks of, beside
    # a measure aimed at the question's destination and end use ("No. 46 ... and to US military end users?")
    explicit = [m for m in decision.primary if m.id in query.instruments and (not about or about & set(m.elements))]
    if explicit and query.intent in {"applicability", "status"}:
        decision.primary = _unique(explicit + _binding_besides(decision.primary, explicit, query, register) + aimed)
    _narrow_to_suspension(decision, query)
    weighed = decision.primary  # what the verdict would speak of; their suspending instruments are context either way
    if not explicit:
        decision.primary = _leaving_china(decision.primary, query)
    found = _unique(decision.primary + _suspending_primary(weighed, query, register) + with_destinations
                    + _suspended_by_named(query, register) + _suspenders(query, register))
    if not found and not items and query.intent in {"applicability", "status", "coverage"}:
        for doc_id in quoted_documents[:2]:
            found += _best_of_document(query.standalone, register.for_documents([doc_id]))
    elif query.intent == "procedure" and query.intent_confidence >= 0.5:  # how to apply: the rules the quotes come from
        for doc_id in quoted_documents[:3]:
            found += [m for m in _best_of_document(query.standalone, register.for_documents([doc_id])) if m not in found]
    key = lambda m: not any(e in m.title.lower() for e in query.items.elements)  # noqa: E731
    decision.measures = _with_wholes(_with_diverging_clauses(sorted(_unique(found), key=key)[:MAX_MEASURES], query, register), register)
    decision.statuses = {m.id: m.status_on(query.as_of) for m in decision.measures}
    decision.unlisted = unlisted_elements(query, register)
    if query.window:
        decision.changes = changes(register, *query.window)
        about = set(query.items.elements)  # "how did holmium's status change since...": its measures' changes
        if about and any(about & set(c.measure.elements) for c in decision.changes):
            decision.changes = [c for c in decision.changes if about & set(c.measure.elements)]
        if decision.changes:  # what stayed in force through the window is part of what a reader needs to know
            decision.unchanged = unchanged(register, *query.window, about or set(RARE_EARTHS), decision.changes)
    _outcome(decision, query, register)
    return decision


def _narrow_to_suspension(decision: Decision, query: Query) -> None:
    """ "Is the suspension of the October controls still in effect?": the suspending instrument is what is asked about,
    not the measures it suspends."""
    if not SUSPENSION_ASKED.search(query.standalone) or query.intent not in {"applicability", "status"}:
        return
    primary = decision.primary
    suspenders = [m for m in primary if any(p.get("by") == m.document_id and p["status"] == "suspended"
                                            for other in primary if other is not m for p in other.timeline)]  # fmt: skip
    decision.primary = suspenders or primary
    decision.of_suspension = bool(suspenders)


def _leaving_china(primary: list[Measure], query: Query) -> list[Measure]:
    """Where the goods start decides which rules can catch them. "Our Ningbo supplier ships Dy magnets to Germany": the
    rules on items abroad (No. 61's) do not decide a shipment that leaves China; they stay as status lines. "Can we
    resell Chinese magnets from our Hamburg stock?": only they can; the controls on exports from China stay as lines."""
    if held_abroad(query.standalone):
        return [m for m in primary if OVERSEAS.search(m.title)] or primary
    if not ships_from_china(query.standalone):
        return primary
    return [m for m in primary if not OVERSEAS.search(m.title)] or primary


def _with_wholes(measures: list[Measure], register: Register) -> list[Measure]:
    """A clause's status line follows its instrument's own (No. 61 of 2025 as a whole, then its rule 3), so the answer
    says where the instrument stands as well as the clause."""
    out: list[Measure] = []
    for m in measures:
        whole = register.measures.get(m.id.split("#")[0]) if "#" in m.id else None
        if whole is not None and whole not in out and whole not in measures:
            out.append(whole)
        if m not in out:
            out.append(m)
    return out


def _with_diverging_clauses(measures: list[Measure], query: Query, register: Register) -> list[Measure]:
    """ "Where does each piece of the October package stand?": an instrument the question names whose clauses stand
    differently on the date (No. 61's rule 3 in force, rule 1 announced) is followed by its clauses; so is one whose
    dates a question about changes asks after ("was 1 December the start date for the whole October package?")."""
    if query.intent not in {"status", "coverage", "applicability", "changes"}:
        return measures
    named = {register.measures[i].document_id for i in query.instruments if i in register.measures}
    out = []
    for m in measures:
        out.append(m)
        if "#" in m.id or m.document_id not in named:
            continue
        clauses = [c for c in register.measures.values() if c.document_id == m.document_id and "#" in c.id and c not in measures]
        if len({c.status_on(query.as_of).status for c in clauses}) > 1:
            out += clauses
    return out


def _suspended_by_named(query: Query, register: Register) -> list[Measure]:
    """ "Where does No. 72 stand?": a suspending instrument is known by what it suspends; their statuses belong
    beside its own."""
    named = {register.measures[i].document_id for i in query.instruments if i in register.measures}
    if not named or query.intent not in {"status", "coverage", "applicability"}:
        return []
    return _collapse(query.standalone, [m for m in register.measures.values() if m.document_id not in named
                     and any(p["status"] == "suspended" and p.get("by") in named for p in m.timeline)])  # fmt: skip


def suspending_documents(query: Query, register: Register) -> list[str]:
    """ "Why did MOFCOM suspend the October measures?": the documents that suspended the instruments the question
    names, when it asks about a suspension."""
    if asked_status(query.standalone) != "suspended":
        return []
    named = [register.measures[i] for i in query.instruments if i in register.measures]
    return list(dict.fromkeys(p["by"] for m in named for p in m.timeline if p["status"] == "suspended" and p.get("by")))


def _suspenders(query: Query, register: Register) -> list[Measure]:
    """The suspending instrument belongs beside what it suspended."""
    return _instruments_of(register, suspending_documents(query, register))


def _suspending_primary(primary: list[Measure], query: Query, register: Register) -> list[Measure]:
    """ "Do we need a licence for holmium oxide today?": when what the verdict speaks of is suspended on the date, or
    its status is unknown after a suspension ran out, the suspending instrument's own status belongs beside it."""
    if query.intent not in {"applicability", "status"}:
        return []
    by = []
    for m in primary:
        status = m.status_on(query.as_of)
        if status.status == "suspended" and status.by:
            by.append(status.by)
        elif status.status == "unknown" and m.timeline[-1]["status"] == "suspended" and m.timeline[-1].get("by"):
            by.append(m.timeline[-1]["by"])
    return _instruments_of(register, set(by) - {m.document_id for m in primary})


def _instruments_of(register: Register, documents) -> list[Measure]:
    """The whole-instrument measures (no clauses) of these documents."""
    documents = set(documents)
    return [m for m in register.measures.values() if "#" not in m.id and m.document_id in documents]


def _binding_besides(candidates: list[Measure], named: list[Measure], query: Query, register: Register) -> list[Measure]:
    """ "It was only in the October package, so it's suspended and we can ship freely?": when the question asks
    whether something may be exported and the instrument it names does not bind on the date, the measures in force that
    cover what it names still do; the verdict must not leave them out. What it names is an element, or a technology
    ("licensing our NdFeB magnet preparation technology abroad" is still under the restricted-technology catalogue
    while No. 62 of 2025 is suspended)."""
    technology = _technology_measures(query, register) if "technology" in query.items.products else []
    # a technology transfer is an export whatever the words ("can we transfer our magnet know-how?"); goods need licence
    # words, or "does the 0.1% rule bite our Thai plant?" would be decided by the controls on exports from China
    if query.intent != "applicability" or not (technology or LICENCE_TALK.search(query.claim or query.standalone)):
        return []
    if any(m.status_on(query.as_of).status == "in_force" for m in named):
        return []
    about = set(query.items.elements)
    return [m for m in candidates if m not in named and (about & set(m.elements) or m in technology)
            and m.status_on(query.as_of).status == "in_force"]  # fmt: skip


def _product_measures(query: Query, register: Register) -> list[Measure]:
    """A product without a listed element ("NdFeB magnets"): the measures whose forms name it."""
    if "technology" in query.items.products:  # "email our NdFeB sintering process specs": the technology, not magnets
        return _technology_measures(query, register)
    if query.items.elements or not query.items.products:
        return []
    words = {"magnet": "magnet"}
    wanted = [words[p] for p in query.items.products if p in words]
    return [m for m in register.measures.values() if any(w in f.lower() for w in wanted for f in m.forms)]


def _technology_measures(query: Query, register: Register) -> list[Measure]:
    """Measures on technology: those titled so, those covering technology in general, and those whose technology
    forms name a product the question names ("NdFeB magnet preparation technology")."""
    products = [p for p in query.items.products if p != "technology"]
    found = []
    for m in register.measures.values():
        named = [f.lower() for f in m.forms + m.terms if "technolog" in f.lower() or "know-how" in f.lower()]
        if "technologies" in m.title.lower() or any(f in {"technology", "know-how"} or any(p in f for p in products) for f in named):
            found.append(m)
    return found


def _for_destinations(found: list[Measure], query: Query, register: Register, has_items: bool) -> list[Measure]:
    named = set(query.destinations)
    if named and (has_items or query.intent in {"applicability", "status"}):
        by_destination = [m for m in register.measures.values() if set(m.destinations) & named]
        if query.items.elements:  # "gallium to the US": the destination's measures that share the document
            docs = {m.document_id for m in found}
            by_destination = [m for m in by_destination if m.document_id in docs or not m.elements]
        found = found + by_destination
    return [m for m in found if not m.destinations or not named or set(m.destinations) & named]


def unlisted_elements(query: Query, register: Register) -> list[str]:
    """Rare earths the query names that no measure in the corpus lists."""
    if query.intent in {"out_of_scope", "evasion", "advice", "history", "reasons"}:
        return []
    listed = {e for m in register.measures.values() for e in m.elements}
    return [e for e in query.items.elements if e in RARE_EARTHS and e not in listed]


def changes(register: Register, start: str, end: str) -> list[Change]:
    """Every status change recorded in [start, end], in date order (ending periods included)."""
    found = []
    for m in register.measures.values():
        for i, period in enumerate(m.timeline):
            if start <= period["from"] <= end:
                found.append(Change(period["from"], m, period["status"], period.get("evidence"), period.get("by")))
            until = period.get("until")
            following = m.timeline[i + 1] if i + 1 < len(m.timeline) else None
            # a period ending on the window's last day counts ("what happened on 10 Nov 2026?": the suspension ran out)
            if until and following is None and start <= _next_day(until) <= _next_day(end):
                found.append(Change(_next_day(until), m, "unknown", period.get("evidence"), None))
    # a clause that changes with its whole instrument, on the same day to the same status, is that change
    whole = {(c.measure.id, c.day, c.status) for c in found}
    found = [c for c in found if "#" not in c.measure.id or (c.measure.document_id, c.day, c.status) not in whole]
    return sorted(found, key=lambda c: (c.day, c.measure.id))


def unchanged(register: Register, start: str, end: str, elements: set[str], changed: list[Change]) -> list[Measure]:
    """Whole instruments on these elements in force from the first day of the window to its last, with no change
    between: "what changed between 1 Oct and 1 Dec 2025?" also needs "No. 18 of 2025 stayed in force"."""
    moved = {c.measure.document_id for c in changed}
    return [m for m in register.measures.values()
            if "#" not in m.id and m.document_id not in moved and elements & set(m.elements)
            and m.status_on(start).status == "in_force" and m.status_on(end).status == "in_force"]  # fmt: skip


def suspenders(register: Register) -> set[str]:
    """The documents that suspend another document's measures (No. 70 and No. 72 of 2025), from the timelines."""
    return {p["by"] for m in register.measures.values() for p in m.timeline
            if p["status"] == "suspended" and p.get("by") and p["by"] != m.document_id}  # fmt: skip


def _next_day(iso: str) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(iso) + dt.timedelta(days=1)).isoformat()


def asked_status(text: str) -> str | None:
    """The status a question or claim puts forward, if it names one."""
    return next((status for status, pattern in ASKED_STATUS.items() if pattern.search(text)), None)


def never_in_force(measures: list[Measure], as_of: str) -> bool:
    """No period of these measures up to ``as_of`` was in force (announced, then suspended or unknown)."""
    return all(p["status"] != "in_force" for m in measures for p in m.timeline if p["from"] <= as_of)


def asks_for_licence(query: Query) -> bool:
    """Whether a licence is what the question asks about: "do we need a licence for X?", and also "is yttrium
    controlled?" read as a coverage or status question about an element with no instrument named."""
    from assistant.compose import is_yes_no

    if query.intent == "applicability" or (query.intent == "coverage" and is_yes_no(query.question)):
        return True
    return query.intent == "status" and is_yes_no(query.question) and bool(query.items.elements) and not query.instruments


def _outcome(decision: Decision, query: Query, register: Register) -> None:
    primary = [m for m in decision.primary if m.id in decision.statuses]
    # a claim outside those intents gets a verdict only when it states a status or a need for a licence: "our supplier
    # says they need paperwork from us" asks how to apply, not whether a measure is in force
    claims_status = bool(query.claim) and bool(asked_status(query.claim) or NOT_REQUIRED.search(query.claim)
                                               or NEEDS_LICENCE.search(query.claim))
    if query.intent not in {"applicability", "status", "coverage"} and not claims_status and not decision.unlisted:
        return
    if not primary:
        if decision.unlisted:
            decision.outcome = "not_listed"
        return
    statuses = {decision.statuses[m.id].status for m in primary}
    # "does the Japan ban apply to civilian end users?": a measure aimed at military ends does not reach them
    if "civilian" in query.end_uses and "military" not in query.end_uses:
        decision.military_only = [m for m in primary if set(end_uses(m.title)) == {"military"}]
        if decision.military_only and len(decision.military_only) == len(primary):
            decision.outcome = "no"
            return
    licence_asked = asks_for_licence(query)
    if query.intent == "coverage" and len(statuses) > 1 and not query.claim and not licence_asked:
        return  # "which HS codes...?": instruments in different states are status lines, not a verdict ("Partly.")
    if len(statuses) == 1:
        decision.outcome = OUTCOME[statuses.pop()]
    elif licence_asked:  # a licence is needed if any measure that covers it is in force
        decision.outcome = OUTCOME[min(statuses, key=STRENGTH.index)]
    elif "in_force" in statuses:
        decision.outcome = "partly"
    else:
        decision.outcome = "mixed"
    text = query.claim or query.question
    if decision.of_suspension:  # "is the pause still in effect?": "pause" names what is asked about, not a status
        text = SUSPENSION_ASKED.sub(" ", text)
    decision.asked = asked_status(text)
    if query.claim and NOT_REQUIRED.search(query.claim):  # "...need no licence any more, right?"
        decision.asked = "not_required"
    # "our forwarder says the 0.1% rule kicked in": the claim is about the instrument it names, not the others beside it
    claimed = [m for m in primary if m.id in query.instruments] if query.claim else []
    decision.asked_about = claimed or primary
    if decision.asked == "suspended" and not decision.of_suspension:  # "did the Busan deal suspend the April controls?":
        # whether the April controls were suspended, not the suspending instrument's own status
        suspending = suspenders(register)
        decision.asked_about = [m for m in decision.asked_about if m.document_id not in suspending] or decision.asked_about
    if decision.asked == "not_required":
        actual = {decision.statuses[m.id].status for m in primary}
        decision.asked_confirmed = False if "in_force" in actual else (None if actual & {"unknown", "announced"} else True)
    elif decision.asked:
        primary = decision.asked_about
        actual = {decision.statuses[m.id].status for m in primary}
        if decision.asked == "lifted":
            decision.asked_confirmed = False if actual & {"in_force", "suspended", "announced"} else None
        else:
            confirmed = decision.asked in actual and len(actual) == 1
            # "unknown" neither confirms nor denies: the corpus has nothing for that date
            # "did it ever take effect?": not in any period the corpus records
            # ("is it in force now?" with nothing recorded for now is unknown, not "no", even if it never took effect)
            never = decision.asked == "in_force" and never_in_force(primary, query.as_of) and bool(ASKED_EVER.search(text))
            decision.asked_confirmed = None if not confirmed and "unknown" in actual and not never else confirmed


STRENGTH = ["in_force", "announced", "unknown", "suspended", "not_issued", "lapsed", "repealed"]
OUTCOME = {
    "in_force": "yes",
    "suspended": "suspended",
    "announced": "not_yet_in_force",
    "not_issued": "no",
    "unknown": "unknown",
    "lapsed": "no",
    "repealed": "no",
}
