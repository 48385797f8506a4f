"""What the corpus itself says it does not know, about what was asked.

Each digest in the corpus ends with a "What is uncertain" section: codes
inferred rather than seen, numbers not found, lists that rest on one source.
When a question asks about one of those points, the answer must say so, not
leave the user with a confident quote beside a gap. This stage picks, from
the uncertainty sections of the documents the answer draws on, the sentences
that cover enough of the question's (idf-weighted) vocabulary, the names of
the elements it asks about included.

>>> from assistant.answer import Vocabulary
>>> rows = [{"document_id": "d", "section": "D > What is uncertain",
...          "text": "## What is uncertain\\n\\nThe code 1C905 for dysprosium is inferred, not seen in any source. The fee is unknown."}]
>>> from assistant.schema import Items, Query
>>> q = Query("Which code covers Dy?", "Which code covers Dy?", items=Items(elements=["dysprosium"]))
>>> Uncertainties(rows, Vocabulary.from_texts(["dysprosium code", "fee", "other"])).about(q, ["d"])
['The code 1C905 for dysprosium is inferred, not seen in any source.']
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.answer import Vocabulary, split_sentences, terms
from assistant.register import ELEMENTS
from assistant.schema import Passage, Query

SECTION = "what is uncertain"
MIN_COVERAGE = 0.3  # share of the question's idf weight a sentence must cover
MIN_COVERAGE_ELEMENT = 0.15  # ... when the doubt names an element the question asks about
MAX_POINTS = 2
RARE = 0.03  # a word in at most 3% of the chunks is specific enough to tie a doubt to a question


class Uncertainties:
    """The "What is uncertain" passages of the corpus, by document (read once per open index)."""

    def __init__(self, rows: Iterable[dict], vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        # document -> (its title's terms, [(sentence, its terms)]): split and stemmed once, not on every question
        self.by_document: dict[str, list[tuple[set[str], list[tuple[str, set[str]]]]]] = {}
        for row in rows:
            if SECTION in (row.get("section") or "").lower():
                passage = Passage(row.get("id", ""), row["document_id"], row.get("document", ""), row.get("title", ""),
                                  row["text"], row.get("start", 0), row.get("end", 0), row.get("section", ""))  # fmt: skip
                sentences = [(s.text, set(terms(s.text))) for s in split_sentences(passage)]
                self.by_document.setdefault(row["document_id"], []).append((set(terms(passage.title)), sentences))

    def _rare(self, term: str) -> bool:
        return self.vocabulary.df.get(term, 0) <= RARE * self.vocabulary.n

    def about(self, query: Query, documents: list[str], named_documents: list[str] = ()) -> list[str]:
        """Sentences of the documents' uncertainty sections that speak to the question, best first."""
        known = [t for t in _asked(query) if self.vocabulary.df.get(t)]  # a word no chunk has can't be matched
        elements = {t for e in query.items.elements for t in terms(e)}
        named = set(named_documents)
        scored = []
        for document in dict.fromkeys(documents):
            for title_terms, sentences in self.by_document.get(document, []):
                # a document's own name and number say little about which of its doubts was asked about
                title = title_terms - elements  # an element asked about counts in full
                weight = {t: self.vocabulary.idf(t) * (0.3 if t in title else 1.0) for t in known}
                total = sum(weight.values()) or 1.0
                # a question about this document's subject (it shares two words of its title) may ask about any of its
                # doubts; otherwise a doubt must share something specific with the question: an element, a number, a rare word
                focused = len(title & set(known)) >= 2 or document in named
                for text, found in sentences:
                    coverage = sum(w for t, w in weight.items() if t in found) / total
                    beyond_title = [t for t in known if t in found and t not in title]
                    specific = any(t in elements or any(c.isdigit() for c in t) or self._rare(t) for t in beyond_title)
                    names_element = bool(elements & found)  # a doubt about the very element asked about
                    enough = coverage >= (MIN_COVERAGE_ELEMENT if names_element else MIN_COVERAGE)
                    if enough and beyond_title and (focused or specific):
                        scored.append((coverage, text))
        scored.sort(key=lambda cs: -cs[0])
        return list(dict.fromkeys(text for _, text in scored))[:MAX_POINTS]


def _asked(query: Query) -> list[str]:
    """The question's terms, its element symbols ("Dy") read as the corpus's names ("dysprosium")."""
    symbols = {(ELEMENTS.get(e) or "").lower() for e in query.items.elements}
    asked = [t for t in terms(query.standalone) if t not in symbols]
    for element in query.items.elements:
        asked += terms(element)
    return list(dict.fromkeys(asked))
