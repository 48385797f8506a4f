"""Property: a document whose front matter holds arbitrary YAML values in any field loads as a valid
Document or fails with FrontMatterInvalid / DocumentUnreadable naming the file, never anything else."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from assistant.errors import DocumentUnreadable, FrontMatterInvalid
from assistant.ingest.loaders import load_document
from assistant.schema import Document

BODY = "China controls holmium exports from 9 October 2025. The measure was suspended on 10 November 2025."
FIELDS = [
    "id", "title", "kind", "issuer", "number", "issued", "published", "publisher", "url", "sources", "digest",
    "items", "timeline", "clauses", "parties", "supersedes", "measure",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.sampled_from(["in_force", "suspended", "2025-10-09", "2025-02-30", "mofcom-2025-61", BODY[:40], "law", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS + ["from", "until",
        "status", "by", "evidence", "elements", "forms", "control_codes", "name", "aliases", "list"]) | st.text(max_size=6),
        inner, max_size=5),
    max_leaves=12,
)  # fmt: skip
VALID = {"id": "fuzzed-doc", "title": "Fuzzed", "kind": "announcement"}
RAW_YAML = [
    "!!python/object/apply:os.system ['echo no']",
    "{",
    "- just\n- a list",
    "? [complex, key]\n: value",
    "id: ok\nid: twice",
    "title: !!binary aGVsbG8=",
    "\t tabs: are: not yaml",
    "x: " + "[" * 200,
]


def well_formed(meta: dict) -> str:
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n" + BODY + "\n"


documents = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=8).map(well_formed),
    st.dictionaries(st.sampled_from(FIELDS), values, min_size=1, max_size=3).map(  # a valid base, fields replaced,
        lambda fields: well_formed(VALID | fields)  # so validation reaches every field
    ),
    st.sampled_from(RAW_YAML).map(lambda raw: f"---\n{raw}\n---\n{BODY}\n"),
)


@settings(
    max_examples=200,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found, within the time bound
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=documents)
def test_arbitrary_front_matter_loads_or_is_refused_clearly(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.md"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            document = load_document(path)
        except (FrontMatterInvalid, DocumentUnreadable) as error:
            assert "fuzzed.md" in str(error)
            return
    assert isinstance(document, Document)
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", document.id)
    assert isinstance(document.title, str) and document.title
    assert document.text.strip()
    for name in ("issued", "published"):
        if document.meta.get(name) is not None:
            dt.date.fromisoformat(document.meta[name])


def test_a_self_referencing_anchor_is_refused_clearly(tmp_path):
    path = tmp_path / "fuzzed.md"
    path.write_text(f"---\nid: fuzzed\ntitle: T\nkind: news\na: &x [*x]\n---\n{BODY}\n", encoding="utf-8")

    with pytest.raises(FrontMatterInvalid) as error:
        load_document(path)
    assert "fuzzed.md" in str(error.value) and "'a'" in str(error.value)
