"""Party screening speed: 10,000 names, printed beside rapidfuzz's raw ``process.cdist`` on the same data.

    .venv/bin/python bench/screen.py [--names 10000] [--rounds 3]

Needs a built index (``lodestone index build``; ``LODESTONE_INDEX_DIR`` is honoured).
The audit trail goes to a fresh temporary data folder, never to ``data/``.
Prints figures only; nothing here asserts (bench/README.md explains each one).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, process  # noqa: E402

from assistant.config import REPO_ROOT, Settings, set_offline_environment  # noqa: E402
from assistant.engine import Engine  # noqa: E402
from assistant.parties import open_parties  # noqa: E402
from assistant.screening import Screener, write_results  # noqa: E402
from tests.name_data import listed_names, unrelated, variants  # noqa: E402

TARGET_S = 10.0
AS_OF = "2026-11-24"


def names_file(register, count: int) -> list[str]:
    """One name in ten a variant of a listed name, the rest unrelated companies, shuffled."""
    listed = [v for _, v, _ in variants(register)]
    names = [listed[i % len(listed)] for i in range(count // 10)] + unrelated(count - count // 10, seed=11)
    random.Random(5).shuffle(names)
    return names


def timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    set_offline_environment()
    base = Settings.load()
    register, version = open_parties(base)
    names = names_file(register, args.names)
    labels = [label for _, label in listed_names(register)]
    screener = Screener(register, base.screen_threshold)
    print(f"{len(names):,} names against {len(register)} parties ({len(labels)} names and aliases), {os.cpu_count()} CPUs")
    print(f"1-minute load average before: {os.getloadavg()[0]:.2f}")

    raw = timed(lambda: process.cdist(names, labels, scorer=fuzz.token_sort_ratio, processor=str.lower, workers=-1), args.rounds)
    matching = timed(lambda: screener.screen_all(names, AS_OF), args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        settings = dataclasses.replace(base, data_dir=tmp / "data-engine")
        engine = Engine(settings)
        engine.screening()  # open the register outside the timing, as a serving process would
        t0 = time.perf_counter()
        write_results(engine.screen_many(names, as_of=AS_OF, frontend="bench"), tmp / "engine.csv")
        audited = time.perf_counter() - t0
        source = tmp / "names.csv"
        with source.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["name"], *([n] for n in names)])
        cold, resumed = cold_cli(source, tmp, base)
    outcomes = {k: sum(s.outcome == k for s in screener.screen_all(names, AS_OF)) for k in ("exact", "possible", "none")}

    rows = [
        ("rapidfuzz process.cdist (token_sort_ratio, all pairs)", raw, None),
        ("Lodestone matching only (Screener.screen_all)", matching, None),
        ("Engine.screen_many + audit + results CSV, in process", audited, None),
        ("cold `lodestone screen --file` (interpreter start to exit)", cold, TARGET_S),
        ("the same command again (a new, fully audited batch)", resumed, None),
    ]
    print(f"\n{'figure':<64} {'seconds':>8}  {'names/s':>9}  target")
    for label, seconds, target in rows:
        verdict = "" if target is None else f"<= {target:g} s {'PASS' if seconds <= target else 'MISS'}"
        print(f"{label:<64} {seconds:8.3f}  {len(names) / seconds:9,.0f}  {verdict}")
    print(f"\noutcomes: {outcomes}; corpus version {version}")
    print(f"1-minute load average after: {os.getloadavg()[0]:.2f}")


def cold_cli(source: Path, tmp: Path, base: Settings) -> tuple[float, float]:
    env = os.environ | {"LODESTONE_DATA_DIR": str(tmp / "data-cli"), "LODESTONE_INDEX_DIR": str(base.index_dir),
                        "PYTHONPATH": str(REPO_ROOT)}  # fmt: skip
    command = [sys.executable, "-c", "from assistant.cli import main; main()", "screen", "--file", str(source),
               "--out", str(tmp / "cli.csv"), "--as-of", AS_OF]  # fmt: skip
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times[0], times[1]


if __name__ == "__main__":
    main()
