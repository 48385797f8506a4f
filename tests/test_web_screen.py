"""The "Screen" tab in headless Chromium: paste names, upload a CSV, read the table, download the results."""

from __future__ import annotations

import csv
import dataclasses
import socket
from pathlib import Path

import pytest

from assistant.audit import AuditLog

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]  # fmt: skip
WAIT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium: apt-get install -y chromium"),
]
playwright = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
expect = playwright.expect


@pytest.fixture(scope="module")
def screen_settings(built_index, tmp_path_factory):
    return dataclasses.replace(built_index, data_dir=tmp_path_factory.mktemp("screen-tab-data"), web_username="alice", web_password="s3cret")


@pytest.fixture(scope="module")
def url(screen_settings):
    import gradio as gr

    from assistant.engine import Engine
    from assistant.web_screen import build_screen_tab

    engine = Engine(screen_settings)
    with gr.Blocks(title="Screen tab", analytics_enabled=False) as app:
        with gr.Tab("Ask"):
            gr.Markdown("the chat goes here")
        with gr.Tab("Screen"):
            build_screen_tab(engine, screen_settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False,
               share=False, auth=[("alice", "s3cret")], show_error=False)  # fmt: skip
    yield app.local_url
    app.close()


@pytest.fixture
def page(url):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_label("username").fill("alice")
        page.get_by_label("password").fill("s3cret")
        page.get_by_role("button", name="Login").click()
        page.get_by_role("tab", name="Screen").click()
        page.locator("#screen-names textarea").wait_for()
        yield page
        browser.close()


def test_pasted_names_give_a_cited_table_and_a_download(page, screen_settings, tmp_path, artifacts):
    page.locator("#screen-names textarea").fill("Teledyne FLIR\nNorthwind Logistics GmbH\nSubaru Corporation")
    page.locator("#screen-as-of textarea, #screen-as-of input").first.fill("2025-10-20")
    page.locator("#screen-run").click()
    message = page.locator("#screen-message")
    expect(message).to_contain_text("Screened 3 names as of 2025-10-20", timeout=WAIT_MS)
    expect(message).to_contain_text("not a complete official list")
    table = page.locator("#screen-results")
    expect(table).to_contain_text("Teledyne FLIR, LLC")
    expect(table).to_contain_text("Unreliable Entity List")
    expect(table).to_contain_text("The 14 Unreliable Entity List designations of 9 October 2025")
    expect(table).to_contain_text("not yet listed")  # Subaru's watch-list entry dates from 24 February 2026
    page.screenshot(path=str(artifacts / "web-screen-tab.png"))

    with page.expect_download() as download:
        page.locator("#screen-download").click()
    saved = tmp_path / "results.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(saved.open(encoding="utf-8")))
    assert [(r["input"], r["outcome"]) for r in rows] == [
        ("Teledyne FLIR", "exact"), ("Northwind Logistics GmbH", "none"), ("Subaru Corporation", "exact"),
    ]  # fmt: skip
    audit = [r for r in AuditLog(screen_settings.audit_db).rows() if r["input"] == "Teledyne FLIR"]
    assert audit and audit[-1]["frontend"] == "web" and audit[-1]["user"] == "alice"


def test_an_uploaded_csv_with_a_bad_row_is_screened_and_the_row_reported(page, tmp_path):
    source = tmp_path / "customers.csv"
    source.write_text("id,company\n1,MP Materials Corp.\n2,\n3,Mitsubishi Heavy Industries Ltd\n", encoding="utf-8")
    page.locator("#screen-file input[type=file]").set_input_files(str(source))
    page.locator("#screen-run").click()
    message = page.locator("#screen-message")
    expect(message).to_contain_text("Screened 2 names", timeout=WAIT_MS)
    expect(message).to_contain_text("CSV row 3: The name to screen is empty.")
    table = page.locator("#screen-results")
    expect(table).to_contain_text("MP Materials")
    expect(table).to_contain_text("units of Mitsubishi Heavy Industries")


def test_a_bad_date_is_a_one_line_message_not_a_traceback(page):
    page.locator("#screen-names textarea").fill("TDK")
    page.locator("#screen-as-of textarea, #screen-as-of input").first.fill("next week")
    page.locator("#screen-run").click()
    expect(page.locator("#screen-message")).to_contain_text("Could not screen: The as-of date must look like", timeout=WAIT_MS)
