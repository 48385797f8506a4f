"""The one object every front end talks to: question in, verified Answer out.

>>> engine = Engine(Settings.load())  # doctest: +SKIP
>>> answer = engine.ask("Is holmium controlled?", as_of="2025-11-20")  # doctest: +SKIP
>>> answer.measures[0].status  # doctest: +SKIP
'suspended'

The engine is safe to share between threads: the index is read-only once
opened, and the embedding model serialises its own calls.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

from assistant.answer import ExtractiveAnswerer, Vocabulary, cite
from assistant.citations import normalise, strip_unbacked, valid_citations
from assistant.config import Settings, set_offline_environment
from assistant.conversation import standalone
from assistant.dates import date_in_question, human_date, parse_as_of
from assistant.errors import QuestionInvalid
from assistant.measures import relevant_measures, unlisted_elements
from assistant.register import items_in
from assistant.schema import Answer, Citation, Passage, Turn
from assistant.scope import has_anchor, missing_period, unsupported_request
from assistant.status import StatusWriter

REFUSAL = "The corpus does not cover this question, so Lodestone cannot answer it with a cited source."
WHERE_TO_CHECK = "For anything newer, check MOFCOM's announcements at www.mofcom.gov.cn (Security and Control Bureau)."


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
        from assistant.models import query_encoder
        from assistant.retrieval import HybridRetriever
        from assistant.store import open_index

        index = open_index(self.settings)
        embedder = self._embedder or query_encoder(self.settings.index_dir)
        retriever = HybridRetriever(index, embedder, self.settings.candidates, self.settings.rrf_k, self.settings.dense_weight)
        vocabulary = Vocabulary.from_texts([r["text"] for r in index.chunks.values()])
        return (index, retriever, ExtractiveAnswerer(vocabulary, self.settings.answer_sentences))

    def _live_moved(self) -> bool:
        from assistant.store import live_generation

        now = live_generation(self.settings)
        return now is not None and now not in (self._state[0].generation, self._unopenable)

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

    def stream(
        self, question: str, as_of: str | None = None, history: list[Turn] | None = None, k: int | None = None
    ) -> Iterator[tuple[str, object]]:
        """Yield ("delta", text) pieces as the answer is written, then ("answer", Answer).

        Only verified text is ever yielded.
        """
        started = time.perf_counter()
        question = self.validate(question)
        k = self._top_k(k)
        history = history or []
        today = parse_as_of(self.settings.as_of or None, dt.date.today().isoformat())
        index, retriever, answerer = self._open()
        query = self._standalone(question, history)
        reference = parse_as_of(as_of, today)
        as_of = date_in_question(question, reference) or date_in_question(query, reference) or reference
        t0 = time.perf_counter()
        passages = retriever.retrieve(query, k)
        passages = self._with_scope_passages(query, passages, index, retriever)
        t1 = time.perf_counter()
        answer = self._extractive(question, query, as_of, passages, index, retriever, answerer)
        if self.generator and not answer.refused:
            for event, value in self.generator.rewrite(answer, query):
                if event == "answer":
                    answer = value
                else:
                    yield event, value
        else:
            yield from _deltas(answer.answer)
        t2 = time.perf_counter()
        answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - started) * 1000}
        yield "answer", answer

    def validate(self, question) -> str:
        if not isinstance(question, str):
            raise QuestionInvalid("The question must be text.")
        question = question.strip()
        if not question:
            raise QuestionInvalid("Please type a question (it was empty).")
        if len(question) > self.settings.max_question_chars:
            raise QuestionInvalid(
                f"That question is {len(question):,} characters long; the limit is "
                f"{self.settings.max_question_chars:,}. Please shorten it to the part you need answered."
            )
        if "\x00" in question or sum(not (c.isprintable() or c.isspace()) for c in question) > 0.1 * len(question):
            raise QuestionInvalid("That question contains binary data; please paste plain text.")
        return question

    def _top_k(self, k: int | None) -> int:
        k = self.settings.top_k if k is None else k
        if not isinstance(k, int) or k <= 0 or k > 100:
            raise QuestionInvalid(f"k must be between 1 and 100, got {k!r}")
        return k

    def _standalone(self, question: str, history: list[Turn]) -> str:
        if self.generator and history:
            condensed = self.generator.condense(question, history)
            if condensed:
                return condensed
        return standalone(question, history)

    def _with_scope_passages(self, query, passages, index, retriever) -> list[Passage]:
        """Make sure the passage listing an item the question names is there to quote."""
        extra = []
        for measure in index.register.for_items(items_in(query)):
            if measure.scope_evidence:
                extra.append(measure.scope_evidence)
        for measure in index.register.element_lists() if unlisted_elements(query, index.register) else []:
            extra.append(measure.scope_evidence)
        writer = StatusWriter(index, retriever, passages, [])
        for evidence in extra:
            writer.passage_with(evidence)
        return passages

    # -- the extractive answer --------------------------------------------
    def _extractive(self, question, query, as_of, passages, index, retriever, answerer) -> Answer:
        composition = answerer.compose(query, passages, focus=question)
        answer = Answer(question=question, answer="", refused=False, passages=passages, as_of=as_of, standalone_question=query)
        if self._refuse(question, query, composition):
            answer.refused = True
            answer.answer = _refusal_text(passages)
            answer.passages = passages
            return answer
        citations: list[Citation] = []
        lines: list[str] = []
        quoted_docs = list(dict.fromkeys(s.passage.document_id for s in composition.sentences))
        measures = relevant_measures(query, index.register, quoted_docs)
        writer = StatusWriter(index, retriever, passages, citations)
        status_lines, answer.measures = writer.measure_lines(measures, as_of)
        if status_lines:
            lines.append(f"**Status on {human_date(as_of)}**")
            lines += status_lines
        unlisted = unlisted_elements(query, index.register)
        if unlisted:
            lines += writer.unlisted_lines(unlisted, as_of)
        if status_lines or unlisted:
            lines.append("")
        for s in composition.sentences:
            citations.append(cite(s.text, s.passage, s.start, s.end, len(citations) + 1))
            lines.append(f"{normalise(s.text)} [{len(citations)}]")
        if any(m.status == "unknown" for m in answer.measures):
            lines.append("")
            lines.append(WHERE_TO_CHECK)
        answer.answer, answer.citations = "\n".join(lines).strip(), citations
        answer.passages = passages
        return self.verify(answer)

    def _refuse(self, question: str, query: str, composition) -> bool:
        """Refuse unsupported requests, and unanchored questions no sentence covers (see assistant/scope.py)."""
        if not composition.sentences or unsupported_request(question):
            return True
        if missing_period(question, [s.text for s in composition.sentences]):
            return True
        if has_anchor(query):
            return False
        return composition.best_overlap < self.settings.refusal_threshold

    def verify(self, answer: Answer) -> Answer:
        """Drop citations that don't verify, then any sentence left unbacked."""
        if not self.settings.verify_citations:
            return answer
        kept, removed = valid_citations(answer.citations, answer.passages)
        text, dropped = strip_unbacked(answer.answer, {c.n for c in kept})
        answer.answer, answer.citations, answer.removed = text, kept, answer.removed + removed + dropped
        for m in answer.measures:
            if m.citation not in {c.n for c in kept}:
                m.citation = None
        if not kept:
            answer.refused, answer.answer = True, _refusal_text(answer.passages)
        return answer


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
