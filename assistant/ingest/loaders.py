"""File -> Document: one loader per format, plus metadata and cleaning.

Loaders lose no line: a ``.txt`` is kept whole unless it is a web capture
(see ``assistant.ingest.cleaning``), HTML keeps every block of text outside
``<nav>``, scripts and styles, DOCX keeps paragraphs and tables in order, PDF
keeps its text layer. Whatever the capture cleaner drops is returned with the
document (``LoadedFile.dropped``) so a build can report it.

A file that can't be read raises ``DocumentUnreadable`` naming the file and the
reason; ``read_corpus`` reports it and goes on with the rest. Parser warnings
(pypdf's "EOF marker not found"...) come back as warnings naming their file.

>>> from pathlib import Path
>>> corpus = read_corpus(Path("corpus"))  # doctest: +SKIP
>>> corpus.documents, corpus.problems, corpus.dropped, corpus.warnings  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import REPO_ROOT
from assistant.errors import CorpusError, DocumentUnreadable, FileTooLarge
from assistant.ingest.cleaning import clean, looks_like_capture
from assistant.ingest.html import html_text
from assistant.ingest.metadata import read_sidecar, split_front_matter, validate_metadata
from assistant.schema import Document

SKIPPED_NAMES = {"README.md"}
SUFFIXES = {".md", ".txt", ".html", ".htm", ".pdf", ".docx"}
WEB_CAPTURE = "web-capture"
DEFAULT_MAX_FILE_BYTES = 20_000_000


@dataclass
class LoadedFile:
    """One loaded document, the lines the capture cleaner dropped, and parser warnings."""

    document: Document
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class CorpusRead:
    """Everything read from a corpus folder: documents, skipped files, dropped lines, warnings."""

    documents: list[Document] = field(default_factory=list)
    problems: list[CorpusError] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)  # document path -> dropped lines
    warnings: list[str] = field(default_factory=list)
    unread: dict[str, Path] = field(default_factory=dict)  # document id -> file, for stubs of unchanged files
    file_warnings: dict[str, list[str]] = field(default_factory=dict)  # document id -> its parser warnings
    stats: dict[str, list[int]] = field(default_factory=dict)  # document id -> its file's ``file_stat`` when read


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The files a build reads, in path order (os.walk: at 10^4 files pathlib's rglob spent 0.4 s hashing paths)."""
    found = []
    for folder, _, names in os.walk(Path(corpus_dir).resolve(), followlinks=True):
        for name in names:
            if Path(name).suffix.lower() in SUFFIXES and name not in SKIPPED_NAMES and not name.startswith("."):
                found.append(os.path.join(folder, name))
    return [Path(p) for p in sorted(found)]


def file_hash(path: Path) -> str:
    """Hash of the file and its sidecar: a change to either re-indexes it."""
    digest = hashlib.sha256(path.read_bytes())
    sidecar = path.with_name(path.name + ".meta.yaml")
    if sidecar.exists():
        digest.update(sidecar.read_bytes())
    return digest.hexdigest()


def load_corpus(corpus_dir: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> tuple[list[Document], list[CorpusError]]:
    """Load every supported file; return the documents and the problems found."""
    corpus = read_corpus(corpus_dir, max_file_bytes)
    return corpus.documents, corpus.problems


def file_stat(path: Path) -> list[int]:
    """Size and modification time (ns) of a file and of its sidecar: what tells a build a file is unchanged."""
    sidecar = path.with_name(path.name + ".meta.yaml")
    own = path.stat()
    other = sidecar.stat() if sidecar.exists() else None
    return [own.st_size, own.st_mtime_ns, other.st_size if other else -1, other.st_mtime_ns if other else -1]


def read_corpus(corpus_dir: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, known: dict | None = None) -> CorpusRead:
    """Load every supported file; a bad file is named in ``problems`` and skipped.

    ``known`` (path -> what the last build recorded of it) lets a file whose size and modification time,
    and its sidecar's, are those recorded be left unread: its document comes back as a stub (id, path,
    hash; no text) listed in ``unread``, with the dropped lines and warnings recorded for it. A build only
    records that for files that feed no register, so registers are always made from files read."""
    corpus, seen = CorpusRead(), {}
    for path in corpus_files(corpus_dir):
        try:
            stat = file_stat(path)  # taken before reading: a write after it shows in the next build's stat
        except OSError:
            stat = None
        try:
            loaded = _unread(path, known, stat) if known and stat else None
            if loaded is None:
                loaded = load_file(path, max_file_bytes)
            else:
                corpus.unread[loaded.document.id] = path
        except CorpusError as problem:
            corpus.problems.append(problem)
            continue
        doc = loaded.document
        if doc.id in seen:
            corpus.problems.append(DocumentUnreadable(path, f"id '{doc.id}' is already used by {seen[doc.id]}"))
            corpus.unread.pop(doc.id, None)
            continue
        seen[doc.id] = doc.path
        corpus.documents.append(doc)
        if stat:
            corpus.stats[doc.id] = stat
        corpus.warnings += loaded.warnings
        if loaded.warnings:
            corpus.file_warnings[doc.id] = loaded.warnings
        if loaded.dropped:
            corpus.dropped[doc.path] = loaded.dropped
    return corpus


def _unread(path: Path, known: dict, stat: list[int]) -> LoadedFile | None:
    """A stub for a file the last build recorded with the same size and times, or None (read it)."""
    relative = _relative(path)
    record = known.get(relative)
    if not record or record.get("stat") != stat:
        return None
    doc = Document(id=record["id"], path=relative, title=record.get("title", ""), text="", sha256=record["sha256"])
    return LoadedFile(doc, list(record.get("dropped") or []), list(record.get("warnings") or []))


def load_document(path: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Document:
    return load_file(path, max_file_bytes).document


def load_file(path: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> LoadedFile:
    """Read one file into a Document (DocumentUnreadable, FrontMatterInvalid or FileTooLarge if it can't be)."""
    path = Path(path)
    suffix = path.suffix.lower()
    raw = _read_bytes(path, max_file_bytes)
    loaded = LoadedFile(Document(id="", path=_relative(path), title="", text=""))
    if suffix == ".md":
        meta, body = split_front_matter(_decode(raw, path), path)
        text = body.strip()
    else:
        meta = read_sidecar(path)
        with _parser_warnings(path, loaded.warnings):
            text = _text(suffix, raw, path, meta, loaded)
        body = text
    if not text.strip():
        raise DocumentUnreadable(path, "no text could be extracted (empty, or a scanned PDF without a text layer?)")
    meta.setdefault("id", _id_from_name(path))
    meta.setdefault("title", _first_line(text))
    meta.setdefault("kind", "document")
    meta = validate_metadata(meta, _relative(path), body)
    loaded.document = Document(
        id=meta["id"],
        path=_relative(path),
        title=str(meta["title"]),
        text=text,
        kind=meta["kind"],
        meta=meta,
        sha256=file_hash(path),
    )
    return loaded


def _text(suffix: str, raw: bytes, path: Path, meta: dict, loaded: LoadedFile) -> str:
    if suffix != ".txt":
        return _TEXT_LOADERS[suffix](raw, path)
    text = _decode(raw, path).replace("\r\n", "\n").removeprefix("\ufeff")
    if meta.get("kind") != WEB_CAPTURE and not looks_like_capture(text):
        return text.strip()
    cleaned = clean(text)
    loaded.dropped = cleaned.dropped
    return cleaned.text


class _WarningsToList(logging.Handler):
    def __init__(self, path: Path, sink: list[str]):
        super().__init__(logging.WARNING)
        self.path, self.sink = path, sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(f"{_relative(self.path)}: {record.name} warns: {record.getMessage()}")


class _parser_warnings:
    """Collect what parsers log (pypdf's 'EOF marker not found'...) as warnings naming the file."""

    LOGGERS = ("pypdf", "docx", "trafilatura")

    def __init__(self, path: Path, sink: list[str]):
        self.handler = _WarningsToList(path, sink)

    def __enter__(self):
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(self.handler)
            logger.propagate = False
        return self

    def __exit__(self, *exc):
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            logger.removeHandler(self.handler)
            logger.propagate = True
        return False


def _read_bytes(path: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    try:
        size = path.stat().st_size
        if max_file_bytes and size > max_file_bytes:
            raise FileTooLarge(path, size, max_file_bytes)
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


def _load_html(raw: bytes, path: Path) -> str:
    return html_text(_decode(raw, path))


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
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise DocumentUnreadable(path, f"is not a readable .docx file ({e})") from None
    blocks = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            blocks.append("\n".join(_table_row(row) for row in block.rows))
        elif block.text.strip():
            blocks.append(_docx_paragraph(block))
    return "\n\n".join(b for b in blocks if b.strip())


def _table_row(row) -> str:
    cells = list(dict.fromkeys(" ".join(cell.text.split()) for cell in row.cells))  # merged cells repeat
    return " | ".join(c for c in cells if c)


def _docx_paragraph(paragraph) -> str:
    """A paragraph as Markdown-ish text: headings get '#' marks (sections), list items a '- '."""
    text = paragraph.text.strip()
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    level = re.match(r"Heading (\d)", style)
    if level:
        return f"{'#' * int(level.group(1))} {text}"
    if style.startswith("List"):
        return f"- {text}"
    return text


_TEXT_LOADERS = {".html": _load_html, ".htm": _load_html, ".pdf": _load_pdf, ".docx": _load_docx}


def _id_from_name(path: Path) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"


def _first_line(text: str) -> str:
    return next((line.strip("# ").strip() for line in text.splitlines() if line.strip()), "Untitled")[:200]


def _relative(path: Path) -> str:
    """The path shown for a file: relative to the repository when inside it. Files listed by ``corpus_files``
    are already absolute, so only a link is resolved (resolving every path cost 0.4 s at 2,500 files)."""
    if not path.is_absolute() or path.is_symlink():
        path = path.resolve()
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
