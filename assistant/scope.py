"""Is a question inside what the corpus can answer?

Calibrated on the golden questions (see evals/README.md, "Refusal
calibration"): the dense similarity of the best passage does not separate
off-topic from on-topic questions with this small model (both fall between
0.43 and 0.60), so the decision rests on two lexical signals instead:

- **anchors**: words and identifiers of the domain (export controls, licences,
  MOFCOM, rare earths, element names and symbols, control codes, HS codes,
  announcement numbers...). A question with none is answered only when one
  quoted sentence covers most of it;
- **unsupported requests**: kinds of question the corpus never answers however
  they are worded (prices, weather, poems, recommendations, process recipes,
  other countries' regimes it does not describe, predictions).

>>> unsupported_request("Write me a short poem about dysprosium.")
'creative writing'
>>> has_anchor("what's 1E902.b?")
True
"""

from __future__ import annotations

import re

from assistant.keyword import identifier_tokens
from assistant.register import items_in

ANCHORS = re.compile(
    r"\b(export|exports|exporter|exporting|import|licen[cs]e[sd]?|licen[cs]ing|permit|mofcom|commerce ministry|"
    r"ministry of commerce|customs|gac|dual[- ]use|rare[- ]earths?|rees?|magnets?|ndfeb|smco|announcements?|anns?\.?|"
    r"catalogue|unreliable entit|watch[- ]list|control list|entity list|suspen\w*|general licen|extraterritorial|"
    r"de minimis|0\.1 ?%|re-?export|end[- ]users?|end[- ]use|military|affiliates rule|sanction|controls?|controlled|"
    r"state council|order \d+|technolog\w*|superhard|graphite|batter\w*|truce|busan|restrict\w*|ban|banned|"
    r"pause[sd]?|package|take effect|took effect|in force|entit(y|ies))\b|0\.1 ?%",
    re.I,
)
UNSUPPORTED = {
    "creative writing": r"\b(poem|poetry|haiku|limerick|song|lyrics|story|joke|essay)\b",
    "weather": r"\b(weather|forecast for|temperature outside|rain|sunny)\b",
    "prices and markets": r"\b(price|prices|pricing|spot|share price|stock|market cap|quote for|fees?|cost)\b",
    "recommendations": r"\b(recommend|suggest (a|an|some)|best (supplier|broker|lawyer|firm)|which (broker|supplier) should)\b",
    "process engineering": r"\b(sinter\w*|temperature and atmosphere|recipe|how (do|to) (we )?(make|manufacture|produce))\b",
    "regimes the corpus does not describe": r"\b(itar|reach registration|eu reach|cbam|ofac|ear99|wassenaar|fefta|meti)\b",
    "predictions": r"\b(will .{0,40}\b(next year|in 20(2[7-9]|[3-9]\d))|predict\w*|going to happen)\b",
    "general knowledge": r"\b(capital of|world cup|who won|recipe for|translate)\b",
    "other countries' own regimes": r"\b(india|indian|japan|japanese|korea|korean|australia|australian|canada|canadian|"
    r"eu|european union|uk|british|germany|german|vietnam|russia|russian|taiwan)(?:'s)?\s+(own\s+)?(export|import)\s+"
    r"(restrictions?|controls?|rules?|bans?|licen[cs]\w*|regime)",
    "import tariffs": r"\bimport (tariffs?|dut(y|ies))\b|\btariffs? (does|do|did) china\b",
}
_UNSUPPORTED = {name: re.compile(pattern, re.I) for name, pattern in UNSUPPORTED.items()}


def unsupported_request(question: str) -> str | None:
    """The kind of request the corpus never answers, or None."""
    return next((name for name, pattern in _UNSUPPORTED.items() if pattern.search(question)), None)


def missing_period(question: str, quoted: list[str]) -> bool:
    """A figure asked for a month ("how many tonnes in August 2026?") that no quoted sentence mentions."""
    import re

    from assistant.dates import MONTH_YEAR

    if not re.search(r"\bhow (many|much)\b", question, re.I):
        return False
    match = MONTH_YEAR.search(question)
    if match is None:
        return False
    month, year = match.group(1)[:3].lower(), match.group(2)
    return not any(month in s.lower() and year in s for s in quoted)


def has_anchor(question: str) -> bool:
    return bool(ANCHORS.search(question) or identifier_tokens(question) or items_in(question))
