"""Benchmarks for Lodestone and the plain llama-index baseline, printed as one table.

    .venv/bin/python bench/run.py            # full run (3 rounds of the question set, 3 cold asks)
    .venv/bin/python bench/run.py --quick    # 10 questions, 1 round, 1 cold ask, no JSON written
    .venv/bin/python bench/run.py --scale 10000,50000   # generated corpora at scale (bench/scale.py)

Everything runs against a snapshot of the built-in corpus (corpus/) in a fresh
temporary folder, so the repository's own index/ is never touched and edits to
corpus/ during a run cannot change it. Each measured step (build, each system's
warm serving, each cold ask) runs in a child process of its own, so each
peak-RSS figure is that of a process that did that step and nothing else.
Figures are printed beside their targets as PASS/MISS; nothing here asserts
(bench/README.md explains each figure).
A full run also writes its results to bench/results.json (--json PATH to change).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import REPO_ROOT, Settings, set_offline_environment

QUESTIONS = REPO_ROOT / "bench" / "questions.txt"
RESULTS = REPO_ROOT / "bench" / "results.json"
LODESTONE = REPO_ROOT / ".venv" / "bin" / "lodestone"
AS_OF = "2026-11-24"
COLD_QUESTION = "What is control code 1C909?"
TARGETS = {  # figure -> (limit, unit)
    "warm_p50_ms": (150, "ms"),
    "warm_p95_ms": (300, "ms"),
    "rebuild_seconds": (5, "s"),
    "cold_ask_seconds": (5, "s"),
    "peak_rss_mb": (1536, "MiB"),  # warm serving process
    "cold_rss_mb": (1536, "MiB"),  # cold `lodestone ask`
}


# -- measuring helpers ------------------------------------------------------
def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def load_questions(limit: int | None = None) -> list[str]:
    lines = [line.strip() for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    questions = [line for line in lines if line and not line.startswith("#")]
    return questions[:limit] if limit else questions


def bench_settings(index_dir: Path) -> Settings:
    """Settings for the temporary folder: tmp/corpus (a snapshot of corpus/), tmp/index, tmp/data."""
    root = index_dir.parent
    return Settings.load({}, corpus_dir=root / "corpus", index_dir=index_dir, data_dir=root / "data", as_of=AS_OF)


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
    total_kib = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")))
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "ram_gib": round(total_kib / 1024**2, 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


# -- workers: each measured step runs in a fresh child process ---------------
# The parent stays small (it never imports torch): on Linux a child's ru_maxrss
# starts from its parent's RSS at fork, so a heavy parent would inflate every
# child's figure.
def serve_worker(system: str, index_dir: Path, questions: list[str], rounds: int) -> dict:
    """Open (or build) the system, answer the first question, then the questions warm.

    Only the plain llama-index pipeline loads the sentence-transformers model up
    front (it needs it to build); Lodestone loads what it needs on its first
    question, as the front ends do, and BM25 needs no model.
    """
    settings = bench_settings(index_dir)
    result = {}
    if system == "plain-llama-index":
        started = time.perf_counter()
        embedder = _warm_embedder()
        result["model_load_seconds"] = time.perf_counter() - started
    else:
        embedder = None
    result["rss_before_mb"] = peak_rss_mb()
    ask = _open_system(system, settings, embedder, result)
    started = time.perf_counter()
    ask(questions[0])
    result["first_question_ms"] = (time.perf_counter() - started) * 1000
    latencies, stages = [], {}
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            answer = ask(question)
            latencies.append((time.perf_counter() - started) * 1000)
            if not answer.passages:
                raise SystemExit(f"{system} found no passage for {question!r}")
            for stage, ms in answer.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    result |= {"latencies_ms": latencies, "peak_rss_mb": peak_rss_mb()}
    result["stage_mean_ms"] = {stage: statistics.fmean(values) for stage, values in stages.items()}
    return result


def build_worker(index_dir: Path) -> dict:
    """Build the index from scratch, then again with nothing changed."""
    from assistant.store import build_index

    settings = bench_settings(index_dir)
    started = time.perf_counter()
    embedder = _warm_embedder()
    model_load_seconds = time.perf_counter() - started
    full = build_index(settings, progress=False, embedder=embedder)
    again = build_index(settings, progress=False, embedder=embedder)
    return {
        "model_load_seconds": model_load_seconds,
        "build_seconds": full.seconds,
        "chunks": full.chunks,
        "embedded": full.embedded,
        "documents": full.documents,
        "rebuild_seconds": again.seconds,
        "rebuild_embedded": again.embedded,
        "build_peak_rss_mb": peak_rss_mb(),
    }


def _warm_embedder():
    from assistant.models import get_embedder

    embedder = get_embedder()
    embedder.embed_query("warm up")
    return embedder


def _open_system(system: str, settings: Settings, embedder, result: dict):
    k = settings.top_k
    if system == "lodestone":
        from assistant.engine import Engine

        engine = Engine(settings)  # as the front ends build it: its own query encoder, loaded on the first question
        return lambda q: engine.ask(q, k=k)
    if system == "plain-llama-index":
        from evals.baselines import PlainLlamaIndex

        baseline = PlainLlamaIndex(settings, embedder)
        result["build_seconds"] = baseline.build_seconds
        result["chunks"] = len(baseline.index.docstore.docs)
        return lambda q: baseline.ask(q, k=k)
    if system == "bm25-only":
        from evals.baselines import Bm25Only

        baseline = Bm25Only(settings)
        return lambda q: baseline.ask(q, k=k)
    raise ValueError(f"unknown system {system!r}")


def run_worker(kind: str, index_dir: Path, limit: int | None = None, rounds: int = 1) -> dict:
    command = [sys.executable, __file__, "--worker", kind, "--index-dir", str(index_dir), "--rounds", str(rounds)]
    if limit:
        command += ["--limit", str(limit)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def serving_figures(system: str, index_dir: Path, limit: int | None, rounds: int) -> dict:
    result = run_worker(system, index_dir, limit, rounds)
    latencies = result.pop("latencies_ms")
    return result | {
        "questions_timed": len(latencies),
        "warm_p50_ms": percentile(latencies, 50),
        "warm_p95_ms": percentile(latencies, 95),
        "warm_mean_ms": statistics.fmean(latencies),
        "warm_max_ms": max(latencies),
        "rss_delta_mb": result["peak_rss_mb"] - result["rss_before_mb"],
    }


# -- cold asks ----------------------------------------------------------------
def cold_ask(index_dir: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `lodestone ask` subprocess."""
    env = os.environ | {
        "LODESTONE_CORPUS_DIR": str(index_dir.parent / "corpus"),
        "LODESTONE_INDEX_DIR": str(index_dir),
        "LODESTONE_DATA_DIR": str(index_dir.parent / "data"),
        "LODESTONE_AS_OF": AS_OF,
    }
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen([str(LODESTONE), "ask", COLD_QUESTION], cwd=REPO_ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, unlike RUSAGE_CHILDREN
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if child.returncode != 0 or not out.read().strip():
            raise SystemExit(f"lodestone ask failed ({child.returncode}):\n{err.read().decode()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def cold_asks(index_dir: Path, runs: int) -> dict:
    results = [cold_ask(index_dir) for _ in range(runs)]
    return {
        "cold_ask_seconds": statistics.median(s for s, _ in results),
        "cold_ask_runs": [round(s, 3) for s, _ in results],
        "cold_rss_mb": max(r for _, r in results),
    }


# -- report -------------------------------------------------------------------
def verdict(name: str, figures: dict) -> str:
    limit, unit = TARGETS[name]
    return f"{'PASS' if figures[name] <= limit else 'MISS'} (<= {limit:g} {unit})"


def table(results: dict) -> str:
    lode, plain, bm25 = results["lodestone"], results["plain_llama_index"], results["bm25_only"]

    def each(template: str, key: str) -> tuple[str, str, str]:
        return tuple(template.format(system[key]) if key in system else "n/a" for system in (lode, plain, bm25))

    rows = [
        ("Model load before building", *each("{:.1f} s", "model_load_seconds"), ""),
        ("Index build from scratch", *each("{:.1f} s", "build_seconds"), ""),
        ("  chunks (nodes) indexed", *each("{}", "chunks"), ""),
        ("Rebuild, nothing changed", *each("{:.2f} s", "rebuild_seconds"), verdict("rebuild_seconds", lode)),
        ("  chunks embedded by it", *each("{}", "rebuild_embedded"), ""),
        ("First question (opens index, model)", *each("{:.0f} ms", "first_question_ms"), ""),
        ("Warm query p50", *each("{:.1f} ms", "warm_p50_ms"), verdict("warm_p50_ms", lode)),
        ("Warm query p95", *each("{:.1f} ms", "warm_p95_ms"), verdict("warm_p95_ms", lode)),
        ("Cold `lodestone ask` (median)", *each("{:.1f} s", "cold_ask_seconds"), verdict("cold_ask_seconds", lode)),
        ("Peak RSS, warm serving", *each("{:.0f} MiB", "peak_rss_mb"), verdict("peak_rss_mb", lode)),
        ("  RSS added by index + answering", *each("{:+.0f} MiB", "rss_delta_mb"), ""),
        ("Peak RSS, cold `lodestone ask`", *each("{:.0f} MiB", "cold_rss_mb"), verdict("cold_rss_mb", lode)),
    ]
    header = ("Figure", "Lodestone", "plain llama-index", "BM25 only", "Target (Lodestone)")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 questions, 1 round, 1 cold ask; writes no JSON.")
    parser.add_argument("--json", type=Path, default=None, help="Write results here (full runs: bench/results.json).")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--index-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3, help=argparse.SUPPRESS)
    parser.add_argument("--scale", help="Comma-separated chunk counts for the scale benchmark (bench/scale.py).")
    parser.add_argument("--embed", choices=["precomputed", "real"], default="precomputed", help="Scale: vectors for the full build.")
    parser.add_argument("--scale-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scale-plain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    set_offline_environment()
    if args.scale_worker:
        import scale

        work = scale.plain_worker(args.scale_worker) if args.scale_plain else scale.worker(args.scale_worker, args.embed)
        print(json.dumps(work))
        return 0
    if args.scale:
        import scale

        scale.run([int(n) for n in args.scale.split(",")], args.embed)
        return 0
    if args.worker == "build":
        print(json.dumps(build_worker(args.index_dir)))
        return 0
    if args.worker:
        print(json.dumps(serve_worker(args.worker, args.index_dir, load_questions(args.limit), args.rounds)))
        return 0
    return run_all(args.quick, args.json or (None if args.quick else RESULTS))


def run_all(quick: bool, json_path: Path | None) -> int:
    limit, rounds, cold_runs = (10, 1, 1) if quick else (None, 3, 3)
    results = {"date": time.strftime("%Y-%m-%d"), "mode": "quick" if quick else "full", "machine": machine()}
    results["load_average_before"] = os.getloadavg()
    results["questions"] = len(load_questions(limit))
    print("Machine: " + ", ".join(f"{k}={v}" for k, v in results["machine"].items()), flush=True)
    with tempfile.TemporaryDirectory(prefix="lodestone-bench-") as tmp:
        index_dir = Path(tmp) / "index"
        shutil.copytree(REPO_ROOT / "corpus", Path(tmp) / "corpus")  # immune to edits made while it runs
        print("Building the index twice (from scratch, then unchanged)...", flush=True)
        lodestone = run_worker("build", index_dir)
        print("Timing cold `lodestone ask`...", flush=True)
        lodestone |= cold_asks(index_dir, cold_runs)
        print(
            f"Timing warm queries ({results['questions']} questions x {rounds} rounds) in fresh processes...",
            flush=True,
        )
        lodestone |= serving_figures("lodestone", index_dir, limit, rounds)
        plain = serving_figures("plain-llama-index", index_dir, limit, rounds)
        bm25 = serving_figures("bm25-only", index_dir, limit, rounds)
    results |= {"lodestone": lodestone, "plain_llama_index": plain, "bm25_only": bm25}
    results["targets"] = {
        name: {"limit": cap, "unit": unit, "pass": lodestone[name] <= cap} for name, (cap, unit) in TARGETS.items()
    }
    results["load_average_after"] = os.getloadavg()
    print()
    print(table(results))
    stages = ", ".join(f"{k} {v:.0f} ms" for k, v in lodestone["stage_mean_ms"].items())
    print(f"\nLodestone mean time per stage (engine timings): {stages}")
    load = results["load_average_before"], results["load_average_after"]
    print(
        f"1-minute load average before/after: {load[0][0]:.2f}/{load[1][0]:.2f} on {results['machine']['nproc']} CPUs"
    )
    if lodestone["rebuild_embedded"] != 0:
        print(f"\nWARNING: the unchanged rebuild embedded {lodestone['rebuild_embedded']} chunks (expected 0).")
    if json_path:
        json_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(f"\nWritten: {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
