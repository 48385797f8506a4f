"""Questions are embedded by the ONNX export of the same model: the vectors must agree."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.models import QueryEncoder, encoder_path, query_encoder


def test_onnx_query_vectors_match_the_sentence_transformers_model(built_index, embedder):
    onnx = query_encoder(built_index.index_dir)
    assert isinstance(onnx, QueryEncoder)
    for text in ["Is holmium controlled?", "what's 1E902.b?", "Announcement No. 70 of 2025 suspended it " * 20]:
        a, b = np.array(onnx.embed_query(text)), np.array(embedder.embed_query(text))
        assert float(a @ b) > 0.9999


def test_a_damaged_export_falls_back_to_the_full_model(tmp_path, embedder):
    encoder_path(tmp_path).parent.mkdir(parents=True)
    encoder_path(tmp_path).write_bytes(b"not an onnx file")
    assert query_encoder(tmp_path) is embedder


def test_documents_embedded_by_the_onnx_export_match_the_sentence_transformers_model(built_index, embedder):
    """The adopted document encoder: length-sorted, padded batches give the reference model's vectors."""
    from assistant.models import document_encoder
    from assistant.store import open_index

    rows = list(open_index(built_index).chunks.values())
    texts = [r["text"] for r in rows[::5]] + ["1C909", "Is holmium controlled? " * 60]  # short, typical, truncated
    onnx, reference = np.array(document_encoder(built_index.index_dir).embed_texts(texts)), np.array(embedder.embed_texts(texts))
    cosines = (onnx * reference).sum(axis=1)
    assert len(texts) > 40 and float(cosines.min()) >= 0.999


def test_a_one_document_update_does_not_load_torch(tmp_path, small_corpus, embedder):
    import subprocess
    import sys

    from assistant.config import REPO_ROOT, Settings
    from assistant.store import build_index

    settings = Settings.load({}, corpus_dir=small_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    build_index(settings, progress=False, embedder=embedder)  # the first build exports the encoder
    (small_corpus / "memo.md").write_text("---\nid: memo\ntitle: Memo\nkind: document\n---\nErbium oxide ships monthly.\n")
    script = (
        "import sys; from assistant.config import Settings; from assistant.store import build_index; "
        f"r = build_index(Settings.load({{}}, corpus_dir={str(small_corpus)!r}, index_dir={str(settings.index_dir)!r}), progress=False); "
        "print(r.embedded, 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"}, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "False"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.lists(
    st.sampled_from(["NdFeB", "1E902.b", "Dy2O3", "稀土", "licence,", "\n\n", "\t", "—", "\u200b", "\xa0", " ", "x\x1cy", "é"]),
    max_size=40).map("".join))  # fmt: skip
def test_chunk_budgets_count_word_pieces_as_the_tokenizer_does(text):
    from assistant.models import pieces_of, word_pieces

    assert len(pieces_of(text)) == len(word_pieces(text))
