"""Each job in a process of its own, as a team runs them: `lodestone index build` after a 1-document edit,
and a serving process (open, then warm questions), each with its wall time and peak RSS.

    .venv/bin/python bench/processes.py --size 50000 --dir /tmp/lodestone-50k

``--dir`` keeps the generated corpus and index between runs: the first run generates the seeded corpus of
bench/scale.py and builds it with precomputed vectors (minutes at 5x10^4 chunks); later runs reuse it.
The update runs the installed command with the real encoder, from interpreter start to exit. Nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
LODESTONE = Path(sys.executable).parent / "lodestone"

SERVE = """
import json, resource, statistics, sys, time
from pathlib import Path
t = time.perf_counter()
from assistant.config import Settings
from assistant.engine import Engine
root = Path(sys.argv[1])
engine = Engine(Settings.load({}, corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data"))
engine.open()
opened = time.perf_counter() - t
questions = [q for q in (Path(sys.argv[2]) / "bench" / "questions.txt").read_text().splitlines() if q.strip()]
engine.ask(questions[0])
times = []
for q in questions * 2:
    t = time.perf_counter()
    engine.ask(q)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(json.dumps({"start_and_open_s": round(opened, 2), "warm_p50_ms": round(statistics.median(times), 1),
                  "warm_p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def _env(root: Path) -> dict:
    return os.environ | {
        "LODESTONE_CORPUS_DIR": str(root / "corpus"),
        "LODESTONE_INDEX_DIR": str(root / "index"),
        "LODESTONE_DATA_DIR": str(root / "data"),
        "PYTHONPATH": str(REPO_ROOT),
    }


def _measured(command: list[str], env: dict) -> tuple[float, float, bytes]:
    """Wall seconds, the child's own peak RSS (MiB, ``ru_maxrss`` from os.wait4) and its stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0), err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{command[1:3]} failed:\n{err.read().decode()[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()


def prepare(root: Path, size: int) -> None:
    if (root / "index" / "live").exists():
        return
    from assistant.config import Settings
    from assistant.store import build_index

    scale.generate_corpus(root / "corpus", size)
    scale._one_time_setup(root / "index")
    settings = Settings.load({}, corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data")
    build_index(settings, progress=False, embedder=scale.PrecomputedVectors())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50000)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    prepare(args.dir, args.size)
    env = _env(args.dir)
    figures = {"machine_load": os.getloadavg()[0], "updates": []}
    memo = args.dir / "corpus" / "memo-00010.txt"
    for n in range(args.runs):
        memo.write_text(memo.read_text() + f"\n\nA new paragraph {time.time_ns()} on holmium magnets, order DXF-{n}.\n")
        seconds, rss, out = _measured([str(LODESTONE), "index", "build"], env)
        figures["updates"].append({"wall_s": round(seconds, 2), "peak_rss_mb": round(rss, 1), "said": out.decode().strip()[-160:]})
    seconds, rss, out = _measured([sys.executable, "-c", SERVE, str(args.dir), str(REPO_ROOT)], env)
    figures["serving"] = json.loads(out) | {"wall_s": round(seconds, 2), "peak_rss_mb_wait4": round(rss, 1)}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
