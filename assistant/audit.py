"""The screening audit trail: every screening appended to SQLite in the data folder; batches resume.

One row a screened name: when, the front end, the user where known, the input,
the corpus version (hash of the indexed documents), the as-of date, the outcome
and the full results as JSON. A batch writes its rows in small transactions
*before* it hands them on, so a process killed mid-batch loses nothing that
was reported, and a rerun of the same names on the same date and corpus, by
the same front end and user, picks up after the last committed row. Once a
batch has finished, the same names screened again are a new batch with rows
of their own.

>>> import tempfile, pathlib
>>> log = AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.sqlite3")
>>> log.count()
0
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from assistant.errors import AuditUnavailable, NameInvalid
from assistant.schema import Citation, PartyHit, Screening
from assistant.screening import BadRow, Screener, check_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS screenings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    frontend TEXT NOT NULL,
    user TEXT,
    batch_id TEXT,
    row INTEGER,
    input TEXT NOT NULL,
    as_of TEXT NOT NULL,
    corpus_version TEXT NOT NULL,
    outcome TEXT NOT NULL,
    results TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS screenings_batch_row ON screenings(batch_id, row) WHERE batch_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    frontend TEXT NOT NULL,
    user TEXT,
    as_of TEXT NOT NULL,
    corpus_version TEXT NOT NULL,
    total INTEGER NOT NULL,
    finished TEXT
);
"""
EXPORT_COLUMNS = ("id", "at", "frontend", "user", "batch_id", "row", "input", "as_of", "corpus_version", "outcome", "matches", "results")
COMMIT_EVERY = 200  # rows a batch commits at once (and so the most a kill can make it redo)


class AuditLog:
    """Append-only store of screenings in ``<data_dir>/audit.sqlite3``; safe to share between threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise AuditUnavailable(self.path, str(e)) from None

    def record(self, screenings: list[Screening], frontend: str, user: str | None, batch_id: str | None = None, rows=None):
        """Append screenings in one transaction (``rows``: their places in the batch)."""
        now = _now()
        places = rows if rows is not None else [None] * len(screenings)
        values = [
            (now, frontend, user, batch_id, row, s.input, s.as_of, s.corpus_version, s.outcome,
             json.dumps(screening_json(s), ensure_ascii=False))
            for row, s in zip(places, screenings)
        ]  # fmt: skip
        self._write(
            "INSERT OR IGNORE INTO screenings (at, frontend, user, batch_id, row, input, as_of, corpus_version, outcome, results) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )

    def _write(self, sql: str, rows: list[tuple]) -> None:
        with self._lock:
            try:
                self._db.execute("BEGIN")
                self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise AuditUnavailable(self.path, str(e)) from None

    def start_batch(self, batch_id: str, frontend: str, user: str | None, as_of: str, corpus_version: str, total: int) -> None:
        self._write(
            "INSERT OR IGNORE INTO batches (batch_id, started, frontend, user, as_of, corpus_version, total) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(batch_id, _now(), frontend, user, as_of, corpus_version, total)],
        )

    def finish_batch(self, batch_id: str) -> None:
        self._write("UPDATE batches SET finished = ? WHERE batch_id = ? AND finished IS NULL", [(_now(), batch_id)])

    def resumable_batch(self, base: str) -> str:
        """The unfinished batch ``base-N`` to resume, or the next new one: a finished batch is never reused."""
        with self._lock:
            rows = self._db.execute("SELECT batch_id, finished FROM batches WHERE batch_id LIKE ? || '-%'", (base,)).fetchall()
        unfinished = sorted(b for b, finished in rows if finished is None)
        return unfinished[-1] if unfinished else f"{base}-{len(rows) + 1}"

    def batch_rows(self, batch_id: str) -> dict[int, Screening]:
        """Screenings a batch already committed, by row."""
        with self._lock:
            rows = self._db.execute("SELECT row, results FROM screenings WHERE batch_id = ? ORDER BY row", (batch_id,)).fetchall()
        return {row: screening_from_json(json.loads(results)) for row, results in rows}

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM screenings").fetchone()[0]

    def rows(self) -> Iterator[dict]:
        with self._lock:
            cursor = self._db.execute(f"SELECT {', '.join(c for c in EXPORT_COLUMNS if c != 'matches')} FROM screenings ORDER BY id")
            rows = cursor.fetchall()
        names = [c for c in EXPORT_COLUMNS if c != "matches"]
        for values in rows:
            row = dict(zip(names, values))
            hits = json.loads(row["results"]).get("hits", [])
            row["matches"] = "; ".join(f"{h['name']} ({h['match']}, {h['status']})" for h in hits)
            yield {c: row[c] for c in EXPORT_COLUMNS}

    def export(self, out, fmt: str = "csv") -> int:
        """Write the whole trail to a text stream as CSV or JSONL; return the rows written."""
        count = 0
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS) if fmt == "csv" else None
        if writer:
            writer.writeheader()
        for row in self.rows():
            if writer:
                writer.writerow(row)
            else:
                out.write(json.dumps(row | {"results": json.loads(row["results"])}, ensure_ascii=False) + "\n")
            count += 1
        return count

    def close(self) -> None:
        with self._lock:
            self._db.close()


class ScreeningService:
    """Screening with its audit trail: what ``Engine.screen`` and ``Engine.screen_many`` call."""

    def __init__(self, screener: Screener, audit: AuditLog, corpus_version: str):
        self.screener, self.audit, self.corpus_version = screener, audit, corpus_version

    def screen(self, name: str, as_of: str, frontend: str, user: str | None) -> Screening:
        screening = self.screener.screen(name, as_of)
        screening.corpus_version = self.corpus_version
        self.audit.record([screening], frontend, user)
        return screening

    def batch(self, names: Iterable[str], as_of: str, frontend: str, user: str | None, batch_id: str | None = None) -> Batch:
        names = list(names)
        batch_id = batch_id or self.audit.resumable_batch(batch_id_for(names, as_of, self.corpus_version, frontend, user))
        return Batch(self, names, as_of, frontend, user, batch_id)


class Batch(Iterator[Screening]):
    """A resumable batch: iterate to get every screening in input order (committed ones are read back, not redone)."""

    def __init__(self, service: ScreeningService, names: list[str], as_of: str, frontend: str, user: str | None, batch_id: str):
        self.service, self.names, self.as_of, self.frontend, self.user, self.id = service, names, as_of, frontend, user, batch_id
        self.total = len(names)
        self.done_before = 0
        self.skipped: list[BadRow] = []
        self._run = self._screenings()

    def __next__(self) -> Screening:
        return next(self._run)

    def _screenings(self) -> Iterator[Screening]:
        audit, service = self.service.audit, self.service
        audit.start_batch(self.id, self.frontend, self.user, self.as_of, service.corpus_version, self.total)
        done = audit.batch_rows(self.id)
        self.done_before = len(done)
        for start in range(0, self.total, COMMIT_EVERY):
            rows = range(start, min(start + COMMIT_EVERY, self.total))
            todo = [r for r in rows if r not in done]
            fresh = dict(zip(todo, self._screen_rows(todo)))
            kept = [(r, s) for r, s in fresh.items() if s is not None]
            if kept:
                audit.record([s for _, s in kept], self.frontend, self.user, self.id, [r for r, _ in kept])
            for r in rows:
                screening = done.get(r) or fresh.get(r)
                if screening is not None:
                    yield screening
        audit.finish_batch(self.id)

    def _screen_rows(self, rows: list[int]) -> list[Screening | None]:
        valid, out = [], [None] * len(rows)
        for i, r in enumerate(rows):
            try:
                valid.append((i, check_name(self.names[r])))
            except NameInvalid as problem:
                self.skipped.append(BadRow(r + 1, str(self.names[r])[:80], str(problem)))
        for (i, _), screening in zip(valid, self.service.screener.screen_all([n for _, n in valid], self.as_of)):
            screening.corpus_version = self.service.corpus_version
            out[i] = screening
        return out

def batch_id_for(names: list[str], as_of: str, corpus_version: str, frontend: str, user: str | None) -> str:
    """The same names, date, corpus and caller give the same base id, so a rerun finds the batch to resume."""
    digest = hashlib.sha256("\x1f".join([as_of, corpus_version, frontend, user or "", *map(str, names)]).encode())
    return digest.hexdigest()[:20]


def screening_json(s: Screening) -> dict:
    """``Screening.to_json()`` without ``asdict``'s deep copies (the audit writes thousands a second)."""
    hits = [
        vars(h) | {k: vars(getattr(h, k)) if getattr(h, k) else None for k in ("citation", "meaning_citation")}
        for h in s.hits
    ]
    return vars(s) | {"hits": hits}


def screening_from_json(data: dict) -> Screening:
    hits = []
    for h in data.get("hits", []):
        h = dict(h)
        for key in ("citation", "meaning_citation"):
            h[key] = Citation(**h[key]) if h.get(key) else None
        hits.append(PartyHit(**h))
    return Screening(**{**data, "hits": hits})


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
