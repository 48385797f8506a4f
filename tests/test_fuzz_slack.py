"""Property: any request to the Slack endpoint, with arbitrary headers and bodies, signed or not, gets a
4xx or a 200, never a 500, and an unsigned one never reaches a handler. The engine behind is the real one.

Seeded (derandomize) and bounded (a fixed number of examples)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.test_slack import (  # noqa: F401  (fixtures)
    BOT_USER,
    SIGNING_SECRET,
    TEAM,
    SlackHarness,
    slack_settings,
    standin,
)

BOUNDED = settings(
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
questions = st.text(max_size=200) | st.sampled_from(["Is holmium controlled?", "", " ", "<@UBOT>", "镝需要许可证吗"])
ids = st.text(alphabet="ABCDEFGHIJ0123456789.", max_size=12)


@st.composite
def events(draw) -> bytes:
    event = {
        "type": draw(st.sampled_from(["app_mention", "message", "reaction_added", "x"])),
        "text": f"<@{BOT_USER}> " + draw(questions),
        "user": draw(st.sampled_from(["U1", BOT_USER, ""]) | ids),
        "channel": draw(st.sampled_from(["C1", "D1"]) | ids),
        "ts": draw(ids),
    }
    for key, value in draw(st.dictionaries(st.sampled_from(["thread_ts", "channel_type", "subtype", "bot_id",
                                                            "client_msg_id", "files", "blocks"]), json_values,
                                           max_size=3)).items():  # fmt: skip
        event[key] = value
    body = {"type": "event_callback", "team_id": TEAM, "event_id": draw(ids), "event": event}
    body |= draw(st.dictionaries(st.sampled_from(["authorizations", "api_app_id", "enterprise_id"]), json_values))
    return json.dumps(body).encode()


@st.composite
def commands(draw, response_url: str) -> bytes:
    form = {"command": draw(st.sampled_from(["/lodestone", "/other"])), "text": draw(questions)}
    form |= {"user_id": draw(ids), "channel_id": draw(ids), "team_id": TEAM, "response_url": response_url}
    form |= draw(st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3))
    return urlencode(form).encode()


@st.composite
def clicks(draw, response_url: str) -> bytes:
    action = {"action_id": draw(st.sampled_from(["lodestone_feedback_up", "lodestone_share", "x"])),
              "value": draw(st.text(max_size=80) | json_values.map(json.dumps))}  # fmt: skip
    payload = {
        "type": draw(st.sampled_from(["block_actions", "view_submission", "shortcut"])),
        "user": {"id": draw(ids)},
        "team": {"id": TEAM},
        "channel": {"id": "C1"},
        "response_url": response_url,
        "actions": [action],
    }
    payload |= draw(st.dictionaries(st.sampled_from(["message", "container", "view"]), json_values, max_size=2))
    return urlencode({"payload": json.dumps(payload)}).encode()


def bodies(response_url: str):
    return st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
        json_values.map(lambda v: json.dumps(v).encode()),
        events(),
        commands(response_url),
        clicks(response_url),
    )


def request_headers(draw_signed: bool, body: bytes, extra: dict, content_type: str) -> dict:
    headers = {"Content-Type": content_type} | extra
    if draw_signed:
        timestamp = str(int(time.time()))
        digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
        headers |= {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}
    return headers


def web_api_calls(standin) -> list[dict]:
    """Calls a handler makes at once (a slash command's answer comes later, at its response URL)."""
    return [c for c in list(standin.calls) if not c["method"].startswith("response/")]


@pytest.fixture
def harness(standin, slack_settings, engine):
    return SlackHarness(standin, slack_settings, engine)


@BOUNDED
@given(data=st.data())
def test_any_request_gets_a_4xx_or_a_200_never_a_500(harness, standin, data):
    body = data.draw(bodies(standin.response_url()), label="body")
    signed = data.draw(st.booleans(), label="signed")
    content_type = data.draw(
        st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""]) | header_text
    )
    extra = data.draw(
        st.dictionaries(
            st.sampled_from(["X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Slack-Retry-Num", "X-Forwarded-For"])
            | header_text.filter(lambda h: h.strip() and ":" not in h and h.isalnum()),
            header_text,
            max_size=4,
        ),
        label="headers",
    )
    calls_before = len(web_api_calls(standin))

    response = harness.http.post("/slack/events", content=body, headers=request_headers(signed, body, extra, content_type))

    assert response.status_code < 500, (response.status_code, response.text[:200])
    if response.status_code == 401:
        assert len(web_api_calls(standin)) == calls_before  # a refused request reached no handler
