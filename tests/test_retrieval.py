"""Keyword search must find exact identifiers; fusion keeps dense recall."""

import pytest

from assistant.retrieval import HybridRetriever
from assistant.store import open_index


@pytest.fixture(scope="module")
def retriever(built_index, embedder):
    return HybridRetriever(open_index(built_index), embedder)


@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("1C902", "mofcom-gac-2025-18"),
        ("what is 1C909?", "mofcom-gac-2025-57"),
        ("1E902.b", "mofcom-2025-62"),
        ("HS 2846901940", "mofcom-gac-2025-18"),
        ("what did No. 70 do?", "mofcom-gac-2025-70"),
        ("explain 72/2025", "mofcom-2025-72"),
        ("Announcement 61 licence", "mofcom-2025-61"),
    ],
)
def test_exact_identifiers_are_found(retriever, question, document):
    top = [p.document_id for p in retriever.retrieve(question, 3)]
    assert document in top


def test_keyword_index_separates_sub_items(built_index):
    keyword = open_index(built_index).keyword
    hits = keyword.search("1E902.b", 5)
    index = open_index(built_index)
    assert "1E902.b" in index.chunks[hits[0][0]]["text"]


def test_top_k_is_validated(retriever):
    with pytest.raises(ValueError, match="top_k must be > 0, got 0"):
        retriever.retrieve("holmium", 0)


def test_passages_are_ranked_and_carry_metadata(retriever):
    passages = retriever.retrieve("Is dysprosium oxide controlled?", 5)
    assert [p.rank for p in passages] == [1, 2, 3, 4, 5]
    assert all(p.title and p.document.startswith("corpus/") for p in passages)
    assert passages[0].score >= passages[-1].score


def test_the_documents_a_question_names_rank_first(retriever):
    question = "Sintered magnets, 5% Dy, to a motor maker near Turin: what do we need?"
    plain = [p.document_id for p in retriever.retrieve(question, 5)]
    assert plain[0] != "mofcom-gac-2025-18"  # the fusion alone ranks another document first
    named = [p.document_id for p in retriever.retrieve(question, 5, documents=["mofcom-gac-2025-18"])]
    assert named[0] == "mofcom-gac-2025-18"
    assert named.count("mofcom-gac-2025-18") >= plain.count("mofcom-gac-2025-18")


def test_a_document_the_question_names_itself_leads_those_covering_its_items(retriever):
    question = "Can we sell samarium metal to MP Materials for their magnet plant?"
    broad = ["mofcom-gac-2025-18", "mofcom-2025-61", "mofcom-2026-06-22-us-entities"]
    listing = "mofcom-2026-06-22-us-entities"
    both = [p.document_id for p in retriever.retrieve(question, 10, documents=broad)]
    first = [p.document_id for p in retriever.retrieve(question, 10, documents=broad, first=[listing])]
    assert first.index(listing) < both.index(listing) and first.index(listing) < 3
