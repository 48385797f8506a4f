"""Durable feedback (thumbs up/down + comment) shared by the web chat and Slack.

SQLite in the data folder; one connection per call so any thread may record.

>>> store = FeedbackStore(":memory:")  # doctest: +SKIP
>>> store.record(source="web", rating="down", question="q", answer="a", comment="wrong date")  # doctest: +SKIP
1
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path

from assistant.errors import FeedbackInvalid

COLUMNS = ("id", "created_at", "source", "rating", "comment", "question", "answer", "citations", "as_of", "asker", "conversation")
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    as_of TEXT NOT NULL DEFAULT '',
    asker TEXT NOT NULL DEFAULT '',
    conversation TEXT NOT NULL DEFAULT ''
)
"""


class FeedbackStore:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def record(
        self,
        *,
        source: str,
        rating: str,
        question: str,
        answer: str,
        citations: list | None = None,
        as_of: str = "",
        comment: str = "",
        asker: str = "",
        conversation: str = "",
    ) -> int:
        if rating not in ("up", "down"):
            raise FeedbackInvalid(f"rating must be 'up' or 'down', got {rating!r}")
        if not question:
            raise FeedbackInvalid("There is no answer to give feedback on yet: ask a question first.")
        row = (
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            source,
            rating,
            (comment or "")[:4000],
            question,
            answer,
            json.dumps(citations or [], ensure_ascii=False),
            as_of or "",
            asker or "",
            conversation or "",
        )
        with self._lock, self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, source, rating, comment, question, answer, citations, as_of, asker, conversation)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid)

    def record_answer(self, answer, *, source: str, rating: str, comment: str = "", asker: str = "", conversation: str = "") -> int:
        """Record feedback on an Answer: its question, text, citations and as-of date go with it."""
        from dataclasses import asdict

        return self.record(
            source=source, rating=rating, question=answer.question, answer=answer.answer,
            citations=[asdict(c) for c in answer.citations], as_of=answer.as_of, comment=comment,
            asker=asker, conversation=conversation,
        )  # fmt: skip

    def all(self) -> list[dict]:
        with self._connect() as db:
            return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY id")]

    def export(self, stream, fmt: str = "jsonl") -> int:
        rows = self.all()
        if fmt == "csv":
            writer = csv.DictWriter(stream, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        elif fmt == "jsonl":
            for row in rows:
                stream.write(json.dumps(row | {"citations": json.loads(row["citations"])}, ensure_ascii=False) + "\n")
        else:
            raise FeedbackInvalid(f"format must be 'csv' or 'jsonl', got {fmt!r}")
        return len(rows)
