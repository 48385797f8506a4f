"""What a build recorded of each corpus file (``files.json``), so the next build can leave unchanged files unread.

A record holds the file's size and modification times (its sidecar's too),
its hash, document id, and the dropped lines and parser warnings its reading
gave. The next build compares sizes and times (``loaders.file_stat``) and
reads only files that differ, as git does for its index. Two cases are never
recorded, so their files are always read:

- documents that feed a register (a ``timeline``, ``clauses`` or ``parties``
  block): registers are made from the documents themselves;
- files modified less than ``RACY_SECONDS`` before the build read them: a
  write in the same clock tick could leave size and time unchanged.

>>> records = read_records(Path("index/live"))  # doctest: +SKIP
>>> records["corpus/memo.txt"]["stat"]  # doctest: +SKIP
[1874, 1764633600123456789, -1, -1]
"""

from __future__ import annotations

from pathlib import Path

import orjson

from assistant.ingest.loaders import CorpusRead
from assistant.schema import Document

FILE = "files.json"
RACY_SECONDS = 2
REGISTER_FIELDS = ("timeline", "clauses", "parties")


def read_records(build: Path | None) -> dict[str, dict]:
    """path -> record of the files a build may leave unread; {} when there is none or it is unreadable."""
    if build is None:
        return {}
    try:
        data = orjson.loads((build / FILE).read_bytes())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_records(build: Path, corpus: CorpusRead, documents: list[Document], read_at_ns: int) -> None:
    """Record every kept document's file that the next build may leave unread."""
    records = {}
    for doc in documents:
        if doc.id not in corpus.unread and any(doc.meta.get(f) for f in REGISTER_FIELDS):
            continue
        stat = corpus.stats.get(doc.id)  # as it was when read: a file changed since is read again next time
        if stat is None or max(stat[1], stat[3]) > read_at_ns - RACY_SECONDS * 1_000_000_000:
            continue
        records[doc.path] = {
            "id": doc.id, "stat": stat, "sha256": doc.sha256, "title": doc.title,
            "dropped": corpus.dropped.get(doc.path, []), "warnings": corpus.file_warnings.get(doc.id, []),
        }  # fmt: skip
    (build / FILE).write_bytes(orjson.dumps(records))
