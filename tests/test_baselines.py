"""The comparison baselines answer in the engine's shape, with a quote that is really there."""

from __future__ import annotations

import pytest

from evals.baselines import Bm25Only, PlainLlamaIndex


@pytest.fixture(scope="module")
def baselines(built_index, embedder):
    return [PlainLlamaIndex(built_index, embedder), Bm25Only(built_index)]


def test_baselines_quote_their_top_passage(baselines):
    for baseline in baselines:
        answer = baseline.ask("What is control code 1C909?")
        assert answer.passages, baseline.generator
        assert [p.rank for p in answer.passages] == list(range(1, len(answer.passages) + 1))
        assert not answer.refused and answer.generator == baseline.generator
        assert answer.citations[0].quote in answer.passages[0].text
        assert answer.answer.endswith(" [1]")
