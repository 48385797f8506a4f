from hypothesis import given, settings
from hypothesis import strategies as st

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


def _library_pieces(text: str, budget: int, overlap: int) -> list[str]:
    from llama_index.core.node_parser import SentenceSplitter

    from assistant.models import pieces_of
    from assistant.sentences import sentence_pieces

    splitter = SentenceSplitter(
        chunk_size=budget, chunk_overlap=overlap, tokenizer=pieces_of, paragraph_separator="\n\n",
        chunking_tokenizer_fn=sentence_pieces,
    )  # fmt: skip
    return [] if not text else splitter.split_text(text)


def test_the_packer_cuts_the_built_in_corpus_as_llama_index_does():
    """The packing is written here only to spare a build the library's import: it must cut like the library,
    so an index made by either keeps the same chunks."""
    from assistant.ingest.chunking import BEFORE_LIST
    from assistant.ingest.packing import pack
    from assistant.models import pieces_of

    documents, _ = load_corpus(REPO_ROOT / "corpus")
    compared = 0
    for budget, overlap in [(200, 30), (40, 8), (16, 3)]:
        for doc in documents:
            for _, start, end in sections(doc.text):
                text = BEFORE_LIST.sub("\n ", doc.text[start:end])
                mine = pack(text, budget, overlap, lambda t: len(pieces_of(t)))
                assert mine == _library_pieces(text, budget, overlap), (doc.id, budget, overlap)
                compared += 1
    assert compared > 500


def test_a_one_document_build_does_not_import_llama_index(tmp_path):
    import subprocess
    import sys

    from assistant.config import REPO_ROOT

    (tmp_path / "memo.md").write_text(
        "---\nid: memo\ntitle: Memo\n---\n# Memo\n\nErbium oxide ships monthly. " * 1 + "Holmium too.\n"
    )
    script = (
        "import sys; from pathlib import Path; from assistant.ingest.loaders import load_corpus; "
        "from assistant.ingest.chunking import chunk_document; "
        f"docs, _ = load_corpus(Path({str(tmp_path)!r})); chunks = chunk_document(docs[0]); "
        "print(len(chunks), any(m.startswith('llama_index') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "False"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["Dysprosium oxide", " ships", ".", ",", ";", " ", "\n\n", "\n", "No. 61", "稀土。", "NdFeB", "Licence required! ", "1E902.b", "(a)", "A", "\t"]), max_size=120).map("".join),
    st.integers(16, 60),
    st.integers(0, 7),
)  # fmt: skip
def test_the_packer_cuts_any_text_as_llama_index_does(text, budget, overlap):
    from assistant.ingest.packing import pack
    from assistant.models import pieces_of

    assert pack(text, budget, overlap, lambda t: len(pieces_of(t))) == _library_pieces(text, budget, overlap)
