"""Date patterns shared by the stages, the as-of check, and how dates are written in answers.

Which date a question asks for is read in ``assistant/understand.py``.

>>> human_date("2025-11-07")
'7 November 2025'
"""

from __future__ import annotations

import datetime as dt
import re

from assistant.errors import QuestionInvalid

MONTHS = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
)}  # fmt: skip
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
ISO = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(20\d\d)\b", re.I)
MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(20\d\d)\b", re.I)
NOW = re.compile(r"\b(today|now|currently|current|at present|presently|still|yet|as of this week)\b", re.I)


def _month(name: str) -> int:
    name = name.lower().rstrip(".")
    return next(v for k, v in MONTHS.items() if k.startswith(name[:3]))


def parse_as_of(value: str | None, today: str | None = None) -> str:
    """Validate an as-of date (YYYY-MM-DD); empty means today."""
    if not value:
        return today or dt.date.today().isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise QuestionInvalid(f"The as-of date must look like 2025-11-20 (YYYY-MM-DD), got {value!r}") from None


def human_date(iso: str | None) -> str:
    """'2025-11-20' -> '20 November 2025', the corpus's own way of writing a date."""
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"


def display_date(value) -> str:
    """human_date for renderers: anything that is not an ISO date is shown as it is."""
    try:
        return human_date(str(value)) if value else ""
    except ValueError:
        return str(value)
