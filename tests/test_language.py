"""The offline language check and the English reading of Chinese identifiers."""

from __future__ import annotations

import pytest

from assistant.language import (
    ASK_IN_ENGLISH,
    announcements_in,
    chinese_number,
    dates_in,
    detect,
    english_gist,
    not_english_message,
)

ENGLISH = [
    "Is holmium controlled?",
    "dysprosium oxide licence?",
    "Tb to Germany ok",
    "We ship sintered NdFeB magnets with about 4% dysprosium from Ningbo to a German motor maker. Licence now?",
    "wat about gallium exprots to japan",
    "No. 61 of 2025 suspended?",
    "Samarium cobalt magnets: still listed?",
    "1C902.a",
    "Is Dedrone by Axon on the Unreliable Entity List?",
    "Which elements were added on 9 October 2025?",
    "graphite anode material export rules",
    "Antimony, germanium, gallium: status",
    # an English question quoting a name in its own script
    "Is スバル on China's watch list, and since when?",
    "Has 伊藤忠アビエーション been listed by MOFCOM?",
]


@pytest.mark.parametrize("question", ENGLISH)
def test_english_questions_are_english(question):
    assert detect(question) == "en"


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("中国对稀土出口管制的第61号公告是什么？", "zh"),
        ("镝需要许可证吗", "zh"),
        ("ホルミウムは輸出規制の対象ですか？", "ja"),
        ("ジスプロシウムの輸出には許可証が必要ですか", "ja"),
        ("홀뮴은 수출 통제 대상입니까?", "ko"),
        ("Контролируется ли экспорт гольмия из Китая?", "ru"),
        ("¿Está controlada la exportación de holmio desde China hoy en día?", "es"),
        ("Est-ce que l'exportation de l'holmium depuis la Chine est contrôlée aujourd'hui ?", "fr"),
        ("Wird die Ausfuhr von Holmium aus China derzeit kontrolliert?", "de"),
    ],
)
def test_other_languages_are_recognised(question, language):
    assert detect(question) == language


def test_detection_is_repeatable():
    text = "Wird die Ausfuhr von Holmium aus China derzeit kontrolliert?"
    assert {detect(text) for _ in range(20)} == {"de"}


def test_empty_and_symbol_only_text_is_english():
    assert detect("") == detect("??? 123 !!!") == "en"


@pytest.mark.parametrize(
    ("text", "announcements"),
    [
        ("第61号公告", ["Announcement No. 61"]),
        ("商务部公告2025年第57号", ["Announcement No. 57 of 2025"]),
        ("2025 年 第 18 号", ["Announcement No. 18 of 2025"]),
        ("二〇二五年第六十一号", ["Announcement No. 61 of 2025"]),
        ("第６２号与第61号", ["Announcement No. 62", "Announcement No. 61"]),
        ("没有编号", []),
    ],
)
def test_announcement_numbers(text, announcements):
    assert announcements_in(text) == announcements


def test_chinese_numerals():
    assert [chinese_number(t) for t in ("十", "十八", "五十七", "一百零二", "70", "x")] == [10, 18, 57, 102, 70, None]


def test_dates():
    assert dates_in("2025年10月9日起和2026年2月") == ["9 October 2025", "February 2026"]
    assert dates_in("2025年13月1日") == []


@pytest.mark.parametrize(
    ("question", "gist"),
    [
        ("中国对稀土出口管制的第61号公告是什么？", "What is Announcement No. 61 (rare earths, export controls)?"),
        ("镝需要许可证吗？", "Does dysprosium need an export licence?"),
        ("铽和镥的出口需要许可证吗", "Do terbium and lutetium need an export licence?"),
        ("钐、钆、钪、钇受出口管制吗？", "Are samarium, gadolinium, scandium and yttrium export-controlled?"),
        ("钬、铒、铥、铕、镱是否被管制", "Are holmium, erbium, thulium, europium and ytterbium export-controlled?"),
        ("镓、锗、锑和石墨", "gallium, germanium, antimony and graphite?"),
        ("2025年10月9日钬是否受管制？", "Is holmium export-controlled on 9 October 2025?"),
        ("1C902.a 是什么物项需要许可吗", "Does 1C902.a need an export licence?"),
        ("2025年第18号公告是否仍然有效？", "Is Announcement No. 18 of 2025 still in force?"),
        ("不可靠实体清单上有第61号公告吗", "Announcement No. 61 (Unreliable Entity List)?"),
    ],
)
def test_english_gist(question, gist):
    assert english_gist(question) == gist


@pytest.mark.parametrize("question", ["你好", "稀土出口管制是什么？", "不可靠实体清单", "今天天气怎么样"])
def test_nothing_resolves_gives_none(question):
    assert english_gist(question) is None


def test_the_message_speaks_english_and_the_questions_language():
    chinese = not_english_message("zh")
    assert chinese.startswith(ASK_IN_ENGLISH) and "请用英文" in chinese
    assert "Bitte" in not_english_message("de")
    assert not_english_message("sw") == ASK_IN_ENGLISH
    assert not_english_message("") == ASK_IN_ENGLISH


def test_a_party_named_in_its_own_script_is_answered_from_its_listing(engine):
    answer = engine.ask("Is 宇宙航空研究開発機構 on any of China's export control lists?", as_of="2026-03-01")
    assert not answer.refused
    assert "Japan Aerospace Exploration Agency" in answer.answer and "listed" in answer.answer
