"""Screening: normalisation rules, recall on variants, false positives on unrelated names, batch files."""

from __future__ import annotations

import csv
import json

import pytest

from assistant.config import REPO_ROOT
from assistant.errors import NameInvalid, ScreeningFileInvalid
from assistant.ingest.loaders import load_corpus
from assistant.parties import PartiesRegister
from assistant.screening import Screener, legal_forms, normalise, read_names_csv, write_results
from tests.name_data import listed_names, unrelated, variants

TODAY = "2026-12-01"


@pytest.fixture(scope="module")
def corpus():
    documents, _ = load_corpus(REPO_ROOT / "corpus")
    return {d.id: d for d in documents}


@pytest.fixture(scope="module")
def screener(corpus):
    register, problems = PartiesRegister.from_documents(list(corpus.values()))
    assert problems == []
    return Screener(register)


# -- normalisation: one test a rule -------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("TELEDYNE flir", "teledyne flir"),  # case
        ("ＴＤＫ", "tdk"),  # full-width forms
        ("Société Générale", "societe generale"),  # diacritics
        ("Dedrone-by-Axon", "dedrone by axon"),  # punctuation splits words
        ("A.B.C. Holdings", "abc holdings"),  # dots join
        ("Johnson & Johnson", "johnson and johnson"),  # ampersand
        ("Halifax International Security Forum (Canada)", "halifax international security forum"),  # qualifier
        ("The Recorded Future", "recorded future"),  # "the"
        ("Epirus, Inc.", "epirus"),
        ("Elbit Systems of America, LLC", "elbit systems of america"),
        ("Fujitsu Ltd", "fujitsu"),
        ("Subaru Co., Ltd.", "subaru"),
        ("Acme GmbH", "acme"),
        ("Subaru K.K.", "subaru"),
        ("VSE Corporation", "vse"),
        ("BAE Systems plc", "bae systems"),
        ("株式会社スバル", "スバル"),  # Japanese legal form before the name
        ("三菱综合材料有限公司", "三菱综合材料"),  # Chinese legal form
        ("Limited", "limited"),  # a name that is only a legal form keeps its word
    ],
)
def test_normalisation_rule(raw, expected):
    assert normalise(raw) == expected


def test_legal_forms_are_compared_in_one_spelling():
    assert legal_forms("Acme Corporation") == legal_forms("ACME Corp.")
    assert legal_forms("Subaru Corporation") != legal_forms("Subaru K.K.")
    assert legal_forms("Teledyne FLIR") == frozenset()


# -- recall and false positives ----------------------------------------------------
def test_every_variant_of_every_listed_name_is_found(screener):
    rows = variants(screener.register)
    assert len(rows) > 5 * len(screener.register)
    missed = []
    for party_id, variant, how in rows:
        screening = screener.screen(variant, TODAY)
        if party_id not in {h.party_id for h in screening.hits}:
            missed.append((variant, how))
    assert missed == []


def test_chinese_and_japanese_written_forms_are_in_the_variants(screener):
    scripts = [v for _, v, how in variants(screener.register) if "Japanese or Chinese" in how]
    assert {"三菱重工", "斯巴鲁", "三菱综合材料"} <= set(scripts)


def test_unrelated_company_names_give_no_exact_and_at_most_one_percent_possible(screener):
    names = unrelated(1000)
    listed = {n.casefold() for _, n in listed_names(screener.register)}
    assert not listed & {n.casefold() for n in names}
    results = screener.screen_all(names, TODAY)
    exact = [r.input for r in results if r.outcome == "exact"]
    possible = [(r.input, r.hits[0].name) for r in results if r.outcome == "possible"]
    assert exact == []
    assert len(possible) <= 10, possible


def test_screen_all_gives_the_same_results_as_one_by_one(screener):
    names = ["Teledyne FLIR", "Subaro", "Northwind Systems Ltd", "TechInsights Korea", "三菱重工業株式会社"]
    assert [r.to_json() for r in screener.screen_all(names, TODAY)] == [screener.screen(n, TODAY).to_json() for n in names]


# -- what a hit carries ----------------------------------------------------------------
def test_an_exact_hit_gives_list_meaning_status_and_a_citation_in_the_document(screener, corpus):
    screening = screener.screen("Teledyne FLIR", "2025-10-20")
    hit = screening.hits[0]
    assert (screening.outcome, hit.match, hit.score, hit.list) == ("exact", "exact", 100.0, "unreliable_entity_list")
    assert hit.list_title == "Unreliable Entity List" and hit.status == "listed" and hit.since == "2025-10-09"
    text = corpus[hit.citation.document_id].text
    for citation in (hit.citation, hit.meaning_citation):
        assert text[citation.start : citation.end] == citation.quote
    assert hit.meaning == hit.meaning_citation.quote


def test_today_the_uel_hit_is_unknown_with_where_to_check(screener):
    screening = screener.screen("Teledyne FLIR", TODAY)
    assert screening.hits[0].status == "unknown"
    assert "www.mofcom.gov.cn" in screening.note


def test_a_changed_legal_form_is_possible_not_exact(screener):
    screening = screener.screen("BAE Systems plc", TODAY)
    assert screening.outcome == "possible" and "another legal form" in screening.hits[0].reason


def test_subsidiary_wording_is_a_possible_match_with_the_reason(screener):
    hit = screener.screen("TechInsights Korea Ltd", TODAY).hits[0]
    assert hit.match == "possible" and "including its subsidiaries in Europe, Korea and Japan" in hit.reason


def test_a_parent_whose_units_are_listed_is_possible_with_the_wording(screener):
    for name in ("Mitsubishi Heavy Industries, Ltd.", "三菱重工業株式会社"):
        screening = screener.screen(name, TODAY)
        assert screening.outcome == "possible"
        assert "units of Mitsubishi Heavy Industries" in screening.hits[0].reason


def test_watch_list_hit_says_what_the_watch_list_means(screener):
    hit = screener.screen("Subaru Corporation", TODAY).hits[0]
    assert hit.list == "watch_list" and "individual licence" in hit.meaning and hit.status == "listed"


def test_no_match_is_never_a_silent_clear(screener):
    screening = screener.screen("Northwind Logistics GmbH", TODAY)
    assert screening.outcome == "none" and screening.hits == []
    assert screening.lists_checked == ["export_control_list", "unreliable_entity_list", "watch_list"]
    assert screening.corpus_date == "2026-11-24"
    for words in ("Unreliable Entity List", "watch list", "up to 24 November 2026", "not a complete official list", "www.mofcom.gov.cn"):
        assert words in screening.note


def test_a_higher_threshold_reports_fewer_possible_matches(corpus):
    register, _ = PartiesRegister.from_documents(list(corpus.values()))
    assert Screener(register, threshold=88).screen("Teledine Flir", TODAY).outcome == "possible"
    assert Screener(register, threshold=99).screen("Teledine Flir Systems", TODAY).outcome == "none"
    with pytest.raises(ValueError, match="between 0 and 100, got 0"):
        Screener(register, threshold=0)


@pytest.mark.parametrize(("name", "message"), [("", "empty"), ("x" * 400, "limit is 300"), ("a\x00b", "binary"), ("---", "no letters")])
def test_bad_names_get_one_line_reasons(screener, name, message):
    with pytest.raises(NameInvalid, match=message):
        screener.screen(name, TODAY)


# -- batch files ------------------------------------------------------------------------
def test_csv_round_trip_with_bad_rows(screener, tmp_path):
    source = tmp_path / "customers.csv"
    source.write_text(
        "id,Company Name,country\n1,Teledyne FLIR,US\n2,,US\n3," + "y" * 400 + ",US\n\n4,Northwind Systems,UK\n5\n",
        encoding="utf-8",
    )
    names, bad = read_names_csv(source, column="company name")
    assert names == ["Teledyne FLIR", "Northwind Systems"]
    assert [(b.row, b.reason.split(";")[0][:24]) for b in bad] == [(3, "The name to screen is em"), (4, "That name is 400 charact"), (7, "The name to screen is em")]
    results = screener.screen_all(names, TODAY)
    write_results(results, tmp_path / "out.csv")
    write_results(results, tmp_path / "out.json")
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert [(r["input"], r["outcome"], r["list"]) for r in rows] == [
        ("Teledyne FLIR", "exact", "Unreliable Entity List"), ("Northwind Systems", "none", ""),
    ]  # fmt: skip
    assert rows[0]["evidence"] in (REPO_ROOT / rows[0]["source"]).read_text(encoding="utf-8")
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [d["outcome"] for d in data] == ["exact", "none"] and data[0]["hits"][0]["citation"]["quote"]


def test_names_file_without_header_and_from_bytes():
    assert read_names_csv(b"Teledyne FLIR\nSubaru\n") == (["Teledyne FLIR", "Subaru"], [])
    assert read_names_csv("name\nTDK\n")[0] == ["TDK"]


@pytest.mark.parametrize(
    ("content", "column", "message"),
    [
        (b"", None, "empty"),
        (b"id,country\n1,US\n", None, "Which column"),
        (b"name\nTDK\n", "company", "No column 'company'"),
        (b"\x00\x01binary", None, "binary"),
    ],
)
def test_unusable_names_files_get_a_clear_message(content, column, message):
    with pytest.raises(ScreeningFileInvalid, match=message):
        read_names_csv(content, column)


def test_results_need_a_csv_or_json_name(screener, tmp_path):
    with pytest.raises(ScreeningFileInvalid, match="'out.xlsx'"):
        write_results([], tmp_path / "out.xlsx")


# -- properties -------------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_normalising_twice_changes_nothing(text):
    assert normalise(normalise(text)) == normalise(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_screened_or_refused_with_a_reason(screener, text):
    try:
        screening = screener.screen(text, TODAY)
    except NameInvalid as problem:
        assert str(problem) and "\n" not in str(problem)
        return
    assert screening.outcome in {"exact", "possible", "none"}
    assert all(h.citation and h.citation.quote for h in screening.hits)
    assert screening.outcome != "none" or "www.mofcom.gov.cn" in screening.note


def test_short_forms_inside_names_match_the_listed_name():
    from assistant.screening import normalise

    assert normalise("Halifax Intl. Security Forum") == normalise("Halifax International Security Forum")
