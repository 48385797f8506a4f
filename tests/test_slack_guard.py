"""The HTTP door of the Slack bot: forged, stale, oversized and malformed requests are refused with
401, 413 or 400 (never 500), before anything parses them, and the log stays bounded."""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import threading
import time

import pytest
import uvicorn

from assistant import slack
from assistant.slack import guard
from tests.test_slack import (  # noqa: F401  (fixtures)
    BOT_USER,
    SIGNING_SECRET,
    WAIT,
    SlackHarness,
    UnusedEngine,
    plain_settings,
    quiet_bot,
    standin,
)

FIVE_MB = 5 * 1024 * 1024


def unsigned(bot: SlackHarness, body: bytes, headers: dict):
    return bot.http.post("/slack/events", content=body, headers=headers)


def signed_bytes(bot: SlackHarness, body: bytes, content_type: str = "application/json"):
    import hashlib
    import hmac

    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}
    return bot.http.post("/slack/events", content=body, headers=headers)


def test_a_non_json_body_with_a_bad_signature_gets_401(quiet_bot):
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(int(time.time()))}
    response = unsigned(quiet_bot, b"{not json", headers | {"X-Slack-Signature": "v0=forged"})

    assert response.status_code == 401


def test_a_non_numeric_timestamp_gets_401(quiet_bot):
    for timestamp in ("abc", "1e9", "-5", "12a", " ", "9" * 40, "0x10"):
        headers = {"X-Slack-Request-Timestamp": timestamp}
        response = quiet_bot.post('{"type": "event_callback"}', "application/json", headers=headers)
        assert response.status_code == 401, timestamp


def test_missing_headers_get_401(quiet_bot):
    assert unsigned(quiet_bot, b'{"type": "event_callback"}', {"Content-Type": "application/json"}).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'"a string"',
        b"",
        b"[" * 100_000,
        b'{"type": "event_callback", "event": "not an object"}',
        b'{"type": "event_callback", "event": {"type": "app_mention", "text": 5, "channel": "C1"}}',
        b'{"no": "type"}',
        b'{"type": "block_actions", "actions": [{"action_id": 7}]}',
    ],
)
def test_a_well_signed_malformed_body_gets_400(quiet_bot, standin, body):
    response = signed_bytes(quiet_bot, body)

    assert response.status_code == 400
    assert standin.calls_to("chat.postMessage") == []


def test_a_well_signed_malformed_form_gets_400(quiet_bot):
    assert signed_bytes(quiet_bot, b"payload=%7Bnot+json", "application/x-www-form-urlencoded").status_code == 400
    assert signed_bytes(quiet_bot, b"payload=%5B1%5D", "application/x-www-form-urlencoded").status_code == 400


def test_the_url_verification_challenge_still_works(quiet_bot):
    response = quiet_bot.post(json.dumps({"type": "url_verification", "challenge": "c-42"}), "application/json")

    assert response.status_code == 200 and "c-42" in response.text


def forged_five_megabytes(bot: SlackHarness):
    body = (json.dumps({"type": "event_callback", "filler": "A" * FIVE_MB})).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    return unsigned(bot, body, headers)


@pytest.mark.parametrize("limit", [None, 8 * 1024 * 1024])  # refused by size, or read and refused by signature
def test_the_log_stays_bounded_after_a_five_megabyte_forged_request(standin, plain_settings, caplog, tmp_path, limit):
    settings = plain_settings if limit is None else dataclasses.replace(plain_settings, slack_max_body_bytes=limit)
    bot = SlackHarness(standin, settings, UnusedEngine())
    log_file = tmp_path / "slack.log"
    handler = slack.configure_logging(logging.FileHandler(log_file, encoding="utf-8"))
    caplog.set_level(logging.DEBUG)
    try:
        response = forged_five_megabytes(bot)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

    assert response.status_code == (413 if limit is None else 401)
    assert 0 < log_file.stat().st_size < 2_000
    assert len(caplog.text) < 2_000 and "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" not in caplog.text
    assert "Refused a Slack request" in log_file.read_text(encoding="utf-8")


def test_any_library_log_line_is_cut_to_a_bound(tmp_path):
    log_file = tmp_path / "slack.log"
    handler = slack.configure_logging(logging.FileHandler(log_file, encoding="utf-8"))
    try:
        logging.getLogger("slack_bolt.RequestVerification").info("Invalid request (body: %s)", "B" * FIVE_MB)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

    assert log_file.stat().st_size < guard.LOG_LINE + 200


@pytest.fixture
def live_server(standin, plain_settings):
    """The HTTP endpoint behind a real uvicorn server on 127.0.0.1, limit 64 KiB."""
    settings = dataclasses.replace(plain_settings, slack_max_body_bytes=65_536)
    app = slack.build_app(UnusedEngine(), settings, "xoxb-test", SIGNING_SECRET)
    server = uvicorn.Server(
        uvicorn.Config(slack.http_api(app, SIGNING_SECRET, 65_536), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(WAIT * 20):
        if server.started:
            break
        time.sleep(0.05)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(WAIT)


def raw_request(port: int, head: str, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as connection:
        connection.sendall(head.encode() + body)
        return connection.recv(4096)


def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(live_server):
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=x\r\n"
        "Content-Length: 104857600\r\n\r\n"
    )
    reply = raw_request(live_server, head, b'{"type": ')  # 100 MB promised, 9 bytes sent: the answer comes anyway

    assert reply.startswith(b"HTTP/1.1 413")


def test_a_chunked_body_is_cut_off_at_the_limit(live_server):
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=x\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"A" * 32_768
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3))  # 96 KiB, the end never sent

    assert raw_request(live_server, head, body).startswith(b"HTTP/1.1 413")


def test_a_forged_mention_never_reaches_the_handlers(quiet_bot, standin):
    event = {"type": "app_mention", "channel": "C1", "user": "U1", "text": f"<@{BOT_USER}> hi", "ts": "1.0"}

    response = quiet_bot.event(event, secret="not-the-secret")

    assert response.status_code == 401 and standin.calls == [c for c in standin.calls if c["method"] == "auth.test"]
