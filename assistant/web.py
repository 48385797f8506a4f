"""The web chat: a gradio front end that renders engine answers, nothing more.

    lodestone web          # then open http://127.0.0.1:7860

The chat streams each answer as it is written and keeps follow-ups in context
per browser session. Beside it, a sources panel shows every citation of the
latest answer with its quote highlighted in the passage, and the status of any
measure on the as-of date. Feedback (thumbs up/down plus a comment) goes to the
shared feedback store; each answer can be downloaded as Markdown.

>>> app = build_app(Engine(settings), settings)  # doctest: +SKIP
>>> launch(app, settings)  # blocks; serve(settings) also builds a stale index first  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import logging
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings, set_offline_environment
from assistant.errors import LodestoneError, SettingInvalid, WebUnavailable
from assistant.feedback import FeedbackStore
from assistant.schema import Answer, Citation, MeasureStatus, Passage, Turn

set_offline_environment()

import gradio as gr  # noqa: E402  (gradio reads GRADIO_ANALYTICS_ENABLED on import)

log = logging.getLogger(__name__)

EXAMPLES = [
    "Is holmium controlled?",
    "What does control code 1E902.b cover?",
    "Is dysprosium controlled?",
    "Can gallium be exported to the United States?",
]
GENERIC_ERROR = (
    "Sorry, something went wrong while answering. The problem has been logged; "
    "please try again or rephrase the question."
)
SOURCES_PLACEHOLDER = '<p class="placeholder">The sources of the latest answer appear here.</p>'
MARKER = re.compile(r"\[(\d+)\](?!\()")

# Clicking a [n] marker in the chat brings source n into view in the panel; each
# passage opens scrolled to its highlighted quote.
SOURCES_JS = """
const showQuotes = () => element.querySelectorAll('.source blockquote').forEach((passage) => {
  const mark = passage.querySelector('mark');
  if (mark) passage.scrollTop = Math.max(0, mark.offsetTop - 24);
});
watch('value', showQuotes);
if (!window.lodestoneSourceLinks) {
  window.lodestoneSourceLinks = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#source-"]');
    const source = link && document.getElementById(link.getAttribute('href').slice(1));
    if (!source) return;
    event.preventDefault();
    event.stopPropagation();
    source.scrollIntoView({block: 'nearest'});
    source.classList.add('chosen');
    setTimeout(() => source.classList.remove('chosen'), 2000);
  }, true);
}
"""
# The chat's copy button: the latest answer and its sources as plain Markdown (no link syntax).
COPY_JS = """
async (text) => {
  if (!text) return 'Nothing to copy yet: ask a question first.';
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {  // no clipboard API off https/localhost: fall back to a selection
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  return 'Copied the latest answer and its sources.';
}
"""
SOURCES_CSS = """
.placeholder { color: var(--body-text-color-subdued); }
h3 { margin: 0 0 .5em; font-size: 1.05em; }
table.measures { width: 100%; border-collapse: collapse; margin-bottom: 1em; font-size: .85em; border: none; }
table.measures th, table.measures td { border: none; border-bottom: 1px solid var(--border-color-primary);
  padding: .25em .4em; text-align: left; vertical-align: top; }
table.measures td.date { white-space: nowrap; }
table.measures .title { font-size: .9em; color: var(--body-text-color-subdued); }
.status { font-weight: 600; white-space: nowrap; }
.source { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .6em .8em; margin-bottom: .7em;
  scroll-margin: 1em; transition: box-shadow .3s; }
.source.chosen { box-shadow: 0 0 0 3px var(--color-accent); }
.source h4 { margin: 0 0 .2em; font-size: .95em; }
.source .meta { margin: 0 0 .4em; font-size: .85em; color: var(--body-text-color-subdued); word-break: break-all; }
.source blockquote { position: relative; margin: 0; font-size: .88em; white-space: pre-wrap; max-height: 16em; overflow-y: auto; }
mark { background: #ffe27a; color: inherit; padding: 0 .1em; }
"""


@dataclass
class ChatSession:
    """What one browser session holds: its conversation, messages and latest answer."""

    conversation: str = ""
    turns: list[Turn] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    answer: Answer | None = None
    download: Path | None = None

    def start(self) -> None:
        if not self.conversation:
            self.conversation = uuid.uuid4().hex

    def remember(self, answer: Answer) -> None:
        self.answer = answer
        self.turns.append(Turn(question=answer.standalone_question or answer.question, answer=answer.answer))


# -- rendering (plain functions of an Answer) ---------------------------------
def link_markers(text: str) -> str:
    """Turn each [n] marker into a Markdown link to source n in the panel."""
    return MARKER.sub(lambda m: f"[\\[{m[1]}\\]](#source-{m[1]})", text)


def chat_markdown(answer: Answer) -> str:
    """The finished answer as shown in the chat: linked markers, removals, the date it speaks for."""
    lines = [link_markers(answer.answer)]
    if answer.removed and answer.generator != "extractive":
        count = len(answer.removed)
        lines.append(f"_{count} unsupported sentence{'s' if count != 1 else ''} removed._")
    lines.append(f"_Answer as of {answer.as_of}_")
    return "\n\n".join(lines)


def quote_span(passage_text: str, passage_start: int, citation: Citation) -> tuple[int, int] | None:
    """Where the quote sits in the passage text: by its offsets, else by searching for it."""
    lo, hi = citation.start - passage_start, citation.end - passage_start
    quote = " ".join(citation.quote.split())
    if 0 <= lo < hi <= len(passage_text) and " ".join(passage_text[lo:hi].split()) == quote:
        return lo, hi
    if not quote:
        return None
    match = re.search(r"\s+".join(re.escape(word) for word in quote.split()), passage_text)
    return (match.start(), match.end()) if match else None


def highlighted_passage(passage: Passage | None, citation: Citation) -> str:
    if passage is not None and (span := quote_span(passage.text, passage.start, citation)):
        lo, hi = span
        text = passage.text
        return f"{html.escape(text[:lo])}<mark>{html.escape(text[lo:hi])}</mark>{html.escape(text[hi:])}"
    return f"<mark>{html.escape(citation.quote)}</mark>"


def source_card(citation: Citation, passage: Passage | None) -> str:
    meta = [html.escape(x) for x in (citation.issuer, citation.published) if x]
    if citation.url:
        url = html.escape(citation.url)
        meta.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>')
    return (
        f'<section class="source" id="source-{citation.n}">'
        f"<h4>[{citation.n}] {html.escape(citation.title)}</h4>"
        f'<p class="meta">{" · ".join(meta)}</p>'
        f"<blockquote>{highlighted_passage(passage, citation)}</blockquote></section>"
    )


def status_label(status: str) -> str:
    return status.replace("_", " ")


def measures_table(measures: list[MeasureStatus], as_of: str) -> str:
    rows = "".join(
        f'<tr><td><strong>{html.escape(m.id)}</strong><br><span class="title">{html.escape(m.title)}</span></td>'
        f'<td class="status status-{html.escape(m.status)}">{html.escape(status_label(m.status))}</td>'
        f'<td class="date">{html.escape(m.since or "")}</td><td class="date">{html.escape(m.until or "")}</td>'
        f"<td>{html.escape(m.by or '')}</td></tr>"
        for m in measures
    )
    return (
        f"<h3>Status on {html.escape(as_of)}</h3>"
        '<table class="measures"><thead><tr><th>Measure</th><th>Status</th><th>Since</th><th>Until</th><th>By</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def sources_html(answer: Answer | None) -> str:
    """The sources panel for one answer: measure statuses, then one card per citation."""
    if answer is None:
        return SOURCES_PLACEHOLDER
    parts = [measures_table(answer.measures, answer.as_of)] if answer.measures else []
    by_rank = {p.rank: p for p in answer.passages}
    if answer.citations:
        parts.append(f"<h3>Sources ({len(answer.citations)})</h3>")
        parts += [source_card(c, by_rank.get(c.passage)) for c in answer.citations]
    else:
        reason = "the corpus does not cover this question" if answer.refused else "this answer cites nothing"
        parts.append(f'<p class="placeholder">No sources: {reason}.</p>')
    return "".join(parts)


def answer_markdown(answer: Answer) -> str:
    """The answer with its sources as a Markdown document (the download)."""
    lines = [
        "# Lodestone answer",
        "",
        f"**Question:** {answer.question}",
        "",
        f"**Answer as of:** {answer.as_of}",
        "",
        answer.answer,
        "",
    ]
    if answer.measures:
        lines += [
            f"## Status on {answer.as_of}",
            "",
            "| Measure | Status | Since | Until | By |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {m.id}: {m.title} | {status_label(m.status)} | {m.since or ''} | {m.until or ''} | {m.by or ''} |"
            for m in answer.measures
        ]
        lines.append("")
    if answer.citations:
        lines += ["## Sources", ""]
        for c in answer.citations:
            where = ", ".join(x for x in (c.issuer, c.published, c.url) if x)
            lines += [
                f"[{c.n}] {c.title}{' (' + where + ')' if where else ''}",
                "",
                f"> {' '.join(c.quote.split())}",
                "",
            ]
    return "\n".join(lines)


# -- the app ----------------------------------------------------------------
class WebChat:
    """The handlers behind the page; one per app, shared by every session."""

    def __init__(self, engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.feedback = FeedbackStore(settings.feedback_db)
        self.downloads = Path(tempfile.mkdtemp(prefix="lodestone-web-"))

    def default_as_of(self) -> str:
        return self.settings.as_of or dt.date.today().isoformat()

    def ask(self, question: str, as_of: str, session: ChatSession | None):
        """Stream one answer into the chat, then show its sources, download and copy text."""
        session = session or ChatSession()
        session.start()
        shown = (question or "").strip()
        if shown:
            session.messages.append({"role": "user", "content": shown if len(shown) <= 600 else shown[:600] + " …"})
        reply = {"role": "assistant", "content": ""}
        session.messages.append(reply)
        yield _view(session, question="", note="")
        answer, written = None, ""
        try:
            for event, value in self.engine.stream(
                question or "", as_of=(as_of or "").strip() or None, history=session.turns
            ):
                if event == "answer":
                    answer = value
                else:
                    written += value
                    reply["content"] = link_markers(written)
                    yield _view(session)
        except LodestoneError as error:
            reply["content"] = str(error)
        except Exception:
            log.exception("The web chat failed to answer %r", question)
            reply["content"] = GENERIC_ERROR
        if answer is None:
            yield _view(session)
            return
        session.remember(answer)
        reply["content"] = chat_markdown(answer)
        markdown = answer_markdown(answer)
        yield _view(
            session, sources=sources_html(answer), download=self._download(markdown, session), markdown=markdown
        )

    def _download(self, markdown: str, session: ChatSession):
        """A file for the download button; the session's previous one goes (gradio keeps its own copy)."""
        if session.download:
            session.download.unlink(missing_ok=True)
        session.download = self.downloads / f"lodestone-answer-{session.conversation[:8]}-{len(session.turns)}.md"
        session.download.write_text(markdown, encoding="utf-8")
        return gr.DownloadButton(value=str(session.download), visible=True)

    def give_feedback(self, rating: str, comment: str, session: ChatSession | None):
        """Record thumbs up/down on the latest answer; returns (confirmation, comment box)."""
        answer = session.answer if session else None
        if answer is None:
            return "Ask a question first: feedback is about the latest answer.", comment
        try:
            self.feedback.record_answer(
                answer, source="web", rating=rating, comment=(comment or "").strip(), conversation=session.conversation
            )
        except LodestoneError as error:
            return str(error), comment
        except Exception:
            log.exception("The web chat failed to store feedback")
            return "Sorry, your feedback could not be saved. The problem has been logged.", comment
        thumb = "👍" if rating == "up" else "👎"
        return f"Thanks: your {thumb} feedback on the latest answer was saved.", ""

    def new_conversation(self):
        """An empty chat and no session: the next question starts a new conversation."""
        return [], "", SOURCES_PLACEHOLDER, gr.DownloadButton(value=None, visible=False), "", "", "", None


ANSWER_VIEW = ("chat", "question", "sources", "download", "markdown", "note", "session")


def _view(session: ChatSession, **changes) -> tuple:
    """Values for the answer outputs, in ANSWER_VIEW order; what is not named stays as it is."""
    changes |= {"chat": session.messages, "session": session}
    return tuple(changes.get(name, gr.skip()) for name in ANSWER_VIEW)


def build_app(engine, settings: Settings) -> gr.Blocks:
    """The web chat page over a shared engine (the engine is thread-safe)."""
    chat = WebChat(engine, settings)
    with gr.Blocks(title="Lodestone", analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        session = gr.State(None)
        gr.Markdown("## Lodestone\nCited, date-aware answers on China's rare-earth export controls.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                copy_answer = gr.Button("Copy answer", size="sm", elem_id="copy-answer", render=False)
                chatbot = gr.Chatbot(
                    label="Chat",
                    elem_id="chat",
                    height=600,
                    buttons=[copy_answer],
                    layout="panel",
                    feedback_options=None,
                    examples=[{"text": q} for q in EXAMPLES],
                    placeholder="Ask about China's rare-earth export controls. Every answer cites its sources.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="Question", elem_id="question", placeholder=EXAMPLES[0], max_lines=6, scale=4
                    )
                    as_of = gr.Textbox(
                        label="As of (YYYY-MM-DD)",
                        elem_id="as-of",
                        value=chat.default_as_of(),
                        max_lines=1,
                        scale=1,
                        min_width=150,
                    )
                with gr.Row():
                    ask_button = gr.Button("Ask", variant="primary", size="md", elem_id="ask")
                    new_button = gr.Button("New conversation", size="md", elem_id="new-conversation")
                    download = gr.DownloadButton("Download answer (.md)", size="md", elem_id="download", visible=False)
                with gr.Row(equal_height=True):
                    comment = gr.Textbox(
                        label="Was the latest answer helpful? Comment (optional)",
                        elem_id="feedback-comment",
                        max_lines=3,
                        scale=4,
                    )
                    thumbs_up = gr.Button("👍 Helpful", size="md", elem_id="thumbs-up", scale=1, min_width=120)
                    thumbs_down = gr.Button("👎 Not helpful", size="md", elem_id="thumbs-down", scale=1, min_width=120)
                note = gr.Markdown(elem_id="note")
                markdown = gr.Textbox(label="Answer as Markdown", elem_id="answer-markdown", visible="hidden")
            with gr.Column(scale=2):
                sources = gr.HTML(
                    SOURCES_PLACEHOLDER,
                    elem_id="sources",
                    css_template=SOURCES_CSS,
                    js_on_load=SOURCES_JS,
                    max_height=760,
                )
        view = [chatbot, question, sources, download, markdown, note, session]  # ANSWER_VIEW
        gr.on([question.submit, ask_button.click], chat.ask, [question, as_of, session], view, api_name="ask")
        chatbot.example_select(_example_text, None, question, api_visibility="private").then(
            chat.ask, [question, as_of, session], view, api_visibility="private"
        )
        for button, rating in ((thumbs_up, "up"), (thumbs_down, "down")):
            feedback = functools.partial(chat.give_feedback, rating)
            button.click(feedback, [comment, session], [note, comment], api_name=f"thumbs_{rating}")
        copy_answer.click(None, [markdown], [note], js=COPY_JS)
        new_button.click(chat.new_conversation, None, [*view[:-1], comment, session], api_name="new_conversation")
        chatbot.clear(chat.new_conversation, None, [*view[:-1], comment, session], api_visibility="private")
        app.load(functools.partial(_if_changed, chat.default_as_of, as_of.value), None, as_of, api_visibility="private")
    app.queue(default_concurrency_limit=settings.web_concurrency)
    return app


def _if_changed(current, shown: str):
    """Today's date when the day has moved on since the app was built; else leave the box alone."""
    value = current()
    return gr.skip() if value == shown else value


def _example_text(selected: gr.SelectData) -> str:
    return selected.value["text"]


def login(settings: Settings) -> tuple[str, str] | None:
    """The (username, password) the chat requires, or None when no login is set."""
    username, password = settings.web_username, settings.web_password
    if bool(username) != bool(password):
        missing = "LODESTONE_WEB_PASSWORD" if username else "LODESTONE_WEB_USERNAME"
        raise SettingInvalid(f"A web login needs both a username and a password; set {missing} too (or neither).")
    return (username, password) if username else None


def launch(app: gr.Blocks, settings: Settings, host: str | None = None, port: int | None = None, block: bool = True):
    """Serve the app on host:port (127.0.0.1 by default), never through a public share link."""
    where = f"{host or settings.web_host}:{port or settings.web_port}"
    try:
        return _launch(app, settings, host, port, block)
    except OSError as error:
        raise WebUnavailable(f"Can't serve the web chat on {where} ({error}). Is another copy running? Try --port 7861.") from None


def _launch(app: gr.Blocks, settings: Settings, host: str | None, port: int | None, block: bool):
    return app.launch(
        server_name=host or settings.web_host,
        server_port=port or settings.web_port,
        share=False,
        auth=login(settings),
        auth_message="Lodestone: please log in.",
        prevent_thread_lock=not block,
        show_error=False,
        quiet=True,
        ssr_mode=False,
        mcp_server=False,
        footer_links=["api", "settings"],
    )


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Build the index if it is missing or stale, then serve the web chat until stopped."""
    from assistant.engine import Engine

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up checks
    auth = login(settings)
    engine = Engine(settings)
    engine.ensure_index(log)
    app = build_app(engine, settings)
    where = f"http://{host or settings.web_host}:{port or settings.web_port}"
    log.info("Web chat at %s%s (Ctrl+C to stop).", where, " (login required)" if auth else "")
    launch(app, settings, host, port)
