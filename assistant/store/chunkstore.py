"""A build's chunks in SQLite (``chunks.sqlite3``), read one row at a time instead of loaded whole.

Opening an index reads no chunk: ``ChunkStore`` is a read-only mapping from
chunk id to its row (text and metadata), backed by one table keyed by id.
Besides looking a chunk up, it answers the questions answering asks of all
chunks without bringing them into memory: which chunks a document has, which
chunk holds a sentence (whitespace ignored), which chunks contain an
identifier, which chunks stand under a given section heading.

>>> store = ChunkStore.open(Path("index/live"))  # doctest: +SKIP
>>> store.with_text("holmium oxide exports")  # doctest: +SKIP
'3f1c0a9e2b7d4c51'
"""

from __future__ import annotations

import json
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
"""


def flat(text: str) -> str:
    """A text with its whitespace runs made single spaces (how sentences are matched against chunks)."""
    return " ".join(text.split())


def write_chunks(build: Path, rows: Iterable[dict]) -> None:
    """Write every row into a new chunks.sqlite3 of the build folder."""
    path = build / FILE
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        titles: dict[str, str] = {}
        with db:
            for row in rows:
                db.execute(
                    "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?)",
                    (
                        row["id"], row["document_id"], (row.get("section") or "").lower(), flat(row["text"]),
                        json.dumps(row, ensure_ascii=False),
                    ),  # fmt: skip
                )
                titles.setdefault(row["document_id"], row.get("title") or "")
            db.executemany("INSERT INTO documents VALUES (?, ?)", titles.items())
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

    def containing(self, fragments: list[str]) -> list[str]:
        """Ids of the chunks whose text holds one of the (ASCII, lower-case) fragments, case ignored."""
        if not fragments:
            return []
        where = " OR ".join("instr(lower(flat), ?) > 0" for _ in fragments)
        return [r[0] for r in self._all(f"SELECT id FROM chunks WHERE {where} ORDER BY rowid", fragments)]

    def close(self) -> None:
        self._db.close()
