"""Document frequencies of answer terms (and of acronyms), kept with the build so opening does not recount them.

``Vocabulary`` (assistant/answer.py) needs, for each term, in how many chunks
it occurs. A build updates the previous build's counts by what changed (terms
of removed chunks out, of added chunks in), so a 1-document update costs that
document, and opening reads one JSON file instead of scanning every chunk.

>>> counts = TermCounts.from_texts(["Holmium oxide exports", "holmium metal"])
>>> counts.n, counts.df["holmium"]
(2, 2)
>>> counts.update(removed=["holmium metal"], added=["erbium metal"]).df.get("holmium"), counts.n
(1, 2)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import orjson

FILE = "vocabulary.json"


@dataclass
class TermCounts:
    FILE: ClassVar[str] = FILE
    df: dict[str, int] = field(default_factory=dict)
    n: int = 0

    @classmethod
    def from_texts(cls, texts) -> TermCounts:
        return cls().update(removed=[], added=texts)

    @staticmethod
    def terms_of(text: str) -> set[str]:
        from assistant.answer import terms

        return set(terms(text))

    def update(self, removed, added) -> TermCounts:
        delta: Counter = Counter()
        for text in added:
            delta.update(self.terms_of(text))
            self.n += 1
        for text in removed:
            delta.subtract(self.terms_of(text))
            self.n -= 1
        for term, change in delta.items():
            count = self.df.get(term, 0) + change
            if count > 0:
                self.df[term] = count
            else:
                self.df.pop(term, None)
        return self

    def save(self, build: Path) -> None:
        (build / self.FILE).write_bytes(orjson.dumps({"n": self.n, "df": self.df}))

    @classmethod
    def load(cls, build: Path) -> TermCounts | None:
        """The counts saved with a build; None when the build has none (older builds) or they are unreadable."""
        try:
            data = orjson.loads((build / cls.FILE).read_bytes())
            return cls(dict(data["df"]), int(data["n"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


@dataclass
class AcronymCounts(TermCounts):
    """In how many chunks each acronym (``scope.acronyms_of``) occurs: what the engine checks questions against."""

    FILE: ClassVar[str] = "acronyms.json"

    @staticmethod
    def terms_of(text: str) -> set[str]:
        from assistant.scope import acronyms_of

        return acronyms_of([text])
