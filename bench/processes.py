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
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
LODESTONE = Path(sys.executable).parent / "lodestone"

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
    env = scale._env(args.dir)
    figures = {"machine_load": os.getloadavg()[0], "updates": []}
    memo = args.dir / "corpus" / "memo-00010.txt"
    for n in range(args.runs):
        memo.write_text(memo.read_text() + f"\n\nA new paragraph {time.time_ns()} on holmium magnets, order DXF-{n}.\n")
        seconds, rss, out, _ = scale.measured([str(LODESTONE), "index", "build"], env)
        figures["updates"].append({"wall_s": round(seconds, 2), "peak_rss_mb": round(rss, 1), "said": out.decode().strip()[-160:]})
    seconds, rss, out, _ = scale.measured([sys.executable, "-c", scale.SERVE, str(args.dir), str(REPO_ROOT)], env)
    figures["serving"] = json.loads(out.splitlines()[-1]) | {"wall_s": round(seconds, 2), "peak_rss_mb_wait4": round(rss, 1)}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
