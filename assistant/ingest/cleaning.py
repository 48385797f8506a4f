"""Strip web-capture noise from plain-text page captures, and only from them.

Raw captures (like seed 002) carry menus, share counters, caption toggles,
login boxes and "Related Posts" lists around the article. Every other ``.txt``
(a memo, a note, a mail) is kept whole: the cleaner runs only on a file that
``looks_like_capture`` or whose sidecar says ``kind: web-capture``.

A capture is recognised by its own traits: at least two different ones of a
run of menu bullets, caption toggles, share/view counters, search and login
widgets, and page-end markers ("Source link", "Related Posts").

The rules the cleaner applies, in order:

1. the article ends at the first end marker ("Source link", "Related Posts"...);
2. menu bullets, caption toggles, counters, bylines and photo credits are dropped;
3. a line is kept only if it reads as prose: enough words and sentence
   punctuation, or a heading that the next prose line follows;
4. repeated lines (captions printed twice) are kept once.

Every line it drops is reported (``clean`` returns them), so a build can say
how many lines of which file were dropped.

>>> clean_capture("Home\\nTop Stories\\nChina sets new rules on rare earths today.\\nSource link\\nRelated")
'China sets new rules on rare earths today.'
>>> clean("Home\\nChina sets new rules on rare earths today.").dropped
['Home']
>>> looks_like_capture("To: Sales\\n- licence number\\n- HS code")
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


CAPTURE_TRAITS = {
    "caption toggle": re.compile(r"^(hide|toggle) caption$", re.I),
    "share or view counter": re.compile(r"^(\d+\s*)?(shares?|views?)$|^post views:|^visited \d+ times", re.I),
    "search or login widget": re.compile(
        r"^(no result|view all result|login to your account below|forgotten password\?|retrieve your password|welcome back!?)$",
        re.I,
    ),
    "page-end marker": re.compile(r"^(source link|related (?:posts?|articles?)|previous post|next post|reuse this content)$", re.I),
    "reading time": re.compile(r"^reading time:", re.I),
}
MENU_BULLET = re.compile(r"^\s*[•·]\s+\S+(?:\s+\S+){0,3}$")
MENU_RUN = 5  # this many short bullet lines in a row make a menu


@dataclass(frozen=True)
class Cleaned:
    """The kept article text and the non-blank lines the cleaner dropped."""

    text: str
    dropped: list[str] = field(default_factory=list)


def looks_like_capture(text: str) -> bool:
    """True when the text shows at least two different traits of a web-page capture."""
    lines = text.replace("\r\n", "\n").split("\n")
    traits = {name for line in lines for name, pattern in CAPTURE_TRAITS.items() if pattern.search(line.strip())}
    if _has_menu(lines):
        traits.add("menu")
    return len(traits) >= 2


def _has_menu(lines: list[str]) -> bool:
    run = 0
    for line in lines:
        run = run + 1 if MENU_BULLET.match(line) else 0
        if run >= MENU_RUN:
            return True
    return False


def clean_capture(text: str) -> str:
    """Return the article body of a plain-text web capture."""
    return clean(text).text


def clean(text: str) -> Cleaned:
    """The article body of a capture, and every non-blank line left out of it."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    body = _cut_at_end_marker(lines)
    kept: list[str] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for i, line in enumerate(body):
        if not line or line in seen:
            continue
        if not _is_noise(line) and (_is_prose(line) or _is_heading_before_prose(line, body[i + 1 :])):
            kept.append(line)
            seen.add(line)
        else:
            dropped.append(line)
    dropped += [line for line in lines[len(body) :] if line]
    return Cleaned("\n\n".join(kept), [line for line in dropped if line not in seen])


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
