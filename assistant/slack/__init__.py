"""The Slack bot: a Bolt app that renders engine answers as Block Kit, nothing more.

    lodestone slack                        # Socket Mode: SLACK_BOT_TOKEN + SLACK_APP_TOKEN
    lodestone slack --http --port 3000     # Events API over HTTP: SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET

The bot answers @mentions in channels (in a thread under the question), direct
messages (also threaded) and the ``/lodestone`` slash command (privately, with a
"Share in channel" button). A reply in a thread where the bot answered is read
in the context of that thread's earlier questions. Each answer carries 👍/👎
buttons whose clicks go to the shared feedback store.

The rooms:

- ``app``       the Bolt app, Socket Mode and the HTTP endpoint
- ``guard``     size, timestamp and signature checked on raw bytes, bounded logging
- ``payloads``  the shapes of what Slack sends, validated at the door
- ``handlers``  mentions, direct messages, the slash command, the buttons
- ``blocks``    Block Kit from the typed Answer
- ``mrkdwn``    Slack's markup, both ways
- ``memory``    events already handled, recent answers, button values

>>> app = build_app(Engine(settings), settings, bot_token="xoxb-...")  # doctest: +SKIP
>>> for blocks, text in answer_messages(answer, answer_actions("key")):  # doctest: +SKIP
...     client.chat_postMessage(channel="C1", thread_ts=ts, blocks=blocks, text=text)
"""

from assistant.slack.app import build_app, configure_logging, connect, http_api, run_socket_mode, serve
from assistant.slack.blocks import (
    ACTION_DOWN,
    ACTION_SHARE,
    ACTION_UP,
    BLOCK_LIMIT,
    FALLBACK_CHARS,
    SECTION_LIMIT,
    answer_actions,
    answer_blocks,
    answer_messages,
    citation_mrkdwn,
)
from assistant.slack.handlers import COMMAND, GENERIC_ERROR, HELP, SlackBot
from assistant.slack.memory import SeenEvents
from assistant.slack.mrkdwn import question_text, to_mrkdwn

__all__ = [
    "ACTION_DOWN",
    "ACTION_SHARE",
    "ACTION_UP",
    "BLOCK_LIMIT",
    "COMMAND",
    "FALLBACK_CHARS",
    "GENERIC_ERROR",
    "HELP",
    "SECTION_LIMIT",
    "SeenEvents",
    "SlackBot",
    "answer_actions",
    "answer_blocks",
    "answer_messages",
    "build_app",
    "citation_mrkdwn",
    "configure_logging",
    "connect",
    "http_api",
    "question_text",
    "run_socket_mode",
    "serve",
    "to_mrkdwn",
]
