"""Where sentences end: one rule for quoting (``assistant.answer``) and for chunking (``assistant.ingest``).

A break follows ., !, ? or … (and any closing quote or bracket) before a capital, a digit or an opening quote; a
period after a usual abbreviation ("No. 61", "U.S.", "Art. 49") is no break.

>>> sentence_pieces("No. 18 of 2025 is in force. It was not suspended.  Rule 3 applies.")
['No. 18 of 2025 is in force. ', 'It was not suspended.  ', 'Rule 3 applies.']
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
ABBREVIATIONS = re.compile(r"\b(?:No|Ann|Art|Arts|e\.g|i\.e|U\.S|Mr|Ms|Dr|St|Co|Inc|Ltd|vs|approx|para|cf|Fig|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.$", re.I)


def sentence_pieces(text: str) -> list[str]:
    """``text`` cut into sentences that keep their trailing whitespace, so they join back into ``text``
    (the contract of llama-index's sentence tokenizer, without loading NLTK)."""
    pieces, start = [], 0
    for match in SENTENCE_END.finditer(text):
        if ABBREVIATIONS.search(text[start : match.start()].rstrip("\"”’)")):
            continue
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces
