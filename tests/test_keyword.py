"""The segmented BM25 index scores as bm25s does over the same chunks, however the chunks arrived."""

from __future__ import annotations

import random

import bm25s
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.keyword import KeywordIndex, Terms, english_stemmer, library_stopwords

WORDS = (
    "export licence dysprosium terbium magnet magnets oxide holmium gallium germanium control controls controlled "
    "announcement suspension suspended applies applying applied end user certificate the of and to in for under "
    "1C909 1E902.b No. 61 62/2025 2805301000 MOFCOM customs declaration shipment shipments review days"
).split()


def corpus(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 40))) for _ in range(n)]


def bm25s_scores(texts: list[str], question: str) -> dict[int, float]:
    """The reference: bm25s over the same texts (its tokenizer, stop words and stemmer, as terms are made)."""
    terms = Terms(library_stopwords())
    reference = bm25s.BM25()
    reference.index(bm25s.tokenize([" ".join(terms(t)) or "zzz" for t in texts], stopwords=None, show_progress=False),
                    show_progress=False)  # fmt: skip
    scores = reference.get_scores(terms(question))
    return {i: float(s) for i, s in enumerate(scores) if s > 0}


def check_equal(index: KeywordIndex, ids: list[str], texts: list[str], question: str) -> None:
    expected = bm25s_scores(texts, question)
    got = dict(index.search(question, len(ids)))
    assert set(got) == {ids[i] for i in expected}
    for i, score in expected.items():
        assert got[ids[i]] == pytest.approx(score, rel=1e-4)


def test_terms_are_made_as_bm25s_makes_them():
    text = "The Exports of sintered NdFeB magnets, under 1E902.b and No. 61 of 2025; HS 2805301000."
    ours = Terms(library_stopwords())(text)
    from assistant.keyword import searchable

    theirs = bm25s.tokenize([searchable(text)], stopwords="en", stemmer=english_stemmer(), show_progress=False,
                            return_ids=False)[0]  # fmt: skip
    assert ours == theirs


def test_one_segment_scores_as_bm25s():
    texts = corpus(1, 60)
    ids = [f"c{i}" for i in range(len(texts))]
    index = KeywordIndex.create("b1", ids, texts)
    for question in ("dysprosium magnets export licence", "1E902.b", "No. 61", "holmium oxide under suspension"):
        check_equal(index, ids, texts, question)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(0, 2), min_size=1, max_size=12))
def test_segments_built_by_updates_score_as_one_index_of_the_live_chunks(seed, steps):
    """Chunks added and removed over many builds (segments, masks, merges) score as bm25s over what is live."""
    rng = random.Random(seed)
    pool = corpus(seed, 40)
    live: dict[str, str] = {f"c{i}": t for i, t in enumerate(pool[:10])}
    index = KeywordIndex.create("b0", list(live), list(live.values()))
    for n, step in enumerate(steps, start=1):
        if step == 0 and len(live) > 1:  # remove one
            live.pop(rng.choice(sorted(live)))
            added = {}
        elif step == 1:  # add a few
            added = {f"c{len(live) + n * 100 + j}": rng.choice(pool) for j in range(rng.randint(1, 4))}
        else:  # change one: same id, new text
            key = rng.choice(sorted(live))
            added = {key: rng.choice(pool)}
        live.update(added)
        index = index.updated(f"b{n}", set(live), list(added), list(added.values()))
        assert index.ids() == set(live)
    ids, texts = list(live), list(live.values())
    for question in ("dysprosium magnets", "export licence review days", "1C909 controls"):
        check_equal(index, ids, texts, question)


def test_an_index_saved_and_opened_from_several_builds_searches_the_same(tmp_path):
    texts = corpus(3, 30)
    first, second = tmp_path / "builds" / "b1", tmp_path / "builds" / "b2"
    index = KeywordIndex.create("b1", [f"c{i}" for i in range(20)], texts[:20])
    index.save(first)
    updated = KeywordIndex.load(first).updated("b2", {f"c{i}" for i in range(5, 30)}, [f"c{i}" for i in range(20, 30)],
                                               texts[20:])  # fmt: skip
    updated.save(second)
    opened = KeywordIndex.load(second)
    assert opened.ids() == {f"c{i}" for i in range(5, 30)}
    question = "gallium germanium export"
    assert opened.search(question, 10) == updated.search(question, 10)
    check_equal(opened, [f"c{i}" for i in range(5, 30)], texts[5:30], question)


def test_a_question_of_stop_words_or_unknown_terms_finds_nothing():
    index = KeywordIndex.create("b1", ["a", "b"], ["Holmium oxide exports", "Gallium exports"])
    assert index.search("the of and", 5) == []
    assert index.search("zirconium", 5) == []
    assert [i for i, _ in index.search("holmium", 5)] == ["a"]
    assert np.isfinite(index.search("exports", 5)[0][1])


def test_many_small_updates_keep_few_segments_and_the_same_scores():
    from assistant.keyword import MAX_SEGMENTS

    texts = corpus(7, 40)
    live = {f"c{i}": texts[i] for i in range(20)}
    index = KeywordIndex.create("b0", list(live), list(live.values()))
    for n in range(20, 40):  # one chunk per build
        live[f"c{n}"] = texts[n]
        index = index.updated(f"b{n}", set(live), [f"c{n}"], [texts[n]])
        assert len(index.segments) <= MAX_SEGMENTS
    assert index.segments[0].build == "b0"  # the big first segment was never rewritten
    check_equal(index, list(live), list(live.values()), "dysprosium export licence")
