"""What the bot remembers between requests: the events it already handled, and its latest answers
(so a button click finds what it is about). Both bounded and thread-safe.

>>> seen = SeenEvents(2)
>>> seen.first_time(["Ev1"]), seen.first_time(["Ev1"]), seen.first_time(["Ev2", "Ev1"])
(True, False, False)
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from assistant.schema import Answer

VALUE_LIMIT = 2000  # characters of a button's value


class SeenEvents:
    """A bounded, thread-safe memory of the events already handled."""

    def __init__(self, size: int = 10_000):
        if size <= 0:
            raise ValueError(f"size must be > 0, got {size}")
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, keys: list[str]) -> bool:
        """Remember the keys; True when none of them was seen before."""
        keys = [k for k in keys if k]
        with self._lock:
            repeated = any(k in self._keys for k in keys)
            for k in keys:
                self._keys[k] = None
                self._keys.move_to_end(k)
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)
            return not repeated


@dataclass
class AnsweredQuestion:
    answer: Answer
    asker: str
    conversation: str


class RecentAnswers:
    """The latest answers by key, so a button click finds what it is about (bounded, thread-safe)."""

    def __init__(self, size: int = 1000):
        self.size = size
        self._answers: OrderedDict[str, AnsweredQuestion] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, answer: Answer, asker: str, conversation: str) -> str:
        key = uuid.uuid4().hex[:16]
        with self._lock:
            self._answers[key] = AnsweredQuestion(answer, asker, conversation)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return key

    def get(self, key: str) -> AnsweredQuestion | None:
        with self._lock:
            return self._answers.get(key)


def button_value(key: str, answer: Answer, conversation: str = "") -> str:
    """The key, plus the question and date so a click still makes sense after a restart."""
    question = answer.question
    while True:
        value = json.dumps({"k": key, "q": question, "d": answer.as_of, "c": conversation}, ensure_ascii=False)
        if len(value) <= VALUE_LIMIT or not question:
            return value
        question = question[: len(question) // 2]


def parse_button_value(value: str) -> dict:
    try:
        parsed = json.loads(value or "{}")
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
