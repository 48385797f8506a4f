"""The parties register: built from the corpus front matter, validated, and dated."""

from __future__ import annotations

import pytest

from assistant.config import REPO_ROOT
from assistant.errors import FrontMatterInvalid
from assistant.ingest.loaders import load_corpus
from assistant.parties import PartiesRegister, parties_of
from assistant.schema import Document


@pytest.fixture(scope="module")
def corpus():
    documents, problems = load_corpus(REPO_ROOT / "corpus")
    assert problems == []
    return {d.id: d for d in documents}


@pytest.fixture(scope="module")
def register(corpus):
    register, problems = PartiesRegister.from_documents(list(corpus.values()))
    assert problems == []
    return register


def party(register, name):
    return next(p for p in register.parties if p.name == name)


def test_the_register_carries_every_party_the_corpus_names(register):
    by_list = {}
    for p in register.parties:
        by_list.setdefault(p.list, []).append(p.name)
    assert len(by_list["unreliable_entity_list"]) == 14
    assert {"MP Materials", "USA Rare Earth", "Mitsubishi Heavy Industries", "Fujitsu Defense"} <= set(by_list["export_control_list"])
    assert {"Subaru", "TDK", "Eneos", "Itochu Aviation"} <= set(by_list["watch_list"])
    assert register.corpus_date == "2026-11-24"


def test_every_quote_sits_at_its_place_in_the_document_text(register, corpus):
    for p in register.parties:
        text = corpus[p.document_id].text
        for quote in [p.meaning, *p.evidence]:
            assert text[quote.start : quote.end] == quote.text, p.id


@pytest.mark.parametrize(
    ("name", "day", "status"),
    [
        ("Teledyne FLIR, LLC", "2025-10-08", "not_yet_listed"),
        ("Teledyne FLIR, LLC", "2025-10-09", "listed"),
        ("Teledyne FLIR, LLC", "2025-11-03", "listed"),
        ("Teledyne FLIR, LLC", "2025-11-04", "unknown"),
        ("Teledyne FLIR, LLC", "2026-12-01", "unknown"),
        ("Subaru", "2026-02-23", "not_yet_listed"),
        ("Subaru", "2026-02-24", "listed"),
        ("MP Materials", "2026-06-21", "not_yet_listed"),
        ("MP Materials", "2026-11-24", "listed"),
    ],
)
def test_status_before_during_and_after_a_listing(register, name, day, status):
    assert party(register, name).status_on(day).status == status


def test_uel_additions_are_unknown_after_early_november_never_listed_or_cleared(register):
    for p in register.parties:
        if p.list == "unreliable_entity_list":
            on = p.status_on("2026-06-01")
            assert on.status == "unknown"
            assert "status from 4 November 2025 onward is unknown" in on.evidence.text


def test_a_listing_whose_last_period_ended_is_unknown_afterwards():
    doc = _doc(
        "The list took effect on 1 May 2026. It ended on 1 June 2026. ACME Ltd is listed. Listing bars exports.",
        [{"list": "watch_list", "meaning": "Listing bars exports.",
          "timeline": [{"from": "2026-05-01", "until": "2026-06-01", "status": "listed",
                        "evidence": "The list took effect on 1 May 2026."}],
          "entities": [{"name": "ACME Ltd"}]}],
    )  # fmt: skip
    (acme,) = parties_of(doc)
    assert [acme.status_on(d).status for d in ("2026-04-30", "2026-05-15", "2026-06-02")] == ["not_yet_listed", "listed", "unknown"]


GOOD = {
    "list": "watch_list",
    "meaning": "Listing bars exports.",
    "timeline": [{"from": "2026-05-01", "status": "listed", "evidence": "The list took effect on 1 May 2026."}],
    "entities": [{"name": "ACME Ltd", "aliases": ["ACME"]}],
}
BODY = "The list took effect on 1 May 2026. ACME Ltd is listed. Listing bars exports."


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"meaning": "Listing bars all trade."}, "parties[0].meaning", "literally in the document body"),
        ({"timeline": [{"from": "2026-05-01", "status": "listed", "evidence": "It began in May."}]}, "parties[0].timeline[0].evidence", "literally"),
        ({"timeline": [{"from": "2026-05-01", "status": "cleared", "evidence": "x"}]}, "parties[0].timeline.0.status", "invalid"),
        ({"timeline": [{"from": "2026-05-01", "status": "listed"}]}, "parties[0].timeline[0].evidence", "required"),
        ({"timeline": [{"from": "May 2026", "status": "listed", "evidence": "x"}]}, "parties[0].timeline.0.from", "invalid"),
        ({"list": "blacklist"}, "parties[0].list", "invalid"),
        ({"entities": [{"name": "ACME Ltd", "aliases": ["Acme Corp"]}]}, "parties[0].entities[0].aliases[0]", "literally"),
        ({"entities": [{"name": "Other Inc"}]}, "parties[0].entities[0].name", "literally"),
        ({"entities": []}, "parties[0].entities", "invalid"),
    ],
)
def test_a_bad_parties_block_names_the_file_and_field(change, field, problem):
    with pytest.raises(FrontMatterInvalid) as error:
        parties_of(_doc(BODY, [GOOD | change]))
    assert error.value.path == "corpus/x.md" and error.value.field == field
    assert problem in str(error.value) and "corpus/x.md" in str(error.value)


def test_a_bad_block_is_reported_and_the_other_documents_still_build():
    good = _doc(BODY, [GOOD], doc_id="good")
    bad = _doc(BODY, [GOOD | {"meaning": "Not in the body."}], doc_id="bad")
    register, problems = PartiesRegister.from_documents([good, bad])
    assert [p.name for p in register.parties] == ["ACME Ltd"]
    assert len(problems) == 1 and "parties[0].meaning" in str(problems[0])


def test_evidence_across_a_line_break_is_found_with_its_real_offsets():
    body = "The list took effect\non 1 May 2026. ACME Ltd is listed. Listing bars exports."
    (acme,) = parties_of(_doc(body, [GOOD]))
    quote = acme.evidence[0]
    assert body[quote.start : quote.end] == "The list took effect\non 1 May 2026."


def test_the_register_round_trips_through_its_file(register, tmp_path):
    register.save(tmp_path / "parties.json")
    again = PartiesRegister.load(tmp_path / "parties.json")
    assert [p.model_dump() for p in again.parties] == [p.model_dump() for p in register.parties]
    assert again.corpus_date == register.corpus_date


def _doc(body: str, parties, doc_id: str = "x") -> Document:
    meta = {"id": doc_id, "title": "T", "kind": "announcement", "parties": parties, "published": "2026-06-01"}
    return Document(id=doc_id, path=f"corpus/{doc_id}.md" if doc_id != "x" else "corpus/x.md", title="T", text=body, meta=meta)


def test_index_build_warns_of_a_bad_parties_block_and_still_builds(tmp_path, embedder):
    from assistant.config import Settings
    from assistant.store import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = (REPO_ROOT / "corpus" / "mofcom-2026-06-22-us-entities.md").read_text(encoding="utf-8")
    (corpus / "us.md").write_text(good, encoding="utf-8")
    broken = good.replace("id: mofcom-2026-06-22-us-entities", "id: us-copy").replace('{name: "MP Materials"', '{name: "MP Metals"')
    (corpus / "us-copy.md").write_text(broken, encoding="utf-8")
    settings = Settings.load({}, corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    report = build_index(settings, progress=False, embedder=embedder)
    assert report.documents == 2
    assert any("us-copy.md: front matter field 'parties[0].entities[0].name' must be literally" in p for p in report.problems)
    saved = PartiesRegister.load(tmp_path / "index" / "live" / "parties.json")
    assert [p.name for p in saved.parties] == ["MP Materials", "USA Rare Earth"]


def test_a_listing_answer_says_how_many_names_the_corpus_gives_and_the_status_date_apart(engine):
    answer = engine.ask("Who did China put on its export control list in February 2026?", as_of="2026-03-10")
    assert "the corpus names" in answer.verdict.text and "(status on 10 March 2026: listed)" in answer.verdict.text
