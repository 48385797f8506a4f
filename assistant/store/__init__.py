"""Build and open the index: Chroma (dense), BM25 (keyword), register, manifest.

Layout under the index folder::

    index/
      live -> builds/<stamp>      symlink, swapped atomically when a build completes
      builds/<stamp>/
        chroma/                   Chroma persistent store (written with Chroma's API) of the vectors
                                  this build embedded, or, with LODESTONE_CHROMA_URL, the collection
                                  lodestone-<stamp> on a Chroma server
        vectors.json              the layers (this build's store and earlier builds') holding its vectors
        keyword/                  BM25 segments it reads, the chunks each still counts, its own segment (keyword.py)
        chunks.sqlite3            every chunk with its metadata, read row by row (chunkstore.py)
        register.json             the measures register
        vocabulary.json           document frequencies of answer terms (updated by what changed)
        acronyms.json             in how many chunks each acronym occurs (updated by what changed)
        parties.json              the parties register (listed entities, for screening)
        dropped.json              lines the web-capture cleaner left out, per file
        files.json                size and times of the files the next build may leave unread (files.py)
        manifest.json             document hashes, model, chunking, schema version

A build starts from the live build and costs what changed: files whose size
and times are unchanged are not read (``files.py``); chunks whose id has a
vector in one of its layers keep it, only the others are embedded, into the
new build's own store (``layers.py``); the keyword index gains a segment of
the new chunks (``keyword.py``); the chunk store is the previous one less the
changed documents' rows plus the new ones. The rest is written, and the ``live`` link is swapped
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

import orjson

from assistant.config import Settings, set_offline_environment
from assistant.errors import ChromaUnavailable, CorpusError, FileTooLarge, IndexCorrupt, IndexNotBuilt
from assistant.ingest.chunking import ChunkingParams, chunk_document
from assistant.ingest.loaders import read_corpus
from assistant.intent import ensure_intent_model
from assistant.keyword import KeywordIndex, segment_builds
from assistant.models import MODEL_NAME, document_encoder, ensure_query_encoder
from assistant.parties import PartiesRegister
from assistant.register import Register
from assistant.schema import Chunk, Document
from assistant.store.chunkstore import FILE as CHUNKS
from assistant.store.chunkstore import ChunkStore, write_chunks
from assistant.store.files import read_records, write_records
from assistant.store.integrity import Holdings, check_build
from assistant.store.layers import Layer, build_name, compaction, layer_folder, read_layers, write_layers
from assistant.store.live import Lease, generation, leased, live_link, point_live_at
from assistant.store.vocabulary import AcronymCounts, TermCounts

SCHEMA_VERSION = 4
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
        return Manifest(**orjson.loads((build / "manifest.json").read_bytes()))
    except (OSError, ValueError, TypeError) as e:
        raise IndexCorrupt(build, f"manifest unreadable: {e}") from None


def build_index(settings: Settings, full: bool = False, progress=None, embedder=None) -> BuildReport:
    """Build or update the index from the corpus; swap it in when complete."""
    set_offline_environment()
    started = time.perf_counter()
    builds = Path(settings.index_dir) / "builds"
    _remove_abandoned(builds, settings)
    params = ChunkingParams(settings.chunk_tokens, settings.chunk_overlap)
    live = None if full or not live_path(settings).exists() else live_path(settings).resolve()
    read_at = time.time_ns()
    corpus = read_corpus(Path(settings.corpus_dir), settings.max_file_bytes, known=read_records(live))
    documents, problems = corpus.documents, [*corpus.problems, *corpus.warnings]
    dropped = {path: len(lines) for path, lines in corpus.dropped.items()}
    target = _target_manifest(documents, params, settings.chroma_url or "local")
    previous, old_manifest = _previous_build(settings, target, full)
    holdings = Holdings.read(previous, settings) if previous else None
    damage = _live_damage(settings, previous, holdings)
    ensure_query_encoder(settings.index_dir)
    ensure_intent_model(settings.index_dir)
    if previous and not damage and _unchanged(old_manifest, target):
        return BuildReport(
            documents=len(documents), chunks=sum(len(d["chunks"]) for d in old_manifest.documents.values()),
            unchanged_documents=len(documents), problems=[str(p) for p in problems],
            seconds=time.perf_counter() - started, path=str(previous), dropped=dropped,
        )  # fmt: skip
    if corpus.unread and not previous:  # nothing to take the unread files' chunks from: read them after all
        corpus = read_corpus(Path(settings.corpus_dir), settings.max_file_bytes)
        documents, problems = corpus.documents, [*corpus.problems, *corpus.warnings]
        target = _target_manifest(documents, params, settings.chroma_url or "local")
    work = builds / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.partial"
    lease = Lease.take(settings.index_dir, work.name)  # a build running beside this one won't take it for abandoned
    try:
        embedder = embedder or document_encoder(settings.index_dir)
        start = _Start(previous, old_manifest, holdings)
        report = _write_build(work, corpus, target, start, progress, embedder, settings)
        (work / "dropped.json").write_text(json.dumps(corpus.dropped, ensure_ascii=False, indent=1), encoding="utf-8")
        write_records(work, corpus, [d for d in corpus.documents if d.id in target.documents], read_at)
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
        chunking=asdict(params) | {"splitter": "sections+SentenceSplitter+lists", "ingest": ingest_fingerprint(), "rows": ROWS},
        documents={d.id: {"path": d.path, "sha256": d.sha256, "chunks": []} for d in documents},
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )


ROWS = 2  # what a chunk's row holds (2: the instrument's issue day); a new value starts the next build from scratch


def ingest_fingerprint() -> str:
    """A digest of the code that turns files into chunks (loaders, cleaner, chunker, sentence rule): when it changes,
    every chunk may change, so the next build starts from scratch instead of keeping chunks the old code made."""
    import hashlib

    from assistant import ingest, sentences

    digest = hashlib.sha256()
    for path in [*sorted(Path(ingest.__file__).parent.glob("*.py")), Path(sentences.__file__)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _live_damage(settings: Settings, previous: Path | None, holdings: Holdings | None = None) -> list[str]:
    """Damage of the live build this one starts from; a link to a missing build is damage too."""
    live = live_path(settings)
    if live.is_symlink() and not live.exists():
        return [f"the live link points at a missing build ({os.readlink(live)})"]
    return check_build(previous, settings, holdings) if previous else []


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


@dataclass
class _Start:
    """The live build a build starts from (None for a build from scratch), its manifest and what it holds."""

    build: Path | None
    manifest: Manifest | None
    holdings: Holdings | None

    @property
    def presence(self) -> dict | None:  # layer -> ids of its vectors
        return self.holdings.presence if self.holdings else None

    @property
    def chunk_ids(self) -> set[str]:  # empty when the chunk store is damaged: every document is chunked again
        return self.holdings.chunk_ids if self.holdings and not self.holdings.chunk_damage else set()

    @property
    def keyword(self) -> KeywordIndex | None:  # None when damaged: every chunk is indexed afresh
        return self.holdings.keyword if self.holdings else None

    def rows_of(self, document_id: str) -> list[dict]:
        store = ChunkStore.open(self.build)
        try:
            return [row for _, row in store.of_document(document_id)]
        finally:
            store.close()


def _write_build(work, corpus, target, start: _Start, progress, embedder, settings) -> BuildReport:
    """Write a complete build into ``work``: what changed is chunked and indexed, the rest taken from ``start``;
    only chunks whose id has no vector in any layer are embedded."""
    from tqdm import tqdm

    work.mkdir(parents=True)
    vectors = _BuildVectors(work, start.build, start.presence or {}, settings)
    report = BuildReport(documents=len(corpus.documents), full=start.build is None)
    old_docs = start.manifest.documents if start.manifest else {}
    params = ChunkingParams(**{k: target.chunking[k] for k in ("chunk_tokens", "chunk_overlap")})
    new_rows: list[dict] = []  # rows of the documents chunked by this build
    kept: set[str] = set()  # ids of the chunks taken over unchanged
    documents = corpus.documents
    bar = tqdm(documents, desc="Indexing documents", unit="doc", disable=progress is False or not documents)
    for doc in bar:
        old = old_docs.get(doc.id)
        if old and old["sha256"] == doc.sha256 and all(c in start.chunk_ids for c in old["chunks"]):
            ids = list(old["chunks"])
            report.unchanged_documents += 1
            report.embedded += vectors.plan(ids, lambda d=doc.id: start.rows_of(d))
            kept.update(ids)
        else:
            if doc.id in corpus.unread:  # a stub of an unchanged file whose chunks are lost: read it now
                doc = _read_again(corpus, doc, settings)
            chunks = chunk_document(doc, params)
            if settings.max_file_chunks and len(chunks) > settings.max_file_chunks:
                report.problems.append(
                    FileTooLarge(doc.path, len(chunks), settings.max_file_chunks, "chunks", "LODESTONE_MAX_FILE_CHUNKS")
                )
                del target.documents[doc.id]
                continue
            doc_rows = [_chunk_row(c, doc) for c in chunks]
            ids = [r["id"] for r in doc_rows]
            report.embedded += vectors.plan(ids, lambda rows=doc_rows: rows)
            new_rows += doc_rows
        target.documents[doc.id]["chunks"] = ids
    all_ids = kept | {r["id"] for r in new_rows}
    vectors.embed(embedder, progress)
    vectors.finish(all_ids)
    listed_before = {c for d in old_docs.values() for c in d["chunks"]}
    report.removed = len(listed_before - all_ids)
    report.chunks, report.documents = len(all_ids), len(target.documents)
    replaced = [d for d in old_docs if d not in target.documents or set(old_docs[d]["chunks"]) - kept]
    removed_rows = [row for d in replaced for row in start.rows_of(d)] if start.chunk_ids else []
    from_scratch = not start.chunk_ids
    for kind in (TermCounts, AcronymCounts):
        _term_counts(kind, start, removed_rows, new_rows, from_scratch).save(work)
    write_chunks(work, new_rows, None if from_scratch else start.build, replaced)
    _keyword_index(work, start, kept, new_rows).save(work)
    registered = [d for d in documents if d.id in target.documents and d.id not in corpus.unread]
    Register.from_documents(registered).save(work / "register.json")
    parties, problems = PartiesRegister.from_documents(registered)
    parties.save(work / "parties.json")
    report.problems += problems
    (work / "manifest.json").write_bytes(orjson.dumps(vars(target)))  # orjson, no deep copy: 10^4 files
    return report


def _read_again(corpus, stub: Document, settings: Settings) -> Document:
    from assistant.ingest.loaders import load_file

    loaded = load_file(corpus.unread.pop(stub.id), settings.max_file_bytes)
    index = next(i for i, d in enumerate(corpus.documents) if d.id == stub.id)
    corpus.documents[index] = loaded.document
    return loaded.document


def _keyword_index(work: Path, start: _Start, kept: set[str], new_rows: list[dict]) -> KeywordIndex:
    """The previous build's keyword index with the new rows added and the gone ones masked; afresh if damaged."""
    name = build_name(work)
    if not kept:  # every chunk is new (a build from scratch): index the rows in hand
        return KeywordIndex.create(name, [r["id"] for r in new_rows], [r["text"] for r in new_rows])
    if start.keyword is not None and start.keyword.ids() >= kept:
        return start.keyword.updated(name, kept | {r["id"] for r in new_rows}, [r["id"] for r in new_rows],
                                     [r["text"] for r in new_rows])  # fmt: skip
    store = ChunkStore.open(work)
    try:
        ids, texts = zip(*((i, row["text"]) for i, row in store.items())) if len(store) else ((), ())
    finally:
        store.close()
    return KeywordIndex.create(name, list(ids), list(texts))


class _BuildVectors:
    """The vectors of a build in progress: its own store, and the earlier layers it reads the rest from.

    Normally the own store starts empty and receives only what no layer holds. Two ways of compacting
    (``layers.compaction``):

    - *fold*, when layers pile up: the own store also takes in, from every layer but the oldest (the base,
      normally the big one), the vectors the build needs; the build then names the base and itself. It costs
      what the small layers hold, not the corpus;
    - *full*, when the layers hold many vectors no chunk uses: the own store starts as a copy of the base,
      takes in what it needs from the others and drops the unused; the build names only itself."""

    def __init__(self, work: Path, previous: Path | None, presence: dict, settings: Settings):
        self.work, self.settings, self._store = work, settings, None
        layers = (read_layers(previous) or []) if previous else []
        self.layers = [layer for layer in layers if presence.get(layer.build) is not None]
        self.held = {layer.build: presence[layer.build] for layer in self.layers}
        self.folders = {layer.build: layer_folder(previous, layer.build) for layer in self.layers}
        self.own: set[str] = set()
        self._planned: set[str] = set()
        self._pending: list[tuple[set[str], object]] = []
        self._taking: dict[str, list[str]] = {}  # layer -> ids a fold takes in from it
        stored = {name: len(ids) for name, ids in self.held.items()}
        self.mode = compaction(self.layers, stored) if self.layers else None
        if self.mode == "full":
            base = self.layers[0].build
            self._store = _copy_vectors(self.folders[base], work, settings)
            self.own = set(self.held.pop(base))
        write_layers(work, self.layers)  # a prune running meanwhile keeps the layers this build reads

    @property
    def store(self):
        if self._store is None:
            self._store = _build_collection(self.work, self.settings)
        return self._store

    def plan(self, ids: list[str], rows) -> int:
        """Note which of these chunk ids have a vector in no layer (``rows()`` gives their rows, called only
        if one has to be embedded); returns how many. ``embed`` embeds everything planned."""
        wanted = [i for i in ids if i not in self.own and i not in self._planned]
        if self.mode is None:
            wanted = [i for i in wanted if not any(i in held for held in self.held.values())]
        elif self.mode == "fold":
            base = self.held[self.layers[0].build]
            wanted = [i for i in wanted if i not in base]
            for layer in self.layers[1:]:
                held = self.held[layer.build]
                found = [i for i in wanted if i in held]
                self._taking.setdefault(layer.build, []).extend(found)
                wanted = [i for i in wanted if i not in held]
        else:
            for name, held in self.held.items():
                self._take_in(name, [i for i in wanted if i in held and i not in self.own])
            wanted = [i for i in wanted if i not in self.own]
        if wanted:
            self._planned.update(wanted)
            self._pending.append((set(wanted), rows))
        return len(wanted)

    def embed(self, embedder, progress=None) -> None:
        """Take in what a fold takes, then embed every planned chunk into the build's own store, in batches.

        The store is made knowing how many vectors it will take, so Chroma writes its HNSW index to disk once,
        when the last one is added: left below its sync threshold, the vectors would stay in Chroma's log and
        every process opening the build would replay them (0.8 s at 10^4 chunks)."""
        taking = sum(len(ids) for ids in self._taking.values())
        if not self._pending and not taking:
            return
        if self._store is None:
            self._store = _build_collection(self.work, self.settings, expected=len(self._planned) + taking)
        for name, ids in self._taking.items():
            self._take_in(name, ids)
        from tqdm import tqdm

        bar = tqdm(total=len(self._planned), desc="Embedding chunks", unit="chunk", disable=progress is False)
        batch: list[dict] = []
        for wanted, rows in self._pending:
            for row in rows():
                if row["id"] in wanted and row["id"] not in self.own:
                    batch.append(row)
                    self.own.add(row["id"])
                if len(batch) >= EMBED_BATCH:
                    _embed_and_add(self._store, batch, embedder)
                    bar.update(len(batch))
                    batch = []
        _embed_and_add(self._store, batch, embedder)
        bar.update(len(batch))
        bar.close()
        self._pending = []

    def _take_in(self, name: str, ids: list[str]) -> None:
        if not ids:
            return
        source = _existing_collection(self.folders[name], self.settings)
        for batch in range(0, len(ids), 500):
            got = source.get(ids=ids[batch : batch + 500], include=["embeddings"])
            self.store.add(ids=got["ids"], embeddings=got["embeddings"])
            self.own.update(got["ids"])

    def finish(self, ids: set[str]) -> None:
        """Drop the own store's vectors no chunk uses any more and write the build's layers."""
        if self.mode == "full":
            gone = sorted(self.own - ids)
            for batch in range(0, len(gone), 5000):
                self.store.delete(ids=gone[batch : batch + 5000])
            self.own -= set(gone)
            layers = []
        else:
            readable = self.layers[:1] if self.mode == "fold" else self.layers  # a fold reads only the base
            covered = set(self.own)
            layers = []
            for layer in reversed(readable):  # the newest layer first: it holds the freshest copy of a vector
                used = len((self.held[layer.build] & ids) - covered)
                covered |= self.held[layer.build] & ids
                if used:
                    layers.append(Layer(layer.build, used))
            layers.reverse()
        if self.own or not layers:
            self.store  # noqa: B018 - an empty build still gets a store, so a reader finds its collection
            layers.append(Layer(build_name(self.work), len(self.own)))
        write_layers(self.work, layers)


def _term_counts(kind, start: _Start, removed_rows: list[dict], new_rows: list[dict], from_scratch: bool):
    """The previous build's counts moved by the chunks that left and came; counted afresh when there are none."""
    counts = None if from_scratch else kind.load(start.build)
    if counts is not None and counts.n == len(start.chunk_ids):
        return counts.update([r["text"] for r in removed_rows], [r["text"] for r in new_rows])
    gone = {r["id"] for r in removed_rows}
    texts = [r["text"] for r in new_rows]
    if not from_scratch:
        store = ChunkStore.open(start.build)
        try:
            texts += [row["text"] for i, row in store.items() if i not in gone]
        finally:
            store.close()
    return kind.from_texts(texts)


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
        "issued": doc.issued,
        "kind": doc.kind,
    }


def _embed_and_add(collection, rows: list[dict], embedder) -> None:
    """Embed rows and add their vectors to a build's collection, through Chroma's own API (no llama-index import).

    Chroma holds the vectors alone, keyed by chunk id; the chunk store holds each chunk's text and metadata.
    Given the texts too, Chroma would build a full-text index nothing reads: at 2x10^4 chunks that took 26 s
    of the 47 s its writes took (bench/README.md)."""
    if not rows:
        return
    collection.add(ids=[r["id"] for r in rows], embeddings=embedder.embed_texts([r["text"] for r in rows]))


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


def _build_collection(build: Path, settings: Settings, expected: int = 0):
    """The collection a build writes its vectors into (created on first use), persisted to disk by Chroma
    when ``expected`` vectors have been added (Chroma takes a threshold of 2 at least)."""
    client, name = _chroma(build, settings)
    threshold = max(expected, 2)
    metadata = {"hnsw:space": "cosine", "hnsw:sync_threshold": threshold, "hnsw:batch_size": min(100, threshold)}
    return client.get_or_create_collection(name, metadata=metadata)


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
            rows = old.get(include=["embeddings"], limit=500, offset=offset)
            store.add(ids=rows["ids"], embeddings=rows["embeddings"])
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
    """Remove old builds, except the ones kept, any a reader or a running build holds, and the vector layers and
    keyword segments those read; of a build kept only for those, its chunk store (the bulk of it) goes."""
    folders = [b for b in builds.iterdir() if b.is_dir()]
    held = [b for b in folders if b.name in keep or leased(settings.index_dir, b.name)]
    needed = {b.name for b in held} | {layer.build for b in held for layer in (read_layers(b) or [])}
    needed |= {name for b in held for name in segment_builds(b)}
    for build in folders:
        if build.name.endswith(".partial") or build in held:
            continue
        if build.name not in needed:
            _drop_vectors(build, settings)
            shutil.rmtree(build, ignore_errors=True)
        else:
            (build / CHUNKS).unlink(missing_ok=True)


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
    corpus = read_corpus(Path(settings.corpus_dir), known=read_records(build))
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
        keyword = KeywordIndex.load(build)
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
