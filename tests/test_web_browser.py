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


@pytest.fixture
def page(browser, url):
    """A fresh browser session on the chat page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.locator("#question textarea").wait_for()
    yield page
    context.close()


def replies(page):
    return page.locator('#chat [data-testid="bot"]')


def ask(page, question: str, as_of: str | None = None, expected: str = "Answer as of"):
    """Type a question (and a date), press Enter, and wait for the new reply to finish."""
    before = replies(page).count()
    if as_of is not None:
        page.locator("#as-of textarea, #as-of input").first.fill(as_of)
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    reply = replies(page).nth(before)
    expect(reply).to_contain_text(expected, timeout=ANSWER_WAIT_MS)
    return reply


def test_streamed_answer_links_each_citation_to_its_highlighted_source(page, artifacts):
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
    expect(reply).to_contain_text("Answer as of 2025-11-20")
    assert page.evaluate("window.seen.size") > 2, "the answer should be written into the chat piece by piece"

    marker = reply.locator('a[href="#source-1"]')
    expect(marker).to_have_text("[1]")
    sources = page.locator("#sources")
    expect(sources.locator("#source-1 mark")).not_to_be_empty()
    expect(sources.locator("#source-1")).to_contain_text("Announcement No. 57 of 2025")
    expect(sources.locator("table.measures")).to_contain_text("suspended")
    page.screenshot(path=str(artifacts / "web-answer.png"))

    last = reply.locator('a[href^="#source-"]').last
    target = sources.locator(f"#source-{last.inner_text().strip('[]')}")
    expect(target).not_to_be_in_viewport()
    last.click()
    expect(target).to_be_in_viewport()
    expect(target.locator("mark")).to_be_in_viewport()


def test_changing_the_as_of_date_changes_the_status(page):
    before = ask(page, "Is holmium controlled?", as_of="2025-10-20")
    expect(before).to_contain_text("announced")
    expect(before).to_contain_text("Answer as of 2025-10-20")
    expect(page.locator("#sources .status")).to_have_text(["announced"])

    after = ask(page, "Is holmium controlled?", as_of="2025-11-20")
    expect(after).to_contain_text("suspended")
    expect(after).to_contain_text("Answer as of 2025-11-20")
    expect(page.locator("#sources .status")).to_have_text(["suspended"])


def test_thumbs_down_with_a_comment_is_stored(page, web_settings):
    ask(page, "What does control code 1E902.b cover?")
    page.locator("#feedback-comment textarea").fill("Should name the production-line technologies first")
    page.locator("#thumbs-down").click()
    expect(page.locator("#note")).to_contain_text("feedback on the latest answer was saved")

    rows = [r for r in FeedbackStore(web_settings.feedback_db).all() if r["comment"].startswith("Should name")]
    assert len(rows) == 1
    assert rows[0]["rating"] == "down" and rows[0]["question"] == "What does control code 1E902.b cover?"
    assert "1E902.b" in rows[0]["answer"] and rows[0]["source"] == "web"


def test_follow_up_is_answered_in_context(page):
    ask(page, "Is dysprosium controlled?")
    follow_up = ask(page, "and what about holmium?")
    expect(follow_up).to_contain_text(re.compile("holmium", re.I))
    expect(page.locator("#sources")).to_contain_text("Announcement No. 57 of 2025")

    page.locator("#new-conversation").click()
    expect(replies(page)).to_have_count(0)
    expect(page.get_by_text("Is holmium controlled?")).to_be_visible()  # the example questions are back


def test_example_question_then_copy_and_download_the_answer(page, tmp_path):
    page.get_by_text("What does control code 1E902.b cover?").click()
    reply = replies(page).first
    expect(reply).to_contain_text("Answer as of", timeout=ANSWER_WAIT_MS)

    page.get_by_role("button", name="Copy answer").click()
    expect(page.locator("#note")).to_contain_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "1E902.b" in copied and "## Sources" in copied and "[1] " in copied

    with page.expect_download() as download:
        page.locator("#download").click()
    saved = tmp_path / "answer.md"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8") == copied


def test_empty_question_shows_a_message(page):
    reply = ask(page, "", expected="Please type a question")
    expect(reply).to_contain_text("it was empty")
    expect(ask(page, "Is holmium controlled?", as_of="2025-11-20")).to_contain_text("suspended")
