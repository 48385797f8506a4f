"""The web renderers on hand-built Answers: verdict first, honest source cards, no stale or repeated text."""

from __future__ import annotations

from pathlib import Path

from assistant.schema import Answer, Caveat, Citation, MeasureStatus, Passage, Query, Quote, StatusLine, Verdict
from assistant.web import rendering
from assistant.web.documents import Shelf, host

DOC_TEXT = "## Dates\nIssued 9 October 2025.\n\n## Scope\nHolmium is listed under 1C909. Ytterbium too.\n"


def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ann-57.md").write_text(
        "---\nid: ann-57\ntitle: Announcement No. 57\nkind: announcement\nissuer: MOFCOM and GAC\n"
        "issued: 2025-10-09\npublished: 2026-11-24\npublisher: Lodestone digest\n"
        'url: "https://www.example-forum.com/post/1"\nsources:\n  - "https://news.example.org/a"\n---\n' + DOC_TEXT,
        encoding="utf-8",
    )
    (folder / "wire.md").write_text(
        "---\nid: wire\ntitle: Wire story\nkind: news\npublisher: Le Monde with AFP\npublished: 2025-10-09\n---\n"
        "China curbs exports of processing technology.\n",
        encoding="utf-8",
    )
    return folder


def cited(n: int, quote: str, passage: int = 1, document_id: str = "ann-57") -> Citation:
    start = DOC_TEXT.index(quote) if quote in DOC_TEXT else 0
    return Citation(n, "corpus/ann-57.md", "Announcement No. 57", quote, start, start + len(quote),
                    "https://www.example-forum.com/post/1", "2026-11-24", passage, document_id, "MOFCOM and GAC")


def passage(rank: int = 1) -> Passage:
    return Passage(f"ann-57-{rank}", "ann-57", "corpus/ann-57.md", "Announcement No. 57", DOC_TEXT, 0, len(DOC_TEXT),
                   rank=rank)


def typed_answer(**changes) -> Answer:
    answer = Answer(
        "Is holmium controlled on 15 December 2025?",
        "Holmium is listed. [1]",
        False,
        [cited(1, "Holmium is listed under 1C909.")],
        [passage()],
        as_of="2025-12-15",
        query=Query("q", "q", as_of="2025-12-15", as_of_source="question", instruments=["ann-57"]),
        verdict=Verdict("yes", "Holmium is controlled as of 15 December 2025.", [1], "2025-12-15"),
        status_lines=[
            StatusLine("ann-57", "Announcement No. 57", "in_force", "in force since 8 November 2025", citation=1),
            StatusLine("ann-61", "Announcement No. 61", "unknown", "", since="2026-11-10",
                       where_to_check="MOFCOM's announcements (www.mofcom.gov.cn)"),
        ],
        quotes=[Quote("Holmium is listed under 1C909.", 1)],
        caveats=[Caveat("Licences are decided case by case.", [1])],
    )
    for name, value in changes.items():
        setattr(answer, name, value)
    return answer


def test_the_verdict_leads_in_its_own_line_then_status_quotes_and_caveats():
    text = rendering.chat_markdown(typed_answer(), control_as_of="2026-11-24")
    blocks = text.split("\n\n")
    assert blocks[0] == '<p class="verdict">Holmium is controlled as of 15 December 2025. <a href="#source-1">[1]</a></p>'
    assert blocks[1].startswith("- **Announcement No. 57**: in force since 8 November 2025 [\\[1\\]](#source-1)")
    assert "unknown after 10 November 2026 (nothing later in the corpus)" in blocks[1]
    assert blocks[2] == "> Holmium is listed under 1C909. [\\[1\\]](#source-1)"
    assert blocks[3].startswith("_Licences are decided case by case._")
    assert "Understood as: as of 15 December 2025 (from the question) · about Announcement No. 57" in text
    assert "Holmium is listed. [" not in text, "the typed parts are drawn, not the text answer"


def test_understood_as_is_left_out_when_the_date_is_the_controls():
    answer = typed_answer(query=Query("q", "q", as_of="2025-12-15", as_of_source="setting"))
    assert "Understood as" not in rendering.chat_markdown(answer, control_as_of="2025-12-15")


def test_an_answer_without_typed_parts_falls_back_to_its_text():
    answer = Answer("q", "It is listed. [1]", False, as_of="2025-11-20")
    assert rendering.chat_markdown(answer) == "It is listed. [\\[1\\]](#source-1)\n\n_Answer as of 20 November 2025_"


def test_removed_sentences_are_reported_only_for_generated_answers():
    removed = [{"n": 2, "reason": "quote is not in the cited passage", "text": "x"}] * 2
    generated = Answer("q", "It is suspended. [1]", False, as_of="2025-11-20", generator="llm", removed=removed)
    extractive = Answer("q", "It is suspended. [1]", False, as_of="2025-11-20", removed=removed)
    assert "_2 unsupported sentences removed._" in rendering.chat_markdown(generated)
    assert "unsupported" not in rendering.chat_markdown(extractive)


def test_source_card_says_what_the_document_is_and_keeps_issuer_and_publisher_apart(tmp_path):
    shelf = Shelf(corpus(tmp_path))
    panel = rendering.details_html(typed_answer(), shelf, 0)
    assert '<p class="kind kind-digest">Lodestone digest</p>' in panel
    assert "Issued by MOFCOM and GAC on 9 October 2025" in panel
    assert "Lodestone digest, compiled 24 November 2026" in panel
    assert ">example-forum.com</a>" in panel and ">news.example.org</a>" in panel, "links are named by host"
    assert "MOFCOM and GAC · 2026-11-24" not in panel
    assert shelf.get("wire").kind == "News capture" and shelf.get("wire").published_verb == "captured"


def test_quotes_lose_their_headings_and_a_shared_passage_is_shown_once(tmp_path):
    answer = typed_answer(
        citations=[cited(1, "Holmium is listed under 1C909."), cited(2, "Ytterbium too.")],
        passages=[passage(1)],
    )
    cards = rendering.source_cards(answer, Shelf(corpus(tmp_path)))
    assert len(cards) == 1, "two citations of one passage share one card"
    card = cards[0]
    assert 'id="source-1"' in card and 'id="source-2"' in card and "[1][2]" in card
    quote = card.split('<blockquote tabindex="0">')[1].split("</blockquote>")[0]
    assert "## " not in quote and "Dates" not in quote
    assert "<mark>Holmium is listed under 1C909.</mark>" in quote and "<mark>Ytterbium too.</mark>" in quote


def test_open_document_holds_the_whole_text_with_the_cited_span_marked(tmp_path):
    card = rendering.source_cards(typed_answer(), Shelf(corpus(tmp_path)))[0]
    document = card.split('<details class="document">')[1]
    assert "Issued 9 October 2025." in document and "<mark>Holmium is listed under 1C909.</mark>" in document


def test_status_table_uses_titles_and_says_what_unknown_means():
    table = rendering.details_html(typed_answer(), None, 0)
    assert '<th scope="row">Announcement No. 61</th>' in table and "ann-61" not in table
    assert 'status-unknown">unknown</span> after 10 November 2026 (nothing later in the corpus)' in table
    assert 'Where to check: MOFCOM&#x27;s announcements (<a href="https://www.mofcom.gov.cn"' in table


def test_older_answers_status_rows_come_from_measures_with_titles_not_ids(tmp_path):
    answer = Answer("q", "x", False, as_of="2025-11-20", measures=[
        MeasureStatus("ann-57", "Holmium controls", "suspended", "2025-11-07", "2026-11-10", "ann-57"),
        MeasureStatus("ann-99", "Later controls", "unknown", "2026-11-10", None, None),
    ])
    rows = rendering.status_rows(answer, Shelf(corpus(tmp_path)))
    assert rows[0].phrase == "suspended since 7 November 2025 until 10 November 2026 by Announcement No. 57"
    assert rows[1].phrase == "unknown after 10 November 2026 (nothing later in the corpus)"


def test_an_error_leaves_no_stale_panel_and_html_is_escaped():
    assert "<mark>" not in rendering.error_html("bad <date>") and "bad &lt;date&gt;" in rendering.error_html("bad <date>")
    card = rendering.source_card([cited(1, "<b>x</b>")], None, None)
    assert "&lt;b&gt;x&lt;/b&gt;" in card and "<b>x</b>" not in card


def test_a_conversation_exports_as_one_markdown_document():
    text = rendering.conversation_markdown("Holmium", [typed_answer(), typed_answer(question="and later?")])
    assert text.startswith("# Holmium") and "## 1. Is holmium controlled" in text and "## 2. and later?" in text
    assert "### Sources" in text and "**Holmium is controlled as of 15 December 2025.** [1]" in text


def test_links_are_named_by_host():
    assert host("https://www.mofcom.gov.cn/article/x") == "mofcom.gov.cn" and host("http://udn.com/a") == "udn.com"
