"""Socket Mode for real: Bolt's own Socket Mode client connects to a loopback WebSocket stand-in
(``apps.connections.open`` on the Web API stand-in hands out its ws:// URL), which sends the envelopes
Slack sends and records the acknowledgements. Answers come from the real engine."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

from assistant import slack
from assistant.slack.app import socket_mode_handler
from tests.test_slack import (  # noqa: F401  (fixtures)
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    TEAM,
    WAIT,
    SlackStandIn,
    all_text,
    buttons,
    slack_settings,
    standin,
)


class SocketModeStandIn:
    """Slack's Socket Mode side: a WebSocket server that says hello, sends envelopes and keeps the acks."""

    def __init__(self):
        self.acks: dict[str, dict] = {}
        self.connections: list = []
        self._changed = threading.Condition()
        self.server = serve(self._session, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link/?ticket={uuid.uuid4().hex}"

    def _session(self, connection):
        with self._changed:
            self.connections.append(connection)
            self._changed.notify_all()
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}))
        try:
            for message in connection:
                ack = json.loads(message)
                with self._changed:
                    self.acks[ack["envelope_id"]] = ack
                    self._changed.notify_all()
        except ConnectionClosed:
            pass

    def wait(self, predicate, what: str):
        with self._changed:
            assert self._changed.wait_for(predicate, timeout=WAIT), f"{what} did not happen within {WAIT} s"

    def connected(self, count: int = 1):
        self.wait(lambda: len(self.connections) >= count, f"connection {count}")
        return self.connections[count - 1]

    def send(self, kind: str, payload: dict, envelope_id: str | None = None, **extra) -> str:
        envelope_id = envelope_id or uuid.uuid4().hex
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload} | extra
        self.connections[-1].send(json.dumps(envelope))
        return envelope_id

    def ack_of(self, envelope_id: str) -> dict:
        self.wait(lambda: envelope_id in self.acks, f"the ack of {envelope_id}")
        return self.acks[envelope_id]

    def drop(self):
        """Close the current socket the way a Slack server being replaced does."""
        self.connections[-1].close()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def socket_server(standin):
    server = SocketModeStandIn()
    original = standin.handle

    def handle(method, payload, token):  # apps.connections.open hands out a fresh ws:// URL each time
        if method == "apps.connections.open":
            assert token == APP_TOKEN
            return {"ok": True, "url": server.url}
        return original(method, payload, token)

    standin.handle = handle
    yield server
    server.close()


@pytest.fixture
def connected(standin, slack_settings, engine, socket_server):
    engine.ask("Is holmium controlled?")  # open the index first: the first answer is not what is tested
    app = slack.build_app(engine, slack_settings, BOT_TOKEN)
    handler = socket_mode_handler(app, APP_TOKEN, ping_interval=1)
    handler.connect()
    socket_server.connected()
    yield socket_server
    close(handler.client)


def close(client) -> None:
    """Close the Socket Mode client and stop its threads, even when it is closed mid-reconnection."""
    try:
        client.close()
    except AttributeError:  # slack_sdk's builtin client, closed while it reconnects, closes a socket it lost
        for runner in (client.current_session_runner, client.current_app_monitor, client.message_processor):
            if runner.is_alive():
                runner.shutdown()
        client.message_workers.shutdown()


def event_callback(standin: SlackStandIn, text: str, event_id: str, channel: str = "C1") -> tuple[dict, dict]:
    message = standin.user_message(channel, f"<@{BOT_USER}> {text}")
    event = message | {"type": "app_mention", "channel": channel}
    body = {"type": "event_callback", "team_id": TEAM, "api_app_id": "A1", "event_id": event_id, "event": event}
    return body, event


def answers_in(standin: SlackStandIn, ts: str) -> list[dict]:
    return [p for p in standin.calls_to("chat.postMessage") if p.get("thread_ts") == ts]


def test_a_mention_is_acknowledged_and_answered_in_its_thread(connected, standin):
    body, event = event_callback(standin, "Is dysprosium controlled?", "EvSOCKET1")

    envelope = connected.send("events_api", body, accepts_response_payload=False, retry_attempt=0)

    assert connected.ack_of(envelope)["envelope_id"] == envelope
    post = standin.wait_for("chat.postMessage")[0]
    assert post["channel"] == "C1" and post["thread_ts"] == event["ts"]
    assert "dysprosium" in all_text(post["blocks"]).lower() and "*[1]*" in all_text(post["blocks"])
    assert standin.calls_to("apps.connections.open") == [{}]


def test_duplicate_envelopes_are_answered_once(connected, standin):
    body, event = event_callback(standin, "Is holmium controlled?", "EvSOCKETDUP")

    first = connected.send("events_api", body)
    again = connected.send("events_api", body)  # Slack delivers the same event twice
    retried = connected.send("events_api", body, retry_attempt=1, retry_reason="timeout")

    for envelope in (first, again, retried):
        connected.ack_of(envelope)
    standin.wait_for("chat.postMessage")
    time.sleep(1.0)  # room for a wrong second answer to arrive
    assert len({p["thread_ts"] for p in answers_in(standin, event["ts"])}) == 1
    assert len(answers_in(standin, event["ts"])) == len(standin.calls_to("chat.postMessage"))
    blocks_posted = [p for p in answers_in(standin, event["ts"]) if "blocks" in p]
    assert len([p for p in blocks_posted if slack.ACTION_UP in buttons(p["blocks"])]) == 1


def test_a_slash_command_is_acknowledged_in_the_envelope_and_answered_at_its_response_url(connected, standin):
    payload = {
        "command": "/lodestone",
        "text": "Is dysprosium controlled?",
        "user_id": "U1",
        "channel_id": "C1",
        "team_id": TEAM,
        "response_url": standin.response_url(),
        "trigger_id": "1.2.3",
    }

    envelope = connected.send("slash_commands", payload, accepts_response_payload=True)

    ack = connected.ack_of(envelope)
    assert ack["payload"]["response_type"] == "ephemeral" and "Looking up" in ack["payload"]["text"]
    answer = standin.wait_for("response")[0]
    assert "*[1]*" in all_text(answer["blocks"]) and slack.ACTION_SHARE in buttons(answer["blocks"])


def test_a_button_click_is_acknowledged_and_recorded(connected, standin, slack_settings):
    from assistant.feedback import FeedbackStore

    body, event = event_callback(standin, "Is dysprosium controlled?", "EvSOCKETCLICK")
    connected.send("events_api", body)
    post = standin.wait_for("chat.postMessage")[-1]
    button = buttons(post["blocks"])[slack.ACTION_UP]
    click = {
        "type": "block_actions",
        "user": {"id": "U2"},
        "team": {"id": TEAM},
        "api_app_id": "A1",
        "channel": {"id": "C1"},
        "container": {"type": "message", "channel_id": "C1", "message_ts": post.get("ts", "")},
        "response_url": standin.response_url(),
        "trigger_id": "1.2.3",
        "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"]}],
    }

    envelope = connected.send("interactive", click)

    assert connected.ack_of(envelope)["envelope_id"] == envelope
    thanks = standin.wait_for("response")[-1]
    assert "Thanks" in thanks["text"]
    row = FeedbackStore(slack_settings.feedback_db).all()[0]
    assert (row["rating"], row["asker"], row["conversation"]) == ("up", "U2", event["ts"])


def test_the_bot_reconnects_after_the_server_drops_the_socket(connected, standin):
    connected.drop()

    connected.connected(2)  # a new URL was asked for and a new socket opened
    assert len(standin.calls_to("apps.connections.open")) >= 2
    body, event = event_callback(standin, "Is terbium controlled?", "EvAFTERDROP")
    envelope = connected.send("events_api", body)

    connected.ack_of(envelope)
    post = standin.wait_for("chat.postMessage")[0]
    assert post["thread_ts"] == event["ts"] and "terbium" in all_text(post["blocks"]).lower()


def test_a_disconnect_envelope_leads_to_a_new_connection(connected, standin):
    connected.connections[-1].send(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))

    connected.connected(2)
    assert len(standin.calls_to("apps.connections.open")) >= 2
