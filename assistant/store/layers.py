"""Vector layers: a build stores only the vectors it embedded and reads the others from earlier builds.

A build's ``chroma/`` (or, with a Chroma server, its collection) holds the
vectors that build embedded, and is never written again once the build is
complete. ``vectors.json`` names the *layers* whose union covers the build's
chunks: earlier builds' stores, oldest first, then its own, each with how many
of its vectors the build still uses. A 1-document update therefore writes one
document's vectors and copies nothing.

Readers ask every layer for ``k`` plus that layer's unused vectors and keep
the nearest chunks of their own build, so a vector another build left behind
never takes a place in the answer. A layer nobody uses any more is released
with its build folder. When layers pile up (``MAX_LAYERS``), the next build
*folds* them: it takes the vectors it needs from every layer but the oldest
into its own store and names the oldest and itself, at the cost of what the
small layers hold. When unused vectors reach ``MAX_UNUSED_SHARE`` of the used
ones, it *compacts fully*: it starts from a copy of the oldest layer, takes in
the vectors it needs from the others, drops the unused ones, and names only
itself.

>>> [layer.build for layer in read_layers(Path("index/live"))]  # doctest: +SKIP
['20261201-220000-ab12cd34', '20261201-231500-ef56ab78']
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

FILE = "vectors.json"
MAX_LAYERS = 6
MAX_UNUSED_SHARE = 0.25


@dataclass
class Layer:
    build: str  # the build whose vector store this is (its folder name, without ``.partial``)
    used: int  # how many of that store's vectors belong to chunks of the build naming it


def build_name(build: Path) -> str:
    return build.name.removesuffix(".partial")


def layer_folder(build: Path, layer: str) -> Path:
    """The folder holding a layer's vectors, seen from the build that names it."""
    return build if build_name(build) == layer else build.parent / layer


def read_layers(build: Path) -> list[Layer] | None:
    """The layers a build reads its vectors from; None when vectors.json is unreadable.

    A build made before layers existed holds all its vectors itself (``used`` -1: all of them)."""
    try:
        data = json.loads((build / FILE).read_text(encoding="utf-8"))
        return [Layer(str(item["build"]), int(item["used"])) for item in data["layers"]]
    except FileNotFoundError:
        return [Layer(build_name(build), -1)]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_layers(build: Path, layers: list[Layer]) -> None:
    text = json.dumps({"layers": [asdict(layer) for layer in layers]}, indent=1)
    (build / FILE).write_text(text, encoding="utf-8")


def compaction(layers: list[Layer], stored: dict[str, int]) -> str | None:
    """How the next build should compact its layers: "full" when unused vectors reach ``MAX_UNUSED_SHARE`` of
    the used ones, "fold" (the small layers into the build's own store) when there are ``MAX_LAYERS``, else None."""
    used = sum(max(layer.used, 0) for layer in layers)
    unused = sum(stored.get(layer.build, 0) - max(layer.used, 0) for layer in layers if layer.used >= 0)
    if unused > MAX_UNUSED_SHARE * max(used, 1):
        return "full"
    return "fold" if len(layers) >= MAX_LAYERS else None
