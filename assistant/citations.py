"""Citation checks: a quote reaches the user only if it is in its passage.

Markers are ``[n]``; a marker with no matching citation, or a citation whose
quote is not literally in the passage it cites (whitespace aside), is removed,
and so is any sentence left without a valid citation.

>>> verify_quote("suspended  until\\n10 Nov", "It was suspended until 10 Nov 2026.")
True
>>> verify_quote("lifted", "It was suspended until 10 Nov 2026.")
False
"""

from __future__ import annotations

import re

from assistant.schema import Citation, Passage

MARKER = re.compile(r"\[(\d+)\]")


def normalise(text: str) -> str:
    return " ".join(text.split())


def verify_quote(quote: str, passage_text: str) -> bool:
    quote = normalise(quote)
    return bool(quote) and quote in normalise(passage_text)


def valid_citations(citations: list[Citation], passages: list[Passage]) -> tuple[list[Citation], list[dict]]:
    """Split citations into those that verify and a list of what was removed and why."""
    by_rank = {p.rank: p for p in passages}
    kept, removed = [], []
    for c in citations:
        passage = by_rank.get(c.passage)
        if passage is None:
            removed.append({"n": c.n, "reason": "cites a passage that was not retrieved", "text": c.quote})
        elif not verify_quote(c.quote, passage.text):
            removed.append({"n": c.n, "reason": "quote is not in the cited passage", "text": c.quote})
        else:
            kept.append(c)
    return kept, removed


def strip_unbacked(answer: str, valid: set[int]) -> tuple[str, list[dict]]:
    """Drop markers that point nowhere, then lines/sentences left with no valid marker."""
    removed = []
    kept_lines = []
    for line in answer.split("\n"):
        if not line.strip() or not _is_claim(line):
            kept_lines.append(line)
            continue
        markers = [int(n) for n in MARKER.findall(line)]
        good = [n for n in markers if n in valid]
        cleaned = MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", line)
        if not good:
            removed.append({"n": markers[0] if markers else None, "reason": "no verified citation", "text": line.strip()})
            continue
        kept_lines.append(re.sub(r" +", " ", cleaned).rstrip())
    return "\n".join(kept_lines).strip(), removed


def _is_claim(line: str) -> bool:
    """Headings and labels ("**Status on 2025-11-20**") are not claims that need a source."""
    stripped = line.strip()
    return not (stripped.startswith("#") or (stripped.startswith("**") and stripped.endswith("**")) or stripped.endswith(":"))
