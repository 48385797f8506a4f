"""Keyword search with bm25s, tuned so exact identifiers are found.

bm25s's tokenizer drops one-letter tokens and splits "1E902.b" into "1e902"
and "b", so sub-item codes and announcement numbers would blur together. We
add canonical identifier tokens to both passages and questions before bm25s
tokenises them:

- control codes: "1E902.b" -> "1e902b" (plus "1e902"), "1C909" -> "1c909";
- announcement numbers: "No. 61", "Announcement 61", "Ann. 61", "61/2025",
  "No. 61 of 2025" -> "ann61";
- HS codes (8-10 digits) stay as they are.

>>> identifier_tokens("Is 1E902.b in No. 62 of 2025 (62/2025)?")
['1e902b', 'ann62', 'ann62']
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

CONTROL_CODE = re.compile(r"\b(\d[A-E]\d{3})(?:\.([a-z]))?\b", re.I)
ANNOUNCEMENT = re.compile(
    r"\b(?:No\.?|Number|Announcement|Ann\.?|Order)\s*(?:No\.?\s*)?(\d{1,3})\b(?:\s+of\s+(?:20\d\d))?|\b(\d{1,3})/(?:20\d\d)\b",
    re.I,
)


NUMBER_LIST = re.compile(r"\b(?:Announcements|Anns\.?|Nos\.?)\s+(\d{1,3}(?:\s*(?:,|and|&|-|–|to)\s*\d{1,3})+)", re.I)


def announcement_numbers(text: str) -> set[str]:
    """Announcement numbers a text names, lists and ranges included.

    >>> sorted(announcement_numbers("Announcements 55-58, 61 and 62; No. 70"), key=int)
    ['55', '56', '57', '58', '61', '62', '70']
    """
    numbers = {m.group(1) or m.group(2) for m in ANNOUNCEMENT.finditer(text)}
    for match in NUMBER_LIST.finditer(text):
        for a, b in re.findall(r"(\d{1,3})(?:\s*(?:-|–|to)\s*(\d{1,3}))?", match.group(1)):
            numbers |= {str(n) for n in range(int(a), int(b) + 1)} if b and int(b) - int(a) < 20 else {a}
    return numbers


def identifier_tokens(text: str) -> list[str]:
    tokens = [f"{m.group(1)}{m.group(2)}".lower() for m in CONTROL_CODE.finditer(text) if m.group(2)]
    tokens += [f"ann{m.group(1) or m.group(2)}" for m in ANNOUNCEMENT.finditer(text)]
    return tokens


def searchable(text: str) -> str:
    extra = identifier_tokens(text)
    return f"{text} {' '.join(extra)}" if extra else text


class KeywordIndex:
    """BM25 over chunk texts; ``search`` returns (chunk_id, score) pairs."""

    def __init__(self, retriever, chunk_ids: list[str]):
        self._retriever = retriever
        self._ids = chunk_ids

    @classmethod
    def build(cls, chunk_ids: list[str], texts: list[str]) -> KeywordIndex:
        import bm25s

        retriever = bm25s.BM25()
        if texts:
            retriever.index(_tokenize([searchable(t) for t in texts]), show_progress=False)
        return cls(retriever, list(chunk_ids))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._ids:
            self._retriever.save(str(folder))
        (folder / "ids.txt").write_text("\n".join(self._ids), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        import bm25s

        ids = [i for i in (folder / "ids.txt").read_text(encoding="utf-8").split("\n") if i]
        retriever = bm25s.BM25.load(str(folder), mmap=False) if ids else None
        return cls(retriever, ids)

    def search(self, question: str, k: int) -> list[tuple[str, float]]:
        if not self._ids or k <= 0:
            return []
        tokens = _tokenize([searchable(question)])
        if not tokens.vocab or not any(tokens.ids):
            return []
        docs, scores = self._retriever.retrieve(tokens, k=min(k, len(self._ids)), show_progress=False, n_threads=1)
        return [(self._ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def _tokenize(texts: list[str]):
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=english_stemmer(), show_progress=False)


@lru_cache(maxsize=1)
def english_stemmer():
    """The one Snowball stemmer shared by keyword search and sentence scoring."""
    import Stemmer

    return Stemmer.Stemmer("english")
