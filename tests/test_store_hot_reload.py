"""A running web chat and a running Slack app pick up a rebuilt index between
questions: while they answer in a loop and `lodestone index build` runs twice
in another process, no request fails, and every question asked after a build
finished is answered from the new text (the switch costs no more than one
question: each question first compares the live generation with its own)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time

import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.engine import Engine
from assistant.store import build_index

gradio_client = pytest.importorskip("gradio_client")

from test_slack import SlackHarness, SlackStandIn, all_text  # noqa: E402
from test_web import free_port, reply  # noqa: E402

from assistant import web  # noqa: E402

QUESTION = "Which port stores rare earth elements for export?"
MEMO = "---\nid: port-memo\ntitle: Port memo\nkind: document\n---\nRare earth elements for export are now stored at the Port of Qinzhou-Edition{n} since November 2026.\n"
WAIT = 300  # a bound on the whole loop, not a timing assert


@dataclasses.dataclass
class Outcome:
    started: float
    edition: int | None  # the memo edition the answer quoted, None if it quoted none
    error: str | None = None


def _edition(text: str) -> int | None:
    marker = "Qinzhou-Edition"
    if marker not in text:
        return None
    return int(text.split(marker, 1)[1][:1])


def _ask_in_a_loop(ask, outcomes: list[Outcome], stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        try:
            outcomes.append(Outcome(started, _edition(ask())))
        except Exception as error:  # every failure counts, whatever its kind
            outcomes.append(Outcome(started, None, f"{type(error).__name__}: {error}"))


def _rebuild_in_another_process(settings: Settings) -> float:
    env = os.environ | {
        "PYTHONPATH": str(REPO_ROOT),
        "LODESTONE_CORPUS_DIR": str(settings.corpus_dir),
        "LODESTONE_INDEX_DIR": str(settings.index_dir),
        "LODESTONE_DATA_DIR": str(settings.data_dir),
    }
    done = subprocess.run(
        [sys.executable, "-c", "from assistant.cli import main; main()", "index", "build"],
        env=env, capture_output=True, text=True, timeout=WAIT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return time.monotonic()


def test_web_and_slack_switch_to_a_rebuilt_index_with_no_failed_request(tmp_path, small_corpus, embedder):
    (small_corpus / "memo.md").write_text(MEMO.format(n=0))
    settings = Settings.load({}, corpus_dir=small_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    build_index(settings, progress=False, embedder=embedder)

    app = web.build_app(Engine(settings, embedder=embedder), settings)
    web.launch(app, settings, port=free_port(), block=False)
    standin = SlackStandIn()
    slack_settings = dataclasses.replace(settings, slack_api_url=standin.api_url)
    bot = SlackHarness(standin, slack_settings, Engine(slack_settings, embedder=embedder))

    def ask_web() -> str:
        return reply(gradio_client.Client(app.local_url, verbose=False).predict(QUESTION, "", api_name="/ask"))

    def ask_slack() -> str:
        response, event = bot.mention(QUESTION, channel="C9")
        assert response.status_code == 200, response.text
        posts = [p for p in standin.calls_to("chat.postMessage") if p.get("thread_ts") == event["ts"]]
        assert posts, "no answer was posted"
        return all_text(posts[0]["blocks"])

    outcomes = {"web": [], "slack": []}
    stop = threading.Event()
    loops = [threading.Thread(target=_ask_in_a_loop, args=(ask, outcomes[name], stop)) for name, ask in
             (("web", ask_web), ("slack", ask_slack))]  # fmt: skip
    finished = {}
    try:
        for loop in loops:
            loop.start()
        time.sleep(2)
        for edition in (1, 2):
            (small_corpus / "memo.md").write_text(MEMO.format(n=edition))
            finished[edition] = _rebuild_in_another_process(settings)
            time.sleep(4)
    finally:
        stop.set()
        for loop in loops:
            loop.join(WAIT)
        app.close()
        standin.close()

    for name, seen in outcomes.items():
        assert [o.error for o in seen if o.error] == [], f"{name} had failed requests"
        assert all(o.edition is not None for o in seen), f"{name} answered without the memo"
        after = {edition: [o.edition for o in seen if o.started > at] for edition, at in finished.items()}
        assert after[2] and set(after[2]) == {2}, f"{name}: every question asked after the last build sees edition 2"
        assert after[1] and set(after[1]) <= {1, 2}, f"{name}: no question after the first build sees edition 0"
        assert seen[0].edition == 0
        print(f"{name}: {len(seen)} answers during two rebuilds, 0 failed")
