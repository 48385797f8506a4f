"""The web chat: a gradio front end that renders engine answers, nothing more.

    lodestone web          # then open http://127.0.0.1:7860

Rooms: ``layout`` (the page), ``handlers`` (what its events do),
``rendering`` (an Answer as chat text, status table and source cards),
``documents`` (what a card says about its document), ``downloads`` (bounded
files, removed on exit), ``guard`` (login rate limit, login-only state
changes), ``server`` (login, launch, serve) and ``assets/`` (CSS, JS, HTML).
Conversations persist in ``assistant.conversations``.

>>> app = build_app(Engine(settings), settings)  # doctest: +SKIP
>>> launch(app, settings)  # blocks; serve(settings) also builds a stale index first  # doctest: +SKIP
"""

from assistant.config import set_offline_environment

set_offline_environment()  # gradio reads GRADIO_ANALYTICS_ENABLED on import

from assistant.web.handlers import WebChat  # noqa: E402
from assistant.web.layout import build_app  # noqa: E402
from assistant.web.server import launch, login, serve  # noqa: E402

__all__ = ["WebChat", "build_app", "launch", "login", "serve"]
