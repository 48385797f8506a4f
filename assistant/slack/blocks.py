"""Block Kit from the typed ``Answer``: verdict first in its own section, then what was understood
(when it differs from what the person set), the status lines, the quotes with their [n], the caveats,
and the sources. Nothing here parses ``answer.answer``: it is drawn whole only for an answer that has
none of the typed parts (a refusal, or an answer from the older pipeline).

>>> from assistant.schema import Answer, Verdict
>>> a = Answer(question="q", answer="(ignored)", refused=False, verdict=Verdict("yes", "Yes: listed.", [1]))
>>> answer_blocks(a)[0]["text"]["text"]
'*Yes: listed.* [1]'
"""

from __future__ import annotations

import re

from assistant.dates import human_date
from assistant.schema import Answer, Citation, Query
from assistant.slack.mrkdwn import escape, plain, to_mrkdwn

SECTION_LIMIT = 3000  # characters of one section's text
BLOCK_LIMIT = 50  # blocks in one message
TITLE_CHARS = 200
QUOTE_CHARS = 300
FALLBACK_CHARS = 3000

ACTION_UP = "lodestone_feedback_up"
ACTION_DOWN = "lodestone_feedback_down"
ACTION_SHARE = "lodestone_share"
DISCLAIMER = "Quotes are verified against the sources; check them before relying on this."
CAVEAT_MARK = {"limit": "⚠️", "where_to_check": "🔎", "uncovered_part": "❔", "later_period": "🕒"}


# -- pieces ---------------------------------------------------------------------------
def split_text(text: str, limit: int = SECTION_LIMIT, separators: tuple[str, ...] = ("\n\n", "\n", " ")) -> list[str]:
    """Pieces of at most ``limit`` characters, cut between paragraphs, then lines, then words."""
    if len(text) <= limit:
        return [text] if text.strip() else []
    if not separators:
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    separator, finer = separators[0], separators[1:]
    pieces, current = [], ""
    for part in text.split(separator):
        candidate = f"{current}{separator}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            pieces.append(current)
        smaller = split_text(part, limit, finer)
        pieces += smaller[:-1]
        current = smaller[-1] if smaller else ""
    if current.strip():
        pieces.append(current)
    return pieces


def section(mrkdwn: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def sections(mrkdwn: str) -> list[dict]:
    return [section(piece) for piece in split_text(mrkdwn)]


def context(mrkdwn: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn[:SECTION_LIMIT]}]}


def _date(iso: str | None) -> str:
    try:
        return human_date(iso)
    except (TypeError, ValueError):
        return iso or ""


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _safe_url(url: str | None) -> str | None:
    if url and re.fullmatch(r"https?://[^\s<>|]+", url):
        return url
    return None


def markers(numbers: list[int] | int | None) -> str:
    """`` [1] [3]`` for the citation numbers, or nothing."""
    if numbers is None:
        return ""
    numbers = [numbers] if isinstance(numbers, int) else numbers
    return "".join(f" [{n}]" for n in numbers)


# -- the typed parts ---------------------------------------------------------------------
def verdict_mrkdwn(answer: Answer) -> str:
    verdict = answer.verdict
    return f"*{escape(verdict.text)}*{markers(verdict.citations)}" if verdict else ""


def understood_as(answer: Answer, set_as_of: str | None = None) -> str:
    """What was read from the question that the person did not set: the as-of date and the instruments."""
    query: Query | None = answer.query
    if query is None:
        return ""
    parts = []
    as_of = query.as_of or answer.as_of
    if as_of and query.as_of_source == "question" and as_of != (set_as_of or ""):
        parts.append(f"as of {_date(as_of)} (from the question)")
    titles = {s.measure_id: s.title for s in answer.status_lines}
    named = [titles.get(i, i) for i in query.instruments if titles.get(i, i).lower() not in query.question.lower()]
    if named:
        parts.append("about " + ", ".join(named))
    parts += [c.text for c in answer.caveats if c.kind == "understood"]
    return "Understood as: " + escape("; ".join(parts)) if parts else ""


def status_mrkdwn(answer: Answer) -> str:
    if not answer.status_lines:
        return ""
    lines = [f"*Status on {_date(answer.as_of)}*"] if answer.as_of else ["*Status*"]
    for line in answer.status_lines:
        lines.append(f"• {escape(line.title)}: {escape(line.phrase)}{markers(line.citation)}")
        if line.where_to_check:
            lines.append(f"    _Check: {escape(line.where_to_check)}_")
    return "\n".join(lines)


def quotes_mrkdwn(answer: Answer) -> str:
    lines = []
    for quote in answer.quotes:
        later = " _(speaks of a later period)_" if quote.later else ""
        lines.append(f">{escape(' '.join(quote.text.split()))}{markers(quote.citation)}{later}")
    return "\n".join(lines)


def caveats_mrkdwn(answer: Answer) -> str:
    lines = [
        f"{CAVEAT_MARK.get(c.kind, '⚠️')} {escape(c.text)}{markers(c.citations)}"
        for c in answer.caveats
        if c.kind != "understood"
    ]
    return "\n".join(lines)


def typed_blocks(answer: Answer, set_as_of: str | None = None) -> list[dict]:
    blocks = sections(verdict_mrkdwn(answer))
    understood = understood_as(answer, set_as_of)
    if understood:
        blocks.append(context(understood))
    reply = to_mrkdwn(answer.reply.strip()) if answer.reply else ""
    for mrkdwn in (status_mrkdwn(answer), reply, quotes_mrkdwn(answer), caveats_mrkdwn(answer)):
        blocks += sections(mrkdwn)
    return blocks


# -- sources ----------------------------------------------------------------------------
def citation_mrkdwn(citation: Citation) -> str:
    """One source, whole: number, linked title, issuer and date, and a short quote."""
    title = escape(shorten(citation.title, TITLE_CHARS))
    url = _safe_url(citation.url)
    linked = f"<{url}|{title.replace('|', '¦')}>" if url else f"*{title}*"
    when = f"issued {_date(citation.issued)}" if citation.issued else _date(citation.published)
    details = [escape(x) for x in (citation.issuer, when) if x]
    if not url and citation.document:
        details.append(f"`{escape(citation.document)}`")
    head = f"*[{citation.n}]* {linked}" + "".join(f" · {d}" for d in details)
    quote = escape(shorten(citation.quote, QUOTE_CHARS))
    return f"{head}\n>{quote}" if quote else head


def source_sections(citations: list[Citation]) -> list[dict]:
    """Citations packed into as few sections as fit; a citation is never cut apart."""
    packed, current = [], ""
    for citation in citations:
        text = citation_mrkdwn(citation)[:SECTION_LIMIT]
        candidate = f"{current}\n\n{text}" if current else text
        if len(candidate) > SECTION_LIMIT:
            packed.append(current)
            candidate = text
        current = candidate
    if current:
        packed.append(current)
    return [section(text) for text in packed]


# -- whole answers -------------------------------------------------------------------------
def answer_blocks(answer: Answer, set_as_of: str | None = None) -> list[dict]:
    """Every block of an answer, before it is cut into messages."""
    if answer.has_typed_parts():
        blocks = typed_blocks(answer, set_as_of)
    else:
        blocks = sections(to_mrkdwn(answer.answer.strip()))
    as_of = f"Answer as of {_date(answer.as_of)}. " if answer.as_of else ""
    blocks.append(context(as_of + ("" if answer.refused else DISCLAIMER)))
    if answer.citations:
        blocks += [{"type": "divider"}, section(f"*Sources ({len(answer.citations)})*")]
        blocks += source_sections(answer.citations)
    return blocks


def fallback_text(answer: Answer) -> str:
    """The plain-text version Slack shows in notifications and to screen readers."""
    if answer.has_typed_parts():
        parts = [answer.verdict.text + markers(answer.verdict.citations)] if answer.verdict else []
        parts += [f"{s.title}: {s.phrase}{markers(s.citation)}" for s in answer.status_lines]
        parts += [plain(answer.reply)] if answer.reply else []
        parts += [f'"{q.text}"{markers(q.citation)}' for q in answer.quotes[:3]]
        text = "\n".join(parts)
    else:
        text = plain(answer.answer)
    numbers: dict[str, list[str]] = {}
    for c in answer.citations:
        numbers.setdefault(shorten(c.title, 120), []).append(str(c.n))
    if numbers:
        text += "\n\nSources: " + "; ".join(f"[{', '.join(ns)}] {title}" for title, ns in numbers.items())
    return _cut(text, FALLBACK_CHARS) or "Lodestone answer"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def answer_messages(
    answer: Answer, actions: dict | None = None, intro: list[dict] | None = None, set_as_of: str | None = None
) -> list[tuple[list[dict], str]]:
    """(blocks, fallback text) of each message an answer needs, within Slack's limits.

    Messages hold at most 50 blocks; ``intro`` blocks open the first, the
    actions block (buttons) ends the last.
    """
    blocks = (intro or []) + answer_blocks(answer, set_as_of)
    messages = [blocks[i : i + BLOCK_LIMIT] for i in range(0, len(blocks), BLOCK_LIMIT)] or [[]]
    if actions:
        if len(messages[-1]) >= BLOCK_LIMIT:
            messages.append([])
        messages[-1].append(actions)
    count = len(messages)
    texts = [fallback_text(answer)] + [f"Lodestone answer, part {i} of {count}" for i in range(2, count + 1)]
    return list(zip(messages, texts, strict=True))


def answer_actions(value: str, share: bool = False) -> dict:
    """👍/👎 buttons (and "Share in channel" for a private answer) carrying the answer's key."""
    buttons = [
        _button("👍 Helpful", ACTION_UP, value),
        _button("👎 Not helpful", ACTION_DOWN, value),
    ]
    if share:
        buttons.append(_button("Share in channel", ACTION_SHARE, value, style="primary"))
    return {"type": "actions", "block_id": "lodestone_answer_actions", "elements": buttons}


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label, "emoji": True}}
    button["value"] = value
    if style:
        button["style"] = style
    return button
