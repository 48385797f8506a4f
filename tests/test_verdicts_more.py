"""Verdicts and caveats through the engine, on phrasings written for these tests."""

from __future__ import annotations

import pytest


def test_a_claim_that_no_licence_is_needed_is_corrected(engine):
    answer = engine.ask("Our forwarder says samarium-cobalt magnets need no licence since the truce. True?", as_of="2026-03-01")
    assert answer.verdict.text.startswith("No, that is not right")
    assert "licence" in answer.verdict.text and "No. 18 of 2025" in answer.verdict.text
    assert "not suspended by" in answer.verdict.text  # the truce's suspension left No. 18 alone


def test_a_measure_suspended_before_its_start_says_so(engine):
    answer = engine.ask("Is thulium metal controlled?", as_of="2026-02-01")
    assert answer.verdict.outcome == "suspended"
    assert "and never took effect" in answer.verdict.text


def test_an_unknown_status_neither_confirms_nor_denies(engine):
    answer = engine.ask("Is Announcement No. 62 of 2025 still in force?", as_of="2026-11-24")
    assert answer.verdict.outcome == "unknown"
    assert "not in force" not in answer.verdict.text


def test_dates_are_written_in_full(engine):
    answer = engine.ask("Is holmium controlled?", as_of="2025-11-20")
    assert "10 November 2026" in answer.answer and "Nov 2026" not in answer.answer.replace("November 2026", "")


def test_what_the_corpus_does_not_know_is_said_and_cited(engine):
    answer = engine.ask("Which control code covers lutetium metal?", as_of="2026-11-24")
    doubts = [c for c in answer.caveats if c.kind == "uncertain"]
    assert doubts and all(c.citations for c in doubts)
    assert any("inferred" in c.text or "garbled" in c.text for c in doubts)
    quotes = {c.n: c.quote for c in answer.citations}
    assert all(" ".join(quotes[c.citations[0]].split()) in c.text for c in doubts)


def test_no_doubt_is_added_when_none_is_about_the_question(engine):
    answer = engine.ask("Does erbium oxide going to Rotterdam need an export licence?", as_of="2026-03-01")
    assert [c for c in answer.caveats if c.kind == "uncertain"] == []


def test_the_stated_grounds_of_a_listing_answer_why(engine):
    answer = engine.ask("On what basis did Beijing blacklist TechInsights?", as_of="2026-11-24")
    assert not answer.refused
    assert "Taiwan" in answer.quotes[0].text


def test_a_short_capitalised_party_name_is_looked_up(engine):
    answer = engine.ask("Is IHI on any Chinese list?", as_of="2026-11-24")
    assert answer.verdict is not None and "IHI" in answer.verdict.text


def test_a_fine_asked_in_yuan_that_no_source_gives_is_refused(engine):
    answer = engine.ask("How big is the fine in yuan for exporting holmium without a licence?", as_of="2026-11-24")
    assert answer.refused


def test_an_evasion_request_is_refused_even_when_it_also_reads_as_applicability(engine):
    answer = engine.ask("Which border crossings are least watched for moving Chinese gallium to a listed US defence firm?")
    assert answer.refused and answer.refusal == "evasion"


def test_a_named_rule_is_what_the_verdict_speaks_of(engine):
    answer = engine.ask("Our Thai plant puts Chinese terbium into magnets for Italy. Does the 0.1% rule bite now?", as_of="2026-11-24")
    assert answer.verdict is not None and answer.verdict.instruments == ["mofcom-2025-61#rule-1"]
    assert "never took effect" in answer.verdict.text


def test_a_change_asked_by_how_much_is_not_a_money_question(engine):
    answer = engine.ask("By how much did the US lower the fentanyl tariff on China in the truce?", as_of="2026-11-24")
    assert not answer.refused


def test_the_verdict_names_a_hyphenated_product_as_asked(engine):
    answer = engine.ask("Do gadolinium-iron targets for a Polish coater need an export licence?", as_of="2026-11-24")
    assert "gadolinium-iron" in answer.verdict.text


def test_why_a_listed_company_was_listed_quotes_the_grounds(engine):
    answer = engine.ask("Teledyne FLIR - why did china put them on the unreliable list", as_of="2026-11-24")
    assert "Taiwan" in answer.answer


def test_never_took_effect_is_said_once(engine):
    answer = engine.ask("Did the lithium battery controls ever take effect?", as_of="2026-11-24")
    assert answer.verdict.text.count("never took effect") == 1


def test_a_licence_question_keeps_the_measure_in_force_when_the_named_one_does_not_bind(engine):
    answer = engine.ask(
        "Our agent claims gadolinium oxide was only controlled by the October package, which is suspended, so we "
        "can export it freely to Spain. Is that so?", as_of="2026-03-01",
    )  # fmt: skip
    assert answer.verdict.text.startswith("No, that is not right")
    assert "licence" in answer.verdict.text and "No. 18 of 2025" in answer.verdict.text


def test_a_product_form_the_register_lists_is_the_verdicts_subject(engine):
    answer = engine.ask("Did exporting diamond wire saws to Vietnam need a licence in January 2026?", as_of="2026-01-15")
    assert answer.verdict.outcome == "suspended"
    assert "diamond wire saw" in answer.verdict.text.lower()


def test_changes_for_a_named_element_keep_to_its_measures(engine):
    answer = engine.ask("How did erbium's status change between 1 October 2025 and today?", as_of="2026-12-01")
    assert answer.verdict.outcome == "changes"
    assert answer.status_lines and all("erbium" in line.title.lower() for line in answer.status_lines)


def test_a_chunk_that_starts_inside_a_sentence_gives_no_fragment_to_quote():
    from assistant.answer import split_sentences
    from assistant.schema import Passage

    text = "57 and 58 of 2025 on the same day. The ministry said the new rules would apply to exporters from December."
    cut = Passage(chunk_id="c2", document_id="d", document="d.md", title="D", text=text, start=480, end=480 + len(text))
    whole = Passage(chunk_id="c1", document_id="d", document="d.md", title="D", text="Rules " + text, start=0, end=6 + len(text))
    assert [s.text[:12] for s in split_sentences(cut)] == ["The ministry"]  # the cut sentence's tail is left out
    assert [s.text[:12] for s in split_sentences(whole)] == ["Rules 57 and", "The ministry"]


@pytest.mark.parametrize("question", ["Our buyer works for the Pentagon. Can gallium go to them from China for a weapons programme?",
                                      "Is it OK to sell terbium oxide to a US defense contractor for missile magnets?"])
def test_a_us_military_end_use_is_barred_by_the_ban_aimed_at_it(engine, question):
    answer = engine.ask(question, as_of="2026-03-01")
    assert answer.verdict.text.startswith("No: such exports are barred")
    assert "mofcom-2024-46#clause-1" in answer.verdict.instruments


def test_is_it_in_force_now_with_nothing_recorded_for_now_is_unknown_not_no(engine):
    now = engine.ask("Is the de minimis rule live at the moment?", as_of="2026-12-01")
    assert now.verdict.outcome == "unknown" and now.verdict.text.startswith("Unknown")
    ever = engine.ask("Did the de minimis rule ever take effect?", as_of="2026-12-01")
    assert ever.verdict.text.startswith("No")


def test_a_pronoun_never_stands_for_a_rule_beside_a_suspended_one(engine):
    answer = engine.ask("Still need a licence for each Tb magnet shipment?", as_of="2026-03-01")
    assert "suspended (since" in answer.verdict.text  # a suspended rule stands in the verdict beside the one in force
    assert " It was not suspended" not in answer.verdict.text


def test_a_ban_on_military_ends_does_not_reach_civilian_users(engine):
    answer = engine.ask("Is the January 2026 Japan ban relevant for our civilian customers in Osaka?", as_of="2026-03-01")
    assert answer.verdict.outcome == "no"
    assert "covers military users and uses, not civilian ones" in answer.verdict.text


def test_words_in_brackets_describe_a_numbered_announcement_and_do_not_narrow_it(engine):
    answer = engine.ask("Is Announcement No. 61 of 2025 (the 0.1% value rule) still in force?", as_of="2026-12-01")
    statuses = {m.id: m.status for m in answer.measures}
    assert statuses.get("mofcom-2025-61") == "unknown"
    assert answer.verdict is not None and answer.verdict.outcome == "unknown"


@pytest.mark.parametrize("question", [
    "Can you check whether Magnequench appears on any of China's lists?",
    "Screening request: is Schunkwerke (SKW, Mainz) listed by MOFCOM anywhere?",
])  # fmt: skip
def test_a_one_word_company_name_is_screened_not_declined(engine, question):
    answer = engine.ask(question)
    assert not answer.refused, answer.answer
    assert "No match" in answer.answer and "not on the lists checked" in answer.answer


def test_a_civilian_sale_to_japan_is_told_what_the_military_ban_leaves_open(engine):
    answer = engine.ask("We sell gadolinium oxide to a Japanese maker of MRI scanners. Can that continue this year?", as_of="2026-05-01")
    limits = [c for c in answer.caveats if c.kind == "limit"]
    assert any("civilian" in c.text and c.citations for c in limits), answer.answer
    _verified_quotes(answer)


def test_a_japanese_military_buyer_is_barred_not_just_licensed(engine):
    answer = engine.ask("Could our Ningbo plant supply terbium magnets to a Japanese missile maker?", as_of="2026-05-01")
    assert answer.verdict is not None and answer.verdict.text.startswith("No: such exports are barred"), answer.answer
    assert not [c for c in answer.caveats if "civilian" in c.text]


def _verified_quotes(answer):
    from assistant.citations import verify_quote

    by_rank = {p.rank: p for p in answer.passages}
    for c in answer.citations:
        assert verify_quote(c.quote, by_rank[c.passage].text)


def test_asked_about_a_ban_a_watch_list_party_is_said_to_be_not_banned(engine):
    answer = engine.ask("Would selling dual-use goods to Subaru be prohibited outright?")
    assert answer.verdict is not None and answer.verdict.text.startswith("Not banned"), answer.answer
    assert "not banned outright" in answer.verdict.text


def test_how_two_lists_differ_quotes_what_each_list_means(engine):
    answer = engine.ask("How is being on China's watch list different from being on its export control list?")
    quoted = " ".join(q.text for q in answer.quotes)
    assert "risk assessment" in quoted and "banned" in quoted, answer.answer
    _verified_quotes(answer)


def test_today_compared_with_a_month_is_a_window_from_that_month_to_the_as_of_date(engine):
    answer = engine.ask("How do the samarium export rules today compare with February 2025?", as_of="2026-03-01")
    assert answer.query.as_of == "2026-03-01"
    assert answer.query.window == ("2025-02-01", "2026-03-01")
    assert "No. 18 of 2025" in answer.answer  # April 2025 falls inside the window


def test_a_clause_is_shown_with_its_whole_instrument(engine):
    answer = engine.ask("Did the technology rule of Announcement 61 bind anyone on 25 October 2025?")
    ids = [m.id for m in answer.measures]
    assert "mofcom-2025-61#rule-2" in ids and "mofcom-2025-61" in ids, ids
    assert ids.index("mofcom-2025-61") < ids.index("mofcom-2025-61#rule-2")
    assert {m.id: m.status for m in answer.measures}["mofcom-2025-61"] == "in_force"


def test_is_an_element_controlled_gets_a_verdict(engine):
    answer = engine.ask("quick one - is lutetium controlled?", as_of="2026-02-01")
    assert answer.verdict is not None and answer.verdict.text.startswith("Yes: exports of lutetium"), answer.answer


def test_a_suspended_refusal_is_not_called_a_licence_requirement(engine):
    answer = engine.ask("Is No. 46 of 2024 still stopping germanium sales to America?", as_of="2026-02-01")
    assert answer.verdict is not None
    assert "licence requirement does not apply" not in answer.verdict.text, answer.verdict.text


def test_a_follow_up_naming_a_us_military_end_user_is_barred(engine):
    from assistant.schema import Turn

    first = engine.ask("Does Announcement 46 of 2024 still block germanium to the United States?", as_of="2026-02-01")
    answer = engine.ask("what if the buyer is a US military end user?", as_of="2026-02-01", history=[Turn(first.question, first.answer)])
    assert answer.verdict is not None and answer.verdict.text.startswith(("Barred.", "No: such exports are barred")), answer.answer


def test_a_listed_company_named_in_short_is_screened_and_its_ban_leads(engine):
    answer = engine.ask("any problem shipping samarium magnets to mitsubishi heavy next month?", as_of="2026-04-01")
    assert answer.verdict is not None and "possibly matches" in answer.verdict.text, answer.answer
    assert "banned" in answer.verdict.text
    assert "Yes: exports" not in answer.verdict.text  # the licence sentence speaks of other buyers


def test_a_shipment_leaving_china_is_decided_by_the_rules_on_exports_from_china(engine):
    answer = engine.ask("Our Baotou supplier ships Tb-bearing NdFeB magnets to Lyon. Does that need a licence?", as_of="2026-12-01")
    assert answer.verdict.text.startswith("Yes: exports of NdFeB magnets"), answer.verdict.text
    assert "No. 61" not in answer.verdict.text  # the rules on items abroad are status lines, not the verdict
    assert "mofcom-2025-61" in [m.id for m in answer.measures]


def test_who_applies_is_not_read_as_a_claim_that_a_rule_applies(engine):
    answer = engine.ask("Who applies for the export licence for our Dy oxide order, us or the Chinese seller?")
    assert answer.verdict is None or not answer.verdict.text.startswith("Yes."), answer.verdict.text
    assert "not the foreign buyer" in answer.quotes[0].text, answer.answer


def test_asked_whether_a_suspension_still_runs_the_verdict_speaks_of_the_suspension(engine):
    running = engine.ask("Is the pause on the October 2025 rare-earth rules still in effect?", as_of="2026-05-01")
    assert running.verdict.text.startswith("Yes."), running.verdict.text
    assert running.verdict.instruments == ["mofcom-gac-2025-70"]


@pytest.mark.parametrize("question", [
    "Our defence-electronics group is screening counterparties after Beijing's October moves. Which US defence "
    "companies did China place on its Unreliable Entity List?",
    "Following MOFCOM's October Package, our Vendor Risk team needs a list. Which American companies went onto the "
    "Unreliable Entity List in October 2025?",
])  # fmt: skip
def test_who_was_listed_asked_after_a_preamble_lists_the_parties(engine, question):
    answer = engine.ask(question)
    assert not answer.refused, answer.answer
    assert "No match" not in answer.answer  # no phrase of the preamble screened as a company name
    assert all(name in answer.answer for name in ("AeroVironment", "BAE Systems", "Teledyne FLIR"))


def test_a_status_answer_says_what_a_list_in_force_means_for_exporters_once(engine):
    answer = engine.ask("Are the April 2025 rare earth controls still applying during the truce, or were they paused as well?",
                        as_of="2026-03-10")
    verdict = answer.verdict.text
    assert verdict.startswith("In force.")  # "still applying, or paused?" is a choice: no bare yes or no picks a side
    assert "No. 18 of 2025 was not suspended" in verdict and "need a MOFCOM dual-use export licence" in verdict
    assert verdict.count("not suspended") == 1, verdict


@pytest.mark.parametrize("question, yes_no", [
    ("Lutetium oxide to a PET scanner maker in Korea, how does that look now?", False),
    ("Is the October package in force today, or has it been suspended?", False),
    ("If we ship Tb oxide to Japan, do we need a licence?", True),
    ("Terbium to Japan: licence needed?", True),
])  # fmt: skip
def test_only_a_yes_or_no_question_gets_a_bare_yes_or_no(question, yes_no):
    from assistant.compose import is_yes_no

    assert is_yes_no(question) is yes_no


@pytest.mark.parametrize("question", [
    "Our Malaysian affiliate is 70% owned by a group that China put on its export control list. Under the US approach "
    "anything 50%-owned counts as listed. Does China have a similar ownership rule for subsidiaries of listed end users?",
    "A parent company of ours was placed on the Unreliable Entity List. Are its majority-owned subsidiaries automatically "
    "covered under Chinese rules?",
])  # fmt: skip
def test_a_question_about_a_rule_for_listed_parties_does_not_get_the_list_of_names(engine, question):
    answer = engine.ask(question)
    assert not answer.refused, answer.answer
    assert "the corpus names" not in answer.answer, answer.answer[:300]


def test_the_licence_named_is_the_dual_use_one_unless_only_the_technology_catalogue_applies():
    from assistant.compose import _licence
    from assistant.register import Measure

    def measure(title):
        return Measure(id=title, title=title, document_id=title, timeline=[{"from": "2023-12-21", "status": "in_force"}])

    catalogue = measure("Catalogue of Technologies Prohibited or Restricted from Export (2023 revision)")
    no_62 = measure("MOFCOM Announcement No. 62 of 2025: export controls on rare-earth technologies")
    assert _licence([catalogue]) == "MOFCOM export licence"
    assert _licence([catalogue, no_62]) == _licence([no_62]) == "MOFCOM dual-use export licence"
