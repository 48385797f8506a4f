"""Screen names against the parties register: normalise, match with rapidfuzz, read and write batch files.

Normalisation (each rule has a test in ``tests/test_screening.py``):

- Unicode compatibility forms (full-width letters), case, diacritics on Latin letters;
- ``&`` reads as "and"; dots and apostrophes join ("K.K." is "kk"), other punctuation splits words;
- a trailing parenthesised qualifier ("(Canada)") is dropped;
- legal forms (Inc, LLC, Ltd, Co., Corp, GmbH, K.K., plc, 株式会社, 有限公司...) and "the" are dropped.

>>> normalise("The Teledyne FLIR, L.L.C.")
'teledyne flir'
>>> normalise("三菱重工業株式会社")
'三菱重工業'

Matching, for each listed name and alias:

- ``exact``: the same words after normalisation, in any order;
- ``possible``: a fuzzy score (rapidfuzz ratio of the sorted words) at or above
  ``screen_threshold``, one typo in a name of 4+ letters, a name that contains the
  listed name (subsidiary wording), or a distinctive part of a listed name; and
  every match on a parent whose *units* are listed (the corpus does not say which);
- ``none``: never a silent "clear": the note names the lists checked, the date the
  corpus runs to, and where to check.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from assistant.dates import human_date
from assistant.errors import NameInvalid, ScreeningFileInvalid
from assistant.parties import LISTS, PartiesRegister, Party
from assistant.schema import PartyHit, Screening

WHERE_TO_CHECK = "MOFCOM's announcements at www.mofcom.gov.cn (the Unreliable Entity List and export-control announcements)"
LEGAL_FORMS = frozenset(
    "inc incorporated llc ltd limited co corp corporation company gmbh mbh ag kg kgaa kk plc sa sas sarl srl spa "
    "bv nv oy oyj ab asa pty pte lp llp lllp ulc bhd sdn jsc pjsc ooo kabushiki kaisha gk yk the".split()
)
CJK_LEGAL_FORMS = ("株式会社", "有限会社", "合同会社", "(株)", "㈱", "股份有限公司", "有限责任公司", "有限責任公司", "有限公司", "集团", "集團")
# Words too common in company names to make a match on their own ("Global Materials" is not "MP Materials").
GENERIC_WORDS = frozenset(
    "systems system technologies technology tech global international defense defence security aerospace materials "
    "material heavy industries industry operations group holdings holding forum of america american usa us japan "
    "japanese national academy agency exploration aviation rare earth earths by and corporation solutions services "
    "electronics energy engineering shipbuilding aero engines engine unit units canada korea europe research "
    "institute company trading international partners enterprises manufacturing products".split()
)
MAX_NAME_CHARS = 300
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TRAILING_QUALIFIER = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


def normalise(name: str) -> str:
    """The form names are compared in (see the module docstring for the rules)."""
    text = name.casefold() if name.isascii() else _unicode_folded(name)
    text = _TRAILING_QUALIFIER.sub("", text) if not _TRAILING_QUALIFIER.fullmatch(text) else text
    text = text.replace("&", " and ")
    text = re.sub(r"[.'’`]", "", text)
    words = [ABBREVIATIONS.get(w, w) for w in re.sub(r"[^\w]+", " ", text).split()]
    kept = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(kept or words)


# Short forms of words inside names, compared in full: "Halifax Intl Security Forum" is the listed name.
ABBREVIATIONS = {"intl": "international", "int": "international", "natl": "national", "assn": "association",
                 "tech": "technologies", "techs": "technologies", "sys": "systems", "aero": "aerospace", "def": "defense",
                 "defence": "defense", "mfg": "manufacturing", "grp": "group", "hldgs": "holdings", "univ": "university"}  # fmt: skip


_SAME_FORM = {"incorporated": "inc", "limited": "ltd", "corporation": "corp", "company": "co", "kabushiki": "kk",
              "kaisha": "kk", "株式会社": "kk", "(株)": "kk", "㈱": "kk", "有限责任公司": "有限公司", "有限責任公司": "有限公司"}  # fmt: skip


def legal_forms(name: str) -> frozenset:
    """The legal forms a name carries, in one spelling each ("Corporation" is "corp").

    >>> sorted(legal_forms("Teledyne FLIR, L.L.C.")), sorted(legal_forms("Subaru Corporation"))
    (['llc'], ['corp'])
    """
    text = name.casefold() if name.isascii() else unicodedata.normalize("NFKC", name).casefold()
    forms = set() if text.isascii() else {f for f in CJK_LEGAL_FORMS if f in text and f not in ("集团", "集團")}
    words = re.sub(r"[^\w]+", " ", re.sub(r"[.'’`]", "", text)).split()
    forms |= {w for w in words if w in LEGAL_FORMS and w != "the"}
    return frozenset(_SAME_FORM.get(f, f) for f in forms)


def _unicode_folded(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    for form in CJK_LEGAL_FORMS:
        text = text.replace(form, " ")
    return _strip_latin_diacritics(text)


def _strip_latin_diacritics(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch) and out and out[-1] < "\u0250":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def sorted_key(normalised: str) -> str:
    return " ".join(sorted(normalised.split()))


@dataclass(frozen=True)
class _Choice:
    party: int  # index into the register
    label: str  # the listed name or alias as printed
    key: str  # sorted normalised words
    words: frozenset
    kind: str  # name | alias
    cjk: bool
    forms: frozenset = frozenset()


class Screener:
    """Matches names against a parties register. Pure: no audit, no I/O.

    >>> from assistant.parties import PartiesRegister
    >>> Screener(PartiesRegister([])).screen("Acme", "2026-01-01").outcome
    'none'
    """

    def __init__(self, register: PartiesRegister, threshold: float = 88.0):
        if not 0 < threshold <= 100:
            raise ValueError(f"screen_threshold must be between 0 and 100, got {threshold}")
        self.register, self.threshold = register, threshold
        self.choices = [
            _Choice(i, label, sorted_key(normalise(label)), frozenset(normalise(label).split()), kind, bool(_CJK.search(label)),
                    legal_forms(label))
            for i, party in enumerate(register.parties)
            for kind, label in [("name", party.name), *(("alias", a) for a in party.aliases)]
        ]
        self.keys = [c.key for c in self.choices]
        self._lists = register.lists()
        self._notes: dict[tuple[str, bool], str] = {}
        self.by_word: dict[str, list[int]] = {}
        for n, choice in enumerate(self.choices):
            for word in choice.words:
                self.by_word.setdefault(word, []).append(n)

    # -- one name, many names ---------------------------------------------------
    def screen(self, name: str, as_of: str) -> Screening:
        return self.screen_all([check_name(name)], as_of)[0]

    def screen_all(self, names: list[str], as_of: str) -> list[Screening]:
        """Screen names already checked with ``check_name``; vectorised over the whole list."""
        if not names:
            return []
        keys = [sorted_key(normalise(n)) for n in names]
        workers = -1 if len(keys) >= 2000 else 1  # threads cost more than they save on a small batch
        ratios = process.cdist(keys, self.keys, scorer=fuzz.ratio, score_cutoff=self.threshold, workers=workers) if self.keys else None
        edits = process.cdist(keys, self.keys, scorer=OSA.distance, score_cutoff=1, workers=workers) if self.keys else None
        return [self._screening(name, key, ratios, edits, row, as_of) for row, (name, key) in enumerate(zip(names, keys))]

    def _screening(self, name, key, ratios, edits, row, as_of) -> Screening:
        found: dict[int, tuple[float, str, str, _Choice]] = {}
        forms = legal_forms(name)
        for n, score, match, reason in self._candidates(key, ratios, edits, row):
            choice = self.choices[n]
            if match == "exact" and forms and choice.forms and not forms & choice.forms:
                match = "possible"
                reason = f"same name as the listed {choice.kind} '{choice.label}' but another legal form ({', '.join(sorted(forms))})"
            party = self.register.parties[choice.party]
            match, reason = _scope(party, match, reason)
            rank = (match == "exact", score)
            if choice.party not in found or rank > (found[choice.party][1] == "exact", found[choice.party][0]):
                found[choice.party] = (score, match, reason, choice)
        hits = [self._hit(self.register.parties[p], *found[p], as_of) for p in found]
        hits.sort(key=lambda h: (h.match != "exact", -h.score, h.name))
        outcome = hits[0].match if hits else "none"
        return Screening(
            input=name, as_of=as_of, outcome=outcome, hits=hits[:8], lists_checked=list(self._lists),
            corpus_date=self.register.corpus_date, note=self._note(outcome, hits),
        )  # fmt: skip

    def _candidates(self, key, ratios, edits, row):
        words = frozenset(key.split())
        if self.keys:
            for n in ratios[row].nonzero()[0]:
                score = float(ratios[row][n])
                exact = self.keys[n] == key
                yield n, score, "exact" if exact else "possible", _reason(self.choices[n], "the listed" if exact else "similar spelling to the listed")
            if len(key) >= 4:
                for n in (edits[row] <= 1).nonzero()[0]:
                    if self.keys[n] != key and len(self.keys[n]) >= 4:
                        yield n, float(fuzz.ratio(key, self.keys[n])), "possible", _reason(self.choices[n], "one letter off the listed")
        for n in {n for w in words for n in self.by_word.get(w, ())}:
            choice = self.choices[n]
            if words > choice.words and not choice.words <= GENERIC_WORDS:
                yield n, 100.0, "possible", f"the name contains the listed {choice.kind} '{choice.label}'"
            elif words < choice.words and any(len(w) >= 3 and w not in GENERIC_WORDS for w in words):
                score = float(fuzz.token_sort_ratio(key, choice.key))
                yield n, score, "possible", f"the name is part of the listed {choice.kind} '{choice.label}'"
        if _CJK.search(key):
            for n, choice in enumerate(self.choices):
                if choice.cjk and choice.key != key and (choice.key in key or key in choice.key) and len(key) >= 2:
                    yield n, float(fuzz.ratio(key, choice.key)), "possible", f"the name overlaps the listed {choice.kind} '{choice.label}'"

    def _hit(self, party: Party, score: float, match: str, reason: str, choice: _Choice, as_of: str) -> PartyHit:
        status = party.status_on(as_of)
        return PartyHit(
            party_id=party.id, name=party.name, matched=choice.label, score=round(score, 1), match=match, reason=reason,
            list=party.list, meaning=party.meaning.text, status=status.status, since=status.since, until=status.until,
            country=party.country, citation=party.citation(status.evidence, 1) if status.evidence else None,
            list_title=party.list_title, meaning_citation=party.citation(party.meaning, 2), note=status.note,
        )  # fmt: skip

    def lists_checked(self) -> list[str]:
        return list(self._lists)

    def _note(self, outcome: str, hits: list[PartyHit]) -> str:
        key = (outcome, any(h.status == "unknown" for h in hits))
        if key not in self._notes:
            self._notes[key] = self._note_text(outcome, hits)
        return self._notes[key]

    def _note_text(self, outcome: str, hits: list[PartyHit]) -> str:
        lists = ", ".join(LISTS.get(x, x) for x in self.lists_checked()) or "no lists"
        if outcome == "none":
            return (
                f"Not on the lists checked ({lists}) as the corpus records them up to {human_date(self.register.corpus_date)}. "
                f"The corpus is not a complete official list: check {WHERE_TO_CHECK}."
            )
        if any(h.status == "unknown" for h in hits):
            return f"The corpus does not know the current status of at least one listing: check {WHERE_TO_CHECK}."
        return ""


def _reason(choice: _Choice, how: str) -> str:
    return f"{how} {choice.kind} '{choice.label}'"


def _scope(party: Party, match: str, reason: str) -> tuple[str, str]:
    """Parent/subsidiary wording makes a match possible at most, with the body's words as the reason."""
    if party.scope == "units":
        return "possible", f"parent/subsidiary wording: the list names {party.wording or 'units of ' + party.name}"
    if party.scope == "with_subsidiaries" and match == "possible" and "contains" in reason:
        return "possible", f"parent/subsidiary wording: the listing covers {party.wording or party.name + ' and its subsidiaries'}"
    return match, reason


def check_name(name) -> str:
    """A name fit to screen, or NameInvalid with a one-line reason."""
    if not isinstance(name, str):
        raise NameInvalid("The name to screen must be text.")
    name = " ".join(name.split())
    if not name:
        raise NameInvalid("The name to screen is empty.")
    if len(name) > MAX_NAME_CHARS:
        raise NameInvalid(f"That name is {len(name):,} characters long; the limit is {MAX_NAME_CHARS}.")
    if "\x00" in name or any(not ch.isprintable() for ch in name):
        raise NameInvalid("That name contains control characters or binary data; please give plain text.")
    if not normalise(name):
        raise NameInvalid(f"{name!r} has no letters or digits to screen.")
    return name


# -- batch files -----------------------------------------------------------------
NAME_COLUMNS = ("name", "company", "company name", "party", "customer", "customer name", "entity", "organisation", "organization")


@dataclass
class BadRow:
    """A row of a names file that was skipped, and why."""

    row: int  # 1-based line of the file
    value: str
    reason: str


def read_names_csv(path_or_bytes, column: str | None = None, max_names: int = 100_000) -> tuple[list[str], list[BadRow]]:
    """Names from a CSV file (a path, bytes or text), and the rows skipped.

    The column is ``column``, else one headed like "name" or "company", else a
    lone column with no header. A bad row is reported and skipped, never fatal.

    >>> read_names_csv(b"name,country\\nTDK,JP\\n,US\\n")
    (['TDK'], [BadRow(row=3, value='', reason='The name to screen is empty.')])
    """
    rows = list(csv.reader(io.StringIO(_text_of(path_or_bytes))))
    if not rows:
        raise ScreeningFileInvalid("The names file is empty.")
    header = [h.strip() for h in rows[0]]
    index, first = _name_column(header, column)
    names, bad = [], []
    for line, row in enumerate(rows[first:], start=first + 1):
        if not any(cell.strip() for cell in row):
            continue
        value = row[index] if index < len(row) else ""
        try:
            names.append(check_name(value))
        except NameInvalid as problem:
            bad.append(BadRow(line, value[:80], str(problem)))
        if len(names) > max_names:
            raise ScreeningFileInvalid(f"The names file has more than {max_names:,} names; split it (LODESTONE_SCREEN_MAX_NAMES).")
    return names, bad


def _text_of(path_or_bytes) -> str:
    if isinstance(path_or_bytes, str) and "\n" in path_or_bytes:
        return path_or_bytes
    if isinstance(path_or_bytes, (str, Path)):
        try:
            path_or_bytes = Path(path_or_bytes).read_bytes()
        except OSError as e:
            raise ScreeningFileInvalid(f"Can't read the names file {path_or_bytes}: {e.strerror or e}") from None
    if b"\x00" in path_or_bytes[:4096]:
        raise ScreeningFileInvalid("The names file looks binary; give a CSV or plain text file, one name a line.")
    try:
        return path_or_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        return path_or_bytes.decode("cp1252", errors="replace")


def _name_column(header: list[str], column: str | None) -> tuple[int, int]:
    """(column index, first data row) of the names."""
    lowered = [h.casefold() for h in header]
    if column is not None:
        if column.casefold() in lowered:
            return lowered.index(column.casefold()), 1
        raise ScreeningFileInvalid(f"No column {column!r} in the names file; its columns are: {', '.join(header)}")
    for wanted in NAME_COLUMNS:
        if wanted in lowered:
            return lowered.index(wanted), 1
    if len(header) == 1:
        return 0, 0
    raise ScreeningFileInvalid(f"Which column holds the names? Use --column with one of: {', '.join(header)}")


RESULT_COLUMNS = ("input", "as_of", "outcome", "matched_name", "score", "list", "status", "since", "until",
                  "meaning", "reason", "source", "evidence", "other_hits", "note")  # fmt: skip


def result_row(s: Screening) -> dict:
    """One flat row per screened name (the best hit; the others summarised)."""
    best = s.hits[0] if s.hits else None
    others = "; ".join(f"{h.name} ({h.list_title}, {h.match}, {h.score:g})" for h in s.hits[1:])
    return {
        "input": s.input, "as_of": s.as_of, "outcome": s.outcome,
        "matched_name": best.name if best else "", "score": best.score if best else "",
        "list": best.list_title if best else "", "status": best.status if best else "",
        "since": (best.since or "") if best else "", "until": (best.until or "") if best else "",
        "meaning": best.meaning if best else "", "reason": best.reason if best else "",
        "source": best.citation.document if best and best.citation else "",
        "evidence": best.citation.quote if best and best.citation else "", "other_hits": others, "note": s.note,
    }  # fmt: skip


def write_results(screenings: Iterable[Screening], path) -> int:
    """Write results as .csv (one row a name) or .json (full screenings); return the count written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".json"}:
        raise ScreeningFileInvalid(f"Results go to a .csv or .json file, got {path.name!r}")
    partial = path.with_name(path.name + ".partial")
    count = 0
    with partial.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS) if suffix == ".csv" else None
        if writer:
            writer.writeheader()
        else:
            out.write("[")
        for s in screenings:
            if writer:
                writer.writerow(result_row(s))
            else:
                out.write(("," if count else "") + "\n" + json.dumps(s.to_json(), ensure_ascii=False))
            count += 1
        if not writer:
            out.write("\n]\n")
    partial.replace(path)
    return count


_CANDIDATE = re.compile(r"\b([A-Z][\w&.'-]*(?:\s+(?:of|de|the|and|&|[A-Z][\w&.'-]*))*(?:\s*,?\s*(?:Inc|LLC|Ltd|Co|Corp|GmbH|AG|K\.K\.|plc|S\.A\.)\.?)?)")
_NOT_NAMES = {"Is", "Are", "Can", "Could", "Do", "Does", "Did", "We", "Our", "China", "Chinese", "MOFCOM", "The", "What", "Which",
              "Who", "How", "Has", "Have", "Was", "Were", "Should", "Would", "I", "Any", "Check", "Screen", "Please", "Tell"}  # fmt: skip


def party_names_in(text: str, register) -> list[str]:
    """Listed names or aliases that a question contains (for the chat's party look-up); a name's first two words
    ("mitsubishi heavy") come back as those words, to be screened as such."""
    lowered = f" {normalise(re.sub(r'[()（）]', ' ', text))} "  # a bracket in a question is text, not a qualifier of a name
    found = []
    for party in register.parties:
        for name in [party.name, *party.aliases]:
            key = normalise(name)
            acronym = len(name) >= 2 and name.isupper() and re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
            if (len(key) >= 4 and f" {key} " in lowered) or acronym:  # "TDK", "IHI": as written, in capitals
                found.append(party.name)
                break
            # "mitsubishi heavy", "teledyne flir": a name's first two words, long enough not to be a common pair
            words = key.split()
            if len(words) > 2 and len(" ".join(words[:2])) >= 12 and f" {' '.join(words[:2])} " in lowered:
                found.append(" ".join(name.split()[:2]))  # screened as asked, so a part of a name is a possible match
                break
    return list(dict.fromkeys(found))


def candidate_names(text: str) -> list[str]:
    """Capitalised spans that look like a company name ("Solstice Photonics Corp."), for a look-up with no listed name."""
    out = []
    for match in _CANDIDATE.finditer(text):
        words = [w for w in match.group(1).split() if w not in _NOT_NAMES]
        name = " ".join(words).strip(" ,.?")
        capitalised = [w for w in words if w[:1].isupper() and not w.isupper()]
        if re.search(r"\b(list|lists|rule|regulations?|announcement|law|catalogue)\b", name, re.I):
            continue  # "the Unreliable Entity List", "the Affiliates Rule": a list or a rule, not a company
        if legal_forms(name) or len(capitalised) >= 2:  # "Solstice Photonics Corp.", "Westbrook Aerospace"
            out.append(name)
    return [n for n in dict.fromkeys(out) if n][:3]


_WORD_NAME = re.compile(r"\b[A-Z][a-z][\w&'-]{2,}")


def lone_name(text: str, known) -> str | None:
    """A single capitalised word that is likely a company ("is Vacuumschmelze listed?"): not the first word of a
    sentence, and not a word the corpus uses (``known``) or a country; None if there is none.

    >>> lone_name("Quick check - is Vacuumschmelze on a list?", lambda w: w in {"check", "list"})
    'Vacuumschmelze'
    >>> lone_name("Is Germany on a list?", lambda w: False) is None
    True
    """
    from assistant.understand import destinations

    for match in _WORD_NAME.finditer(text):
        before, word = text[: match.start()].rstrip(), match.group(0)
        if not before or before[-1] in ".?!:-–" or word in _NOT_NAMES or destinations(word) or known(word):
            continue
        return word
    return None


LIST_WORDS = {
    "unreliable_entity_list": re.compile(r"\b(unreliable entit\w*|UEL)\b", re.I),
    "watch_list": re.compile(r"\bwatch[- ]?list\w*", re.I),
    "export_control_list": re.compile(r"\b(export[- ]control list|control list)\b", re.I),
}


def listed_parties(register, query) -> list:
    """Parties a "who was listed" question asks for: by list named, listing date, country or instrument named."""
    wanted_lists = {name for name, pattern in LIST_WORDS.items() if pattern.search(query.standalone)}
    days = {d.start for d in query.dates if d.role in {"about", "as_of"} and d.start == d.end}
    months = {(d.start, d.end) for d in query.dates if d.start != d.end and d.role == "about"}  # not "by January"
    countries = {c.lower() for c in query.destinations}
    documents = {i.split("#")[0] for i in query.instruments}
    if not (wanted_lists or days or months or countries or documents):
        return []
    found = []
    for party in register.parties:
        start = party.timeline[0].start
        if wanted_lists and party.list not in wanted_lists:
            continue
        if days and start not in days:
            continue
        if months and not any(a <= start <= b for a, b in months):
            continue
        if countries and (party.country or "").lower() not in countries and not any(c in (party.country or "").lower() for c in countries):
            continue
        if documents and party.document_id not in documents and not (wanted_lists or days or months):
            continue
        found.append(party)
    return found
