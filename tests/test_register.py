"""The dates that trip naive systems, answered through the engine with verified citations."""

import pytest

from assistant.citations import verify_quote
from assistant.errors import FrontMatterInvalid
from assistant.ingest.loaders import load_document


def _status(answer, measure_id):
    return next((m for m in answer.measures if m.id == measure_id), None)


def _cited(answer, measure):
    assert measure.citation is not None, measure
    citation = next(c for c in answer.citations if c.n == measure.citation)
    passage = next(p for p in answer.passages if p.rank == citation.passage)
    assert verify_quote(citation.quote, passage.text)
    return citation


def test_holmium_before_it_took_effect_is_announced_not_in_force(engine):
    answer = engine.ask("Is holmium controlled?", as_of="2025-10-20")
    m = _status(answer, "mofcom-gac-2025-57")
    assert m.status == "announced"
    _cited(answer, m)
    assert "not yet in force" in answer.answer and "8 November 2025" in answer.answer


def test_holmium_after_ann_70_is_suspended(engine):
    answer = engine.ask("Is holmium controlled?", as_of="2025-11-20")
    m = _status(answer, "mofcom-gac-2025-57")
    assert (m.status, m.by, m.until) == ("suspended", "mofcom-gac-2025-70", "2026-11-10")
    _cited(answer, m)
    line = next(line for line in answer.answer.split("\n") if line.startswith("- ") and "No. 57 of 2025" in line)
    assert "suspended since 7 November 2025" in line and "in force" not in line


def test_the_value_rule_in_december_2025_is_suspended(engine):
    answer = engine.ask("does the 0.1% value rule apply to our magnets on 15 December 2025?")
    assert answer.as_of == "2025-12-15"
    m = _status(answer, "mofcom-2025-61#rule-1")
    assert m.status == "suspended"
    _cited(answer, m)


def test_dysprosium_oxide_today_needs_a_licence_under_ann_18(engine):
    answer = engine.ask("Do we need a licence to export dysprosium oxide?", as_of="2026-11-24")
    m = _status(answer, "mofcom-gac-2025-18")
    assert (m.status, m.since, m.until) == ("in_force", "2025-04-04", None)
    _cited(answer, m)
    assert answer.measures[0].id == "mofcom-gac-2025-18"


def test_october_package_after_the_suspension_ended_is_unknown(engine):
    answer = engine.ask("Are the October 2025 measures like Announcement 57 and No. 62 in force now?", as_of="2026-11-24")
    for measure_id in ("mofcom-gac-2025-57", "mofcom-2025-62"):
        m = _status(answer, measure_id)
        assert m.status == "unknown", measure_id
        _cited(answer, m)
    assert "mofcom.gov.cn" in answer.answer
    assert "lifted" not in answer.answer.lower()


def test_gallium_to_the_us_clause_2_suspended_clause_1_stays(engine):
    answer = engine.ask("Can we export gallium to the United States?", as_of="2026-11-24")
    clause2 = _status(answer, "mofcom-2024-46#clause-2")
    clause1 = _status(answer, "mofcom-2024-46#clause-1")
    assert (clause2.status, clause2.until, clause2.by) == ("suspended", "2026-11-27", "mofcom-2025-72")
    assert clause1.status == "in_force"
    _cited(answer, clause2)
    _cited(answer, clause1)


def test_before_ann_18_dysprosium_oxide_was_not_yet_controlled(engine):
    answer = engine.ask("Did dysprosium oxide need a licence?", as_of="2025-03-01")
    m = _status(answer, "mofcom-gac-2025-18")
    assert m.status == "not_issued"
    assert "in force" not in answer.answer.split("\n")[1]


def test_unlisted_elements_say_so_with_the_lists_checked(engine):
    answer = engine.ask("Is neodymium controlled?")
    assert "No instrument in the corpus lists neodymium (Nd)" in answer.answer
    line = next(line for line in answer.answer.split("\n") if "No instrument" in line)
    assert "Announcement No. 18" in line and "[" in line
    assert not answer.refused


def test_register_finds_the_measure_even_when_retrieval_does_not(engine):
    answer = engine.ask("Is Ho controlled? Ho oxide specifically", as_of="2025-11-20")
    assert _status(answer, "mofcom-gac-2025-57").status == "suspended"


def test_dates_in_the_question_set_the_as_of_date(engine):
    assert engine.ask("Was holmium controlled in March 2025?").as_of == "2025-03-31"
    assert engine.ask("Is holmium controlled today?", as_of="2025-11-20").as_of == "2025-11-20"
    assert engine.ask("Were the April 2025 controls removed?", as_of="2026-01-05").as_of == "2026-01-05"


def test_a_front_matter_error_names_the_file_and_field(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(
        "---\nid: bad-doc\ntitle: Bad\nkind: announcement\ntimeline:\n"
        "  - {from: 2025-10-09, status: in_farce, by: bad-doc, evidence: It applies.}\n---\nIt applies.\n"
    )
    with pytest.raises(FrontMatterInvalid) as error:
        load_document(bad)
    assert "bad.md" in str(error.value) and "timeline[0].status" in str(error.value)


def test_evidence_must_be_in_the_body(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(
        "---\nid: bad-doc\ntitle: Bad\nkind: announcement\ntimeline:\n"
        "  - {from: 2025-10-09, status: in_force, by: bad-doc, evidence: Not in the body.}\n---\nIt applies.\n"
    )
    with pytest.raises(FrontMatterInvalid, match=r"timeline\[0\]\.evidence"):
        load_document(bad)


@pytest.mark.parametrize(
    ("question", "elements"),
    [
        ("ga shipment to US 1 dec 2026 - refusal back?", ["gallium"]),
        ("Ga to US chip fab allowed on 1 june 2025", ["gallium"]),
        ("we ship dy oxide to germany, licence?", ["dysprosium"]),
        ("Sc to Germany: licence?", ["scandium"]),
        ("in shipment terms, what must the invoice say?", []),
        ("pr exports: who writes the press release?", []),
        ("Can we go to Japan next week?", []),
    ],
)
def test_element_symbols_typed_in_a_hurry_are_read(question, elements):
    from assistant.register import items_in

    assert items_in(question).elements == elements
