"""Questions are embedded by the ONNX export of the same model: the vectors must agree."""

import numpy as np

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
