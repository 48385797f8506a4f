"""Run golden suites through the engine, write report.json/report.md, gate on a baseline.

    lodestone eval                          # all of evals/golden/*.jsonl
    lodestone eval --suite my.jsonl         # any file in the golden format
    lodestone eval --gate                   # exit 1 when a gated metric regressed
    lodestone eval --update-baseline        # accept this run as the new baseline
    lodestone eval --baselines              # also score plain llama-index and BM25-only
    lodestone eval --judge                  # advisory LLM scores (needs LODESTONE_LLM_URL; never gated)

The gate: every metric marked gated in ``evals/metrics.py`` may fall below its
baseline by at most ``tolerance`` (absolute, default 0.02, stored in the
baseline file); citation validity must stay at 1.0 whatever the baseline says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.config import REPO_ROOT, Settings
from assistant.errors import LodestoneError
from assistant.schema import Turn
from evals.metrics import DEFAULT_AS_OF, METRICS, Golden, load_suite, score_question, totals

DEFAULT_TOLERANCE = 0.02
GOLDEN_DIR = REPO_ROOT / "evals" / "golden"
# Tuning data (dev) and judging data (test, paraphrase) are kept apart; the gate covers all three.
GROUPS = {"dev": GOLDEN_DIR / "dev", "test": GOLDEN_DIR / "test", "paraphrase": REPO_ROOT / "evals" / "paraphrase"}


def run_cli(suites, report_dir, compare, gate, update_baseline, baselines, judge=False) -> int:
    questions = load_questions(suites)
    from assistant.engine import Engine

    engine = Engine(Settings.load())
    engine.open()  # no index: one clear message, not 138 failed questions
    if judge and engine.generator is None:
        raise LodestoneError("The advisory judge needs a generator: set LODESTONE_LLM_URL (see docs/llm.md).")
    outcomes, answers = run_suite(engine.ask, questions)
    result = {"totals": totals(outcomes), "groups": group_totals(questions, outcomes), "questions": _merge(outcomes, answers)}
    result["intent_model"] = intent_report(engine)
    if judge:
        add_advisory_scores(result, engine.generator)
    systems = {"lodestone": result["totals"]}
    if baselines:
        systems |= run_baselines(engine.settings, questions)
    baseline = _read_baseline(Path(compare))
    failures = check_gate(result, baseline) if baseline else []
    report = Path(report_dir)
    write_reports(report, result, baseline, systems, failures)
    print(summary(result["totals"], baseline, failures, report))
    if update_baseline:
        write_baseline(Path(compare), result, baseline.get("tolerance", DEFAULT_TOLERANCE) if baseline else DEFAULT_TOLERANCE)
        print(f"Baseline updated: {compare}")
        return 0
    return 1 if gate and failures else 0


def load_questions(suites) -> list[Golden]:
    paths = [(Path(s), "custom") for s in suites] or [
        (path, group) for group, folder in GROUPS.items() for path in sorted(folder.glob("*.jsonl"))
    ]
    if not paths:
        raise LodestoneError(f"No golden suites found in {GOLDEN_DIR}. Pass --suite FILE.")
    questions = []
    for path, group in paths:
        if not path.exists():
            raise LodestoneError(f"Suite file not found: {path}")
        try:
            for q in load_suite(path):
                q.suite = f"{group}/{path.name}"
                questions.append(q)
        except ValueError as e:
            raise LodestoneError(str(e)) from None
    return questions


def group_totals(questions: list[Golden], outcomes: list[dict]) -> dict:
    """Totals per group (dev, test, paraphrase), side by side."""
    groups: dict[str, list[dict]] = {}
    for q, o in zip(questions, outcomes):
        groups.setdefault(q.suite.split("/")[0], []).append(o)
    return {name: totals(rows) for name, rows in groups.items()}


def intent_report(engine) -> dict | None:
    """Cross-validated accuracy and confusion table of the intent classifier on its examples."""
    from assistant.intent import cross_validate, embed, read_examples

    state = engine._open()
    texts, labels = read_examples()
    return cross_validate(embed(state.understanding.encoder, texts), labels, texts)


def run_suite(ask, questions: list[Golden]) -> tuple[list[dict], list[dict]]:
    outcomes, answers = [], []
    for q in questions:
        history = [Turn(question=h) if isinstance(h, str) else Turn(**h) for h in q.history]
        try:
            answer = ask(q.question, as_of=q.as_of or DEFAULT_AS_OF, history=history)
            payload, ranked_docs = answer.to_json(), [p.document_id for p in answer.passages]
        except LodestoneError as error:
            payload = {"question": q.question, "answer": str(error), "refused": True, "citations": [], "passages": [],
                       "measures": [], "timings_ms": {"total": 0.0}}  # fmt: skip
            ranked_docs = []
        outcome = score_question(q, payload, ranked_docs)
        outcome["passed"] = passed(outcome)
        outcomes.append(outcome)
        answers.append(payload)
    return outcomes, answers


def passed(o: dict) -> bool:
    retrieval_ok = not o["expects_documents"] or (o["retrieval_rank"] is not None and o["retrieval_rank"] <= 5)
    return (
        retrieval_ok
        and o["citations_valid"][0] == o["citations_valid"][1]
        and o["key_facts"][0] == o["key_facts"][1]
        and not o["wrong_claims"]
        and o["status"][0] == o["status"][1]
        and o["refused"] == o["should_refuse"]
    )


def run_baselines(settings, questions) -> dict:
    from assistant.models import get_embedder
    from evals.baselines import Bm25Only, PlainLlamaIndex

    systems = {}
    for name, system in (("plain llama-index", PlainLlamaIndex(settings, get_embedder())), ("bm25 only", Bm25Only(settings))):
        outcomes, _ = run_suite(system.ask, questions)
        systems[name] = totals(outcomes)
    return systems


def add_advisory_scores(result: dict, generator) -> None:
    """Advisory judge scores per question and on average; the gate never reads them."""
    from evals.judge import AdvisoryJudge, summarise

    judge = AdvisoryJudge(generator)
    scores = []
    for q in result["questions"]:
        q["advisory_judge"] = None if q["answer_json"]["refused"] else judge.score(q["answer_json"])
        scores.append(q["advisory_judge"])
    result["advisory"] = summarise(scores)


def check_gate(result: dict, baseline: dict) -> list[str]:
    """Readable lines naming each gated metric that regressed and the questions that changed."""
    tolerance = float(baseline.get("tolerance", DEFAULT_TOLERANCE))
    failures = []
    if result["totals"]["citation_validity"] < 1.0:
        failures.append(
            f"citation_validity is {result['totals']['citation_validity']:.4f}; every cited quote must be in its passage (1.0)."
        )
    compared = [("all", result["totals"], baseline.get("totals", {}))]
    compared += [(g, t, baseline.get("groups", {}).get(g, {})) for g, t in result.get("groups", {}).items()]
    for group, now, before in compared:
        for metric, (higher_better, gated) in METRICS.items():
            if not gated or metric not in before:
                continue
            delta = now[metric] - before[metric]
            if (higher_better and delta < -tolerance) or (not higher_better and delta > tolerance):
                failures.append(f"{group}: {metric} fell from {before[metric]:.4f} to {now[metric]:.4f} (tolerance {tolerance}).")
    if failures:
        was_passing = {i for i, ok in baseline.get("passed", {}).items() if ok}
        regressed = [q["id"] for q in result["questions"] if not q["passed"] and q["id"] in was_passing]
        if regressed:
            failures.append("Questions that passed at the baseline and fail now: " + ", ".join(regressed))
    return failures


def _merge(outcomes: list[dict], answers: list[dict]) -> list[dict]:
    return [o | {"answer_json": a} for o, a in zip(outcomes, answers)]


def _read_baseline(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:
        raise LodestoneError(f"Baseline {path} is not valid JSON ({e}). Restore it from git or run --update-baseline.") from None


def write_baseline(path: Path, result: dict, tolerance: float) -> None:
    data = {
        "tolerance": tolerance,
        "totals": result["totals"],
        "groups": result.get("groups", {}),
        "passed": {q["id"]: q["passed"] for q in result["questions"]},
    }
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def write_reports(folder: Path, result: dict, baseline: dict, systems: dict, failures: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    (folder / "report.md").write_text(markdown_report(result, baseline, systems, failures), encoding="utf-8")


def markdown_report(result: dict, baseline: dict, systems: dict, failures: list[str]) -> str:
    now, before = result["totals"], baseline.get("totals", {}) if baseline else {}
    lines = [f"# Eval report ({now['questions']} questions)", ""]
    lines += ["| metric | this run | baseline | delta | gated |", "|---|---|---|---|---|"]
    for metric, (_, gated) in METRICS.items():
        base = before.get(metric)
        delta = f"{now[metric] - base:+.4f}" if base is not None else ""
        lines.append(f"| {metric} | {now[metric]} | {base if base is not None else ''} | {delta} | {'yes' if gated else ''} |")
    groups = result.get("groups", {})
    if groups:
        names = list(groups)
        lines += ["", "## Dev, test and paraphrase side by side", "", "| metric | " + " | ".join(names) + " |",
                  "|---" * (len(names) + 1) + "|"]  # fmt: skip
        lines += ["| questions | " + " | ".join(str(groups[n]["questions"]) for n in names) + " |"]
        for metric in METRICS:
            lines.append(f"| {metric} | " + " | ".join(str(groups[n][metric]) for n in names) + " |")
    intent = result.get("intent_model")
    if intent:
        classes = sorted(intent["confusion"])
        lines += ["", f"## Intent classifier ({intent['examples']} examples, {intent['folds']}-fold cross-validation)", "",
                  f"Accuracy: {intent['accuracy']}", "", "| true \\ predicted | " + " | ".join(classes) + " |",
                  "|---" * (len(classes) + 1) + "|"]  # fmt: skip
        for t in classes:
            lines.append(f"| {t} | " + " | ".join(str(intent["confusion"][t][p] or "") for p in classes) + " |")
    if len(systems) > 1:
        names = list(systems)
        lines += ["", "## Side by side", "", "| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for metric in METRICS:
            lines.append(f"| {metric} | " + " | ".join(str(systems[n][metric]) for n in names) + " |")
    if result.get("advisory"):
        a = result["advisory"]
        lines += ["", "## Advisory judge (LLM scores, 1-5; never gated)", ""]
        lines.append(f"- scored answers: {a['scored']}; faithfulness {a.get('faithfulness', '-')}; relevance {a.get('relevance', '-')}")
    lines += ["", "## Gate", ""] + ([f"- FAIL: {f}" for f in failures] or ["- pass"])
    failing = [q for q in result["questions"] if not q["passed"]]
    lines += ["", f"## Failing questions ({len(failing)})", ""]
    for q in failing:
        a = q["answer_json"]
        lines.append(f"### {q['id']}: {a['question']}")
        lines.append(f"- expected: {_expected(q)}")
        got = a["answer"].replace("\n", " ")[:400]
        lines.append(f"- got (refused={a['refused']}, retrieval rank={q['retrieval_rank']}): {got}")
        lines.append("")
    return "\n".join(lines) + "\n"


def _expected(q: dict) -> str:
    parts = []
    if q["should_refuse"]:
        parts.append("a refusal")
    if q["key_facts"][1]:
        parts.append(f"key facts {q['key_facts'][0]}/{q['key_facts'][1]}")
    if q["wrong_claims"]:
        parts.append(f"no {q['wrong_claims']}")
    if q["status"][1]:
        parts.append(f"statuses right {q['status'][0]}/{q['status'][1]}")
    if q["expects_documents"]:
        parts.append("an expected document in the top 5")
    return "; ".join(parts)


def summary(now: dict, baseline: dict, failures: list[str], report: Path) -> str:
    shown = ", ".join(f"{m}={now[m]}" for m in METRICS)
    text = f"Evals: {now['questions']} questions: {shown}\nReport: {report / 'report.md'}"
    if failures:
        text += "\nGATE FAILED:\n" + "\n".join(f"  - {f}" for f in failures)
    elif baseline:
        text += "\nGate: no gated metric fell below the baseline."
    return text


if __name__ == "__main__":
    sys.exit(run_cli([], "evals/report", "evals/baseline.json", True, False, False))
