"""The status block: cited lines on each measure's status on the as-of date,
and on elements that no instrument in the corpus lists.

Every line cites a sentence of the measure's own document (its ``evidence``);
when that sentence's chunk was not retrieved, it is added to the passages so
the citation can be verified like any other.

>>> writer = StatusWriter(index, retriever, passages, citations=[])  # doctest: +SKIP
>>> writer.measure_lines(measures, "2025-11-20")  # doctest: +SKIP
"""

from __future__ import annotations

import re

from assistant.answer import cite, split_sentences
from assistant.citations import normalise
from assistant.measures import element_label, status_phrase
from assistant.register import RELATED_PRODUCTS, Measure
from assistant.retrieval import passage_from_row
from assistant.schema import Citation, MeasureStatus, Passage


class StatusWriter:
    def __init__(self, index, retriever, passages: list[Passage], citations: list[Citation]):
        self.index, self.retriever = index, retriever
        self.passages, self.citations = passages, citations

    def measure_lines(self, measures: list[Measure], as_of: str) -> tuple[list[str], list[MeasureStatus]]:
        short_titles = {doc_id: title.split(":")[0] for doc_id, title in self.index.titles.items()}
        lines, statuses = [], []
        for m in measures:
            status = m.status_on(as_of)
            n = self.cite_evidence(status.evidence) if status.evidence else None
            marker = f" [{n}]" if n else ""
            lines.append(f"- {m.title}: {status_phrase(status, short_titles)}{marker}")
            statuses.append(MeasureStatus(m.id, m.title, status.status, status.since, status.until, status.by, n, status.note))
        return lines, statuses

    def unlisted_lines(self, unlisted: list[str], as_of: str) -> list[str]:
        """"No instrument lists X", citing each list checked, then the limits."""
        checked = []
        for m in _one_per_document(self.index.register.element_lists()):
            n = self.cite_evidence(m.scope_evidence)
            if n:
                checked.append(f"{self.index.titles[m.document_id].split(':')[0]} [{n}]")
        if not checked:
            return []
        names = ", ".join(element_label(e) for e in unlisted)
        line = f"- No instrument in the corpus lists {names} as a controlled element; lists checked: " + "; ".join(checked)
        return [line, *self._limit_lines(unlisted, as_of)]

    def _limit_lines(self, unlisted: list[str], as_of: str) -> list[str]:
        """Listed products that contain an unlisted element (NdFeB magnets with Dy or Tb, for Nd), in force first."""
        lines = []
        lists = sorted(self.index.register.element_lists(), key=lambda m: m.status_on(as_of).status != "in_force")
        for product in dict.fromkeys(RELATED_PRODUCTS[e] for e in unlisted if e in RELATED_PRODUCTS):
            sentence = next((s for m in lists if (s := _sentence_naming(product, m, self.index))), None)
            n = self.cite_evidence(sentence) if sentence else None
            if n:
                lines.append(f"- Limits: {sentence} [{n}]")
        return lines

    def cite_evidence(self, evidence: str) -> int | None:
        """Cite a sentence exactly as written in its passage; the citation's number, or None."""
        passage = self.passage_with(evidence)
        if passage is None:
            return None
        pattern = r"\s+".join(re.escape(word) for word in evidence.split())
        match = re.search(pattern, passage.text)
        if match is None:
            return None
        n = len(self.citations) + 1
        self.citations.append(cite(match.group(0), passage, match.start(), match.end(), n))
        return n

    def passage_with(self, evidence: str) -> Passage | None:
        """The passage holding a sentence: one already retrieved, else its chunk added at the end."""
        wanted = normalise(evidence)
        for p in self.passages:
            if wanted in normalise(p.text):
                return p
        chunk_id = next((c for c, flat in self.index.flat_texts.items() if wanted in flat), None)
        if chunk_id is None:
            return None
        passage = self.retriever.passage(chunk_id, 0.0, 0.0, len(self.passages) + 1)
        self.passages.append(passage)
        return passage


def _one_per_document(measures: list[Measure]) -> list[Measure]:
    seen: set[str] = set()
    return [m for m in measures if not (m.document_id in seen or seen.add(m.document_id))]


def _sentence_naming(product: str, measure: Measure, index) -> str | None:
    """A sentence of the measure's document that lists a product containing a listed element."""
    for chunk_id, row in index.chunks.items():
        if row["document_id"] != measure.document_id:
            continue
        for s in split_sentences(passage_from_row(chunk_id, row, 0.0, 0)):
            if product in s.text and "contain" in s.text and any(e in s.text for e in measure.elements):
                return s.text
    return None
