"""The door of the HTTP endpoint: every request is checked on its raw bytes before anything parses it.

In order: the declared and the actual size (over the limit: 413, never read
whole), the timestamp (not a number, or more than five minutes off: 401), the
signature over the raw bytes (401), then the body's shape (400, see
``payloads``). A refusal is logged in one line with a short, escaped prefix of
the body and never the body itself, so a flood of forged requests cannot fill
the disk.

>>> check_timestamp("abc", now=1000.0)
Traceback (most recent call last):
...
assistant.errors.SlackRequestRefused: Slack request refused (401): the timestamp is not a number
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from starlette.requests import Request

from assistant.errors import SlackRequestRefused

log = logging.getLogger(__name__)

MAX_AGE = 300  # seconds between Slack signing a request and the bot receiving it
LOG_PREFIX = 48  # characters of a refused body shown in the log
LOG_LINE = 1000  # characters of any one log line through bounded_log_handler


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it (or its Content-Length) is over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise SlackRequestRefused(413, f"the body is {int(declared):,} bytes, over the {limit:,}-byte limit")
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise SlackRequestRefused(413, f"the body is over the {limit:,}-byte limit")
    return bytes(body)


def check_timestamp(timestamp: str | None, now: float | None = None) -> int:
    """Slack's X-Slack-Request-Timestamp as a number, refused (401) when missing, not a number or stale."""
    timestamp = (timestamp or "").strip()
    if not timestamp:
        raise SlackRequestRefused(401, "the timestamp header is missing")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise SlackRequestRefused(401, "the timestamp is not a number")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_AGE:
        raise SlackRequestRefused(401, "the timestamp is more than five minutes off")
    return int(timestamp)


def check_signature(secret: str, timestamp: str, body: bytes, signature: str | None) -> None:
    """Slack's v0 HMAC-SHA256 signature over ``v0:timestamp:body``, computed on the raw bytes.

    (slack_sdk's SignatureVerifier decodes the body as text first, so a body that
    is not UTF-8 would raise instead of being refused.)
    """
    if not secret:
        raise SlackRequestRefused(401, "no signing secret is configured")
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not signature or not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise SlackRequestRefused(401, "the signature does not match")


def check_signed(request: Request, body: bytes, secret: str) -> None:
    """A request whose body was read within the limit: fresh and signed with ``secret``, or refused (401)."""
    timestamp = request.headers.get("x-slack-request-timestamp")
    check_timestamp(timestamp)
    check_signature(secret, timestamp.strip(), body, request.headers.get("x-slack-signature"))


def log_refusal(request: Request, error: SlackRequestRefused, body: bytes = b"") -> None:
    """One bounded line: the status, the reason, the size and an escaped prefix of the body."""
    client = request.client.host if request.client else "?"
    prefix = body[:LOG_PREFIX].decode("utf-8", "replace").encode("unicode_escape").decode("ascii")[:LOG_PREFIX * 4]
    log.warning(
        "Refused a Slack request from %s with %d: %s (%d bytes%s)",
        client,
        error.status,
        error.reason,
        len(body),
        f", starting {prefix!r}" if body else "",
    )


class BoundedRecords(logging.Filter):
    """Cuts any log record's message to ``limit`` characters, whichever library wrote it."""

    def __init__(self, limit: int = LOG_LINE):
        super().__init__()
        self.limit = limit

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > self.limit:
            record.msg, record.args = message[: self.limit] + f"… [{len(message) - self.limit:,} characters cut]", None
        return True


def bounded_log_handler(handler: logging.Handler, limit: int = LOG_LINE) -> logging.Handler:
    """The handler, with every record it writes cut to ``limit`` characters."""
    handler.addFilter(BoundedRecords(limit))
    return handler
