"""Party screening from Slack: `/lodestone screen NAME` through the signed-request harness, a CSV shared
in a direct message, and the Block Kit of a screening (never a silent "clear"). The engine is the real one."""

from __future__ import annotations

import csv
import io
import uuid

from assistant.audit import AuditLog
from assistant.schema import Citation, PartyHit, Screening
from assistant.slack.screenings import batch_blocks, screening_blocks
from tests.test_slack import (  # noqa: F401  (fixtures)
    SlackHarness,
    all_text,
    bot,
    slack_settings,
    standin,
)


def audit_rows(engine, text: str) -> list[dict]:
    return [r for r in AuditLog(engine.settings.audit_db).rows() if text in r["input"]]


def test_screen_command_gives_a_cited_listing(bot, standin, engine):
    response, form = bot.command("screen Teledyne FLIR", user="U7")

    assert response.status_code == 200 and response.json()["text"] == "Screening: Teledyne FLIR"
    reply = standin.wait_for("response")[0]
    text = all_text(reply["blocks"])
    assert reply["response_type"] == "ephemeral"
    assert text.startswith("*Listed* for “Teledyne FLIR”")
    assert "Teledyne FLIR, LLC" in text and "Unreliable Entity List" in text and "[1]" in text
    assert "\n>" in text  # the evidence sentence, quoted
    assert "Lists checked:" in text
    rows = audit_rows(engine, "Teledyne FLIR")
    assert rows and (rows[-1]["frontend"], rows[-1]["user"]) == ("slack", "U7")


def test_screen_command_without_a_match_is_never_a_silent_clear(bot, standin):
    name = f"Quiet Meadow Bakery {uuid.uuid4().hex[:6]}"
    bot.command(f"screen {name}")

    text = all_text(standin.wait_for("response")[0]["blocks"])
    assert text.startswith(f"*No match* for “{name}”")
    assert "not a complete official list" in text and "Lists checked:" in text and "corpus up to" in text


def test_screen_command_without_a_name_gets_help(bot, standin):
    response, _ = bot.command("screen  ")

    assert "/lodestone screen Teledyne FLIR" in response.json()["text"]
    assert standin.responses() == []


def test_a_csv_shared_in_a_direct_message_is_screened_with_a_results_file(bot, standin, engine):
    tag = uuid.uuid4().hex[:6]
    content = f"name,country\nTeledyne FLIR,US\nQuiet Meadow Bakery {tag},UK\nBad\x07Name,XX\n".encode()
    message = standin.user_message("D1", "")
    event = message | {"channel_type": "im", "subtype": "file_share", "files": [standin.share_file("customers.csv", content)]}

    assert bot.event(event).status_code == 200

    summary = standin.calls_to("chat.postMessage")[0]
    text = all_text(summary["blocks"])
    assert summary["thread_ts"] == message["ts"]
    assert text.startswith("*Screened 2 names from customers.csv*: 1 listed, 0 possible, 1 no match, 1 rows skipped.")
    assert "“Teledyne FLIR” → *Teledyne FLIR, LLC*" in text and "Row 4 skipped" in text
    upload = [c for c in standin.calls if c["method"].startswith("upload/")][0]
    rows = list(csv.DictReader(io.StringIO(upload["payload"]["content"])))
    assert [(r["input"], r["outcome"]) for r in rows] == [("Teledyne FLIR", "exact"), (f"Quiet Meadow Bakery {tag}", "none")]
    assert standin.calls_to("files.completeUploadExternal")[0]["channel_id"] == "D1"
    assert {r["frontend"] for r in audit_rows(engine, tag)} == {"slack"}


def test_a_file_on_another_host_is_not_fetched(bot, standin):
    message = standin.user_message("D1", "")
    file = {"id": "F9", "name": "x.csv", "filetype": "csv", "url_private_download": "https://elsewhere.example/x.csv"}

    bot.event(message | {"channel_type": "im", "subtype": "file_share", "files": [file]})

    assert "not on Slack's file host" in standin.calls_to("chat.postMessage")[0]["text"]


# -- Block Kit of hand-built screenings -------------------------------------------------------
def hit(**changes) -> PartyHit:
    evidence = Citation(1, "corpus/uel.md", "Unreliable Entity List", "TechInsights was added on 9 October 2025.", 0, 9,
                        None, "2025-10-09", 0)  # fmt: skip
    values = dict(party_id="techinsights", name="TechInsights Inc.", matched="TechInsights", score=100.0,
                  match="exact", reason="same words as name 'TechInsights Inc.'", list="unreliable_entity_list",
                  meaning="Import and export activities related to China are prohibited.", status="listed",
                  since="2025-10-09", country="Canada", citation=evidence, list_title="Unreliable Entity List")  # fmt: skip
    return PartyHit(**(values | changes))


def test_a_hit_shows_list_status_meaning_and_evidence():
    screening = Screening("techinsights", "2026-11-24", "exact", [hit()], ["unreliable_entity_list"], "2026-06-22")

    text = all_text(screening_blocks(screening))

    assert "*TechInsights Inc.* (Canada) · Unreliable Entity List: listed since 9 October 2025 [1]" in text
    assert "exact match, score 100" in text and "_Import and export activities" in text
    assert ">TechInsights was added on 9 October 2025. — [1] Unreliable Entity List" in text


def test_an_unknown_status_says_where_to_check():
    unknown = hit(status="unknown", note="Nothing in the corpus after 7 November 2025: check MOFCOM.")
    screening = Screening("x", "2026-11-24", "exact", [unknown], ["unreliable_entity_list"], "2026-06-22",
                          note="The corpus does not know the current status.")  # fmt: skip

    text = all_text(screening_blocks(screening))

    assert (
        "status unknown" in text and "🔎 Nothing in the corpus after 7 November 2025" in text and "⚠️ The corpus" in text
    )


def test_a_batch_summary_counts_and_lists_the_matches():
    hits = [Screening(f"n{i}", "2026-11-24", "possible", [hit(match="possible", score=91.0)]) for i in range(25)]
    blocks = batch_blocks("c.csv", hits + [Screening("z", "2026-11-24", "none", note="No match; check MOFCOM.")], [])

    text = all_text(blocks)
    assert text.startswith("*Screened 26 names from c.csv*: 0 listed, 25 possible, 1 no match.")
    assert text.count("→") == 20 and "5 more matches are in the results file." in text and "check MOFCOM" in text
