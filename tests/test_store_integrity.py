"""A damaged index is noticed by status and build, and repaired by the next build
re-embedding only what is missing; ask never writes into a live build; abandoned
.partial builds go; a build never prunes a folder a reader still holds."""

from __future__ import annotations

import gc
import shutil

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.config import Settings
from assistant.engine import Engine
from assistant.errors import IndexCorrupt
from assistant.store import build_index, index_status, open_index
from assistant.store.live import Lease

LEMONDE = "000_10437c2651b725e6.txt"
QUESTION = "Halifax International Security Forum unreliable entity list"


@pytest.fixture
def settings(tmp_path, small_corpus, embedder, monkeypatch):
    settings = Settings.load({}, corpus_dir=small_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    build_index(settings, progress=False, embedder=embedder)
    monkeypatch.setenv("LODESTONE_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("LODESTONE_INDEX_DIR", str(tmp_path / "index"))
    return settings


def _live(settings):
    return (settings.index_dir / "live").resolve()


def _status_cli():
    return CliRunner().invoke(main, ["index", "status"])


def test_a_truncated_chunk_file_is_reported_and_repaired_without_embedding(settings, embedder):
    chunks = _live(settings) / "chunks.sqlite3"
    data = chunks.read_bytes()
    chunks.write_bytes(data[: len(data) // 2])
    status = index_status(settings)
    assert any("chunks.sqlite3" in d for d in status.damage) and status.stale
    shown = _status_cli()
    assert shown.exit_code == 1 and "Damaged:" in shown.stdout and "Corpus unchanged" not in shown.stdout
    report = build_index(settings, progress=False, embedder=embedder)
    assert report.repaired and report.embedded == 0  # the vectors survived: only the rows were rewritten
    assert index_status(settings).damage == []
    assert not Engine(settings, embedder=embedder).ask(QUESTION).refused


def test_missing_vectors_are_reported_and_only_they_are_embedded_again(settings, embedder):
    index = open_index(settings)
    some = sorted(index.chunks)[:7]
    index.collection.delete(ids=some)
    del index
    gc.collect()
    damage = index_status(settings).damage
    assert damage == [f"vectors: 7 of {len(open_chunks(settings))} chunks have no vector"]
    report = build_index(settings, progress=False, embedder=embedder)
    assert report.embedded == 7 and report.removed == 0 and report.repaired == damage
    assert index_status(settings).damage == []


def open_chunks(settings):
    from assistant.store.integrity import read_chunk_file

    return read_chunk_file(_live(settings)).rows


def test_a_deleted_vector_store_is_reported_ask_does_not_create_one_and_build_repairs(settings, embedder):
    live = _live(settings)
    shutil.rmtree(live / "chroma")
    assert any("Chroma store is missing" in d for d in index_status(settings).damage)
    asked = CliRunner().invoke(main, ["ask", QUESTION])
    assert asked.exit_code == 1 and "vectors (chroma/) are missing" in asked.stderr
    assert not (live / "chroma").exists()  # ask never writes into a live build
    report = build_index(settings, progress=False, embedder=embedder)
    assert report.repaired and report.embedded == report.chunks > 0
    assert index_status(settings).damage == []


def test_a_broken_live_link_is_reported_and_repaired(settings, embedder):
    shutil.rmtree(_live(settings))
    shown = _status_cli()
    assert shown.exit_code == 1 and "missing build" in shown.stderr
    with pytest.raises(IndexCorrupt, match="missing build"):
        open_index(settings)
    report = build_index(settings, progress=False, embedder=embedder)
    assert report.embedded == report.chunks > 0
    assert index_status(settings).damage == []


def test_every_build_removes_abandoned_partials_even_with_nothing_to_do(settings, embedder):
    builds = settings.index_dir / "builds"
    (builds / "20260101-000000-dead.partial" / "chroma").mkdir(parents=True)
    running = Lease.take(settings.index_dir, "20260101-000001-busy.partial")  # a build still running beside us
    (builds / "20260101-000001-busy.partial").mkdir()
    report = build_index(settings, progress=False, embedder=embedder)
    assert report.embedded == 0 and report.unchanged_documents == 2
    assert sorted(p.name for p in builds.glob("*.partial")) == ["20260101-000001-busy.partial"]
    running.release()


def test_a_build_never_prunes_a_folder_a_reader_holds(settings, small_corpus, embedder):
    engine = Engine(settings, embedder=embedder)
    engine.open()
    held = _live(settings)
    for n in range(3):
        (small_corpus / LEMONDE).write_text(f"Edition {n}: samarium exports need a licence, the ministry said today.\n")
        build_index(settings, progress=False, embedder=embedder)
    assert held.is_dir()  # three builds later, the folder the engine opened is still there
    answer = engine.ask("Do samarium exports need a licence?")
    assert not answer.refused and "Edition 2" in " ".join(p.text for p in answer.passages)  # switched to the newest
    del answer
    gc.collect()
    (small_corpus / LEMONDE).write_text("Edition 4: samarium exports need a licence, the ministry said today.\n")
    build_index(settings, progress=False, embedder=embedder)
    assert not held.exists()  # released once the engine moved on


def test_a_build_with_nothing_to_do_checks_the_vectors_without_importing_chromadb(settings, tmp_path):
    """Chroma's import alone takes half a second: the check reads the store's own record of ids instead."""
    import os
    import subprocess
    import sys

    from assistant.config import REPO_ROOT

    script = (
        "import sys; from assistant.config import Settings; from assistant.store import build_index; "
        f"s = Settings.load({{}}, corpus_dir={str(settings.corpus_dir)!r}, index_dir={str(settings.index_dir)!r}, "
        f"data_dir={str(tmp_path / 'data')!r}); r = build_index(s, progress=False); "
        "print(r.unchanged_documents == r.documents > 0, r.embedded, 'chromadb' in sys.modules)"
    )

    def build():
        env = {k: v for k, v in os.environ.items() if not k.startswith("LODESTONE_")} | {"PYTHONPATH": str(REPO_ROOT)}
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert build() == ["True", "0", "False"]
    index = open_index(settings)
    index.collection.delete(ids=sorted(index.chunks)[:3])
    del index
    gc.collect()
    _, embedded, _ = build()  # the same check sees the lost vectors, and the build puts them back
    assert embedded == "3"
