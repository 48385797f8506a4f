"""Loaders lose no line: for a plain memo, an HTML page, a DOCX and a PDF made
here, every non-blank line of the source reaches some chunk. Only a web
capture is cleaned, and what the cleaner drops is reported."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from assistant.config import REPO_ROOT
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_file, read_corpus

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzDXF0123456789-./%", min_size=1, max_size=12).filter(
    lambda w: w.strip("-./%")
)
PLAIN_LINE = st.lists(WORD, min_size=1, max_size=14).map(" ".join)
MEMO_LINE = st.one_of(
    PLAIN_LINE,
    PLAIN_LINE.map(lambda s: f"- {s}"),
    PLAIN_LINE.map(lambda s: f"To: {s}"),
    PLAIN_LINE.map(lambda s: f"{s.capitalize()}."),
    PLAIN_LINE.map(lambda s: f"## {s}"),
)
LINES = st.lists(MEMO_LINE, min_size=1, max_size=30)
PROPERTY = settings(
    max_examples=15,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a chunked document takes minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

MEMO = """To: Export compliance team
From: Logistics
Date: 3 November 2026
Subject: Shipments under the new licence rules

Please check before each shipment:
- licence number
- end-user certificate
- control code on the invoice
- HS code

- Dysprosium-iron alloy for the Osaka customer ships under internal order code DXF-7781
Warehouse B holds the samarium stock
Questions to Wei in trade compliance
"""


def _flat(text: str) -> str:
    return " ".join(text.split())


def _lost_lines(lines: list[str], path: Path) -> list[str]:
    """Source lines (markup marks aside) missing from the loaded text, or text no chunk covers.

    A line may straddle two chunks, so coverage is checked on the chunks' spans:
    every non-blank character of the document lies in some chunk, and each chunk
    is exactly the text of its span.
    """
    doc = load_file(path).document
    text = _flat(doc.text)
    lost = [_flat(line.lstrip("#- ")) for line in lines if line.strip("#- ").strip()]
    lost = [line for line in lost if line not in text]
    covered = [False] * len(doc.text)
    for chunk in chunk_document(doc):
        assert doc.text[chunk.start : chunk.end] == chunk.text
        covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)
    uncovered = "".join(c if not ok and not c.isspace() else " " for c, ok in zip(doc.text, covered))
    return lost + uncovered.split()


def test_a_plain_memo_keeps_every_line(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text(MEMO, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.dropped == []
    assert _lost_lines(MEMO.splitlines(), path) == []
    assert "DXF-7781" in loaded.document.text


@PROPERTY
@given(lines=LINES)
def test_txt_loader_keeps_every_line(tmp_path, lines):
    path = tmp_path / "note.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _lost_lines(lines, path) == []


@PROPERTY
@given(lines=LINES)
def test_html_loader_keeps_every_line(tmp_path, lines):
    path = tmp_path / "mail.html"
    body = []
    for i, line in enumerate(lines):
        text = line.lstrip("#- ")
        body.append(
            [f"<p>{text}</p>", f"<ul><li>{text}</li></ul>", f"<h3>{text}</h3>", f"<table><tr><td>{text}</td></tr></table>",
             f"<div>{text}<br></div>"][i % 5]
        )  # fmt: skip
    path.write_text(f"<html><head><title>Mail</title></head><body><nav><a>Home</a></nav>{''.join(body)}</body></html>")
    assert _lost_lines(lines, path) == []
    assert "Home" not in load_file(path).document.text


@PROPERTY
@given(lines=LINES)
def test_docx_loader_keeps_every_line(tmp_path, lines):
    import docx

    document = docx.Document()
    for i, line in enumerate(lines):
        text = line.lstrip("#- ")
        if i % 4 == 1:
            document.add_heading(text, level=2)
        elif i % 4 == 2:
            document.add_paragraph(text, style="List Bullet")
        elif i % 4 == 3:
            document.add_table(rows=1, cols=1).rows[0].cells[0].text = text
        else:
            document.add_paragraph(text)
    path = tmp_path / "note.docx"
    document.save(path)
    assert _lost_lines(lines, path) == []


@PROPERTY
@given(lines=LINES)
def test_pdf_loader_keeps_every_line(tmp_path, lines):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    y = 800
    for line in lines:
        if y < 60:
            pdf.showPage()
            y = 800
        pdf.setFont("Helvetica", 7)
        pdf.drawString(30, y, line)
        y -= 14
    pdf.save()
    path = tmp_path / "note.pdf"
    path.write_bytes(buffer.getvalue())
    assert _lost_lines(lines, path) == []


def test_a_broken_pdf_warning_names_its_file(tmp_path):
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Samarium licences are reviewed within 45 working days.")
    pdf.save()
    path = tmp_path / "cut.pdf"
    path.write_bytes(buffer.getvalue().replace(b"%%EOF", b"%%EO"))  # cut short by a bad download
    corpus = read_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == [str(path)]
    assert corpus.warnings and all(w.startswith(f"{path}:") for w in corpus.warnings)
    assert any("EOF" in w for w in corpus.warnings)


@pytest.mark.parametrize("declared", [False, True])
def test_seed_capture_is_cleaned_by_traits_or_by_its_sidecar(tmp_path, declared):
    seed = REPO_ROOT / "corpus" / "002_25c35de58450dbc1.txt"
    shutil.copy(seed, tmp_path / seed.name)
    sidecar = (REPO_ROOT / "corpus" / (seed.name + ".meta.yaml")).read_text()
    if declared:
        sidecar = sidecar.replace("kind: news", "kind: web-capture")
    (tmp_path / (seed.name + ".meta.yaml")).write_text(sidecar)
    corpus = read_corpus(tmp_path)
    assert corpus.problems == []
    ((path, dropped),) = corpus.dropped.items()
    assert path.endswith(seed.name) and len(dropped) > 50
    assert "• Login" in dropped and "• Top Stories" in dropped
    text = corpus.documents[0].text
    kept_lines = [_flat(line) for line in seed.read_text().splitlines() if line.strip() and _flat(line) not in dropped]
    assert all(line in _flat(text) for line in kept_lines)


def test_seed_000_is_a_capture_too_its_article_kept_and_its_related_links_dropped(tmp_path):
    seed = REPO_ROOT / "corpus" / "000_10437c2651b725e6.txt"
    shutil.copy(seed, tmp_path / seed.name)
    shutil.copy(REPO_ROOT / "corpus" / (seed.name + ".meta.yaml"), tmp_path / (seed.name + ".meta.yaml"))
    corpus = read_corpus(tmp_path)
    text = _flat(corpus.documents[0].text)
    assert "must obtain permission for technologies used for rare-earth mining and smelting" in text
    assert "Morning Headlines" not in text and "Visited 1 times" not in text  # a view counter and a related-links list
    dropped = corpus.dropped[str(tmp_path / seed.name)]
    assert all(_flat(line) in text or _flat(line) in map(_flat, dropped) for line in seed.read_text().splitlines() if line.strip())


def test_a_memo_declared_as_capture_is_cleaned_and_its_drops_reported(tmp_path):
    (tmp_path / "memo.txt").write_text(MEMO + "The new licence rules apply to every shipment from Monday onwards.\n")
    (tmp_path / "memo.txt.meta.yaml").write_text("kind: web-capture\n")
    corpus = read_corpus(tmp_path)
    assert corpus.problems == []
    assert "- HS code" in corpus.dropped[str(tmp_path / "memo.txt")]


def test_build_says_how_many_lines_of_which_file_were_dropped_and_status_shows_them(tmp_path, small_corpus, monkeypatch):
    from click.testing import CliRunner

    from assistant.cli import main

    (small_corpus / "memo.txt").write_text(MEMO)
    monkeypatch.setenv("LODESTONE_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("LODESTONE_INDEX_DIR", str(tmp_path / "index"))
    built = CliRunner().invoke(main, ["index", "build"])
    assert built.exit_code == 0, built.output
    notes = [line for line in built.stderr.splitlines() if "cleaner dropped" in line]
    assert len(notes) == 2 and "002_25c35de58450dbc1.txt" in notes[1]  # both seed captures; the memo loses nothing
    assert "000_10437c2651b725e6.txt" in notes[0]
    count = int(notes[1].split("dropped ")[1].split()[0])
    shown = CliRunner().invoke(main, ["index", "status", "--dropped", "002_25c35de58450dbc1.txt"])
    assert shown.exit_code == 0
    assert f"{count} lines dropped" in shown.stdout
    assert len([line for line in shown.stdout.splitlines() if line.startswith("  ")]) == count
    assert "• Top Stories" in shown.stdout
    memo = CliRunner().invoke(main, ["index", "status", "--dropped", "memo.txt"])
    assert "0 lines dropped" in memo.stdout
