"""The one object every front end talks to: question in, verified Answer out.

>>> engine = Engine(Settings.load())  # doctest: +SKIP
>>> answer = engine.ask("Is holmium controlled?", as_of="2025-11-20")  # doctest: +SKIP
>>> answer.measures[0].status  # doctest: +SKIP
'suspended'

The engine is safe to share between threads: the index is read-only once
opened, and the embedding model serialises its own calls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from assistant.answer import ExtractiveAnswerer, Vocabulary, answer_type_words, split_sentences, terms
from assistant.audit import AuditLog, Batch, ScreeningService
from assistant.citations import valid_citations
from assistant.compose import Composer
from assistant.config import Settings, set_offline_environment
from assistant.dates import parse_as_of
from assistant.decide import decide, suspending_documents
from assistant.errors import QuestionInvalid
from assistant.keyword import identifier_tokens
from assistant.language import not_english_message
from assistant.parties import open_parties
from assistant.register import ItemQuery
from assistant.render.markdown import render as render_markdown
from assistant.retrieval import passage_from_row
from assistant.schema import Answer, Passage, Query, Screening, Turn
from assistant.scope import (
    acronyms_of,
    has_anchor,
    missing_actor,
    missing_amount,
    missing_enforcement,
    missing_parameter,
    missing_period,
    missing_quantity,
    missing_value,
    regime_named,
    unknown_acronyms,
)
from assistant.screening import LIST_WORDS, Screener, candidate_names, listed_parties, lone_name, party_names_in
from assistant.status import StatusWriter
from assistant.textinput import clean_question
from assistant.uncertainty import SECTION as UNCERTAIN_SECTION
from assistant.uncertainty import Uncertainties
from assistant.understand import Understanding, destinations, read_as_runner_up, source_patterns, sources_named

REFUSAL = "The corpus does not cover this question, so Lodestone cannot answer it with a cited source."
EVASION = (
    "Lodestone does not help avoid, evade or get around export controls: not by rerouting, splitting shipments, "
    "or declaring another destination, description, HS code or end use. If a shipment may need a licence, "
    "ask whether it is controlled and how to apply; the exporter is liable for what it declares."
)
ADVICE = (
    "Lodestone reports what the sources in its corpus say, with citations; it does not give business or legal "
    "advice, price figures, forecasts or predictions. Ask what a measure requires or what its status is on a date."
)


@dataclass
class OpenState:
    """What an opened index gives the chain's stages."""

    index: object
    retriever: object
    answerer: ExtractiveAnswerer
    understanding: Understanding
    acronyms: set[str]
    uncertainties: Uncertainties | None = None
    sources: dict = field(default_factory=dict)  # document id -> patterns of the sources its title names
    _regimes: set[str] | None = None

    def regimes(self) -> set[str]:
        """Countries whose own rules the corpus has documents from (its issuers'), read on first need."""
        if self._regimes is None:
            self._regimes = {"China"} | {c for issuer in self.index.chunks.issuers() for c in destinations(issuer)}
        return self._regimes


class Engine:
    def __init__(self, settings: Settings | None = None, embedder=None):
        set_offline_environment()
        self.settings = settings or Settings.load()
        self._embedder = embedder
        self._lock = threading.Lock()
        self._state = None
        self._unopenable = None  # a live build that failed to open: not retried on every question
        self.generator = None
        if self.settings.llm_url:
            from assistant.generator import Generator

            self.generator = Generator(self.settings)

    # -- opening ---------------------------------------------------------
    def _open(self):
        with self._lock:
            if self._state is None:
                self._state = self._load()
            elif self._live_moved():
                self._switch()
            return self._state

    def _load(self):
        from concurrent.futures import ThreadPoolExecutor

        from assistant.intent import load_intent_model
        from assistant.models import RecentVectors, query_encoder
        from assistant.retrieval import HybridRetriever
        from assistant.store import open_index

        # Opening the index (mostly importing chromadb, about 1 s) runs beside loading the ONNX encoder and the
        # intent model, whose native code leaves the interpreter free: a cold start saves about a third of a second.
        with ThreadPoolExecutor(1, thread_name_prefix="lodestone-open") as pool:
            opening = pool.submit(open_index, self.settings)
            try:
                embedder = RecentVectors(self._embedder or query_encoder(self.settings.index_dir))
                intents = load_intent_model(self.settings.index_dir, embedder)
            finally:
                index = opening.result()
        retriever = HybridRetriever(index, embedder, self.settings.candidates, self.settings.rrf_k, self.settings.dense_weight)
        counts = index.term_counts
        vocabulary = Vocabulary(counts.df, counts.n) if counts else Vocabulary.from_texts([r["text"] for r in index.chunks.values()])
        answerer = ExtractiveAnswerer(vocabulary, self.settings.answer_sentences)
        understanding = Understanding(index.register, intents, embedder, vocabulary=vocabulary)
        acronyms = index.acronyms if index.acronyms is not None else acronyms_of([r["text"] for r in index.chunks.values()])
        uncertainties = Uncertainties(index.chunks.in_section(UNCERTAIN_SECTION), vocabulary)
        return OpenState(index, retriever, answerer, understanding, acronyms, uncertainties, source_patterns(index.titles))

    def _live_moved(self) -> bool:
        from assistant.store import live_generation

        now = live_generation(self.settings)
        return now is not None and now not in (self._state.index.generation, self._unopenable)

    def _switch(self) -> None:
        """A newer build went live: answer from it from this question on; keep the old one if it can't be opened."""
        from assistant.errors import IndexError_
        from assistant.store import live_generation

        try:
            self._state = self._load()
        except IndexError_:
            self._unopenable = live_generation(self.settings)

    def open(self) -> None:
        """Open the index now rather than on the first question (IndexNotBuilt / IndexCorrupt if it can't)."""
        self._open()

    def ensure_index(self, log=None):
        """Build the index when it is missing or older than the corpus (front ends call this at start-up)."""
        from assistant.store import build_index, corpus_changed

        if not corpus_changed(self.settings):
            return None
        if log:
            log.info("The index is missing or older than the corpus: building it (this takes a minute).")
        report = build_index(self.settings)
        if log:
            log.info("Indexed %d documents, %d chunks.", report.documents, report.chunks)
        self.reload()
        return report

    def reload(self) -> None:
        """Pick up a newly built index on the next question."""
        with self._lock:
            self._state = None

    # -- asking ------------------------------------------------------------
    def ask(self, question: str, as_of: str | None = None, history: list[Turn] | None = None, k: int | None = None) -> Answer:
        answer = None
        for event, value in self.stream(question, as_of, history, k):
            if event == "answer":
                answer = value
        return answer

    def understand(self, question: str, as_of: str | None = None, history: list[Turn] | None = None) -> Query:
        """Stage 1 alone: what the engine reads from a question (no retrieval)."""
        question = self.validate(question)
        state = self._open()
        return state.understanding.understand(question, history or [], self._reference(as_of), self._today())

    def stream(
        self, question: str, as_of: str | None = None, history: list[Turn] | None = None, k: int | None = None
    ) -> Iterator[tuple[str, object]]:
        """Yield ("delta", text) pieces as the answer is written, then ("answer", Answer).

        The chain: understand -> retrieve -> decide -> compose -> verify -> render.
        Only verified text is ever yielded.
        """
        started = time.perf_counter()
        question = self.validate(question)
        k = self._top_k(k)
        history = history or []
        state = self._open()
        query = state.understanding.understand(question, history, self._reference(as_of), self._today())
        if self.generator and history:
            condensed = self.generator.condense(question, history)
            if condensed:
                query.standalone = condensed
        listings = self._named_parties(query)
        _items_not_parties(query)
        t0 = time.perf_counter()
        # the vector search embeds the question as understood (the intent model already did: the vector is cached)
        query.sources = sources_named(query.standalone, state.sources)
        named, first = _named_documents(query, state.index.register, listings + query.sources)
        # what an answer of the asked type talks about ("application documents") steers both searches: the passage listing an
        # application's documents shares few words with "what should we have assembled before filing?"
        shape = "; ".join(answer_type_words(query.question))
        dense = f"{query.standalone} ({shape})" if shape else query.standalone
        passages = state.retriever.retrieve(_search_text(query), k, dense_text=dense, documents=named, first=first)
        self._with_scope_passages(query, passages, state)
        t1 = time.perf_counter()
        answer = self._extractive(query, passages, state)
        if self.generator and not answer.refused:
            for event, value in self.generator.rewrite(answer, query.standalone):
                if event == "answer":
                    answer = value
                else:
                    yield event, value
        else:
            yield from _deltas(answer.answer)
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - started) * 1000}
        yield "answer", answer

    def changes(self, start: str, end: str | None = None) -> Answer:
        """Every status change recorded in [start, end] (end: today), each cited, as an Answer."""
        started = time.perf_counter()
        start, end = parse_as_of(start), parse_as_of(end, self._today())
        if start > end:
            raise QuestionInvalid(f"The window starts after it ends ({start} > {end}).")
        state = self._open()
        text = f"What changed between {start} and {end}?"
        query = Query(question=text, standalone=text, intent="changes", intent_confidence=1.0, as_of=end,
                      as_of_source="setting", window=(start, end))  # fmt: skip
        decision = decide(query, state.index.register, [])
        answer = self.verify(Composer(state.index, state.retriever, []).compose(query, decision, []))
        answer.timings_ms = {"total": (time.perf_counter() - started) * 1000}
        return answer

    def _today(self) -> str:
        return parse_as_of(self.settings.as_of or None, dt.date.today().isoformat())

    def _reference(self, as_of: str | None) -> str | None:
        return parse_as_of(as_of, self._today()) if as_of else None

    def validate(self, question) -> str:
        question = clean_question(question)
        if not question:
            raise QuestionInvalid("Please type a question (it was empty).")
        if len(question) > self.settings.max_question_chars:
            raise QuestionInvalid(
                f"That question is {len(question):,} characters long; the limit is "
                f"{self.settings.max_question_chars:,}. Please shorten it to the part you need answered."
            )
        if question.count("\ufffd") > 0.1 * len(question):
            raise QuestionInvalid("That question contains binary data; please paste plain text.")
        return question

    def _top_k(self, k: int | None) -> int:
        k = self.settings.top_k if k is None else k
        if not isinstance(k, int) or k <= 0 or k > 100:
            raise QuestionInvalid(f"k must be between 1 and 100, got {k!r}")
        return k

    def _with_scope_passages(self, query: Query, passages: list[Passage], state) -> None:
        """Make sure the passage listing an item the question names is there to quote."""
        items = ItemQuery(query.items.elements, query.items.control_codes, query.items.hs_codes)
        extra = [m.scope_evidence for m in state.index.register.for_items(items) if m.scope_evidence]
        writer = StatusWriter(state.index, state.retriever, passages, [])
        for evidence in extra:
            writer.passage_with(evidence)

    def _stated_reasons(self, query: Query, state) -> list[str]:
        """ "Why did China bring in No. 61?": the sentences of the named instrument's own documents that state why it
        was taken, and for "why was it suspended?" those of the suspending instrument (quoted first)."""
        if query.intent != "reasons" or query.intent_confidence < 0.5 or not (query.instruments or query.sources):
            return []
        register = state.index.register
        named = [register.measures[i].document_id for i in query.instruments if i in register.measures]
        documents = list(dict.fromkeys(suspending_documents(query, register) + query.sources + named))
        found = []
        for document_id in documents[:2]:
            for chunk_id, row in state.index.chunks_of(document_id):
                passage = passage_from_row(chunk_id, row, 0.0, 0)
                found += [s.text for s in split_sentences(passage) if STATED_REASON.search(s.text)][:2]
        return list(dict.fromkeys(found))[:2]

    # -- the extractive answer --------------------------------------------
    def _named_parties(self, query: Query) -> list[str]:
        """Listed parties the question names, and their lists: "why was Halifax sanctioned?" is about the UEL additions.
        Returns the documents of their listings."""
        register = self.screening().screener.register
        query.parties = party_names_in(query.standalone, register)
        named = [p for p in register.parties if p.name in query.parties]
        query.party_lists = list(dict.fromkeys(p.list_title for p in named))
        return list(dict.fromkeys(p.document_id for p in named))

    def _extractive(self, query: Query, passages: list[Passage], state) -> Answer:
        asked = f"{query.standalone} ({'; '.join(query.party_lists)})" if query.party_lists else query.standalone
        composition = state.answerer.compose(asked, passages, focus=query.question, intent=query.intent)
        declined = self._decline(query, composition, state)
        if declined:
            return self._refusal(query, passages, declined, state)
        if query.intent not in IN_DOMAIN:  # a decline intent under its threshold: the likeliest answerable one reads it
            read_as_runner_up(query, f"{query.intent} below its threshold", among=IN_DOMAIN)
        # a party the parties register names ("is Subaru banned from...?"): its listing decides, unless asked why
        about_parties = (query.intent == "party" and query.intent_confidence >= 0.5) or asks_who_is_listed(query.question) or (
            query.parties and query.intent not in {"reasons", "history"})
        quoted_docs = list(dict.fromkeys(s.passage.document_id for s in composition.sentences))
        composer = Composer(state.index, state.retriever, passages, state.uncertainties)
        # "is neodymium on a list?" and "are jet mills on the equipment list?" ask about items; "Subaru buys Gd alloy
        # from us, are they banned?" about both
        if about_parties and (query.parties or asks_who_is_listed(query.question) or not _names_items(query)):
            answer = self._party_answer(query, passages, composition, state, composer)
            if answer is not None:
                if query.parties and query.items.elements:  # the listing first, then what shipping the item needs
                    shipping = dataclasses.replace(query, intent="applicability")
                    decision = decide(shipping, state.index.register, quoted_docs)
                    items = composer.compose(shipping, decision, composition.sentences)
                    answer = composer.also(answer, items)
                return self.verify(answer)
        decision = decide(query, state.index.register, quoted_docs)
        leads = self._grounds(query) + self._stated_reasons(query, state) + self._list_meanings(query)
        answer = composer.compose(query, decision, composition.sentences, leads)
        return self.verify(answer)

    def _list_meanings(self, query: Query) -> list[str]:
        """ "How does the watch list differ from the export control list?": what being on each list the question
        names means, as the parties register quotes it (the latest listing first)."""
        if (query.intent not in {"definition", "coverage", "changes", "party"} or query.parties or query.items
                or asks_who_is_listed(query.question)):  # "is 1C902 on the control list?" asks about an item
            return []
        wanted = [name for name, pattern in LIST_WORDS.items() if pattern.search(query.standalone)]
        register = self.screening().screener.register
        meanings = []
        for name in wanted:
            listings = sorted((p for p in register.parties if p.list == name), key=lambda p: p.timeline[0].start, reverse=True)
            meanings += list(dict.fromkeys(p.meaning.text for p in listings))[:1]
        return meanings

    def _grounds(self, query: Query) -> list[str]:
        """ "Why was X listed?": the reasons MOFCOM stated for the listings of the parties the question names."""
        if query.intent not in {"reasons", "history"} or not query.parties:
            return []
        register = self.screening().screener.register
        return list(dict.fromkeys(p.grounds.text for p in register.parties if p.name in query.parties and p.grounds))

    def _party_answer(self, query: Query, passages: list[Passage], composition, state, composer) -> Answer | None:
        """ "Is TechInsights listed?": the parties register answers, each hit cited and dated."""
        service = self.screening()
        register = service.screener.register
        names = list(query.parties)  # read once, before retrieval (_named_parties)
        enumerate_listed = not names and asks_who_is_listed(query.question)  # no name to screen: "which companies..."
        if not names and not query.items.elements and not enumerate_listed:
            names = candidate_names(query.question)
        if not names and not query.items.elements and not enumerate_listed and query.intent == "party" and query.intent_confidence >= 0.6:
            known = lambda word: any(state.answerer.vocabulary.df.get(t) for t in terms(word))  # noqa: E731
            names = [name] if (name := lone_name(query.question, known)) else []
        if not names:
            # no name to screen: the register answers only a question that asks who is listed; "does China have a 50%
            # rule for subsidiaries of listed end users?" asks about a rule, not for the names
            listed = listed_parties(register, query) if enumerate_listed else []
            if not listed:
                return None
            measures = _listing_measures(state.index.register, listed)
            return composer.compose_listing(query, listed, composition.sentences, measures)
        screenings = [service.screen(name, query.as_of, "chat", None) for name in names[:3]]
        measures = _listing_measures(state.index.register, _hit_parties(register, screenings))
        return composer.compose_party(query, screenings, composition.sentences, measures)

    def _decline(self, query: Query, composition, state) -> str | None:
        """Why to decline, or None (see evals/README.md, "Declining")."""
        if query.language != "en" and query.standalone == query.question:
            return "language"
        named = bool(query.items or query.instruments or query.parties or identifier_tokens(query.standalone))
        anchored = named or has_anchor(query.standalone)
        evasion = query.intent_scores.get("evasion", query.intent_confidence if query.intent == "evasion" else 0.0)
        if evasion >= EVASION_FLOOR or query.intent_alone.get("evasion", 0.0) >= EVASION_ALONE:  # whatever else it looks like
            return "evasion"
        if query.intent == "advice" and query.intent_confidence >= (0.6 if anchored else 0.25):
            return "advice"
        # "Sc2O3 for SOFC electrolyte to Canada - controlled?": a controlled element shipped abroad is what the corpus is
        # about, whatever the one unfamiliar word (SOFC, flame retardant) made the classifier think; only a sure reading
        # declines it ("the US ITAR rules on exporting SmCo magnets from the US to China" scores 0.95).
        ships_item = bool(query.items.elements) and any(d != "China" for d in query.destinations)
        if query.intent == "out_of_scope" and query.intent_confidence >= (
                SURE_OUT_OF_SCOPE if ships_item else 0.6 if anchored else 0.25):  # fmt: skip
            return "out_of_scope"
        # "write a limerick about neodymium": out of scope leads (0.54) without being sure, and with evasion (0.30) and advice
        # the declined intents leave the answerable ones almost nothing. Advice and evasion keep their own thresholds: "the
        # cheapest above-board way to cover weekly orders" (advice 0.55, evasion 0.40) asks for a kind of licence.
        declined = {i: query.intent_scores.get(i, 0.0) for i in ("evasion", "advice", "out_of_scope")}
        if sum(declined.values()) >= DECLINED_TOGETHER and max(declined, key=declined.get) == "out_of_scope" and not ships_item:
            return "out_of_scope"
        quoted = [s.text for s in composition.sentences]
        missing = (missing_period, missing_quantity, missing_amount, missing_parameter, missing_value, missing_enforcement, missing_actor)
        if not quoted or any(figure_missing(query.question, quoted) for figure_missing in missing):
            return "unsupported"
        # "what does India require?": no Indian source. An instrument named by number or declared term keeps the question
        # about China's rules ("does India's regime copy the 0.1% rule?"); one guessed from title words does not.
        if set(query.regimes) - state.regimes() and not (
                identifier_tokens(query.standalone) or state.index.register.for_terms(query.standalone)):
            return "unsupported"
        unknown = unknown_acronyms(query.question, state.acronyms)
        if query.intent == "party":  # "is Vacuumschmelze (VAC, Hanau) listed?": an acronym in brackets is the company's own
            unknown = [a for a in unknown if not re.search(rf"\(\s*{re.escape(a)}\b", query.question)]
        # An element or product does not make a question about another regime answerable ("REACH duties for NdFeB").
        if unknown and not (query.instruments or identifier_tokens(query.standalone)) and (not named or regime_named(query.question, unknown)):
            return "unsupported"
        if anchored or (query.intent in IN_DOMAIN and query.intent_confidence >= 0.45):
            return None
        return "unsupported" if composition.best_overlap < self.settings.refusal_threshold else None

    def _refusal(self, query: Query, passages: list[Passage], reason: str, state) -> Answer:
        answer = Answer(question=query.question, answer="", refused=True, passages=passages, as_of=query.as_of,
                        standalone_question=query.standalone, query=query, refusal=reason)  # fmt: skip
        if reason == "evasion":
            answer.answer = EVASION
        elif reason == "advice":
            answer.answer = ADVICE
        elif reason == "language":
            answer.answer = not_english_message(query.language)
        else:
            answer.answer = _refusal_text(passages)
        return answer

    def verify(self, answer: Answer) -> Answer:
        """Keep only parts whose citations verify, then render: nothing unverifiable reaches the user."""
        answer = self._verified(answer) if self.settings.verify_citations else answer
        if not answer.refused:
            answer.answer = render_markdown(answer)
        return answer

    def _verified(self, answer: Answer) -> Answer:
        kept, removed = valid_citations(answer.citations, answer.passages)
        ok = {c.n for c in kept}
        answer.citations, answer.removed = kept, answer.removed + removed
        answer.quotes = [q for q in answer.quotes if q.citation in ok]
        dropped = [s for s in answer.status_lines if s.citation not in ok]
        answer.removed += [{"n": s.citation, "reason": "no verified citation", "text": f"{s.title}: {s.phrase}"} for s in dropped]
        answer.status_lines = [s for s in answer.status_lines if s.citation in ok]
        for m in answer.measures:
            if m.citation not in ok:
                m.citation = None
        answer.caveats = [c for c in answer.caveats if all(n in ok for n in c.citations)]
        if answer.verdict:
            answer.verdict.citations = [n for n in answer.verdict.citations if n in ok]
            if not answer.verdict.citations and answer.verdict.outcome not in {"changes", "no_match"}:
                answer.removed.append({"n": None, "reason": "verdict without a verified citation", "text": answer.verdict.text})
                answer.verdict = None
        if not (answer.quotes or answer.status_lines or answer.verdict):
            answer.refused, answer.refusal, answer.answer = True, "unsupported", _refusal_text(answer.passages)
        return answer

    # -- screening parties ---------------------------------------------------
    def screen(self, name: str, as_of: str | None = None, frontend: str = "cli", user: str | None = None) -> Screening:
        """Screen one name against the parties register on a date (audited). NameInvalid if it can't be screened."""
        return self.screening().screen(name, self._screen_date(as_of), frontend, user)

    def screen_many(self, names: Iterable[str], as_of=None, frontend: str = "cli", user=None, batch_id=None) -> Batch:
        """Screen many names, audited and resumable: a rerun of the same batch reads back what was committed."""
        return self.screening().batch(names, self._screen_date(as_of), frontend, user, batch_id)

    def screening(self) -> ScreeningService:
        """The screening service over the live index's parties register, reopened when a new build goes live."""
        from assistant.store import open_build_path

        build = open_build_path(self.settings)
        with self._lock:
            cached = getattr(self, "_screening", None)
            if cached is None or cached[0] != build:
                register, version = open_parties(self.settings)
                screener = Screener(register, self.settings.screen_threshold)
                self._screening = (build, ScreeningService(screener, AuditLog(self.settings.audit_db), version))
            return self._screening[1]

    def _screen_date(self, as_of: str | None) -> str:
        return parse_as_of(as_of, parse_as_of(self.settings.as_of or None, dt.date.today().isoformat()))


# An evasion probability at or above this refuses, even when another intent scores higher. Chosen on dev (1,260
# questions) with the boundary examples (intents-boundary.jsonl) in the training data: at 0.30, 76 of the 80 evasion
# requests reach it and 3 legitimate questions do, but the answers of dev lose on status (0.955 against 0.958 at 0.50)
# and more look-alikes are refused; at 0.50, 73 of 80 and 1, and the evasions below it are mostly refused on other
# grounds (refusal precision 0.972, recall 0.946).
EVASION_FLOOR = 0.50
# The one-vs-rest evasion model's probability at or above this refuses too. On dev (1,420 questions), at 0.7 it
# catches 4 evasion requests the softmax floor misses, among them plans worded as applicability questions ("ship the
# gadolinium to a Hong Kong affiliate first, so we never have to file"), and 1 legitimate question; at 0.6, the same 4
# and 3 legitimate ones; at 0.8, 2 and none.
EVASION_ALONE = 0.7
# The declined intents' probabilities together at or above this decline a question that out of scope leads. On dev
# (1,380 questions) 0.7 to 0.9 decline one more request to be declined and no question to be answered.
DECLINED_TOGETHER = 0.8
# Out of scope declines a question that ships a named element abroad only at or above this (on dev, the legitimate
# ones scored 0.65-0.72; of the off-topic ones naming both, the ITAR question scored 0.95 and a REACH question 0.55,
# which a later check declines as unsupported).
SURE_OUT_OF_SCOPE = 0.9
NAMED_DOCUMENTS = 5  # more documents than this named at once rank nothing higher
# What passages answering an intent talk about; added to the search text (the intent itself is learned).
INTENT_SEARCH = {
    "history": "earlier export controls before 2025 history precedent",
    "reasons": "reasons stated purpose national security interests",
    "procedure": "licence application procedure",
}
# "who was added...", "which companies were listed...": a question the parties register answers by enumeration. Also
# "were any Japanese firms on the watch list?", "what companies are on it?", and in shorthand with the question word
# last: "US defence cos added to UEL oct package which"
_PARTIES = r"(?:compan\w+|cos|entit\w+|firms?|parties|organi[sz]ations?|businesses)"
_LISTED = r"(?:added|listed|put|placed|designated|sanctioned|blacklisted)"
WHO_IS_LISTED = re.compile(
    r"^\W*(?:and\s+|so\s+)?(who|which\s+(?:\w+\s+){0,3}(?:compan\w+|cos|entit\w+|firms?|parties|organi[sz]ations?|businesses|"
    r"makers?|groups?))\b.*\b(add(?:ed)?|list(?:ed)?|put|plac(?:e|ed)|designat\w+|named|sanction\w*|blacklist\w*|target\w*|"
    r"onto|on (?:the|its|any|china's|beijing's))\b"
    r"|^\W*(?:and\s+|so\s+)?(?:the\s+)?(additions?|designations?|listings?|new entries)\b"
    rf"|\b{_PARTIES}\b.*\b{_LISTED}\b.*\b(?:which|who|names?)\W*$"
    rf"|\b(?:any|what)\s+(?:\w+\s+){{0,3}}{_PARTIES}\b.*\b(?:on|{_LISTED})\b",
    re.I,
)


def asks_who_is_listed(question: str) -> bool:
    """Does a sentence of the question ask who is listed? ("We screen counterparties. Which US defence companies did
    China put on its list?" asks in its second sentence.)"""
    return any(WHO_IS_LISTED.search(part) for part in re.split(r"(?<=[.?!;])\s+", question))


# How a source states why a measure was taken (a reasons question's search adds the passages that say so).
STATED_REASON = re.compile(r"\b(justif\w*|because|in order to|(?:the|its) (?:aim|purpose)|to safeguard|national security and interests|"
                           r"aimed at|meant to|intended to|designed to|"
                           r"in (?:response|reaction|reply|return) to|retaliat\w*|prompted by|triggered by|following the|agreed (?:at|in|on))\b", re.I)
IN_DOMAIN = {"applicability", "status", "coverage", "procedure", "definition", "changes", "reasons", "history", "party"}


def _listing_measures(measures_register, parties) -> list:
    """The register measure of each party's listing: same document, same first day (for its status line)."""
    found = []
    for party in parties:
        for m in measures_register.for_documents([party.document_id]):
            if m.timeline[0]["from"] == party.timeline[0].start and m not in found:
                found.append(m)
    return found


def _hit_parties(parties_register, screenings) -> list:
    """The listed parties behind each screening's two best hits."""
    by_id = {p.id: p for p in parties_register.parties}
    return [by_id[hit.party_id] for screening in screenings for hit in screening.hits[:2] if hit.party_id in by_id]


def _items_not_parties(query: Query) -> None:
    """ "Are jet mills on China's control list?" asks about items: a party question names a party or asks who is
    listed; one that names only items is read by the next likeliest intent."""
    if query.intent == "party" and not query.parties and _names_items(query) and not asks_who_is_listed(query.question):
        read_as_runner_up(query, "names items and no party")


def _names_items(query: Query) -> bool:
    items = query.items
    return any((items.elements, items.products, items.control_codes, items.hs_codes))


def _named_documents(query: Query, register, party_documents: list[str] = ()) -> tuple[list[str], list[str]]:
    """The documents a question names: its instruments', the listings of the parties it names, those of the measures
    covering an item it names and of the measures aimed at a destination it names (none when that is much of the
    corpus: "rare earths" names nothing in particular), and first the instruments that suspended them when the
    question asks about a suspension. Returns them and those of them the question names itself, which rank first."""
    items = ItemQuery(query.items.elements, query.items.control_codes, query.items.hs_codes)
    instruments = [register.measures[i].document_id for i in query.instruments if i in register.measures]
    aimed = [m for m in register.measures.values() if set(m.destinations) & set(query.destinations)]
    suspenders = suspending_documents(query, register)  # "why was the October package put on hold?": No. 70 first
    # what the question names itself, then what covers its items or aims at its destinations: when all of them are
    # too many, the named ones alone ("can we sell Dy oxide to MP Materials?": the listing, not every Dy measure)
    named = list(dict.fromkeys([*suspenders, *party_documents, *instruments]))
    # "what documents does our supplier need for its terbium licence?": how to apply is in the rules on licensing, not in
    # every measure that lists terbium
    how_to_apply = query.intent == "procedure" and query.intent_confidence >= 0.5
    covering = [] if how_to_apply else register.for_items(items) + aimed
    documents = list(dict.fromkeys([*named, *(m.document_id for m in covering)]))
    for choice in (documents, named, suspenders):
        if len(choice) <= NAMED_DOCUMENTS:
            return choice, [d for d in named if d in choice]
    return suspenders[:NAMED_DOCUMENTS], suspenders[:NAMED_DOCUMENTS]


def _search_text(query: Query) -> str:
    hint = INTENT_SEARCH.get(query.intent) if query.intent_confidence >= 0.5 else None
    extra = "; ".join(([hint] if hint else []) + answer_type_words(query.question) + query.party_lists)
    return f"{query.standalone} ({extra})" if extra else query.standalone


def _deltas(text: str) -> Iterator[tuple[str, str]]:
    words = text.split(" ")
    for i in range(0, len(words), 6):
        yield "delta", " ".join(words[i : i + 6]) + (" " if i + 6 < len(words) else "")


def _refusal_text(passages: list[Passage]) -> str:
    nearest = list(dict.fromkeys(p.title for p in passages[:3]))
    text = REFUSAL
    if nearest:
        text += " The nearest documents are: " + "; ".join(nearest) + ". They do not answer it."
    return text
