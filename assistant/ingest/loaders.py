"""File -> Document: one loader per format, plus metadata and cleaning.

A file that can't be read raises ``DocumentUnreadable`` naming the file and the
reason; ``load_corpus`` reports it and goes on with the rest.

>>> from pathlib import Path
>>> docs, problems = load_corpus(Path("corpus"))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from assistant.config import REPO_ROOT
from assistant.errors import CorpusError, DocumentUnreadable
from assistant.ingest.cleaning import clean_capture
from assistant.ingest.metadata import read_sidecar, split_front_matter, validate_metadata
from assistant.schema import Document

SKIPPED_NAMES = {"README.md"}
SUFFIXES = {".md", ".txt", ".html", ".htm", ".pdf", ".docx"}


def corpus_files(corpus_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in Path(corpus_dir).rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and p.name not in SKIPPED_NAMES and not p.name.startswith(".")
    )


def file_hash(path: Path) -> str:
    """Hash of the file and its sidecar: a change to either re-indexes it."""
    digest = hashlib.sha256(path.read_bytes())
    sidecar = path.with_name(path.name + ".meta.yaml")
    if sidecar.exists():
        digest.update(sidecar.read_bytes())
    return digest.hexdigest()


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[CorpusError]]:
    """Load every supported file; return the documents and the problems found."""
    documents, problems, seen = [], [], {}
    for path in corpus_files(corpus_dir):
        try:
            doc = load_document(path)
        except CorpusError as problem:
            problems.append(problem)
            continue
        if doc.id in seen:
            problems.append(DocumentUnreadable(path, f"id '{doc.id}' is already used by {seen[doc.id]}"))
            continue
        seen[doc.id] = doc.path
        documents.append(doc)
    return documents, problems


def load_document(path: Path) -> Document:
    path = Path(path)
    suffix = path.suffix.lower()
    raw = _read_bytes(path)
    if suffix == ".md":
        meta, body = split_front_matter(_decode(raw, path), path)
        text = body.strip()
    else:
        meta = read_sidecar(path)
        text = _TEXT_LOADERS[suffix](raw, path)
        body = text
    if not text.strip():
        raise DocumentUnreadable(path, "no text could be extracted (empty, or a scanned PDF without a text layer?)")
    meta.setdefault("id", _id_from_name(path))
    meta.setdefault("title", _first_line(text))
    meta.setdefault("kind", "document")
    meta = validate_metadata(meta, _relative(path), body)
    return Document(
        id=meta["id"],
        path=_relative(path),
        title=str(meta["title"]),
        text=text,
        kind=meta["kind"],
        meta=meta,
        sha256=file_hash(path),
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise DocumentUnreadable(path, e.strerror or str(e)) from None


def _decode(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:4096]:
        raise DocumentUnreadable(path, "looks like a binary file, not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DocumentUnreadable(path, f"is not UTF-8 text ({e.reason} at byte {e.start})") from None


def _load_txt(raw: bytes, path: Path) -> str:
    return clean_capture(_decode(raw, path))


def _load_html(raw: bytes, path: Path) -> str:
    import trafilatura

    text = trafilatura.extract(_decode(raw, path), include_comments=False, include_tables=True, favor_precision=True)
    return text or ""


def _load_pdf(raw: bytes, path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages).strip()
    except (PdfReadError, ValueError, KeyError, TypeError) as e:
        raise DocumentUnreadable(path, f"is not a readable PDF ({e})") from None


def _load_docx(raw: bytes, path: Path) -> str:
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise DocumentUnreadable(path, f"is not a readable .docx file ({e})") from None
    return "\n\n".join(p.text.strip() for p in document.paragraphs if p.text.strip())


_TEXT_LOADERS = {".txt": _load_txt, ".html": _load_html, ".htm": _load_html, ".pdf": _load_pdf, ".docx": _load_docx}


def _id_from_name(path: Path) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"


def _first_line(text: str) -> str:
    return next((line.strip("# ").strip() for line in text.splitlines() if line.strip()), "Untitled")[:200]


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
