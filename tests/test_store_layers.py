"""A build stores only the vectors it embedded: an update copies no earlier store, reads the rest from the
earlier builds it names as layers, answers only from its own chunks, and folds the layers together when they
pile up."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.engine import Engine
from assistant.keyword import segment_builds
from assistant.store import build_index, index_status, open_index
from assistant.store.integrity import vector_ids
from assistant.store.layers import MAX_LAYERS, read_layers

LEMONDE = "000_10437c2651b725e6.txt"


@pytest.fixture
def settings(tmp_path, small_corpus, embedder):
    settings = Settings.load({}, corpus_dir=small_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    build_index(settings, progress=False, embedder=embedder)
    return settings


def _live(settings):
    return (settings.index_dir / "live").resolve()


def _edit(corpus, n):
    (corpus / LEMONDE).write_text(f"Edition {n}: samarium exports need a licence, the ministry said today.\n")


def test_an_update_stores_only_the_new_vectors_and_reads_the_rest_from_the_first_build(settings, small_corpus, embedder):
    first = _live(settings)
    _edit(small_corpus, 1)
    report = build_index(settings, progress=False, embedder=embedder)
    live = _live(settings)
    assert report.embedded == 1 and live != first
    assert vector_ids(live, settings) and len(vector_ids(live, settings)) == 1  # its own store: one vector, no copy
    assert [layer.build for layer in read_layers(live)] == [first.name, live.name]
    assert first.is_dir() and index_status(settings).damage == []
    index = open_index(settings)
    assert index.vector_count() == len(index.chunks)
    hits = index.nearest(embedder.embed_query("Do samarium exports need a licence?"), 50)
    assert {i for i, _ in hits} <= set(index.chunks)  # the first build's vectors of the old text never come back
    answer = Engine(settings, embedder=embedder).ask("Do samarium exports need a licence?")
    assert "Edition 1" in " ".join(p.text for p in answer.passages)


def test_layers_are_folded_into_one_store_when_they_pile_up(settings, small_corpus, embedder):
    builds, names = [], []
    for n in range(MAX_LAYERS + 1):  # each update adds a memo: every earlier layer stays in use
        (small_corpus / f"memo-{n}.txt").write_text(f"Memo {n}: holmium magnets ship under order DXF-{n:04d}.\n")
        build_index(settings, progress=False, embedder=embedder)
        builds.append(_live(settings))
        names.append([layer.build for layer in read_layers(builds[-1])])
    assert max(len(n) for n in names) <= MAX_LAYERS
    live = _live(settings)
    assert [layer.build for layer in read_layers(live)] in ([live.name], names[-1])
    assert len(names[MAX_LAYERS - 2]) == MAX_LAYERS  # layers piled up...
    assert any(layers == [b.name] for layers, b in zip(names[1:], builds[1:]))  # ...until an update compacted
    index = open_index(settings)
    assert index.vector_count() == len(index.chunks) and index_status(settings).damage == []
    assert sorted(p.name for p in (settings.index_dir / "builds").iterdir()) == sorted(
        {live.name} | {layer.build for layer in read_layers(live)} | set(segment_builds(live)) | {builds[-2].name}
    )  # the builds nobody reads any more (no vector layer, no keyword segment) are gone
    for build in (settings.index_dir / "builds").iterdir():  # those kept only for their vectors or postings are slim
        assert (build / "chunks.sqlite3").exists() == (build.name in {live.name, builds[-2].name})
