"""Questions as people (and shells) type them: every character the tokenizer cannot take is replaced
or removed before anything reads the text, and the CLI answers a question holding an invalid byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT
from assistant.textinput import REPLACEMENT, clean_question


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Is holmium \udcff controlled?", "Is holmium \ufffd controlled?"),  # an invalid byte through the shell
        ("lone \ud800 high", "lone \ufffd high"),
        ("a pair \ud83d\ude00 joins", "a pair 😀 joins"),
        ("NUL\x00inside", "NUL inside"),
        ("bell\x07 and escape\x1b[31m", "bell  and escape [31m"),
        ("C1\x85next line", "C1\nnext line"),
        ("windows\r\nline", "windows\nline"),
        ("dys\u200bpro\u200dsium\ufeff", "dysprosium"),
        ("\u202eoxide\u202c", "oxide"),
        ("soft\u00adhyphen", "softhyphen"),
        ("non\ufffecharacter\U0010ffff", "non\ufffdcharacter\ufffd"),
        ("  tab\tkept  ", "tab\tkept"),
        ("Cafe\u0301", "Caf\u00e9"),
        ("镝和铽", "镝和铽"),
    ],
)
def test_clean_question(raw, clean):
    assert clean_question(raw) == clean


def test_clean_text_is_always_encodable_and_nfc():
    nasty = "".join(chr(c) for c in range(0, 0x3000, 7)) + "\udc80\udfff\ud800"
    cleaned = clean_question(nasty)

    cleaned.encode("utf-8")  # no lone surrogate survives
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not any(unicodedata.category(c) in {"Cc", "Cs"} and c not in "\t\n" for c in cleaned)
    assert REPLACEMENT in cleaned


def test_clean_question_refuses_what_is_not_text():
    with pytest.raises(TypeError, match="got bytes"):
        clean_question(b"Is holmium controlled?")


def run_cli(built_index, *args) -> subprocess.CompletedProcess:
    env = os.environ | {
        "LODESTONE_INDEX_DIR": str(built_index.index_dir),
        "LODESTONE_DATA_DIR": str(built_index.data_dir),
        "LODESTONE_AS_OF": built_index.as_of,
        "PYTHONPATH": str(REPO_ROOT),
    }
    command = [str(Path(sys.executable).parent / "lodestone"), *args]
    return subprocess.run(command, capture_output=True, env=env, timeout=300, cwd=REPO_ROOT)


def test_the_cli_answers_a_question_with_an_invalid_utf8_byte(built_index):
    done = run_cli(built_index, "ask", b"Is holmium \xff controlled?", "--json")

    assert b"Traceback" not in done.stderr, done.stderr.decode("utf-8", "replace")[-2000:]
    assert done.returncode == 0
    answer = json.loads(done.stdout)
    assert answer["question"] == "Is holmium \ufffd controlled?"
    assert "holmium" in answer["answer"].lower()


def test_the_cli_prints_a_long_answer_whole_and_keeps_its_exit_codes(built_index):
    # `ask` and `changes` leave without tearing the interpreter down: what they printed must all arrive.
    done = run_cli(built_index, "changes", "--from", "2025-01-01", "--to", "2026-11-30", "--plain")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    text = done.stdout.decode()
    assert text.startswith("(as of") and text.count("\n[") >= 5
    assert text.rstrip().endswith('"') or "Note:" in text.rsplit("\n", 1)[-1]

    refused = run_cli(built_index, "ask", "   ")
    assert refused.returncode == 1
    assert refused.stderr.startswith(b"Error: ") and b"Traceback" not in refused.stderr
