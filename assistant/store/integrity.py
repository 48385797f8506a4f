"""Does a build hold what its manifest says? Manifest vs chunks vs vectors vs keyword index.

``check_build`` returns the damage found, one line each (empty: intact). The
vectors are those of every layer the build reads (``layers.py``); vectors a
layer holds for chunks the build no longer has are expected, not damage.
``index status`` reports it; ``index build`` repairs it, re-embedding only
the chunks whose vectors are missing.

>>> check_build(Path("index/live"), Settings.load())  # doctest: +SKIP
['chunks.sqlite3 can\'t be read (database disk image is malformed)', 'vectors: 40 of 336 chunks have no vector']
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.store.chunkstore import FILE as CHUNKS
from assistant.store.chunkstore import ChunkStore
from assistant.store.layers import layer_folder, read_layers


@dataclass
class ChunkFile:
    """The rows of the chunk store (chunks.sqlite3) that could be read, and the damage met on the way."""

    rows: dict[str, dict] = field(default_factory=dict)
    damage: list[str] = field(default_factory=list)


def read_chunk_file(build: Path) -> ChunkFile:
    """Every row of the build's chunk store; a missing or damaged store is reported, not fatal."""
    result = ChunkFile()
    try:
        store = ChunkStore.open(build)
        try:
            result.rows = dict(store.items())
        finally:
            store.close()
    except FileNotFoundError:
        result.damage.append(f"{CHUNKS} is missing")
    except (OSError, sqlite3.Error, ValueError) as e:
        result.damage.append(f"{CHUNKS} can't be read ({e})")
    return result


def chunk_ids(build: Path) -> tuple[set[str], list[str]]:
    """(ids in the chunk store, damage met reading them): what a check needs, without the texts."""
    try:
        store = ChunkStore.open(build)
        try:
            return set(store), []
        finally:
            store.close()
    except FileNotFoundError:
        return set(), [f"{CHUNKS} is missing"]
    except (OSError, sqlite3.Error) as e:
        return set(), [f"{CHUNKS} can't be read ({e})"]


def vector_ids(folder: Path, settings: Settings) -> set[str] | None:
    """Ids of the vectors one build folder's own store holds; None when it is missing or can't be opened."""
    if not settings.chroma_url:
        recorded = _recorded_ids(folder / "chroma" / "chroma.sqlite3")
        if recorded is not None:
            return recorded
    from assistant.store import _existing_collection

    collection = _existing_collection(folder, settings)
    if collection is None:
        return None
    try:
        return set(collection.get(include=[])["ids"])
    except Exception:  # a damaged store: any library error means the vectors can't be trusted
        return None


# The ids Chroma's own record of a local store lists: what ``collection.get(include=[])`` reads, without
# importing chromadb, which alone takes 0.5 s, half of what a build that finds nothing to do may spend.
RECORDED_IDS = """SELECT e.embedding_id FROM embeddings e JOIN segments s ON e.segment_id = s.id
JOIN collections c ON s.collection = c.id WHERE c.name = ?"""


def _recorded_ids(database: Path) -> set[str] | None:
    """The ids a local Chroma store records, read-only; None when the file or its layout is not as expected
    (then Chroma's own API decides: a missing store, or one of another layout)."""
    from assistant.store import COLLECTION

    if not database.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)) as db:
            if not db.execute("SELECT 1 FROM collections WHERE name = ?", (COLLECTION,)).fetchone():
                return None
            return {row[0] for row in db.execute(RECORDED_IDS, (COLLECTION,))}
    except sqlite3.Error:
        return None


def layer_ids(build: Path, settings: Settings) -> dict[str, set[str] | None] | None:
    """Vector ids of every layer the build reads (None for a layer that is missing); None if vectors.json is unreadable."""
    layers = read_layers(build)
    if layers is None:
        return None
    return {layer.build: vector_ids(layer_folder(build, layer.build), settings) for layer in layers}


@dataclass
class Holdings:
    """What a build holds, read once: chunk ids, vector ids per layer, the keyword index (None when damaged).

    A build reads it of the live build to check it and to start from it; ``index status`` to check it."""

    chunk_ids: set[str]
    chunk_damage: list[str]
    presence: dict[str, set[str] | None] | None  # ``layer_ids``
    keyword: object | None

    @classmethod
    def read(cls, build: Path, settings: Settings) -> Holdings:
        from assistant.keyword import KeywordIndex

        ids, damage = chunk_ids(build)
        try:
            keyword = KeywordIndex.load(build)
        except (OSError, ValueError, KeyError, TypeError):
            keyword = None
        return cls(ids, damage, layer_ids(build, settings), keyword)


def check_build(build: Path, settings: Settings, holdings: Holdings | None = None) -> list[str]:
    """The damage of one build folder, as lines a user can read (``holdings``: what it holds, if already read)."""
    from assistant.errors import IndexCorrupt
    from assistant.store import read_manifest

    try:
        manifest = read_manifest(build)
    except IndexCorrupt:
        return ["manifest.json is missing or unreadable"]
    holdings = holdings or Holdings.read(build, settings)
    listed = {c for d in manifest.documents.values() for c in d["chunks"]}
    stored, damage = holdings.chunk_ids, list(holdings.chunk_damage)
    missing_rows = listed - stored
    if missing_rows and not damage:
        damage.append(f"{CHUNKS}: {len(missing_rows)} of {len(listed)} chunks in the manifest are missing")
    presence = holdings.presence
    if presence is None:
        damage.append("vectors.json is unreadable")
    else:
        lost = sorted(name for name, ids in presence.items() if ids is None)
        if lost:
            where = f" (build {', '.join(lost)})" if len(presence) > 1 else ""
            damage.append(f"vectors: the Chroma store is missing or can't be opened{where}")
        vectors = set().union(*(ids for ids in presence.values() if ids is not None))
        if listed - vectors:
            damage.append(f"vectors: {len(listed - vectors)} of {len(listed)} chunks have no vector")
    if holdings.keyword is None:
        damage.append("keyword index is missing or damaged")
    elif (ids := holdings.keyword.ids()) != listed:
        damage.append(f"keyword index lists {len(ids)} chunks, the manifest {len(listed)}")
    if not (build / "register.json").is_file():
        damage.append("register.json is missing")
    return damage
