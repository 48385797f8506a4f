"""Slack's mrkdwn: Markdown written by the engine drawn for Slack, and Slack's markup read back into a question.

>>> to_mrkdwn("**Status on 7 Nov 2025**\\n- No. 61 & No. 62: suspended [1]")
'*Status on 7 Nov 2025*\\n• No. 61 &amp; No. 62: suspended [1]'
>>> question_text("<@UBOT>  is <https://a.org|this> &amp; <#C1|general> ok?", "UBOT")
'is this & general ok?'
"""

from __future__ import annotations

import re

from assistant.textinput import clean_question

LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
BULLET = re.compile(r"^([ \t]*)[-*+][ \t]+", re.M)
BOLD_MARK = "\x00"


def escape(text: str) -> str:
    """Escape the three characters Slack reserves for its control sequences."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Markdown as the engine writes it (``**bold**``, bullets, links, [n] markers) in Slack's mrkdwn."""
    text = escape(markdown.replace(BOLD_MARK, ""))
    text = HEADING.sub(lambda m: f"{BOLD_MARK}{m[1]}{BOLD_MARK}", text)
    text = BULLET.sub(lambda m: f"{m[1]}• ", text)
    text = BOLD.sub(lambda m: f"{BOLD_MARK}{m[1] or m[2]}{BOLD_MARK}", text)
    text = ITALIC.sub(r"_\1_", text)
    text = LINK.sub(lambda m: f"<{m[2]}|{m[1].replace('|', '¦')}>", text)
    return text.replace(BOLD_MARK, "*")


def plain(markdown: str) -> str:
    """Markdown without its emphasis marks, for notifications and screen readers."""
    text = BOLD.sub(lambda m: m[1] or m[2], markdown)
    return LINK.sub(lambda m: f"{m[1]} ({m[2]})", text)


def question_text(text: str, bot_user_id: str | None) -> str:
    """What a person asked: Slack's markup undone, the bot's own @mention taken out, the text cleaned."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    text = re.sub(r"<(?:https?://|mailto:)[^|>]*\|([^>]*)>", r"\1", text)  # <url|label> -> label
    text = re.sub(r"<((?:https?://|mailto:)[^>]*)>", r"\1", text)
    text = re.sub(r"<[#@!][^|>]*\|([^>]*)>", r"\1", text)  # <#C1|general> -> general
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(clean_question(text).split())
