"""Read and validate document metadata (front matter or sidecar) with pydantic.

The convention is documented in ``corpus/README.md``. Each field is typed:
dates must be real dates, ``kind`` and ``status`` come from fixed lists,
``url`` is one string, lists are lists. Errors name the file and the field,
and the build skips that file and indexes the rest:

>>> validate_metadata({"id": "x", "title": "T", "kind": "poem"}, "corpus/x.md")
Traceback (most recent call last):
...
assistant.errors.FrontMatterInvalid: corpus/x.md: front matter field 'kind' must be one of ...
>>> validate_metadata({"id": "x", "title": "T", "kind": "news", "issued": "2026-02-30"}, "corpus/x.md")
Traceback (most recent call last):
...
assistant.errors.FrontMatterInvalid: corpus/x.md: front matter field 'issued' must be a real date YYYY-MM-DD, got '2026-02-30'

Fields this module does not know (``parties`` among them, validated only as a
list here) pass through untouched.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from assistant.errors import FrontMatterInvalid

Kind = Literal[
    "law", "regulation", "list", "catalogue", "announcement", "statement", "licence", "news", "timeline", "digest",
    "document", "web-capture",
]  # fmt: skip
MeasureStatus = Literal["announced", "in_force", "suspended", "lapsed", "repealed"]
KINDS = set(Kind.__args__)
STATUSES = set(MeasureStatus.__args__)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)


def _scalar_text(value):
    """Numbers and booleans YAML read from unquoted text ("28053019", 2025) become text; lists stay wrong."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_scalar_text)]
NonEmptyText = Annotated[str, BeforeValidator(_scalar_text), Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", strict=False, populate_by_name=True)


class Items(_Model):
    """What an instrument covers."""

    elements: list[Text] = []
    forms: list[Text] = []
    control_codes: list[Text] = []
    hs_codes: list[Text] = []
    destinations: list[Text] = []
    terms: list[Text] = []
    evidence: Text | None = None


class Period(_Model):
    """One period of a measure's timeline; ``from`` and ``until`` are inclusive."""

    start: dt.date = Field(alias="from")
    until: dt.date | None = None
    status: MeasureStatus
    by: NonEmptyText
    note: Text | None = None
    check: Text | None = None
    evidence: Text | None = None


class Clause(_Model):
    id: NonEmptyText
    items: Items | None = None
    timeline: list[Period] = Field(min_length=1)


class FrontMatter(_Model):
    """The metadata of one document, as documented in corpus/README.md.

    >>> FrontMatter.model_validate({"id": "a", "title": "A", "kind": "news", "published": "2025-10-09"}).published
    datetime.date(2025, 10, 9)
    """

    id: Annotated[str, Field(pattern=ID_PATTERN.pattern)]
    title: NonEmptyText
    kind: Kind
    issuer: Text | None = None
    number: Text | None = None
    issued: dt.date | None = None
    published: dt.date | None = None
    publisher: Text | None = None
    url: Text | None = None
    sources: list[Text] | None = None
    digest: bool | None = None
    items: Items | None = None
    timeline: list[Period] | None = Field(default=None, min_length=1)
    clauses: list[Clause] | None = None
    parties: list[Any] | None = None  # validated in full by the party register


class _TextDates(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when PyYAML has it: 5x faster
    """YAML without implicit dates: '2026-02-30' stays text, so the model names the field instead of YAML crashing."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str, path) -> dict:
    try:
        meta = yaml.load(text, Loader=_TextDates) or {}
    except (yaml.YAMLError, ValueError) as e:
        raise FrontMatterInvalid(path, "(yaml)", f"is not valid YAML: {e}") from None
    if not isinstance(meta, dict):
        raise FrontMatterInvalid(path, "(yaml)", "must be a mapping of fields")
    return meta


def split_front_matter(text: str, path) -> tuple[dict, str]:
    """Return (metadata, body) of a Markdown file; {} when it has none."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    return _load_yaml(match.group(1), path), text[match.end() :]


def read_sidecar(path: Path) -> dict:
    sidecar = path.with_name(path.name + ".meta.yaml")
    if not sidecar.exists():
        return {}
    try:
        text = sidecar.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise FrontMatterInvalid(sidecar, "(yaml)", f"can't be read: {e}") from None
    return _load_yaml(text, sidecar)


def validate_metadata(meta: dict, path, body: str = "") -> dict:
    """Check every field and normalise dates to ISO strings; return the metadata as a plain dict."""
    try:
        front = FrontMatter.model_validate(meta)
    except ValidationError as e:
        raise _named(e, path) from None
    except (ValueError, RecursionError) as e:  # a YAML anchor that holds itself: pydantic's circular-reference check
        raise FrontMatterInvalid(path, _first_key(meta), f"can't be read ({e}); a YAML anchor may refer to itself") from None
    flat_body = " ".join(body.split())
    if front.items:
        _check_evidence(front.items.evidence, path, "items.evidence", flat_body, required=False)
    if front.timeline:
        _check_timeline(front.timeline, path, "timeline", flat_body)
    for i, clause in enumerate(front.clauses or []):
        if clause.items:
            _check_evidence(clause.items.evidence, path, f"clauses[{i}].items.evidence", flat_body, required=False)
        _check_timeline(clause.timeline, path, f"clauses[{i}].timeline", flat_body)
    try:
        return front.model_dump(mode="json", by_alias=True, exclude_none=True)
    except (ValueError, RecursionError) as e:
        raise FrontMatterInvalid(path, _first_key(meta), f"can't be read ({e}); a YAML anchor may refer to itself") from None


def _first_key(meta: dict) -> str:
    """The field whose value refers to itself, or the first field when none can be told."""
    for key, value in meta.items():
        if isinstance(value, list | dict) and _refers_to_itself(value, set()):
            return str(key)
    return next(iter(meta), "front matter")


def _refers_to_itself(value, seen: set) -> bool:
    if id(value) in seen:
        return True
    if isinstance(value, list | dict):
        seen = seen | {id(value)}
        children = value.values() if isinstance(value, dict) else value
        return any(_refers_to_itself(child, seen) for child in children)
    return False


def _named(error: ValidationError, path) -> FrontMatterInvalid:
    """The first error of a validation, as 'field' + what is wrong with the value found."""
    first = error.errors()[0]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]).lstrip(".")
    where = re.sub(r"\.(function-after|function-before|str|int|list|date)\[[^\]]*\]", "", where) or "(front matter)"
    got = first.get("input")
    kind = first["type"]
    if kind == "missing":
        problem = "is required"
    elif kind == "literal_error":
        problem = f"must be one of {first['ctx']['expected']}, got {got!r}"
    elif kind.startswith("date"):
        problem = f"must be a real date YYYY-MM-DD, got {got!r}"
    elif where == "id" and kind == "string_pattern_mismatch":
        problem = f"must be lowercase letters, digits and '-', got {got!r}"
    elif kind in {"string_type", "list_type", "too_short", "string_too_short"}:
        problem = f"{first['msg'].lower().replace('input should', 'must')}, got {got!r}"
    else:
        problem = f"is invalid ({first['msg']}), got {got!r}"
    return FrontMatterInvalid(path, where, problem)


def _check_timeline(periods: list[Period], path, where: str, flat_body: str) -> None:
    previous_until = None
    for i, period in enumerate(periods):
        at = f"{where}[{i}]"
        if period.until is not None and period.until < period.start:
            raise FrontMatterInvalid(path, f"{at}.until", "is before 'from'")
        if previous_until is not None and period.start <= previous_until:
            raise FrontMatterInvalid(path, f"{at}.from", f"overlaps the previous period (ends {previous_until})")
        if previous_until is None and i > 0:
            raise FrontMatterInvalid(path, f"{where}[{i - 1}].until", "is required when another period follows")
        previous_until = period.until
        _check_evidence(period.evidence, path, f"{at}.evidence", flat_body, required=True)


def _check_evidence(evidence: str | None, path, where: str, flat_body: str, required: bool) -> None:
    if evidence is None:
        if required:
            raise FrontMatterInvalid(path, where, "is required (a sentence copied from the body)")
        return
    if " ".join(evidence.split()) not in flat_body:
        raise FrontMatterInvalid(path, where, f"is not found in the document body: {evidence[:80]!r}")
