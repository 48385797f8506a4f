"""A build's chunks in SQLite (``chunks.sqlite3``), read one row at a time instead of loaded whole.

Opening an index reads no chunk: ``ChunkStore`` is a read-only mapping from
chunk id to its row (text and metadata), backed by one table keyed by id.
Besides looking a chunk up, it answers the questions answering asks of all
chunks without bringing them into memory: which chunks a document has, which
chunk holds a sentence (whitespace ignored), which chunks name a control or
HS code (an index of codes made at build time), which chunks stand under a given section heading.

>>> store = ChunkStore.open(Path("index/live"))  # doctest: +SKIP
>>> store.with_text("holmium oxide exports")  # doctest: +SKIP
'3f1c0a9e2b7d4c51'
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

FILE = "chunks.sqlite3"
_SCHEMA = """
CREATE TABLE chunks (
    id TEXT PRIMARY KEY, document_id TEXT NOT NULL, section TEXT NOT NULL, flat TEXT NOT NULL, row TEXT NOT NULL
);
CREATE INDEX chunks_by_document ON chunks (document_id);
CREATE TABLE documents (id TEXT PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE codes (code TEXT NOT NULL, chunk_id TEXT NOT NULL);
CREATE INDEX codes_by_code ON codes (code);
"""
# Control codes (1C909, 1E902.b) and HS codes (8-10 digits) a chunk names, found once at build time.
IDENTIFIER = re.compile(r"\b\d[A-E]\d{3}(?:\.[a-z])?\b|\b\d{8,10}\b", re.I)


def identifiers(text: str) -> set[str]:
    """What a question's code can be found by: each code, lower-cased, with its sub-item or extra digits cut too.

    >>> sorted(identifiers("1E902.b and HS 2805301000"))
    ['1e902', '1e902.b', '28053010', '280530100', '2805301000']
    """
    found = set()
    for code in (m.lower() for m in IDENTIFIER.findall(text)):
        found.add(code)
        if "." in code:
            found.add(code.split(".")[0])
        elif code.isdigit():
            found.update(code[:n] for n in range(8, len(code)))
    return found



def flat(text: str) -> str:
    """A text with its whitespace runs made single spaces (how sentences are matched against chunks)."""
    return " ".join(text.split())


def write_chunks(build: Path, rows: Iterable[dict], previous: Path | None = None, replaced: Iterable[str] = ()) -> None:
    """Write the build's chunks.sqlite3: ``rows`` alone, or, from ``previous``, a copy of that build's store
    without the chunks of the ``replaced`` documents, plus ``rows`` (what a 1-document update writes)."""
    path = build / FILE
    path.unlink(missing_ok=True)
    if previous is not None:
        shutil.copyfile(previous / FILE, path)
    db = sqlite3.connect(path)
    # A build's store is private until the build completes (a killed build is removed whole), so it is written
    # without a journal or fsync; a machine crash that still damaged it is found by the integrity check and
    # repaired by the next build.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    try:
        if previous is None:
            db.executescript(_SCHEMA)
        with db:
            for document_id in replaced:
                db.execute("DELETE FROM codes WHERE chunk_id IN (SELECT id FROM chunks WHERE document_id = ?)", (document_id,))
                db.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
                db.execute("DELETE FROM documents WHERE id = ?", (document_id,))
            titles: dict[str, str] = {}
            for row in rows:
                db.execute(
                    "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?)",
                    (
                        row["id"], row["document_id"], (row.get("section") or "").lower(), flat(row["text"]),
                        json.dumps(row, ensure_ascii=False),
                    ),  # fmt: skip
                )
                titles.setdefault(row["document_id"], row.get("title") or "")
                db.executemany("INSERT INTO codes VALUES (?, ?)", ((c, row["id"]) for c in identifiers(row["text"])))
            db.executemany("INSERT OR REPLACE INTO documents VALUES (?, ?)", titles.items())
    finally:
        db.close()


class ChunkStore(Mapping):
    """Chunk id -> row, read from a build's chunks.sqlite3 (read-only; shared by a server's threads)."""

    def __init__(self, db: sqlite3.Connection):
        self._db, self._lock = db, threading.Lock()
        self._count = self._one("SELECT count(*) FROM chunks")[0]

    @classmethod
    def open(cls, build: Path) -> ChunkStore:
        """Open read-only: FileNotFoundError when there is none, sqlite3.Error when it is damaged."""
        path = build / FILE
        if not path.is_file():
            raise FileNotFoundError(path)
        return cls(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False))

    def _all(self, sql: str, args=()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _one(self, sql: str, args=()) -> tuple | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def __getitem__(self, chunk_id: str) -> dict:
        found = self._one("SELECT row FROM chunks WHERE id = ?", (chunk_id,))
        if found is None:
            raise KeyError(chunk_id)
        return json.loads(found[0])

    def __contains__(self, chunk_id) -> bool:
        return self._one("SELECT 1 FROM chunks WHERE id = ?", (chunk_id,)) is not None

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return iter([r[0] for r in self._all("SELECT id FROM chunks ORDER BY rowid")])

    def items(self):  # one pass over the table rather than a query per key
        return [(i, json.loads(row)) for i, row in self._all("SELECT id, row FROM chunks ORDER BY rowid")]

    def values(self):
        return [row for _, row in self.items()]

    def titles(self) -> dict[str, str]:
        return dict(self._all("SELECT id, title FROM documents"))

    def issuers(self) -> set[str]:
        """Who issued or published the documents (one chunk's row per document says it)."""
        rows = self._all("SELECT DISTINCT json_extract(row, '$.issuer') FROM chunks")
        return {issuer for (issuer,) in rows if issuer}

    def of_document(self, document_id: str) -> list[tuple[str, dict]]:
        """(chunk id, row) of one document's chunks, in order."""
        rows = self._all("SELECT id, row FROM chunks WHERE document_id = ? ORDER BY rowid", (document_id,))
        return [(i, json.loads(row)) for i, row in rows]

    def in_section(self, fragment: str) -> list[dict]:
        """Rows of the chunks whose section heading contains ``fragment`` (case ignored), in order."""
        rows = self._all("SELECT row FROM chunks WHERE instr(section, ?) > 0 ORDER BY rowid", (fragment.lower(),))
        return [json.loads(row) for (row,) in rows]

    def with_text(self, text: str) -> str | None:
        """The first chunk whose text holds ``text``, whitespace runs ignored; None when none does."""
        found = self._one("SELECT id FROM chunks WHERE instr(flat, ?) > 0 ORDER BY rowid LIMIT 1", (flat(text),))
        return found[0] if found else None

    def naming(self, codes: list[str]) -> list[str]:
        """Ids of the chunks that name one of the control or HS codes (``identifiers``), case ignored."""
        if not codes:
            return []
        marks = ", ".join("?" for _ in codes)
        sql = f"SELECT DISTINCT chunk_id FROM codes WHERE code IN ({marks}) ORDER BY chunk_id"
        return [r[0] for r in self._all(sql, [c.lower() for c in codes])]

    def close(self) -> None:
        self._db.close()
