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


def test_small_layers_are_folded_into_one_store_when_they_pile_up(settings, small_corpus, embedder):
    builds, names = [], []
    for n in range(MAX_LAYERS + 1):  # each update adds a memo: every earlier layer stays in use
        (small_corpus / f"memo-{n}.txt").write_text(f"Memo {n}: holmium magnets ship under order DXF-{n:04d}.\n")
        build_index(settings, progress=False, embedder=embedder)
        builds.append(_live(settings))
        names.append([layer.build for layer in read_layers(builds[-1])])
    assert max(len(n) for n in names) <= MAX_LAYERS
    live = _live(settings)
    assert len(names[MAX_LAYERS - 2]) == MAX_LAYERS  # layers piled up...
    base = names[MAX_LAYERS - 2][0]
    folds = [b for layers, b in zip(names, builds) if layers == [base, b.name]]
    assert folds  # ...until an update took the small layers into its own store and kept the big base
    index = open_index(settings)
    assert len(vector_ids(folds[0], settings)) < len(index.chunks) / 2  # the fold copied the small layers only
    assert index.vector_count() == len(index.chunks) and index_status(settings).damage == []
    assert [layer.build for layer in read_layers(live)] in ([base, live.name], [live.name], names[-1])
    assert sorted(p.name for p in (settings.index_dir / "builds").iterdir()) == sorted(
        {live.name} | {layer.build for layer in read_layers(live)} | set(segment_builds(live)) | {builds[-2].name}
    )  # the builds nobody reads any more (no vector layer, no keyword segment) are gone
    for build in (settings.index_dir / "builds").iterdir():  # those kept only for their vectors or postings are slim
        assert (build / "chunks.sqlite3").exists() == (build.name in {live.name, builds[-2].name})


def test_layers_holding_many_unused_vectors_are_compacted_into_one_store(settings, small_corpus, embedder):
    """Removed documents leave vectors behind in old layers: past a quarter unused, a build copies and prunes."""
    from assistant.store.layers import MAX_UNUSED_SHARE

    memos = []
    for n in range(4):
        memo = small_corpus / f"memo-{n}.txt"
        memo.write_text(" ".join(f"Memo {n} sentence {k} on holmium magnets under order DXF-{n}{k:03d}." for k in range(40)) + "\n")
        memos.append(memo)
    build_index(settings, progress=False, embedder=embedder)
    first = _live(settings)
    for memo in memos:  # delete a document per build until the unused vectors pass the share
        memo.unlink()
        build_index(settings, progress=False, embedder=embedder)
        live = _live(settings)
        if read_layers(live) == [] or [layer.build for layer in read_layers(live)] == [live.name]:
            break
    else:
        raise AssertionError(f"no full compaction after {MAX_UNUSED_SHARE:.0%} of vectors became unused")
    index = open_index(settings)
    assert index.vector_count() == len(index.chunks) and index_status(settings).damage == []
    assert len(vector_ids(live, settings)) == len(index.chunks)  # the unused vectors were dropped
    assert live != first
