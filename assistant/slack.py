"""The Slack bot: a Bolt app that renders engine answers as Block Kit, nothing more.

    lodestone slack                        # Socket Mode: SLACK_BOT_TOKEN + SLACK_APP_TOKEN
    lodestone slack --http --port 3000     # Events API over HTTP: SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET

The bot answers @mentions in channels (in a thread under the question), direct
messages (also threaded) and the ``/lodestone`` slash command (privately, with a
"Share in channel" button). A reply in a thread where the bot answered is read
in the context of that thread's earlier questions. Each answer carries 👍/👎
buttons whose clicks go to the shared feedback store. Slack's retries and
repeated events are answered once; a failing engine gets a friendly reply.

>>> app = build_app(Engine(settings), settings, bot_token="xoxb-...")  # doctest: +SKIP
>>> for blocks, text in answer_messages(answer, answer_actions("key")):  # doctest: +SKIP
...     client.chat_postMessage(channel="C1", thread_ts=ts, blocks=blocks, text=text)
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from assistant.config import Settings, set_offline_environment
from assistant.dates import human_date
from assistant.errors import LodestoneError
from assistant.feedback import FeedbackStore
from assistant.schema import Answer, Citation, Turn

log = logging.getLogger(__name__)

SECTION_LIMIT = 3000  # characters of one section's text
BLOCK_LIMIT = 50  # blocks in one message
VALUE_LIMIT = 2000  # characters of a button's value
TITLE_CHARS = 200
QUOTE_CHARS = 300
FALLBACK_CHARS = 3000

ACTION_UP = "lodestone_feedback_up"
ACTION_DOWN = "lodestone_feedback_down"
ACTION_SHARE = "lodestone_share"
COMMAND = "/lodestone"
METADATA_EVENT = "lodestone_answer"
# Message subtypes that still carry a person's question; every other subtype is an edit, a join, a bot...
QUESTION_SUBTYPES = {None, "file_share", "thread_broadcast"}

GENERIC_ERROR = (
    "Sorry, something went wrong while answering. The problem has been logged; "
    "please try again or rephrase the question."
)
HELP = (
    "Ask me about China's rare-earth and critical-mineral export controls, for example "
    "`Is holmium controlled?`. I answer from the indexed sources and cite each one."
)
DISCLAIMER = "Quotes are verified against the sources; check them before relying on this."


# -- Slack's mrkdwn -------------------------------------------------------------
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
    """Markdown as the engine writes it (``**bold**``, bullets, links, [n] markers) in Slack's mrkdwn.

    >>> to_mrkdwn("**Status on 7 Nov 2025**\\n- No. 61 & No. 62: suspended [1]")
    '*Status on 7 Nov 2025*\\n• No. 61 &amp; No. 62: suspended [1]'
    """
    text = escape(markdown)
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
    """What a person asked: Slack's markup undone and the bot's own @mention taken out."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
    text = re.sub(r"<(?:https?://|mailto:)[^|>]*\|([^>]*)>", r"\1", text)  # <url|label> -> label
    text = re.sub(r"<((?:https?://|mailto:)[^>]*)>", r"\1", text)
    text = re.sub(r"<[#@!][^|>]*\|([^>]*)>", r"\1", text)  # <#C1|general> -> general
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


# -- Block Kit --------------------------------------------------------------------
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
    except ValueError:
        return iso or ""


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _safe_url(url: str | None) -> str | None:
    if url and re.fullmatch(r"https?://[^\s<>|]+", url):
        return url
    return None


def citation_mrkdwn(citation: Citation) -> str:
    """One source, whole: number, linked title, issuer and date, and a short quote."""
    title = escape(_shorten(citation.title, TITLE_CHARS))
    url = _safe_url(citation.url)
    linked = f"<{url}|{title.replace('|', '¦')}>" if url else f"*{title}*"
    details = [escape(x) for x in (citation.issuer, _date(citation.published)) if x]
    if not url and citation.document:
        details.append(f"`{escape(citation.document)}`")
    head = f"*[{citation.n}]* {linked}" + "".join(f" · {d}" for d in details)
    quote = escape(_shorten(citation.quote, QUOTE_CHARS))
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


STATUS_HEADING = re.compile(r"^\*\*Status on [^*\n]+\*\*\n(?:[-*] .*(?:\n|$))+", re.M)


def split_status(answer: Answer) -> tuple[str, str]:
    """(the status lines of the answer's measures, the rest of the answer), both Markdown."""
    text = answer.answer.strip()
    if not answer.measures:
        return "", text
    match = STATUS_HEADING.match(text)
    if match:
        return match[0].strip(), text[match.end() :].strip()
    lines = [f"**Status on {_date(answer.as_of)}**"]
    for m in answer.measures:
        since, until = _date(m.since), _date(m.until)
        status = (
            m.status.replace("_", " ") + (f" since {since}" if since else "") + (f", until {until}" if until else "")
        )
        lines.append(f"- {m.title}: {status}" + (f" [{m.citation}]" if m.citation else ""))
    return "\n".join(lines), text


def answer_blocks(answer: Answer) -> list[dict]:
    """Every block of an answer, before it is cut into messages."""
    status, body = split_status(answer)
    blocks = sections(to_mrkdwn(status)) + sections(to_mrkdwn(body))
    as_of = f"Answer as of {_date(answer.as_of)}. " if answer.as_of else ""
    blocks.append(context(as_of + ("" if answer.refused else DISCLAIMER)))
    if answer.citations:
        blocks += [{"type": "divider"}, section(f"*Sources ({len(answer.citations)})*")]
        blocks += source_sections(answer.citations)
    return blocks


def fallback_text(answer: Answer) -> str:
    """The plain-text version Slack shows in notifications and to screen readers."""
    text = plain(answer.answer)
    numbers: dict[str, list[str]] = {}
    for c in answer.citations:
        numbers.setdefault(_shorten(c.title, 120), []).append(str(c.n))
    if numbers:
        text += "\n\nSources: " + "; ".join(f"[{', '.join(ns)}] {title}" for title, ns in numbers.items())
    return _shorten_lines(text, FALLBACK_CHARS)


def _shorten_lines(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def answer_messages(
    answer: Answer, actions: dict | None = None, intro: list[dict] | None = None
) -> list[tuple[list[dict], str]]:
    """(blocks, fallback text) of each message an answer needs, within Slack's limits.

    Messages hold at most 50 blocks; ``intro`` blocks open the first, the
    actions block (buttons) ends the last.
    """
    blocks = (intro or []) + answer_blocks(answer)
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


# -- memory of events and answers -------------------------------------------------
class SeenEvents:
    """A bounded, thread-safe memory of the events already handled.

    >>> seen = SeenEvents(2)
    >>> seen.first_time(["Ev1"]), seen.first_time(["Ev1"]), seen.first_time(["Ev2", "Ev1"])
    (True, False, False)
    """

    def __init__(self, size: int = 10_000):
        if size <= 0:
            raise ValueError(f"size must be > 0, got {size}")
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, keys: list[str]) -> bool:
        """Remember the keys; True when none of them was seen before."""
        keys = [k for k in keys if k]
        with self._lock:
            repeated = any(k in self._keys for k in keys)
            for k in keys:
                self._keys[k] = None
                self._keys.move_to_end(k)
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)
            return not repeated


@dataclass
class AnsweredQuestion:
    answer: Answer
    asker: str
    conversation: str


class RecentAnswers:
    """The latest answers by key, so a button click finds what it is about (bounded, thread-safe)."""

    def __init__(self, size: int = 1000):
        self.size = size
        self._answers: OrderedDict[str, AnsweredQuestion] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, answer: Answer, asker: str, conversation: str) -> str:
        key = uuid.uuid4().hex[:16]
        with self._lock:
            self._answers[key] = AnsweredQuestion(answer, asker, conversation)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return key

    def get(self, key: str) -> AnsweredQuestion | None:
        with self._lock:
            return self._answers.get(key)


def button_value(key: str, answer: Answer, conversation: str = "") -> str:
    """The key, plus the question and date so a click still makes sense after a restart."""
    question = answer.question
    while True:
        value = json.dumps({"k": key, "q": question, "d": answer.as_of, "c": conversation}, ensure_ascii=False)
        if len(value) <= VALUE_LIMIT or not question:
            return value
        question = question[: len(question) // 2]


def parse_button_value(value: str) -> dict:
    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


# -- the bot ------------------------------------------------------------------------
def allowed_channels(settings: Settings) -> set[str]:
    return {c.strip() for c in settings.slack_channels.split(",") if c.strip()}


def is_direct(channel: str, channel_type: str | None = None) -> bool:
    return channel_type == "im" or channel.startswith("D")


class SlackBot:
    """The handlers behind the Bolt app; one per app, safe to call from Bolt's worker threads."""

    def __init__(self, engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.channels = allowed_channels(settings)
        self.feedback = FeedbackStore(settings.feedback_db)
        self.seen = SeenEvents()
        self.answers = RecentAnswers()

    # -- global middleware: one answer per event ------------------------------------
    def skip_repeats(self, req, body, next):  # Bolt injects each argument by its name
        """Drop Slack's retries (X-Slack-Retry-Num) and events already seen, with a 200 so Slack stops."""
        if body.get("type") == "event_callback":
            retry = req.headers.get("x-slack-retry-num")
            first = self.seen.first_time(_event_keys(body))
            if retry or not first:
                log.info("Ignored a repeated Slack event (%s)", "retry" if retry else "duplicate")
                return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return next()

    # -- messages --------------------------------------------------------------------
    def on_mention(self, event, context, client):
        self.answer_message(event, context, client)

    def on_message(self, event, context, client):
        if event.get("channel_type") == "im":
            self.answer_message(event, context, client)

    def answer_message(self, event, context, client) -> None:
        if not self._from_a_person(event, context):
            return
        channel, ts = event.get("channel", ""), event.get("ts", "")
        thread_ts = event.get("thread_ts") or ts
        if not self._allowed(channel, event.get("channel_type")):
            self._not_here(client, channel, event.get("user"))
            return
        question = question_text(event.get("text", ""), context.bot_user_id)
        if not question:
            self._post(client, channel, thread_ts, text=HELP)
            return
        history = (
            self.thread_history(client, context, channel, event["thread_ts"], ts) if event.get("thread_ts") else []
        )
        self.post_answer(client, channel, thread_ts, question, history, asker=event.get("user", ""))

    def _from_a_person(self, event, context) -> bool:
        if event.get("bot_id") or event.get("bot_profile") or event.get("subtype") not in QUESTION_SUBTYPES:
            return False
        return bool(event.get("user")) and event.get("user") != context.bot_user_id

    def _allowed(self, channel: str, channel_type: str | None = None) -> bool:
        return not self.channels or channel in self.channels or is_direct(channel, channel_type)

    def _not_here(self, client, channel: str, user: str | None) -> None:
        where = ", ".join(f"<#{c}>" for c in sorted(self.channels))
        try:
            client.chat_postEphemeral(
                channel=channel, user=user or "", text=f"Lodestone answers only in {where} and in direct messages."
            )
        except SlackApiError as error:
            log.warning("Slack refused an ephemeral notice: %s", error.response.get("error"))

    def thread_history(self, client, context, channel: str, thread_ts: str, before_ts: str) -> list[Turn]:
        """Earlier questions the bot answered in this thread, with its answers, oldest first."""
        try:
            response = client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True, limit=200)
        except SlackClientError as error:
            log.warning("Could not read the thread for context (%s); answering without it", _slack_error(error))
            return []
        turns, question = [], ""
        for message in response.get("messages") or []:
            if _ts(message.get("ts")) >= _ts(before_ts):
                break
            if self._by_this_bot(message, context):
                asked = ((message.get("metadata") or {}).get("event_payload") or {}).get("question") or question
                if asked:
                    turns.append(Turn(question=asked, answer=message.get("text", "")))
                question = ""
            elif not message.get("bot_id") and message.get("subtype") in QUESTION_SUBTYPES:
                question = question_text(message.get("text", ""), context.bot_user_id)
        return turns

    @staticmethod
    def _by_this_bot(message: dict, context) -> bool:
        user, bot = message.get("user"), message.get("bot_id")
        return bool((user and user == context.bot_user_id) or (bot and bot == context.bot_id))

    # -- asking ---------------------------------------------------------------------
    def ask(self, question: str, history: list[Turn], as_of: str | None = None) -> tuple[Answer | None, str]:
        """(answer, "") or (None, a message for the person) when the engine fails."""
        try:
            return self.engine.ask(question, as_of=as_of, history=history), ""
        except LodestoneError as error:
            return None, str(error)
        except Exception:
            log.exception("The engine failed on a question from Slack")
            return None, GENERIC_ERROR

    def post_answer(self, client, channel: str, thread_ts: str, question: str, history: list[Turn], asker: str) -> None:
        answer, problem = self.ask(question, history)
        if answer is None:
            self._post(client, channel, thread_ts, text=f"⚠️ {problem}")
            return
        key = self.answers.remember(answer, asker, thread_ts)
        metadata = {"event_type": METADATA_EVENT, "event_payload": _metadata(answer)}
        actions = answer_actions(button_value(key, answer, thread_ts))
        for i, (blocks, text) in enumerate(answer_messages(answer, actions)):
            self._post(client, channel, thread_ts, text=text, blocks=blocks, metadata=metadata if i == 0 else None)

    @staticmethod
    def _post(client, channel: str, thread_ts: str, **message) -> None:
        message = {k: v for k, v in message.items() if v is not None}
        try:
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False, **message
            )
        except SlackClientError as error:
            log.warning("Slack refused a reply in %s: %s", channel, _slack_error(error))

    # -- /lodestone ----------------------------------------------------------------
    def ack_command(self, ack, command):
        """Answer Slack within its 3 seconds; the answer follows through the response URL."""
        question = question_text(command.get("text", ""), None)
        if not question:
            ack(response_type="ephemeral", text=HELP)
        elif not self._allowed(command.get("channel_id", "")):
            where = ", ".join(f"<#{c}>" for c in sorted(self.channels))
            ack(response_type="ephemeral", text=f"Lodestone answers only in {where} and in direct messages.")
        else:
            ack(response_type="ephemeral", text=f"Looking up: {escape(question)}")

    def answer_command(self, command, respond):
        question = question_text(command.get("text", ""), None)
        if not question or not self._allowed(command.get("channel_id", "")):
            return
        answer, problem = self.ask(question, [])
        if answer is None:
            respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {problem}")
            return
        key = self.answers.remember(answer, command.get("user_id", ""), "")
        actions = answer_actions(button_value(key, answer), share=True)
        for blocks, text in answer_messages(answer, actions):
            respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks)

    # -- buttons ---------------------------------------------------------------------
    def on_feedback(self, ack, body, action, respond):
        ack()
        rating = "up" if action.get("action_id") == ACTION_UP else "down"
        value = parse_button_value(action.get("value", ""))
        known = self.answers.get(value.get("k", ""))
        user = (body.get("user") or {}).get("id", "")
        try:
            if known is not None:
                self._record(rating, known.answer, user, known.conversation)
            else:
                self._record_from_message(rating, value, body, user)
        except LodestoneError as error:
            respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {error}")
            return
        thanks = "Thanks, glad it helped." if rating == "up" else "Thanks: this answer has been flagged for review."
        respond(response_type="ephemeral", replace_original=False, text=thanks)

    def _record(self, rating: str, answer: Answer, user: str, conversation: str) -> None:
        self.feedback.record_answer(answer, source="slack", rating=rating, asker=user, conversation=conversation)

    def _record_from_message(self, rating: str, value: dict, body: dict, user: str) -> None:
        """After a restart the answer is gone from memory: keep what the button and message still hold."""
        message = body.get("message") or {}
        container = body.get("container") or {}
        self.feedback.record(
            source="slack",
            rating=rating,
            question=value.get("q", ""),
            answer=message.get("text", ""),
            as_of=value.get("d", ""),
            asker=user,
            conversation=value.get("c") or container.get("thread_ts", ""),
        )

    def on_share(self, ack, body, action, respond):
        """Post a private /lodestone answer in the channel for everyone, then remove the private copy."""
        ack()
        value = parse_button_value(action.get("value", ""))
        known = self.answers.get(value.get("k", ""))
        user = (body.get("user") or {}).get("id", "")
        if known is not None:
            answer = known.answer
        elif value.get("q"):
            answer, problem = self.ask(value["q"], [], as_of=value.get("d") or None)
            if answer is None:
                respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {problem}")
                return
        else:
            respond(
                response_type="ephemeral", replace_original=False, text="That answer has expired; please ask again."
            )
            return
        key = self.answers.remember(answer, user, "")
        intro = [context(f"<@{user}> asked: {escape(_shorten(answer.question, 500))}")]
        for blocks, text in answer_messages(answer, answer_actions(button_value(key, answer)), intro):
            respond(response_type="in_channel", replace_original=False, text=text, blocks=blocks)
        respond(delete_original=True)


def _event_keys(body: dict) -> list[str]:
    """The event's id, and for a question the bot answers, its message's ids (the same message
    may come as an app_mention and as a message.im, each with its own event id)."""
    event = body.get("event") or {}
    keys = [f"event:{body['event_id']}"] if body.get("event_id") else []
    if event.get("type") == "app_mention" or (event.get("type") == "message" and event.get("channel_type") == "im"):
        if event.get("client_msg_id"):
            keys.append(f"msg:{event['client_msg_id']}")
        if event.get("ts"):
            keys.append(f"ts:{event.get('channel', '')}:{event['ts']}")
    return keys


def _metadata(answer: Answer) -> dict:
    """What a later follow-up in the thread needs: the question as understood, and its date."""
    return {"question": answer.standalone_question or answer.question, "as_of": answer.as_of}


def _ts(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _slack_error(error: SlackClientError) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    return type(error).__name__


# -- the app ------------------------------------------------------------------------
def build_app(
    engine,
    settings: Settings,
    bot_token: str,
    signing_secret: str | None = None,
    client: WebClient | None = None,
    *,
    process_before_response: bool = False,
) -> App:
    """The Bolt app, its Web API client pointed at ``settings.slack_api_url``.

    ``process_before_response=True`` runs event handlers before Slack gets its
    200 (deterministic, for tests); the slash command always acknowledges first.
    Building the app calls ``auth.test`` once to learn the bot's own user id.
    """
    client = client or WebClient(token=bot_token, base_url=settings.slack_api_url)
    app = App(
        client=client,
        signing_secret=signing_secret or "",
        process_before_response=process_before_response,
        name="lodestone",
    )
    bot = SlackBot(engine, settings)
    app.middleware(bot.skip_repeats)
    app.event("app_mention")(bot.on_mention)
    app.event("message")(bot.on_message)
    app.command(COMMAND)(ack=bot.ack_command, lazy=[bot.answer_command])
    app.action(ACTION_UP)(bot.on_feedback)
    app.action(ACTION_DOWN)(bot.on_feedback)
    app.action(ACTION_SHARE)(bot.on_share)
    return app


def http_api(app: App):
    """A FastAPI app serving Slack's requests (events, the command, buttons) at POST /slack/events."""
    from fastapi import FastAPI

    api = FastAPI(title="Lodestone Slack bot", docs_url=None, redoc_url=None, openapi_url=None)

    @api.post("/slack/events")
    async def slack_events(request: Request):
        body = await request.body()
        response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    @api.get("/healthz")
    def healthz():
        return {"ok": True}

    return api


def required_environment(*names: str) -> dict[str, str]:
    """The named variables, or a LodestoneError naming each one that is missing."""
    missing = [n for n in names if not os.environ.get(n, "").strip()]
    if missing:
        raise LodestoneError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set. Create the Slack app from "
            "slack/manifest.yaml and export its tokens (see docs/slack.md)."
        )
    return {n: os.environ[n].strip() for n in names}


def serve(settings: Settings, http_mode: bool = False, port: int = 3000, host: str = "0.0.0.0") -> None:
    """Build the index if it is missing or stale, then run the bot until stopped.

    Socket Mode (default) needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN and no public URL.
    ``http_mode`` needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET and serves POST
    /slack/events on ``host:port`` (0.0.0.0 by default: Slack must reach it).
    """
    from assistant.engine import Engine

    set_offline_environment()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    second = "SLACK_SIGNING_SECRET" if http_mode else "SLACK_APP_TOKEN"
    env = required_environment("SLACK_BOT_TOKEN", second)
    _check_token_kinds(env)
    engine = Engine(settings)
    engine.ensure_index(log)
    app = connect(engine, settings, env["SLACK_BOT_TOKEN"], env.get("SLACK_SIGNING_SECRET"))
    if http_mode:
        import uvicorn

        log.info("Serving Slack's requests at http://%s:%d/slack/events", host, port)
        uvicorn.run(http_api(app), host=host, port=port, log_level="info")
    else:
        run_socket_mode(app, env["SLACK_APP_TOKEN"])


def _check_token_kinds(env: dict[str, str]) -> None:
    if env["SLACK_BOT_TOKEN"].startswith("xapp-"):
        raise LodestoneError(
            "SLACK_BOT_TOKEN holds an app-level token (xapp-...); use the Bot User OAuth Token (xoxb-...)."
        )
    if env.get("SLACK_APP_TOKEN", "").startswith("xox"):
        raise LodestoneError(
            "SLACK_APP_TOKEN holds an OAuth token (xox...); use an app-level token (xapp-...) with connections:write."
        )


def connect(engine, settings: Settings, bot_token: str, signing_secret: str | None) -> App:
    """The app, its bot token checked with Slack; errors a person can act on instead of tracebacks."""
    try:
        return build_app(engine, settings, bot_token, signing_secret)
    except BoltError as error:
        reason = getattr(error.__context__, "response", None)  # the SlackApiError of auth.test
        raise LodestoneError(
            f"Slack at {settings.slack_api_url} rejected SLACK_BOT_TOKEN{_reason(reason)}. "
            "Copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page."
        ) from None
    except (SlackClientError, OSError) as error:
        raise LodestoneError(
            f"Could not reach Slack at {settings.slack_api_url} ({type(error).__name__}). "
            "Check the network, or LODESTONE_SLACK_API_URL if you use a proxy."
        ) from None


def _reason(response) -> str:
    try:
        return f" ({response['error']})"
    except (TypeError, KeyError):
        return ""


def run_socket_mode(app: App, app_token: str) -> None:
    """Connect to Slack over an outgoing WebSocket and answer until stopped."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    try:
        SocketModeHandler(app, app_token).start()
    except SlackApiError as error:
        raise LodestoneError(
            f"Slack refused the Socket Mode connection ({error.response.get('error')}). Check SLACK_APP_TOKEN: an "
            "app-level token (xapp-...) with the connections:write scope, and Socket Mode enabled for the app."
        ) from None
