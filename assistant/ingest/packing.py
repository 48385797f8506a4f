"""Text -> pieces of whole sentences, each within a word-piece budget, neighbours sharing a small overlap.

This is the packing of llama-index's ``SentenceSplitter`` (paragraphs first, then sentences, then clauses,
words and characters; greedy packing; trailing units of a piece carried into the next as overlap), written
here because importing llama-index costs a fresh process about a second, which alone broke the 1.5 s target
for a one-document ``index build``. ``tests/test_chunking.py`` checks that both give the same pieces.

>>> pack("One. Two.\\n\\nThree.", budget=100, overlap=0, size=lambda t: len(t.split()))
['One. Two.\\n\\nThree.']
>>> pack("a b c d e", budget=2, overlap=1, size=lambda t: len(t.split()))
['a b', 'b c', 'c d', 'd e']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from assistant.sentences import sentence_pieces

# A clause ends at a comma, period, semicolon or a CJK full stop, question or exclamation mark.
CLAUSE = re.compile(r"[^,.;。？！]+[,.;。？！]?|[,.;。？！]")
PARAGRAPH = "\n\n"


@dataclass(frozen=True)
class _Unit:
    text: str
    size: int


def pack(text: str, budget: int, overlap: int, size: Callable[[str], int]) -> list[str]:
    """Pieces of ``text`` (stripped, none blank) of at most ``budget`` by ``size``, unless one word alone
    is larger; each piece after the first starts with up to ``overlap`` of the previous one's end."""
    if not text:
        return []
    return _packed(_units(text, budget, size), budget, overlap)


def _units(text: str, budget: int, size: Callable[[str], int]) -> list[_Unit]:
    """``text`` cut, coarsest cut first, until every unit fits the budget (or can't be cut further)."""
    length = size(text)
    if length <= budget:
        return [_Unit(text, length)]
    parts = _cut(text)
    units: list[_Unit] = []
    for part in parts:
        length = size(part)
        if length <= budget or len(parts) == 1:
            units.append(_Unit(part, length))
        else:
            units += _units(part, budget, size)
    return units


def _cut(text: str) -> list[str]:
    """The first cut that makes more than one part: paragraphs, sentences, clauses, words, characters."""
    for cut in (_paragraphs, sentence_pieces, CLAUSE.findall, _words):
        parts = cut(text)
        if len(parts) > 1:
            return parts
    return list(text)


def _paragraphs(text: str) -> list[str]:
    return _keeping_separator(text, PARAGRAPH)


def _words(text: str) -> list[str]:
    return _keeping_separator(text, " ")


def _keeping_separator(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator``, each part after the first starting with it; empty parts dropped."""
    first, *rest = text.split(separator)
    return [part for part in [first] + [separator + part for part in rest] if part]


def _packed(units: list[_Unit], budget: int, overlap: int) -> list[str]:
    pieces: list[str] = []
    current: list[_Unit] = []
    filled = 0
    carried = True  # `current` holds only what the previous piece carried over (or nothing)
    index = 0
    while index < len(units):
        unit = units[index]
        if not carried and filled + unit.size > budget:
            pieces.append("".join(u.text for u in current))
            current = _tail(current, overlap)
            filled = sum(u.size for u in current)
            carried = True
            continue
        while current and carried and filled + unit.size > budget:
            filled -= current.pop(0).size  # the overlap gives way to a unit that would not fit beside it
        current.append(unit)
        filled += unit.size
        carried = False
        index += 1
    if not carried:
        pieces.append("".join(u.text for u in current))
    return [piece.strip() for piece in pieces if piece.strip()]


def _tail(units: list[_Unit], overlap: int) -> list[_Unit]:
    """The last units of a piece whose sizes add up to at most ``overlap``."""
    tail: list[_Unit] = []
    total = 0
    for unit in reversed(units):
        if total + unit.size > overlap:
            break
        tail.insert(0, unit)
        total += unit.size
    return tail
