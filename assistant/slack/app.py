"""The Bolt app and the two ways it meets Slack: Socket Mode (an outgoing WebSocket) and HTTP.

    lodestone slack                        # Socket Mode: SLACK_BOT_TOKEN + SLACK_APP_TOKEN
    lodestone slack --http --port 3000     # Events API over HTTP: SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET

Over HTTP every request passes the guard (size, timestamp, signature, shape)
before Bolt sees it; refusals get 401, 413 or 400, never 500.
"""

from __future__ import annotations

import logging
import os

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from assistant.config import Settings, set_offline_environment
from assistant.errors import LodestoneError, SlackRequestRefused
from assistant.slack.blocks import ACTION_DOWN, ACTION_SHARE, ACTION_UP
from assistant.slack.guard import bounded_log_handler, check_signed, log_refusal, read_body
from assistant.slack.handlers import COMMAND, SlackBot
from assistant.slack.payloads import payload_of

log = logging.getLogger(__name__)


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


def http_api(app: App, signing_secret: str, max_body_bytes: int):
    """A FastAPI app serving Slack's requests (events, the command, buttons) at POST /slack/events.

    Each request is checked by the guard on its raw bytes first; Bolt then checks the signature again.
    """
    from fastapi import FastAPI

    api = FastAPI(title="Lodestone Slack bot", docs_url=None, redoc_url=None, openapi_url=None)

    @api.post("/slack/events")
    async def slack_events(request: Request):
        body = b""
        try:
            body = await read_body(request, max_body_bytes)
            check_signed(request, body, signing_secret)
            payload_of(body, request.headers.get("content-type"))
        except SlackRequestRefused as error:
            log_refusal(request, error, body)
            return JSONResponse({"error": error.reason}, status_code=error.status)
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
    configure_logging()
    second = "SLACK_SIGNING_SECRET" if http_mode else "SLACK_APP_TOKEN"
    env = required_environment("SLACK_BOT_TOKEN", second)
    _check_token_kinds(env)
    engine = Engine(settings)
    engine.ensure_index(log)
    app = connect(engine, settings, env["SLACK_BOT_TOKEN"], env.get("SLACK_SIGNING_SECRET"))
    if http_mode:
        import uvicorn

        log.info("Serving Slack's requests at http://%s:%d/slack/events", host, port)
        api = http_api(app, env["SLACK_SIGNING_SECRET"], settings.slack_max_body_bytes)
        uvicorn.run(api, host=host, port=port, log_level="info", log_config=None)
    else:
        run_socket_mode(app, env["SLACK_APP_TOKEN"])


def configure_logging(handler: logging.Handler | None = None) -> logging.Handler | None:
    """Every log line cut to a bounded length, whichever library writes it.

    With ``handler``: that handler is added to the root logger at INFO. Without:
    INFO to stderr, unless logging is already set up (then its handlers get the bound).
    """
    root = logging.getLogger()
    if handler is None and root.handlers:
        for existing in root.handlers:
            bounded_log_handler(existing)
        return None
    handler = bounded_log_handler(handler or logging.StreamHandler())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    return handler


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


def socket_mode_handler(app: App, app_token: str, **options):
    """Bolt's Socket Mode handler for the app; it opens its WebSocket through ``app.client``'s Web API URL.

    ``options`` go to the handler (``ping_interval``...). ``connect()`` returns at once; ``start()`` blocks.
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token, **options)


def run_socket_mode(app: App, app_token: str) -> None:
    """Connect to Slack over an outgoing WebSocket and answer until stopped (reconnecting when it drops)."""
    try:
        socket_mode_handler(app, app_token).start()
    except SlackApiError as error:
        raise LodestoneError(
            f"Slack refused the Socket Mode connection ({error.response.get('error')}). Check SLACK_APP_TOKEN: an "
            "app-level token (xapp-...) with the connections:write scope, and Socket Mode enabled for the app."
        ) from None
