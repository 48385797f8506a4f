from assistant.config import REPO_ROOT
from assistant.ingest.chunking import ChunkingParams, chunk_document, sections
from assistant.ingest.loaders import load_corpus
from assistant.models import MAX_WORD_PIECES, count_word_pieces
from assistant.schema import Document


def test_no_chunk_exceeds_what_the_model_embeds():
    documents, problems = load_corpus(REPO_ROOT / "corpus")
    assert problems == []
    for doc in documents:
        for chunk in chunk_document(doc):
            assert count_word_pieces(chunk.text) <= MAX_WORD_PIECES, (doc.id, chunk.text[:80])


def test_a_single_giant_sentence_is_still_split_to_fit():
    doc = Document(id="giant", path="giant.md", title="G", text="dysprosium " * 2000 + "oxide.")
    chunks = chunk_document(doc, ChunkingParams(chunk_tokens=200, chunk_overlap=0))
    assert len(chunks) > 5
    assert all(count_word_pieces(c.text) <= MAX_WORD_PIECES for c in chunks)


def test_chunks_keep_offsets_section_path_and_stable_ids():
    text = "# Law\n\nIntro sentence one here.\n\n## Dates\n\nIt took effect on 1 December 2020. It is still in force."
    doc = Document(id="law", path="law.md", title="Law", text=text)
    chunks = chunk_document(doc)
    assert [c.section for c in chunks] == ["Law", "Law > Dates"]
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
    assert [c.id for c in chunk_document(doc)] == [c.id for c in chunks]
    changed = Document(id="law", path="law.md", title="Law", text=text.replace("1 December", "2 December"))
    assert chunk_document(changed)[1].id != chunks[1].id
    assert chunk_document(changed)[0].id == chunks[0].id


def test_sections_cover_text_before_first_heading():
    assert sections("Preamble text.\n# A\nbody")[0] == ("", 0, 15)
