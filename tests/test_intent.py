"""The intent model: the numpy predictor equals scikit-learn's, and it learns from its examples."""

from __future__ import annotations

import numpy as np

from assistant.intent import _features, read_examples


def test_the_stored_model_predicts_what_scikit_learn_predicts():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from assistant.intent import IntentModel

    texts, labels = read_examples()
    texts, labels = texts[::7], labels[::7]
    vectors = np.random.default_rng(0).normal(size=(len(texts), 8))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    classifier = LogisticRegression(C=30.0, max_iter=3000, class_weight="balanced").fit(
        _features(vectors, texts, vectorizer), labels
    )
    model = IntentModel.from_sklearn(vectorizer, classifier)
    for i in range(0, len(texts), 5):
        expected = classifier.predict_proba(_features(vectors[i : i + 1], [texts[i]], vectorizer))[0]
        got = model.predict(vectors[i], texts[i]).probabilities
        assert np.allclose([got[c] for c in classifier.classes_], expected, atol=1e-9)


def test_the_examples_cover_every_intent_with_at_least_25_phrasings():
    from collections import Counter

    from assistant.intent import INTENTS

    counts = Counter(read_examples()[1])
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 25
