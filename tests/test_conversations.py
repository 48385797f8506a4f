"""The conversation store on a real SQLite file: owners never mix, answers come back typed."""

from __future__ import annotations

import threading

import pytest

from assistant.conversations import ConversationStore
from assistant.errors import ConversationNotFound
from assistant.schema import Answer, Citation, Passage, Query, StatusLine, Verdict


def answer(question: str, text: str = "It is listed. [1]", as_of: str = "2025-11-20") -> Answer:
    citation = Citation(1, "corpus/a.md", "Announcement No. 57", "listed", 10, 16, None, "2025-10-09", 1, "a")
    passage = Passage("a-1", "a", "corpus/a.md", "Announcement No. 57", "It is listed here.", 4, 22, rank=1)
    return Answer(
        question,
        text,
        False,
        [citation],
        [passage],
        as_of=as_of,
        query=Query(question, question, as_of=as_of, as_of_source="question", instruments=["a"]),
        verdict=Verdict("yes", "Holmium is controlled.", [1], as_of),
        status_lines=[StatusLine("a", "Holmium controls", "suspended", "suspended since 7 November 2025")],
    )


@pytest.fixture
def store(tmp_path):
    store = ConversationStore(tmp_path / "data" / "conversations.sqlite3")
    yield store
    store.close()


def test_two_users_conversations_never_mix(store, tmp_path):
    alice = store.create("user:alice")
    bob = store.create("user:bob")
    store.add_turn("user:alice", alice, answer("Is holmium controlled?"))
    store.add_turn("user:bob", bob, answer("Is gallium controlled?"))

    assert [c.title for c in store.list("user:alice")] == ["Is holmium controlled?"]
    assert [c.title for c in store.list("user:bob")] == ["Is gallium controlled?"]
    assert store.list("user:alice", search="gallium") == []
    for act in (
        lambda: store.get("user:alice", bob),
        lambda: store.add_turn("user:alice", bob, answer("sneaky")),
        lambda: store.rename("user:alice", bob, "mine now"),
        lambda: store.delete("user:alice", bob),
    ):
        with pytest.raises(ConversationNotFound):
            act()
    reopened = ConversationStore(tmp_path / "data" / "conversations.sqlite3")
    assert [a.question for a in reopened.get("user:bob", bob).answers] == ["Is gallium controlled?"]
    reopened.close()


def test_answers_come_back_as_typed_answers_in_order(store):
    cid = store.create("browser:1")
    first, second = answer("Is holmium controlled?"), answer("and on 2025-10-20?", as_of="2025-10-20")
    store.add_turn("browser:1", cid, first)
    store.add_turn("browser:1", cid, second)
    conversation = store.get("browser:1", cid)
    assert conversation.answers == [first, second]
    assert isinstance(conversation.answers[0].verdict, Verdict) and conversation.answers[0].passages[0].start == 4
    assert [t.question for t in conversation.turns] == ["Is holmium controlled?", "and on 2025-10-20?"]


def test_rename_delete_and_search_by_text(store):
    one = store.create("browser:1")
    two = store.create("browser:1")
    store.add_turn("browser:1", one, answer("Is holmium controlled?", "Holmium is suspended. [1]"))
    store.add_turn("browser:1", two, answer("What does 1E902.b cover?", "Production-line technology. [1]"))

    assert [c.id for c in store.list("browser:1")] == [two, one], "latest first"
    assert [c.id for c in store.list("browser:1", search="production-LINE")] == [two], "answers are searched too"
    assert [c.id for c in store.list("browser:1", search="100%")] == [], "wildcards are literal"
    store.rename("browser:1", one, "  Holmium check  ")
    assert store.get("browser:1", one).title == "Holmium check"
    store.add_turn("browser:1", one, answer("and dysprosium?"))
    assert store.get("browser:1", one).title == "Holmium check", "a rename is kept"
    store.delete("browser:1", two)
    assert [c.id for c in store.list("browser:1")] == [one]


def test_many_threads_append_to_their_own_conversations(store):
    owners = [f"browser:{n}" for n in range(6)]
    ids = {owner: store.create(owner) for owner in owners}

    def talk(owner):
        for n in range(5):
            store.add_turn(owner, ids[owner], answer(f"{owner} question {n}"))

    threads = [threading.Thread(target=talk, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for owner in owners:
        assert [a.question for a in store.get(owner, ids[owner]).answers] == [f"{owner} question {n}" for n in range(5)]
