"""The one settings table.

Every setting has a name, a default and help text, and can be overridden by an
environment variable ``LODESTONE_<NAME>`` (upper case). The README documents
each one; ``tests/test_config.py`` fails when one is not documented.

>>> s = Settings.load({"LODESTONE_TOP_K": "5"})
>>> s.top_k
5
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from assistant.errors import SettingInvalid

REPO_ROOT = Path(__file__).resolve().parent.parent

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # the model's own "Loading weights" bars; the build keeps its own
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def set_offline_environment() -> None:
    """Make every library stay off the network (model hubs, analytics)."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = _setting(REPO_ROOT / "corpus", "Folder of source documents to index.")
    index_dir: Path = _setting(REPO_ROOT / "index", "Folder where the built index lives (Chroma, BM25, manifest).")
    data_dir: Path = _setting(REPO_ROOT / "data", "Folder for durable data such as the feedback store.")
    chroma_url: str = _setting("", "URL of a Chroma server (e.g. http://127.0.0.1:8000) to hold the vectors; empty: files under index_dir.")
    top_k: int = _setting(8, "Passages retrieved per question (after fusion).")
    candidates: int = _setting(30, "Candidates each retriever (dense, keyword) returns before fusion.")
    rrf_k: int = _setting(60, "Reciprocal-rank-fusion constant.")
    dense_weight: float = _setting(0.7, "Weight of dense hits against keyword hits (1.0) in the fusion, 0 to 1.")
    chunk_tokens: int = _setting(200, "Target chunk size in word pieces of the embedding model (max 254).")
    chunk_overlap: int = _setting(30, "Overlap between neighbouring chunks, in word pieces.")
    max_file_bytes: int = _setting(20_000_000, "Largest corpus file indexed, in bytes; a bigger file is skipped and named.")
    max_file_chunks: int = _setting(20_000, "Most chunks one corpus file may make; a file over it is skipped and named.")
    max_question_chars: int = _setting(2000, "Longest question accepted, in characters.")
    refusal_threshold: float = _setting(
        0.6, "Share of an off-domain question one quoted sentence must cover to be answered (see evals/README.md)."
    )
    answer_sentences: int = _setting(6, "Most quoted sentences in an extractive answer.")
    as_of: str = _setting("", "Date answers speak for, YYYY-MM-DD; empty means today.")
    verify_citations: bool = _setting(True, "Verify every quote against its passage (never turn off in production).")
    llm_url: str = _setting("", "Base URL of an OpenAI-compatible server (e.g. http://127.0.0.1:8080/v1); empty: no generator.")
    llm_model: str = _setting("", "Model name to request from the generator server.")
    llm_api_key: str = _setting("", "API key for the generator server, if it needs one.")
    llm_timeout: float = _setting(60.0, "Seconds to wait for the generator before falling back to the extractive answer.")
    web_host: str = _setting("127.0.0.1", "Address the web chat binds to.")
    web_port: int = _setting(7860, "Port of the web chat.")
    web_concurrency: int = _setting(4, "Questions the web chat answers at once.")
    web_username: str = _setting("", "Web chat login name; set with web_password to require a login.")
    web_password: str = _setting("", "Web chat password; set with web_username to require a login.")
    web_login_attempts: int = _setting(5, "Wrong web logins one client address may make per web_login_window before it must wait.")
    web_login_window: float = _setting(60.0, "Seconds over which wrong web logins are counted.")
    web_downloads: int = _setting(50, "Most answer and conversation downloads the web chat keeps on disk at once (oldest go first).")
    slack_api_url: str = _setting("https://slack.com/api/", "Base URL of Slack's Web API (for proxies and tests).")
    slack_channels: str = _setting("", "Comma-separated channel ids the bot answers in; empty: every channel it is in.")
    slack_max_body_bytes: int = _setting(
        262_144, "Largest Slack request body accepted over HTTP, in bytes; larger ones get 413 unread."
    )
    screen_threshold: float = _setting(
        88.0, "Lowest fuzzy score (0-100) reported as a possible party match; exact needs the same words after normalisation."
    )
    screen_max_names: int = _setting(100000, "Most names one screening file may hold.")

    @classmethod
    def load(cls, environ: dict | None = None, **overrides) -> Settings:
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(env_name(f.name))
            if raw is not None:
                values[f.name] = _parse(f, raw)
        values.update(overrides)
        return cls(**values)

    @property
    def feedback_db(self) -> Path:
        return Path(self.data_dir) / "feedback.sqlite3"

    @property
    def audit_db(self) -> Path:
        return Path(self.data_dir) / "audit.sqlite3"

    @property
    def conversations_db(self) -> Path:
        return Path(self.data_dir) / "conversations.sqlite3"


def env_name(setting: str) -> str:
    return f"LODESTONE_{setting.upper()}"


def setting_docs() -> list[tuple[str, str, object]]:
    """(environment variable, help, default) for every setting."""
    return [(env_name(f.name), f.metadata["help"], f.default) for f in fields(Settings)]


def _parse(f, raw: str):
    kind = f.type if isinstance(f.type, type) else {"int": int, "float": float, "bool": bool, "Path": Path}.get(f.type, str)
    try:
        if kind is bool:
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes"}
        return kind(raw)
    except ValueError:
        label = {int: "whole number", float: "number", bool: "true or false"}.get(kind, kind.__name__)
        raise SettingInvalid(f"{env_name(f.name)} must be a {label}, got {raw!r}") from None
