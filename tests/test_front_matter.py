"""Every bad file is named (file and field) and skipped; none stops a build.
Size limits are settings; a file over one is skipped with a message naming both."""

from __future__ import annotations

import time

import pytest

from assistant.config import Settings
from assistant.ingest.loaders import read_corpus
from assistant.store import build_index, open_index

GOOD = """---
id: good-memo
title: A memo that indexes
kind: document
issued: 2026-02-27
---
Samarium magnet exports need a licence from the ministry of commerce.
"""

TIMELINE = """---
id: {id}
title: A measure
kind: announcement
timeline:
  - from: 2025-10-09
    status: {status}
    by: {id}
    evidence: "The controls take effect on 9 October 2025."
---
The controls take effect on 9 October 2025.
"""

BAD_FILES = {
    "bad-date.md": (GOOD.replace("id: good-memo", "id: bad-date").replace("2026-02-27", "2026-02-30"), "issued"),
    "bad-kind.md": (GOOD.replace("id: good-memo", "id: bad-kind").replace("kind: document", "kind: [announcement]"), "kind"),
    "bad-status.md": (TIMELINE.format(id="bad-status", status="[in_force]"), "timeline[0].status"),
    "bad-clauses.md": (GOOD.replace("id: good-memo", "id: bad-clauses").replace("kind: document", "kind: law\nclauses: 5"), "clauses"),
    "bad-url.md": (GOOD.replace("id: good-memo", "id: bad-url").replace("kind: document", "kind: news\nurl: [a, b]"), "url"),
}  # fmt: skip


def _corpus(tmp_path, files: dict[str, str]):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_type_error_is_named_with_its_file_and_field_and_skipped(tmp_path, name):
    text, field = BAD_FILES[name]
    corpus = read_corpus(_corpus(tmp_path, {"good.md": GOOD, name: text}))
    assert [d.id for d in corpus.documents] == ["good-memo"]
    (problem,) = corpus.problems
    assert str(problem).startswith(f"{corpus_path(tmp_path, name)}: front matter field '{field}' ")
    assert problem.field == field


def corpus_path(tmp_path, name):
    return tmp_path / "corpus" / name


def test_good_values_are_typed_and_unknown_fields_pass_through(tmp_path):
    text = GOOD.replace("kind: document", "kind: document\nparties:\n  - name: Example Metals Co.\n    list: UEL\nhs: 2805")
    (doc,) = read_corpus(_corpus(tmp_path, {"good.md": text})).documents
    assert doc.meta["issued"] == "2026-02-27"
    assert doc.meta["parties"] == [{"name": "Example Metals Co.", "list": "UEL"}]
    assert doc.meta["hs"] == 2805


def test_parties_must_be_a_list(tmp_path):
    text = GOOD.replace("kind: document", "kind: document\nparties: Example Metals Co.")
    corpus = read_corpus(_corpus(tmp_path, {"good.md": text}))
    assert corpus.documents == [] and corpus.problems[0].field == "parties"


def test_a_build_with_every_bad_file_indexes_the_rest(tmp_path, embedder):
    corpus = _corpus(tmp_path, {"good.md": GOOD} | {name: text for name, (text, _) in BAD_FILES.items()})
    settings = Settings.load({}, corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    report = build_index(settings, progress=False, embedder=embedder)
    assert report.documents == 1 and report.chunks >= 1
    assert sorted(p.split(":")[0].rsplit("/", 1)[-1] for p in report.problems) == sorted(BAD_FILES)
    assert {row["document_id"] for row in open_index(settings).chunks.values()} == {"good-memo"}


def test_a_file_over_the_byte_limit_is_skipped_quickly_naming_file_and_limit(tmp_path):
    corpus = _corpus(tmp_path, {"good.md": GOOD})
    with open(corpus / "huge.txt", "wb") as f:
        f.truncate(50_000_000)  # a sparse 50 MB file
    started = time.perf_counter()
    result = read_corpus(corpus, max_file_bytes=20_000_000)
    elapsed = time.perf_counter() - started
    assert [d.id for d in result.documents] == ["good-memo"]
    (problem,) = result.problems
    assert "huge.txt" in str(problem) and "50,000,000 bytes" in str(problem) and "20,000,000" in str(problem)
    assert "LODESTONE_MAX_FILE_BYTES" in str(problem)
    assert elapsed < 5  # generous: the file is never read


def test_a_file_over_the_chunk_limit_is_skipped_naming_file_and_limit(tmp_path, embedder):
    long_text = "\n\n".join(f"Paragraph {i} says samarium licences take {i} days to review." for i in range(300))
    corpus = _corpus(tmp_path, {"good.md": GOOD, "long.txt": long_text})
    settings = Settings.load(
        {}, corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data", max_file_chunks=5
    )
    report = build_index(settings, progress=False, embedder=embedder)
    assert report.documents == 1
    (problem,) = report.problems
    assert "long.txt" in problem and "chunks" in problem and "limit of 5" in problem and "LODESTONE_MAX_FILE_CHUNKS" in problem
    assert {row["document_id"] for row in open_index(settings).chunks.values()} == {"good-memo"}
