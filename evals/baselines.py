"""The reference points the eval report and the benchmarks compare Lodestone against.

Two deliberately plain systems that answer with the same ``Answer`` objects as
``Engine.ask``, so the eval runner scores them with the same metrics:

- ``PlainLlamaIndex``: what a llama-index tutorial gives you. A
  ``VectorStoreIndex`` over the same corpus documents, the same embedding
  model, the default ``SentenceSplitter``, the default retriever and the
  default in-memory ``SimpleVectorStore``. No keyword search, no fusion, no
  register of measures, no dates.
- ``Bm25Only``: Lodestone's own keyword index (the same chunk rows) alone, with
  no dense retrieval.

Both "answer" by quoting the whole top passage, cited as [1]. They never
refuse and never report measure statuses: the gap between them and the engine
is what retrieval fusion, the extractive answerer and the register add.

>>> answer = Bm25Only(Settings.load()).ask("What is control code 1C909?")  # doctest: +SKIP
>>> answer.citations[0].quote in answer.passages[0].text  # doctest: +SKIP
True
"""

from __future__ import annotations

import time
from pathlib import Path

from assistant.answer import cite
from assistant.config import Settings, set_offline_environment
from assistant.retrieval import passage_from_row
from assistant.schema import Answer, Passage


class PlainLlamaIndex:
    """A default llama-index pipeline over the corpus, held in memory.

    >>> baseline = PlainLlamaIndex(Settings.load(), get_embedder())  # doctest: +SKIP
    >>> baseline.ask("Is holmium controlled?", k=3).generator  # doctest: +SKIP
    'plain-llama-index'
    """

    generator = "plain-llama-index"

    def __init__(self, settings: Settings, embedder):
        set_offline_environment()
        from llama_index.core import Document, VectorStoreIndex

        from assistant.ingest.loaders import load_corpus

        started = time.perf_counter()
        documents, _ = load_corpus(Path(settings.corpus_dir))
        self._documents = {d.id: d for d in documents}
        llama_documents = [
            Document(text=d.text, metadata={"document_id": d.id, "path": d.path, "title": d.title}) for d in documents
        ]
        # The embedding model is passed explicitly: llama-index's default would import OpenAI.
        # Retrieval needs no LLM, so Settings.llm is never touched.
        self.index = VectorStoreIndex.from_documents(llama_documents, embed_model=embedder.llama_model)
        self.build_seconds = time.perf_counter() - started

    def ask(self, question: str, as_of: str | None = None, history=None, k: int = 5) -> Answer:
        started = time.perf_counter()
        nodes = self.index.as_retriever(similarity_top_k=k).retrieve(question)
        passages = [self._passage(hit, rank) for rank, hit in enumerate(nodes, start=1)]
        return _top_passage_answer(question, passages, as_of, self.generator, started)

    def _passage(self, hit, rank: int) -> Passage:
        node, meta = hit.node, hit.node.metadata
        document = self._documents[meta["document_id"]]
        return Passage(
            chunk_id=node.node_id,
            document_id=document.id,
            document=meta["path"],
            title=meta["title"],
            text=node.get_content(),
            start=node.start_char_idx or 0,
            end=node.end_char_idx or 0,
            url=document.url,
            published=document.published,
            issuer=document.meta.get("issuer") or document.meta.get("publisher"),
            score=float(hit.score or 0.0),
            dense=float(hit.score or 0.0),
            rank=rank,
        )


class Bm25Only:
    """Lodestone's keyword index alone, over the built index's chunk rows.

    >>> Bm25Only(Settings.load()).ask("1E902.b").passages[0].document_id  # doctest: +SKIP
    'mofcom-gac-2025-56'
    """

    generator = "bm25-only"

    def __init__(self, settings: Settings):
        from assistant.store import open_index

        self.index = open_index(settings)

    def ask(self, question: str, as_of: str | None = None, history=None, k: int = 5) -> Answer:
        started = time.perf_counter()
        hits = self.index.keyword.search(question, k)
        passages = [self._passage(chunk_id, score, rank) for rank, (chunk_id, score) in enumerate(hits, start=1)]
        return _top_passage_answer(question, passages, as_of, self.generator, started)

    def _passage(self, chunk_id: str, score: float, rank: int) -> Passage:
        return passage_from_row(chunk_id, self.index.chunks[chunk_id], score, rank)


def _top_passage_answer(question: str, passages: list[Passage], as_of, generator: str, started: float) -> Answer:
    """Quote the whole top passage as the answer, cited as [1]."""
    retrieved = time.perf_counter()
    answer = Answer(
        question=question, answer="", refused=False, passages=passages, as_of=as_of or "", generator=generator
    )
    if passages:
        top = passages[0]
        answer.answer = f"{top.text} [1]"
        answer.citations = [cite(top.text, top, 0, len(top.text), 1)]
    done = time.perf_counter()
    answer.timings_ms = {
        "retrieve": (retrieved - started) * 1000,
        "answer": (done - retrieved) * 1000,
        "total": (done - started) * 1000,
    }
    return answer
