"""What happens on the page: asking, choosing an answer, feedback, the conversation history.

One ``WebChat`` serves every visitor. A visitor is an owner in the
conversation store (``user:NAME`` with a login, else ``browser:ID`` kept in the
browser's local storage), so a reload finds the same conversation and nobody
sees another's. Handlers return plain values in the order of the ``*_VIEW``
tuples that ``layout`` wires to components.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import gradio as gr

from assistant.config import Settings
from assistant.conversations import Conversation, ConversationStore
from assistant.errors import ConversationNotFound, LodestoneError
from assistant.feedback import FeedbackStore
from assistant.schema import Answer
from assistant.web import rendering
from assistant.web.documents import Shelf
from assistant.web.downloads import DownloadFolder

log = logging.getLogger(__name__)

GENERIC_ERROR = (
    "Sorry, something went wrong while answering. The problem has been logged; "
    "please try again or rephrase the question."
)
QUESTION_SHOWN_CHARS = 600

# outputs of ask / open / select, in order (layout wires the same names)
CHAT_VIEW = (
    "chat", "question", "details", "download", "markdown", "note", "visitor", "saved", "selected", "as_of", "history"
)
SELECT_VIEW = ("details", "download", "markdown", "note", "selected", "again_date")


class WebChat:
    """The handlers behind the page; one per app, shared by every session."""

    def __init__(self, engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.feedback = FeedbackStore(settings.feedback_db)
        self.conversations = ConversationStore(settings.conversations_db)
        self.shelf = Shelf(settings.corpus_dir)
        self.downloads = DownloadFolder(settings.web_downloads)
        self.page_as_of = self.default_as_of()  # the date box's value when the page was built

    def close(self) -> None:
        self.downloads.close()

    def default_as_of(self) -> str:
        return self.settings.as_of or dt.date.today().isoformat()

    def _new_day(self):
        """Today's date when the day has moved on since the page was built; else the date box is left alone."""
        today = self.default_as_of()
        if today == self.page_as_of:
            return gr.skip()
        return today

    # -- who is asking ----------------------------------------------------
    @staticmethod
    def visitor_of(visitor: dict | None) -> dict:
        visitor = dict(visitor or {})
        visitor.setdefault("browser", "")
        visitor.setdefault("conversation", "")
        if not visitor["browser"]:
            visitor["browser"] = uuid.uuid4().hex
        return visitor

    @staticmethod
    def owner(visitor: dict, request: gr.Request | None) -> str:
        user = getattr(request, "username", None) if request is not None else None
        return f"user:{user}" if user else f"browser:{visitor['browser']}"

    def _conversation(self, owner: str, visitor: dict) -> Conversation | None:
        if not visitor.get("conversation"):
            return None
        try:
            return self.conversations.get(owner, visitor["conversation"])
        except ConversationNotFound:
            visitor["conversation"] = ""
            return None

    # -- the page opens ---------------------------------------------------
    def open_page(self, visitor: dict | None, request: gr.Request):
        """The visitor's current conversation as it was, or an empty chat."""
        visitor = self.visitor_of(visitor)
        owner = self.owner(visitor, request)
        conversation = self._conversation(owner, visitor)
        answers = conversation.answers if conversation else []
        return self._chat_view(visitor, owner, answers, note="", as_of=_latest_date(answers) or self._new_day())

    def open_conversation(self, conversation_id: str | None, visitor: dict | None, request: gr.Request):
        visitor = self.visitor_of(visitor)
        owner = self.owner(visitor, request)
        if not conversation_id or conversation_id == visitor["conversation"]:
            return tuple(gr.skip() for _ in CHAT_VIEW)
        visitor["conversation"] = conversation_id
        conversation = self._conversation(owner, visitor)
        note = "" if conversation else str(ConversationNotFound(conversation_id))
        answers = conversation.answers if conversation else []
        return self._chat_view(visitor, owner, answers, note=note, as_of=_latest_date(answers) or gr.skip())

    def new_conversation(self, visitor: dict | None, request: gr.Request):
        visitor = self.visitor_of(visitor)
        visitor["conversation"] = ""
        return self._chat_view(visitor, self.owner(visitor, request), [], note="", as_of=gr.skip())

    def _chat_view(self, visitor, owner, answers: list[Answer], note, as_of, search: str = ""):
        latest = len(answers) - 1 if answers else None
        return _values(
            CHAT_VIEW,
            chat=_messages(answers),  # the question box is left alone: a visitor may be typing already
            details=rendering.details_html(answers[-1], self.shelf, latest) if answers else rendering.PLACEHOLDER,
            download=self._answer_download(answers[-1]) if answers else gr.DownloadButton(value=None, visible=False),
            markdown=rendering.answer_markdown(answers[-1], self.shelf) if answers else "",
            note=note,
            visitor=visitor,
            selected=latest,
            as_of=as_of,
            history=self.history_choices(owner, visitor["conversation"], search),
        )

    # -- asking -------------------------------------------------------------
    def ask(self, question: str, as_of: str | None, visitor: dict | None, request: gr.Request):
        """Stream one answer into the chat, store it, then show its sources, download and copy text."""
        visitor = self.visitor_of(visitor)
        owner = self.owner(visitor, request)
        conversation = self._conversation(owner, visitor)
        answers = conversation.answers if conversation else []
        messages = _messages(answers)
        shown = (question or "").strip()
        if shown:
            short = shown if len(shown) <= QUESTION_SHOWN_CHARS else shown[:QUESTION_SHOWN_CHARS] + " …"
            messages.append({"role": "user", "content": short})
        reply = {"role": "assistant", "content": ""}
        messages.append(reply)
        control = (as_of or "").strip() or None
        yield _values(CHAT_VIEW, chat=messages, question="", note="", visitor=visitor)
        answer, written = None, ""
        try:
            for event, value in self.engine.stream(
                question or "", as_of=control, history=conversation.turns if conversation else []
            ):
                if event == "answer":
                    answer = value
                else:
                    written += value
                    reply["content"] = rendering.link_markers(written)
                    yield _values(CHAT_VIEW, chat=messages)
        except LodestoneError as error:
            reply["content"] = str(error)
        except Exception:
            log.exception("The web chat failed to answer %r", question)
            reply["content"] = GENERIC_ERROR
        if answer is None:  # errors replace the previous answer's panels
            yield _values(
                CHAT_VIEW,
                chat=messages,
                details=rendering.error_html(reply["content"]),
                download=gr.DownloadButton(value=None, visible=False),
                markdown="",
                selected=None,
            )
            return
        if not visitor["conversation"]:
            visitor["conversation"] = self.conversations.create(owner)
        position = self.conversations.add_turn(owner, visitor["conversation"], answer)
        reply["content"] = rendering.chat_markdown(answer, control)
        yield _values(
            CHAT_VIEW,
            chat=messages,
            details=rendering.details_html(answer, self.shelf, position),
            download=self._answer_download(answer),
            markdown=rendering.answer_markdown(answer, self.shelf),
            visitor=visitor,
            selected=position,
            as_of=answer.as_of or gr.skip(),
            history=self.history_choices(owner, visitor["conversation"]),
        )

    def ask_again(self, as_of: str | None, selected: int | None, visitor: dict | None, request: gr.Request):
        """The chosen answer's question again, as of another date, as a new turn."""
        answer = self._selected(selected, visitor, request)
        if answer is None:
            yield _values(CHAT_VIEW, note="Choose an answer first: click it in the chat.")
            return
        yield from self.ask(answer.standalone_question or answer.question, as_of, visitor, request)

    def edit_last(self, visitor: dict | None, request: gr.Request) -> str:
        """The last question back in the question box, to change and send again."""
        visitor = self.visitor_of(visitor)
        conversation = self._conversation(self.owner(visitor, request), visitor)
        return conversation.answers[-1].question if conversation and conversation.answers else gr.skip()

    # -- one answer ------------------------------------------------------------
    def select(self, event: gr.SelectData, visitor: dict | None, request: gr.Request):
        """Clicking an answer (or its question) makes it the one the panel and the actions are about."""
        position = event.index if isinstance(event.index, int) else event.index[0]
        answer = self._selected(position // 2, visitor, request)
        if answer is None:
            return tuple(gr.skip() for _ in SELECT_VIEW)
        return _values(
            SELECT_VIEW,
            details=rendering.details_html(answer, self.shelf, position // 2),
            download=self._answer_download(answer),
            markdown=rendering.answer_markdown(answer, self.shelf),
            note=f"Answer {position // 2 + 1} chosen: copy, download, rate or ask it again below.",
            selected=position // 2,
            again_date=answer.as_of,
        )

    def _selected(self, selected: int | None, visitor: dict | None, request) -> Answer | None:
        visitor = self.visitor_of(visitor)
        conversation = self._conversation(self.owner(visitor, request), visitor)
        if conversation is None or selected is None or not 0 <= selected < len(conversation.answers):
            return None
        return conversation.answers[selected]

    def give_feedback(self, rating: str, comment: str, selected: int | None, visitor: dict | None, request: gr.Request):
        """Record thumbs up/down on the chosen answer; returns (confirmation, comment box)."""
        answer = self._selected(selected, visitor, request)
        if answer is None:
            return "Ask a question first: feedback is about the chosen answer.", comment
        try:
            self.feedback.record_answer(
                answer,
                source="web",
                rating=rating,
                comment=(comment or "").strip(),
                conversation=self.visitor_of(visitor)["conversation"],
            )
        except LodestoneError as error:
            return str(error), comment
        except Exception:
            log.exception("The web chat failed to store feedback")
            return "Sorry, your feedback could not be saved. The problem has been logged.", comment
        thumb = "👍" if rating == "up" else "👎"
        return f"Thanks: your {thumb} feedback on answer {selected + 1} was saved.", ""

    def thumbs_up(self, comment: str, selected: int | None, visitor: dict | None, request: gr.Request):
        return self.give_feedback("up", comment, selected, visitor, request)

    def thumbs_down(self, comment: str, selected: int | None, visitor: dict | None, request: gr.Request):
        return self.give_feedback("down", comment, selected, visitor, request)

    def _answer_download(self, answer: Answer):
        path = self.downloads.write("lodestone-answer.md", rendering.answer_markdown(answer, self.shelf))
        return gr.DownloadButton(value=str(path), visible=True)

    # -- the history sidebar ------------------------------------------------------
    def history_choices(self, owner: str, current: str, search: str = ""):
        summaries = self.conversations.list(owner, search)
        choices = [(f"{s.title or 'Untitled'} · {rendering.human_date(s.created[:10])}", s.id) for s in summaries]
        ids = {s.id for s in summaries}
        return gr.Radio(choices=choices, value=current if current in ids else None)

    def search(self, text: str, visitor: dict | None, request: gr.Request):
        visitor = self.visitor_of(visitor)
        return self.history_choices(self.owner(visitor, request), visitor["conversation"], text or "")

    def rename(self, title: str, visitor: dict | None, request: gr.Request):
        """Rename the current conversation; returns (note, history, title box)."""
        visitor = self.visitor_of(visitor)
        owner = self.owner(visitor, request)
        if not visitor["conversation"] or not (title or "").strip():
            return "Open a conversation and type its new name first.", gr.skip(), gr.skip()
        try:
            self.conversations.rename(owner, visitor["conversation"], title)
        except ConversationNotFound as error:
            return str(error), gr.skip(), gr.skip()
        return "Conversation renamed.", self.history_choices(owner, visitor["conversation"]), ""

    def delete(self, visitor: dict | None, request: gr.Request):
        visitor = self.visitor_of(visitor)
        owner = self.owner(visitor, request)
        if visitor["conversation"]:
            try:
                self.conversations.delete(owner, visitor["conversation"])
            except ConversationNotFound:
                pass
        visitor["conversation"] = ""
        return self._chat_view(visitor, owner, [], note="Conversation deleted.", as_of=gr.skip())

    def export(self, visitor: dict | None, request: gr.Request):
        """The whole current conversation as one Markdown file."""
        visitor = self.visitor_of(visitor)
        conversation = self._conversation(self.owner(visitor, request), visitor)
        if conversation is None:
            return gr.DownloadButton(value=None), "Nothing to export yet: ask a question first."
        text = rendering.conversation_markdown(conversation.title, conversation.answers, self.shelf)
        path = self.downloads.write("lodestone-conversation.md", text)
        return gr.DownloadButton(value=str(path)), ""


def _messages(answers: list[Answer]) -> list[dict]:
    messages = []
    for answer in answers:
        question = answer.question
        short = question if len(question) <= QUESTION_SHOWN_CHARS else question[:QUESTION_SHOWN_CHARS] + " …"
        messages += [{"role": "user", "content": short}, {"role": "assistant", "content": rendering.chat_markdown(answer)}]
    return messages


def _latest_date(answers: list[Answer]) -> str | None:
    return answers[-1].as_of if answers else None


def _values(names: tuple[str, ...], **changes) -> tuple:
    """Values for the outputs named in order; what is not named stays as it is.

    The visitor is kept twice: for this session (``visitor``) and in the browser (``saved``), for reloads.
    """
    if "visitor" in changes:
        changes["saved"] = changes["visitor"]
    return tuple(changes.get(name, gr.skip()) for name in names)
