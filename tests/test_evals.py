"""The eval gate fails, readably, when a change makes answers worse."""

import dataclasses
import json

from assistant.config import REPO_ROOT
from assistant.engine import Engine
from evals.metrics import Golden, score_question, totals
from evals.runner import check_gate, group_totals, load_questions, markdown_report, passed, run_suite

BASELINE = json.loads((REPO_ROOT / "evals" / "baseline.json").read_text())


def _result(ask, questions):
    outcomes, answers = run_suite(ask, questions)
    return {
        "totals": totals(outcomes),
        "groups": group_totals(questions, outcomes),
        "questions": [o | {"answer_json": a} for o, a in zip(outcomes, answers)],
    }


def _group(name):
    return [q for q in load_questions([]) if q.suite.startswith(name + "/")]


def _only(baseline, group):
    """The baseline of one group, to gate a run of that group alone."""
    return {"tolerance": baseline["tolerance"], "groups": {group: baseline["groups"][group]}, "passed": baseline["passed"]}


def test_retrieval_top_k_1_fails_the_gate_naming_metric_and_questions(built_index, embedder):
    broken = Engine(dataclasses.replace(built_index, top_k=1), embedder=embedder)
    failures = check_gate(_result(broken.ask, _group("test")), _only(BASELINE, "test"))
    text = "\n".join(failures)
    # the register still adds the passages it needs, so the loss shows in what the answers say
    assert "test: key_fact_recall fell from" in text
    assert "Questions that passed at the baseline and fail now:" in text


def test_forged_citations_fail_the_gate_on_citation_validity(engine):
    questions = [q for q in load_questions([]) if not q.should_refuse][:12]

    def forging_ask(question, **kwargs):
        answer = engine.ask(question, **kwargs)
        if answer.citations:
            answer.citations[0].quote = "This sentence is in no passage at all."
        return answer

    failures = check_gate(_result(forging_ask, questions), BASELINE)
    assert any(f.startswith("citation_validity is") for f in failures)


def test_the_committed_baseline_passes_its_own_gate_on_the_test_group(engine):
    result = _result(engine.ask, _group("test"))
    assert check_gate(result, _only(BASELINE, "test")) == []
    assert result["totals"]["citation_validity"] == 1.0


class ConstantIntent:
    """An intent model that answers the same whatever the question."""

    def predict(self, vector, text=""):
        from assistant.intent import Prediction

        return Prediction("applicability", 1.0, {"applicability": 1.0})


def test_the_gate_fails_when_the_intent_model_is_a_constant(built_index, embedder):
    broken = Engine(built_index, embedder=embedder)
    broken._open().understanding.intent_model = ConstantIntent()
    failures = check_gate(_result(broken.ask, _group("dev")), _only(BASELINE, "dev"))
    assert any(f.startswith("dev: refusal_recall fell") for f in failures), failures


def test_empty_retrieval_is_a_miss_not_a_crash():
    q = Golden(id="x", question="q", expected_documents=["mofcom-gac-2025-18"], must_include=[["1C902"]])
    empty = {"answer": "", "refused": False, "citations": [], "passages": [], "measures": [], "timings_ms": {}}
    outcome = score_question(q, empty, [])
    assert outcome["retrieval_rank"] is None and not passed(outcome)
    assert totals([outcome])["hit@5"] == 0.0


def test_report_lists_failing_questions_with_expectations(engine):
    q = Golden(id="probe", question="Is holmium controlled?", as_of="2025-11-20", must_include=[["no such phrase"]])
    result = _result(engine.ask, [q])
    report = markdown_report(result, BASELINE, {"lodestone": result["totals"]}, [])
    assert "### probe: Is holmium controlled?" in report and "key facts 0/1" in report


def test_advisory_judge_scores_are_reported_but_never_gated(built_index, embedder):
    import http.server
    import threading

    from evals.runner import add_advisory_scores

    class StandIn(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({
                "id": "x", "object": "chat.completion", "created": 0, "model": "judge",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": '{"faithfulness": 2, "relevance": 3}'}}],
            }).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = dataclasses.replace(built_index, llm_url=f"http://127.0.0.1:{server.server_port}/v1", llm_model="judge")
        engine = Engine(settings, embedder=embedder)
        questions = [q for q in load_questions([]) if q.id in {"codes-001", "refusals-001"}]
        outcomes, answers = run_suite(Engine(built_index, embedder=embedder).ask, questions)
        result = {"totals": totals(outcomes), "questions": [o | {"answer_json": a} for o, a in zip(outcomes, answers)]}
        add_advisory_scores(result, engine.generator)
    finally:
        server.shutdown()
    assert result["advisory"] == {"scored": 1, "faithfulness": 2.0, "relevance": 3.0}
    assert check_gate(result, {"totals": result["totals"], "tolerance": 0.02}) == []
    assert "Advisory judge" in markdown_report(result, {}, {"lodestone": result["totals"]}, [])
