"""Citing register evidence: the sentence a status, a scope or a limit rests on.

When that sentence's chunk was not retrieved, it is added to the passages so
the citation can be verified like any other.

>>> writer = StatusWriter(index, retriever, passages, citations=[])  # doctest: +SKIP
>>> writer.cite_evidence("Announcement No. 70 of 2025 suspended ...")  # doctest: +SKIP
3
"""

from __future__ import annotations

import re

from assistant.answer import cite, split_sentences
from assistant.citations import normalise
from assistant.register import Measure
from assistant.retrieval import passage_from_row
from assistant.schema import Citation, Passage


class StatusWriter:
    def __init__(self, index, retriever, passages: list[Passage], citations: list[Citation]):
        self.index, self.retriever = index, retriever
        self.passages, self.citations = passages, citations

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
        chunk_id = self.index.chunk_with(wanted)
        if chunk_id is None:
            return None
        passage = self.retriever.passage(chunk_id, 0.0, 0.0, len(self.passages) + 1)
        self.passages.append(passage)
        return passage


def sentence_with(pattern: re.Pattern, measure: Measure, index) -> str | None:
    """The first sentence of the measure's document that ``pattern`` finds."""
    for chunk_id, row in index.chunks_of(measure.document_id):
        for s in split_sentences(passage_from_row(chunk_id, row, 0.0, 0)):
            if pattern.search(s.text):
                return s.text
    return None


def _sentence_naming(product: str, measure: Measure, index) -> str | None:
    """A sentence of the measure's document that lists a product containing a listed element."""
    for chunk_id, row in index.chunks_of(measure.document_id):
        for s in split_sentences(passage_from_row(chunk_id, row, 0.0, 0)):
            if product in s.text and "contain" in s.text and any(e in s.text for e in measure.elements):
                return s.text
    return None
