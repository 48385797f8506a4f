"""Document -> sentence-aware chunks with section paths and offsets.

Sections come from Markdown headings (the path is "A > B"); inside a section
``assistant.ingest.packing`` packs whole sentences up to a budget counted
in the embedding model's own word pieces, so no chunk is silently truncated.
Each chunk keeps its character span in the cleaned document text, and its id is
derived from the document id and its content.

>>> from assistant.schema import Document
>>> chunks = chunk_document(Document(id="d", path="d.md", title="D", text="# A\\nOne sentence here."))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from assistant.ingest.packing import pack
from assistant.models import MAX_WORD_PIECES, pieces_of
from assistant.schema import Chunk, Document

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
# A blank line before a list is not a paragraph break for chunking: the list stays with its introduction.
BEFORE_LIST = re.compile(r"\n\n(?=[ \t]*(?:\d+\.|[-*•])[ \t]+\S)")


@dataclass(frozen=True)
class ChunkingParams:
    chunk_tokens: int = 200
    chunk_overlap: int = 30

    def __post_init__(self):
        if not 16 <= self.chunk_tokens <= MAX_WORD_PIECES - 2:
            raise ValueError(f"chunk_tokens must be between 16 and {MAX_WORD_PIECES - 2}, got {self.chunk_tokens}")
        if not 0 <= self.chunk_overlap < self.chunk_tokens // 2:
            raise ValueError(f"chunk_overlap must be >= 0 and < chunk_tokens/2, got {self.chunk_overlap}")


def chunk_document(doc: Document, params: ChunkingParams = ChunkingParams()) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section, start, end in sections(doc.text):
        for piece_start, piece in _split(doc.text[start:end], params):
            chunk_start = start + piece_start
            chunks.append(
                Chunk(
                    id=_chunk_id(doc.id, piece, len(chunks)),
                    document_id=doc.id,
                    text=piece,
                    start=chunk_start,
                    end=chunk_start + len(piece),
                    section=section,
                )
            )
    return chunks


def sections(text: str) -> list[tuple[str, int, int]]:
    """(section path, start, end) spans covering the text, split at headings."""
    spans, path, start = [], [], 0
    for match in HEADING.finditer(text):
        if text[start : match.start()].strip():
            spans.append((" > ".join(path), start, match.start()))
        level, title = len(match.group(1)), match.group(2).strip()
        path = path[: level - 1] + [title]
        start = match.start()
    if text[start:].strip():
        spans.append((" > ".join(path), start, len(text)))
    return spans


def _split(text: str, params: ChunkingParams) -> list[tuple[int, str]]:
    """Pieces of ``text`` with their offsets; each fits the model."""
    joined = BEFORE_LIST.sub("\n ", text)  # same length, so offsets in `joined` are offsets in `text`
    pieces, cursor = [], 0
    for piece in pack(joined, params.chunk_tokens, params.chunk_overlap, _size):
        for part in _fit(piece):
            offset = joined.find(part, max(0, cursor - len(part)))
            if offset < 0:
                offset = joined.find(part)
            if offset < 0:  # the splitter normalised whitespace; keep the text as found
                continue
            pieces.append((offset, text[offset : offset + len(part)]))
            cursor = offset + len(part)
    return pieces


def _size(text: str) -> int:
    return len(pieces_of(text))


def _fit(piece: str) -> list[str]:
    """Split a piece that still exceeds the model's limit (a huge 'sentence'), counted with its two special tokens."""
    if len(pieces_of(piece)) + 2 <= MAX_WORD_PIECES:
        return [piece]
    words = piece.split(" ")
    half = len(words) // 2
    return _fit(" ".join(words[:half])) + _fit(" ".join(words[half:]))


def _chunk_id(document_id: str, text: str, ordinal: int) -> str:
    digest = hashlib.sha1(f"{document_id}\x00{ordinal}\x00{text}".encode()).hexdigest()[:16]
    return f"{document_id}:{digest}"
