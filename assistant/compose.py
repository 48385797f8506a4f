"""Stage 4: decision + passages -> an answer plan: verdict, status lines, quotes, caveats.

Every fact in the verdict and in a status line cites the evidence sentence the
register recorded for it (found in its passage, so it verifies like any
quote). Quotes that only share words with the question are left out; a quote
from a document about an instrument not yet issued on the as-of date, or that
only speaks of later dates, is marked ``later``.

>>> phrase_list(["No. 55", "No. 56", "No. 57"])
'No. 55, No. 56 and No. 57'
"""

from __future__ import annotations

import datetime as dt
import re

from assistant.answer import Sentence, cite
from assistant.citations import normalise
from assistant.dates import human_date
from assistant.decide import Decision, asks_for_licence, never_in_force
from assistant.measures import element_label, status_phrase
from assistant.register import DEFAULT_CHECK, ELEMENTS, RELATED_PRODUCTS, Measure, Status
from assistant.schema import Answer, Caveat, Citation, MeasureStatus, Passage, Query, Quote, StatusLine, Verdict
from assistant.status import StatusWriter
from assistant.understand import end_uses

# What a military-only ban leaves open, in its document's words ("civilian exports to Japan can go ahead").
CIVILIAN_SIDE = re.compile(r"\bcivil(?:ian)? (?:exports?|uses?|users?|trade|shipments?)\b[^.]*\b(?:can|may|continue|go ahead|allowed|permitted|unaffected)\b", re.I)

LATER_DATE = re.compile(
    r"\b(\d{1,2}) (January|February|March|April|May|June|July|August|September|October|November|December) (20\d\d)\b"
)
MONTH_NUMBER = {m: i + 1 for i, m in enumerate(
    "January February March April May June July August September October November December".split())}  # fmt: skip
PRODUCT_NAMES = {"magnet": "magnets", "technology": "the technology", "equipment": "the equipment"}


def phrase_list(names: list[str]) -> str:
    names = list(dict.fromkeys(names))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Composer:
    """Builds the Answer's parts; ``writer`` adds evidence passages and numbers citations."""

    def __init__(self, index, retriever, passages: list[Passage], uncertainties=None):
        self.index = index
        self.uncertainties = uncertainties  # assistant.uncertainty.Uncertainties
        self.citations: list[Citation] = []
        self.writer = StatusWriter(index, retriever, passages, self.citations)
        self.passages = passages
        self.short = {doc_id: title.split(":")[0] for doc_id, title in index.titles.items()}
        self._lists_checked: list[str] = []
        self._first_day: dict[str, str] | None = None  # document id -> the day its instrument was issued
        self._buyer_banned = False  # a party look-up found the buyer on a list that bans it (compose_party)
        self._unchanged_cited: list[int] = []  # citations of the measures a changes answer says stayed in force

    def compose(self, query: Query, decision: Decision, sentences: list[Sentence], leads: list[str] = ()) -> Answer:
        """``leads``: sentences the register chose for the question (a listing's stated grounds), quoted first."""
        answer = Answer(question=query.question, answer="", refused=False, passages=self.passages, as_of=query.as_of,
                        standalone_question=query.standalone, query=query)  # fmt: skip
        answer.status_lines = [self.status_line(m, decision.statuses[m.id]) for m in decision.measures]
        answer.measures = [_measure_status(line, decision.statuses[line.measure_id]) for line in answer.status_lines]
        if decision.changes:
            changed = self.change_lines(decision)
            answer.status_lines = changed + answer.status_lines
            # what changed is what the answer speaks of: each changed measure's status on the as-of date, as data
            known = {m.id for m in answer.measures}
            for line in changed:
                if line.measure_id not in known and line.measure_id in self.index.register.measures:
                    known.add(line.measure_id)
                    status = self.index.register.measures[line.measure_id].status_on(query.as_of)
                    answer.measures.append(_measure_status(line, status))
            # what stayed in force is data and a sentence of the verdict, not a status line: the lines are the changes
            for m in decision.unchanged:
                if m.id not in known:
                    status = m.status_on(query.as_of)
                    line = self.status_line(m, status)
                    answer.measures.append(_measure_status(line, status))
                    self._unchanged_cited += [line.citation] if line.citation else []
        answer.caveats = self.caveats(query, decision, answer.status_lines)
        answer.verdict = self.verdict(query, decision, answer.status_lines, answer.caveats)
        answer.quotes = self.lead_quotes(leads, query.as_of) + self.scope_quotes(query, decision) + self.quotes(query, decision, sentences, answer)
        answer.citations = self.citations
        return answer

    def lead_quotes(self, texts, as_of: str) -> list[Quote]:
        out = []
        for text in texts:
            n = self.writer.cite_evidence(text)
            if n and all(q.citation != n for q in out):
                out.append(self._quote(normalise(text), n, as_of))
        return out

    def _quote(self, text: str, n: int, as_of: str) -> Quote:
        """A quote of citation ``n``, marked ``later`` when its document was issued after ``as_of`` or every date it
        gives is later."""
        if self._first_day is None:
            self._first_day = {m.document_id: m.timeline[0]["from"] for m in self.index.register.measures.values() if "#" not in m.id}
        document = self.citations[n - 1].document_id
        return Quote(text, n, self._first_day.get(document, "") > as_of or _only_later_dates(text, as_of))

    def scope_quotes(self, query: Query, decision: Decision) -> list[Quote]:
        """For "which code / which items" questions on an element or a named instrument: the sentence the register cites
        for what a measure covers."""
        asks_what = query.intent in {"coverage", "definition"} or (
            query.instruments and not is_yes_no(query.question) and query.intent not in {"reasons", "history", "procedure"})
        # "do Sm-Co targets need a licence?": the sentence that gives the binding list's control code, once
        licence = query.intent == "applicability" and bool(query.items.elements) and not asks_what
        if not (asks_what or licence) or not (query.items.elements or query.instruments):
            return []
        out = []
        for m in decision.primary:
            about = set(m.elements) & set(query.items.elements) if query.items.elements else m.id in query.instruments
            if licence and (m.status_on(query.as_of).status != "in_force" or not m.control_codes or out):
                continue
            if m.scope_evidence and about:  # "which Dy items...", "what's on the No. 55 list?"
                n = self.writer.cite_evidence(m.scope_evidence)
                if n and all(q.citation != n for q in out):
                    out.append(self._quote(normalise(m.scope_evidence), n, query.as_of))
        return out[:2]

    def compose_party(self, query: Query, screenings: list, sentences: list[Sentence], measures: list[Measure] = ()) -> Answer:
        """A party look-up: a verdict per screened name, each listing and status cited; the listings' status lines."""
        answer = Answer(question=query.question, answer="", refused=False, passages=self.passages, as_of=query.as_of,
                        standalone_question=query.standalone, query=query)  # fmt: skip
        self._listing_status(answer, measures, query.as_of)
        day = human_date(query.as_of)
        parts, cited = [], []
        for screening in screenings:
            if not screening.hits:
                parts.append(f"No match for {screening.input!r}: {screening.note[:1].lower()}{screening.note[1:]}")
                continue
            for hit in screening.hits[:2]:
                n = self.writer.cite_evidence(hit.citation.quote) if hit.citation else None
                m = self.writer.cite_evidence(hit.meaning_citation.quote) if getattr(hit, "meaning_citation", None) else None
                cited += [x for x in (n, m) if x]
                kind = "matches" if hit.match == "exact" else f"possibly matches ({hit.reason})"
                status = {"listed": "listed", "unknown": "of unknown status (the corpus is unsure)"}.get(hit.status, hit.status.replace("_", " "))
                part = f"{screening.input} {kind} {hit.name} on China's {hit.list_title}; on {day} it is {status}. {hit.meaning}"
                # "is Subaru banned?": a listing that does not ban says so first, in its document's words where it can
                if BAN.search(query.question) and hit.status == "listed" and hit.meaning and not BAN.search(hit.meaning):
                    not_banned = self._not_banned(hit)
                    part = f"Not banned: {part}" + (f" {not_banned[0]}" if not_banned else "")
                    cited += not_banned[1:]
                self._buyer_banned |= hit.status == "listed" and bool(BAN.search(hit.meaning or ""))
                parts.append(part)
        outcome = "listed" if any(s.hits for s in screenings) else "not_listed"
        answer.verdict = Verdict(outcome, " ".join(parts), list(dict.fromkeys(cited)), query.as_of)
        if any(not s.hits for s in screenings):
            answer.verdict.outcome = "no_match" if outcome == "not_listed" else outcome
        answer.quotes = self.quotes(query, Decision(), sentences[:2], answer)
        answer.caveats = self.uncertain(query, [m.document_id for m in measures])
        answer.citations = self.citations
        return answer

    def _not_banned(self, hit) -> tuple:
        """(the sentence of the listing's document saying its parties are not banned, its citation), or ()."""
        from assistant.status import sentence_with

        document = hit.meaning_citation.document_id if hit.meaning_citation else None
        measure = next((m for m in self.index.register.measures.values() if m.document_id == document), None)
        words = [w for w in re.findall(r"[a-z]+", hit.list_title.lower()) if w != "list"]
        pattern = re.compile(rf"\b(?:{'|'.join(words)})\b[^.]*\bnot (?:banned|prohibited)\b", re.I) if words else None
        sentence = sentence_with(pattern, measure, self.index) if measure and pattern else None
        n = self.writer.cite_evidence(sentence) if sentence else None
        return (normalise(sentence), n) if n else ()

    def compose_listing(self, query: Query, parties: list, sentences: list[Sentence], measures: list[Measure] = ()) -> Answer:
        """ "Who was added on 9 Oct 2025?": the parties register's entries, grouped by listing, each listing cited,
        with the status of the listing measures."""
        answer = Answer(question=query.question, answer="", refused=False, passages=self.passages, as_of=query.as_of,
                        standalone_question=query.standalone, query=query)  # fmt: skip
        self._listing_status(answer, measures, query.as_of)
        groups: dict[tuple, list] = {}
        for party in parties:
            first = party.timeline[0]
            groups.setdefault((party.list_title, first.start, party.document_id), []).append(party)
        parts, cited, states = [], [], set()
        for (list_title, since, _), members in sorted(groups.items(), key=lambda kv: kv[0][1]):
            quote = members[0].evidence[0].text if members[0].evidence else None
            n = self.writer.cite_evidence(quote) if quote else None
            if n:
                cited.append(n)
            state = members[0].status_on(query.as_of).status
            states.add(state)
            status = state.replace("_", " ")
            names = phrase_list([p.name for p in members]).rstrip(".")
            # the names the corpus gives, which may be fewer than the listing had; the status is the as-of date's
            parts.append(f"On China's {list_title} from {human_date(since)}, the corpus names {len(members)}: {names} "
                         f"(status on {human_date(query.as_of)}: {status}).")
        if states == {"not_yet_listed"}:
            parts.insert(0, f"Not yet on {human_date(query.as_of)}; later:")  # "has MOFCOM listed any ... yet?"
        answer.verdict = Verdict("listing", " ".join(parts), cited, query.as_of)
        answer.quotes = self.quotes(query, Decision(), sentences[:2], answer)
        answer.caveats = self.uncertain(query, [p.document_id for p in parties]) + [
            Caveat("The corpus names only the parties its sources name; it is not a complete official list.", kind="limit")
        ]
        answer.citations = self.citations
        return answer

    def also(self, first: Answer, second: Answer) -> Answer:
        """One answer from two composed by this composer (citations shared): ``first``'s verdict, lines and quotes,
        then ``second``'s that are not already there."""
        if second.verdict:
            if first.verdict:
                first.verdict.text = f"{first.verdict.text} {second.verdict.text}"
                first.verdict.citations = list(dict.fromkeys(first.verdict.citations + second.verdict.citations))
                first.verdict.instruments = list(dict.fromkeys(first.verdict.instruments + second.verdict.instruments))
            else:
                first.verdict = second.verdict
        ids = {line.measure_id for line in first.status_lines}
        first.status_lines += [line for line in second.status_lines if line.measure_id not in ids]
        first.measures += [m for m in second.measures if m.id not in ids]
        cited = {q.citation for q in first.quotes}
        first.quotes += [q for q in second.quotes if q.citation not in cited]
        said = {c.text for c in first.caveats}
        first.caveats += [c for c in second.caveats if c.text not in said]
        first.citations = self.citations
        return first

    def _listing_status(self, answer: Answer, measures: list[Measure], as_of: str) -> None:
        """Status lines (and ``measures``) of the listing instruments behind a party or listing answer."""
        statuses = {m.id: m.status_on(as_of) for m in measures}
        answer.status_lines = [self.status_line(m, statuses[m.id]) for m in measures]
        answer.measures = [_measure_status(line, statuses[line.measure_id]) for line in answer.status_lines]

    # -- status lines ------------------------------------------------------
    def label(self, m: Measure) -> str:
        if "#" in m.id:  # a clause: its own title, after the document's
            document_title = self.index.titles.get(m.document_id, "")
            clause = m.title[len(document_title) + 2 :] if document_title and m.title.startswith(document_title) else m.title
            return f"{clause} of {m.number}" if m.number else clause
        return self.short.get(m.document_id, m.title)

    def status_line(self, m: Measure, status: Status) -> StatusLine:
        n = self.writer.cite_evidence(status.evidence) if status.evidence else None
        where = None
        if status.status == "unknown":
            where = _where(m) or DEFAULT_CHECK
        return StatusLine(
            measure_id=m.id, title=m.title, status=status.status, phrase=status_phrase(status, self.short),
            since=status.since, until=status.until, by=status.by, by_title=self.short.get(status.by or ""),
            citation=n, where_to_check=where,
        )  # fmt: skip

    def change_lines(self, decision: Decision) -> list[StatusLine]:
        lines = []
        for change in decision.changes:
            n = self.writer.cite_evidence(change.evidence) if change.evidence else None
            word = {"unknown": "its last recorded period ended; nothing later in the corpus"}.get(
                change.status, change.status.replace("_", " ")
            )
            if change.by and change.by != change.measure.document_id and self.short.get(change.by):
                word += f" by {self.short[change.by]}"
            # an unknown status is dated, as elsewhere, from the last day the corpus records
            since = change.day if change.status != "unknown" else (dt.date.fromisoformat(change.day) - dt.timedelta(days=1)).isoformat()
            lines.append(
                StatusLine(
                    measure_id=change.measure.id, title=change.measure.title, status=change.status,
                    phrase=f"{human_date(since)}: {word}", since=since, by=change.by,
                    by_title=self.short.get(change.by or ""), citation=n,
                )  # fmt: skip
            )
        return lines

    # -- the verdict -------------------------------------------------------
    def verdict(self, query: Query, decision: Decision, lines: list[StatusLine], caveats: list[Caveat]) -> Verdict | None:
        day = human_date(query.as_of)
        if decision.changes:
            start, end = query.window
            n = len(decision.changes)
            span = f"On {human_date(start)}" if start == end else f"Between {human_date(start)} and {human_date(end)}"
            text = f"{span} the corpus records {n} status change{'s' * (n != 1)}, listed below in date order."
            if decision.unchanged:
                names = phrase_list([self.label(m) for m in decision.unchanged])
                verb = "were" if len(decision.unchanged) > 1 else "was"
                text += f" {_sentence_case(names)} stayed in force throughout and {verb} not changed."
            # what stayed is cited to the evidence of its status; each change below cites its own
            return Verdict("changes", text, list(self._unchanged_cited), query.as_of)
        by_id = {line.measure_id: line for line in lines}
        primary = [m for m in decision.primary if m.id in by_id]
        if decision.outcome == "not_listed" or (decision.unlisted and not primary):
            names = phrase_list([element_label(e) for e in decision.unlisted])
            checked = next((c for c in caveats if c.kind == "lists_checked"), None)
            if checked is None:
                return None
            caveats.remove(checked)  # the verdict names the lists itself
            lists = phrase_list(self._lists_checked)
            return Verdict("not_listed", f"Not listed. No instrument in the corpus lists {names} as a controlled element on {day}; "
                           f"lists checked: {lists}.", checked.citations, query.as_of)  # fmt: skip
        if not primary or decision.outcome is None:
            return None
        groups: dict[str, list[Measure]] = {}
        strength = ["in_force", "announced", "unknown", "suspended", "not_issued"]
        for m in sorted(primary, key=lambda m: strength.index(by_id[m.id].status) if by_id[m.id].status in strength else 9):
            groups.setdefault(by_id[m.id].status, []).append(m)
        clauses, cited, said_never = [], [], False
        for status, measures in groups.items():
            line = by_id[measures[0].id]
            names = phrase_list([self.label(m) for m in measures])
            never = status in {"suspended", "unknown"} and never_in_force(measures, query.as_of)
            said_never = said_never or never
            same_since = len({by_id[m.id].since for m in measures}) == 1
            plural = len(measures) > 1 or bool(PLURAL_NAME.search(names))  # "Gallium and germanium controls ... are"
            bans = all(BAN.search(m.title) for m in measures)  # "the in-principle refusal ... is suspended": no licence lapses
            clauses.append(_clause(status, names, line, plural, decision.statuses[measures[0].id].note, never, same_since, bans))
            cited += [by_id[m.id].citation for m in measures if by_id[m.id].citation]
        if query.intent == "coverage" and not is_yes_no(query.question):
            return None  # "which code covers Dy oxide?" is answered by the quotes, not by a yes or no
        subject = _subject(query, [f for m in primary for f in m.forms])
        opening = _opening(decision, query, subject, self._buyer_banned)
        bans = [m for m in primary if by_id[m.id].status == "in_force" and (BAN.search(m.title) or BAN.search(self.label(m)))]
        opening = _with_bans(opening, query, decision, subject, bool(bans))
        body = "; ".join(clauses)
        text = f"{opening} On {day}, {body}."
        # a clause already says it never took effect, unless a claim said it did and is corrected here
        repeated = said_never and decision.asked == "in_force" and not query.claim
        untouched = self._untouched_by_suspension(query, primary, by_id)  # "It was not suspended by No. 70 ...": says it
        repeated = repeated or (bool(untouched) and decision.asked == "suspended" and not query.claim)
        if decision.asked and decision.asked_confirmed is False and decision.asked not in {"lifted", "not_required"} and not repeated:
            correction = _not_asked(decision.asked, decision.asked_about or primary, query.as_of, self.label if query.claim else None)
            # a claim is corrected first ("No, that is not right. Rule 1 never took effect. On ..."), a question after
            text = f"{opening} {correction} On {day}, {body}." if query.claim else f"{text} {correction}"
        if decision.military_only:
            names = phrase_list([self.label(m) for m in decision.military_only])
            text += f" {_sentence_case(names)} {'cover' if len(decision.military_only) > 1 else 'covers'} military users and uses, not civilian ones."
        text += untouched
        text += self._licence_in_force(query, primary, by_id)
        text += self._claim_date(query, decision, cited)
        return Verdict(decision.outcome, _sentence_case(text), list(dict.fromkeys(cited)), query.as_of,
                       [m.id for m in primary])  # fmt: skip

    def _licence_in_force(self, query: Query, primary: list[Measure], by_id: dict) -> str:
        """ "Do the April controls still bite?": a status answer says what a list of controlled items in force means
        for an exporter (an applicability answer opens with it already)."""
        if query.intent != "status":
            return ""
        listed = [m for m in primary if by_id[m.id].status == "in_force" and m.control_codes and not BAN.search(m.title)]
        if not listed:
            return ""
        return f" Under {phrase_list([self.label(m) for m in listed])}, exports of the listed items need a {_licence(listed)}."

    def _untouched_by_suspension(self, query: Query, primary: list[Measure], by_id: dict) -> str:
        """ "Since the truce...": a measure in force that the suspension the question names never suspended."""
        measures = self.index.register.measures
        suspended_by: dict[str, set[str]] = {}  # suspending document -> measures it had suspended by the as-of date
        for m in measures.values():
            for p in m.timeline:
                if p["status"] == "suspended" and p.get("by") and p["from"] <= query.as_of:
                    suspended_by.setdefault(p["by"], set()).add(m.id)
        in_force = [m for m in primary if by_id[m.id].status == "in_force"]
        named = {measures[i].document_id for i in query.instruments if i in measures} & set(suspended_by)
        if STILL.search(query.question):  # "April controls - still on?": the suspension of their neighbours did not reach them
            named |= {s for s, ids in suspended_by.items()
                      if any(set(measures[i].elements) & set(m.elements) for m in in_force for i in ids if i in measures)}  # fmt: skip
        # a suspension that reached another clause of the same instrument ("clause 2 only")
        named |= {s for s, ids in suspended_by.items()
                  if any(measures[i].document_id == m.document_id and i != m.id for m in in_force if "#" in m.id for i in ids)}  # fmt: skip
        out = []
        for suspender in sorted(named):
            untouched = [m for m in in_force if m.id not in suspended_by[suspender] and m.document_id != suspender]
            if untouched:
                labels = phrase_list([self.label(m) for m in untouched])
                plural = len(untouched) > 1 or bool(PLURAL_NAME.search(labels))
                # a pronoun only when the verdict speaks of nothing else: beside a suspended rule, "It" would read as that rule
                names = ("They" if plural else "It") if untouched == in_force == primary else labels
                verb = "were" if plural else "was"
                out.append(f" {names} {verb} not suspended by {self.short.get(suspender, suspender)} and {'remain' if plural else 'remains'} in force.")
        return "".join(out)

    def _claim_date(self, query: Query, decision: Decision, cited: list[int]) -> str:
        """ "Our customer says it has applied since 1 Dec 2025": the status on that date too."""
        claimed = [d for d in query.dates if d.role in {"claim", "about"} and d.start != query.as_of]
        if not (query.claim and claimed and decision.primary):
            return ""
        day = claimed[0].start
        parts = []
        for m in decision.primary[:3]:
            status = m.status_on(day)
            n = self.writer.cite_evidence(status.evidence) if status.evidence else None
            if n:
                cited.append(n)
            parts.append(f"{self.label(m)} was {status_phrase(status, self.short)}")
        return f" On {human_date(day)}, " + "; ".join(parts) + "."

    # -- caveats -----------------------------------------------------------
    def caveats(self, query: Query, decision: Decision, lines: list[StatusLine]) -> list[Caveat]:
        caveats = []
        if decision.unlisted:
            caveats += self._unlisted(decision.unlisted, query.as_of)
        unknown = [line for line in lines if line.status == "unknown" and line.where_to_check]
        for where in dict.fromkeys(line.where_to_check for line in unknown):
            caveats.append(Caveat(f"For anything after the corpus ends, check {where}.", kind="where_to_check"))
        return self.uncertain(query, [m.document_id for m in decision.primary]) + self._end_use_limits(query, decision) + caveats

    def _end_use_limits(self, query: Query, decision: Decision) -> list[Caveat]:
        """A ban aimed at military users and uses, beside a question that names no military end ("can we ship Gd oxide
        to a Japanese MRI maker?"): what its document says it leaves open, cited as a limit of that ban."""
        from assistant.status import sentence_with

        if "military" in query.end_uses or decision.military_only:
            return []
        out = []
        for m in decision.measures:
            if set(end_uses(m.title)) != {"military"} or decision.statuses[m.id].status != "in_force":
                continue
            sentence = sentence_with(CIVILIAN_SIDE, m, self.index)
            n = self.writer.cite_evidence(sentence) if sentence else None
            if n:
                out.append(Caveat(f"Limits: {normalise(sentence)}", [n], kind="limit"))
        return out

    def uncertain(self, query: Query, documents: list[str]) -> list[Caveat]:
        """What the corpus says it does not know about what was asked, each point cited."""
        if self.uncertainties is None:
            return []
        named = query_documents(query, self.index)
        documents = documents + named + [p.document_id for p in self.passages[:3]]
        out = []
        for sentence in self.uncertainties.about(query, documents, named):
            n = self.writer.cite_evidence(sentence)
            if n:
                out.append(Caveat(f"Uncertain: {normalise(sentence)}", [n], kind="uncertain"))
        return out

    def _unlisted(self, unlisted: list[str], as_of: str) -> list[Caveat]:
        checked, cited = [], []
        seen: set[str] = set()
        for m in self.index.register.element_lists():
            if m.document_id in seen:
                continue
            seen.add(m.document_id)
            n = self.writer.cite_evidence(m.scope_evidence)
            if n:
                checked.append(f"{self.short.get(m.document_id, m.title)} [{n}]")
                self._lists_checked.append(self.short.get(m.document_id, m.title))
                cited.append(n)
        out = []
        if checked:
            out.append(Caveat("Lists checked: " + "; ".join(checked), cited, kind="lists_checked"))
        for text, n in self.writer_limits(unlisted, as_of):
            out.append(Caveat(f"Limits: {text}", [n], kind="limit"))
        return out

    def writer_limits(self, unlisted: list[str], as_of: str) -> list[tuple[str, int]]:
        """Listed products that contain an unlisted element (NdFeB magnets with Dy or Tb, for Nd)."""
        from assistant.status import _sentence_naming

        lists = sorted(self.index.register.element_lists(), key=lambda m: m.status_on(as_of).status != "in_force")
        out = []
        for product in dict.fromkeys(RELATED_PRODUCTS[e] for e in unlisted if e in RELATED_PRODUCTS):
            sentence = next((s for m in lists if (s := _sentence_naming(product, m, self.index))), None)
            n = self.writer.cite_evidence(sentence) if sentence else None
            if n:
                out.append((normalise(sentence), n))
        return out

    # -- quotes ------------------------------------------------------------
    def quotes(self, query: Query, decision: Decision, sentences: list[Sentence], answer: Answer) -> list[Quote]:
        cited_texts = {normalise(c.quote) for c in self.citations}
        out = []
        for s in sentences:
            text = normalise(s.text)
            if any(text in c for c in cited_texts) or text.endswith(":") and s.list_after is None:
                continue  # already quoted, alone or inside a list quoted whole
            if _off_topic(text, query):
                continue
            n = len(self.citations) + 1
            self.citations.append(cite(s.text, s.passage, s.start, s.end, n))
            cited_texts.add(text)
            out.append(self._quote(text, n, query.as_of))
        return out


def query_documents(query: Query, index) -> list[str]:
    """Documents of the instruments the question names."""
    measures = index.register.measures
    return [measures[i].document_id for i in query.instruments if i in measures]


def _off_topic(text: str, query: Query) -> bool:
    """A sentence about other elements only, when the question names elements."""
    if not query.items.elements:
        return False
    lowered = text.lower()
    names = [e for e in ELEMENTS if re.search(rf"\b{e}\b", lowered)]
    return bool(names) and not any(e in names for e in query.items.elements) and not any(
        p in lowered for p in ("rare earth", "rare-earth", "magnet")
    )


def _only_later_dates(text: str, as_of: str) -> bool:
    days = [f"{y}-{MONTH_NUMBER[m]:02d}-{int(d):02d}" for d, m, y in LATER_DATE.findall(text)]
    return bool(days) and all(day > as_of for day in days)


def _subject(query: Query, forms: list[str] = ()) -> str:
    """What the user ships, in the words of the register: "dysprosium oxide", "SmCo magnets, which contain samarium (Sm),",
    or a product form a measure lists that the question uses ("synthetic diamond micropowder")."""
    formula = FORMULA.search(query.question)
    if query.items.elements:
        labels = phrase_list([element_label(e) for e in query.items.elements])
        forms = [f for f in query.items.forms if f not in {"magnet"}]
        if formula and query.items.products:
            product = PRODUCT_NAMES.get(query.items.products[0], query.items.products[0])
            return f"{formula.group(0)} {product}, which contain {labels},"
        if len(query.items.elements) == 1:  # "samarium-cobalt magnets", "scandium-aluminium alloy"
            compound = re.search(rf"\b{query.items.elements[0]}-[a-z]+\b", query.question, re.I)
            noun = forms[0] if len(forms) == 1 else (PRODUCT_NAMES.get(query.items.products[0]) if query.items.products else None)
            if compound and noun:
                return f"{compound.group(0).lower()} {noun}"
        if len(forms) == 1 and len(query.items.elements) == 1:
            return f"{query.items.elements[0]} {forms[0]}"  # "dysprosium oxide"
        return labels
    if query.items.control_codes:
        return phrase_list(query.items.control_codes)
    used = [f for f in forms if re.search(rf"\b{re.escape(f)}s?\b", query.question, re.I)]
    if used:
        return max(used, key=len)
    if query.items.products:
        return phrase_list([PRODUCT_NAMES.get(p, p) for p in query.items.products])
    return ""


# An alloy or magnet named by its formula, kept as the user wrote it in the verdict's subject.
FORMULA = re.compile(r"\b(?:SmCo|NdFeB|TbFe|DyFe|TbDyFe|NdPr|Dy2O3|Tb4O7|Sm2O3|Gd2O3)\b", re.I)


YES_NO = re.compile(r"^\W*(?:\w+[,:]\s+)?(is|are|was|were|do|does|did|can|could|will|would|has|have|had|should|must|may|might|need)\b", re.I)


STILL = re.compile(r"\b(still|any ?more|remain\w*|continu\w*|survive\w*)\b", re.I)
# A measure named by a plural noun ("Gallium and germanium controls (from 1 August 2023)") takes a plural verb.
PLURAL_NAME = re.compile(r"\b(controls|rules|measures|restrictions|curbs|regulations|provisions)(?:\s*\([^()]*\))?$", re.I)
BAN = re.compile(r"\b(ban|bans|banned|prohibit\w*|refusal|refuse[sd]?|embargo)\b", re.I)  # in a measure's own title
# "Still applying, or were they paused as well?", "in force or suspended?": a choice between two answers, not a yes or no
ALTERNATIVE = re.compile(r"\bor\s+(?:(?:is|are|was|were|has|have|had|did|do|does|will|would)\s+(?:it|they|these|those|this|that)\b|"
                         r"(?:still\s+)?(?:suspended|paused|lifted|in force|back in force))", re.I)
WH = re.compile(r"^(?:.*?(?:\s[-–—:]|,)\s*)?\W*(?:\w+[,:]\s+)?(what|which|when|where|why|how|who|whom|whose|list|tell|explain|describe|give|show|"
                r"diff|difference|compare|comparison|summar\w+|overview|define|meaning)\b", re.I)


def is_yes_no(question: str) -> bool:
    """A question a yes or a no answers ("Do we need...?", "licence needed?"), not a what/which/when one.

    >>> is_yes_no("We ship Dy magnets to Germany; licence needed?"), is_yes_no("Which code covers Dy oxide?")
    (True, False)
    >>> is_yes_no("Is the October package in force, or is it suspended?"), is_yes_no("Lu oxide to Korea, how does that look?")
    (False, False)
    """
    parts = [p for p in re.split(r"(?<=[.?!;])\s+|;\s*", question) if p.strip()]
    return any(YES_NO.match(p) and not ALTERNATIVE.search(p) for p in parts) or not any(WH.match(p) or ALTERNATIVE.search(p) for p in parts)


TECHNOLOGY_CATALOGUE = re.compile(r"\bcatalogue of technologies\b", re.I)


def _licence(primary: list[Measure]) -> str:
    """The licence the measures require, as the sources name it: items on the dual-use list (every rare-earth control,
    the earlier critical-mineral ones, the technology rules of No. 62) take a dual-use export licence; a technology
    under the catalogue of technologies restricted from export alone takes a licence of that regime instead."""
    only_catalogue = bool(primary) and all(TECHNOLOGY_CATALOGUE.search(m.title) for m in primary)
    return "MOFCOM export licence" if only_catalogue else "MOFCOM dual-use export licence"


def _opening(decision: Decision, query: Query, subject: str, buyer_banned: bool = False) -> str:
    """``buyer_banned``: the answer opened with a listing that bans the buyer, so a licence speaks of other buyers."""
    licence = _licence(decision.primary)
    if buyer_banned and decision.outcome == "yes" and asks_for_licence(query) and subject:
        return f"For buyers not on that list, exports of {subject} need a {licence}."
    answers_yes_no = query.claim or is_yes_no(query.question)  # "in force, or were they paused?" picks no side
    if decision.asked_confirmed is True and answers_yes_no:
        return "Yes, that is right." if query.claim else "Yes."
    if decision.asked == "not_required" and decision.asked_confirmed is False and subject:
        return f"No, that is not right: exports of {subject} still need a {licence}."
    if decision.asked_confirmed is False and answers_yes_no:
        return "No, that is not right." if query.claim else "No."
    if decision.outcome == "yes" and asks_for_licence(query) and subject:
        return f"{'Yes: e' if is_yes_no(query.question) else 'E'}xports of {subject} need a {licence}."
    bans_only = bool(decision.primary) and all(BAN.search(m.title) for m in decision.primary)  # no licence requirement to speak of
    if decision.outcome in {"suspended", "not_yet_in_force"} and query.intent == "applicability" and subject and not bans_only:
        state = "is suspended" if decision.outcome == "suspended" else "is announced but not yet in force"
        word = ("Not at present" if decision.outcome == "suspended" else "Not yet") if is_yes_no(query.question) else "Not required"
        return f"{word}: the licence requirement for {subject} {state}."
    if not is_yes_no(query.question):
        return {
            "yes": "In force.", "suspended": "Suspended.", "not_yet_in_force": "Announced, not yet in force.",
            "no": "Not yet issued.", "unknown": "Unknown.", "partly": "Partly in force.", "mixed": "Not in force.",
        }.get(decision.outcome, "")  # fmt: skip
    word = {
        "yes": "Yes.", "suspended": "Not at present.", "not_yet_in_force": "Not yet.", "no": "No.",
        "unknown": "Unknown.", "partly": "Partly.", "mixed": "Not at present.",
    }.get(decision.outcome, "")  # fmt: skip
    return word


# "Is gallium to the US still banned?", "is that allowed?": a yes or no about a ban or a permission, which a bare
# "Yes: exports need a licence" would answer the wrong way round.
ASKS_BANNED = re.compile(r"\b(?:banned|ban|prohibited|forbidden|embargoed|barred|blocked|blacklisted)\b", re.I)
ASKS_ALLOWED = re.compile(r"\b(?:allowed|permitted|lawful)\b", re.I)


def _with_bans(opening: str, query: Query, decision: Decision, subject: str, banned: bool) -> str:
    """The opening of an applicability verdict when a ban binds (``banned``: one in force among what it speaks of), or
    when a yes-or-no question asks about a ban or a permission: in the question's own terms."""
    if query.intent != "applicability" or decision.asked_confirmed:
        return opening
    yes_no = is_yes_no(query.question)
    in_its_terms = yes_no and decision.asked_confirmed is None  # no claim or asked status is being answered instead
    if banned:
        if in_its_terms and ASKS_BANNED.search(query.question):
            return "Yes: such exports are barred or refused in principle."
        return "No: such exports are barred or refused in principle." if yes_no else "Barred."
    if not (in_its_terms and decision.outcome == "yes" and subject):
        return opening
    licence = _licence(decision.primary)
    if ASKS_BANNED.search(query.question):
        return f"Not banned: exports of {subject} need a {licence}."
    if ASKS_ALLOWED.search(query.question):
        return f"Only with a licence: exports of {subject} need a {licence}."
    return opening


def _clause(status: str, names: str, line: StatusLine, plural: bool, note: str | None = None, never: bool = False,
            same_since: bool = True, bans: bool = False) -> str:  # fmt: skip
    """One status group of a verdict; ``same_since``: every measure in it took that status on the same day; ``bans``:
    the measures are bans or refusals, not licence requirements."""
    verb = "are" if plural else "is"
    if status == "in_force":
        return f"{names} {verb} in force (since {human_date(line.since)})" if same_since else f"{names} {verb} in force"
    if status == "suspended":
        by = f" by {line.by_title}" if line.by_title else ""
        until = f", until {human_date(line.until)}" if line.until else ""
        never_note = " and never took effect" if never else ""  # the corpus's own words for a measure suspended before its start
        lapse = f"{'they do' if plural else 'it does'} not apply" if bans else f"{'their' if plural else 'its'} licence requirement does not apply"
        return f"{names} {verb} suspended (since {human_date(line.since)}{by}{until}){never_note}, so {lapse} for now"
    if status == "announced":
        return f"{names} {verb} announced but not yet in force ({note or 'not yet effective'})"
    if status == "not_issued":
        return f"{names} had not yet been issued (it dates from {human_date(line.until)})"
    if status == "unknown":
        never_note = f", and {'they' if plural else 'it'} never took effect in that period" if never else ""
        return (f"the status of {names} after {human_date(line.since)} is not known: the corpus records {'them' if plural else 'it'} "
                f"until then and has nothing later{never_note}")
    return f"{names} {verb} {line.phrase}"


def _not_asked(asked: str, primary: list[Measure], as_of: str, label=None) -> str:
    """What the question or claim got wrong; ``label`` names the measures (for a claim beside other measures)."""
    plural = len(primary) > 1
    subject = _sentence_case(phrase_list([label(m) for m in primary])) if label else ("They" if plural else "It")
    if asked == "in_force":
        if never_in_force(primary, as_of):  # the register records no period in force up to the as-of date
            recorded = all(m.status_on(as_of).status != "unknown" for m in primary)
            return f"{subject} never took effect{'' if recorded else ' in the period the corpus records'}."
        return f"{subject} {'are' if plural else 'is'} not in force on that date."
    word = {"suspended": "suspended", "lifted": "lifted"}[asked]
    return f"{subject} {'were' if plural else 'was'} not {word} on that date."


def _sentence_case(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


def _where(m: Measure) -> str | None:
    for period in reversed(m.timeline):
        if period.get("check"):
            return period["check"]
    return None


def _measure_status(line: StatusLine, status: Status) -> MeasureStatus:
    return MeasureStatus(line.measure_id, line.title, status.status, status.since, status.until, status.by, line.citation, status.note)
