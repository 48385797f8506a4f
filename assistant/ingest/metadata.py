"""Read and validate document metadata (front matter or sidecar).

The convention is documented in ``corpus/README.md``. Errors name the file
and the field:

>>> validate_metadata({"id": "x", "title": "T", "kind": "poem"}, "corpus/x.md")
Traceback (most recent call last):
...
assistant.errors.FrontMatterInvalid: corpus/x.md: front matter field 'kind' must be one of ...
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml

from assistant.errors import FrontMatterInvalid

KINDS = {"law", "regulation", "list", "catalogue", "announcement", "statement", "licence", "news", "timeline", "digest", "document"}
STATUSES = {"announced", "in_force", "suspended", "lapsed", "repealed"}
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)


def split_front_matter(text: str, path) -> tuple[dict, str]:
    """Return (metadata, body) of a Markdown file; {} when it has none."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as e:
        raise FrontMatterInvalid(path, "(yaml)", f"is not valid YAML: {e}") from None
    if not isinstance(meta, dict):
        raise FrontMatterInvalid(path, "(yaml)", "must be a mapping of fields")
    return meta, text[match.end() :]


def read_sidecar(path: Path) -> dict:
    sidecar = path.with_name(path.name + ".meta.yaml")
    if not sidecar.exists():
        return {}
    try:
        meta = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise FrontMatterInvalid(sidecar, "(yaml)", f"is not valid YAML: {e}") from None
    if not isinstance(meta, dict):
        raise FrontMatterInvalid(sidecar, "(yaml)", "must be a mapping of fields")
    return meta


def validate_metadata(meta: dict, path, body: str = "") -> dict:
    """Check fields and normalise dates to ISO strings; return the metadata."""
    for name in ("id", "title", "kind"):
        if not meta.get(name):
            raise FrontMatterInvalid(path, name, "is required")
    if not ID_PATTERN.match(str(meta["id"])):
        raise FrontMatterInvalid(path, "id", f"must be lowercase letters, digits and '-', got {meta['id']!r}")
    if meta["kind"] not in KINDS:
        raise FrontMatterInvalid(path, "kind", f"must be one of {sorted(KINDS)}, got {meta['kind']!r}")
    for name in ("issued", "published"):
        if meta.get(name) is not None:
            meta[name] = _date(meta[name], path, name)
    flat_body = " ".join(body.split())
    if "items" in meta:
        _check_items(meta["items"], path, "items", flat_body)
    if "timeline" in meta:
        meta["timeline"] = _check_timeline(meta["timeline"], path, "timeline", flat_body)
    for i, clause in enumerate(meta.get("clauses") or []):
        where = f"clauses[{i}]"
        if not isinstance(clause, dict) or not clause.get("id"):
            raise FrontMatterInvalid(path, f"{where}.id", "is required")
        if "items" in clause:
            _check_items(clause["items"], path, f"{where}.items", flat_body)
        if not clause.get("timeline"):
            raise FrontMatterInvalid(path, f"{where}.timeline", "is required")
        clause["timeline"] = _check_timeline(clause["timeline"], path, f"{where}.timeline", flat_body)
    return meta


def _date(value, path, name: str) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise FrontMatterInvalid(path, name, f"must be a date YYYY-MM-DD, got {value!r}") from None


def _check_items(items, path, where: str, flat_body: str) -> None:
    if not isinstance(items, dict):
        raise FrontMatterInvalid(path, where, "must be a mapping (elements, forms, control_codes, hs_codes...)")
    for key in ("elements", "forms", "control_codes", "hs_codes", "destinations", "terms"):
        value = items.get(key)
        if value is not None and not isinstance(value, list):
            raise FrontMatterInvalid(path, f"{where}.{key}", f"must be a list, got {value!r}")
        items[key] = [str(v) for v in value or []]
    _check_evidence(items.get("evidence"), path, f"{where}.evidence", flat_body, required=False)


def _check_timeline(periods, path, where: str, flat_body: str) -> list[dict]:
    if not isinstance(periods, list) or not periods:
        raise FrontMatterInvalid(path, where, "must be a non-empty list of periods")
    previous_until = None
    for i, period in enumerate(periods):
        at = f"{where}[{i}]"
        if not isinstance(period, dict):
            raise FrontMatterInvalid(path, at, "must be a mapping with from, status, by")
        period["from"] = _date(period.get("from"), path, f"{at}.from")
        if period.get("until") is not None:
            period["until"] = _date(period["until"], path, f"{at}.until")
            if period["until"] < period["from"]:
                raise FrontMatterInvalid(path, f"{at}.until", "is before 'from'")
        if period.get("status") not in STATUSES:
            raise FrontMatterInvalid(path, f"{at}.status", f"must be one of {sorted(STATUSES)}, got {period.get('status')!r}")
        if not period.get("by"):
            raise FrontMatterInvalid(path, f"{at}.by", "is required (id of the document that caused this status)")
        if previous_until is not None and period["from"] <= previous_until:
            raise FrontMatterInvalid(path, f"{at}.from", f"overlaps the previous period (ends {previous_until})")
        if previous_until is None and i > 0:
            raise FrontMatterInvalid(path, f"{where}[{i - 1}].until", "is required when another period follows")
        previous_until = period.get("until")
        _check_evidence(period.get("evidence"), path, f"{at}.evidence", flat_body, required=True)
    return periods


def _check_evidence(evidence, path, where: str, flat_body: str, required: bool) -> None:
    if evidence is None:
        if required:
            raise FrontMatterInvalid(path, where, "is required (a sentence copied from the body)")
        return
    if " ".join(str(evidence).split()) not in flat_body:
        raise FrontMatterInvalid(path, where, f"is not found in the document body: {str(evidence)[:80]!r}")
