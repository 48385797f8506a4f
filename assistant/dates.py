"""Dates named in questions, and how dates are written in answers.

>>> date_in_question("Was holmium controlled on 15 December 2025?", "2026-11-24")
'2025-12-15'
>>> date_in_question("in March 2025, did Ann. 18 apply?", "2026-11-24")
'2025-03-31'
>>> date_in_question("is it in force today?", "2026-11-24")
'2026-11-24'
>>> date_in_question("were the April 2025 controls removed?", "2026-11-24") is None
True
>>> human_date("2025-11-07")
'7 Nov 2025'
"""

from __future__ import annotations

import calendar
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
# "in March 2025" names a date; "the April 2025 controls" names a measure.
MONTH_YEAR = re.compile(rf"\b(?:in|on|during|by|as of|since|until|before|after|through|end of|early|late|mid-?)\s+{_MONTH}\s+(20\d\d)\b", re.I)
NOW = re.compile(r"\b(today|now|currently|current|at present|presently|still|yet|as of this week)\b", re.I)


def _month(name: str) -> int:
    name = name.lower().rstrip(".")
    return next(v for k, v in MONTHS.items() if k.startswith(name[:3]))


def _safe(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def date_in_question(question: str, reference: str) -> str | None:
    """The date a question asks about, if it names one; None otherwise.

    "now", "today", "yet" mean the reference date: the as-of date in use.
    """
    if m := ISO.search(question):
        return _safe(int(m[1]), int(m[2]), int(m[3]))
    if m := DAY_MONTH_YEAR.search(question):
        return _safe(int(m[3]), _month(m[2]), int(m[1]))
    if m := MONTH_DAY_YEAR.search(question):
        return _safe(int(m[3]), _month(m[1]), int(m[2]))
    if NOW.search(question):  # "are the October 2025 measures in force now?" asks about the reference date
        return reference
    if m := MONTH_YEAR.search(question):  # "in March 2025": the month's last day
        year, month = int(m[2]), _month(m[1])
        return _safe(year, month, calendar.monthrange(year, month)[1])
    return None


def parse_as_of(value: str | None, today: str | None = None) -> str:
    """Validate an as-of date (YYYY-MM-DD); empty means today."""
    if not value:
        return today or dt.date.today().isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise QuestionInvalid(f"The as-of date must look like 2025-11-20 (YYYY-MM-DD), got {value!r}") from None


def human_date(iso: str | None) -> str:
    if not iso:
        return ""
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%b')} {d.year}"
