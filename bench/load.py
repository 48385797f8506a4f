"""Load on the front doors: N concurrent web clients and M signed Slack events, fixed counts.

    .venv/bin/python bench/load.py                     # 8 web clients x 5 questions, 30 Slack events
    .venv/bin/python bench/load.py --clients 4 --questions 3 --events 10

A fresh index of the built-in corpus is built into a temporary folder; then a
real ``lodestone web`` and a real ``lodestone slack --http`` run as child
processes on 127.0.0.1. The web clients are gradio_client sessions, each in a
thread of its own; the Slack events are signed app_mention requests, and
Slack's Web API is a loopback stand-in in this process that records the
answers posted. For each side it prints p50/p95 latency, errors, whether each
answer belonged to its own question, and the server's RSS before and after.
Nothing here asserts; bench/README.md records the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
LODESTONE = Path(sys.executable).parent / "lodestone"
AS_OF = "2026-11-24"
SECRET = "bench-signing-secret"
BOT_USER = "UBOT"
# (question, the word its own answer must contain; no other question's word may appear instead)
QUESTIONS = [
    ("Is holmium controlled?", "holmium"),
    ("Is dysprosium controlled?", "dysprosium"),
    ("What does control code 1E902.b cover?", "1e902.b"),
    ("Can gallium be exported to the United States?", "gallium"),
    ("Is antimony still controlled?", "antimony"),
    ("Is graphite controlled?", "graphite"),
    ("Is terbium controlled?", "terbium"),
    ("Is germanium controlled?", "germanium"),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the CLI wrapper forks nothing, but be safe)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total += int(line.split()[1])
    return total / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"nothing answered on port {port} within {seconds:.0f} s")


# -- the Slack Web API stand-in ------------------------------------------------------------
class SlackWebAPI:
    def __init__(self):
        self.posts: list[tuple[float, dict]] = []
        self.changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = self.path.removeprefix("/api/")
                payload = json.loads(raw or b"{}") if b"{" in raw[:1] else {}
                if method == "chat.postMessage":
                    with api.changed:
                        api.posts.append((time.perf_counter(), payload))
                        api.changed.notify_all()
                body = {"ok": True, "ts": f"{time.time():.6f}", "user_id": BOT_USER, "bot_id": "BBOT", "team_id": "T1"}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


# -- the two loads ----------------------------------------------------------------------------
def own_answer(asked: str, question: str, text: str, word: str) -> bool:
    """The answer is to this question: it was given for the question as asked, and speaks of its subject."""
    return asked == question and word in text.lower()


def text_of(message: dict) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def web_load(url: str, clients: int, per_client: int) -> dict:
    from gradio_client import Client

    latencies, errors, wrong = [], [], 0

    def one_client(c: int):
        nonlocal wrong
        session = Client(url, verbose=False)
        for i in range(per_client):
            question, word = QUESTIONS[(c + i) % len(QUESTIONS)]
            started = time.perf_counter()
            try:
                chat = session.predict(question, AS_OF, api_name="/ask")[0]
            except Exception as error:  # counted and shown, the run goes on
                errors.append(f"{type(error).__name__}: {error}"[:200])
                continue
            latencies.append(time.perf_counter() - started)
            asked = [text_of(m) for m in chat if m["role"] == "user"]
            if len(asked) != i + 1 or not own_answer(asked[-1], question, text_of(chat[-1]), word):
                wrong += 1  # another session's question leaked in, or the answer is about something else

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one_client, range(clients)))
    return {"count": clients * per_client, "latencies": latencies, "errors": errors, "wrong": wrong}


def signed(body: str) -> dict:
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


EVENT_NUMBERS = itertools.count(1)  # every event of the run its own ids, warm-up included


def slack_load(url: str, api: SlackWebAPI, events: int, timeout: float) -> dict:
    sent, errors = {}, []
    with httpx.Client(timeout=30) as http:
        for i in range(events):
            question, word = QUESTIONS[i % len(QUESTIONS)]
            number = next(EVENT_NUMBERS)
            event_ts = f"1800000000.{number:06d}"
            event = {"type": "app_mention", "user": "U1", "channel": "C1", "ts": event_ts,
                     "text": f"<@{BOT_USER}> {question}", "client_msg_id": f"m{number}"}  # fmt: skip
            body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": f"EvLoad{number}", "event": event})
            started = time.perf_counter()
            try:
                response = http.post(url, content=body, headers=signed(body))
                if response.status_code != 200:
                    errors.append(f"HTTP {response.status_code}")
                    continue
            except httpx.HTTPError as error:
                errors.append(type(error).__name__)
                continue
            sent[event_ts] = (started, question, word)
    deadline = time.monotonic() + timeout
    with api.changed:
        api.changed.wait_for(lambda: len({p.get("thread_ts") for _, p in api.posts} & set(sent)) >= len(sent),
                             timeout=max(0.0, deadline - time.monotonic()))  # fmt: skip
        posts = list(api.posts)
    first: dict[str, tuple[float, dict]] = {}
    answers_per_thread: dict[str, int] = {}
    for at, payload in posts:
        thread = payload.get("thread_ts")
        first.setdefault(thread, (at, payload))
        if payload.get("metadata"):  # only the first message of an answer carries it
            answers_per_thread[thread] = answers_per_thread.get(thread, 0) + 1
    latencies, wrong, missing = [], 0, 0
    for event_ts, (started, question, word) in sent.items():
        if event_ts not in first:
            missing += 1
            continue
        at, payload = first[event_ts]
        latencies.append(at - started)
        asked = ((payload.get("metadata") or {}).get("event_payload") or {}).get("question", "")
        if not own_answer(asked, question, payload.get("text", ""), word):
            wrong += 1
    repeated = sum(1 for n in answers_per_thread.values() if n > 1)
    return {"count": events, "latencies": latencies, "errors": errors + ["no answer"] * missing, "wrong": wrong,
            "threads_answered_twice": repeated}  # fmt: skip


# -- the run ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent web clients")
    parser.add_argument("--questions", type=int, default=5, help="questions each web client asks")
    parser.add_argument("--events", type=int, default=30, help="signed Slack events")
    parser.add_argument("--json", default="", help="also write the figures to this file")
    parser.add_argument("--index", default="", help="serve this built index instead of building a fresh one")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="lodestone-load-"))
    env = os.environ | {
        "LODESTONE_INDEX_DIR": args.index or str(folder / "index"),
        "LODESTONE_DATA_DIR": str(folder / "data"),
        "LODESTONE_AS_OF": AS_OF,
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
    }
    if not args.index:
        print(f"Building a fresh index in {folder} ...", flush=True)
        subprocess.run([str(LODESTONE), "index", "build"], env=env, check=True, capture_output=True)
    api = SlackWebAPI()
    env["LODESTONE_SLACK_API_URL"] = api.url
    web_port, slack_port = free_port(), free_port()
    log = open(folder / "servers.log", "w")  # noqa: SIM115  (closed at the end)
    web = subprocess.Popen([str(LODESTONE), "web", "--port", str(web_port)], env=env, stdout=log, stderr=log)
    bot = subprocess.Popen([str(LODESTONE), "slack", "--http", "--port", str(slack_port)], env=env, stdout=log,
                           stderr=log)  # fmt: skip
    try:
        wait_for_port(web_port, web)
        wait_for_port(slack_port, bot)
        web_url, slack_url = f"http://127.0.0.1:{web_port}/", f"http://127.0.0.1:{slack_port}/slack/events"
        web_load(web_url, 1, 1)  # warm both servers with one question each
        slack_load(slack_url, api, 1, 120)
        api.posts.clear()
        rss_before = {"web": rss_mb(web.pid), "slack": rss_mb(bot.pid)}
        load_avg_before = os.getloadavg()[0]
        started = time.perf_counter()
        results = {}
        with ThreadPoolExecutor(2) as pool:  # both doors at once
            web_job = pool.submit(web_load, web_url, args.clients, args.questions)
            slack_job = pool.submit(slack_load, slack_url, api, args.events, 600)
            results["web"], results["slack"] = web_job.result(), slack_job.result()
        wall = time.perf_counter() - started
        rss_after = {"web": rss_mb(web.pid), "slack": rss_mb(bot.pid)}
    finally:
        web.terminate()
        bot.terminate()
        web.wait(30)
        bot.wait(30)
        log.close()
    figures = report(results, rss_before, rss_after, wall, load_avg_before, args)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


def report(results, rss_before, rss_after, wall, load_avg_before, args) -> dict:
    figures = {"clients": args.clients, "questions_per_client": args.questions, "slack_events": args.events,
               "wall_seconds": round(wall, 1), "load_average_before": load_avg_before,
               "load_average_after": os.getloadavg()[0]}  # fmt: skip
    print(f"\n{os.cpu_count()} CPUs; load average {load_avg_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"{'door':<6} {'count':>6} {'p50 s':>7} {'p95 s':>7} {'mean s':>7} {'errors':>7} {'not own':>8}"
          f" {'RSS before':>11} {'RSS after':>10}")  # fmt: skip
    for door, r in results.items():
        lat = r["latencies"]
        row = {
            "count": r["count"],
            "p50_s": round(percentile(lat, 50), 3),
            "p95_s": round(percentile(lat, 95), 3),
            "mean_s": round(statistics.fmean(lat), 3) if lat else None,
            "errors": len(r["errors"]),
            "not_own_answer": r["wrong"],
            "rss_before_mb": round(rss_before[door]),
            "rss_after_mb": round(rss_after[door]),
        }
        if "threads_answered_twice" in r:
            row["threads_answered_twice"] = r["threads_answered_twice"]
        figures[door] = row
        print(f"{door:<6} {row['count']:>6} {row['p50_s']:>7} {row['p95_s']:>7} {row['mean_s']!s:>7} "
              f"{row['errors']:>7} {row['not_own_answer']:>8} {row['rss_before_mb']:>8} MiB {row['rss_after_mb']:>6} MiB")  # fmt: skip
        for error in r["errors"][:5]:
            print(f"    error: {error}")
    print(f"wall time of the whole load: {wall:.1f} s")
    return figures


if __name__ == "__main__":
    main()
