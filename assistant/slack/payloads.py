"""The shapes of what Slack sends, validated at the door.

A signed body that parses but does not have the shape of an event, a slash
command or a button click is refused with 400 before Bolt or a handler reads
it; a field the bot reads always has the type it expects.

>>> payload_of(b'{"type": "url_verification", "challenge": "c"}', "application/json")["challenge"]
'c'
>>> payload_of(b'{"type": "event_callback", "event": {"type": "app_mention", "text": 5}}', "application/json")
Traceback (most recent call last):
...
assistant.errors.SlackRequestRefused: Slack request refused (400): the body is not a Slack payload (event.text)
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import SlackRequestRefused


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class SlackFile(_Shape):
    id: str = ""
    name: str = ""
    filetype: str = ""
    mimetype: str = ""
    size: int = 0
    url_private_download: str = ""
    url_private: str = ""


class SlackEvent(_Shape):
    type: str
    text: str = ""
    user: str | None = None
    channel: str = ""
    channel_type: str | None = None
    ts: str = ""
    thread_ts: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    bot_profile: dict | None = None
    client_msg_id: str | None = None
    files: list[SlackFile] = []


class Authorization(_Shape):
    team_id: str | None = None
    enterprise_id: str | None = None
    user_id: str | None = None
    is_bot: bool = False
    is_enterprise_install: bool = False


class EventEnvelope(_Shape):
    type: str
    event_id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    api_app_id: str | None = None
    challenge: str | None = None
    event: SlackEvent | None = None
    authorizations: list[Authorization] = []


class SlashCommand(_Shape):
    command: str
    text: str = ""
    user_id: str = ""
    channel_id: str = ""
    team_id: str = ""
    response_url: str = ""


class Party(_Shape):
    id: str = ""


class Action(_Shape):
    action_id: str = ""
    block_id: str = ""
    value: str = ""
    type: str = ""


class Interaction(_Shape):
    type: str
    user: Party | None = None
    team: Party | None = None
    channel: Party | None = None
    actions: list[Action] = []
    container: dict | None = None
    message: dict | None = None
    response_url: str | None = None
    trigger_id: str | None = None


def payload_of(body: bytes, content_type: str | None) -> dict:
    """The body as the dictionary Bolt will read, once its shape is checked; SlackRequestRefused(400) if not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SlackRequestRefused(400, "the body is not UTF-8 text") from None
    payload = _parsed(text, content_type)
    _check_shape(payload)
    return payload


def _parsed(text: str, content_type: str | None) -> dict:
    """Parsed the way Bolt parses it (JSON, a form, or a form carrying a JSON ``payload``)."""
    if not text:
        raise SlackRequestRefused(400, "the body is empty")
    try:
        if (content_type or "").split(";")[0].strip() == "application/json" or text.startswith("{"):
            parsed = json.loads(text)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            parsed = json.loads(form["payload"]) if "payload" in text and "payload" in form else form
    except (ValueError, RecursionError):
        raise SlackRequestRefused(400, "the body is not valid JSON or form data") from None
    if not isinstance(parsed, dict):
        raise SlackRequestRefused(400, "the body is not a JSON object")
    return parsed


def _check_shape(payload: dict) -> None:
    if "command" in payload:
        model = SlashCommand
    elif payload.get("type") in {"event_callback", "url_verification", "app_rate_limited"}:
        model = EventEnvelope
    elif payload.get("ssl_check"):
        return
    elif "type" in payload:
        model = Interaction
    else:
        raise SlackRequestRefused(400, "the body is not a Slack payload (no type or command)")
    try:
        model.model_validate(payload)
    except ValidationError as error:
        where = ".".join(str(p) for p in error.errors()[0]["loc"])
        raise SlackRequestRefused(400, f"the body is not a Slack payload ({where[:80]})") from None
