"""Which language a question is in, offline, and what a Chinese question names, in English.

Lodestone's corpus and embedding model are English. A question in another
language is either answered through the identifiers it names (announcement
numbers, control and HS codes, element names), rendered in English by
``english_gist``, or declined with ``not_english_message``: never answered about
something else.

``detect`` looks at scripts first (Han, kana, Hangul, Cyrillic, Arabic...: no
guessing needed), then asks ``langdetect`` (seeded, so the same text always gets
the same answer) about Latin-script text, and calls a question English unless
the evidence against it is strong: a short English question must never be
declined.

>>> detect("中国对稀土出口管制的第61号公告是什么？"), detect("Is holmium controlled?")
('zh', 'en')
>>> english_gist("中国对稀土出口管制的第61号公告是什么？")
'What is Announcement No. 61 (rare earths, export controls)?'
>>> english_gist("镝和铽需要出口许可证吗？")
'Do dysprosium and terbium need an export licence?'
>>> english_gist("你好") is None
True
"""

from __future__ import annotations

import re
import threading
import unicodedata

ENGLISH = "en"
SEED = 0
CONFIDENT = 0.95  # langdetect's probability needed to call Latin-script text not English

# -- scripts -----------------------------------------------------------------------------
SCRIPTS = (  # (language, test on one character)
    ("ja", lambda c: "\u3040" <= c <= "\u30ff"),  # kana: Japanese even when Han characters are mixed in
    ("ko", lambda c: "\uac00" <= c <= "\ud7af" or "\u1100" <= c <= "\u11ff"),
    ("zh", lambda c: "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" or "\uf900" <= c <= "\ufaff"),
    ("ru", lambda c: "\u0400" <= c <= "\u04ff"),
    ("ar", lambda c: "\u0600" <= c <= "\u06ff"),
    ("he", lambda c: "\u0590" <= c <= "\u05ff"),
    ("el", lambda c: "\u0370" <= c <= "\u03ff"),
    ("th", lambda c: "\u0e00" <= c <= "\u0e7f"),
    ("hi", lambda c: "\u0900" <= c <= "\u097f"),
)
ENGLISH_WORDS = set(
    "the a an is are was were be been do does did can could will would should may must we i you they it this that "
    "of to for in on at by with from and or not no what which who when where why how any there our my your "
    "need licence license export exports controlled controls control still today now china chinese".split()
)


def detect(text: str, known=None) -> str:
    """A two-letter language code for the text: ``zh``, ``ja``, ``en``... (``en`` when unsure).

    ``known``, if given, tells whether a word is one the corpus uses: "Tb oxide to japanese defence contractor ok"
    is English because its words are the corpus's.

    >>> detect("Wird Holmium aus China noch kontrolliert, und brauchen wir eine Genehmigung?")
    'de'
    """
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return ENGLISH
    if _english_around_names(text, letters, known):  # "Is 三菱マテリアル on the watch list?" asks in English
        return ENGLISH
    for language, in_script in SCRIPTS:
        if language == "ja" and any(in_script(c) for c in letters):
            return "ja"
        if sum(map(in_script, letters)) >= 0.3 * len(letters):
            return language
    return _latin_language(text, known)


def _english_around_names(text: str, letters: list[str], known=None) -> bool:
    """An English sentence that quotes a name in another script: at least four Latin-script words that read as
    English, and most letters Latin.

    >>> detect("Is 三菱マテリアル on China's watch list as of today?"), detect("三菱マテリアルは監視リストに載っていますか？")
    ('en', 'ja')
    """
    other = sum(1 for c in letters if any(in_script(c) for _, in_script in SCRIPTS))
    if not other or other >= 0.5 * len(letters):
        return False
    latin = re.sub(r"[^\x00-\x7f]+", " ", text)
    return len(re.findall(r"[A-Za-z]+", latin)) >= 4 and _latin_language(latin, known) == ENGLISH


def _latin_language(text: str, known=None) -> str:
    """``known(word)``: is the word one the (English) corpus uses? A fragment made of them is English."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    english = sum(w in ENGLISH_WORDS for w in words)
    if known is not None and words and sum(1 for w in words if w in ENGLISH_WORDS or known(w)) >= 0.6 * len(words):
        return ENGLISH
    if len(words) < 4 or english >= max(1, 0.2 * len(words)):
        return ENGLISH
    best = _probabilities(text)
    if best and best[0].lang != ENGLISH and best[0].prob >= CONFIDENT:
        return best[0].lang.split("-")[0]
    return ENGLISH


_factory = None
_factory_lock = threading.Lock()


def _probabilities(text: str) -> list:
    """langdetect's guesses, best first, from a private seeded factory (the same text, the same answer)."""
    global _factory
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    with _factory_lock:
        if _factory is None:
            factory = DetectorFactory()
            factory.load_profile(PROFILES_DIRECTORY)
            factory.set_seed(SEED)
            _factory = factory
    detector = _factory.create()
    detector.append(text)
    try:
        return detector.get_probabilities()
    except LangDetectException:
        return []


# -- Chinese identifiers -------------------------------------------------------------------
ELEMENTS = {
    "镧": "lanthanum", "铈": "cerium", "镨": "praseodymium", "钕": "neodymium", "钷": "promethium",
    "钐": "samarium", "铕": "europium", "钆": "gadolinium", "铽": "terbium", "镝": "dysprosium",
    "钬": "holmium", "铒": "erbium", "铥": "thulium", "镱": "ytterbium", "镥": "lutetium",
    "钪": "scandium", "钇": "yttrium", "镓": "gallium", "锗": "germanium", "锑": "antimony",
    "钨": "tungsten", "铟": "indium", "铋": "bismuth", "钼": "molybdenum", "碲": "tellurium",
    "锂": "lithium", "石墨": "graphite", "超硬材料": "superhard materials",
}  # fmt: skip
TERMS = {  # longest first, so 出口管制管控名单 is read before 出口管制
    "不可靠实体清单": "Unreliable Entity List",
    "出口管制管控名单": "export control list",
    "关注名单": "watch list",
    "两用物项": "dual-use items",
    "出口管制": "export controls",
    "出口许可证": "export licence",
    "许可证": "licence",
    "稀土": "rare earths",
    "永磁": "permanent magnets",
    "磁铁": "magnets",
    "磁体": "magnets",
    "氧化物": "oxides",
    "技术": "technology",
    "暂停": "suspension",
    "商务部": "MOFCOM",
    "海关总署": "the General Administration of Customs",
}
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUMBER = r"[0-9０-９]+|[零〇一二两三四五六七八九十百]+"
ANNOUNCEMENT = re.compile(rf"(?:({NUMBER})\s*年\s*)?第\s*({NUMBER})\s*号")
DATE = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月(?:\s*([0-9]{1,2})\s*[日号])?")
CONTROL_CODE = re.compile(r"(?<![0-9A-Za-z])[0-9][A-E][0-9]{3}(?:\.[a-z])?(?![0-9A-Za-z])")
HS_CODE = re.compile(r"(?<![0-9.])[0-9]{4}\.[0-9]{2}(?:\.?[0-9]{2})?(?![0-9])")
MONTHS = "January February March April May June July August September October November December".split()
ASKS_WHAT = ("是什么", "什么是", "内容", "哪些", "什么")
ASKS_LICENCE = ("许可", "需要")
ASKS_YES_NO = ("吗", "是否", "有没有", "是不是")


def chinese_number(text: str) -> int | None:
    """Arabic or Chinese numerals as a number: "61", "六十一", "二〇二五".

    >>> chinese_number("六十一"), chinese_number("二〇二五"), chinese_number("６１")
    (61, 2025, 61)
    """
    text = unicodedata.normalize("NFKC", text)
    if text.isdigit():
        return int(text)
    if all(c in DIGITS for c in text):  # digit by digit: 二〇二五
        return int("".join(str(DIGITS[c]) for c in text))
    total, current = 0, 0
    for c in text:
        if c in DIGITS:
            current = DIGITS[c]
        elif c in "十百":
            total += (current or 1) * (10 if c == "十" else 100)
            current = 0
        else:
            return None
    return total + current


def announcements_in(text: str) -> list[str]:
    """"Announcement No. N [of YYYY]" for every 第N号 in the text.

    >>> announcements_in("商务部 海关总署公告2025年第57号 和 第六十一号公告")
    ['Announcement No. 57 of 2025', 'Announcement No. 61']
    """
    found = []
    for match in ANNOUNCEMENT.finditer(text):
        number, year = chinese_number(match[2]), chinese_number(match[1]) if match[1] else None
        if number:
            found.append(f"Announcement No. {number}" + (f" of {year}" if year else ""))
    return list(dict.fromkeys(found))


def dates_in(text: str) -> list[str]:
    """Dates written the Chinese way, in English: 2025年10月9日 -> "9 October 2025"."""
    found = []
    for year, month, day in DATE.findall(text):
        if 1 <= int(month) <= 12:
            found.append(f"{int(day)} {MONTHS[int(month) - 1]} {year}" if day else f"{MONTHS[int(month) - 1]} {year}")
    return found


def _named(table: dict[str, str], text: str) -> list[str]:
    """English names of the table's keys in the order they appear in the text, each once, longest key first."""
    spans = []
    for key in sorted(table, key=len, reverse=True):
        for match in re.finditer(re.escape(key), text):
            if not any(s <= match.start() < e for s, e, _ in spans):
                spans.append((match.start(), match.end(), table[key]))
    return list(dict.fromkeys(name for _, _, name in sorted(spans)))


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def english_gist(text: str) -> str | None:
    """An English question built from what a Chinese question names, or None when nothing resolves.

    Only identifiers count: announcement numbers, element names, control and HS
    codes. Terms (稀土, 出口管制...) only add context to them.

    >>> english_gist("2025年第18号公告对钐的管制是否仍然有效？")
    'Is Announcement No. 18 of 2025 still in force for samarium?'
    """
    instruments = announcements_in(text)
    elements = _named(ELEMENTS, text)
    codes = list(dict.fromkeys(CONTROL_CODE.findall(text) + HS_CODE.findall(text)))
    if not (instruments or elements or codes):
        return None
    terms = [t for t in _named(TERMS, text) if not (elements and t in {"licence", "export licence"})]
    dates = dates_in(text)
    when = f" on {dates[0]}" if dates else ""
    items = _and(elements + codes) if elements or codes else ""
    context = f" ({', '.join(terms)})" if terms else ""
    if instruments and ("有效" in text or "生效" in text):
        return f"Is {_and(instruments)} still in force{' for ' + items if items else ''}{when}?"
    if items and any(w in text for w in ASKS_LICENCE):
        verb = "Does" if len(elements + codes) == 1 else "Do"
        return f"{verb} {items} need an export licence{when}?"
    if instruments and any(w in text for w in ASKS_WHAT):
        return f"What is {_and(instruments)}{' on ' + items if items else ''}{context}?"
    if items and any(w in text for w in ASKS_YES_NO + ("管制", "管控")):
        return f"{'Is' if len(elements + codes) == 1 else 'Are'} {items} export-controlled{when}{' under ' + _and(instruments) if instruments else ''}?"
    return f"{_and(instruments + ([items] if items else []))}{context}{when}?"


# -- the message for a question that cannot be read ------------------------------------------
ASK_IN_ENGLISH = "Lodestone answers questions in English. Please ask again in English, for example: Is holmium controlled?"
IN_THEIR_LANGUAGE = {
    "zh": "Lodestone 只能回答英文问题。请用英文重新提问，例如：Is holmium controlled?",
    "ja": "Lodestone は英語の質問にのみ回答します。英語で質問してください（例: Is holmium controlled?）。",
    "ko": "Lodestone은 영어 질문에만 답합니다. 영어로 다시 질문해 주세요. 예: Is holmium controlled?",
    "ru": "Lodestone отвечает только на вопросы на английском. Задайте вопрос по-английски, например: Is holmium controlled?",
    "de": "Lodestone beantwortet nur Fragen auf Englisch. Bitte fragen Sie auf Englisch, z. B.: Is holmium controlled?",
    "fr": "Lodestone ne répond qu'aux questions en anglais. Posez-la en anglais, par exemple : Is holmium controlled?",
    "es": "Lodestone solo responde preguntas en inglés. Pregunte en inglés, por ejemplo: Is holmium controlled?",
    "pt": "O Lodestone só responde a perguntas em inglês. Pergunte em inglês, por exemplo: Is holmium controlled?",
    "it": "Lodestone risponde solo a domande in inglese. Chieda in inglese, ad esempio: Is holmium controlled?",
}


def not_english_message(language: str) -> str:
    """The English message, followed by the same in the question's language where Lodestone has it.

    >>> not_english_message("xx") == ASK_IN_ENGLISH
    True
    """
    local = IN_THEIR_LANGUAGE.get((language or "").split("-")[0].lower())
    return f"{ASK_IN_ENGLISH}\n{local}" if local else ASK_IN_ENGLISH
