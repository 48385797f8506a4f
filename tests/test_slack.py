"""The Slack bot, end to end: a real Bolt app behind the real FastAPI adapter,
driven by signed requests; Slack's Web API and response URLs are a loopback
stand-in on 127.0.0.1 that records every call. Answers come from the real engine."""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
import uvicorn
import yaml
from slack_sdk.signature import SignatureVerifier
from starlette.testclient import TestClient

from assistant import slack
from assistant.config import REPO_ROOT, Settings
from assistant.errors import LodestoneError
from assistant.feedback import FeedbackStore
from assistant.schema import Answer, Citation, MeasureStatus

BOT_TOKEN = "xoxb-test-7f3a9c-bot-token"
SIGNING_SECRET = "test-signing-secret-4be1d2"
APP_TOKEN = "xapp-1-test-app-token-91c0"
BOT_USER, BOT_ID, TEAM = "UBOT", "BBOT", "T1"
WAIT = 60  # seconds to wait for a background answer before failing (a bound, not a timing assert)


# -- the stand-in for Slack's Web API --------------------------------------------------
class SlackStandIn:
    """Answers Web API methods with plausible payloads, keeps threads, records every call."""

    def __init__(self):
        self.calls: list[dict] = []
        self.threads: dict[tuple[str, str], list[dict]] = defaultdict(list)
        self.bad_tokens: set[str] = set()
        self.files: dict[str, bytes] = {}  # what /files/NAME serves to the bot token
        self._changed = threading.Condition()
        self._ts = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self) -> str:
        return f"{self.url}/response/{uuid.uuid4().hex[:8]}"

    def next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # -- what the tests look at
    def calls_to(self, method: str) -> list[dict]:
        with self._changed:
            return [c["payload"] for c in self.calls if c["method"] == method]

    def responses(self) -> list[dict]:
        with self._changed:
            return [c["payload"] for c in self.calls if c["method"].startswith("response/")]

    def wait_for(self, method: str, count: int = 1) -> list[dict]:
        with self._changed:
            done = self._changed.wait_for(lambda: len(self._matching(method)) >= count, timeout=WAIT)
            assert done, f"no {method} call arrived within {WAIT} s: {[c['method'] for c in self.calls]}"
            return self._matching(method)

    def _matching(self, method: str) -> list[dict]:
        return [c["payload"] for c in self.calls if c["method"] == method or c["method"].startswith(method + "/")]

    def user_message(self, channel: str, text: str, thread_ts: str | None = None, user: str = "U1") -> dict:
        ts = self.next_ts()
        message = {"type": "message", "user": user, "text": text, "ts": ts, "client_msg_id": str(uuid.uuid4())}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._changed:
            self.threads[(channel, thread_ts or ts)].append(message)
        return message | {"channel": channel}

    # -- the Web API
    def handle(self, method: str, payload: dict, token: str) -> dict:
        if token in self.bad_tokens:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "lodestone",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
        if method == "chat.postMessage":
            return {"ok": True, "channel": payload["channel"], "ts": self._store_reply(payload), "message": {}}
        if method == "conversations.replies":
            return {"ok": True, "messages": self._thread(payload), "has_more": False}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.url}/upload/{payload.get('filename', 'f')}", "file_id": "F1"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F1", "title": "results"}]}
        return {"ok": True}

    def share_file(self, name: str, content: bytes) -> dict:
        """A file as Slack describes it in a file_share event; its download URL is served here."""
        self.files[name] = content
        url = f"{self.url}/files/{name}"
        return {"id": f"F{len(self.files)}", "name": name, "filetype": "csv", "mimetype": "text/csv",
                "size": len(content), "url_private": url, "url_private_download": url}  # fmt: skip

    def _store_reply(self, payload: dict) -> str:
        ts = self.next_ts()
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": payload.get("text", ""), "ts": ts}
        if payload.get("metadata"):
            message["metadata"] = payload["metadata"]
        thread = payload.get("thread_ts") or ts
        self.threads[(payload["channel"], thread)].append(message | {"thread_ts": thread})
        return ts

    def _thread(self, payload: dict) -> list[dict]:
        messages = sorted(self.threads.get((payload["channel"], payload["ts"]), []), key=lambda m: float(m["ts"]))
        if str(payload.get("include_all_metadata", "")).lower() not in {"1", "true"}:
            messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
        return messages

    def record(self, method: str, payload: dict, authorization: str):
        with self._changed:
            self.calls.append({"method": method, "payload": payload, "authorization": authorization})
            self._changed.notify_all()


def _handler(standin: SlackStandIn):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = urlsplit(self.path).path
            if path.startswith("/files/"):
                content = standin.files.get(path.removeprefix("/files/"))
                if content is None or self.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
                    self.send_response(404)
                    self.end_headers()
                    return
                return self._send(content, "text/csv")
            self._serve(dict(parse_qsl(urlsplit(self.path).query)))

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
            if self.path.startswith("/upload/"):
                standin.record(self.path.lstrip("/"), {"content": raw}, "")
                return self._send(b"OK", "text/plain")
            if "json" in (self.headers.get("Content-Type") or ""):
                payload = json.loads(raw or "{}")
            else:
                payload = dict(parse_qsl(raw))
            self._serve(payload)

        def _serve(self, payload: dict):
            path = urlsplit(self.path).path
            authorization = self.headers.get("Authorization") or ""
            if path.startswith("/response/"):
                standin.record(path.lstrip("/"), payload, authorization)
                return self._send(b"ok", "text/plain")
            method = path.removeprefix("/api/")
            with standin._changed:
                body = standin.handle(method, payload, authorization.removeprefix("Bearer "))
            standin.record(method, payload, authorization)
            self._send(json.dumps(body).encode(), "application/json")

        def _send(self, body: bytes, content_type: str):
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


# -- driving the Bolt app --------------------------------------------------------------
class SlackHarness:
    """Signed requests to the bot's HTTP endpoint, the way Slack sends them."""

    def __init__(self, standin: SlackStandIn, settings, engine):
        self.standin, self.settings = standin, settings
        self.app = slack.build_app(engine, settings, BOT_TOKEN, SIGNING_SECRET, process_before_response=True)
        self.http = TestClient(slack.http_api(self.app, SIGNING_SECRET, settings.slack_max_body_bytes))

    def post(
        self,
        body: str,
        content_type: str,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        headers: dict | None = None,
    ):
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        } | (headers or {})
        return self.http.post("/slack/events", content=body.encode("utf-8"), headers=headers)

    def event(self, event: dict, event_id: str | None = None, **kwargs):
        body = {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        }
        return self.post(json.dumps(body), "application/json", **kwargs)

    def mention(self, text: str, channel: str = "C1", thread_ts: str | None = None, **kwargs):
        message = self.standin.user_message(channel, f"<@{BOT_USER}> {text}", thread_ts)
        event = message | {"type": "app_mention", "channel": channel}
        return self.event(event, **kwargs), event

    def command(self, text: str, channel: str = "C1", user: str = "U1"):
        form = {
            "token": "legacy",
            "team_id": TEAM,
            "channel_id": channel,
            "user_id": user,
            "command": "/lodestone",
            "text": text,
            "response_url": self.standin.response_url(),
            "trigger_id": "1.2.3",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded"), form

    def click(self, button: dict, user: str = "U2", channel: str = "C1", message: dict | None = None):
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "team": {"id": TEAM},
            "api_app_id": "A1",
            "channel": {"id": channel},
            "trigger_id": "1.2.3",
            "response_url": self.standin.response_url(),
            "container": {"type": "message", "channel_id": channel, "message_ts": (message or {}).get("ts", "")},
            "actions": [
                {
                    "type": "button",
                    "block_id": "lodestone_answer_actions",
                    "action_id": button["action_id"],
                    "value": button["value"],
                }
            ],
        }
        if message:
            payload["message"] = message
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@pytest.fixture
def standin():
    server = SlackStandIn()
    yield server
    server.close()


@pytest.fixture
def slack_settings(built_index, standin, tmp_path):
    return dataclasses.replace(built_index, data_dir=tmp_path / "data", slack_api_url=standin.api_url)


@pytest.fixture
def plain_settings(standin, tmp_path):
    """Settings for tests that never ask the engine (no index needed)."""
    return Settings.load({}, data_dir=tmp_path / "data", slack_api_url=standin.api_url)


class UnusedEngine:
    def ask(self, *args, **kwargs):
        raise AssertionError("this test should not ask the engine")


@pytest.fixture
def quiet_bot(standin, plain_settings) -> SlackHarness:
    """A bot whose engine must never be asked."""
    return SlackHarness(standin, plain_settings, UnusedEngine())


@pytest.fixture
def bot(standin, slack_settings, engine) -> SlackHarness:
    return SlackHarness(standin, slack_settings, engine)


def all_text(blocks: list[dict]) -> str:
    texts = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(texts)


def buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


# -- answering ---------------------------------------------------------------------------
def test_mention_gets_a_threaded_answer_with_sources(bot, standin):
    response, event = bot.mention("Is dysprosium controlled?")

    assert response.status_code == 200
    posts = standin.calls_to("chat.postMessage")
    assert posts and all(p["channel"] == "C1" and p["thread_ts"] == event["ts"] for p in posts)
    blocks = posts[0]["blocks"]
    text = all_text(blocks)
    assert "*Sources (" in text and "*[1]*" in text
    assert "dysprosium" in text.lower()
    assert posts[0]["text"].strip()  # the plain-text fallback
    assert posts[0]["metadata"]["event_payload"]["question"] == "Is dysprosium controlled?"
    assert {slack.ACTION_UP, slack.ACTION_DOWN} <= set(buttons(posts[-1]["blocks"]))
    assert all(c["authorization"] == f"Bearer {BOT_TOKEN}" for c in standin.calls if c["method"] == "chat.postMessage")


def test_direct_message_gets_an_answer(bot, standin):
    message = standin.user_message("D1", "Is dysprosium controlled?")
    response = bot.event(message | {"channel_type": "im"})

    assert response.status_code == 200
    posts = standin.calls_to("chat.postMessage")
    assert posts and posts[0]["channel"] == "D1" and posts[0]["thread_ts"] == message["ts"]
    assert "*[1]*" in all_text(posts[0]["blocks"])


def test_thread_follow_up_is_read_in_the_context_of_the_thread(bot, standin):
    _, first = bot.mention("Is dysprosium controlled?")
    assert len(standin.calls_to("chat.postMessage")) >= 1
    answered = len(standin.calls_to("chat.postMessage"))

    bot.mention("and what about holmium?", thread_ts=first["ts"])

    replies = standin.calls_to("conversations.replies")
    assert replies and replies[-1]["channel"] == "C1" and replies[-1]["ts"] == first["ts"]
    follow_up = standin.calls_to("chat.postMessage")[answered:]
    assert follow_up and follow_up[0]["thread_ts"] == first["ts"]
    assert follow_up[0]["metadata"]["event_payload"]["question"].startswith("Is holmium controlled?")
    assert "holmium" in all_text(follow_up[0]["blocks"]).lower()


def test_the_real_http_server_acks_first_and_answers_after(standin, slack_settings, engine):
    """Production settings (handlers run after the 200) behind a real uvicorn server on 127.0.0.1."""
    app = slack.build_app(engine, slack_settings, BOT_TOKEN, SIGNING_SECRET)
    server = uvicorn.Server(uvicorn.Config(
            slack.http_api(app, SIGNING_SECRET, slack_settings.slack_max_body_bytes),
            host="127.0.0.1",
            port=0,
            log_level="warning",
        ))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(WAIT * 20):
            if server.started:
                break
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        message = standin.user_message("C1", f"<@{BOT_USER}> Is dysprosium controlled?")
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM,
                "event_id": "EvHTTP",
                "event": message | {"type": "app_mention"},
            }
        )
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
        response = httpx.post(
            f"http://127.0.0.1:{port}/slack/events",
            content=body,
            timeout=WAIT,
            headers={
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": signature,
            },
        )

        assert response.status_code == 200
        post = standin.wait_for("chat.postMessage")[0]
        assert post["thread_ts"] == message["ts"] and "*[1]*" in all_text(post["blocks"])
    finally:
        server.should_exit = True
        thread.join(WAIT)


class GatedEngine:
    """The real engine, held back until the test opens the gate."""

    def __init__(self, engine):
        self.engine, self.gate = engine, threading.Event()

    def ask(self, *args, **kwargs):
        assert self.gate.wait(WAIT), "the test never opened the gate"
        return self.engine.ask(*args, **kwargs)


def test_slash_command_acks_at_once_and_answers_at_its_response_url(standin, slack_settings, engine):
    gated = GatedEngine(engine)
    bot = SlackHarness(standin, slack_settings, gated)

    response, form = bot.command("Is dysprosium controlled?")

    # Slack got its 200 while the engine was still held back: the ack never waits for the answer.
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral" and "Looking up" in response.json()["text"]
    assert standin.responses() == []
    gated.gate.set()
    answer = standin.wait_for("response")[0]
    assert answer["response_type"] == "ephemeral"
    assert "*[1]*" in all_text(answer["blocks"])
    share = buttons(answer["blocks"])[slack.ACTION_SHARE]

    bot.click(share, user="U1")

    shared = [r for r in standin.responses() if r.get("response_type") == "in_channel"]
    assert shared and "*[1]*" in all_text(shared[0]["blocks"]) and "<@U1> asked" in all_text(shared[0]["blocks"])
    assert slack.ACTION_SHARE not in buttons(shared[-1]["blocks"])
    assert any(r.get("delete_original") for r in standin.responses())
    assert standin.calls_to("chat.postMessage") == []  # through the response URL, so no channel membership needed


def test_empty_slash_command_gets_help(quiet_bot, standin):
    response, _ = quiet_bot.command("   ")

    assert response.status_code == 200 and "Ask me" in response.json()["text"]
    assert standin.responses() == []


# -- one answer per question -------------------------------------------------------------
def test_retries_and_repeated_events_are_answered_once(bot, standin):
    response, event = bot.mention("Is dysprosium controlled?", event_id="EvORIGINAL")
    answered = standin.calls_to("chat.postMessage")
    assert response.status_code == 200 and answered

    retry = bot.event(
        event, event_id="EvORIGINAL", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    repeat = bot.event(event, event_id="EvORIGINAL")
    same_message = bot.event(event, event_id="EvOTHERID")  # same client_msg_id, new envelope
    bot.mention("Is holmium controlled?", event_id="EvUNSEEN", headers={"X-Slack-Retry-Num": "2"})  # a retry never seen

    assert [r.status_code for r in (retry, repeat, same_message)] == [200, 200, 200]
    assert retry.headers.get("x-slack-no-retry") == "1"
    assert standin.calls_to("chat.postMessage") == answered


def test_bad_signature_and_stale_timestamp_are_rejected(quiet_bot, standin):
    message = standin.user_message("C1", f"<@{BOT_USER}> Is dysprosium controlled?")
    event = message | {"type": "app_mention"}

    forged = quiet_bot.event(event, secret="not-the-signing-secret")
    stale = quiet_bot.event(event, timestamp=int(time.time()) - 600)

    assert (forged.status_code, stale.status_code) == (401, 401)
    assert standin.calls_to("chat.postMessage") == []


def test_bots_and_the_bot_itself_are_ignored(quiet_bot, standin):
    for extra in (
        {"bot_id": "BOTHER"},
        {"subtype": "bot_message", "bot_id": "BOTHER"},
        {"user": BOT_USER, "bot_id": BOT_ID},
        {"subtype": "message_changed"},
    ):
        message = standin.user_message("D1", "Is dysprosium controlled?")
        assert quiet_bot.event(message | {"channel_type": "im"} | extra).status_code == 200

    assert standin.calls_to("chat.postMessage") == []


def test_channel_allow_list(standin, slack_settings, engine):
    bot = SlackHarness(standin, dataclasses.replace(slack_settings, slack_channels="C9, C1"), engine)

    bot.mention("Is dysprosium controlled?", channel="C2")
    assert standin.calls_to("chat.postMessage") == []
    assert "<#C1>" in standin.calls_to("chat.postEphemeral")[0]["text"]

    bot.mention("Is dysprosium controlled?", channel="C1")
    assert standin.calls_to("chat.postMessage")[0]["channel"] == "C1"


# -- failures are answered ---------------------------------------------------------------
class BrokenEngine:
    def ask(self, *args, **kwargs):
        raise RuntimeError("the index exploded")


def test_a_failing_engine_gets_a_friendly_reply_in_the_thread(standin, plain_settings, caplog):
    bot = SlackHarness(standin, plain_settings, BrokenEngine())

    _, event = bot.mention("Is dysprosium controlled?")

    posts = standin.calls_to("chat.postMessage")
    assert len(posts) == 1 and posts[0]["thread_ts"] == event["ts"]
    assert posts[0]["text"] == f"⚠️ {slack.GENERIC_ERROR}"
    assert "the index exploded" in caplog.text  # logged for the operator, not shown in Slack


def test_a_question_the_engine_refuses_gets_its_message(bot, standin):
    bot.mention("x" * 2500)

    posts = standin.calls_to("chat.postMessage")
    assert len(posts) == 1 and "2,000" in posts[0]["text"] and "shorten" in posts[0]["text"]


def test_tokens_and_secrets_never_reach_the_logs(standin, slack_settings, engine, caplog):
    caplog.set_level(logging.DEBUG)
    bot = SlackHarness(standin, slack_settings, engine)

    bot.mention("Is dysprosium controlled?")
    bot.event({"type": "app_mention", "channel": "C1", "user": "U1", "text": "x", "ts": "1.0"}, secret="forged")
    bot.command("Is holmium controlled?")
    standin.wait_for("response")

    assert caplog.records  # debug logging was on
    for secret in (BOT_TOKEN, SIGNING_SECRET, BOT_TOKEN.split("-", 1)[1]):
        assert secret not in caplog.text


# -- feedback ------------------------------------------------------------------------------
def test_feedback_click_is_stored(bot, standin, slack_settings):
    _, event = bot.mention("Is dysprosium controlled?")
    post = standin.calls_to("chat.postMessage")[-1]

    response = bot.click(buttons(post["blocks"])[slack.ACTION_UP], user="U2")

    assert response.status_code == 200
    rows = FeedbackStore(slack_settings.feedback_db).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row["source"], row["rating"], row["asker"], row["conversation"]) == ("slack", "up", "U2", event["ts"])
    assert row["question"] == "Is dysprosium controlled?" and "[1]" in row["answer"]
    assert json.loads(row["citations"])[0]["n"] == 1
    assert "Thanks" in standin.responses()[-1]["text"]


def test_feedback_after_a_restart_keeps_what_the_message_holds(bot, standin, slack_settings, engine):
    _, event = bot.mention("Is dysprosium controlled?")
    post = standin.calls_to("chat.postMessage")[-1]
    restarted = SlackHarness(standin, slack_settings, engine)  # a new process: no answers in memory

    restarted.click(buttons(post["blocks"])[slack.ACTION_DOWN], message={"ts": "1.0", "text": post["text"]})

    row = FeedbackStore(slack_settings.feedback_db).all()[0]
    assert (row["rating"], row["question"], row["answer"]) == ("down", "Is dysprosium controlled?", post["text"])
    assert row["conversation"] == event["ts"]


# -- Block Kit -----------------------------------------------------------------------------
def long_answer(citations: int = 150, paragraphs: int = 120) -> Answer:
    body = [
        f"Paragraph {i}: **Announcement {i}** covers <items> & more. " * 12 + f"[{i % citations + 1}]"
        for i in range(paragraphs)
    ]
    body.append("word " * 1500)  # one paragraph longer than a section
    text = "**Status on 24 November 2026**\n- Measure A: suspended since 7 November 2025 [1]\n\n" + "\n\n".join(body)
    cited = [
        Citation(
            n=n,
            document=f"corpus/doc-{n}.md",
            title=f"Title {n} & <part> | " + "long title " * 40,
            quote=f"Quote {n} " + "quoted words " * 150,
            start=0,
            end=10,
            url=f"https://example.org/{n}?a=1&b=2",
            published="2025-11-07",
            passage=n,
            issuer="MOFCOM",
        )
        for n in range(1, citations + 1)
    ]
    measures = [MeasureStatus("a", "Measure A", "suspended", "2025-11-07", "2026-11-10", "b", citation=1)]
    return Answer(question="q", answer=text, refused=False, citations=cited, measures=measures, as_of="2026-11-24")


def test_a_long_answer_is_split_within_slack_limits():
    answer = long_answer()
    messages = slack.answer_messages(answer, slack.answer_actions("v", share=True))

    assert len(messages) > 1
    sections = [b["text"]["text"] for blocks, _ in messages for b in blocks if b["type"] == "section"]
    for blocks, text in messages:
        assert 0 < len(blocks) <= slack.BLOCK_LIMIT and text.strip()
        assert all(len(b["text"]["text"]) <= slack.SECTION_LIMIT for b in blocks if b["type"] == "section")
        assert all(
            len(e["text"]) <= slack.SECTION_LIMIT for b in blocks if b["type"] == "context" for e in b["elements"]
        )
    assert messages[-1][0][-1]["type"] == "actions"
    assert len(messages[0][1]) <= slack.FALLBACK_CHARS
    for citation in answer.citations:  # each source whole, in exactly one section
        holding = [s for s in sections if f"*[{citation.n}]* " in s]
        assert len(holding) == 1 and slack.citation_mrkdwn(citation) in holding[0]
    body = "".join(sections[: sections.index(f"*Sources ({len(answer.citations)})*")])
    assert body.count("Paragraph") == 12 * 120 and body.count("word") == 1500  # nothing of the answer lost


def test_markdown_becomes_mrkdwn():
    assert slack.to_mrkdwn("**Bold** and *it* in [a link](https://x.org/a?b=1) [2]\n- item <b> & c") == (
        "*Bold* and _it_ in <https://x.org/a?b=1|a link> [2]\n• item &lt;b&gt; &amp; c"
    )
    assert slack.question_text("<@UBOT>  is <https://a.org|this> &amp; <#C1|general> ok?", "UBOT") == (
        "is this & general ok?"
    )


def test_seen_events_stay_bounded():
    seen = slack.SeenEvents(size=3)
    assert all(seen.first_time([f"e{i}"]) for i in range(5))
    assert seen.first_time(["e0"]) and not seen.first_time(["e4"])


# -- running it ----------------------------------------------------------------------------
def test_serve_names_the_missing_variables(monkeypatch, plain_settings):
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LodestoneError, match="SLACK_BOT_TOKEN and SLACK_APP_TOKEN are not set"):
        slack.serve(plain_settings)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with pytest.raises(LodestoneError, match="^SLACK_SIGNING_SECRET is not set"):
        slack.serve(plain_settings, http_mode=True)
    monkeypatch.setenv("SLACK_APP_TOKEN", BOT_TOKEN)
    with pytest.raises(LodestoneError, match="xapp-"):
        slack.serve(plain_settings)


def test_a_rejected_bot_token_is_a_clear_error(standin, plain_settings):
    standin.bad_tokens.add("xoxb-revoked")

    with pytest.raises(LodestoneError, match=r"rejected SLACK_BOT_TOKEN \(invalid_auth\)") as raised:
        slack.connect(UnusedEngine(), plain_settings, "xoxb-revoked", SIGNING_SECRET)

    assert "xoxb-revoked" not in str(raised.value)


def test_a_refused_socket_mode_connection_is_a_clear_error(standin, plain_settings, caplog):
    standin.bad_tokens.add(APP_TOKEN)
    app = slack.build_app(UnusedEngine(), plain_settings, BOT_TOKEN)

    with pytest.raises(LodestoneError, match=r"Socket Mode connection \(invalid_auth\).*SLACK_APP_TOKEN"):
        slack.run_socket_mode(app, APP_TOKEN)

    assert standin.calls_to("apps.connections.open") == [{}]
    assert APP_TOKEN not in caplog.text


def test_health_check(standin, plain_settings):
    bot = SlackHarness(standin, plain_settings, UnusedEngine())
    assert bot.http.get("/healthz").json() == {"ok": True}


def test_manifest_declares_what_the_bot_uses():
    manifest = yaml.safe_load((REPO_ROOT / "slack" / "manifest.yaml").read_text(encoding="utf-8"))

    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "im:history", "commands", "channels:history"} <= scopes
    assert {"files:read", "files:write"} <= scopes  # the CSV screened in a direct message, and its results
    assert {"app_mention", "message.im"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [slack.COMMAND]
    assert manifest["settings"]["interactivity"]["is_enabled"] and manifest["settings"]["socket_mode_enabled"]
