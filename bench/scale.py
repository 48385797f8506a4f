"""Scale benchmark: seeded generated corpora of N chunks, one child process per size.

    .venv/bin/python bench/run.py --scale 10000,50000
    .venv/bin/python bench/run.py --scale 10000 --embed real   # embed with the adopted encoder (slow)

For each size it measures, for Lodestone, each job in a process of its own (as a team
runs them): full build, 1-document update, 1-document delete and a build beside a
50 MB file (the last three as the installed ``lodestone index build``), open and warm
p50/p95 over bench/questions.txt in a serving process, the adopted encoder's raw
batch throughput, each job's peak RSS, and index size on disk. With ``--embed precomputed`` (the default) chunk vectors are
seeded unit vectors made from each chunk's text, so build figures exclude
embedding time; the table says so. Questions are always embedded by the real
ONNX encoder. Then, in a child process of its own, the plain llama-index
pipeline (``evals/baselines.py``: ``VectorStoreIndex.from_documents``, default
``SentenceSplitter``, in-memory ``SimpleVectorStore``) over the same corpus,
with the same precomputed vectors for documents and the real encoder for
questions: build, persist (index size), load from disk (open), 1-document
update (``refresh_ref_docs``), delete (``delete_ref_doc``), warm retrieval
p50/p95 and peak RSS. Nothing asserts; figures are printed as a table.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import REPO_ROOT

WORDS = (
    "export licence control rare earth dysprosium terbium holmium samarium gadolinium lutetium scandium yttrium "
    "magnet alloy oxide metal compound target ministry commerce customs announcement list entity end-user "
    "certificate shipment application review working days dual-use technology processing smelting separation "
    "mining equipment recycling supplier customer invoice contract warehouse port declaration code exporter "
    "importer authority regulation measure suspension effect period notice buyer seller quantity tonne value"
).split()
CHUNK_WORDS = 150
PARAGRAPHS_PER_DOC = 14
CHUNKS_PER_DOC = 20  # what Lodestone's chunker makes of one generated memo (measured: 7,080 chunks of 357 memos)


def _paragraph(rng: random.Random, doc: int, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(CHUNK_WORDS)]
    sentences = [" ".join(words[i : i + 15]).capitalize() + "." for i in range(0, CHUNK_WORDS, 15)]
    return f"Order DX{doc:05d}-{n:02d} " + " ".join(sentences)


def generate_corpus(folder: Path, chunks: int, seed: int = 11) -> int:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    docs = max(1, round(chunks / CHUNKS_PER_DOC))
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


def _one_time_setup(index_dir: Path) -> None:
    """Export the ONNX encoder and train the intent model for the index folder, in another process.

    Both happen once per index folder whatever the corpus, and the export loads torch: done here, they stay
    out of the build times and out of this process's peak RSS (a serving process never loads torch either)."""
    code = (
        "import sys; from assistant.models import ensure_query_encoder; from assistant.intent import ensure_intent_model; "
        "ensure_query_encoder(sys.argv[1]); ensure_intent_model(sys.argv[1])"
    )
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    subprocess.run([sys.executable, "-c", code, str(index_dir)], check=True, env=env, capture_output=True)


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
                  "warm_p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}))
"""

FULL_BUILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import scale
from assistant.config import Settings
from assistant.models import document_encoder
from assistant.store import build_index
root = Path(sys.argv[1])
settings = Settings.load({}, corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data")
embedder = scale.PrecomputedVectors() if sys.argv[2] == "precomputed" else document_encoder(root / "index")
t = time.perf_counter()
report = build_index(settings, progress=False, embedder=embedder)
print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "chunks": report.chunks}))
"""

ENCODER = """
import json, random, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import scale
from assistant.models import document_encoder
encoder = document_encoder(Path(sys.argv[1]) / "index")
sample = [scale._paragraph(random.Random(5), 0, n) for n in range(128)]
encoder.embed_texts(sample[:8])
t = time.perf_counter()
encoder.embed_texts(sample)
print(json.dumps({"chunks_per_s": round(len(sample) / (time.perf_counter() - t), 1)}))
"""


def _env(root: Path) -> dict:
    return os.environ | {
        "LODESTONE_CORPUS_DIR": str(root / "corpus"),
        "LODESTONE_INDEX_DIR": str(root / "index"),
        "LODESTONE_DATA_DIR": str(root / "data"),
        "PYTHONPATH": str(REPO_ROOT),
    }


def measured(command: list[str], env: dict) -> tuple[float, float, bytes, bytes]:
    """Wall seconds, the child's own peak RSS (MiB, ``ru_maxrss`` from os.wait4), its stdout and its stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0), err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{command[1:3]} failed:\n{err.read().decode()[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read(), err.read()


def _reported_seconds(said: bytes) -> float | None:
    """The build's own time as `lodestone index build` prints it ("... build, 1.3 s)."), without interpreter start."""
    found = re.search(rb"build, ([0-9.]+) s\)", said)
    return float(found.group(1)) if found else None


def worker(size: int, embed: str) -> dict:
    """Each job in a process of its own, as a team runs them, each with its wall time and peak RSS.

    The full build runs the library call (so ``--embed precomputed`` can stand in for embedding); the update,
    the delete and the build beside a 50 MB file run the installed ``lodestone index build`` from interpreter
    start to exit, with the real encoder; serving opens the engine and answers warm questions."""
    lodestone = Path(sys.executable).parent / "lodestone"
    figures: dict = {"chunks_requested": size, "embedding": embed}
    rss: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="lodestone-scale-") as tmp:
        root = Path(tmp)
        corpus, env = root / "corpus", _env(root)
        figures["documents"] = generate_corpus(corpus, size)
        t = time.perf_counter()
        _one_time_setup(root / "index")
        figures["one_time_setup_s"] = round(time.perf_counter() - t, 2)
        here = str(Path(__file__).resolve().parent)
        _, rss["encoder"], out, _ = measured([sys.executable, "-c", ENCODER, tmp, here], env)
        figures["encoder_chunks_per_s"] = json.loads(out.splitlines()[-1])["chunks_per_s"]
        _, rss["full_build"], out, _ = measured([sys.executable, "-c", FULL_BUILD, tmp, embed, here], env)
        built = json.loads(out.splitlines()[-1])
        figures |= {"build_s": built["seconds"], "chunks": built["chunks"]}
        figures["build_chunks_per_s"] = round(built["chunks"] / built["seconds"], 1)
        one = corpus / "memo-00003.txt"
        one.write_text(one.read_text() + "\n\nA new paragraph on holmium magnets ships under order DXF-7781.\n")
        seconds, rss["update"], out, _ = measured([str(lodestone), "index", "build"], env)
        figures["update_1_doc_s"], figures["update_said"] = round(seconds, 2), out.decode().strip()[-120:]
        (corpus / "memo-00004.txt").unlink()
        seconds, rss["delete"], _, _ = measured([str(lodestone), "index", "build"], env)
        figures["delete_1_doc_s"] = round(seconds, 2)
        figures["index_mb"] = round(_du(root / "index" / "builds"), 1)
        seconds, rss["serve"], out, _ = measured([sys.executable, "-c", SERVE, tmp, str(REPO_ROOT)], env)
        served = json.loads(out.splitlines()[-1])
        figures |= {"open_s": served["start_and_open_s"], "warm_p50_ms": served["warm_p50_ms"]}
        figures["warm_p95_ms"] = served["warm_p95_ms"]
        with open(corpus / "huge.txt", "wb") as f:
            f.truncate(50_000_000)
        seconds, rss["reject_50mb"], out, said = measured([str(lodestone), "index", "build"], env)
        figures["reject_50mb_build_s"] = round(seconds, 2)
        figures["rejected_named"] = "huge.txt" in said.decode()
        figures["reject_50mb_build_own_s"] = _reported_seconds(out)
    figures |= {f"peak_rss_mb_{job}": round(mib, 1) for job, mib in rss.items()}
    figures["peak_rss_mb"] = round(max(rss.values()), 1)
    return figures


def plain_worker(size: int) -> dict:
    """The plain llama-index pipeline over the same generated corpus (precomputed document vectors)."""
    from llama_index.core import Document, StorageContext, VectorStoreIndex, load_index_from_storage
    from llama_index.core.embeddings import BaseEmbedding

    from assistant.ingest.loaders import load_corpus
    from assistant.models import document_encoder

    figures = {"system": "plain llama-index", "chunks_requested": size, "embedding": "precomputed"}
    with tempfile.TemporaryDirectory(prefix="lodestone-scale-plain-") as tmp:
        corpus, persist = Path(tmp) / "corpus", Path(tmp) / "storage"
        figures["documents"] = generate_corpus(corpus, size)
        encoder = document_encoder(Path(tmp) / "index")
        vectors = PrecomputedVectors()

        class Embedding(BaseEmbedding):
            def _get_text_embedding(self, text):
                return vectors.embed_texts([text])[0]

            def _get_text_embeddings(self, texts):
                return vectors.embed_texts(texts)

            def _get_query_embedding(self, query):
                return encoder.embed_query(query)

            async def _aget_query_embedding(self, query):
                return encoder.embed_query(query)

        model = Embedding(model_name="precomputed", embed_batch_size=256)

        def documents():
            loaded, _ = load_corpus(corpus)
            return [Document(text=d.text, id_=d.id, metadata={"document_id": d.id, "title": d.title}) for d in loaded]

        t = time.perf_counter()
        index = VectorStoreIndex.from_documents(documents(), embed_model=model)
        figures["build_s"] = round(time.perf_counter() - t, 2)
        figures["chunks"] = len(index.docstore.docs)
        t = time.perf_counter()
        index.storage_context.persist(str(persist))
        figures["persist_s"] = round(time.perf_counter() - t, 2)
        figures["index_mb"] = round(_du(persist), 1)
        one = corpus / "memo-00003.txt"
        one.write_text(one.read_text() + "\n\nA new paragraph on holmium magnets ships under order DXF-7781.\n")
        t = time.perf_counter()
        index.refresh_ref_docs(documents())
        figures["update_1_doc_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        index.delete_ref_doc("memo-00004", delete_from_docstore=True)
        figures["delete_1_doc_s"] = round(time.perf_counter() - t, 2)
        del index
        t = time.perf_counter()
        index = load_index_from_storage(StorageContext.from_defaults(persist_dir=str(persist)), embed_model=model)
        retriever = index.as_retriever(similarity_top_k=5)
        figures["open_s"] = round(time.perf_counter() - t, 2)
        figures.update(_warm(retriever.retrieve))
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return figures


def _warm(ask) -> dict:
    """Warm p50 / p95 of ``ask`` over bench/questions.txt asked twice, after one untimed question."""
    questions = [q for q in (REPO_ROOT / "bench" / "questions.txt").read_text().splitlines() if q.strip()]
    ask(questions[0])
    times = []
    for q in questions * 2:
        t = time.perf_counter()
        ask(q)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"warm_p50_ms": round(statistics.median(times), 1), "warm_p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}


def _child(size: int, embed: str, plain: bool) -> dict | None:
    command = [sys.executable, str(Path(__file__).with_name("run.py")), "--scale-worker", str(size), "--embed", embed]
    started = time.perf_counter()
    done = subprocess.run(
        command + (["--scale-plain"] if plain else []),
        capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO_ROOT)},
    )  # fmt: skip
    if done.returncode != 0:
        print(done.stderr[-2000:], flush=True)
        return None
    row = json.loads(done.stdout.strip().splitlines()[-1])
    row["wall_s"], row["load_avg_after"] = round(time.perf_counter() - started, 1), os.getloadavg()[0]
    print(json.dumps(row), flush=True)
    return row


def run(sizes: list[int], embed: str, plain: bool = True) -> list[dict]:
    rows, plains = [], []
    print(f"Load average before: {os.getloadavg()}", flush=True)
    for size in sizes:
        print(f"Scale {size:,} chunks ({embed} vectors for the full build)...", flush=True)
        if (row := _child(size, embed, False)) is not None:
            rows.append(row)
        if plain:
            print(f"Plain llama-index at {size:,} chunks (precomputed vectors)...", flush=True)
            if (row := _child(size, embed, True)) is not None:
                plains.append(row)
    print(f"Load average after: {os.getloadavg()}", flush=True)
    print("Lodestone:")
    _table(rows)
    print("Plain llama-index (precomputed document vectors):")
    _table(plains)
    return rows + plains


def _table(rows: list[dict]) -> None:
    if not rows:
        return
    keys = [k for k in rows[0] if k not in {"chunks_requested"}]
    print("| figure | " + " | ".join(f"{r['chunks']:,} chunks" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for key in keys:
        print(f"| {key} | " + " | ".join(str(r.get(key)) for r in rows) + " |")
