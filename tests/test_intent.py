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


def test_the_one_vs_rest_evasion_model_survives_a_round_trip_and_matches_scikit_learn(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from assistant.intent import IntentModel, fit

    texts, labels = read_examples()
    texts, labels = texts[::5], labels[::5]
    vectors = np.random.default_rng(1).normal(size=(len(texts), 8))
    model = fit(vectors, labels, texts)
    model.save(tmp_path / "model.npz")
    loaded = IntentModel.load(tmp_path / "model.npz")
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    features = _features(vectors, texts, vectorizer)
    alone = LogisticRegression(C=30.0, max_iter=3000, class_weight="balanced").fit(features, [x == "evasion" for x in labels])
    expected = alone.predict_proba(features)[:, 1]
    got = [loaded.predict(vectors[i], texts[i]).alone["evasion"] for i in range(len(texts))]
    assert np.allclose(got, expected, atol=1e-6)
    evasive = [g for g, label in zip(got, labels) if label == "evasion"]
    others = [g for g, label in zip(got, labels) if label != "evasion"]
    assert min(evasive) > 0.5 > max(others)  # it learned its training examples


def test_the_examples_cover_every_intent_with_at_least_25_phrasings():
    from collections import Counter

    from assistant.intent import INTENTS

    counts = Counter(read_examples()[1])
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 25
