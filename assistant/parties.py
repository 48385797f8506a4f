"""The parties register: who is named on which Chinese list, and their status on a date.

Built at index time from the ``parties:`` front matter of listing documents
(see ``corpus/README.md``). Each entry of ``parties:`` is one listing action:
the list, what it means (a sentence of the body), a timeline with evidence
sentences, and the entities it names. Every name, alias, meaning and evidence
sentence must be literally in the document body, so nothing is screened
against a name the corpus does not print.

Status on a date:

- before the first period: ``not_yet_listed``;
- inside a period: that period's status (``listed``, ``suspended``, ``lifted``, ``unknown``);
- after the last period when it had an ``until`` date: ``unknown``, never
  ``listed`` or ``cleared``: the corpus does not say what happened.

>>> p = Party(id="x", name="X", list="watch_list", document_id="d", meaning=Quoted(text="m"),
...           timeline=[Period(**{"from": "2026-02-24", "until": "2026-11-01", "status": "listed"})])
>>> p.status_on("2026-01-01").status, p.status_on("2026-03-01").status, p.status_on("2026-12-01").status
('not_yet_listed', 'listed', 'unknown')
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import FrontMatterInvalid
from assistant.schema import Citation, Document

LISTS = {
    "unreliable_entity_list": "Unreliable Entity List",
    "export_control_list": "export control list",
    "watch_list": "watch list",
}
PartyStatus = Literal["listed", "suspended", "lifted", "unknown"]
Scope = Literal["entity", "with_subsidiaries", "units"]


class Period(BaseModel):
    """One stretch of a listing's life, with the body sentence that says so."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: str = Field(alias="from")
    until: str | None = None
    status: PartyStatus
    evidence: str = ""
    note: str | None = None

    @field_validator("start", "until", mode="before")
    @classmethod
    def _iso(cls, value):
        if value is None or isinstance(value, str) and value == "":
            return None
        if isinstance(value, dt.date):
            return value.isoformat()
        return dt.date.fromisoformat(str(value)).isoformat()


class Entity(BaseModel):
    """A named party as the front matter gives it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    aliases: list[str] = []
    country: str | None = None
    scope: Scope = "entity"  # units: the list names units of this parent; with_subsidiaries: its subsidiaries too
    wording: str | None = None  # the body's words for a units / subsidiaries listing


class Listing(BaseModel):
    """One ``parties:`` entry: a listing action and the entities it names."""

    model_config = ConfigDict(extra="forbid")

    list: Literal["unreliable_entity_list", "export_control_list", "watch_list"]
    meaning: str = Field(min_length=1)  # a body sentence saying what the listing means
    grounds: str | None = None  # a body sentence giving the reasons MOFCOM stated for the listing
    timeline: list[Period] = Field(min_length=1)
    entities: list[Entity] = Field(min_length=1)


class Quoted(BaseModel):
    """A sentence of a document with its place in the cleaned text."""

    text: str
    start: int = 0
    end: int = 0


class Party(BaseModel):
    """A listed party in the built register (what ``parties.json`` holds)."""

    id: str
    name: str
    aliases: list[str] = []
    country: str | None = None
    scope: Scope = "entity"
    wording: str | None = None
    list: str
    document_id: str
    document: str = ""
    title: str = ""
    url: str | None = None
    published: str | None = None
    issuer: str | None = None
    meaning: Quoted
    grounds: Quoted | None = None
    timeline: list[Period]
    evidence: list[Quoted] = []  # one per period, same order

    @property
    def list_title(self) -> str:
        return LISTS.get(self.list, self.list.replace("_", " "))

    def status_on(self, day: str) -> PartyStatusOn:
        first = self.timeline[0]
        if day < first.start:
            return PartyStatusOn("not_yet_listed", None, first.start, self._quote(0), f"listed from {first.start}")
        for i, period in enumerate(self.timeline):
            if period.start <= day and (period.until is None or day <= period.until):
                return PartyStatusOn(period.status, period.start, period.until, self._quote(i), period.note)
        last = len(self.timeline) - 1
        note = (
            f"the corpus records it as {self.timeline[last].status} until {self.timeline[last].until} and has nothing later"
        )
        return PartyStatusOn("unknown", self.timeline[last].until, None, self._quote(last), note)

    def _quote(self, i: int) -> Quoted | None:
        return self.evidence[i] if i < len(self.evidence) else None

    def citation(self, quote: Quoted, n: int = 1) -> Citation:
        return Citation(
            n=n, document=self.document, title=self.title, quote=quote.text, start=quote.start, end=quote.end,
            url=self.url, published=self.published, passage=0, document_id=self.document_id, issuer=self.issuer,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class PartyStatusOn:
    """A party's status on one date and the sentence that supports it."""

    status: str  # listed | suspended | lifted | unknown | not_yet_listed
    since: str | None
    until: str | None
    evidence: Quoted | None
    note: str | None


class PartiesRegister:
    """Every listed party, built from the corpus and saved as ``parties.json`` in the index.

    >>> reg = PartiesRegister([])
    >>> reg.lists(), len(reg)
    ([], 0)
    """

    def __init__(self, parties: list[Party], corpus_date: str = ""):
        self.parties = parties
        self.corpus_date = corpus_date

    def __len__(self) -> int:
        return len(self.parties)

    def lists(self) -> list[str]:
        return sorted({p.list for p in self.parties})

    def lookup_names(self) -> list[tuple[str, list[str]]]:
        """(party id, name and aliases) pairs, for finding parties named in a question."""
        return [(p.id, [p.name, *p.aliases]) for p in self.parties]

    @classmethod
    def from_documents(cls, documents: list[Document]) -> tuple[PartiesRegister, list[FrontMatterInvalid]]:
        """Validate every document's ``parties:``; a document with a bad block is reported and left out."""
        parties, problems, dates = [], [], []
        for doc in documents:
            if not doc.meta.get("parties"):
                continue
            try:
                found = parties_of(doc)
            except FrontMatterInvalid as problem:
                problems.append(problem)
                continue
            parties += found
            dates.append(str(doc.published or ""))
        return cls(parties, max(dates, default="")), problems

    def save(self, path: Path) -> None:
        rows = {"corpus_date": self.corpus_date, "parties": [p.model_dump(by_alias=True) for p in self.parties]}
        path.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> PartiesRegister:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls([Party.model_validate(row) for row in data["parties"]], data.get("corpus_date", ""))


def parties_of(doc: Document) -> list[Party]:
    """The parties one document names; FrontMatterInvalid names the file and field of any error."""
    raw = doc.meta.get("parties")
    if not isinstance(raw, list):
        raise FrontMatterInvalid(doc.path, "parties", "must be a list of listings (list, meaning, timeline, entities)")
    flat = _Flat(doc.text)
    parties: list[Party] = []
    for i, entry in enumerate(raw):
        listing = _validate(Listing, entry, doc.path, f"parties[{i}]")
        meaning = flat.find(listing.meaning, doc.path, f"parties[{i}].meaning")
        grounds = flat.find(listing.grounds, doc.path, f"parties[{i}].grounds") if listing.grounds else None
        evidence = []
        for j, period in enumerate(listing.timeline):
            where = f"parties[{i}].timeline[{j}]"
            if period.until and period.until < period.start:
                raise FrontMatterInvalid(doc.path, f"{where}.until", "is before 'from'")
            if not period.evidence:
                raise FrontMatterInvalid(doc.path, f"{where}.evidence", "is required (a sentence of the body)")
            evidence.append(flat.find(period.evidence, doc.path, f"{where}.evidence"))
        for k, entity in enumerate(listing.entities):
            where = f"parties[{i}].entities[{k}]"
            named = [("name", entity.name)] + [(f"aliases[{n}]", a) for n, a in enumerate(entity.aliases)]
            for field, name in named + ([("wording", entity.wording)] if entity.wording else []):
                flat.find(name, doc.path, f"{where}.{field}")
            parties.append(
                Party(
                    id=f"{doc.id}#{_slug(entity.name)}", name=entity.name, aliases=entity.aliases, country=entity.country,
                    scope=entity.scope, wording=entity.wording, list=listing.list, document_id=doc.id, document=doc.path,
                    title=doc.title, url=doc.url, published=doc.published,
                    issuer=doc.meta.get("issuer") or doc.meta.get("publisher"),
                    meaning=meaning, grounds=grounds, timeline=listing.timeline, evidence=evidence,
                )  # fmt: skip
            )
    return parties


def _validate(model, value, path: str, where: str):
    try:
        return model.model_validate(value)
    except ValidationError as e:
        error = e.errors()[0]
        field = ".".join(str(p) for p in (where, *error["loc"]))
        raise FrontMatterInvalid(path, field, f"is invalid: {error['msg']} (got {error.get('input')!r})") from None


class _Flat:
    """Find a sentence in a document's text whatever its line breaks; offsets point into the real text."""

    def __init__(self, text: str):
        self.text = text

    def find(self, sentence: str, path: str, field: str) -> Quoted:
        sentence = " ".join(str(sentence).split())
        start = self.text.find(sentence)
        if start >= 0:
            return Quoted(text=sentence, start=start, end=start + len(sentence))
        pattern = r"\s+".join(re.escape(word) for word in sentence.split(" "))
        match = re.search(pattern, self.text)
        if not match:
            raise FrontMatterInvalid(path, field, f"must be literally in the document body, got {sentence!r}")
        return Quoted(text=match.group(0), start=match.start(), end=match.end())


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "party"


def open_parties(settings) -> tuple[PartiesRegister, str]:
    """The parties register of the live index and the corpus version (hash of the indexed documents)."""
    import hashlib

    from assistant.errors import IndexCorrupt
    from assistant.store import open_build_path, read_manifest

    build = open_build_path(settings)
    manifest = read_manifest(build)
    path = build / "parties.json"
    if not path.exists():
        raise IndexCorrupt(build, "it has no parties register (parties.json); it was built before party screening")
    try:
        register = PartiesRegister.load(path)
    except (OSError, ValueError, KeyError, ValidationError) as e:
        raise IndexCorrupt(build, f"parties.json unreadable: {type(e).__name__}") from None
    hashes = "\n".join(f"{i} {d['sha256']}" for i, d in sorted(manifest.documents.items()))
    return register, hashlib.sha256(hashes.encode()).hexdigest()[:16]
