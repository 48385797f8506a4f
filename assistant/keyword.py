"""Keyword search: BM25 over segments that a build adds to, tuned so exact identifiers are found.

Identifiers. A plain tokenizer drops one-letter tokens and splits "1E902.b"
into "1e902" and "b", so sub-item codes and announcement numbers would blur
together. We add canonical identifier tokens to both passages and questions:

- control codes: "1E902.b" -> "1e902b" (plus "1e902"), "1C909" -> "1c909";
- announcement numbers: "No. 61", "Announcement 61", "Ann. 61", "61/2025",
  "No. 61 of 2025" -> "ann61";
- HS codes (8-10 digits) stay as they are.

>>> identifier_tokens("Is 1E902.b in No. 62 of 2025 (62/2025)?")
['1e902b', 'ann62', 'ann62']

Segments. bm25s tokenises and scores well, but it can only index a whole
corpus at once: adding one memo to 50,000 chunks meant tokenising and indexing
all of them again (most of a 1-document update). So the index is a list of
*segments*, as in Lucene: each build writes one segment with the postings
(term -> chunks, term frequency) of the chunks it added, and reads the
earlier builds' segments; a chunk removed since is masked out by the build
that removed it (``alive``). Scoring is bm25s's default (Lucene's BM25,
k1 1.5, b 0.75), computed at query time from the postings, with document
frequencies, chunk count and mean length over the live chunks of every
segment, so the scores equal a bm25s index built over the same chunks
(``tests/test_keyword.py`` checks this). Terms are made the way bm25s
makes them: lower case, ``\\b\\w\\w+\\b``, its English stop words (taken from
bm25s at build time and saved with the index, so searching never imports it),
Snowball stems. When segments pile up, a build merges all but the first (the
big one) into one; when masked rows reach a quarter, all of them (merging
works on the postings, no text is tokenised again).

>>> index = KeywordIndex.create("b1", ["a", "b"], ["Holmium oxide exports", "Gallium exports"])  # doctest: +SKIP
>>> index.search("holmium", 5)  # doctest: +SKIP
[('a', 0.97...)]
"""

from __future__ import annotations

import json
import re
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import orjson

CONTROL_CODE = re.compile(r"\b(\d[A-E]\d{3})(?:\.([a-z]))?\b", re.I)
ANNOUNCEMENT = re.compile(
    r"\b(?:No\.?|Number|Announcement|Ann\.?|Order)\s*(?:No\.?\s*)?(\d{1,3})\b(?:\s+of\s+(?:20\d\d))?|\b(\d{1,3})/(?:20\d\d)\b"
    r"|20\d\d\s*年\s*第\s*(\d{1,3})\s*号",  # 公告2025年第72号
    re.I,
)
NUMBER_LIST = re.compile(r"\b(?:Announcements|Anns\.?|Nos\.?)\s+(\d{1,3}(?:\s*(?:,|and|&|-|–|to)\s*\d{1,3})+)", re.I)

TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default token pattern
K1, B = 1.5, 0.75  # bm25s's defaults
FOLDER = "keyword"
MAX_SEGMENTS = 8
MAX_DEAD_SHARE = 0.25


def announcement_numbers(text: str) -> set[str]:
    """Announcement numbers a text names, lists and ranges included.

    >>> sorted(announcement_numbers("Announcements 55-58, 61 and 62; No. 70"), key=int)
    ['55', '56', '57', '58', '61', '62', '70']
    """
    numbers = {_number(m) for m in ANNOUNCEMENT.finditer(text)}
    for match in NUMBER_LIST.finditer(text):
        for a, b in re.findall(r"(\d{1,3})(?:\s*(?:-|–|to)\s*(\d{1,3}))?", match.group(1)):
            numbers |= {str(n) for n in range(int(a), int(b) + 1)} if b and int(b) - int(a) < 20 else {a}
    return numbers


def identifier_tokens(text: str) -> list[str]:
    tokens = [f"{m.group(1)}{m.group(2)}".lower() for m in CONTROL_CODE.finditer(text) if m.group(2)]
    tokens += [f"ann{_number(m)}" for m in ANNOUNCEMENT.finditer(text)]
    return tokens


def _number(match: re.Match) -> str:
    """The number an ANNOUNCEMENT match holds, whichever of its spellings matched."""
    return match.group(1) or match.group(2) or match.group(3)


def searchable(text: str) -> str:
    extra = identifier_tokens(text)
    return f"{text} {' '.join(extra)}" if extra else text


@lru_cache(maxsize=1)
def english_stemmer():
    """The one Snowball stemmer shared by keyword search and sentence scoring."""
    import Stemmer

    return Stemmer.Stemmer("english")


def library_stopwords() -> list[str]:
    """bm25s's English stop words (imported at build time only)."""
    from bm25s.stopwords import STOPWORDS_EN

    return sorted(STOPWORDS_EN)


class Terms:
    """Text -> the terms BM25 counts: identifier tokens added, lower case, stop words out, stemmed.

    >>> Terms(["the", "of"])("The export of 1E902.b items")
    ['export', '1e902', 'item', '1e902b']
    """

    def __init__(self, stopwords):
        self.stopwords = frozenset(stopwords)

    def __call__(self, text: str) -> list[str]:
        words = [w for w in TOKEN.findall(searchable(text).lower()) if w not in self.stopwords]
        return english_stemmer().stemWords(words) if words else []


@dataclass
class Segment:
    """The postings of the chunks one build added: for term t, ``docs[ptr[t]:ptr[t+1]]`` and their ``tfs``."""

    build: str
    ids: list[str]
    vocabulary: dict[str, int]
    ptr: np.ndarray
    docs: np.ndarray
    tfs: np.ndarray
    lengths: np.ndarray

    @classmethod
    def from_terms(cls, build: str, ids: list[str], terms) -> Segment:
        """The segment of these chunks; ``terms`` yields each chunk's terms in turn (consumed once, so a full
        build never holds every chunk's terms, and postings go into compact C arrays, not Python lists)."""
        vocabulary: dict[str, int] = {}
        term_of, doc_of, tf_of = array("q"), array("i"), array("f")
        lengths = np.zeros(len(ids), dtype=np.float32)
        for row, words in enumerate(terms):
            lengths[row] = len(words)
            for word, n in Counter(words).items():
                term_of.append(vocabulary.setdefault(word, len(vocabulary)))
                doc_of.append(row)
                tf_of.append(n)
        as_array = (lambda a, kind: np.frombuffer(a, dtype=kind) if len(a) else np.zeros(0, kind))  # noqa: E731
        return cls._from_postings(build, ids, vocabulary, as_array(term_of, np.int64), as_array(doc_of, np.int32),
                                  as_array(tf_of, np.float32), lengths)  # fmt: skip

    @classmethod
    def _from_postings(cls, build, ids, vocabulary, term_of, doc_of, tf_of, lengths) -> Segment:
        order = np.lexsort((np.asarray(doc_of, np.int64), term_of)) if len(term_of) else np.zeros(0, np.int64)
        counts = np.bincount(term_of, minlength=len(vocabulary)) if len(term_of) else np.zeros(len(vocabulary), np.int64)
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        docs = np.asarray(doc_of, np.int32)[order]
        tfs = np.asarray(tf_of, np.float32)[order]
        return cls(build, list(ids), vocabulary, ptr, docs, tfs, np.asarray(lengths, np.float32))

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        t = self.vocabulary.get(term)
        if t is None:
            return None
        return self.docs[self.ptr[t] : self.ptr[t + 1]], self.tfs[self.ptr[t] : self.ptr[t + 1]]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ids.txt").write_text("\n".join(self.ids), encoding="utf-8")
        words = sorted(self.vocabulary, key=self.vocabulary.get)
        (folder / "terms.json").write_bytes(orjson.dumps(words))
        np.savez(folder / "postings.npz", ptr=self.ptr, docs=self.docs, tfs=self.tfs, lengths=self.lengths)

    @classmethod
    def load(cls, build: str, folder: Path) -> Segment:
        ids = [i for i in (folder / "ids.txt").read_text(encoding="utf-8").split("\n") if i]
        words = orjson.loads((folder / "terms.json").read_bytes())
        with np.load(folder / "postings.npz") as arrays:
            ptr, docs, tfs, lengths = (arrays[k] for k in ("ptr", "docs", "tfs", "lengths"))
        if len(lengths) != len(ids) or len(ptr) != len(words) + 1 or len(docs) != len(tfs):
            raise ValueError(f"keyword segment {build} is inconsistent")
        return cls(build, ids, {w: i for i, w in enumerate(words)}, ptr, docs, tfs, lengths)


def merge(build: str, segments: list[Segment], alive: list[np.ndarray]) -> Segment:
    """One segment holding the live rows of several, from their postings (no text is read again)."""
    vocabulary: dict[str, int] = {}
    ids, lengths, term_of, doc_of, tf_of = [], [], [], [], []
    for segment, mask in zip(segments, alive):
        new_row = np.cumsum(mask) - 1 + len(ids)
        words = sorted(segment.vocabulary, key=segment.vocabulary.get)
        remap = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in words], np.int64)
        terms = np.repeat(np.arange(len(words)), np.diff(segment.ptr))
        keep = mask[segment.docs]
        term_of.append(remap[terms[keep]])
        doc_of.append(new_row[segment.docs[keep]])
        tf_of.append(segment.tfs[keep])
        ids += [i for i, live in zip(segment.ids, mask) if live]
        lengths.append(segment.lengths[mask])
    join = (lambda parts, kind: np.concatenate(parts) if parts else np.zeros(0, kind))  # noqa: E731
    return Segment._from_postings(
        build, ids, vocabulary, join(term_of, np.int64), join(doc_of, np.int64), join(tf_of, np.float32),
        join(lengths, np.float32),
    )  # fmt: skip


class KeywordIndex:
    """BM25 over a build's segments; ``search`` returns (chunk id, score) pairs, best first."""

    def __init__(self, segments: list[Segment], alive: list[np.ndarray], stopwords):
        self.segments, self.alive, self.terms = segments, alive, Terms(stopwords)
        self.stopwords = sorted(self.terms.stopwords)
        self._n = int(sum(int(mask.sum()) for mask in alive))
        total = sum(float(s.lengths[mask].sum()) for s, mask in zip(segments, alive))
        mean = total / self._n if self._n else 1.0
        self._norm = [K1 * ((1 - B) + B * s.lengths / (mean or 1.0)) for s in segments]

    @classmethod
    def create(cls, build: str, ids: list[str], texts: list[str], stopwords=None) -> KeywordIndex:
        """A one-segment index of these chunks (a build from scratch)."""
        stopwords = library_stopwords() if stopwords is None else stopwords
        terms = Terms(stopwords)
        segment = Segment.from_terms(build, list(ids), (terms(t) for t in texts))
        return cls([segment], [np.ones(len(ids), bool)], stopwords)

    def updated(self, build: str, keep: set[str], added_ids: list[str], added_texts: list[str]) -> KeywordIndex:
        """The index of the next build: rows not in ``keep`` masked, the added chunks in a new segment,
        merged into one segment when masked rows or segments pile up."""
        fresh = set(added_ids)
        alive = [mask & np.array([i in keep and i not in fresh for i in s.ids], bool) for s, mask in
                 zip(self.segments, self.alive)]  # fmt: skip
        segments = list(self.segments)
        if added_ids:
            segments.append(Segment.from_terms(build, list(added_ids), (self.terms(t) for t in added_texts)))
            alive.append(np.ones(len(added_ids), bool))
        rows, live = sum(len(s.ids) for s in segments), sum(int(m.sum()) for m in alive)
        if rows - live > MAX_DEAD_SHARE * max(live, 1):  # many masked rows: one segment of the live ones
            segments, alive = [merge(build, segments, alive)], [np.ones(live, bool)]
        elif len(segments) > MAX_SEGMENTS:  # the small segments into one; the first (the big one) stays
            small = merge(build, segments[1:], alive[1:])
            segments, alive = [segments[0], small], [alive[0], np.ones(len(small.ids), bool)]
        return KeywordIndex(segments, alive, self.stopwords)

    def ids(self) -> set[str]:
        """Ids of the live chunks."""
        return {i for s, mask in zip(self.segments, self.alive) for i, live in zip(s.ids, mask) if live}

    def save(self, build: Path) -> None:
        """Write the build's own segment (if it has one), every segment's mask and the list of segments."""
        folder = build / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        name = build.name.removesuffix(".partial")
        listing = []
        for segment, mask in zip(self.segments, self.alive):
            if segment.build == name:
                segment.save(folder / "own")
            np.save(folder / f"alive-{segment.build}.npy", mask)
            listing.append({"build": segment.build, "rows": len(segment.ids)})
        body = {"segments": listing, "stopwords": self.stopwords}
        (folder / "segments.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, build: Path) -> KeywordIndex:
        """Open a build's keyword index; OSError or ValueError when a part is missing or damaged."""
        folder = build / FOLDER
        listing = json.loads((folder / "segments.json").read_text(encoding="utf-8"))
        segments, alive = [], []
        for item in listing["segments"]:
            owner = build if item["build"] == build.name.removesuffix(".partial") else build.parent / item["build"]
            segment = Segment.load(item["build"], owner / FOLDER / "own")
            mask = np.load(folder / f"alive-{item['build']}.npy")
            if len(mask) != len(segment.ids):
                raise ValueError(f"keyword mask of {item['build']} has {len(mask)} rows, its segment {len(segment.ids)}")
            segments.append(segment)
            alive.append(mask.astype(bool))
        return cls(segments, alive, listing["stopwords"])

    def search(self, question: str, k: int) -> list[tuple[str, float]]:
        if not self._n or k <= 0:
            return []
        words = self.terms(question)
        if not words:
            return []
        postings = [[s.postings(w) for s in self.segments] for w in words]
        scores = [np.zeros(len(s.ids), np.float32) for s in self.segments]
        for per_segment in postings:
            df = sum(int(mask[p[0]].sum()) for p, mask in zip(per_segment, self.alive) if p is not None)
            if not df:
                continue
            idf = np.log(1 + (self._n - df + 0.5) / (df + 0.5))
            for score, norm, p in zip(scores, self._norm, per_segment):
                if p is not None:
                    docs, tfs = p
                    score[docs] += idf * tfs / (norm[docs] + tfs)
        hits = []
        for segment, score, mask in zip(self.segments, scores, self.alive):
            score[~mask] = 0
            found = np.flatnonzero(score > 0)
            if len(found) > k:
                found = found[np.argpartition(-score[found], k - 1)[:k]]
            hits += [(segment.ids[int(i)], float(score[i])) for i in found]
        return sorted(hits, key=lambda hit: (-hit[1], hit[0]))[:k]


def segment_builds(build: Path) -> list[str]:
    """The builds whose keyword segments a build reads (a prune keeps them); [] when unreadable."""
    try:
        return [item["build"] for item in json.loads((build / FOLDER / "segments.json").read_text())["segments"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
