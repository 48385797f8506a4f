"""Deterministic answer-quality metrics (no LLM in the gate).

Each question is scored on its own (``score_question``); ``totals`` aggregates.
An empty retrieval is a miss, not a crash.

>>> q = Golden(id="x", question="?", expected_documents=["d"], must_include=[["1C909"]])
>>> outcome = score_question(q, {"answer": "1C909 [1]", "refused": False, "citations": [], "passages": [],
...                              "measures": [], "timings_ms": {"total": 5}}, [])
>>> outcome["key_facts"]
[1, 1]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.citations import verify_quote

# metric -> (higher is better, gated)
METRICS = {
    "hit@1": (True, False),
    "hit@5": (True, True),
    "mrr": (True, True),
    "citation_validity": (True, True),
    "citation_coverage": (True, True),
    "key_fact_recall": (True, True),
    "wrong_claim_rate": (False, True),
    "status_accuracy": (True, True),
    "refusal_precision": (True, True),
    "refusal_recall": (True, True),
    "latency_p50_ms": (False, False),
    "latency_p95_ms": (False, False),
}
DEFAULT_AS_OF = "2026-11-24"


@dataclass
class Golden:
    id: str
    question: str
    as_of: str | None = None
    history: list = field(default_factory=list)
    expected_documents: list = field(default_factory=list)
    must_include: list = field(default_factory=list)
    must_not_include: list = field(default_factory=list)
    expected_status: dict = field(default_factory=dict)
    should_refuse: bool = False
    tags: list = field(default_factory=list)
    suite: str = ""


def load_suite(path: Path) -> list[Golden]:
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(Golden(**row, suite=Path(path).name))
        except (ValueError, TypeError) as e:
            raise ValueError(f"{path}:{number}: not a golden question ({e})") from None
    return questions


def score_question(q: Golden, answer: dict, passage_document_ids: list[str]) -> dict:
    """Outcome of one question; answer is the Answer JSON, passage ids in rank order."""
    text = answer["answer"].lower()
    rank = next((i + 1 for i, d in enumerate(passage_document_ids) if d in q.expected_documents), None)
    cited = {c.get("document_id") for c in answer["citations"]}
    by_rank = {p["rank"]: p["text"] for p in answer["passages"]}
    valid = [verify_quote(c["quote"], by_rank.get(c.get("passage"), "")) for c in answer["citations"]]
    satisfied = sum(any(alt.lower() in text for alt in group) for group in q.must_include)
    wrong = [phrase for phrase in q.must_not_include if phrase.lower() in text]
    measures = {m["id"]: m["status"] for m in answer.get("measures", [])}
    status_ok = sum(measures.get(mid) == status for mid, status in q.expected_status.items())
    return {
        "id": q.id,
        "retrieval_rank": rank,
        "expects_documents": bool(q.expected_documents) and not q.should_refuse,
        "citations_valid": [sum(valid), len(valid)],
        "coverage": [len(cited & set(q.expected_documents)) > 0, 1] if q.expected_documents and not q.should_refuse else None,
        "key_facts": [satisfied, len(q.must_include)] if not q.should_refuse else [0, 0],
        "wrong_claims": wrong,
        "status": [status_ok, len(q.expected_status)],
        "refused": answer["refused"],
        "should_refuse": q.should_refuse,
        "latency_ms": answer["timings_ms"].get("total", 0.0),
    }


def totals(outcomes: list[dict]) -> dict:
    ranks = [o["retrieval_rank"] for o in outcomes if o["expects_documents"]]
    refused = [o for o in outcomes if o["refused"]]
    should = [o for o in outcomes if o["should_refuse"]]
    latencies = sorted(o["latency_ms"] for o in outcomes) or [0.0]
    return {
        "questions": len(outcomes),
        "hit@1": _share([r == 1 for r in ranks]),
        "hit@5": _share([r is not None and r <= 5 for r in ranks]),
        "mrr": _mean([1.0 / r if r else 0.0 for r in ranks]),
        "citation_validity": _ratio([o["citations_valid"] for o in outcomes], empty=1.0),
        "citation_coverage": _share([o["coverage"][0] for o in outcomes if o["coverage"]]),
        "key_fact_recall": _ratio([o["key_facts"] for o in outcomes], empty=1.0),
        "wrong_claim_rate": _share([bool(o["wrong_claims"]) for o in outcomes]),
        "status_accuracy": _ratio([o["status"] for o in outcomes], empty=1.0),
        "refusal_precision": _share([o["should_refuse"] for o in refused], empty=1.0),
        "refusal_recall": _share([o["refused"] for o in should], empty=1.0),
        "latency_p50_ms": _percentile(latencies, 50),
        "latency_p95_ms": _percentile(latencies, 95),
    }


def _share(flags: list[bool], empty: float = 0.0) -> float:
    return round(sum(bool(f) for f in flags) / len(flags), 4) if flags else empty


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _ratio(pairs: list[list[int]], empty: float) -> float:
    num, den = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    return round(num / den, 4) if den else empty


def _percentile(values: list[float], p: int) -> float:
    index = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return round(values[index], 1)
