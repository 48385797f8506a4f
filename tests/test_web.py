"""The web chat through its HTTP API (gradio_client), against the real engine and index.

One app is launched on 127.0.0.1 for the module; each gradio Client is its own
browser session, so its follow-ups keep their own history.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.errors import SettingInvalid
from assistant.feedback import FeedbackStore

gradio_client = pytest.importorskip(
    "gradio_client", reason="gradio_client is a dev dependency: pip install -e '.[dev]'"
)

from assistant import web  # noqa: E402  (after the skip, so a missing dev extra skips instead of failing)

HOLMIUM = "Is holmium controlled?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launched(engine, settings: Settings) -> tuple[object, str]:
    app = web.build_app(engine, settings)
    web.launch(app, settings, port=free_port(), block=False)
    return app, app.local_url


@pytest.fixture(scope="module")
def web_settings(built_index, tmp_path_factory) -> Settings:
    """The test index, with a feedback store of this module's own."""
    return dataclasses.replace(built_index, data_dir=tmp_path_factory.mktemp("web-data"))


@pytest.fixture(scope="module")
def served(engine, web_settings):
    app, local_url = launched(engine, web_settings)
    yield app, local_url
    app.close()


@pytest.fixture(scope="module")
def url(served):
    return served[1]


def client(url: str, **kwargs):
    return gradio_client.Client(url, verbose=False, **kwargs)


def text_of(message: dict) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def reply(outputs) -> str:
    """The last assistant message of the chat in an /ask result."""
    chat = outputs[0]
    assert chat and chat[-1]["role"] == "assistant"
    return text_of(chat[-1])


# -- through the API ---------------------------------------------------------
# /ask returns (chat, question, panel, download, markdown, note, saved visitor, as-of, history)
def test_answer_streams_in_then_shows_date_linked_citations_sources_and_download(url):
    job = client(url).submit(HOLMIUM, "2025-11-20", api_name="/ask")
    chat, _question, sources, download, markdown, _note, _saved, as_of, history = job.result()
    final = text_of(chat[-1])

    partial = [text_of(o[0][-1]) for o in job.outputs()[:-1]]
    assert any(0 < len(p) < len(final) for p in partial), "the answer should appear piece by piece"
    assert text_of(chat[0]) == HOLMIUM
    assert "suspended" in final and "Answer as of 20 November 2025" in final
    assert "[\\[1\\]](#source-1)" in final, "citation markers link to their source in the panel"
    assert as_of == "2025-11-20", "the date control keeps in step with the date the answer used"

    assert 'id="source-1"' in sources and "<mark>" in sources
    assert "Announcement No. 57 of 2025" in sources
    assert '<span class="status status-suspended">suspended</span>' in sources, "the status table shows the as-of status"
    assert "mofcom-gac-2025-70" not in sources, "instruments are named by title, not by id"

    saved = Path(download["value"] if isinstance(download, dict) else download).read_text(encoding="utf-8")
    assert saved == markdown
    assert saved.startswith("# Lodestone answer") and f"**Question:** {HOLMIUM}" in saved
    assert "## Sources" in saved and "[1] MOFCOM/GAC Announcement No. 57 of 2025" in saved
    assert "(#source-" not in saved, "the download carries plain [n] markers, not links into the page"
    assert [label for label, _id in history["choices"]][0].startswith(HOLMIUM)


def test_the_as_of_date_decides_the_status(url):
    session = client(url)
    before = session.predict(HOLMIUM, "2025-10-20", api_name="/ask")
    after = session.predict(HOLMIUM, "2025-11-20", api_name="/ask")
    assert "announced" in reply(before) and "Answer as of 20 October 2025" in reply(before)
    assert "suspended" in reply(after) and "Answer as of 20 November 2025" in reply(after)


def test_follow_up_is_answered_in_context_and_new_conversation_starts_afresh(url):
    session = client(url)
    session.predict("Is dysprosium controlled?", "", api_name="/ask")
    follow_up = session.predict("and what about holmium?", "", api_name="/ask")
    assert [text_of(m) for m in follow_up[0] if m["role"] == "user"] == [
        "Is dysprosium controlled?",
        "and what about holmium?",
    ]
    assert "holmium" in reply(follow_up).lower()
    assert "Announcement No. 57 of 2025" in follow_up[2]

    cleared = session.predict(api_name="/new_conversation")
    assert cleared[0] == [] and "selected answer appear here" in cleared[2]
    fresh = session.predict(HOLMIUM, "", api_name="/ask")
    assert len(fresh[0]) == 2, "the new conversation holds only its own question and answer"
    assert len(fresh[8]["choices"]) == 2, "both conversations are in the history"


def test_history_reopens_renames_searches_deletes_and_exports(url):
    session = client(url)
    first = session.predict("Is dysprosium controlled?", "2025-11-20", api_name="/ask")
    first_id = first[8]["value"]
    session.predict(api_name="/new_conversation")
    session.predict(HOLMIUM, "2025-11-20", api_name="/ask")

    reopened = session.predict(first_id, api_name="/open_conversation")
    assert [text_of(m) for m in reopened[0] if m["role"] == "user"] == ["Is dysprosium controlled?"]
    assert "dysprosium" in reopened[2].lower()

    note, history, _box = session.predict("Dysprosium check", api_name="/rename_conversation")
    assert "renamed" in note and ["Dysprosium check" in label for label, _ in history["choices"]].count(True) == 1
    found = session.predict("holmium", api_name="/search_conversations")
    assert [label.split(" · ")[0] for label, _ in found["choices"]] == [HOLMIUM]

    exported, _note = session.predict(api_name="/export_conversation")
    text = Path(exported["value"] if isinstance(exported, dict) else exported).read_text(encoding="utf-8")
    assert text.startswith("# Dysprosium check") and "## 1. Is dysprosium controlled?" in text

    after = session.predict(api_name="/delete_conversation")
    assert after[0] == [] and [label.split(" · ")[0] for label, _ in after[8]["choices"]] == [HOLMIUM]


def test_one_browser_cannot_open_another_browsers_conversation(served):
    app, url = served
    alice, bob = client(url), client(url)
    asked = alice.predict("Is gallium controlled?", "2025-11-20", api_name="/ask")
    alices = asked[8]["value"]
    with pytest.raises(Exception):  # noqa: B017  (not among bob's choices: gradio refuses it at the door)
        bob.predict(alices, api_name="/open_conversation")
    assert bob.predict("gallium", api_name="/search_conversations")["choices"] == []
    # behind the door, the store itself refuses: the owner is bob's browser, not alice's
    view = app.web_chat.open_conversation(alices, {"browser": "bob-browser", "conversation": ""}, None)
    assert view[0] == [] and "not in your history" in view[5]


def test_ask_again_with_another_date_answers_the_chosen_question_anew(url):
    session = client(url)
    session.predict(HOLMIUM, "2025-10-20", api_name="/ask")
    again = session.predict("2025-11-20", api_name="/ask_again")
    assert [text_of(m) for m in again[0] if m["role"] == "user"] == [HOLMIUM, HOLMIUM]
    assert "suspended" in reply(again) and "Answer as of 20 November 2025" in reply(again)


def test_edit_last_question_puts_it_back_in_the_box(url):
    session = client(url)
    session.predict(HOLMIUM, "2025-11-20", api_name="/ask")
    assert session.predict(api_name="/edit_last") == HOLMIUM


def test_several_people_at_once_get_their_own_answers(url):
    questions = {
        "holmium": HOLMIUM,
        "dysprosium": "Is dysprosium controlled?",
        "1e902.b": "What does control code 1E902.b cover?",
        "gallium": "Can gallium be exported to the United States?",
    }
    results, failures = {}, []

    def ask(subject, question):
        try:
            results[subject] = client(url).predict(question, "2025-11-20", api_name="/ask")
        except Exception as error:  # reported below with the subject it belongs to
            failures.append((subject, error))

    threads = [threading.Thread(target=ask, args=item) for item in questions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not failures
    for subject, question in questions.items():
        chat = results[subject][0]
        assert [text_of(m) for m in chat][:1] == [question] and len(chat) == 2, f"{subject}: another session leaked in"
        answer = text_of(chat[-1]).lower()
        assert subject in answer, f"the {subject} question got an answer about something else"
        assert not {other for other in questions if other != subject and other in answer}, f"{subject}: mixed answers"


def test_feedback_is_stored_with_the_answer_and_confirmed(url, web_settings):
    session = client(url)
    assert "Ask a question first" in session.predict("too early", api_name="/thumbs_up")[0]

    answered = session.predict(HOLMIUM, "2025-11-20", api_name="/ask")
    note, comment_box = session.predict("The date is wrong", api_name="/thumbs_down")
    assert "feedback on answer 1 was saved" in note
    assert comment_box == "", "the comment box is cleared once the feedback is saved"

    row = FeedbackStore(web_settings.feedback_db).all()[-1]
    assert (row["source"], row["rating"], row["comment"]) == ("web", "down", "The date is wrong")
    assert row["question"] == HOLMIUM and row["as_of"] == "2025-11-20" and row["conversation"]
    assert row["answer"] in answered[4], "the stored answer is the one shown"
    citations = json.loads(row["citations"])
    assert citations[0]["n"] == 1 and citations[0]["quote"] and citations[0]["title"]


def test_bad_input_gets_a_friendly_message_and_clears_the_previous_answers_panels(url):
    session = client(url)
    answered = session.predict(HOLMIUM, "2025-11-20", api_name="/ask")
    assert "<mark>" in answered[2]
    bad_date = session.predict(HOLMIUM, "20/11/2025", api_name="/ask")
    assert "YYYY-MM-DD" in reply(bad_date)
    assert "<mark>" not in bad_date[2] and "not answered" in bad_date[2], "no stale sources beside the error"
    assert bad_date[4] == "", "nothing stale to copy"
    assert "Please type a question" in reply(session.predict("   ", "", api_name="/ask"))
    assert "the limit is" in reply(session.predict("x" * 5000, "", api_name="/ask"))
    again = session.predict(HOLMIUM, "2025-11-20", api_name="/ask")
    assert "suspended" in reply(again) and len(again[0]) == 4, "failed questions are not kept in the history"


def test_question_outside_the_corpus_is_refused_and_cites_nothing(url):
    refused = client(url).predict("What is the best recipe for banana bread?", "", api_name="/ask")
    assert "does not cover this question" in reply(refused)
    assert "No sources: the corpus does not cover this question." in refused[2] and "<mark>" not in refused[2]


# -- login, start-up, no index, downloads ----------------------------------------------
def test_login_is_required_when_set(engine, web_settings):
    settings = dataclasses.replace(web_settings, web_username="analyst", web_password="s3cret-pass")
    app, local_url = launched(engine, settings)
    try:
        with pytest.raises(Exception):  # noqa: B017  (gradio_client reports a refused login in several ways)
            client(local_url).predict(HOLMIUM, "2025-11-20", api_name="/ask")
        logged_in = client(local_url, auth=("analyst", "s3cret-pass"))
        assert "suspended" in reply(logged_in.predict(HOLMIUM, "2025-11-20", api_name="/ask"))
    finally:
        app.close()


def test_wrong_logins_are_limited_per_address_and_state_changes_need_a_login(engine, web_settings):
    settings = dataclasses.replace(
        web_settings, web_username="analyst", web_password="s3cret-pass", web_login_attempts=3, web_login_window=60
    )
    app, local_url = launched(engine, settings)
    try:
        with httpx.Client(base_url=local_url) as browser:
            reset = browser.post("/gradio_api/reset", json={"event_id": "x"})
            assert reset.status_code == 401, "no state-changing route answers without a login"
            wrong = [browser.post("/login", data={"username": "analyst", "password": f"guess{n}"}) for n in range(3)]
            assert [r.status_code for r in wrong] == [400, 400, 400]
            throttled = browser.post("/login", data={"username": "analyst", "password": "s3cret-pass"})
            assert throttled.status_code == 429 and "Too many wrong logins" in throttled.text
            assert int(throttled.headers["retry-after"]) > 0
        app.close()
        app, local_url = launched(engine, settings)  # a new server: a new window
        with httpx.Client(base_url=local_url) as browser:
            assert browser.post("/login", data={"username": "analyst", "password": "s3cret-pass"}).status_code == 200
            assert browser.post("/gradio_api/reset", json={"event_id": "x"}).status_code == 200
    finally:
        app.close()


def test_login_limiter_counts_each_address_on_its_own():
    from assistant.web.guard import LoginLimiter

    limiter = LoginLimiter(attempts=2, window=60)
    for now in (0, 1):
        limiter.failed("10.0.0.1", now=now)
    assert limiter.wait("10.0.0.1", now=2) == 58 and limiter.wait("10.0.0.2", now=2) == 0
    assert limiter.wait("10.0.0.1", now=59.5) == 1 and limiter.wait("10.0.0.1", now=61) == 0
    limiter.failed("10.0.0.2", now=3)
    limiter.succeeded("10.0.0.2")
    limiter.failed("10.0.0.2", now=4)
    assert limiter.wait("10.0.0.2", now=5) == 0, "a good login clears the count"


def test_download_files_do_not_outlive_the_app(engine, web_settings):
    settings = dataclasses.replace(web_settings, web_downloads=2)
    app, local_url = launched(engine, settings)
    downloads = app.web_chat.downloads
    session = client(local_url)
    for question in (HOLMIUM, "Is dysprosium controlled?", "Is gallium controlled?"):
        download = session.predict(question, "2025-11-20", api_name="/ask")[3]
        fetched = Path(download["value"] if isinstance(download, dict) else download).read_text(encoding="utf-8")
        assert question in fetched, "each download is served"
    assert len(downloads.files()) == 2, "the folder is capped, the oldest goes first"
    served = list(downloads.served.glob("*/*.md"))
    assert len(served) == 2, "what gradio serves is capped the same way"
    assert "Is dysprosium controlled?" in served[0].read_text() + served[1].read_text()
    app.close()
    assert not downloads.path.exists(), "the app's download folder, with gradio's copies, is removed when it stops"


def test_half_a_login_is_refused_with_what_to_set(web_settings):
    with pytest.raises(SettingInvalid, match="LODESTONE_WEB_PASSWORD"):
        web.login(dataclasses.replace(web_settings, web_username="analyst"))


def test_serve_builds_a_missing_index_before_launching(small_corpus, tmp_path, monkeypatch, embedder):
    from assistant import store

    settings = Settings.load({}, corpus_dir=small_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    launched_with = []
    monkeypatch.setattr(web, "launch", lambda app, settings, host, port: launched_with.append((app, host, port)))

    web.serve(settings, port=7999)

    assert not store.corpus_changed(settings), "the index is built and up to date"
    app, host, port = launched_with[0]
    assert (host, port) == (None, 7999) and app.config["title"] == "Lodestone"
    assert not app.web_chat.downloads.path.exists(), "serve cleans its downloads when it returns"


def test_no_index_yet_is_a_message_in_the_chat(tmp_path):
    from assistant.engine import Engine

    settings = Settings.load({}, index_dir=tmp_path / "no-index", data_dir=tmp_path / "data")
    chat = web.WebChat(Engine(settings), settings)
    *_, last = chat.ask(HOLMIUM, "", None, None)
    assert "Run: lodestone index build" in last[0][-1]["content"]
    chat.close()
