"""The page: a history sidebar, the chat, and a panel for the chosen answer.

Components get ids the stylesheet, the script (``assets/``) and the tests use.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import gradio as gr

from assistant.config import Settings
from assistant.web import rendering
from assistant.web.handlers import CHAT_VIEW, SELECT_VIEW, WebChat
from assistant.web_screen import build_screen_tab

ASSETS = Path(__file__).parent / "assets"
EXAMPLES = [
    "Is holmium controlled?",
    "What does control code 1E902.b cover?",
    "Is dysprosium controlled?",
    "Can gallium be exported to the United States?",
]
# Small calls into assets/web.js: the event handlers themselves live there.
COPY = "(text) => window.lodestone.copy(text)"
TOGGLE_THEME = "() => window.lodestone.toggleTheme()"
CLOSE_DRAWER = "() => window.lodestone.closeDrawer()"


def build_app(engine, settings: Settings) -> gr.Blocks:
    """The web chat page over a shared engine (the engine is thread-safe)."""
    chat = WebChat(engine, settings)
    with gr.Blocks(title="Lodestone", analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        visitor = gr.State(None)
        saved = gr.BrowserState(None, storage_key="lodestone-visitor", secret=_browser_secret(settings))
        selected = gr.State(None)
        with gr.Sidebar(label="Conversations", elem_id="sidebar", open=True):
            new_button = gr.Button("New conversation", elem_id="new-conversation", variant="secondary")
            search = gr.Textbox(label="Search conversations", elem_id="history-search", max_lines=1)
            history = gr.Radio(label="Past conversations", elem_id="history", choices=[])
            title = gr.Textbox(label="Rename this conversation", elem_id="rename-title", max_lines=1)
            with gr.Row():
                rename_button = gr.Button("Rename", size="sm", elem_id="rename")
                delete_button = gr.Button("Delete", size="sm", variant="stop", elem_id="delete")
            export_button = gr.Button("Export as Markdown", size="sm", elem_id="export")
            export_file = gr.DownloadButton("Download conversation (.md)", size="sm", elem_id="export-file", visible=False)
        gr.HTML((ASSETS / "header.html").read_text(encoding="utf-8"), elem_id="header")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Chat", id="chat-tab", elem_id="chat-tab"):
                with gr.Row(equal_height=False, elem_id="main"):
                    with gr.Column(scale=3, elem_id="chat-column"):
                        chatbot = gr.Chatbot(
                            label="Conversation",
                            show_label=False,
                            elem_id="chat",
                            height=620,
                            feedback_options=None,
                            autoscroll=False,
                            buttons=["copy"],
                            examples=[{"text": q} for q in EXAMPLES],
                            placeholder="Ask about China's rare-earth export controls. Every answer cites its sources.",
                        )
                        question = gr.Textbox(label="Question", elem_id="question", placeholder=EXAMPLES[0], max_lines=6)
                        with gr.Row(elem_id="controls"):
                            as_of = gr.DateTime(
                                label="As of", elem_id="as-of", include_time=False, type="string", value=chat.page_as_of,
                                scale=2, min_width=180,
                            )
                            today = gr.Button("Today", size="sm", elem_id="today", scale=0, min_width=80)
                            ask_button = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=90)
                            stop_button = gr.Button("Stop", variant="stop", elem_id="stop", scale=1, min_width=90)
                            edit_button = gr.Button("Edit last question", size="sm", elem_id="edit-last", scale=0, min_width=120)
                            theme_button = gr.Button("Dark theme", size="sm", elem_id="theme-toggle", scale=0, min_width=110)
                    with gr.Column(scale=2, elem_id="details-column"):
                        close_drawer = gr.Button("Close sources", size="sm", elem_id="close-drawer")
                        details = gr.HTML(rendering.PLACEHOLDER, elem_id="sources", max_height=640)
                        note = gr.Markdown(elem_id="note", container=False)
                        with gr.Row(elem_id="answer-actions"):
                            copy_button = gr.Button("Copy answer", size="sm", elem_id="copy-answer")
                            download = gr.DownloadButton("Download (.md)", size="sm", elem_id="download", visible=False)
                            thumbs_up = gr.Button("👍 Helpful", size="sm", elem_id="thumbs-up")
                            thumbs_down = gr.Button("👎 Not helpful", size="sm", elem_id="thumbs-down")
                        comment = gr.Textbox(label="Comment on the chosen answer (optional)", elem_id="feedback-comment", max_lines=3)
                        with gr.Row(elem_id="ask-again"):
                            again_date = gr.DateTime(
                                label="Ask the chosen answer's question again as of", elem_id="again-date",
                                include_time=False, type="string", scale=3, min_width=180,
                            )
                            again_button = gr.Button("Ask again", size="sm", elem_id="ask-again-button", scale=1)
                        for button in (download, export_file):  # gradio's copies live, capped, in the app's download folder
                            button.GRADIO_CACHE = str(chat.downloads.served)
                        markdown = gr.Textbox(label="Chosen answer as Markdown", elem_id="answer-markdown", visible="hidden")
            with gr.Tab("Screen", id="screen-tab", elem_id="screen-tab"):
                build_screen_tab(engine, settings)

        chat_view = [
            {"chat": chatbot, "question": question, "details": details, "download": download, "markdown": markdown,
             "note": note, "visitor": visitor, "saved": saved, "selected": selected, "as_of": as_of,
             "history": history}[name]
            for name in CHAT_VIEW
        ]
        select_view = [
            {"details": details, "download": download, "markdown": markdown, "note": note, "selected": selected,
             "again_date": again_date}[name]
            for name in SELECT_VIEW
        ]
        asked = gr.on([question.submit, ask_button.click], chat.ask, [question, as_of, visitor], chat_view, api_name="ask")
        example = chatbot.example_select(_example_text, None, question, api_visibility="private").then(
            chat.ask, [question, as_of, visitor], chat_view, api_visibility="private"
        )
        again = again_button.click(chat.ask_again, [again_date, selected, visitor], chat_view, api_name="ask_again")
        stop_button.click(None, None, None, cancels=[asked, example, again], api_visibility="private")
        edit_button.click(chat.edit_last, [visitor], question, api_name="edit_last")
        chatbot.select(chat.select, [visitor], select_view, api_visibility="private")
        thumbs_up.click(chat.thumbs_up, [comment, selected, visitor], [note, comment], api_name="thumbs_up")
        thumbs_down.click(chat.thumbs_down, [comment, selected, visitor], [note, comment], api_name="thumbs_down")
        copy_button.click(None, [markdown], [note], js=COPY)
        theme_button.click(None, None, None, js=TOGGLE_THEME)
        close_drawer.click(None, None, None, js=CLOSE_DRAWER)
        today.click(lambda: dt.date.today().isoformat(), None, as_of, api_visibility="private")

        new_button.click(chat.new_conversation, [visitor], chat_view, api_name="new_conversation")
        chatbot.clear(chat.new_conversation, [visitor], chat_view, api_visibility="private")
        history.input(chat.open_conversation, [history, visitor], chat_view, api_name="open_conversation")
        search.input(chat.search, [search, visitor], history, api_name="search_conversations")
        rename_button.click(chat.rename, [title, visitor], [note, history, title], api_name="rename_conversation")
        delete_button.click(chat.delete, [visitor], chat_view, api_name="delete_conversation")
        export_button.click(chat.export, [visitor], [export_file, note], api_name="export_conversation").then(
            lambda: gr.DownloadButton(visible=True), None, export_file, api_visibility="private"
        )
        app.load(chat.open_page, [saved], chat_view, api_visibility="private")
    app.queue(default_concurrency_limit=settings.web_concurrency)
    app.web_chat = chat  # the server closes its downloads when the app stops
    return app


def _example_text(selected: gr.SelectData) -> str:
    return selected.value["text"]


def _browser_secret(settings: Settings) -> str:
    """The key the visitor's id is kept under in the browser, stable across restarts of this data folder."""
    path = Path(settings.data_dir) / "web-browser-secret"
    try:
        return path.read_text(encoding="utf-8").strip() or _new_secret(path)
    except FileNotFoundError:
        return _new_secret(path)


def _new_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    path.write_text(secret, encoding="utf-8")
    path.chmod(0o600)
    return secret
