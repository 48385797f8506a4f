"""Question -> ranked passages: dense (Chroma) + keyword (BM25), fused by RRF.

Reciprocal rank fusion is a few lines, and we keep each hit's dense similarity
beside the fused score because the answerer's refusal rule needs it; that is
why we fuse here rather than through llama-index's QueryFusionRetriever, which
hides the per-retriever scores.

Public method, private hook: ``retrieve`` validates and times; ``_retrieve``
does the work.

>>> retriever = HybridRetriever(open_index(settings), get_embedder())  # doctest: +SKIP
>>> [p.document_id for p in retriever.retrieve("What is 1C909?", k=3)]  # doctest: +SKIP
['mofcom-gac-2025-57', ...]
"""

from __future__ import annotations

import math
import re

from assistant.answer import quoted_phrases
from assistant.schema import Passage

NAMED_PER_DOCUMENT = 3  # a named document's best chunks rank higher, not all of it: other sources keep their place
EXACT_IDENTIFIER = re.compile(r"\b\d[A-E]\d{3}(?:\.[a-z])?\b|\b\d{8,10}\b", re.I)


class HybridRetriever:
    def __init__(self, index, embedder, candidates: int = 30, rrf_k: int = 60, dense_weight: float = 1.0):
        if candidates <= 0:
            raise ValueError(f"candidates must be > 0, got {candidates}")
        if not 0 <= dense_weight <= 1:
            raise ValueError(f"dense_weight must be between 0 and 1, got {dense_weight}")
        self.index, self.embedder = index, embedder
        self.candidates, self.rrf_k, self.dense_weight = candidates, rrf_k, dense_weight

    def retrieve(self, question: str, k: int, dense_text: str | None = None, documents: list[str] = (),
                 first: list[str] = ()) -> list[Passage]:  # fmt: skip
        """``dense_text``: what the vector search embeds, when it differs from the keyword search's text.
        ``documents``: the documents the question names (an instrument, or what covers an item it names); their
        chunks among the candidates form one more ranked list in the fusion. ``first``: those of them the question
        names itself (a party's listing, an instrument), whose chunks lead that list."""
        if k <= 0:
            raise ValueError(f"top_k must be > 0, got {k}")
        if not question.strip() or not self.index.chunks:
            return []
        return self._retrieve(question, k, dense_text or question, set(documents), set(first))

    def _retrieve(self, question: str, k: int, dense_text: str, documents: set[str] = frozenset(),
                  first: set[str] = frozenset()) -> list[Passage]:  # fmt: skip
        dense = self.dense(dense_text, self.candidates)
        keyword = self.index.keyword.search(question, self.candidates)
        fused: dict[str, float] = {}
        quoted = self.quoted(dense_text, dense, keyword)
        for hits, weight in ((dense, self.dense_weight), (keyword, 1.0), (self.exact(question, keyword), 1.0), (quoted, 1.0)):
            for rank, (chunk_id, _) in enumerate(hits):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (self.rrf_k + rank + 1)
        named, per_document = [], {}
        for chunk_id in sorted(fused, key=lambda c: (c.rsplit(":", 1)[0] not in first, -fused[c], c)):
            document = chunk_id.rsplit(":", 1)[0]
            if document in documents and per_document.get(document, 0) < NAMED_PER_DOCUMENT:
                named.append(chunk_id)
                per_document[document] = per_document.get(document, 0) + 1
        for rank, chunk_id in enumerate(named):
            fused[chunk_id] += 1.0 / (self.rrf_k + rank + 1)
        similarity = dict(dense)
        ranked = sorted(fused, key=lambda c: (-fused[c], c))[:k]
        return [self.passage(c, fused[c], similarity.get(c, 0.0), r + 1) for r, c in enumerate(ranked)]

    def exact(self, question: str, keyword: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """Chunks that contain a control code or HS code of the question verbatim, in keyword order.

        An identifier only the keyword list finds would otherwise lose, in the fusion, to
        chunks that both lists rank in the middle.
        """
        codes = [c.lower() for c in EXACT_IDENTIFIER.findall(question)]
        if not codes:
            return []
        order = {chunk_id: i for i, (chunk_id, _) in enumerate(keyword)}
        found = self.index.chunks.naming(codes)
        return [(c, 1.0) for c in sorted(found, key=lambda c: (order.get(c, len(order)), c))][: self.candidates]

    def quoted(self, question: str, dense: list, keyword: list) -> list[tuple[str, float]]:
        """Candidates that use a phrase the question quotes ("'not bans'"), in keyword-then-dense order."""
        phrases = quoted_phrases(question)
        if not phrases:
            return []
        candidates = list(dict.fromkeys([c for c, _ in keyword] + [c for c, _ in dense]))
        return [(c, 1.0) for c in candidates if any(p.search(self.index.chunks[c]["text"]) for p in phrases)]

    def dense(self, question: str, k: int) -> list[tuple[str, float]]:
        """Nearest chunks by the question's vector, queried on the Chroma collection the build wrote through
        llama-index; similarity is exp(-distance), as llama-index's ChromaVectorStore reports it. Querying the
        collection directly spares every cold start the seconds that importing llama-index costs."""
        nearest = self.index.nearest(self.embedder.embed_query(question), k)
        return [(i, math.exp(-d)) for i, d in nearest]

    def passage(self, chunk_id: str, score: float, dense: float, rank: int) -> Passage:
        return passage_from_row(chunk_id, self.index.chunks[chunk_id], score, rank, dense)


def passage_from_row(chunk_id: str, row: dict, score: float, rank: int, dense: float = 0.0) -> Passage:
    """A Passage from a row of the chunk store."""
    return Passage(
        chunk_id=chunk_id,
        document_id=row["document_id"],
        document=row["document"],
        title=row["title"],
        text=row["text"],
        start=row["start"],
        end=row["end"],
        section=row.get("section", ""),
        url=row.get("url"),
        published=row.get("published"),
        issuer=row.get("issuer"),
        issued=row.get("issued"),
        score=score,
        dense=dense,
        rank=rank,
    )
