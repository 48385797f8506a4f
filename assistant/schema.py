"""Plain dataclasses that cross module borders.

The answer pipeline passes typed data from stage to stage
(``understand`` -> ``Query``; ``retrieve`` -> ``Passage``; ``decide`` ->
``Decision`` of ``StatusLine``/``Verdict``; ``compose`` -> an ``Answer`` with
``verdict``, ``status_lines``, ``quotes``, ``caveats``). Renderers
(``assistant/render/``) draw an ``Answer``; nothing parses rendered text back.

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

    @property
    def issued(self) -> str | None:
        """The day the instrument was issued, when the front matter gives it (a digest's ``published`` is its own)."""
        value = self.meta.get("issued")
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
    issued: str | None = None
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
    issued: str | None = None  # the instrument's issue day; ``published`` is the source's own date


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
class DateMention:
    """A date the question talks about ("added on 9 October 2025"), as opposed to the as-of date."""

    text: str  # as written in the question
    start: str  # ISO date; for a month, its first day
    end: str  # ISO date; for a month, its last day; == start for a day
    role: str = "about"  # about | as_of | window_from | window_to | claim


@dataclass
class Items:
    """Things a question names that the register can look up."""

    elements: list[str] = field(default_factory=list)  # full lower-case names: "dysprosium"
    forms: list[str] = field(default_factory=list)  # "oxide", "magnet", "alloy"
    products: list[str] = field(default_factory=list)  # "NdFeB magnets containing Dy", "know-how"
    control_codes: list[str] = field(default_factory=list)  # "1C902", "1E902.b"
    hs_codes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.elements or self.control_codes or self.hs_codes or self.products)


@dataclass
class Query:
    """A question read once: what every later stage works from.

    ``as_of`` is the date the answer speaks for; ``dates`` are the dates the
    question talks about. ``as_of_source`` says where ``as_of`` came from:
    ``setting`` (the caller's as-of), ``question`` ("on 15 December 2025, was..."),
    or ``today``.
    """

    question: str  # normalised text as asked
    standalone: str  # with a follow-up's context filled in
    intent: str = "applicability"
    intent_confidence: float = 0.0
    intent_scores: dict[str, float] = field(default_factory=dict)  # every intent's probability
    intent_alone: dict[str, float] = field(default_factory=dict)  # one-vs-rest probabilities (assistant.intent.ALONE)
    as_of: str = ""
    as_of_source: str = "today"
    dates: list[DateMention] = field(default_factory=list)
    window: tuple[str, str] | None = None  # (from, to) for "what changed between D1 and D2"
    instruments: list[str] = field(default_factory=list)  # register measure ids or document ids
    items: Items = field(default_factory=Items)
    parties: list[str] = field(default_factory=list)  # listed parties the question names
    party_lists: list[str] = field(default_factory=list)  # the lists they are on ("Unreliable Entity List")
    sources: list[str] = field(default_factory=list)  # documents named by their source ("NPR's piece")
    destinations: list[str] = field(default_factory=list)
    regimes: list[str] = field(default_factory=list)  # countries whose own rules the question asks about ("India's rules")
    end_uses: list[str] = field(default_factory=list)
    claim: str | None = None  # "our customer says X": what the user wants confirmed or corrected
    language: str = "en"
    notes: list[str] = field(default_factory=list)  # what was understood that the user may want to see

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class StatusLine:
    """One measure's status on the as-of date, as data (renderers draw it)."""

    measure_id: str
    title: str  # human title of the measure
    status: str  # announced | in_force | suspended | lapsed | repealed | not_issued | unknown
    phrase: str  # plain words: "suspended since 7 November 2025 by Ann. 70, until 10 November 2026"
    since: str | None = None
    until: str | None = None
    by: str | None = None  # id of the instrument that set this status
    by_title: str | None = None
    citation: int | None = None  # [n] of the evidence sentence
    where_to_check: str | None = None  # for unknown: the place to look


@dataclass
class Verdict:
    """The one direct sentence an applicability or status answer opens with."""

    outcome: str  # yes | no | not_listed | suspended | not_yet_in_force | unknown | partly | confirmed | corrected
    text: str  # plain sentence, no markers
    citations: list[int] = field(default_factory=list)
    as_of: str = ""
    instruments: list[str] = field(default_factory=list)


@dataclass
class Quote:
    """A supporting quoted sentence with its citation number."""

    text: str
    citation: int
    later: bool = False  # speaks of a period after the as-of date


@dataclass
class Caveat:
    """A limit on the verdict ("NdFeB magnets containing Dy are still listed"), cited where it can be."""

    text: str
    citations: list[int] = field(default_factory=list)
    kind: str = "limit"  # limit | where_to_check | uncovered_part | later_period | understood


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
    query: Query | None = None
    verdict: Verdict | None = None
    status_lines: list[StatusLine] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    caveats: list[Caveat] = field(default_factory=list)
    refusal: str | None = None  # why it was declined: out_of_scope | evasion | advice | unsupported | language
    reply: str = ""  # a generator's verified sentences, which take the place of the quotes and caveats

    def has_typed_parts(self) -> bool:
        """Whether the renderers draw it from its parts; a refusal or an answer of text alone is drawn from ``answer``."""
        return bool(self.verdict or self.status_lines or self.reply or self.quotes or self.caveats)

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
            "query": self.query.to_json() if self.query else None,
            "verdict": asdict(self.verdict) if self.verdict else None,
            "status_lines": [asdict(s) for s in self.status_lines],
            "quotes": [asdict(q) for q in self.quotes],
            "caveats": [asdict(c) for c in self.caveats],
            "refusal": self.refusal,
            "reply": self.reply,
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
        "issued": c.issued,
    }


@dataclass
class PartyHit:
    """One listed party that a screened name matches, with its status on the as-of date."""

    party_id: str
    name: str  # the listed name
    matched: str  # the name or alias that matched the input
    score: float  # 0-100 (rapidfuzz scale)
    match: str  # exact | possible
    reason: str  # "name", "alias", "parent/subsidiary wording: ..."
    list: str  # unreliable_entity_list | export_control_list | watch_list | ...
    meaning: str  # what the listing means, one line
    status: str  # listed | suspended | lifted | not_yet_listed | unknown
    since: str | None = None
    until: str | None = None
    country: str | None = None
    citation: Citation | None = None  # the evidence sentence of the listing and its status
    list_title: str = ""  # the list in plain words: "Unreliable Entity List"
    meaning_citation: Citation | None = None  # the body sentence ``meaning`` is, with its place
    note: str | None = None  # what the corpus says about the status ("nothing later than ...")


@dataclass
class Screening:
    """The result of screening one name on a date. ``outcome`` none is never a silent "clear"."""

    input: str
    as_of: str
    outcome: str  # exact | possible | none
    hits: list[PartyHit] = field(default_factory=list)
    lists_checked: list[str] = field(default_factory=list)
    corpus_date: str = ""  # the latest date the lists in the corpus run to
    note: str = ""  # for none: the corpus is not a complete official list; where to check
    corpus_version: str = ""  # hash of the indexed documents the lists come from

    def to_json(self) -> dict:
        return asdict(self)
