"""Scale benchmark: seeded generated corpora of N chunks, one child process per size.

    .venv/bin/python bench/run.py --scale 10000,50000
    .venv/bin/python bench/run.py --scale 10000 --embed real   # embed with the adopted encoder (slow)

For each size it measures: full build, 1-document update, 1-document delete,
open (``Engine.open``), warm p50/p95 over bench/questions.txt, peak RSS of the
process, index size on disk, and the adopted encoder's raw batch throughput in
the same process. With ``--embed precomputed`` (the default) chunk vectors are
seeded unit vectors made from each chunk's text, so build figures exclude
embedding time; the table says so. Questions are always embedded by the real
ONNX encoder. Nothing asserts; figures are printed as a table.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import REPO_ROOT, Settings

WORDS = (
    "export licence control rare earth dysprosium terbium holmium samarium gadolinium lutetium scandium yttrium "
    "magnet alloy oxide metal compound target ministry commerce customs announcement list entity end-user "
    "certificate shipment application review working days dual-use technology processing smelting separation "
    "mining equipment recycling supplier customer invoice contract warehouse port declaration code exporter "
    "importer authority regulation measure suspension effect period notice buyer seller quantity tonne value"
).split()
CHUNK_WORDS = 150  # about one chunk of 200 word pieces per paragraph
PARAGRAPHS_PER_DOC = 14


def _paragraph(rng: random.Random, doc: int, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(CHUNK_WORDS)]
    sentences = [" ".join(words[i : i + 15]).capitalize() + "." for i in range(0, CHUNK_WORDS, 15)]
    return f"Order DX{doc:05d}-{n:02d} " + " ".join(sentences)


def generate_corpus(folder: Path, chunks: int, seed: int = 11) -> int:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    docs = max(1, chunks // (2 * PARAGRAPHS_PER_DOC))  # a paragraph makes about two chunks
    for doc in range(docs):
        body = "\n\n".join(_paragraph(rng, doc, n) for n in range(PARAGRAPHS_PER_DOC))
        (folder / f"memo-{doc:05d}.txt").write_text(f"Memo {doc}\n\n{body}\n", encoding="utf-8")
    return docs


class PrecomputedVectors:
    """Seeded unit vectors from each text's hash: stands in for embedding time, labelled as such."""

    name = "precomputed"

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        out = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(384).astype("float32")
            out.append((v / np.linalg.norm(v)).tolist())
        return out


def _du(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def worker(size: int, embed: str) -> dict:
    from assistant.engine import Engine
    from assistant.models import document_encoder
    from assistant.store import build_index

    figures = {"chunks_requested": size, "embedding": embed}
    with tempfile.TemporaryDirectory(prefix="lodestone-scale-") as tmp:
        corpus, index_dir = Path(tmp) / "corpus", Path(tmp) / "index"
        figures["documents"] = generate_corpus(corpus, size)
        settings = Settings.load({}, corpus_dir=corpus, index_dir=index_dir, data_dir=Path(tmp) / "data")
        encoder = document_encoder(index_dir)  # exports the ONNX encoder once (not timed)
        sample = [_paragraph(random.Random(5), 0, n) for n in range(128)]
        t = time.perf_counter()
        encoder.embed_texts(sample)
        figures["encoder_chunks_per_s"] = round(len(sample) / (time.perf_counter() - t), 1)
        embedder = PrecomputedVectors() if embed == "precomputed" else encoder
        t = time.perf_counter()
        report = build_index(settings, progress=False, embedder=embedder)
        figures["build_s"] = round(time.perf_counter() - t, 2)
        figures["chunks"] = report.chunks
        figures["build_chunks_per_s"] = round(report.chunks / figures["build_s"], 1)
        one = corpus / "memo-00003.txt"
        one.write_text(one.read_text() + "\n\nA new paragraph on holmium magnets ships under order DXF-7781.\n")
        t = time.perf_counter()
        update = build_index(settings, progress=False, embedder=encoder)  # the real encoder: what a user pays
        figures["update_1_doc_s"] = round(time.perf_counter() - t, 2)
        figures["update_embedded"] = update.embedded
        (corpus / "memo-00004.txt").unlink()
        t = time.perf_counter()
        build_index(settings, progress=False, embedder=encoder)
        figures["delete_1_doc_s"] = round(time.perf_counter() - t, 2)
        figures["index_mb"] = round(_du(index_dir / "builds"), 1)
        engine = Engine(settings)
        t = time.perf_counter()
        engine.open()
        figures["open_s"] = round(time.perf_counter() - t, 2)
        questions = [q for q in (REPO_ROOT / "bench" / "questions.txt").read_text().splitlines() if q.strip()]
        engine.ask(questions[0])
        times = []
        for q in questions * 2:
            t = time.perf_counter()
            engine.ask(q)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        figures["warm_p50_ms"] = round(statistics.median(times), 1)
        figures["warm_p95_ms"] = round(times[int(0.95 * (len(times) - 1))], 1)
        big = corpus / "huge.txt"
        with open(big, "wb") as f:
            f.truncate(50_000_000)
        t = time.perf_counter()
        rejected = build_index(settings, progress=False, embedder=encoder)
        figures["reject_50mb_build_s"] = round(time.perf_counter() - t, 2)
        figures["rejected_named"] = any("huge.txt" in p for p in rejected.problems)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return figures


def run(sizes: list[int], embed: str) -> list[dict]:
    rows = []
    print(f"Load average before: {os.getloadavg()}", flush=True)
    for size in sizes:
        print(f"Scale {size:,} chunks ({embed} vectors for the full build)...", flush=True)
        done = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("run.py")), "--scale-worker", str(size), "--embed", embed],
            capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO_ROOT)},
        )  # fmt: skip
        if done.returncode != 0:
            print(done.stderr[-2000:], flush=True)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    print(f"Load average after: {os.getloadavg()}", flush=True)
    _table(rows)
    return rows


def _table(rows: list[dict]) -> None:
    if not rows:
        return
    keys = [k for k in rows[0] if k not in {"chunks_requested"}]
    print("| figure | " + " | ".join(f"{r['chunks']:,} chunks" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for key in keys:
        print(f"| {key} | " + " | ".join(str(r.get(key)) for r in rows) + " |")
