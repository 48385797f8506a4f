"""The terminal renderer and the ask/chat commands that use it."""

from __future__ import annotations

from io import StringIO

import pytest
from click.testing import CliRunner
from rich.console import Console

from assistant.cli import main
from assistant.render.terminal import print_answer, print_sources
from assistant.schema import Answer, Citation, StatusLine, Verdict


def drawn(answer: Answer, sources: bool = True, width: int = 50) -> str:
    out = StringIO()
    console = Console(file=out, width=width)
    print_answer(answer, console)
    if sources:
        print_sources(answer, console)
    return out.getvalue()


def typed() -> Answer:
    citation = Citation(1, "corpus/mofcom-gac-2025-57.md", "Announcement No. 57 of 2025", "q", 0, 1,
                        "https://www.mofcom.gov.cn/a/b", "2026-11-24", 1, "ann-57", "MOFCOM and GAC")
    return Answer(
        "Is holmium controlled?", "**Status** ...", False, [citation], as_of="2025-11-20",
        verdict=Verdict("suspended", "Holmium's controls are suspended as of 20 November 2025.", [1]),
        status_lines=[
            StatusLine("ann-57", "Announcement No. 57 of 2025", "suspended", "suspended since 7 November 2025", citation=1),
            StatusLine("ann-61", "Announcement No. 61 of 2025", "unknown", "", since="2026-11-10"),
        ],
    )


def test_verdict_status_and_sources_are_drawn_without_markdown_or_paths():
    text = drawn(typed())
    assert "Holmium's controls are suspended" in text and "[1]" in text
    assert "unknown after 10 November 2026 (nothing later in the corpus)" in text.replace("\n", " ").replace("  ", " ")
    assert "[1] Announcement No. 57 of 2025 (MOFCOM and GAC, 24 November 2026, mofcom.gov.cn)" in " ".join(text.split())
    assert "**" not in text and "corpus/" not in text


def test_text_answers_lose_their_markdown_and_wrap_between_words():
    answer = Answer("q", "**Status on 20 November 2025** holmium and dysprosium are both listed under the 2025 controls.", False,
                    as_of="2025-11-20")
    lines = drawn(answer, sources=False, width=30).splitlines()
    assert "**" not in "".join(lines) and all(len(line) <= 30 for line in lines)
    words = set(answer.answer.replace("*", "").split())
    assert all(set(line.split()) <= words | {"As", "of", "20", "Nov", "2025"} for line in lines), "no word is cut"


def test_a_source_is_dated_by_the_day_its_instrument_was_issued_not_the_digest_s_own_date():
    citation = Citation(1, "corpus/x.md", "Announcement No. 18 of 2025", "q", 0, 1, "https://www.osencmagnet.com/a",
                        "2026-11-24", 1, "mofcom-gac-2025-18", "MOFCOM and GAC", issued="2025-04-04")
    text = " ".join(drawn(Answer("q", "x [1]", False, [citation], as_of="2025-11-20")).split())
    assert "(MOFCOM and GAC, issued 4 April 2025, osencmagnet.com)" in text and "24 November 2026" not in text


def test_an_answer_of_quotes_alone_draws_each_quote_once():
    from assistant.schema import Quote

    answer = Answer("q", "It was suspended. [1]\nIt ends in 2026. [2]", False, as_of="2025-11-20",
                    quotes=[Quote("It was suspended.", 1), Quote("It ends in 2026.", 2)])
    text = drawn(answer, sources=False, width=80)
    assert text.count("It was suspended.") == 1 and text.count("It ends in 2026.") == 1


@pytest.fixture
def env(built_index, monkeypatch, tmp_path):
    monkeypatch.setenv("LODESTONE_INDEX_DIR", str(built_index.index_dir))
    monkeypatch.setenv("LODESTONE_CORPUS_DIR", str(built_index.corpus_dir))
    monkeypatch.setenv("LODESTONE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_ask_prints_sources_by_title_and_plain_keeps_the_old_text(env):
    rich = CliRunner().invoke(main, ["ask", "Is holmium controlled?", "--as-of", "2025-11-20"])
    assert rich.exit_code == 0, rich.output
    assert "Sources" in rich.output and "[1] " in rich.output
    assert "**" not in rich.output and "corpus/" not in rich.output
    plain = CliRunner().invoke(main, ["ask", "Is holmium controlled?", "--as-of", "2025-11-20", "--plain"])
    assert plain.output.startswith("(as of 2025-11-20)") and "corpus/" in plain.output


def test_chat_commands_new_date_and_sources(env):
    typed_in = "/date 20/11/2025\n/date 2025-10-20\nIs holmium controlled?\n/sources\n/new\n/sources\n"
    result = CliRunner().invoke(main, ["chat"], input=typed_in)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "dates are YYYY-MM-DD, got '20/11/2025'" in out and "(answers are now as of 2025-10-20)" in out
    assert "announced" in out and "As of 20 October 2025" in out
    assert "Sources" in out and "(new conversation)" in out and "(no sources yet" in out
