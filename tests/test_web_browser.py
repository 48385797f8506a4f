"""The web chat in headless Chromium, as a person uses it: type, read, click, rate.

Needs Debian's chromium (`make browser`, or `apt-get install -y chromium`) and
the playwright package; playwright's own browser download is never used.
"""

from __future__ import annotations

import dataclasses
import re
import socket
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from assistant.feedback import FeedbackStore

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
ANSWER_WAIT_MS = 90_000  # the first answer opens the index and loads the model

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium: apt-get install -y chromium"
    ),
]
playwright = pytest.importorskip("playwright.sync_api", reason="needs the playwright package: pip install -e '.[dev]'")
expect = playwright.expect
Axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="needs axe-playwright-python").Axe

from assistant import web  # noqa: E402  (after the skips)


@pytest.fixture(scope="module")
def web_settings(built_index, tmp_path_factory):
    return dataclasses.replace(built_index, data_dir=tmp_path_factory.mktemp("web-browser-data"))


@pytest.fixture(scope="module")
def url(engine, web_settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = web.build_app(engine, web_settings)
    web.launch(app, web_settings, port=port, block=False)
    yield app.local_url
    app.close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, url, width=1400, height=1000, dark=False):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    page = context.new_page()
    page.goto(url + ("?__theme=dark" if dark else ""), wait_until="domcontentloaded")
    page.locator("#question textarea").wait_for()
    return page


@pytest.fixture
def page(browser, url):
    """A fresh browser (its own local storage, so its own history) on the chat page."""
    page = new_page(browser, url)
    yield page
    page.context.close()


def replies(page):
    return page.locator('#chat [data-testid="bot"]')


def ask(page, question: str, as_of: str | None = None, expected: str = "Answer as of"):
    """Type a question (and a date), press Enter, and wait for the new reply to finish."""
    before = replies(page).count()
    if as_of is not None:
        page.locator("#as-of input").first.fill(as_of)
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    reply = replies(page).nth(before)
    expect(reply).to_contain_text(expected, timeout=ANSWER_WAIT_MS)
    return reply


def serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page once it has settled (tabs fade in)."""
    page.wait_for_timeout(800)
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_streamed_answer_leads_with_its_status_and_links_each_citation_to_its_source(page, artifacts):
    page.evaluate(
        """() => {
        window.seen = new Set();
        new MutationObserver(() => {
            const bots = document.querySelectorAll('#chat [data-testid="bot"]');
            if (bots.length) window.seen.add(bots[bots.length - 1].innerText);
        }).observe(document.body, {subtree: true, childList: true, characterData: true});
    }"""
    )
    reply = ask(page, "Is holmium controlled?", as_of="2025-11-20")
    expect(reply).to_contain_text("suspended")
    expect(reply).to_contain_text("Answer as of 20 November 2025")
    assert page.evaluate("window.seen.size") > 2, "the answer should be written into the chat piece by piece"
    expect(page.locator('#chat [data-testid="user"]').last).to_be_in_viewport()

    sources = page.locator("#sources")
    expect(sources.locator("#source-1 blockquote mark").first).not_to_be_empty()
    expect(sources.locator(".source").first.locator(".kind")).to_have_text(re.compile("Lodestone digest|Official text"))
    expect(sources.locator("table.measures")).to_contain_text("suspended")
    expect(sources.locator("table.measures")).not_to_contain_text("mofcom-gac-2025-70")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "web-answer-light.png"))
    page.screenshot(path=str(REPO_ROOT / "docs" / "web-answer.png"))

    last = reply.locator('a[href^="#source-"]').last
    target = sources.locator(f"#source-{last.inner_text().strip('[]')}")
    expect(target).not_to_be_in_viewport()
    last.click()
    expect(target).to_be_in_viewport()


def test_conversation_survives_a_reload_and_reopens_from_the_sidebar(page):
    ask(page, "Is dysprosium controlled?", as_of="2025-11-20")
    page.reload(wait_until="domcontentloaded")
    expect(replies(page)).to_have_count(1, timeout=30_000)
    expect(replies(page).first).to_contain_text("dysprosium")

    page.locator("#new-conversation").click()
    expect(replies(page)).to_have_count(0)
    page.locator("#history").get_by_text("Is dysprosium controlled?").click()
    expect(replies(page)).to_have_count(1)
    expect(page.locator("#sources")).to_contain_text("Answer 1")


def test_copy_confirms_and_copies_the_chosen_answer(page):
    ask(page, "What does control code 1E902.b cover?")
    page.locator("#copy-answer").click()
    expect(page.locator("#note")).to_contain_text("Copied answer 1 and its sources")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "1E902.b" in copied and "## Sources" in copied and "[1] " in copied

    with page.expect_download() as download:
        page.locator("#download").click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == copied


def test_ask_again_for_another_date_changes_the_status(page):
    first = ask(page, "Is holmium controlled?", as_of="2025-10-20")
    expect(first).to_contain_text("announced")
    ask(page, "Is dysprosium controlled?")
    first.click()
    expect(page.locator("#note")).to_contain_text("Answer 1 chosen")
    expect(page.locator("#sources .status")).to_have_text(["announced"])
    page.locator("#again-date input").first.fill("2025-11-20")
    page.locator("#ask-again-button").click()
    again = replies(page).nth(2)
    expect(again).to_contain_text("Answer as of 20 November 2025", timeout=ANSWER_WAIT_MS)
    expect(again).to_contain_text("suspended")
    expect(page.locator("#sources .status")).to_have_text(["suspended"])


def test_a_bad_date_clears_the_stale_panels(page):
    ask(page, "Is holmium controlled?", as_of="2025-11-20")
    expect(page.locator("#sources .source").first).to_be_visible()
    # the date picker itself refuses a malformed date, so the bad date comes in the question
    reply = ask(page, "Was holmium controlled on 31 February 2025?", expected="does not exist")
    expect(reply).not_to_contain_text("suspended")
    expect(page.locator("#sources .source")).to_have_count(0)
    expect(page.locator("#sources table")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("not answered")


def test_thumbs_down_with_a_comment_is_stored(page, web_settings):
    ask(page, "What does control code 1E902.b cover?")
    page.locator("#feedback-comment textarea").fill("Should name the production-line technologies first")
    page.locator("#thumbs-down").click()
    expect(page.locator("#note")).to_contain_text("feedback on answer 1 was saved")

    rows = [r for r in FeedbackStore(web_settings.feedback_db).all() if r["comment"].startswith("Should name")]
    assert len(rows) == 1
    assert rows[0]["rating"] == "down" and rows[0]["question"] == "What does control code 1E902.b cover?"
    assert "1E902.b" in rows[0]["answer"] and rows[0]["source"] == "web"


def test_open_document_highlights_the_cited_span(page):
    ask(page, "Is holmium controlled?", as_of="2025-11-20")
    card = page.locator("#sources .source").first
    card.locator("summary", has_text="Open document").click()
    text = card.locator(".document-text")
    expect(text).to_be_visible()
    expect(text.locator("mark").first).to_be_in_viewport()
    assert len(text.inner_text()) > len(card.locator("blockquote").inner_text()), "the whole document is shown"


def test_mobile_drawer_opens_from_a_citation(browser, url, artifacts):
    page = new_page(browser, url, width=390, height=844)
    try:
        reply = ask(page, "Is holmium controlled?", as_of="2025-11-20")
        drawer = page.locator("#details-column")
        expect(drawer).not_to_be_in_viewport()
        page.screenshot(path=str(artifacts / "web-mobile.png"))
        reply.locator('a[href="#source-1"]').first.click()
        expect(drawer).to_have_class(re.compile(r"\bopen\b"))
        expect(page.locator("#source-1")).to_be_in_viewport()
        page.screenshot(path=str(artifacts / "web-mobile-drawer.png"))
        page.locator("#close-drawer").click()
        expect(drawer).not_to_have_class(re.compile(r"\bopen\b"))
    finally:
        page.context.close()


def test_no_serious_accessibility_violations_empty_answered_and_dark(browser, url, artifacts):
    page = new_page(browser, url)
    try:
        assert serious(page) == [], "empty page"
        ask(page, "Is holmium controlled?", as_of="2025-11-20")
        assert serious(page) == [], "after an answer"
        page.locator("#theme-toggle").click()
        expect(page.locator("body")).to_have_class(re.compile(r"\bdark\b"))
        page.screenshot(path=str(artifacts / "web-answer-dark.png"))
        assert serious(page) == [], "dark theme"
    finally:
        page.context.close()


def test_example_question_and_keyboard_shortcuts(page):
    page.get_by_text("What does control code 1E902.b cover?").click()
    expect(replies(page).first).to_contain_text("Answer as of", timeout=ANSWER_WAIT_MS)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    expect(page.locator("#question textarea")).to_be_focused()
    page.keyboard.press("Escape")
    page.locator("#sources").click(position={"x": 5, "y": 5})
    page.keyboard.press("Alt+n")
    expect(replies(page)).to_have_count(0)


def test_the_screen_tab_screens_pasted_names_beside_the_chat(page):
    page.get_by_role("tab", name="Screen").click()
    page.locator("#screen-names textarea").fill("Teledyne FLIR\nNorthwind Logistics GmbH")
    page.locator("#screen-as-of textarea, #screen-as-of input").first.fill("2025-10-20")
    page.locator("#screen-run").click()
    expect(page.locator("#screen-message")).to_contain_text("Screened 2 names as of 2025-10-20", timeout=ANSWER_WAIT_MS)
    expect(page.locator("#screen-results")).to_contain_text("Teledyne FLIR, LLC")
    page.get_by_role("tab", name="Chat").click()
    expect(page.locator("#question textarea")).to_be_visible()
