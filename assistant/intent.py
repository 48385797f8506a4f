"""What a question asks for, learned from examples rather than word lists.

The examples live in ``assistant/data/intents*.jsonl`` (``{"intent", "text"}``
per line, at least 25 phrasings per intent, none taken from the eval suites).
A logistic regression over the bundled model's sentence vectors joined with
TF-IDF word uni- and bigrams (cross-validated accuracy 0.82 on vectors alone,
0.87 with both) is trained at index build and stored with the index, keyed by
the hash of the examples file, so a changed file retrains on the next build.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent / "data"  # every intents*.jsonl in it
INTENTS = (
    "applicability", "status", "coverage", "procedure", "definition", "changes",
    "reasons", "history", "party", "out_of_scope", "evasion", "advice",
)  # fmt: skip
DECLINED = {"out_of_scope", "evasion", "advice"}
REGULARISATION = 30.0  # inverse strength C; chosen by cross-validation on the examples (see evals/README.md)


@dataclass
class Prediction:
    intent: str
    confidence: float
    probabilities: dict[str, float]

    def probability(self, intent: str) -> float:
        return self.probabilities.get(intent, 0.0)


class IntentModel:
    """Sentence vector + TF-IDF words -> softmax over the intents, as plain arrays.

    Training uses scikit-learn; predicting needs only numpy (importing scikit-learn
    costs seconds at every cold start), and ``tests/test_intent.py`` checks that both
    give the same probabilities.
    """

    TOKEN = re.compile(r"(?u)\b\w\w+\b")  # TfidfVectorizer's default token pattern

    def __init__(self, classes: list[str], coef: np.ndarray, intercept: np.ndarray, terms: list[str], idf: np.ndarray):
        self.classes, self.coef, self.intercept = list(classes), np.asarray(coef), np.asarray(intercept)
        self.index = {t: i for i, t in enumerate(terms)}
        self.terms, self.idf = list(terms), np.asarray(idf)

    @classmethod
    def from_sklearn(cls, vectorizer, classifier) -> IntentModel:
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        return cls(list(classifier.classes_), classifier.coef_, classifier.intercept_, terms, vectorizer.idf_)

    def words(self, text: str) -> np.ndarray:
        """TF-IDF of word uni- and bigrams (sublinear tf, l2-normalised), as the vectorizer computes it."""
        tokens = self.TOKEN.findall(text.lower())
        grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
        row = np.zeros(len(self.terms))
        for gram, count in Counter(g for g in grams if g in self.index).items():
            row[self.index[gram]] = (1 + np.log(count)) * self.idf[self.index[gram]]
        norm = np.linalg.norm(row)
        return row / norm if norm else row

    def predict(self, vector, text: str = "") -> Prediction:
        features = np.concatenate([np.asarray(vector, dtype=float), self.words(text)])
        logits = self.coef @ features + self.intercept
        exp = np.exp(logits - logits.max())
        probs = exp / exp.sum()
        best = int(probs.argmax())
        return Prediction(self.classes[best], float(probs[best]), {c: float(p) for c, p in zip(self.classes, probs)})

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
        np.savez(partial, classes=np.array(self.classes), coef=self.coef, intercept=self.intercept,
                 terms=np.array(self.terms), idf=self.idf)  # fmt: skip
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        with np.load(path, allow_pickle=False) as data:
            return cls([str(c) for c in data["classes"]], data["coef"], data["intercept"],
                       [str(t) for t in data["terms"]], data["idf"])  # fmt: skip


def _features(vectors, texts, vectorizer):
    from scipy.sparse import csr_matrix, hstack

    return hstack([csr_matrix(np.asarray(vectors, dtype=float)), vectorizer.transform(texts)]).tocsr()


def fit(vectors: np.ndarray, labels: list[str], texts: list[str], c: float = REGULARISATION) -> IntentModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    classifier.fit(_features(vectors, texts, vectorizer), labels)
    return IntentModel.from_sklearn(vectorizer, classifier)


def example_files(path: Path = EXAMPLES) -> list[Path]:
    path = Path(path)
    return sorted(path.glob("intents*.jsonl")) if path.is_dir() else [path]


def read_examples(path: Path = EXAMPLES) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for file in example_files(path):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(row["intent"])
    return texts, labels


def embed(encoder, texts: list[str]) -> np.ndarray:
    if hasattr(encoder, "embed_texts"):
        return np.asarray(encoder.embed_texts(texts), dtype=float)
    return np.asarray([encoder.embed_query(t) for t in texts], dtype=float)


def model_file(index_dir, examples: Path = EXAMPLES) -> Path:
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in example_files(examples))).hexdigest()[:12]
    return Path(index_dir) / "intent" / f"model-{digest}.npz"


def ensure_intent_model(index_dir, encoder=None, examples: Path = EXAMPLES) -> Path:
    """Train and store the intent model for this examples file, unless it is there already."""
    target = model_file(index_dir, examples)
    if target.exists():
        return target
    if encoder is None:
        from assistant.models import query_encoder

        encoder = query_encoder(index_dir)
    texts, labels = read_examples(examples)
    fit(embed(encoder, texts), labels, texts).save(target)
    for old in target.parent.glob("model-*"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def load_intent_model(index_dir, encoder=None, examples: Path = EXAMPLES) -> IntentModel:
    """The stored model; trained in memory (never written into a live index) when it is missing."""
    target = model_file(index_dir, examples)
    if target.exists():
        return IntentModel.load(target)
    texts, labels = read_examples(examples)
    return fit(embed(encoder, texts), labels, texts)


def cross_validate(vectors: np.ndarray, labels: list[str], texts: list[str], folds: int = 5, c: float = REGULARISATION,
                   seed: int = 0) -> dict:  # fmt: skip
    """Accuracy and confusion table of stratified k-fold cross-validation."""
    from sklearn.model_selection import StratifiedKFold

    labels_arr = np.array(labels)
    predicted = np.empty(len(labels), dtype=object)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(vectors, labels_arr):
        model = fit(vectors[train], list(labels_arr[train]), [texts[i] for i in train], c)
        predicted[test] = [model.predict(vectors[i], texts[i]).intent for i in test]
    classes = sorted(set(labels))
    confusion = {t: {p: 0 for p in classes} for t in classes}
    for truth, guess in zip(labels, predicted):
        confusion[truth][guess] += 1
    correct = sum(t == p for t, p in zip(labels, predicted))
    return {
        "examples": len(labels),
        "folds": folds,
        "accuracy": round(correct / len(labels), 4),
        "per_intent": dict(Counter(labels)),
        "confusion": confusion,
    }
