"""Build and open the index: Chroma (dense), BM25 (keyword), register, manifest.

Layout under the index folder::

    index/
      live -> builds/<stamp>      symlink, swapped atomically when a build completes
      builds/<stamp>/
        chroma/                   Chroma persistent store (written with Chroma's API) of the vectors
                                  this build embedded, or, with LODESTONE_CHROMA_URL, the collection
                                  lodestone-<stamp> on a Chroma server
        vectors.json              the layers (this build's store and earlier builds') holding its vectors
        keyword/                  bm25s index
        chunks.sqlite3            every chunk with its metadata, read row by row (chunkstore.py)
        register.json             the measures register
        vocabulary.json           document frequencies of answer terms (updated by what changed)
        acronyms.json             in how many chunks each acronym occurs (updated by what changed)
        parties.json              the parties register (listed entities, for screening)
        dropped.json              lines the web-capture cleaner left out, per file
        manifest.json             document hashes, model, chunking, schema version

A build starts from the live build: chunks whose id has a vector in one of
its layers keep it, only the others are embedded, into the new build's own
store (``layers.py``); nothing is copied, so a 1-document update writes one
document's vectors. The rest is written, and the ``live`` link is swapped
last: a build that dies halfway leaves the previous index serving. A damaged
live build (see ``integrity.py``) is repaired the same way: whatever vectors
survive are kept, only the missing ones are embedded again. Every build
removes abandoned ``.partial`` folders first, and prunes old builds that no
reader holds a lease on (``live.py``) and no kept build reads as a layer.

>>> report = build_index(Settings.load())  # doctest: +SKIP
>>> report.embedded, report.removed  # doctest: +SKIP
(0, 0)
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from assistant.config import Settings, set_offline_environment
from assistant.errors import ChromaUnavailable, CorpusError, FileTooLarge, IndexCorrupt, IndexNotBuilt
from assistant.ingest.chunking import ChunkingParams, chunk_document
from assistant.ingest.loaders import read_corpus
from assistant.intent import ensure_intent_model
from assistant.keyword import KeywordIndex
from assistant.models import MODEL_NAME, document_encoder, ensure_query_encoder
from assistant.parties import PartiesRegister
from assistant.register import Register
from assistant.schema import Chunk, Document
from assistant.store.chunkstore import FILE as CHUNKS
from assistant.store.chunkstore import ChunkStore, write_chunks
from assistant.store.integrity import check_build, layer_ids, read_chunk_file
from assistant.store.layers import Layer, build_name, layer_folder, read_layers, should_compact, write_layers
from assistant.store.live import Lease, generation, leased, live_link, point_live_at
from assistant.store.vocabulary import AcronymCounts, TermCounts

SCHEMA_VERSION = 3
COLLECTION = "lodestone"
EMBED_BATCH = 256  # chunks embedded and written at a time: a build's memory does not grow with a file's size


@dataclass
class BuildReport:
    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    removed: int = 0
    unchanged_documents: int = 0
    full: bool = False
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    path: str = ""
    dropped: dict[str, int] = field(default_factory=dict)  # file -> lines the capture cleaner dropped
    repaired: list[str] = field(default_factory=list)  # damage found in the live build, fixed by this one


@dataclass
class Manifest:
    schema_version: int
    model: str
    chunking: dict
    documents: dict  # id -> {"path", "sha256", "chunks": [ids]}
    built_at: str = ""
    vectors: str = "local"  # "local" files, or the Chroma server's URL

    def compatible_with(self, other: Manifest) -> bool:
        mine = (self.schema_version, self.model, self.chunking, self.vectors)
        return mine == (other.schema_version, other.model, other.chunking, other.vectors)


def live_path(settings: Settings) -> Path:
    return live_link(settings.index_dir)


def read_manifest(build: Path) -> Manifest:
    try:
        return Manifest(**json.loads((build / "manifest.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as e:
        raise IndexCorrupt(build, f"manifest unreadable: {e}") from None


def build_index(settings: Settings, full: bool = False, progress=None, embedder=None) -> BuildReport:
    """Build or update the index from the corpus; swap it in when complete."""
    set_offline_environment()
    started = time.perf_counter()
    corpus = read_corpus(Path(settings.corpus_dir), settings.max_file_bytes)
    documents, problems = corpus.documents, [*corpus.problems, *corpus.warnings]
    dropped = {path: len(lines) for path, lines in corpus.dropped.items()}
    params = ChunkingParams(settings.chunk_tokens, settings.chunk_overlap)
    target = _target_manifest(documents, params, settings.chroma_url or "local")
    builds = Path(settings.index_dir) / "builds"
    _remove_abandoned(builds, settings)
    previous, old_manifest = _previous_build(settings, target, full)
    presence = layer_ids(previous, settings) if previous else None
    damage = _live_damage(settings, previous, presence)
    ensure_query_encoder(settings.index_dir)
    ensure_intent_model(settings.index_dir)
    if previous and not damage and _unchanged(old_manifest, target):
        return BuildReport(
            documents=len(documents), chunks=sum(len(d["chunks"]) for d in old_manifest.documents.values()),
            unchanged_documents=len(documents), problems=[str(p) for p in problems],
            seconds=time.perf_counter() - started, path=str(previous), dropped=dropped,
        )  # fmt: skip
    work = builds / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.partial"
    lease = Lease.take(settings.index_dir, work.name)  # a build running beside this one won't take it for abandoned
    try:
        embedder = embedder or document_encoder(settings.index_dir)
        report = _write_build(work, documents, target, (previous, old_manifest, presence), progress, embedder, settings)
        (work / "dropped.json").write_text(json.dumps(corpus.dropped, ensure_ascii=False, indent=1), encoding="utf-8")
    finally:
        _release_chroma()
        lease.release()
    report.problems, report.dropped, report.repaired = [str(p) for p in problems + report.problems], dropped, damage
    final = work.with_suffix("")
    work.rename(final)
    point_live_at(settings.index_dir, final)
    _prune(builds, settings, keep={final.name, previous.name if previous else ""})
    report.seconds, report.path = time.perf_counter() - started, str(final)
    return report


def _target_manifest(documents: list[Document], params: ChunkingParams, vectors: str) -> Manifest:
    return Manifest(
        vectors=vectors,
        schema_version=SCHEMA_VERSION,
        model=MODEL_NAME,
        chunking=asdict(params) | {"splitter": "sections+SentenceSplitter+lists"},
        documents={d.id: {"path": d.path, "sha256": d.sha256, "chunks": []} for d in documents},
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )


def _live_damage(settings: Settings, previous: Path | None, presence=None) -> list[str]:
    """Damage of the live build this one starts from; a link to a missing build is damage too."""
    live = live_path(settings)
    if live.is_symlink() and not live.exists():
        return [f"the live link points at a missing build ({os.readlink(live)})"]
    return check_build(previous, settings, presence) if previous else []


def _previous_build(settings: Settings, target: Manifest, full: bool) -> tuple[Path | None, Manifest | None]:
    """The live build to start from, and its manifest; (None, None) for a build from scratch."""
    live = live_path(settings)
    if full or not live.exists():
        return None, None
    build = live.resolve()
    try:
        old = read_manifest(build)
    except IndexCorrupt:
        return None, None
    return (build, old) if old.compatible_with(target) else (None, None)


def _unchanged(old: Manifest, target: Manifest) -> bool:
    return {i: d["sha256"] for i, d in old.documents.items()} == {i: d["sha256"] for i, d in target.documents.items()}


def _write_build(work, documents, target, start, progress, embedder, settings) -> BuildReport:
    """Write a complete build into ``work``: only chunks whose id has no vector in any layer are embedded."""
    from tqdm import tqdm

    previous, old_manifest, presence = start
    old_chunks = read_chunk_file(previous).rows if previous else {}
    work.mkdir(parents=True)
    vectors = _BuildVectors(work, previous, presence or {}, settings)
    report = BuildReport(documents=len(documents), full=previous is None)
    old_docs = old_manifest.documents if old_manifest else {}
    params = ChunkingParams(**{k: target.chunking[k] for k in ("chunk_tokens", "chunk_overlap")})
    rows: list[dict] = []
    bar = tqdm(documents, desc="Indexing documents", unit="doc", disable=progress is False or not documents)
    for doc in bar:
        old = old_docs.get(doc.id)
        if old and old["sha256"] == doc.sha256 and all(c in old_chunks for c in old["chunks"]):
            doc_rows = [old_chunks[c] for c in old["chunks"]]
            report.unchanged_documents += 1
        else:
            chunks = chunk_document(doc, params)
            if settings.max_file_chunks and len(chunks) > settings.max_file_chunks:
                report.problems.append(
                    FileTooLarge(doc.path, len(chunks), settings.max_file_chunks, "chunks", "LODESTONE_MAX_FILE_CHUNKS")
                )
                del target.documents[doc.id]
                continue
            doc_rows = [_chunk_row(c, doc) for c in chunks]
        report.embedded += vectors.provide(doc_rows, embedder)
        rows += doc_rows
        target.documents[doc.id]["chunks"] = [r["id"] for r in doc_rows]
    ids = {r["id"] for r in rows}
    vectors.finish(ids)
    listed_before = {c for d in old_docs.values() for c in d["chunks"]}
    report.removed = len(listed_before - ids)
    _term_counts(TermCounts, previous, old_chunks, rows).save(work)
    _term_counts(AcronymCounts, previous, old_chunks, rows).save(work)
    report.chunks, report.documents = len(rows), len(target.documents)
    _write_chunks(work, rows)
    KeywordIndex.build([r["id"] for r in rows], [r["text"] for r in rows]).save(work / "keyword")
    kept = [d for d in documents if d.id in target.documents]
    Register.from_documents(kept).save(work / "register.json")
    parties, problems = PartiesRegister.from_documents(kept)
    parties.save(work / "parties.json")
    report.problems += problems
    (work / "manifest.json").write_text(json.dumps(asdict(target), indent=1), encoding="utf-8")
    return report


class _BuildVectors:
    """The vectors of a build in progress: its own store, and the earlier layers it reads the rest from.

    Normally the own store starts empty and receives only what no layer holds. When the layers should be
    compacted (``layers.should_compact``), it starts as a copy of the oldest layer and takes in, from the
    other layers, the vectors the build needs; the build then names only itself."""

    def __init__(self, work: Path, previous: Path | None, presence: dict, settings: Settings):
        self.work, self.settings, self._store = work, settings, None
        layers = (read_layers(previous) or []) if previous else []
        self.layers = [layer for layer in layers if presence.get(layer.build) is not None]
        self.held = {layer.build: presence[layer.build] for layer in self.layers}
        self.folders = {layer.build: layer_folder(previous, layer.build) for layer in self.layers}
        self.own: set[str] = set()
        stored = {name: len(ids) for name, ids in self.held.items()}
        self.compact = bool(self.layers) and should_compact(self.layers, stored)
        if self.compact:
            base = self.layers[0].build
            self._store = _copy_vectors(self.folders[base], work, settings)
            self.own = set(self.held.pop(base))
        write_layers(work, self.layers)  # a prune running meanwhile keeps the layers this build reads

    @property
    def store(self):
        if self._store is None:
            self._store = _build_collection(self.work, self.settings)
        return self._store

    def provide(self, rows: list[dict], embedder) -> int:
        """Make sure every row has a vector in some layer; returns how many were embedded."""
        wanted = [r for r in rows if r["id"] not in self.own]
        if not self.compact:
            wanted = [r for r in wanted if not any(r["id"] in ids for ids in self.held.values())]
        else:
            for name, ids in self.held.items():
                self._take_in(name, [r["id"] for r in wanted if r["id"] in ids and r["id"] not in self.own])
            wanted = [r for r in wanted if r["id"] not in self.own]
        for batch in range(0, len(wanted), EMBED_BATCH):
            _embed_and_add(self.store, wanted[batch : batch + EMBED_BATCH], embedder)
        self.own.update(r["id"] for r in wanted)
        return len(wanted)

    def _take_in(self, name: str, ids: list[str]) -> None:
        if not ids:
            return
        source = _existing_collection(self.folders[name], self.settings)
        for batch in range(0, len(ids), 500):
            got = source.get(ids=ids[batch : batch + 500], include=["embeddings", "documents", "metadatas"])
            self.store.add(
                ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"], metadatas=got["metadatas"]
            )
            self.own.update(got["ids"])

    def finish(self, ids: set[str]) -> None:
        """Drop the own store's vectors no chunk uses any more and write the build's layers."""
        if self.compact:
            gone = sorted(self.own - ids)
            for batch in range(0, len(gone), 5000):
                self.store.delete(ids=gone[batch : batch + 5000])
            self.own -= set(gone)
            layers = []
        else:
            covered = set(self.own)
            layers = []
            for layer in reversed(self.layers):  # the newest layer first: it holds the freshest copy of a vector
                used = len((self.held[layer.build] & ids) - covered)
                covered |= self.held[layer.build] & ids
                if used:
                    layers.append(Layer(layer.build, used))
            layers.reverse()
        if self.own or not layers:
            self.store  # noqa: B018 - an empty build still gets a store, so a reader finds its collection
            layers.append(Layer(build_name(self.work), len(self.own)))
        write_layers(self.work, layers)


def _term_counts(kind, previous: Path | None, old_chunks: dict[str, dict], rows: list[dict]):
    """The previous build's counts moved by the chunks that left and came; counted afresh when there are none."""
    counts = kind.load(previous) if previous else None
    if counts is None or counts.n != len(old_chunks):
        return kind.from_texts(r["text"] for r in rows)
    ids = {r["id"] for r in rows}
    removed = [r["text"] for i, r in old_chunks.items() if i not in ids]
    added = [r["text"] for r in rows if r["id"] not in old_chunks]
    return counts.update(removed, added)


def _chunk_row(chunk: Chunk, doc: Document) -> dict:
    return {
        "id": chunk.id,
        "document_id": doc.id,
        "document": doc.path,
        "title": doc.title,
        "text": chunk.text,
        "start": chunk.start,
        "end": chunk.end,
        "section": chunk.section,
        "url": doc.url,
        "published": doc.published,
        "issuer": doc.meta.get("issuer") or doc.meta.get("publisher"),
        "kind": doc.kind,
    }


def _embed_and_add(collection, rows: list[dict], embedder) -> None:
    """Embed rows and add them to a build's collection, through Chroma's own API (no llama-index import)."""
    if not rows:
        return
    collection.add(
        ids=[r["id"] for r in rows],
        embeddings=embedder.embed_texts([r["text"] for r in rows]),
        documents=[r["text"] for r in rows],
        metadatas=[{"document_id": r["document_id"], "document": r["document"], "title": r["title"]} for r in rows],
    )


def _chroma(build: Path, settings: Settings):
    """(client, collection name) for a build: files in the build folder, or a Chroma server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    options = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        return chromadb.PersistentClient(path=str(build / "chroma"), settings=options), COLLECTION
    url = urlparse(settings.chroma_url)
    try:
        client = chromadb.HttpClient(host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https", settings=options)
        client.heartbeat()
    except Exception as e:  # connection refused, DNS, TLS: all mean the server is out of reach
        raise ChromaUnavailable(settings.chroma_url, f"{type(e).__name__}: {e}") from None
    return client, f"{COLLECTION}-{build.name.removesuffix('.partial')}"


def _build_collection(build: Path, settings: Settings):
    """The collection a build writes its vectors into (created on first use)."""
    client, name = _chroma(build, settings)
    return client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"})


def _vector_store(build: Path, settings: Settings, collection=None):
    from llama_index.vector_stores.chroma import ChromaVectorStore

    if collection is None:
        client, name = _chroma(build, settings)
        collection = client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"})
    return ChromaVectorStore(chroma_collection=collection)


def _existing_collection(build: Path, settings: Settings):
    """The build's Chroma collection if it exists, else None; never creates anything (readers call it)."""
    if not settings.chroma_url and not (build / "chroma" / "chroma.sqlite3").is_file():
        return None
    client, name = _chroma(build, settings)
    try:
        return client.get_collection(name)
    except Exception:  # not there, or the store is damaged
        return None


def _copy_vectors(source: Path, work: Path, settings: Settings):
    """A new vector store for ``work`` holding a copy of the vectors in the build folder ``source`` (compaction)."""
    if not settings.chroma_url:
        shutil.copytree(source / "chroma", work / "chroma")
    store = _build_collection(work, settings)
    if settings.chroma_url:
        old = _existing_collection(source, settings)
        for offset in range(0, old.count(), 500):
            rows = old.get(include=["embeddings", "documents", "metadatas"], limit=500, offset=offset)
            store.add(
                ids=rows["ids"], embeddings=rows["embeddings"], documents=rows["documents"], metadatas=rows["metadatas"]
            )
    return store


def _drop_vectors(build: Path, settings: Settings) -> None:
    if settings.chroma_url:
        try:
            client, name = _chroma(build, settings)
            client.delete_collection(name)
        except Exception:  # already gone, or the server is away: nothing to free
            pass


def _release_chroma() -> None:
    """Close Chroma's per-process client cache so finished builds hold no open handles."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def _write_chunks(work: Path, rows: list[dict]) -> None:
    write_chunks(work, rows)


def _read_chunks(build: Path) -> ChunkStore:
    try:
        return ChunkStore.open(build)
    except FileNotFoundError:
        raise IndexCorrupt(build, f"{CHUNKS} is missing") from None
    except (OSError, sqlite3.Error) as e:
        raise IndexCorrupt(build, f"{CHUNKS} can't be read ({e})") from None


def _remove_abandoned(builds: Path, settings: Settings) -> None:
    """Remove ``.partial`` folders left by builds that were killed (every build runs this first)."""
    for partial in builds.glob("*.partial"):
        if leased(settings.index_dir, partial.name):
            continue
        _drop_vectors(partial, settings)
        shutil.rmtree(partial, ignore_errors=True)


def _prune(builds: Path, settings: Settings, keep: set[str]) -> None:
    """Remove old builds, except the ones kept, any a reader or a running build holds, and the layers those read."""
    folders = [b for b in builds.iterdir() if b.is_dir()]
    held = [b for b in folders if b.name in keep or leased(settings.index_dir, b.name)]
    needed = {b.name for b in held} | {layer.build for b in held for layer in (read_layers(b) or [])}
    for build in folders:
        if build.name not in needed and not build.name.endswith(".partial"):
            _drop_vectors(build, settings)
            shutil.rmtree(build, ignore_errors=True)


@dataclass
class IndexStatus:
    path: str
    documents: int
    chunks: int
    model: str
    chunking: dict
    built_at: str
    changed: list[str]
    added: list[str]
    removed: list[str]
    problems: list[str]
    damage: list[str] = field(default_factory=list)  # what check_build found wrong with the live build

    @property
    def stale(self) -> bool:
        return bool(self.changed or self.added or self.removed or self.damage)


def index_status(settings: Settings) -> IndexStatus:
    """What the live build holds, how the corpus changed since, and any damage (IndexCorrupt if unreadable)."""
    build = open_build_path(settings)
    manifest = read_manifest(build)
    corpus = read_corpus(Path(settings.corpus_dir))
    documents, problems = corpus.documents, [*corpus.problems, *corpus.warnings]
    current = {d.id: d.sha256 for d in documents}
    built = {i: d["sha256"] for i, d in manifest.documents.items()}
    return IndexStatus(
        path=str(build),
        documents=len(built),
        chunks=sum(len(d["chunks"]) for d in manifest.documents.values()),
        model=manifest.model,
        chunking=manifest.chunking,
        built_at=manifest.built_at,
        changed=sorted(i for i in current if i in built and built[i] != current[i]),
        added=sorted(i for i in current if i not in built),
        removed=sorted(i for i in built if i not in current),
        problems=[str(p) for p in problems],
        damage=check_build(build, settings),
    )


def dropped_lines(settings: Settings, name: str) -> tuple[str, list[str]]:
    """(file, lines) the capture cleaner dropped from the indexed file matching ``name`` (path or file name)."""
    build = open_build_path(settings)
    try:
        dropped = json.loads((build / "dropped.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        dropped = {}
    except (OSError, ValueError) as e:
        raise IndexCorrupt(build, f"dropped.json unreadable: {e}") from None
    for path, lines in dropped.items():
        if name in (path, Path(path).name) or path.endswith("/" + name.lstrip("./")):
            return path, lines
    return name, []


def live_generation(settings: Settings) -> str | None:
    """The build ``live`` points at now (one readlink): a serving process compares it between questions."""
    return generation(settings.index_dir)


def open_build_path(settings: Settings) -> Path:
    live = live_path(settings)
    if live.is_symlink() and not live.exists():
        raise IndexCorrupt(live, f"the live link points at a missing build, {os.readlink(live)}")
    if not live.exists():
        raise IndexNotBuilt(settings.index_dir)
    return live.resolve()


def corpus_changed(settings: Settings) -> bool:
    """True when there is no index, or the corpus differs from the one indexed."""
    try:
        return index_status(settings).stale
    except (IndexNotBuilt, IndexCorrupt):
        return True


@dataclass
class OpenIndex:
    """Everything retrieval needs, read once from one build folder."""

    path: Path
    chunks: ChunkStore  # chunk id -> row, read from SQLite one row at a time
    keyword: KeywordIndex
    register: Register
    collection: object  # the newest layer's Chroma collection (the build's own store, when it embedded anything)
    manifest: Manifest
    titles: dict[str, str] = field(default_factory=dict)  # document id -> title
    lease: Lease | None = field(default=None, repr=False)  # held until this object is freed
    term_counts: TermCounts | None = None  # saved with the build; None for builds made before it was
    acronym_counts: AcronymCounts | None = None  # the same for acronyms
    layers: list = field(default_factory=list, repr=False)  # (collection, unused, stored vectors) per layer, oldest first

    @property
    def vector_store(self):
        """llama-index's ``ChromaVectorStore`` over the collection (imports llama-index, so only when asked for)."""
        return _vector_store(self.path, None, self.collection)

    def nearest(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """The build's ``k`` chunks nearest to a vector, as (chunk id, distance), nearest first.

        Each layer is asked for ``k`` plus the vectors it holds for chunks this build no longer has, so those
        can never crowd out the build's own chunks."""
        best: dict[str, float] = {}
        for collection, unused, count in self.layers:
            if not count:
                continue
            n = min(k + unused, count)
            result = collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
            for i, d in zip((result.get("ids") or [[]])[0], (result.get("distances") or [[]])[0]):
                if i in self.chunks and d < best.get(i, float("inf")):
                    best[i] = d
        return sorted(best.items(), key=lambda item: (item[1], item[0]))[:k]

    def vector_count(self) -> int:
        """How many of the build's chunks have a vector in one of its layers."""
        ids = set().union(*(set(collection.get(include=[])["ids"]) for collection, _, _ in self.layers))
        return len(ids & set(self.chunks))

    @property
    def generation(self) -> str:
        """The build this index was opened from; compare with ``live.generation`` to see a newer one."""
        return self.path.name

    def __post_init__(self):
        self.titles = self.chunks.titles()

    @property
    def acronyms(self) -> set[str] | None:
        """Acronyms the build's chunks use, saved at build time; None for a build made before they were."""
        return set(self.acronym_counts.df) if self.acronym_counts else None

    def chunk_with(self, text: str) -> str | None:
        """The chunk holding a sentence (whitespace runs ignored), or None."""
        return self.chunks.with_text(text)

    def chunks_of(self, document_id: str) -> list[tuple[str, dict]]:
        """(chunk id, row) of one document's chunks, in order."""
        return self.chunks.of_document(document_id)


def open_index(settings: Settings) -> OpenIndex:
    """Open the live build read-only, under a lease that keeps builds from pruning it while it is in use."""
    build = open_build_path(settings)
    lease = Lease.take(settings.index_dir, build.name)
    try:
        index = _open_build(build, settings)
    except BaseException:
        lease.release()
        raise
    index.lease = lease
    weakref.finalize(index, lease.release)
    return index


def _open_build(build: Path, settings: Settings) -> OpenIndex:
    manifest = read_manifest(build)
    if manifest.schema_version != SCHEMA_VERSION:
        raise IndexCorrupt(build, f"schema version {manifest.schema_version}, expected {SCHEMA_VERSION}")
    chunks = _read_chunks(build)
    listed = sum(len(d["chunks"]) for d in manifest.documents.values())
    if len(chunks) != listed:
        raise IndexCorrupt(build, f"{CHUNKS} holds {len(chunks)} chunks but the manifest lists {listed}")
    try:
        keyword = KeywordIndex.load(build / "keyword")
        register = Register.load(build / "register.json")
        layers = _open_layers(build, settings, len(chunks))
    except (CorpusError, ChromaUnavailable, IndexCorrupt):
        raise
    except Exception as e:  # any library error here means the files on disk are damaged
        raise IndexCorrupt(build, f"{type(e).__name__}: {e}") from None
    counts = {"term_counts": TermCounts.load(build), "acronym_counts": AcronymCounts.load(build)}
    return OpenIndex(build, chunks, keyword, register, layers[-1][0], manifest, layers=layers, **counts)


def _open_layers(build: Path, settings: Settings, chunks: int) -> list[tuple[object, int, int]]:
    """(collection, unused vectors, all its vectors) for every layer of the build; IndexCorrupt when one is missing or short."""
    layers = read_layers(build)
    if not layers:
        raise IndexCorrupt(build, "vectors.json is unreadable")
    opened, used_total = [], 0
    for layer in layers:
        collection = _existing_collection(layer_folder(build, layer.build), settings)
        if collection is None:
            where = "" if layer.build == build.name else f" (layer {layer.build})"
            raise IndexCorrupt(build, f"its vectors (chroma/) are missing{where}")
        count = collection.count()
        used = chunks if layer.used < 0 else layer.used
        if count < used:
            raise IndexCorrupt(build, f"Chroma holds {count} vectors in {layer.build} but the build uses {used}")
        opened.append((collection, count - used, count))
        used_total += used
    if used_total != chunks:
        raise IndexCorrupt(build, f"its vector layers cover {used_total} chunks but the manifest lists {chunks}")
    return opened
