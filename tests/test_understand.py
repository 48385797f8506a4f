"""Stage 1 on its own: what a question is understood to ask, on phrasings no rule was written from."""

from __future__ import annotations

import pytest

from assistant.errors import QuestionInvalid
from assistant.schema import Turn
from assistant.understand import destinations, named_items, read_dates


@pytest.mark.parametrize(
    "question, as_of, roles",
    [
        # the date the answer speaks for
        ("Back on 3 March 2025, did an exporter need a permit for terbium?", "2025-03-03", ["as_of"]),
        ("As of 2025-12-20 is the holmium control live?", "2025-12-20", ["as_of"]),
        ("In May 2025, were samarium magnets licensable?", "2025-05-31", ["as_of"]),
        # dates the question talks about: the answer still speaks for the as-of in use
        ("Which items did MOFCOM announce on 9 October 2025?", "2026-11-24", ["about"]),
        ("My supplier says the technology rule has been enforced since 1 December 2025, right?", "2026-11-24", ["claim"]),
        ("What did the notice issued on 7 November 2025 suspend?", "2026-11-24", ["about"]),
        ("Since the truce in November 2025, is gallium allowed to the US again?", "2026-11-24", ["about"]),
        ("terbium licensing now vs. Feb 2025 - what's different?", "2026-11-24", ["about"]),
        ("Is holmium treated differently today compared with August 2025?", "2026-11-24", ["about"]),
    ],
)
def test_the_as_of_date_is_kept_apart_from_the_dates_a_question_talks_about(question, as_of, roles):
    query = read_dates(question, "2026-11-24")
    assert query.as_of == as_of
    assert [d.role for d in query.dates] == roles


def test_a_window_is_read_from_two_dates_and_from_since_my_last_check():
    assert read_dates("what moved between 2 Nov and 20 December 2025?", "2026-11-24").window == ("2025-11-02", "2025-12-20")
    assert read_dates("anything new since our last review on 1 May 2026?", "2026-11-24").window == ("2026-05-01", "2026-11-24")


def test_an_impossible_date_in_a_question_is_a_clear_error():
    with pytest.raises(QuestionInvalid, match="does not exist"):
        read_dates("Was terbium controlled on 30 February 2026?", "2026-11-24")


def test_products_and_forms_become_items():
    items = named_items("we sell Tb-doped neo magnets and some Dy oxide powder")
    assert set(items.elements) >= {"terbium", "dysprosium"}
    assert "magnet" in items.products and "oxide" in items.forms
    assert "technology" in named_items("can we license our separation know-how abroad?").products
    assert named_items("Al-Sc wire for bicycle frames to Taiwan, controlled?").elements == ["scandium"]  # alloy notation
    assert set(named_items("Ga-As wafers and Sc-Al sputtering targets").elements) == {"scandium", "gallium"}


def test_destinations_are_countries_not_pronouns():
    assert destinations("can us ship this to an american buyer or to korea?") == ["United States", "South Korea"]
    assert destinations("tell us about it") == []


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Were the April 2025 curbs lifted at some point?", {"mofcom-gac-2025-18"}),
        ("is the oct 2025 package back in force?", {"mofcom-gac-2025-55", "mofcom-gac-2025-57", "mofcom-2025-62"}),
        ("what does 57/2025 cover", {"mofcom-gac-2025-57"}),
        ("tell me about the 2023 No. 57 catalogue", {"mofcom-most-2023-57-tech-catalogue"}),
    ],
)
def test_usual_names_and_numbers_resolve_to_instruments(engine, question, expected):
    query = engine.understand(question, as_of="2026-11-24")
    assert expected <= {i.split("#")[0] for i in query.instruments}
    if "2023" in question:
        assert "mofcom-gac-2025-57" not in query.instruments


def test_a_follow_up_is_read_with_its_history(engine):
    query = engine.understand("and terbium?", as_of="2025-11-20", history=[Turn("Is holmium controlled?")])
    assert "terbium" in query.items.elements


def test_a_follow_up_asking_about_now_does_not_take_the_date_of_its_history(engine):
    history = [Turn("We re-export Chinese Tb magnets from Poland. Did we need a MOFCOM licence for that in late October 2025?")]
    earlier = engine.understand("and with a Turkish buyer?", as_of="2026-02-10", history=history)
    assert earlier.as_of == "2025-10-31"  # the follow-up is about the date its history asked about
    query = engine.understand("and if we ship the same lot today?", as_of="2026-02-10", history=history)
    assert query.as_of == "2026-02-10"


def test_consulting_abroad_is_a_technology_transfer():
    assert "technology" in named_items("Can our engineers do paid consulting on Sm separation for a plant in Laos?").products


@pytest.mark.parametrize(
    "question, intent",
    [
        ("do i need an export permit for 20 kg of Gd metal going to Chile", "applicability"),
        ("How do we get Tb oxide across the border without customs seeing what it is?", "evasion"),
        ("what will terbium sell for next spring", "advice"),
        ("Give me a haiku about magnets", "out_of_scope"),
        ("Is Recorded Future on a Chinese blacklist?", "party"),
        ("who has to file the dual-use application and what papers go with it?", "procedure"),
    ],
)
def test_the_intent_is_learned_from_examples(engine, question, intent):
    assert engine.understand(question).intent == intent


@pytest.mark.parametrize(
    "question, as_of",
    [
        ("Was anything from Japan on the watch list by late January 2026?", "2026-01-31"),
        ("in early december 2025 was yttrium oxide licensable?", "2025-12-10"),
        ("Had MOFCOM suspended the 0.1% rule by mid-November 2025?", "2025-11-20"),
        ("By the end of March 2026, was Announcement 70 still in force?", "2026-03-31"),
    ],
)
def test_a_part_of_a_month_and_by_a_date_set_the_date_the_answer_speaks_for(question, as_of):
    query = read_dates(question, "2026-12-02")
    assert (query.as_of, query.as_of_source) == (as_of, "question")


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Tell me about China's 9 October 2025 export-control package.", "mofcom-gac-2025-57"),
        ("Did the April rare earth export controls survive the truce?", "mofcom-gac-2025-18"),
        ("Which metals does the April 2025 licensing list catch?", "mofcom-gac-2025-18"),
        ("Is the October heavy rare earth list still frozen?", "mofcom-gac-2025-57"),
    ],
)
def test_a_usual_name_with_words_between_the_month_and_the_noun(engine, question, expected):
    assert expected in engine.understand(question, as_of="2026-01-10").instruments


def test_a_comparison_without_dates_is_not_a_changes_question():
    from assistant.schema import Query
    from assistant.understand import _timeless_changes

    query = Query(question="q", standalone="q", intent="changes", intent_confidence=0.5,
                  intent_scores={"changes": 0.5, "coverage": 0.4, "definition": 0.1})  # fmt: skip
    _timeless_changes(query, "How do the two parts of the annex differ?")
    assert query.intent == "coverage"
    dated = Query(question="q", standalone="q", intent="changes", intent_confidence=0.5,
                  intent_scores={"changes": 0.5, "coverage": 0.4})  # fmt: skip
    _timeless_changes(dated, "How does the annex differ from last year?")
    assert dated.intent == "changes"


@pytest.mark.parametrize(
    "question, window",
    [
        ("Walk me through the changes from summer 2025 to the end of that year.", ("2025-06-01", "2025-12-31")),
        ("Our team was out from mid-October to late November 2025; what changed?", ("2025-10-11", "2025-11-30")),
        ("What changed from the start of 2026 until the end of March 2026?", ("2026-01-01", "2026-03-31")),
    ],
)
def test_seasons_parts_of_a_year_and_bare_months_bound_a_window(question, window):
    assert read_dates(question, "2026-06-01").window == window


def test_we_may_is_no_month():
    assert read_dates("We may ship holmium in November 2025; licence needed?", "2026-06-01").dates[0].text == "November 2025"


def test_a_changes_question_since_a_date_runs_to_the_as_of_date(engine):
    query = engine.understand("Has anything changed since I last looked, back in early September 2025?", as_of="2026-03-01")
    assert query.window == ("2025-09-01", "2026-03-01")


def test_the_window_is_read_from_between_on_not_from_an_earlier_date():
    query = read_dates("We've followed Ho oxide since spring 2025. How did it change between 1 October 2025 and today?", "2026-06-01")
    assert query.window == ("2025-10-01", "2026-06-01")


def test_what_happened_in_a_month_is_a_date_asked_about_not_the_as_of_date():
    query = read_dates("and the general licences? what happened in December 2025, dates please", "2026-01-05")
    assert query.as_of == "2026-01-05" and query.dates[0].role == "about"


def test_may_opening_a_question_is_no_month():
    query = read_dates("May we ship the Tb targets to Korea in November 2025?", "2026-06-01")
    assert [d.text for d in query.dates] == ["November 2025"]
    assert read_dates("What changed from mid-May to June 2026?", "2026-11-24").window == ("2026-05-11", "2026-06-30")


def test_the_elements_added_in_a_month_are_the_instruments_of_that_month_that_list_elements(engine):
    history = [Turn("What did Announcement 18 of 2025 cover?")]
    query = engine.understand("what about the metals added in October, are they licensed today?", as_of="2026-02-01", history=history)
    assert "mofcom-gac-2025-57" in query.instruments and "mofcom-gac-2025-18" not in query.instruments
    assert "mofcom-gac-2025-58" not in query.instruments  # batteries and graphite list no element


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which permits does South Korea require before we ship terbium oxide from Incheon?", ["South Korea"]),
        ("What are Vietnam's own licensing rules for rare-earth oxide exports?", ["Vietnam"]),
        ("Do we need an Indian export licence for magnets leaving Chennai?", ["India"]),
        ("Do we need a licence to send terbium oxide to a buyer in South Korea?", []),
        ("Our Indian customer wants SmCo magnets next month: is a MOFCOM licence needed?", []),
    ],
)
def test_a_countrys_own_rules_are_told_apart_from_a_destination(question, expected):
    from assistant.understand import regimes

    assert regimes(question) == expected


@pytest.mark.parametrize(
    "question, meant, not_meant",
    [
        # a singular noun names one instrument of the month: the one covering what the question names
        ("Did that October list with thulium and europium ever start to apply?", "mofcom-gac-2025-57", "mofcom-gac-2025-58"),
        ("Is the October rule on graphite anodes live?", "mofcom-gac-2025-58", "mofcom-gac-2025-57"),
        # the package is all of them
        ("Was the whole October package frozen?", "mofcom-gac-2025-58", None),
    ],
)
def test_a_month_name_with_a_singular_noun_is_the_instrument_covering_what_the_question_names(engine, question, meant, not_meant):
    found = engine.understand(question, as_of="2026-01-10").instruments
    assert meant in found
    if not_meant:
        assert not_meant not in found


def test_a_clause_starting_after_the_month_is_no_usual_name(engine):
    found = engine.understand("In October the US widened its rules on chips; does that change China's controls?", as_of="2026-01-10")
    assert not {i for i in found.instruments if i.startswith("mofcom-gac-2025-5")}


def test_a_rule_described_by_where_goods_are_made_is_the_extraterritorial_rule(engine):
    for question in ("Why did Beijing want a rule for magnets made outside China?",
                     "Does the foreign-made goods rule still bite after the truce?"):  # fmt: skip
        assert "mofcom-2025-61" in engine.understand(question, as_of="2026-01-10").instruments


def test_a_changes_question_comparing_a_day_with_today_runs_to_the_as_of_date(engine):
    query = engine.understand("Set the rules of 2 Oct 2025 against today's: what moved?", as_of="2026-01-15")
    assert query.intent == "changes" and query.window == ("2025-10-02", "2026-01-15")
    one_day = engine.understand("What changed on 7 Nov 2025?", as_of="2026-01-15")
    assert one_day.window == ("2025-11-07", "2025-11-07")


def test_a_product_named_as_where_goods_are_used_is_not_what_is_shipped():
    assert "technology" not in named_items("Can our partner ship samarium-cobalt alloy for their missile production line?").products
    assert "technology" in named_items("Can we license our production line know-how to Vietnam?").products


def test_the_elements_added_on_a_day_are_the_instruments_of_that_day_that_list_elements(engine):
    query = engine.understand("what rare earths got added on the 9th of October 2025?", as_of="2026-11-24")
    assert "mofcom-gac-2025-57" in query.instruments and "mofcom-gac-2025-58" not in query.instruments
    assert query.as_of == "2026-11-24"


def test_after_an_instrument_ends_dates_the_answer_the_day_after_and_names_nothing(engine):
    history = [Turn("Is the 0.1% rule of Announcement 61 in force?")]
    query = engine.understand("and once the truce runs out?", as_of="2026-06-01", history=history)
    assert query.as_of == "2026-11-11" and query.as_of_source == "question"
    assert "mofcom-2025-61#rule-1" in query.instruments and "mofcom-gac-2025-70" not in query.instruments
    later = engine.understand("and once the truce runs out?", as_of="2026-12-01", history=history)
    assert later.as_of == "2026-12-01"  # already after it


def test_a_follow_up_that_points_back_is_read_with_its_history(engine):
    history = [Turn("A partner in Penang makes Tb magnets from Chinese terbium and sells them to the US. "
                    "Under China's rule on overseas items, do they need a MOFCOM licence?")]  # fmt: skip
    query = engine.understand("We heard about a pause. Does the partner still need that licence for next month's lots?",
                              as_of="2025-12-01", history=history)  # fmt: skip
    assert "mofcom-2025-61" in {i.split("#")[0] for i in query.instruments}
    own = "Following that, which Japanese firms did China put on its export control list?"
    assert engine.understand(own, as_of="2026-06-01", history=history).standalone == own


@pytest.mark.parametrize(
    "question, reference, window, about",
    [
        ("anything new since Nov 7?", "2026-01-10", ("2025-11-07", "2026-01-10"), None),
        ("What moved between 1 Oct and 1 Dec?", "2026-04-15", ("2025-10-01", "2025-12-01"), None),
        ("Our agent says holmium has been licensed since 9 October; true?", "2026-02-01", None, "2025-10-09"),
        ("what happens to the 0.1% rule on 10 November?", "2026-10-01", None, "2026-11-10"),
    ],
)
def test_a_date_written_without_its_year_is_read_near_the_as_of_date(question, reference, window, about):
    query = read_dates(question, reference)
    assert query.window == window and query.as_of == reference
    if about:
        assert [m.start for m in query.dates] == [about]


def test_a_date_on_which_something_ran_out_is_not_the_as_of_date():
    query = read_dates("Is Ho oxide licensed now that the pause ran out on 10 Nov 2026?", "2026-12-02")
    assert query.as_of == "2026-12-02" and [m.role for m in query.dates] == ["about"]


def test_changes_since_a_yearless_date_list_the_suspension(engine):
    answer = engine.ask("Has anything changed for rare-earth exporters between 1 October and today?", as_of="2025-12-01")
    assert answer.verdict and answer.verdict.outcome == "changes"
    assert any("No. 70 of 2025" in line.phrase or "No. 70 of 2025" in line.title for line in answer.status_lines)


def test_the_instruments_read_from_a_question_do_not_depend_on_the_hash_seed(built_index):
    """Title words are a set: their scores summed in its order differed in the last bit, so a tie between two titles
    was broken one way or the other from one process to the next."""
    import os
    import subprocess
    import sys

    script = (
        "from assistant.config import Settings\nfrom assistant.engine import Engine\n"
        "q = Engine(Settings.load()).understand('Does the 0.1% rule really cover any product with Chinese "
        "rare-earth content, like the media said?', as_of='2026-11-24')\nprint(q.instruments)"
    )
    env = os.environ | {"LODESTONE_INDEX_DIR": str(built_index.index_dir), "LODESTONE_CORPUS_DIR": str(built_index.corpus_dir),
                        "LODESTONE_DATA_DIR": str(built_index.data_dir)}  # fmt: skip
    read = {subprocess.run([sys.executable, "-c", script], env=env | {"PYTHONHASHSEED": seed}, capture_output=True,
                           text=True, check=True).stdout.strip().splitlines()[-1] for seed in ("1", "2", "5")}  # fmt: skip
    assert read == {"['mofcom-2025-61#rule-1']"}, read
