"""Evidence checks: can the corpus answer this question at all?

What a question asks for (including out-of-scope, evasion and advice) is
learned (``assistant/intent.py``). These checks are about the corpus, not the
wording, and each is exact:

- **anchors**: identifiers of the domain (announcement numbers, codes,
  element names...). A question with none, and no confident in-domain intent,
  is answered only when one quoted sentence covers most of it;
- **missing figures**: a figure asked for a month, a money amount (a fee, a
  price) or a process parameter (a temperature) that no quoted sentence gives;
- **unknown acronyms**: a regime or body the corpus never mentions (FEFTA,
  REACH) cannot be answered from it.

>>> unknown_acronyms("Does METI need a FEFTA licence?", {"MOFCOM", "METI"})
['FEFTA']
>>> has_anchor("what's 1E902.b?")
True
"""

from __future__ import annotations

import re

from assistant.keyword import identifier_tokens
from assistant.register import items_in

ANCHORS = re.compile(
    r"\b(export|exports|exporter|exporting|import|licen[cs]e[sd]?|licen[cs]ing|permit|mofcom|commerce ministry|"
    r"ministry of commerce|customs|gac|dual[- ]use|rare[- ]earths?|rees?|magnets?|ndfeb|smco|announcements?|anns?\.?|"
    r"catalogue|unreliable entit|watch[- ]list|control list|entity list|suspen\w*|general licen|extraterritorial|"
    r"de minimis|0\.1 ?%|re-?export|end[- ]users?|end[- ]use|military|affiliates rule|sanction|controls?|controlled|"
    r"state council|order \d+|technolog\w*|superhard|graphite|batter\w*|truce|busan|restrict\w*|ban|banned|"
    r"pause[sd]?|package|take effect|took effect|in force|entit(y|ies))\b|0\.1 ?%",
    re.I,
)
ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{2,6}\b")
MONEY_QUESTION = re.compile(
    r"\b((?<!by )how much (?:does|do|is|are|will|would|did)\b|how expensive|what(?:'s| is| are| was)? (?:the )?(?:\w+\s+){0,2}"
    r"(?:price|cost|fee|charge)s?\b|spot price|share price|trading at|going for|price (?:per|today|now|this)|"
    r"(?:fine|penalty|fee|price|cost|charge)s?\s+in\s+(?:yuan|rmb|cny|dollars?|usd|euros?)\b|"
    r"how (?:much|large|big|high) (?:is |are |would |will |could )?(?:the |a )?(?:fine|penalt\w*)|"
    r"\b(?:fee|price|cost|charge|fine)s?\b.{0,30}\bhow much\b|"
    r"\b(?:maximum|minimum|max|highest|lowest|top)\s+(?:\w+\s+)?(?:fine|penalt\w*)|\btimes (?:the )?(?:\w+ )?(?:turnover|revenue|income|value)\b)",
    re.I,
)
MONEY = re.compile(r"(?:[$€£¥]|\b(?:RMB|CNY|USD|EUR|yuan|dollars?|euros?)\b)\s*\d|\d[\d,.]*\s*(?:RMB|CNY|USD|EUR|yuan|dollars?|euros?)\b|"
                   r"\b(?:\d+|two|three|four|five|ten|twenty)\s+times\b|"
                   r"\b(free of charge|no fee|fees?)\b", re.I)


NAME_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:[ -](?:of |and |the |on |for )?[A-Z][a-z]+){1,6}")
# An acronym naming a kind of firm or unit ("an EMS firm") is not what the question hangs on.
ACRONYM_AS_ADJECTIVE = re.compile(r"^\W*(firm|company|companies|supplier|plant|factory|customer|team|department|unit|business|maker)s?\b", re.I)


def acronyms_of(texts) -> set[str]:
    """Upper-case identifiers the corpus uses (MOFCOM, BIS), and the initials of its names (UEL)."""
    found: set[str] = set()
    for text in texts:
        found.update(ACRONYM.findall(text))
        for phrase in NAME_PHRASE.findall(text):
            words = [w for w in re.split(r"[ -]", phrase) if w and w[0].isupper()]
            found.add("".join(w[0] for w in words))
    return found


def unknown_acronyms(question: str, known: set[str]) -> list[str]:
    """Acronyms a question hangs on that the corpus never mentions ("FEFTA", "REACH"): it cannot answer them.

    In a long question an acronym only counts beside a word for a rule ("a FEFTA licence", "ITAR registration");
    "for a wind-turbine OEM" is context.

    >>> unknown_acronyms("Does METI want a FEFTA licence?", set()), unknown_acronyms(
    ...     "For the outlook of a wind-turbine OEM customer, what was agreed in Busan on rare earths and for how long?", set())
    (['METI', 'FEFTA'], [])
    """
    long = len(question.split()) > 12
    return [
        m.group(0) for m in ACRONYM.finditer(question)
        if m.group(0) not in known and not any(c.isdigit() for c in m.group(0))
        and not ACRONYM_AS_ADJECTIVE.match(question[m.end():])
        and (not long or RULE_WORD.search(question[max(0, m.start() - 30) : m.end() + 30]) or regime_named(question, [m.group(0)]))
    ]  # fmt: skip


def regime_named(question: str, acronyms: list[str]) -> bool:
    """One of these acronyms names the rule asked about: a rule word follows it ("REACH registration duties"), or it is
    what something is done under ("what do we need under EU REACH to import Nd oxide?").

    >>> regime_named("What are the EU REACH registration obligations for NdFeB?", ["REACH"]), regime_named(
    ...     "Our ACME plant ships NdFeB to Spain: licence?", ["ACME"])
    (True, False)
    >>> regime_named("What do we need under EU REACH to import Nd oxide?", ["REACH"])
    True
    """
    return any(RULE_WORD.match(m.group(1)) for a in acronyms for m in re.finditer(rf"\b{re.escape(a)}\b\W+(\w+)", question)) or any(
        re.search(rf"\b(?:under|per|pursuant to|compl(?:y|ying|iant) with)\s+(?:the\s+)?(?:[A-Z]{{2,}}\s+)?{re.escape(a)}\b", question)
        for a in acronyms)


RULE_WORD = re.compile(r"\b(licen[cs]\w*|laws?|acts?|rules?|regulations?|regulat\w+|registration|registered|regime|"
                       r"controls?|requirements?|reqs|permits?|lists?|sanctions?|ministry|agency|authority)\b", re.I)


# A parameter is asked for when the question's own words ask it ("at what temperature", "which atmosphere should
# we use"), not when a product is described by one ("magnets with 4% Dy for temperature stability").
PARAMETER_WORD = r"(?:temperatures?|temps?|atmospheres?|gas|pressures?|furnace settings?|heating rates?|profiles?)"
PARAMETER_QUESTION = re.compile(
    rf"\b(?:what|which|how high|how hot)\b(?:\W+\w+){{0,4}}?\W+{PARAMETER_WORD}\b|\b{PARAMETER_WORD}\b(?:\W+\w+){{0,3}}?\W+"
    r"(?:should|do|does|must|to use|is needed|is used|are used)\b|\b(?:furnace settings?|heating rates?)\b",
    re.I,
)
PARAMETER = re.compile(r"\d\s*(?:°|degrees|℃|bar|pa\b|kpa|mpa)|\b(argon|vacuum|nitrogen|hydrogen atmosphere)\b", re.I)


def missing_parameter(question: str, quoted: list[str]) -> bool:
    """A process parameter asked for (a temperature, an atmosphere) that no quoted sentence gives.

    >>> [bool(PARAMETER_QUESTION.search(q)) for q in ("At what temperature do you sinter NdFeB?",
    ...     "Which sintering atmosphere should we use?", "NdFeB with 4% Dy for temperature stability: licence needed?")]
    [True, True, False]
    """
    return bool(PARAMETER_QUESTION.search(question)) and not any(PARAMETER.search(s) for s in quoted)


def missing_amount(question: str, quoted: list[str]) -> bool:
    """A money figure asked for (a fee, a price, the largest fine) that no quoted sentence gives.

    >>> missing_amount("What's the maximum fine for exporting Dy without a licence?", ["Violations are punished."])
    True
    >>> missing_amount("What's the maximum fine?", ["Fines reach five times the illegal turnover."]), missing_amount(
    ...     "What are the penalties for exporting without a licence?", ["Violations are punished."])
    (False, False)
    """
    return bool(MONEY_QUESTION.search(question)) and not any(MONEY.search(s) for s in quoted)


# A count or weight asked for, and the unit it is counted in: "how many tonnes", "what volume (in tons)".
QUANTITY_QUESTION = re.compile(
    r"\bhow (?:many|much)\b(?:\W+\w+){0,3}?\W+(tonnes?|tons?|kilo(?:gram)?s?|kg|licen[cs]es|applications|shipments|containers)\b"
    r"|\bwhat (?:tonnage|volume|quantity|amount|number of (licen[cs]es|applications|shipments))\b",
    re.I,
)


def missing_quantity(question: str, quoted: list[str]) -> bool:
    """A quantity asked for in a unit ("how many tonnes of Dy oxide were licensed to Germany?") that no quoted sentence
    gives as a number in that unit.

    >>> missing_quantity("How many tonnes of Dy oxide went to Germany?", ["Exports of dysprosium fell in 2025."])
    True
    >>> missing_quantity("How many tonnes of Dy oxide went to Germany?", ["Germany took 12 tonnes of Dy oxide."])
    False

    A figure for something else is no answer: magnet tonnages don't say how much dysprosium was licensed.

    >>> missing_quantity("How many tonnes of dysprosium oxide were licensed?", ["Magnet exports were 5,774 tonnes."])
    True
    >>> missing_quantity("How many tonnes of magnets went to Germany?", ["Magnet exports were 5,774 tonnes."])
    True
    >>> missing_quantity("How many licences were approved?", ["The December 2025 general licences were approved."])
    True
    """
    match = QUANTITY_QUESTION.search(question)
    if not match:
        return False
    named = match.group(1) or match.group(2)
    unit = re.escape(named.lower().rstrip("s")[:6]) if named else r"(?:t\b|tonne|ton\b|tons\b|kg\b)"
    # a year is no quantity: "the December 2025 general licences" gives no number of licences
    given = re.compile(rf"(?<![\d.,])(?!(?:19|20)\d\d\b)\d[\d,.]*\s*(?:[\w-]+\s+){{0,2}}?{unit}", re.I)
    from assistant.understand import destinations

    elements, places = set(items_in(question).elements), set(destinations(question))
    return not any(given.search(s) and (not elements or elements & set(items_in(s).elements))
                   and (not places or places & set(destinations(s))) for s in quoted)  # fmt: skip


def missing_period(question: str, quoted: list[str]) -> bool:
    """A figure asked for a month ("how many tonnes in August 2026?") that no quoted sentence mentions."""
    import re

    from assistant.understand import MONTH_YEAR

    if not re.search(r"\bhow (many|much)\b|\bwhat (tonnage|volume|quantity|amount)\b|\b(tonnes|tons|tonnage|volumes?)\b", question, re.I):
        return False
    match = MONTH_YEAR.search(question)
    if match is None:
        return False
    month, year = match.group(1)[:3].lower(), match.group(2)
    return not any(month in s.lower() and year in s for s in quoted)


# A money value asked for ("the total US-dollar value of exports in 2025"), beside prices and fines (MONEY_QUESTION).
VALUE_QUESTION = re.compile(r"\b(?:dollar|usd|us-dollar|euro|yuan|rmb)[- ]value\b|\bvalue in (?:us )?(?:dollars|usd|euros|yuan|rmb)\b|"
                            r"\bhow much (?:\w+ ){0,4}worth\b|\bwhat (?:was|is|were) (?:\w+ ){0,3}worth\b", re.I)


def missing_value(question: str, quoted: list[str]) -> bool:
    """A money value of trade asked for that no quoted sentence gives as money.

    >>> missing_value("What was the total US-dollar value of China's rare-earth exports in 2025?", ["Exports fell in 2025."])
    True
    """
    return bool(VALUE_QUESTION.search(question)) and not any(MONEY.search(s) for s in quoted)


# A record of enforcement asked for ("what fines did MOFCOM impose in 2025?", "has anyone been prosecuted?"), not what
# the law provides ("what penalties can be imposed?").
ENFORCEMENT_QUESTION = re.compile(
    r"\bwhat (?:fines|penalties|sanctions) (?:did|has|have|were)\b|\b(?:has|have|was|were) (?:\w+ ){0,3}(?:been )?"
    r"(?:fined|prosecuted|convicted|penali[sz]ed)\b|\bhow many (?:\w+ ){0,3}(?:were |have been |got )?(?:fined|prosecuted|"
    r"convicted|penali[sz]ed|cases)\b|\benforcement (?:cases|actions|record)\b", re.I)
ENFORCED = re.compile(r"\b(?:fined|prosecuted|convicted|penali[sz]ed|caught|seized|cases? (?:of|against))\b", re.I)


def missing_enforcement(question: str, quoted: list[str]) -> bool:
    """Enforcement cases asked for that no quoted sentence reports.

    >>> missing_enforcement("What fines did MOFCOM impose in 2025 on companies breaching Ann 18?", ["Violators are liable."])
    True
    >>> missing_enforcement("What penalties can be imposed for exporting without a licence?", ["Violators are liable."])
    False
    >>> missing_enforcement("Was the 2023 catalogue caught by the suspension?", ["It was not suspended."])
    False
    """
    return bool(ENFORCEMENT_QUESTION.search(question)) and not any(ENFORCED.search(s) for s in quoted)


# A country as the one who acted ("how did the Dutch government respond?", "Germany's reaction"), not a destination.
ACTOR_WORDS = r"(?:government|ministry|authorities|officials|parliament|regulators?|response|reaction|retaliation)"
HOW_DID = re.compile(r"\b(?:how|did|has|have|what did)\s+(?:the\s+)?(?P<who>[A-Z][\w.]+(?:\s+[A-Z][\w.]+)?)(?:['’]s)?\s+"
                     rf"(?:{ACTOR_WORDS}\s+)?(?:respond|react|retaliat|answer|reply|do about)\w*")
ACTOR = re.compile(rf"\b(?P<who>[A-Z][\w.]+(?:\s+[A-Z][\w.]+)?)(?:['’]s)?\s+{ACTOR_WORDS}\b")


def missing_actor(question: str, quoted: list[str]) -> bool:
    """A country's own response asked for ("How did the Dutch government respond to the October 2025 controls?") that
    no quoted sentence mentions that country in.

    >>> missing_actor("How did the Dutch government respond to China's controls?", ["The US called them coercion."])
    True
    >>> missing_actor("How did the US government respond to China's controls?", ["The United States called them coercion."])
    False
    """
    from assistant.understand import destinations

    countries = {c for m in [*HOW_DID.finditer(question), *ACTOR.finditer(question)] for c in destinations(m.group("who"))}
    countries.discard("China")
    return bool(countries) and not any(countries & set(destinations(s)) for s in quoted)


def has_anchor(question: str) -> bool:
    return bool(ANCHORS.search(question) or identifier_tokens(question) or items_in(question))
