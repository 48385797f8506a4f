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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent / "data"  # every intents*.jsonl in it
INTENTS = (
    "applicability", "status", "coverage", "procedure", "definition", "changes",
    "reasons", "history", "party", "out_of_scope", "evasion", "advice",
)  # fmt: skip
DECLINED = {"out_of_scope", "evasion", "advice"}
# Intents also scored one against all the others. In the softmax, a request worded as a plan ("ship the Gd to a Hong
# Kong affiliate first, so we never have to file") splits its weight between evasion and applicability and can fall
# under the floor; a one-vs-rest model of evasion alone is not split that way (see evals/README.md, "Declining").
ALONE = ("evasion",)
FORMAT = 2  # bump when what a stored model holds changes, so that the next build retrains it
REGULARISATION = 30.0  # inverse strength C; chosen by cross-validation on the examples (see evals/README.md)


@dataclass
class Prediction:
    intent: str
    confidence: float
    probabilities: dict[str, float]
    alone: dict[str, float] = field(default_factory=dict)  # one-vs-rest probability of each intent in ALONE

    def probability(self, intent: str) -> float:
        return self.probabilities.get(intent, 0.0)


class IntentModel:
    """Sentence vector + TF-IDF words -> softmax over the intents, as plain arrays.

    Training uses scikit-learn; predicting needs only numpy (importing scikit-learn
    costs seconds at every cold start), and ``tests/test_intent.py`` checks that both
    give the same probabilities.
    """

    TOKEN = re.compile(r"(?u)\b\w\w+\b")  # TfidfVectorizer's default token pattern

    def __init__(self, classes: list[str], coef: np.ndarray, intercept: np.ndarray, terms: list[str], idf: np.ndarray,
                 alone: dict[str, tuple[np.ndarray, float]] | None = None):  # fmt: skip
        self.classes, self.coef, self.intercept = list(classes), np.asarray(coef), np.asarray(intercept)
        self.index = {t: i for i, t in enumerate(terms)}
        self.terms, self.idf = list(terms), np.asarray(idf)
        self.alone = {name: (np.asarray(w).ravel(), float(b)) for name, (w, b) in (alone or {}).items()}

    @classmethod
    def from_sklearn(cls, vectorizer, classifier, alone: dict | None = None) -> IntentModel:
        """``alone``: intent -> a binary classifier of that intent against the rest, fitted on the same features."""
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        heads = {name: (c.coef_[0], float(c.intercept_[0])) for name, c in (alone or {}).items()}
        return cls(list(classifier.classes_), classifier.coef_, classifier.intercept_, terms, vectorizer.idf_, heads)

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
        alone = {name: float(1.0 / (1.0 + np.exp(-(w @ features + b)))) for name, (w, b) in self.alone.items()}
        return Prediction(self.classes[best], float(probs[best]), {c: float(p) for c, p in zip(self.classes, probs)}, alone)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
        heads = {f"alone_{name}_coef": w for name, (w, _) in self.alone.items()}
        heads |= {f"alone_{name}_intercept": np.array(b) for name, (_, b) in self.alone.items()}
        np.savez(partial, classes=np.array(self.classes), coef=self.coef, intercept=self.intercept,
                 terms=np.array(self.terms), idf=self.idf, **heads)  # fmt: skip
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        with np.load(path, allow_pickle=False) as data:
            alone = {name: (data[f"alone_{name}_coef"], float(data[f"alone_{name}_intercept"]))
                     for name in ALONE if f"alone_{name}_coef" in data.files}  # fmt: skip
            return cls([str(c) for c in data["classes"]], data["coef"], data["intercept"],
                       [str(t) for t in data["terms"]], data["idf"], alone)  # fmt: skip


def _features(vectors, texts, vectorizer):
    from scipy.sparse import csr_matrix, hstack

    return hstack([csr_matrix(np.asarray(vectors, dtype=float)), vectorizer.transform(texts)]).tocsr()


def fit(vectors: np.ndarray, labels: list[str], texts: list[str], c: float = REGULARISATION) -> IntentModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    features = _features(vectors, texts, vectorizer)
    classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(features, labels)
    alone = {name: LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(features, [x == name for x in labels])
             for name in ALONE if name in labels}  # fmt: skip
    return IntentModel.from_sklearn(vectorizer, classifier, alone)


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
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in example_files(examples)) + bytes([FORMAT])).hexdigest()[:12]
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
