"""Shared fixtures: real Chroma on a temporary folder, the real bundled model
(loaded once per test session), the real corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT, Settings, set_offline_environment

set_offline_environment()

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def embedder():
    from assistant.models import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder) -> Settings:
    """Settings pointing at an index built once from the real corpus."""
    root = tmp_path_factory.mktemp("lodestone")
    settings = Settings.load(
        {}, corpus_dir=REPO_ROOT / "corpus", index_dir=root / "index", data_dir=root / "data", as_of="2026-11-24"
    )
    from assistant.store import build_index

    build_index(settings, progress=False, embedder=embedder)
    return settings


@pytest.fixture(scope="session")
def engine(built_index, embedder):
    from assistant.engine import Engine

    return Engine(built_index, embedder=embedder)


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A private copy of the two seed captures (plus sidecars) to change freely."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in (REPO_ROOT / "corpus").glob("00*"):
        shutil.copy(path, corpus / path.name)
    return corpus


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
