"""The handlers behind the Bolt app: mentions, direct messages, ``/lodestone`` and the buttons.

One ``SlackBot`` per app, safe to call from Bolt's worker threads. Slack's
retries and repeated events are answered once; a failing engine gets a
friendly reply, never a traceback.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError

from assistant.config import Settings
from assistant.errors import LodestoneError, ScreeningFileInvalid
from assistant.feedback import FeedbackStore
from assistant.schema import Answer, Turn
from assistant.slack.blocks import ACTION_UP, answer_actions, answer_messages, context, shorten
from assistant.slack.files import download, is_csv, results_csv, slack_hosts
from assistant.slack.memory import RecentAnswers, SeenEvents, button_value, parse_button_value
from assistant.slack.mrkdwn import escape, question_text
from assistant.slack.screenings import batch_blocks, screening_blocks, screening_text

log = logging.getLogger(__name__)

COMMAND = "/lodestone"
METADATA_EVENT = "lodestone_answer"
# Message subtypes that still carry a person's question; every other subtype is an edit, a join, a bot...
QUESTION_SUBTYPES = {None, "file_share", "thread_broadcast"}
SCREEN = re.compile(r"^screen\b[:\s]*(.*)$", re.I | re.S)
SCREEN_HELP = (
    "Screen a company against the lists the corpus names: `/lodestone screen Teledyne FLIR`. "
    "To screen a whole customer file, share a CSV with a `name` column with me in a direct message."
)

GENERIC_ERROR = (
    "Sorry, something went wrong while answering. The problem has been logged; "
    "please try again or rephrase the question."
)
HELP = (
    "Ask me about China's rare-earth and critical-mineral export controls, for example "
    "`Is holmium controlled?`. I answer from the indexed sources and cite each one."
)


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
            retry = _retry_number(req.headers.get("x-slack-retry-num")) > 0  # Socket Mode sends 0 on a first delivery
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
        files = [f for f in event.get("files") or [] if isinstance(f, dict) and is_csv(f)]
        if files and is_direct(channel, event.get("channel_type")):
            self.screen_files(client, channel, thread_ts, files, asker=event.get("user", ""))
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
        screen = SCREEN.match(question)
        if not question:
            ack(response_type="ephemeral", text=HELP)
        elif screen and not screen[1].strip():
            ack(response_type="ephemeral", text=SCREEN_HELP)
        elif not self._allowed(command.get("channel_id", "")):
            where = ", ".join(f"<#{c}>" for c in sorted(self.channels))
            ack(response_type="ephemeral", text=f"Lodestone answers only in {where} and in direct messages.")
        elif screen:
            ack(response_type="ephemeral", text=f"Screening: {escape(screen[1].strip())}")
        else:
            ack(response_type="ephemeral", text=f"Looking up: {escape(question)}")

    def answer_command(self, command, respond):
        question = question_text(command.get("text", ""), None)
        if not question or not self._allowed(command.get("channel_id", "")):
            return
        screen = SCREEN.match(question)
        if screen:
            if screen[1].strip():
                self.screen_command(screen[1].strip(), command.get("user_id", ""), respond)
            return
        answer, problem = self.ask(question, [])
        if answer is None:
            respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {problem}")
            return
        key = self.answers.remember(answer, command.get("user_id", ""), "")
        actions = answer_actions(button_value(key, answer), share=True)
        for blocks, text in answer_messages(answer, actions):
            respond(response_type="ephemeral", replace_original=False, text=text, blocks=blocks)

    # -- screening ------------------------------------------------------------------
    def screen(self, call, *args, **kwargs):
        """(result, "") or (None, a message for the person) when screening fails."""
        try:
            return call(*args, **kwargs), ""
        except LodestoneError as error:
            return None, str(error)
        except Exception:
            log.exception("Screening failed for a request from Slack")
            return None, GENERIC_ERROR

    def screen_command(self, name: str, user: str, respond) -> None:
        screening, problem = self.screen(self.engine.screen, name, frontend="slack", user=user or None)
        if screening is None:
            respond(response_type="ephemeral", replace_original=False, text=f"⚠️ {problem}")
            return
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=screening_text(screening),
            blocks=screening_blocks(screening),
        )

    def screen_files(self, client, channel: str, thread_ts: str, files: list[dict], asker: str) -> None:
        """Each CSV shared in a direct message: its names screened (audited), a summary and a results file."""
        from assistant.screening import read_names_csv

        hosts = slack_hosts(self.settings.slack_api_url)
        for file in files[:3]:
            name = str(file.get("name") or "names.csv")
            try:
                data = download(file.get("url_private_download") or file.get("url_private") or "", client.token, hosts)
                names, skipped = read_names_csv(data, None, self.settings.screen_max_names)
            except ScreeningFileInvalid as error:
                self._post(client, channel, thread_ts, text=f"⚠️ {escape(name)}: {error}")
                continue
            screenings, problem = self.screen(self._screen_all, names, asker)
            if screenings is None:
                self._post(client, channel, thread_ts, text=f"⚠️ {escape(name)}: {problem}")
                continue
            blocks = batch_blocks(name, screenings, skipped)
            self._post(client, channel, thread_ts, text=blocks[0]["text"]["text"].replace("*", ""), blocks=blocks)
            self._upload(client, channel, thread_ts, name, results_csv(screenings))

    def _screen_all(self, names: list[str], asker: str) -> list:
        return list(self.engine.screen_many(names, frontend="slack", user=asker or None))

    @staticmethod
    def _upload(client, channel: str, thread_ts: str, name: str, content: str) -> None:
        results = name.rsplit(".", 1)[0] + "-screening.csv"
        try:
            client.files_upload_v2(
                channel=channel, thread_ts=thread_ts, filename=results, content=content, title=f"Screening of {name}"
            )
        except SlackClientError as error:
            log.warning("Slack refused the results file in %s: %s", channel, _slack_error(error))

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
        intro = [context(f"<@{user}> asked: {escape(shorten(answer.question, 500))}")]
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


def _retry_number(header) -> int:
    """Bolt hands headers over as lists; a missing or unreadable retry number counts as a first delivery."""
    value = header[0] if isinstance(header, list | tuple) and header else header
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


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
