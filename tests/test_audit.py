"""The screening audit trail and resumable batches, through the engine and the CLI on a real index."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from assistant.audit import AuditLog
from assistant.cli import main
from assistant.config import REPO_ROOT
from assistant.engine import Engine
from assistant.errors import IndexNotBuilt
from tests.name_data import unrelated


@pytest.fixture
def settings(built_index, tmp_path):
    return dataclasses.replace(built_index, data_dir=tmp_path / "data")


@pytest.fixture
def env(settings, monkeypatch):
    for name, value in {"INDEX_DIR": settings.index_dir, "DATA_DIR": settings.data_dir, "AS_OF": settings.as_of}.items():
        monkeypatch.setenv(f"LODESTONE_{name}", str(value))
    return settings


def test_the_index_build_saves_the_parties_register(built_index):
    live = built_index.index_dir / "live"
    data = json.loads((live / "parties.json").read_text(encoding="utf-8"))
    from assistant.ingest.loaders import load_corpus
    from assistant.parties import PartiesRegister

    expected, _ = PartiesRegister.from_documents(load_corpus(built_index.corpus_dir)[0])
    assert [p["id"] for p in data["parties"]] == [p.id for p in expected.parties]
    assert len(data["parties"]) == 29 and data["corpus_date"] == "2026-11-24"


@pytest.mark.parametrize(("frontend", "user"), [("cli", None), ("web", "alice"), ("slack", "U123"), ("chat", "bob")])
def test_every_front_end_leaves_an_audit_row(settings, frontend, user):
    engine = Engine(settings)
    screening = engine.screen("Teledyne FLIR", as_of="2025-10-20", frontend=frontend, user=user)
    (row,) = list(AuditLog(settings.audit_db).rows())
    assert (row["frontend"], row["user"], row["input"], row["as_of"], row["outcome"]) == (frontend, user, "Teledyne FLIR", "2025-10-20", "exact")
    assert row["corpus_version"] == screening.corpus_version and len(row["corpus_version"]) == 16
    assert "Teledyne FLIR, LLC (exact, listed)" == row["matches"]
    assert json.loads(row["results"])["hits"][0]["citation"]["quote"] == screening.hits[0].citation.quote


def test_the_corpus_version_changes_with_the_corpus(settings, tmp_path, embedder):
    from assistant.store import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = (REPO_ROOT / "corpus" / "mofcom-2026-06-22-us-entities.md").read_text(encoding="utf-8")
    (corpus / "us.md").write_text(source, encoding="utf-8")
    small = dataclasses.replace(settings, corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(small, progress=False, embedder=embedder)
    first = Engine(small).screen("MP Materials Corp.")
    (corpus / "us.md").write_text(source.replace("Analysts called", "Some analysts called"), encoding="utf-8")
    build_index(small, progress=False, embedder=embedder)
    second = Engine(small).screen("MP Materials Corp.")
    assert first.outcome == second.outcome == "exact"
    assert first.corpus_version != second.corpus_version


def test_a_batch_rerun_reads_back_what_was_committed(settings):
    names = ["Teledyne FLIR", *unrelated(499)]
    engine = Engine(settings)
    batch = engine.screen_many(names, frontend="web", user="alice")
    first = [next(batch) for _ in range(250)]
    again = engine.screen_many(names, frontend="web", user="alice")
    assert again.id == batch.id
    results = list(again)
    assert again.done_before >= 250
    assert [r.input for r in results] == names
    assert [r.to_json() for r in results[:250]] == [r.to_json() for r in first]
    with sqlite3.connect(settings.audit_db) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT row) FROM screenings WHERE batch_id = ?", (batch.id,)).fetchone() == (500, 500)
    later = engine.screen_many(names, frontend="web", user="alice")
    assert later.id != batch.id and len(list(later)) == 500 and later.done_before == 0
    assert AuditLog(settings.audit_db).count() == 1000  # a finished batch screened again is audited again


def test_a_bad_name_in_a_batch_is_skipped_not_fatal(settings):
    batch = Engine(settings).screen_many(["Subaru", "", "TDK"])
    assert [s.input for s in batch] == ["Subaru", "TDK"]
    assert [(b.row, b.reason) for b in batch.skipped] == [(2, "The name to screen is empty.")]


def test_cli_screen_gives_a_cited_uel_hit_with_its_status_today(env):
    result = CliRunner().invoke(main, ["screen", "Teledyne FLIR"])
    assert result.exit_code == 0, result.output
    assert "EXACT Teledyne FLIR, LLC" in result.stdout
    assert "Unreliable Entity List: unknown since 2025-11-04" in result.stdout
    assert '"The 14 Unreliable Entity List designations of 9 October 2025 applied' in result.stdout
    data = json.loads(CliRunner().invoke(main, ["screen", "Teledyne FLIR", "--json", "--as-of", "2025-10-20"]).stdout)
    assert data["hits"][0]["status"] == "listed" and data["as_of"] == "2025-10-20"


def test_cli_screen_file_with_a_bad_row_and_audit_export(env, tmp_path):
    source = tmp_path / "customers.csv"
    source.write_text("name\nTeledyne FLIR\n\x01\nNorthwind Systems Ltd\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["screen", "--file", str(source), "--out", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    assert "Skipped row 3" in result.stderr and "Screened 2 names" in result.stderr and "1 exact" in result.stderr
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert [r["outcome"] for r in rows] == ["exact", "none"]
    exported = CliRunner().invoke(main, ["screen", "log", "--export", "--format", "jsonl"])
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [(r["frontend"], r["input"], r["row"]) for r in lines] == [("cli", "Teledyne FLIR", 0), ("cli", "Northwind Systems Ltd", 1)]
    as_csv = list(csv.DictReader(io.StringIO(CliRunner().invoke(main, ["screen", "log", "--export"]).stdout)))
    assert len(as_csv) == 2 and as_csv[0]["corpus_version"] == lines[0]["corpus_version"]


def test_cli_screen_errors_are_one_line(env, tmp_path):
    result = CliRunner().invoke(main, ["screen", "--file", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1 and result.stderr.startswith("Error: Can't read the names file")
    result = CliRunner().invoke(main, ["screen", "Acme", "--as-of", "1 May"])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.stderr
    result = CliRunner().invoke(main, ["screen", "   "])
    assert result.exit_code == 1 and result.stderr == "Error: The name to screen is empty.\n"


def test_no_index_says_how_to_build_one(tmp_path):
    settings = dataclasses.replace(Engine().settings, index_dir=tmp_path / "none", data_dir=tmp_path / "data")
    with pytest.raises(IndexNotBuilt, match="lodestone index build"):
        Engine(settings).screen("TDK")


def test_a_batch_killed_midway_resumes_on_rerun(env, tmp_path):
    names = unrelated(40_000, seed=3)
    source, out = tmp_path / "big.csv", tmp_path / "results.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["name"], *([n] for n in names)])
    command = [sys.executable, "-c", "from assistant.cli import main; main()", "screen", "--file", str(source), "--out", str(out)]
    process_env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(command, env=process_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    committed = _wait_for_rows(env.audit_db, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with sqlite3.connect(env.audit_db) as db:
        after_kill = db.execute("SELECT COUNT(*) FROM screenings").fetchone()[0]
    assert committed <= after_kill < len(names), "the batch finished before it could be killed"
    assert not out.exists()
    rerun = subprocess.run(command, env=process_env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{after_kill} read back from an earlier run" in rerun.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["input"] for r in rows] == names
    with sqlite3.connect(env.audit_db) as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT row) FROM screenings").fetchone() == (len(names), len(names))


def _wait_for_rows(db_path, process, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the batch ended before any row was seen: " + process.stderr.read().decode())
        try:
            with sqlite3.connect(db_path) as db:
                count = db.execute("SELECT COUNT(*) FROM screenings").fetchone()[0]
        except sqlite3.OperationalError:
            count = 0
        if count:
            return count
        time.sleep(0.02)
    pytest.fail("no screening was committed in time")


def test_front_ends_screening_at_once_lose_no_audit_row(settings):
    from concurrent.futures import ThreadPoolExecutor

    engine = Engine(settings)
    jobs = [(f"{name} {i}", frontend) for i in range(25) for name, frontend in (("Subaru", "web"), ("TDK", "slack"))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda job: engine.screen(job[0], frontend=job[1], user="u"), jobs))
    rows = list(AuditLog(settings.audit_db).rows())
    assert sorted((r["input"], r["frontend"]) for r in rows) == sorted(jobs)
