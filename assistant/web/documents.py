"""What a source card says about its document: kind, issuer, publisher, dates, links, whole text.

The index's documents are read once, read-only, through the corpus loader the
index is built with, so the offsets of a citation point into the same text.

>>> Source.kind_label({"kind": "news"}), Source.kind_label({"digest": True, "kind": "announcement"})
('News capture', 'Lodestone digest')
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from assistant.ingest.loaders import load_corpus
from assistant.schema import Document

DIGEST_PUBLISHER = "lodestone digest"


@dataclass
class Source:
    """One document as a card shows it."""

    id: str
    title: str
    kind: str  # Official text | Lodestone digest | News capture
    text: str
    issuer: str | None = None
    issued: str | None = None
    publisher: str | None = None
    published: str | None = None
    links: list[str] = field(default_factory=list)

    @staticmethod
    def kind_label(meta: dict) -> str:
        if meta.get("digest") is True or str(meta.get("publisher") or "").strip().lower() == DIGEST_PUBLISHER:
            return "Lodestone digest"
        if meta.get("kind") == "news":
            return "News capture"
        return "Official text"

    @classmethod
    def of(cls, doc: Document) -> Source:
        meta = doc.meta
        links = [str(u) for u in [meta.get("url"), *(meta.get("sources") or [])] if u]
        return cls(
            id=doc.id,
            title=doc.title,
            kind=cls.kind_label(meta),
            text=doc.text,
            issuer=_text(meta.get("issuer")),
            issued=_text(meta.get("issued")),
            publisher=_text(meta.get("publisher")),
            published=_text(meta.get("published")),
            links=list(dict.fromkeys(links)),
        )

    @property
    def published_verb(self) -> str:
        return {"Lodestone digest": "compiled", "News capture": "captured"}.get(self.kind, "published")


def host(url: str) -> str:
    """A link's name: its host without www. ("www.mofcom.gov.cn" -> "mofcom.gov.cn")."""
    name = urlsplit(url).hostname or url
    return name.removeprefix("www.")


class Shelf:
    """The corpus's documents by id, loaded on first use (thread-safe)."""

    def __init__(self, corpus_dir: Path):
        self.corpus_dir = Path(corpus_dir)
        self._sources: dict[str, Source] | None = None
        self._lock = threading.Lock()

    def get(self, document_id: str) -> Source | None:
        with self._lock:
            if self._sources is None:
                documents, _problems = load_corpus(self.corpus_dir)  # problems are the build's to report
                self._sources = {doc.id: Source.of(doc) for doc in documents}
        return self._sources.get(document_id)


def _text(value) -> str | None:
    return str(value).strip() or None if value is not None else None
