"""Strip web-capture noise from plain-text page captures.

Raw captures (like the seed articles) carry menus, share counters, caption
toggles, login boxes and "Related Posts" lists around the article. HTML goes
through trafilatura's main-text extraction instead; this module handles text
that has already lost its markup, where no library applies.

The rules, in order:

1. the article ends at the first end marker ("Source link", "Related Posts"...);
2. menu bullets, caption toggles, counters, bylines and photo credits are dropped;
3. a line is kept only if it reads as prose: enough words and sentence
   punctuation, or a heading that the next prose line follows;
4. repeated lines (captions printed twice) are kept once.

>>> clean_capture("Home\\nTop Stories\\nChina sets new rules on rare earths today.\\nSource link\\nRelated")
'China sets new rules on rare earths today.'
"""

from __future__ import annotations

import re

END_MARKERS = (
    "source link",
    "related posts",
    "related article",
    "reuse this content",
    "previous post",
    "next post",
    "post views:",
)

NOISE_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"^[•·\-–*]\s",  # menu bullets
        r"^(hide|toggle) caption$",
        r"^\d+\s*(shares?|views?|comments?)?$",
        r"^(shares|views)$",
        r"^reading time:",
        r"^(table of contents|toggle|no result|view all result|login|log in|welcome back!?)$",
        r"^(login to your account below|forgotten password\?|retrieve your password)$",
        r"^please enter your username",
        r"^tags:",
        r"^visited \d+ times",
        r"\bvia getty images\b|^getty images$|/afp\b|^photo:|\(source:",
        r"^\w+ \w+ by \w+ \w+$",  # "Daniel White by Daniel White"
        r"^in [\w ,&]+$",  # "in Local News, Top Stories"
        r"^(monday|tuesday|wednesday|thursday|friday|saturday|sunday), \w+ \d+, \d{4}$",
        r"^\w+ \d{1,2}, \d{4}$",  # a bare date line
    )
]

SENTENCE_END = re.compile(r"[.!?…:”\"’)]$")


def clean_capture(text: str) -> str:
    """Return the article body of a plain-text web capture."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = _cut_at_end_marker(lines)
    kept: list[str] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if not line or line in seen or _is_noise(line):
            continue
        if _is_prose(line) or _is_heading_before_prose(line, lines[i + 1 :]):
            kept.append(line)
            seen.add(line)
    return "\n\n".join(kept)


def _cut_at_end_marker(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if line.lower().rstrip(":") in END_MARKERS or line.lower().startswith("post views:"):
            return lines[:i]
    return lines


def _is_noise(line: str) -> bool:
    return any(p.search(line) for p in NOISE_PATTERNS)


def _is_prose(line: str) -> bool:
    words = line.split()
    return len(words) >= 6 and bool(SENTENCE_END.search(line))


def _is_heading_before_prose(line: str, rest: list[str]) -> bool:
    """A short title-like line directly followed (blank lines aside) by prose."""
    words = line.split()
    if not 3 <= len(words) <= 20 or SENTENCE_END.search(line):
        return False
    following = next((r for r in rest if r and not _is_noise(r)), "")
    return _is_prose(following)
