"""Incremental builds, atomic swaps, status, corpus problems: real Chroma, real model."""

import pytest

from assistant.config import Settings
from assistant.engine import Engine
from assistant.errors import IndexCorrupt, IndexNotBuilt
from assistant.store import build_index, index_status, open_index

NPR = "002_25c35de58450dbc1.txt"
LEMONDE = "000_10437c2651b725e6.txt"


def _settings(tmp_path, corpus, **overrides):
    return Settings.load({}, corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data", **overrides)


def test_incremental_build_embeds_only_what_changed(tmp_path, small_corpus, embedder):
    settings = _settings(tmp_path, small_corpus)
    first = build_index(settings, progress=False, embedder=embedder)
    assert first.full and first.embedded == first.chunks > 0

    unchanged = build_index(settings, progress=False, embedder=embedder)
    assert (unchanged.embedded, unchanged.removed, unchanged.chunks) == (0, 0, first.chunks)

    path = small_corpus / LEMONDE  # a capture: a line goes at the end of the article, before its byline
    body, tail = path.read_text().split("\nLe Monde with AFP\n", 1)
    path.write_text(f"{body}\nChina also added a new rule on holmium magnets for testing purposes today.\n\nLe Monde with AFP\n{tail}")
    manifest_before = open_index(settings).manifest.documents
    changed = build_index(settings, progress=False, embedder=embedder)
    npr_id, lemonde_id = "news-npr-2025-10-09", "news-lemonde-2025-10-09"
    old_ids, new_ids = set(manifest_before[lemonde_id]["chunks"]), set(open_index(settings).manifest.documents[lemonde_id]["chunks"])
    assert changed.embedded == len(new_ids - old_ids) >= 1  # only the chunk holding the new sentence
    assert changed.removed == len(old_ids - new_ids) and changed.embedded < len(new_ids)
    assert open_index(settings).chunk_with("holmium magnets for testing")
    assert open_index(settings).manifest.documents[npr_id] == manifest_before[npr_id]

    (small_corpus / NPR).unlink()
    (small_corpus / (NPR + ".meta.yaml")).unlink()
    deleted = build_index(settings, progress=False, embedder=embedder)
    index = open_index(settings)
    assert deleted.embedded == 0 and deleted.removed == len(manifest_before[npr_id]["chunks"])
    assert {row["document_id"] for row in index.chunks.values()} == {lemonde_id}
    assert index.vector_count() == len(index.chunks)


def test_chunking_change_rebuilds_everything(tmp_path, small_corpus, embedder):
    first = build_index(_settings(tmp_path, small_corpus), progress=False, embedder=embedder)
    again = build_index(_settings(tmp_path, small_corpus, chunk_tokens=120), progress=False, embedder=embedder)
    assert again.full and again.embedded == again.chunks and again.chunks > first.chunks


def test_a_change_to_the_code_that_makes_chunks_rebuilds_everything(tmp_path, small_corpus, embedder, monkeypatch):
    import assistant.store as store

    build_index(_settings(tmp_path, small_corpus), progress=False, embedder=embedder)
    monkeypatch.setattr(store, "ingest_fingerprint", lambda: "a-new-cleaner")  # as after an update of the cleaner
    again = build_index(_settings(tmp_path, small_corpus), progress=False, embedder=embedder)
    assert again.full and again.embedded == again.chunks  # no chunk the old code made is kept


def test_a_build_that_dies_halfway_leaves_the_old_index_answering(tmp_path, small_corpus, embedder, monkeypatch):
    settings = _settings(tmp_path, small_corpus)
    build_index(settings, progress=False, embedder=embedder)
    before = Engine(settings, embedder=embedder).ask("Halifax International Security Forum unreliable entity list")
    assert not before.refused

    (small_corpus / LEMONDE).write_text("A completely new text about samarium magnets and their export licences.\n")
    import assistant.store as store

    def explode(*args, **kwargs):
        raise RuntimeError("killed halfway")

    monkeypatch.setattr(store, "_keyword_index", explode)
    with pytest.raises(RuntimeError):
        build_index(settings, progress=False, embedder=embedder)
    monkeypatch.undo()

    after = Engine(settings, embedder=embedder).ask("Halifax International Security Forum unreliable entity list")
    assert after.answer == before.answer
    assert index_status(settings).changed == ["news-lemonde-2025-10-09"]
    rebuilt = build_index(settings, progress=False, embedder=embedder)
    assert rebuilt.embedded > 0 and not list((tmp_path / "index" / "builds").glob("*.partial"))


def test_unreadable_files_are_reported_by_name_and_skipped(tmp_path, small_corpus, embedder):
    (small_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (small_corpus / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (small_corpus / "broken.docx").write_bytes(b"PK not a zip")
    report = build_index(_settings(tmp_path, small_corpus), progress=False, embedder=embedder)
    assert report.documents == 2
    joined = "\n".join(report.problems)
    for name in ("broken.pdf", "binary.txt", "broken.docx"):
        assert name in joined
    assert "binary" in joined and "PDF" in joined


def test_html_pdf_and_docx_are_loaded(tmp_path, embedder):
    import docx
    from reportlab.pdfgen import canvas

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "page.html").write_text(
        "<html><body><nav>Home | Login | Subscribe</nav><article><h1>Terbium notice</h1>"
        "<p>Terbium metal exports need a dual-use licence from the commerce ministry since April 2025.</p>"
        "<p>Exporters apply through the online platform and wait up to forty-five working days.</p></article>"
        "<footer>Related posts</footer></body></html>"
    )
    pdf = canvas.Canvas(str(corpus / "notice.pdf"))
    pdf.drawString(72, 720, "Scandium oxide exports are listed under the April 2025 announcement.")
    pdf.save()
    document = docx.Document()
    document.add_paragraph("Yttrium alloys such as yttrium-aluminium are covered by the dual-use list.")
    document.save(corpus / "memo.docx")
    settings = _settings(tmp_path, corpus)
    report = build_index(settings, progress=False, embedder=embedder)
    assert report.problems == [] and report.documents == 3
    text = " ".join(row["text"] for row in open_index(settings).chunks.values())
    assert "Terbium metal exports need a dual-use licence" in text
    assert "Scandium oxide exports are listed" in text
    assert "Yttrium alloys" in text
    assert "Subscribe" not in text


def test_status_reports_corpus_changes(tmp_path, small_corpus, embedder):
    settings = _settings(tmp_path, small_corpus)
    build_index(settings, progress=False, embedder=embedder)
    assert not index_status(settings).stale
    (small_corpus / "new.md").write_text("---\nid: new-doc\ntitle: New\nkind: news\n---\nA new note on erbium exports.\n")
    status = index_status(settings)
    assert status.added == ["new-doc"] and status.stale and status.documents == 2


def test_missing_and_corrupt_index_give_actionable_errors(tmp_path, small_corpus, embedder):
    settings = _settings(tmp_path, small_corpus)
    with pytest.raises(IndexNotBuilt, match="Run: lodestone index build"):
        open_index(settings)
    build_index(settings, progress=False, embedder=embedder)
    live = (tmp_path / "index" / "live").resolve()
    (live / "chunks.sqlite3").write_text("{not json")
    with pytest.raises(IndexCorrupt, match="Run: lodestone index build"):
        open_index(settings)


def _age(folder, seconds=3600):
    """Date every file back, as files that were not just written (a build trusts only those to be unchanged)."""
    import os
    import time

    for path in folder.rglob("*"):
        os.utime(path, (time.time() - seconds, time.time() - seconds))


def _files_read(monkeypatch) -> list[str]:
    """The names of the files builds read from now on (each ``load_file`` call), in order."""
    import assistant.ingest.loaders as loaders

    read, load = [], loaders.load_file
    monkeypatch.setattr(loaders, "load_file", lambda path, *a: read.append(path.name) or load(path, *a))
    return read


def test_an_update_reads_only_the_files_that_changed(tmp_path, small_corpus, embedder, monkeypatch):
    settings = _settings(tmp_path, small_corpus)
    memo = small_corpus / "memo.txt"
    memo.write_text("Internal memo\n\n- Holmium oxide ships under internal order code HOX-2231.\n")
    _age(small_corpus)
    build_index(settings, progress=False, embedder=embedder)
    read = _files_read(monkeypatch)

    assert build_index(settings, progress=False, embedder=embedder).embedded == 0
    assert read == []  # nothing changed: no file is read again

    memo.write_text("Internal memo\n\n- Holmium oxide ships under internal order code HOX-9999.\n")  # same size
    changed = build_index(settings, progress=False, embedder=embedder)
    assert read == ["memo.txt"] and changed.embedded >= 1 and changed.unchanged_documents == changed.documents - 1
    engine = Engine(settings, embedder=embedder)
    assert "HOX-9999" in engine.ask("Which order code does holmium oxide ship under?").answer
    assert open_index(settings).chunk_with("HOX-2231") is None

    read.clear()
    full = build_index(settings, full=True, progress=False, embedder=embedder)
    assert sorted(read) == sorted(p.name for p in small_corpus.iterdir() if not p.name.endswith(".yaml"))
    assert full.full


def test_files_just_written_are_read_again_by_the_next_build(tmp_path, small_corpus, embedder, monkeypatch):
    """A write in the same clock tick as a build could leave size and time unchanged: such files are not trusted."""
    settings = _settings(tmp_path, small_corpus)
    build_index(settings, progress=False, embedder=embedder)  # the fixture's files were just written
    read = _files_read(monkeypatch)
    build_index(settings, progress=False, embedder=embedder)
    assert LEMONDE in read


def test_a_file_changed_while_a_build_reads_the_corpus_is_read_again_by_the_next(tmp_path, small_corpus, embedder, monkeypatch):
    """What a build records of a file is its size and times as it read it, not as they are when it finishes."""
    import os
    import time

    import assistant.ingest.loaders as loaders

    settings = _settings(tmp_path, small_corpus)
    memo = small_corpus / "memo.txt"
    memo.write_text("Internal memo\n\n- Erbium targets ship under internal order code ERB-1111.\n")
    _age(small_corpus)
    build_index(settings, progress=False, embedder=embedder)
    memo.write_text("Internal memo\n\n- Erbium targets ship under internal order code ERB-2222.\n")
    os.utime(memo, (time.time() - 1800, time.time() - 1800))
    load = loaders.load_file

    def read_then_edit(path, *args):
        loaded = load(path, *args)
        if path.name == "memo.txt":  # an editor saves the file again just after the build read it
            memo.write_text("Internal memo\n\n- Erbium targets ship under internal order code ERB-3333.\n")
            os.utime(memo, (time.time() - 900, time.time() - 900))
        return loaded

    monkeypatch.setattr(loaders, "load_file", read_then_edit)
    build_index(settings, progress=False, embedder=embedder)
    assert open_index(settings).chunk_with("ERB-2222")
    monkeypatch.setattr(loaders, "load_file", load)
    build_index(settings, progress=False, embedder=embedder)
    assert open_index(settings).chunk_with("ERB-3333") and not open_index(settings).chunk_with("ERB-2222")
