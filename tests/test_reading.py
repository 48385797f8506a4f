"""Reading a question: words that look like element symbols, dates, instruments by description, parties.

Phrasings here are written for the tests, not taken from the eval suites.
"""

from __future__ import annotations

import pytest

from assistant.register import items_in
from assistant.understand import described_instrument, destinations, read_dates


@pytest.mark.parametrize(
    "text",
    ["Our client is a German tool maker", "A buyer in Ohio asked us", "Shipping to Germany next month", "In 2025 we exported less"],
)
def test_ordinary_words_are_not_read_as_elements(text):
    assert items_in(text).elements == []


@pytest.mark.parametrize(
    "text, element",
    [("holmuim oxide for a lab", "holmium"), ("Lu and Sc targets", "scandium"), ("we ship In to Korea", "indium")],
)
def test_slips_symbols_in_lists_and_verbs_are_read(text, element):
    assert element in items_in(text).elements


def test_a_date_after_a_place_is_the_date_asked_for():
    query = read_dates("Did terbium need a licence to leave China on 3 November 2025?", "2026-11-24")
    assert query.as_of == "2025-11-03" and query.as_of_source == "question"


def test_a_date_naming_an_event_stays_a_date_talked_about():
    query = read_dates("What did the notice of 9 October 2025 add?", "2026-11-24")
    assert query.as_of == "2026-11-24" and query.dates[0].role == "about"


@pytest.mark.parametrize(
    "text, measure",
    [
        ("Does the 2023 technology catalogue still ban magnet know-how exports?", "mofcom-most-2023-57-tech-catalogue"),
        ("When did the dual-use regulations start to apply?", "state-council-order-792-dual-use-regulations"),
        ("what do the lithium battery controls cover", "mofcom-gac-2025-58"),
    ],
)
def test_instruments_named_by_description(engine, text, measure):
    assert described_instrument(text, engine._open().index.register) == [measure]


@pytest.mark.parametrize("text", ["Do I need a licence to export dysprosium to Japan?", "What restrictions apply to exports by IREL?"])
def test_a_question_that_describes_no_instrument_names_none(engine, text):
    assert described_instrument(text, engine._open().index.register) == []


def test_the_october_package_is_the_latest_october(engine):
    query = engine.understand("is the October package back in force?", as_of="2026-11-24")
    assert "mofcom-gac-2025-57" in query.instruments
    assert "prc-export-control-law-2020" not in query.instruments  # issued in an October too, years earlier


def test_cities_name_their_country():
    assert destinations("for our Osaka client") == ["Japan"] and destinations("a plant near Stuttgart") == ["Germany"]
    assert destinations("an English translation") == []


def test_a_fragment_made_of_corpus_words_is_english(engine):
    assert engine.understand("Tb oxide to japanese defence contractor ok").language == "en"
    assert engine.understand("¿Necesitamos una licencia para exportar disprosio desde China?").language == "es"


def test_a_symbol_before_a_trade_word_is_an_element():
    assert items_in("Ga exports to the US, where do they stand").elements == ["gallium"]


def test_a_business_acronym_in_a_long_question_is_context_but_a_rule_acronym_is_not():
    from assistant.scope import unknown_acronyms

    long = "For a board memo at our wind-turbine OEM client, what did the Busan meeting settle on rare earths and for how long?"
    assert unknown_acronyms(long, set()) == []
    assert unknown_acronyms("For a board memo, does a Korean exporter need a KFTA registration to ship photoresist to China?", set())


def test_a_date_an_event_happened_on_stays_about_even_far_from_its_verb():
    query = read_dates("May EU firms trade with the companies placed on China's watch list in February 2026?", "2026-11-24")
    assert query.as_of == "2026-11-24" and query.dates[0].role == "about"


def test_a_list_is_not_taken_for_a_company_name():
    from assistant.screening import candidate_names

    assert candidate_names("Can Chinese firms deal with those on the Unreliable Entity List?") == []


def test_an_instrument_named_by_its_month_is_not_a_date_talked_about():
    query = read_dates("My colleague says lutetium was only in the April 2025 controls, right?", "2026-11-24")
    assert query.dates == [] and query.as_of == "2026-11-24"


def test_a_window_that_runs_to_today_ends_on_the_as_of_date():
    query = read_dates("What changed for scandium between 1 March 2025 and now?", "2026-11-24")
    assert query.window == ("2025-03-01", "2026-11-24")


def test_a_lists_name_between_an_event_and_its_date_is_no_state_word():
    query = read_dates("Which Korean firms were placed on China's export control list in March 2026, and what follows for us?", "2026-11-24")
    assert query.as_of == "2026-11-24" and query.dates[0].role == "about"
