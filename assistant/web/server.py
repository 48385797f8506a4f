"""Serving the page: the login, the front door, start and stop."""

from __future__ import annotations

import logging

from starlette.middleware import Middleware

from assistant.config import Settings
from assistant.errors import SettingInvalid, WebUnavailable
from assistant.web.guard import FrontDoor, LoginLimiter
from assistant.web.layout import ASSETS

log = logging.getLogger("assistant.web")


def login(settings: Settings) -> tuple[str, str] | None:
    """The (username, password) the chat requires, or None when no login is set."""
    username, password = settings.web_username, settings.web_password
    if bool(username) != bool(password):
        missing = "LODESTONE_WEB_PASSWORD" if username else "LODESTONE_WEB_USERNAME"
        raise SettingInvalid(f"A web login needs both a username and a password; set {missing} too (or neither).")
    return (username, password) if username else None


def launch(app, settings: Settings, host: str | None = None, port: int | None = None, block: bool = True):
    """Serve the app on host:port (127.0.0.1 by default), never through a public share link."""
    where = f"{host or settings.web_host}:{port or settings.web_port}"
    try:
        return _launch(app, settings, host, port, block)
    except OSError as error:
        raise WebUnavailable(f"Can't serve the web chat on {where} ({error}). Is another copy running? Try --port 7861.") from None


def _launch(app, settings: Settings, host: str | None, port: int | None, block: bool):
    auth = login(settings)
    limiter = LoginLimiter(settings.web_login_attempts, settings.web_login_window)
    _close_downloads_with(app)
    chat = getattr(app, "web_chat", None)
    return app.launch(
        server_name=host or settings.web_host,
        server_port=port or settings.web_port,
        share=False,
        auth=auth,
        auth_message="Lodestone: please log in.",
        prevent_thread_lock=not block,
        show_error=False,
        quiet=True,
        ssr_mode=False,
        mcp_server=False,
        footer_links=["api", "settings"],
        css_paths=[ASSETS / "web.css"],
        js=(ASSETS / "web.js").read_text(encoding="utf-8"),
        allowed_paths=[str(chat.downloads.served)] if chat else None,  # gradio's copies of the downloads only
        app_kwargs={"middleware": [Middleware(FrontDoor, limiter=limiter, login_required=auth is not None)]},
    )


def _close_downloads_with(app) -> None:
    """Download files go when the app is closed (and, failing that, when the process exits)."""
    chat = getattr(app, "web_chat", None)
    if chat is None or getattr(app, "_closes_downloads", False):
        return
    close = app.close

    def close_and_clean(*args, **kwargs):
        try:
            return close(*args, **kwargs)
        finally:
            chat.close()

    app.close = close_and_clean
    app._closes_downloads = True


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Build the index if it is missing or stale, then serve the web chat until stopped."""
    from assistant import web
    from assistant.engine import Engine

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up checks
    auth = login(settings)
    engine = Engine(settings)
    engine.ensure_index(log)
    app = web.build_app(engine, settings)
    where = f"http://{host or settings.web_host}:{port or settings.web_port}"
    log.info("Web chat at %s%s (Ctrl+C to stop).", where, " (login required)" if auth else "")
    try:
        web.launch(app, settings, host, port)
    finally:
        app.web_chat.close()
