"""The front door of the web app, in front of gradio's own routes.

With a login set: wrong logins are limited per client address
(``web_login_attempts`` a ``web_login_window``; then 429 until the window
passes), and no request that changes state (any method but GET, HEAD and
OPTIONS, other than the login itself) is let through without a logged-in
session cookie: gradio leaves a few such routes open (``/gradio_api/reset``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from http.cookies import SimpleCookie

from assistant.errors import LoginThrottled

READ_ONLY = {"GET", "HEAD", "OPTIONS"}
LOGIN_PATHS = {"/login", "/login/"}


class LoginLimiter:
    """Wrong logins per client address within a sliding window.

    >>> limiter = LoginLimiter(attempts=2, window=60)
    >>> limiter.failed("1.2.3.4", now=0); limiter.failed("1.2.3.4", now=1)
    >>> limiter.wait("1.2.3.4", now=2), limiter.wait("5.6.7.8", now=2), limiter.wait("1.2.3.4", now=61)
    (58, 0, 0)
    """

    def __init__(self, attempts: int, window: float):
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def wait(self, client: str, now: float | None = None) -> int:
        """Seconds this client must wait before it may try again (0: it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            failures = self._failures[client]
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) < self.attempts:
                return 0
            return max(1, int(failures[0] + self.window - now + 0.999))

    def failed(self, client: str, now: float | None = None) -> None:
        with self._lock:
            self._failures[client].append(time.monotonic() if now is None else now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


class FrontDoor:
    """ASGI middleware: login rate limit and login-only state changes (a no-op without a login)."""

    def __init__(self, app, limiter: LoginLimiter, login_required: bool):
        self.app, self.limiter, self.login_required = app, limiter, login_required

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.login_required:
            return await self.app(scope, receive, send)
        path, client = scope.get("path", ""), (scope.get("client") or ("?", 0))[0]
        if path in LOGIN_PATHS and scope["method"] == "POST":
            return await self._login(scope, receive, send, client)
        if scope["method"] not in READ_ONLY and not self._logged_in(scope):
            return await _reply(send, 401, {"error": "Not authenticated", "detail": "Log in first."})
        return await self.app(scope, receive, send)

    async def _login(self, scope, receive, send, client: str):
        if seconds := self.limiter.wait(client):
            return await _reply(send, 429, {"detail": str(LoginThrottled(seconds))}, [(b"retry-after", str(seconds).encode())])

        async def watch(message):
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    self.limiter.succeeded(client)
                else:
                    self.limiter.failed(client)
            await send(message)

        return await self.app(scope, receive, watch)

    def _logged_in(self, scope) -> bool:
        app = scope.get("app")
        cookies = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                cookies.load(value.decode("latin-1"))
        tokens = getattr(app, "tokens", {})
        return any(name.startswith("access-token") and morsel.value in tokens for name, morsel in cookies.items())


async def _reply(send, status: int, body: dict, headers: list | None = None):
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": payload})
