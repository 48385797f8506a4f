"""Conversations that persist: SQLite in the data folder, one owner each.

An owner is whoever may see a conversation: ``user:NAME`` when the web chat
has a login, ``browser:ID`` for one browser otherwise, or a Slack thread
(``slack:TEAM:CHANNEL:TS``). Every read and write names the owner, so one
owner never sees or changes another's conversations. Each turn keeps the whole
typed ``Answer``, so a front end can render it again after a reload.

>>> store = ConversationStore(":memory:")
>>> cid = store.create("browser:b1")
>>> store.add_turn("browser:b1", cid, Answer("Is holmium controlled?", "Yes. [1]", False, as_of="2025-11-20"))
0
>>> [c.title for c in store.list("browser:b1")], store.list("browser:b2")
(['Is holmium controlled?'], [])
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import TypeAdapter

from assistant.errors import ConversationNotFound
from assistant.schema import Answer, Turn

ANSWER = TypeAdapter(Answer)
TITLE_CHARS = 80

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations (owner, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer_text TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (conversation, position)
);
"""


@dataclass
class ConversationSummary:
    """One line of the conversation list: its title (the first question unless renamed) and dates."""

    id: str
    title: str
    created: str
    updated: str


@dataclass
class Conversation:
    id: str
    owner: str
    title: str
    created: str
    answers: list[Answer] = field(default_factory=list)

    @property
    def turns(self) -> list[Turn]:
        """The history the engine reads follow-ups against."""
        return [Turn(question=a.standalone_question or a.question, answer=a.answer) for a in self.answers]


class ConversationStore:
    """Conversations and their answers, per owner, in one SQLite file (thread-safe)."""

    def __init__(self, path: Path | str):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def create(self, owner: str, title: str = "") -> str:
        conversation = uuid.uuid4().hex
        now = _now()
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO conversations (id, owner, title, created, updated) VALUES (?, ?, ?, ?, ?)",
                (conversation, owner, title.strip()[:TITLE_CHARS], now, now),
            )
        return conversation

    def add_turn(self, owner: str, conversation: str, answer: Answer) -> int:
        """Append one answered question; the first one titles an untitled conversation. Returns its position."""
        self._check(owner, conversation)
        now = _now()
        with self._lock, self._db:
            (position,) = self._db.execute(
                "SELECT COUNT(*) FROM turns WHERE conversation = ?", (conversation,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO turns (conversation, position, question, answer_text, answer_json, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (conversation, position, answer.question, answer.answer, json.dumps(asdict(answer)), now),
            )
            self._db.execute(
                "UPDATE conversations SET updated = ?, title = CASE WHEN title = '' THEN ? ELSE title END WHERE id = ?",
                (now, _title(answer.question), conversation),
            )
        return position

    def get(self, owner: str, conversation: str) -> Conversation:
        row = self._row(owner, conversation)
        if row is None:
            raise ConversationNotFound(conversation)
        answers = [
            ANSWER.validate_python(json.loads(text))
            for (text,) in self._db.execute(
                "SELECT answer_json FROM turns WHERE conversation = ? ORDER BY position", (conversation,)
            )
        ]
        return Conversation(row[0], owner, row[1], row[2], answers)

    def list(self, owner: str, search: str = "") -> list[ConversationSummary]:
        """The owner's conversations, latest first; ``search`` keeps those whose title or text contains it."""
        sql = "SELECT id, title, created, updated FROM conversations WHERE owner = ?"
        args: list = [owner]
        if search.strip():
            pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            sql += (
                " AND (title LIKE ? ESCAPE '\\' OR id IN (SELECT conversation FROM turns"
                " WHERE question LIKE ? ESCAPE '\\' OR answer_text LIKE ? ESCAPE '\\'))"
            )
            args += [pattern] * 3
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY updated DESC, created DESC", args).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def rename(self, owner: str, conversation: str, title: str) -> None:
        self._check(owner, conversation)
        with self._lock, self._db:
            self._db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title.strip()[:TITLE_CHARS], conversation))

    def delete(self, owner: str, conversation: str) -> None:
        self._check(owner, conversation)
        with self._lock, self._db:
            self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation,))

    def close(self) -> None:
        self._db.close()

    def _row(self, owner: str, conversation: str):
        with self._lock:
            return self._db.execute(
                "SELECT id, title, created FROM conversations WHERE id = ? AND owner = ?", (conversation, owner)
            ).fetchone()

    def _check(self, owner: str, conversation: str) -> None:
        if self._row(owner, conversation) is None:
            raise ConversationNotFound(conversation)


def _title(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rstrip() + "…"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
