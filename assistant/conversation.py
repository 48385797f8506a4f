"""Follow-up questions made standalone from the conversation so far.

Without a generator, a follow-up ("and what about holmium?") is rewritten by
putting the new subject in place of the old one in the last substantive
question. With a generator configured, the engine asks it instead.

>>> from assistant.schema import Turn
>>> standalone("and what about holmium?", [Turn("Is dysprosium controlled?")])
'Is holmium controlled? and what about holmium?'
>>> standalone("and .b?", [Turn("what's 1E902.a?")])
"what's 1E902.b?"
"""

from __future__ import annotations

import re

from assistant.register import items_in
from assistant.schema import Turn

FOLLOW_UP = re.compile(
    r"^\s*(and|what about|how about|also|same for|and for|and what|what of|ok(ay)?,? and|but|then|so)\b"
    r"|^\s*(is it|was it|does it|did it|are they|were they|do they|is that|what if|why|when|which)\b"
    r"|\b(it|they|them|that one|those|this one|these)\b",
    re.I,
)


SUB_ITEM = re.compile(r"^\W*(?:and|what about|how about)?\s*\.([a-z])\W*$", re.I)
CODE_WITH_SUB_ITEM = re.compile(r"\b(\d[A-E]\d{3})\.[a-z]\b", re.I)


# "does the partner still need that licence?": a thing pointed back to. It makes a follow-up only of a question that
# names nothing of its own to look up (no item, code or announcement number).
REFERS_BACK = re.compile(
    r"\b(?i:that|those|these|the same)\s+(?!(?:is|was|are|were|the|an?|it|they|we|you|i|our|this|there|has|have|had|will|"
    r"would|can|could|should|must|may|might|to|of|in|on|for|with|from|and|or)\b)[a-z]{3,}\b"
)  # a demonstrative before a lower-case noun ("that licence"), not "that the rule..." nor "from that,"
OWN_SUBJECT = re.compile(r"\bNo\.?\s*\d|\b\d[A-E]\d{3}\b|\b\d{4}\.\d{2}\b", re.I)


def is_follow_up(question: str, history: list[Turn]) -> bool:
    if not history:
        return False
    if len(question.split()) <= 8 or FOLLOW_UP.search(question):
        return True
    return bool(REFERS_BACK.search(question)) and not (items_in(question) or OWN_SUBJECT.search(question))


def standalone(question: str, history: list[Turn]) -> str:
    """The question with the context a follow-up leaves out filled in."""
    if not is_follow_up(question, history):
        return question
    previous = next((t.question for t in reversed(history) if t.question.strip()), "")
    if not previous:
        return question
    new, old = items_in(question), items_in(previous)
    sub_item = SUB_ITEM.match(question)
    if sub_item and CODE_WITH_SUB_ITEM.search(previous):  # "what's 1E902.a?" then "and .b?"
        return CODE_WITH_SUB_ITEM.sub(lambda m: f"{m.group(1)}.{sub_item.group(1)}", previous)
    if new.elements and old.elements:
        return f"{_replace_elements(previous, old.elements, new.elements)} {question}"
    if new:
        return f"{question} ({previous})"
    return f"{previous} {question}"


def _replace_elements(previous: str, old: list[str], new: list[str]) -> str:
    from assistant.register import ELEMENTS

    text = previous
    for i, name in enumerate(old):
        replacement = new[min(i, len(new) - 1)]
        pattern = rf"\b{name}\b"
        if ELEMENTS.get(name):
            pattern += rf"|(?<![\w-]){ELEMENTS[name]}(?![\w])"
        text = re.sub(pattern, replacement, text, flags=0 if not re.search(rf"\b{name}\b", text, re.I) else re.I)
    return text
