"""Seed 002 is a page capture full of menus: after cleaning, none of the noise
reaches a chunk, and every sentence of the article body does."""

import re

from assistant.citations import normalise
from assistant.config import REPO_ROOT
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_document

SEED = REPO_ROOT / "corpus" / "002_25c35de58450dbc1.txt"
NOISE = [
    "Top Stories", "Local News", "Business & Economy", "Weight Loss Products Reviews", "Forex Trading",
    "Related Posts", "Welcome Back", "Login to your account", "Forgotten Password", "Retrieve your password",
    "SHARES", "VIEWS", "hide caption", "toggle caption", "Reading Time", "No Result", "View All Result",
    "Post Views", "Tags:", "Previous Post", "Next Post", "New Orleans prison escapee", "Nova Starr",
    "Zoma News Pulse", "California Consumer Privacy Act", "Getty Images", "Daniel White by Daniel White",
]  # fmt: skip


def _chunks():
    return chunk_document(load_document(SEED))


def _body_sentences() -> list[str]:
    raw = SEED.read_text(encoding="utf-8")
    body = raw[raw.index("BEIJING —") : raw.index("Source link")]
    lines = [line.strip() for line in body.splitlines()]
    prose = [line for line in lines if len(line.split()) >= 6 and re.search(r"[.!?”\"]$", line)]
    return [s for line in prose for s in re.split(r"(?<=[.!?])\s+(?=[A-Z“])", line) if len(s.split()) >= 4]


def test_no_navigation_noise_reaches_a_chunk():
    text = "\n".join(c.text for c in _chunks())
    leaked = [n for n in NOISE if n.lower() in text.lower()]
    assert leaked == []


def test_every_body_sentence_reaches_a_chunk():
    chunks = [normalise(c.text) for c in _chunks()]
    sentences = _body_sentences()
    assert len(sentences) > 20
    missing = [s for s in sentences if not any(normalise(s) in c for c in chunks)]
    assert missing == []


def test_article_headings_survive():
    text = "\n".join(c.text for c in _chunks())
    assert "China says export controls serve national security" in text
    assert "This is not the first time that China has restricted its exports of rare earths" in text
