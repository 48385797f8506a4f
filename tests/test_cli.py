"""The CLI through click's runner: the JSON contract, chat, and every user-facing error."""

import json

import pytest
from click.testing import CliRunner

from assistant.cli import main


@pytest.fixture
def env(built_index, monkeypatch):
    monkeypatch.setenv("LODESTONE_INDEX_DIR", str(built_index.index_dir))
    monkeypatch.setenv("LODESTONE_CORPUS_DIR", str(built_index.corpus_dir))
    monkeypatch.setenv("LODESTONE_DATA_DIR", str(built_index.data_dir))
    return built_index


def test_ask_json_prints_exactly_one_object_in_the_contract(env):
    result = CliRunner().invoke(main, ["ask", "Is holmium controlled?", "--json", "--as-of", "2025-11-20", "-k", "6"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"question", "answer", "refused", "citations", "passages", "timings_ms", "as_of", "measures"}
    assert data["as_of"] == "2025-11-20" and data["refused"] is False
    citation = data["citations"][0]
    assert set(citation) >= {"n", "document", "title", "quote", "start", "end", "url", "published"}
    assert citation["document"].startswith("corpus/")
    assert len(data["passages"]) >= 6 and set(data["passages"][0]) >= {"rank", "document", "title", "text", "score"}
    assert set(data["timings_ms"]) == {"retrieve", "answer", "total"}
    measure = data["measures"][0]
    assert set(measure) >= {"id", "title", "status", "since", "until", "by", "citation"}
    assert {"generator", "removed"} <= set(data)


def test_citation_spans_point_into_the_cleaned_document(env):
    from assistant.config import REPO_ROOT
    from assistant.ingest.loaders import load_document

    data = json.loads(CliRunner().invoke(main, ["ask", "what is 1C909?", "--json"]).stdout)
    for c in data["citations"]:
        text = load_document(REPO_ROOT / c["document"]).text
        assert " ".join(text[c["start"] : c["end"]].split()) == " ".join(c["quote"].split())


def test_chat_understands_a_follow_up(env):
    result = CliRunner().invoke(main, ["chat", "--as-of", "2025-11-20"], input="Is dysprosium controlled?\nand what about holmium?\n")
    assert result.exit_code == 0, result.output
    second = result.output.split("Lodestone:")[2]
    assert "1C909" in second and "holmium" in second.lower()


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "Please type a question (it was empty)."), ("x" * 2001, "the limit is 2,000")],
)
def test_bad_questions_get_a_clear_message(env, question, message):
    result = CliRunner().invoke(main, ["ask", question])
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output


def test_bad_as_of_date_gets_a_clear_message(env):
    result = CliRunner().invoke(main, ["ask", "Is holmium controlled?", "--as-of", "20/11/2025"])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.stderr


def test_no_index_yet_says_how_to_build_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LODESTONE_INDEX_DIR", str(tmp_path / "nothing"))
    result = CliRunner().invoke(main, ["ask", "Is holmium controlled?"])
    assert result.exit_code == 1
    assert "Run: lodestone index build" in result.stderr


def test_index_build_reports_unreadable_files_and_status_shows_changes(tmp_path, small_corpus, monkeypatch):
    (small_corpus / "scan.pdf").write_bytes(b"%PDF-1.4 garbage")
    monkeypatch.setenv("LODESTONE_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("LODESTONE_INDEX_DIR", str(tmp_path / "index"))
    built = CliRunner().invoke(main, ["index", "build"])
    assert built.exit_code == 0, built.output
    assert "Warning: Skipped" in built.stderr and "scan.pdf" in built.stderr
    assert "Indexed 2 documents" in built.stdout
    (small_corpus / "000_10437c2651b725e6.txt").write_text("Changed text about samarium exports and licences today.")
    status = CliRunner().invoke(main, ["index", "status"])
    assert "news-lemonde-2025-10-09" in status.stdout and "Run: lodestone index build" in status.stdout
    assert "all-MiniLM-L6-v2" in status.stdout


def test_bad_setting_value_is_reported(monkeypatch):
    monkeypatch.setenv("LODESTONE_TOP_K", "many")
    result = CliRunner().invoke(main, ["ask", "holmium"])
    assert result.exit_code == 1 and "LODESTONE_TOP_K must be a whole number, got 'many'" in result.stderr


def test_eval_without_an_index_says_how_to_build_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LODESTONE_INDEX_DIR", str(tmp_path / "nothing"))
    result = CliRunner().invoke(main, ["eval", "--report", str(tmp_path / "report")])
    assert result.exit_code == 1 and "Run: lodestone index build" in result.stderr


def test_changes_lists_every_status_change_in_the_window_with_citations(env):
    result = CliRunner().invoke(main, ["changes", "--from", "2025-11-01", "--to", "2025-11-30", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    days = [s["since"] for s in data["status_lines"]]
    assert days and days == sorted(days) and all("2025-11-01" <= d <= "2025-11-30" for d in days)
    assert all(s["citation"] in {c["n"] for c in data["citations"]} for s in data["status_lines"])
    assert any(s["measure_id"] == "mofcom-gac-2025-57" and s["status"] == "suspended" for s in data["status_lines"])


def test_changes_with_a_window_that_ends_before_it_starts_is_one_clear_line(env):
    result = CliRunner().invoke(main, ["changes", "--from", "2025-12-01", "--to", "2025-11-01"])
    assert result.exit_code == 1 and "starts after it ends" in result.output
