"""The Block Kit renderer on hand-built Answers: typed parts drawn in order, the Markdown text never parsed."""

from __future__ import annotations

from assistant.schema import Answer, Caveat, Citation, Query, Quote, StatusLine, Verdict
from assistant.slack import blocks

MARKDOWN = "MARKDOWN TEXT **Status on 1 January 2020**\n- Something else: in force [9]"


def cited(n: int) -> Citation:
    return Citation(
        n=n,
        document=f"corpus/doc-{n}.md",
        title=f"Announcement {n} of 2025",
        quote=f"Evidence sentence {n}.",
        start=0,
        end=10,
        url=f"https://example.org/{n}",
        published="2025-10-09",
        passage=n,
        issuer="MOFCOM",
    )


def typed_answer(**changes) -> Answer:
    answer = Answer(
        question="Is holmium controlled today?",
        answer=MARKDOWN,
        refused=False,
        as_of="2026-11-24",
        citations=[cited(1), cited(2), cited(3)],
        verdict=Verdict("yes", "Yes: holmium is controlled on 24 November 2026 under No. 18 of 2025.", [1], "2026-11-24"),
        status_lines=[
            StatusLine("mofcom-2025-18", "No. 18 of 2025", "in_force", "in force since 4 April 2025", citation=1),
            StatusLine(
                "mofcom-2025-61",
                "No. 61 of 2025",
                "suspended",
                "suspended since 10 November 2025 <until> 10 November 2026",
                citation=2,
                where_to_check="MOFCOM's announcements",
            ),
        ],
        quotes=[Quote("Holmium & its oxides are listed.", 1), Quote("From 2027 the list grows.", 3, later=True)],
        caveats=[
            Caveat("NdFeB magnets containing Dy are still listed.", [2]),
            Caveat("The catch-all rule may apply.", [], kind="where_to_check"),
        ],
        query=Query(question="Is holmium controlled today?", standalone="", as_of="2026-11-24", as_of_source="today"),
    )
    for name, value in changes.items():
        setattr(answer, name, value)
    return answer


def texts(drawn: list[dict]) -> list[str]:
    out = []
    for block in drawn:
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
    return out


def test_verdict_opens_in_its_own_section_then_status_quotes_caveats_sources():
    drawn = texts(blocks.answer_blocks(typed_answer()))

    assert drawn[0] == "*Yes: holmium is controlled on 24 November 2026 under No. 18 of 2025.* [1]"
    status = drawn[1]
    assert status.startswith("*Status on 24 November 2026*\n• No. 18 of 2025: in force since 4 April 2025 [1]")
    assert "• No. 61 of 2025: suspended since 10 November 2025 &lt;until&gt; 10 November 2026 [2]" in status
    assert "_Check: MOFCOM's announcements_" in status
    assert drawn[2] == ">Holmium &amp; its oxides are listed. [1]\n>From 2027 the list grows. [3] _(speaks of a later period)_"
    assert drawn[3] == "⚠️ NdFeB magnets containing Dy are still listed. [2]\n🔎 The catch-all rule may apply."
    assert drawn[4].startswith("Answer as of 24 November 2026.")
    assert drawn[5] == "*Sources (3)*" and drawn[6].startswith("*[1]* <https://example.org/1|Announcement 1 of 2025>")


def test_the_markdown_text_is_never_drawn_or_parsed_when_typed_parts_exist():
    answer = typed_answer()
    drawn = "\n".join(texts(blocks.answer_blocks(answer)))
    text = blocks.fallback_text(answer)

    assert "MARKDOWN TEXT" not in drawn and "Something else" not in drawn and "[9]" not in drawn
    assert "MARKDOWN TEXT" not in text and text.startswith("Yes: holmium is controlled")


def test_each_part_alone_is_drawn_without_empty_sections():
    only_status = typed_answer(verdict=None, quotes=[], caveats=[])
    drawn = blocks.answer_blocks(only_status)

    assert drawn[0]["text"]["text"].startswith("*Status on 24 November 2026*")
    assert all(b["text"]["text"].strip() for b in drawn if b["type"] == "section")


def test_an_answer_without_typed_parts_is_drawn_from_its_text():
    refusal = Answer(
        question="What will prices do?",
        answer="Lodestone does not **predict** prices.",
        refused=True,
        refusal="advice",
        as_of="2026-11-24",
    )
    drawn = texts(blocks.answer_blocks(refusal))

    assert drawn[0] == "Lodestone does not *predict* prices."
    assert drawn[1] == "Answer as of 24 November 2026. "  # no "quotes are verified" line on a refusal
    assert blocks.fallback_text(refusal) == "Lodestone does not predict prices."


def test_understood_as_shows_a_date_read_from_the_question():
    query = Query(
        question="Was holmium controlled on 15 December 2025?",
        standalone="",
        as_of="2025-12-15",
        as_of_source="question",
        instruments=["mofcom-2025-18"],
    )
    answer = typed_answer(query=query, as_of="2025-12-15")

    drawn = texts(blocks.answer_blocks(answer))

    assert drawn[1] == "Understood as: as of 15 December 2025 (from the question); about No. 18 of 2025"
    same_date = texts(blocks.answer_blocks(answer, set_as_of="2025-12-15"))
    assert same_date[1] == "Understood as: about No. 18 of 2025"  # the person set that date: not repeated


def test_understood_as_is_left_out_when_nothing_differs():
    query = Query(
        question="Is No. 18 of 2025 in force?", standalone="", as_of="2026-11-24", instruments=["mofcom-2025-18"]
    )
    drawn = texts(blocks.answer_blocks(typed_answer(query=query)))

    assert not any(t.startswith("Understood as") for t in drawn)


def test_an_understood_caveat_joins_the_understood_line_not_the_caveats():
    answer = typed_answer(caveats=[Caveat("read “the October package” as Nos. 55-58 and 61-62", kind="understood")])
    drawn = texts(blocks.answer_blocks(answer))

    assert drawn[1] == "Understood as: read “the October package” as Nos. 55-58 and 61-62"
    assert not any(t.startswith("⚠️") for t in drawn)


def test_typed_parts_stay_within_slack_limits():
    many = [Quote("quoted words " * 40, n % 3 + 1) for n in range(200)]
    messages = blocks.answer_messages(typed_answer(quotes=many), blocks.answer_actions("v"))

    for drawn, text in messages:
        assert len(drawn) <= blocks.BLOCK_LIMIT and text.strip()
        assert all(len(b["text"]["text"]) <= blocks.SECTION_LIMIT for b in drawn if b["type"] == "section")
    quoted = "".join(t for drawn, _ in messages for t in texts(drawn))
    assert quoted.count("quoted words") == 200 * 40
