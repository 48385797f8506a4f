"""Plain dataclasses that cross module borders.

``Answer.to_json()`` is the contract every front end and the evals render:

>>> Answer(question="q", answer="a", refused=True).to_json()["refused"]
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Document:
    """One source file after loading and cleaning."""

    id: str
    path: str  # relative to the repo root
    title: str
    text: str  # cleaned text; chunk offsets point into it
    kind: str = "document"
    meta: dict = field(default_factory=dict)  # front matter or sidecar, as read
    sha256: str = ""

    @property
    def url(self) -> str | None:
        return self.meta.get("url") or None

    @property
    def published(self) -> str | None:
        value = self.meta.get("published") or self.meta.get("issued")
        return str(value) if value else None


@dataclass
class Chunk:
    id: str
    document_id: str
    text: str
    start: int  # offsets into Document.text
    end: int
    section: str = ""


@dataclass
class Passage:
    """A retrieved chunk with its metadata and fused score."""

    chunk_id: str
    document_id: str
    document: str  # path relative to repo root
    title: str
    text: str
    start: int
    end: int
    section: str = ""
    url: str | None = None
    published: str | None = None
    issuer: str | None = None
    score: float = 0.0
    dense: float = 0.0  # cosine similarity of the dense hit (0 if keyword-only)
    rank: int = 0


@dataclass
class Citation:
    n: int
    document: str
    title: str
    quote: str
    start: int  # offsets into the cited document's cleaned text
    end: int
    url: str | None
    published: str | None
    passage: int  # rank of the passage the quote was taken from
    document_id: str = ""
    issuer: str | None = None


@dataclass
class MeasureStatus:
    id: str
    title: str
    status: str  # announced | in_force | suspended | lapsed | repealed | not_issued | unknown
    since: str | None
    until: str | None
    by: str | None
    citation: int | None = None
    note: str | None = None


@dataclass
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str = ""


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings_ms: dict = field(default_factory=dict)
    as_of: str = ""
    measures: list[MeasureStatus] = field(default_factory=list)
    generator: str = "extractive"
    removed: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    standalone_question: str = ""

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [_citation_json(c) for c in self.citations],
            "passages": [
                {"rank": p.rank, "document": p.document, "title": p.title, "text": p.text, "score": round(p.score, 6)}
                for p in self.passages
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "as_of": self.as_of,
            "measures": [asdict(m) for m in self.measures],
            "generator": self.generator,
            "removed": self.removed,
            "notes": self.notes,
            "standalone_question": self.standalone_question,
        }


def _citation_json(c: Citation) -> dict:
    return {
        "n": c.n,
        "document": c.document,
        "title": c.title,
        "quote": c.quote,
        "start": c.start,
        "end": c.end,
        "url": c.url,
        "published": c.published,
        "passage": c.passage,
        "document_id": c.document_id,
        "issuer": c.issuer,
    }
