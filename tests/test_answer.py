"""The extractive answer: verified citations, refusals, follow-ups."""

import pytest

from assistant.citations import verify_quote
from assistant.schema import Citation, Quote, Turn

DONE_WHEN = (
    "What did China's commerce ministry require for rare-earth technologies in October 2025, "
    "and will exports to overseas military users be approved?"
)


def _assert_verified(answer):
    by_rank = {p.rank: p for p in answer.passages}
    assert answer.citations
    for c in answer.citations:
        assert verify_quote(c.quote, by_rank[c.passage].text)
        assert f"[{c.n}]" in answer.answer


def test_the_seed_question_is_answered_with_verified_citations(engine):
    answer = engine.ask(DONE_WHEN)
    assert not answer.refused
    _assert_verified(answer)
    assert "military" in answer.answer and "not be approved" in answer.answer
    assert "technolog" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "what's the weather in Berlin tomorrow?",
        "Write a poem about the sea.",
        "What are Australia's export controls on lithium concentrate?",
        "What import duty does China charge on US pork?",
        "How many tonnes of gallium did China export in September 2026?",
        "What's the going price for terbium metal this month?",
    ],
)
def test_out_of_scope_questions_are_refused(engine, question):
    answer = engine.ask(question)
    assert answer.refused and answer.refusal in {"out_of_scope", "unsupported", "advice"}
    assert "does not cover" in answer.answer or "does not give" in answer.answer
    assert answer.citations == []


@pytest.mark.parametrize(
    "question",
    [
        "Can we export dysprosium oxide to Japan?",
        "How many items are on the dual-use control list?",
        "How long does a dual-use licence review take?",
        "What did MOFCOM say about exports to Japanese military users?",
    ],
)
def test_answerable_look_alikes_are_not_refused(engine, question):
    answer = engine.ask(question)
    assert not answer.refused and answer.citations


def test_a_forged_quote_is_rejected_by_verification(engine):
    answer = engine.ask("Which control code covers holmium?")
    honest = len(answer.citations)
    forged = Citation(
        n=99, document=answer.citations[0].document, title="x", quote="The controls on holmium were lifted for good.",
        start=0, end=10, url=None, published=None, passage=answer.citations[0].passage,
    )  # fmt: skip
    answer.citations.append(forged)
    answer.quotes.append(Quote("The controls on holmium were lifted for good.", 99))
    checked = engine.verify(answer)
    assert len(checked.citations) == honest
    assert "lifted for good" not in checked.answer
    assert any(r["reason"] == "quote is not in the cited passage" for r in checked.removed)


def test_a_marker_pointing_nowhere_removes_its_sentence(engine):
    answer = engine.ask("Which control code covers holmium?")
    answer.quotes.append(Quote("Everything is allowed now.", 42))
    answer.status_lines[0].citation = 43
    checked = engine.verify(answer)
    assert "Everything is allowed now" not in checked.answer
    assert not any(s.citation == 43 for s in checked.status_lines)


def test_a_follow_up_is_understood_in_context(engine):
    first = engine.ask("Is dysprosium controlled?", as_of="2025-11-20")
    follow = engine.ask("and what about holmium?", as_of="2025-11-20", history=[Turn(first.question, first.answer)])
    assert "holmium" in follow.standalone_question.lower()
    assert {m.id for m in follow.measures} >= {"mofcom-gac-2025-57"}
    assert "1C909" in follow.answer
    _assert_verified(follow)


def test_exact_identifiers_drive_the_answer(engine):
    answer = engine.ask("what's 1E902.b?")
    assert "1E902.b" in answer.answer
    assert any(c.document_id == "mofcom-2025-62" for c in answer.citations)


def test_a_history_answer_tells_the_episode_from_one_timeline(engine):
    # the dated lines of one episode sit together in a timeline passage; more than two of them are the story
    answer = engine.ask("Back in 2010, what happened between China and Japan over rare earths, and why?")
    assert not answer.refused
    text = answer.answer
    assert "trawler" in text and "2010" in text
    _assert_verified(answer)


def test_a_reasons_answer_quotes_what_set_a_measure_off(engine):
    answer = engine.ask("What was the occasion for MOFCOM announcement 70?", history=[Turn(question="What did No. 70 suspend?", answer="")])
    assert "Busan" in answer.answer
    _assert_verified(answer)


@pytest.mark.parametrize(
    "question, asks_when",
    [("ok and when exactly did it start?", True), ("the general licences, dates please", True),
     ("Do we need a licence for Dy oxide?", False), ("Whenever we ship Tb, what applies?", False)],
)
def test_a_when_question_is_recognised_wherever_when_stands(question, asks_when):
    from assistant.answer import _answer_type

    assert (_answer_type(question) is not None) == asks_when


def test_a_code_named_without_its_sub_item_is_answered_by_each_sub_item(engine):
    answer = engine.ask("What is covered by 1E902?")
    quoted = " ".join(q.text for q in answer.quotes) if answer.quotes else answer.answer
    assert not answer.refused
    assert "1E902.a" in quoted and "1E902.b" in quoted
    _assert_verified(answer)


def test_a_tonnage_of_something_else_does_not_answer_how_much_was_licensed(engine):
    answer = engine.ask("How many tonnes of dysprosium did China license for export to Germany in 2025?")
    assert answer.refused and answer.refusal == "unsupported"


def test_a_tonnage_for_everywhere_does_not_answer_how_much_went_to_one_country(engine):
    answer = engine.ask("Roughly how many tonnes of rare-earth magnets did China ship to Poland in October 2025?")
    assert answer.refused and answer.refusal == "unsupported", answer.answer


def test_asked_for_paperwork_the_answer_quotes_the_documents_an_application_takes(engine):
    answer = engine.ask("Before our Chinese supplier files for a Dy magnet licence, what paperwork should they have ready?")
    quoted = " ".join(q.text for q in answer.quotes)
    assert "following documents" in quoted or "end-user and end-use certificate" in quoted, answer.answer
    _assert_verified(answer)


@pytest.mark.parametrize("question", [
    "How did the Italian government react to the October 2025 rare-earth controls?",
    "Has any exporter been fined for shipping dysprosium without a licence since April 2025?",
    "What was the euro value of rare-earth magnet exports to the EU in 2025?",
])  # fmt: skip
def test_a_fact_the_corpus_never_reports_is_declined(engine, question):
    answer = engine.ask(question)
    assert answer.refused and answer.refusal == "unsupported", answer.answer


@pytest.mark.parametrize("question", [
    "How did the US government respond to the October 2025 controls?",
    "What penalties can be imposed for exporting terbium without a licence?",
])  # fmt: skip
def test_what_the_corpus_does_report_about_responses_and_penalties_is_answered(engine, question):
    answer = engine.ask(question)
    assert not answer.refused, answer.answer
    _assert_verified(answer)
