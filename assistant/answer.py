"""Passages -> a short extractive answer whose every sentence is a verified quote.

The answerer splits retrieved passages into sentences, scores each by how much
of the question's (idf-weighted, stemmed) vocabulary it covers, by the rank of
its passage and by exact identifiers it shares with the question, then quotes
the best few. Each quote becomes a ``Citation`` with its span in the cleaned
document text. It refuses when the evidence is weak (see ``Evidence``).

>>> answerer = ExtractiveAnswerer(Vocabulary.from_texts(["Dysprosium oxide needs a licence."]))
>>> p = Passage("c1", "d", "corpus/d.md", "D", "Dysprosium oxide needs a licence.", 0, 33, rank=1, dense=0.7, score=1)
>>> answerer.compose("Does dysprosium oxide need a licence?", [p]).sentences[0].text
'Dysprosium oxide needs a licence.'
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from assistant.keyword import english_stemmer, identifier_tokens
from assistant.schema import Citation, Passage
from assistant.sentences import ABBREVIATIONS, SENTENCE_END

STOPWORDS = set(
    """a an the of to in on for and or but is are was were be been being do does did can could will would shall should
    may might must we our us you your i me my it its they them their this that these those what which who whom whose
    when where why how as at by from with about into over under than then there here if so not no yes any all some
    still yet now currently today please tell know need want get got going also just only even more most very much
    many such own same other again further once whether thing things stuff anything something does hey hi ok okay
    what's whats actually exactly really kind sort""".split()
)
WORD = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*", re.I)
SENTENCE_BREAK = re.compile(SENTENCE_END.pattern + r"|\n+")  # a quote never runs across a line break
# Digests spell out aliases ("also written 61/2025") for keyword search; they answer nothing.
BOILERPLATE = re.compile(r"lodestone digest|not the official text|^sources?\b|^https?://|\balso (written|cited|known|referred)", re.I)


ABBREVIATED = {"ann": "announcement", "anns": "announcement", "no": "number", "reg": "regulation", "regs": "regulations",
               "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
               "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
               "dec": "december", "ree": "rare", "rees": "rare", "tech": "technology"}  # fmt: skip


def terms(text: str) -> list[str]:
    """Stemmed content words (hyphenated words also as their parts) plus identifier tokens."""
    words = []
    for word in WORD.findall(text.lower()):
        words.append(word)
        if "-" in word:
            words += word.split("-")
    words = [ABBREVIATED.get(w, w) for w in words]
    return [_stem(w) for w in words if w not in STOPWORDS and len(w) > 1] + identifier_tokens(text)


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return word if any(c.isdigit() for c in word) else english_stemmer().stemWord(word)


class Vocabulary:
    """Inverse document frequencies over the indexed chunks."""

    def __init__(self, df: dict[str, int], n: int):
        self.df, self.n = df, max(n, 1)

    @classmethod
    def from_texts(cls, texts: list[str]) -> Vocabulary:
        df: dict[str, int] = {}
        for text in texts:
            for t in set(terms(text)):
                df[t] = df.get(t, 0) + 1
        return cls(df, len(texts))

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))


@dataclass
class Sentence:
    text: str
    passage: Passage
    start: int  # offset in passage text
    end: int
    score: float = 0.0
    overlap: float = 0.0
    list_after: Sentence | None = None  # a list this sentence introduces (quoted with it when chosen)


@dataclass
class Composition:
    sentences: list[Sentence]
    best_overlap: float


def split_sentences(passage: Passage) -> list[Sentence]:
    """Sentences of a passage with offsets; headings and boilerplate dropped."""
    text, out, start = passage.text, [], 0
    for match in SENTENCE_BREAK.finditer(text):
        piece = text[start : match.start()]
        if ABBREVIATIONS.search(piece.rstrip("\"”’)")):
            continue
        out += _sentence(piece, start, passage)
        start = match.end()
    out += _sentence(text[start:], start, passage)
    if out and out[0].start < 40 and passage.start > 0 and MID_SENTENCE.match(out[0].text):
        out = out[1:]  # the chunk starts inside a sentence ("55, 56, 58 and 62 of 2025."): not quotable alone
    _attach_lists(out, passage)
    return out


# How the tail of a sentence cut by a chunk boundary starts: lower case, or a number continuing a list.
MID_SENTENCE = re.compile(r"[a-z]|\d+(?:\s*(?:,|-|–|/)\s*\d|\s+(?:and|or|to|of)\b)")


LIST_BLOCK = re.compile(r"(?:^[ \t]*(?:\d+\.|[-*•])[ \t]+\S.*(?:\n|$)){3,}", re.M)


def _attach_lists(sentences: list[Sentence], passage: Passage) -> None:
    """A list of three or more items belongs to the paragraph just before it ("...added 14 entities.")."""
    for block in LIST_BLOCK.finditer(passage.text):
        raw = block.group(0).rstrip()
        items = Sentence(raw, passage, block.start(), block.start() + len(raw))
        for s in sentences:
            gap = passage.text[s.end : block.start()]
            if s.end <= block.start() and gap.count("\n\n") <= 1 and len(gap) < 400:
                s.list_after = items


def _sentence(piece: str, offset: int, passage: Passage) -> list[Sentence]:
    stripped = piece.strip()
    if not stripped:
        return []
    lead = piece.index(stripped[0])
    body = stripped.lstrip("-*•> ").strip()
    body_offset = offset + lead + stripped.index(body) if body else offset
    if stripped.startswith("#") or len(body.split()) < 5 or BOILERPLATE.search(body):
        return []
    return [Sentence(body, passage, body_offset, body_offset + len(body))]


class ExtractiveAnswerer:
    def __init__(self, vocabulary: Vocabulary, max_sentences: int = 3):
        self.vocabulary, self.max_sentences = vocabulary, max_sentences

    def compose(self, question: str, passages: list[Passage], focus: str | None = None, intent: str | None = None) -> Composition:
        """Best sentences for ``question``; words outside ``focus`` (a follow-up's own words) count 0.3."""
        # the words of the answer asked for ("application documents") count as a follow-up's borrowed words do: 0.3
        shape_words = " ".join(answer_type_words(focus or question))
        scored = self._scored(f"{question} {shape_words}" if shape_words else question, passages,
                              focus or (question if shape_words else None))  # fmt: skip
        wanted = _answer_type(focus or question) or INTENT_SHAPES.get(intent or "")
        if wanted is not None:
            for s in scored:
                s.score += 0.15 if wanted.search(s.text) else 0.0
        for phrase in quoted_phrases(focus or question):  # the sentence that uses the words the question quotes
            for s in scored:
                s.score += 0.3 if phrase.search(s.text) else 0.0
        # a timeline tells an episode in consecutive dated lines of one passage: a history answer may take three
        chosen = self._choose(scored, per_passage=3 if intent == "history" or WHO.search(focus or question) else 2)
        # "diff between 1E902.a and 1E902.b?": every code the question names gets a sentence about it alone
        codes = identifier_tokens(question)
        alone = lambda s, code: code in terms(s.text) and not any(o in terms(s.text) for o in codes if o != code)  # noqa: E731
        for code in codes if len(codes) > 1 else []:
            if any(alone(c, code) for c in chosen):
                continue
            best = max((s for s in scored if alone(s, code) and s.overlap > 0), key=lambda s: s.score, default=None)
            if best is not None and all(best.text != c.text for c in chosen):  # near twins differ in the code itself
                chosen.append(best)
        # "what does 1E902 cover?": a code named without its sub-item is answered by each sub-item's own sentence
        for code in [t for t in terms(question) if CODE_WITHOUT_ITEM.fullmatch(t)]:
            for sub in sorted({t for s in scored for t in terms(s.text) if SUB_ITEM.fullmatch(t) and t.startswith(code + ".")})[:4]:
                if any(sub in terms(c.text) for c in chosen):
                    continue
                best = max((s for s in scored if sub in terms(s.text) and s.overlap > 0), key=lambda s: s.score, default=None)
                if best is not None and all(best.text != c.text for c in chosen):
                    chosen.append(best)
        # "where do we file, is there a portal? and where does the certificate go?": each part's best sentence first
        leads: list[Sentence] = []
        for part in question_parts(focus or question):
            # "...and which documents should we have ready?": that part's own answer type, best given by a list
            shape = _answer_type(part)
            fits = lambda s, shape=shape: s.score + (  # noqa: E731
                (0.15 + (0.1 if s.list_after is not None else 0.0)) if shape is not None and shape.search(s.text) else 0.0)
            words = " ".join(answer_type_words(part))
            best = max(self._scored(f"{part} {words}" if words else part, passages, part), key=fits, default=None)
            if best is not None and best.overlap > 0 and all(best.text != c.text for c in leads):
                leads.append(next((c for c in chosen if c.text == best.text), best))
        if leads:
            lists = [lead.list_after for lead in leads if lead.list_after is not None]
            rest = [c for c in chosen if all(c.text != lead.text for lead in leads + lists)]
            chosen = [s for lead in leads for s in (lead, lead.list_after) if s is not None] + rest
        return Composition(
            sentences=chosen,
            best_overlap=max((s.overlap for s in scored), default=0.0),
        )

    def _scored(self, question: str, passages: list[Passage], focus: str | None) -> list[Sentence]:
        """Every sentence of the passages, scored for the question: its words (by IDF, those beyond the document's title
        counting more), an identifier it names, and the passage's own rank and similarity."""
        q_terms = list(dict.fromkeys(terms(question)))
        q_ids = set(identifier_tokens(question)) | {t for t in q_terms if any(c.isdigit() for c in t)}
        own = set(terms(focus)) if focus else set(q_terms)
        weight = {t: self.vocabulary.idf(t) * (1.0 if t in own else 0.3) for t in q_terms}
        total = sum(weight.values()) or 1.0
        top_score = max((p.score for p in passages), default=1.0) or 1.0
        scored = []
        for passage in passages:
            # words the document's title already covers (its name, its number) say little about which sentence answers
            title_terms = set(terms(passage.title))
            beyond_title = {t: w * (0.3 if t in title_terms else 1.0) for t, w in weight.items()}
            beyond_total = sum(beyond_title.values()) or 1.0
            for s in split_sentences(passage):
                s_terms = set(terms(s.text))
                s.overlap = 0.5 * sum(w for t, w in weight.items() if t in s_terms) / total + 0.5 * sum(
                    w for t, w in beyond_title.items() if t in s_terms
                ) / beyond_total
                exact = 0.15 if q_ids & s_terms else 0.0
                s.score = 0.65 * s.overlap + 0.25 * (passage.score / top_score) + exact + 0.1 * passage.dense
                scored.append(s)
        return scored

    def _choose(self, scored: list[Sentence], per_passage: int = 2) -> list[Sentence]:
        chosen: list[Sentence] = []
        taken: dict[str, int] = {}
        for s in sorted(scored, key=lambda s: -s.score):
            if len(chosen) >= self.max_sentences or (chosen and s.score < 0.55 * chosen[0].score):
                break
            if s.overlap == 0 or taken.get(s.passage.chunk_id, 0) >= per_passage or any(_similar(s, c) for c in chosen):
                continue
            chosen.append(s)
            if s.list_after is not None and len(chosen) < self.max_sentences:
                chosen.append(s.list_after)
            taken[s.passage.chunk_id] = taken.get(s.passage.chunk_id, 0) + 1
        return chosen


CODE_WITHOUT_ITEM = re.compile(r"\d[a-z]\d{3}")  # an export control code as terms() gives it: "1e902"
SUB_ITEM = re.compile(r"\d[a-z]\d{3}\.[a-z]")  # "1e902.a"

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
ANSWER_TYPES = [  # (what the question asks, the shape of a sentence that answers it, words such passages use)
    (re.compile(r"\bhow long\b|\bhow many days\b", re.I),
     re.compile(r"\b(?:\d+|one|two|three|four|five|six|seven|ten|twelve|thirty|forty-five)[\s-]+(working\s+)?(days?|weeks?|months?|years?)\b", re.I),
     "time limit period"),
    (re.compile(r"\bhow many\b|\bhow much\b|\broughly\b", re.I), re.compile(r"\b\d[\d,.]*\b"), ""),
    # "when...", "ok and when exactly...?", "...dates please", "on what day"
    (re.compile(r"(?:^|[.?!;:,]\s*|\b(?:and|so|ok|okay|but|then)\s+)when\b|\bwhat dates?\b|\bsince when\b|\bwhich day\b|"
                r"\bon what day\b|\bdates?,? please\b|\b(?:give|with|list) (?:me |us )?(?:the )?dates\b", re.I), re.compile(rf"\b\d{{1,2}} ({_MONTHS}) \d{{4}}\b|\b({_MONTHS}) \d{{4}}\b"),
     ""),
    # "who applies, us or the Chinese supplier?": the sentence saying who the applicant is
    (re.compile(r"\bwho (?:\w+ ){0,2}(?:appl(?:y|ies)|files?|submits?|must apply|has to apply|needs? to apply)\b|"
                r"\b(?:us|we|ourselves) or (?:our|the) (?:\w+ )?(?:supplier|exporter|seller|manufacturer)\b", re.I),
     re.compile(r"\bexporter\b[^.]*\bappl|\bappl\w*\b[^.]*\b(?:exporter|buyer)\b", re.I),
     "the exporter applies"),
    # "what paperwork should we have ready?", "what do we need to assemble before filing?": the documents an application takes
    (re.compile(r"\b(?:paperwork|documents|docs|dossier)\b|\bwhat (?:\w+ ){0,4}(?:submit|provid|prepar|assembl|includ|gather|"
                r"collect|compil|have ready|put together|get together|attach)\w*", re.I),
     re.compile(r"\b(?:documents?|certificates?|application form|the following)\b", re.I),
     "application documents"),
]


# What a sentence answering each intent tends to contain (the intent is learned; see assistant/intent.py).
INTENT_SHAPES = {
    "reasons": re.compile(r"\b(because|reasons?|grounds|motiv\w*|in order to|safeguard\w*|national security|non-proliferation|"
                          r"interests|said|stated|aim(?:s|ed)?|purpose|justif\w*|respon\w+ to|retaliat\w*|in return|citing|"
                          r"accus\w*|over (?:its|their) |agreed|agreement|implement\w*|prompted|triggered|in (?:reaction|reply) to)\b", re.I),
    "history": re.compile(r"\b(19\d\d|200\d|201\d|202[0-3]|WTO|quotas?|earlier|previous\w*|precedent|first time|before)\b", re.I),
    "procedure": re.compile(r"\b(appl(?:y|ies|ication|icant)s?|documents?|certificates?|working days|valid\w*|general licen\w+|"
                            r"submit\w*|review|approv\w+)\b", re.I),
    "coverage": re.compile(r"\b(covers?|covered|lists?|listed|includ\w+|control codes?|1C9\d\d|HS|items?)\b", re.I),
}


# A phrase the question quotes ("what do they mean by 'not bans'?"): the words a source uses, in order.
QUOTED = re.compile(r"(?:^|(?<=[\s(]))['‘\"“]([^'’\"”\n]{2,60}?)['’\"”](?=[\s.,;:?!)]|$)")


def quoted_phrases(question: str) -> list[re.Pattern]:
    """Patterns for the phrases a question puts in quotes: each word (or a longer form of it) in order, up to two
    other words between them, so 'not bans' finds "not export bans".

    >>> [bool(p.search("The spokesperson said they are not export bans.")) for p in quoted_phrases("what is meant by 'not bans'?")]
    [True]
    >>> quoted_phrases("it's the company's rule, isn't it?")
    []
    """
    out = []
    for match in QUOTED.finditer(question):
        words = re.findall(r"\w+", match.group(1))
        if not words or len(words) > 6 or (len(words) == 1 and len(words[0]) < 4):
            continue
        stems = [re.escape(w[: max(3, len(w) - 1)] if len(w) > 3 else w) + r"\w*" for w in words]
        out.append(re.compile(r"\b" + r"\W+(?:\w+\W+){0,2}?".join(stems) + r"\b", re.I))
    return out


# Where a question with several parts starts its next one: after a question mark, or at "; and where ...".
PART_BREAK = re.compile(r"\?\s+|;\s*|,?\s+and\s+(?=(?:what|which|when|where|who|how|why|is|are|does|do|can|must)\b)", re.I)


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks several things, each with enough words to search by; [] for one part.

    >>> question_parts("where do we file the application? and where does the original certificate go?")
    ['where do we file the application', 'where does the original certificate go?']
    >>> question_parts("Do we need a licence for Dy oxide?")
    []
    """
    parts = [p.strip() for p in PART_BREAK.split(question) if len(terms(p)) >= 2]
    parts = [re.sub(r"^(?:and|also|plus)\s+", "", p, flags=re.I) for p in parts]
    return parts if len(parts) > 1 else []


# A question that asks who (which companies, which entities) wants every one a passage names.
WHO = re.compile(r"\bwho\b|\bwhich (?:\w+ )?(?:compan\w*|firms?|entities|parties|makers|producers|exporters)\b", re.I)


def _answer_type(question: str):
    """The shape an answer to "how long / how many / when" questions takes, if it asks one."""
    return next((shape for asks, shape, _ in ANSWER_TYPES if asks.search(question)), None)


def answer_type_words(question: str) -> list[str]:
    """Words the passages answering each part of the question use ("which documents...?": application documents), for
    the search: the passage with the list of an application's documents shares few words with "what should we have
    assembled before filing?".

    >>> answer_type_words("What's the normal review time? And which documents should we have ready?")
    ['application documents']
    """
    return [words for asks, _, words in ANSWER_TYPES if words and asks.search(question)]


def _similar(a: Sentence, b: Sentence) -> bool:
    """Near-duplicates: mostly the same words, unless they say the same thing of different names ("JL Mag received
    one of the first licences" and "Ningbo Yunsheng received one of the first licences" are two facts)."""
    ta, tb = set(terms(a.text)), set(terms(b.text))
    return bool(ta and tb) and _jaccard(ta, tb) > 0.6 and not _parallel(a.text, b.text, ta, tb)


def _parallel(a: str, b: str, ta: set[str], tb: set[str]) -> bool:
    """The same statement of different names: each names what the other does not, and the rest is all but equal."""
    na, nb = _name_terms(a), _name_terms(b)
    return bool(na - nb and nb - na) and _jaccard(ta - na, tb - nb) >= 0.85


def _name_terms(text: str) -> set[str]:
    """The terms of a sentence's capitalised words: the names it speaks of."""
    return {t for w in re.findall(r"\b[A-Z][\w-]*", text) for t in terms(w)}


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def cite(sentence_text: str, passage: Passage, start: int, end: int, n: int) -> Citation:
    """A citation for text[start:end] of a passage; offsets become document offsets."""
    return Citation(
        n=n,
        document=passage.document,
        title=passage.title,
        quote=sentence_text,
        start=passage.start + start,
        end=passage.start + end,
        url=passage.url,
        published=passage.published,
        passage=passage.rank,
        document_id=passage.document_id,
        issuer=passage.issuer,
        issued=passage.issued,
    )
