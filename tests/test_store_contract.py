"""One contract, every vector backend: embedded Chroma files and the Chroma server.

Each backend class only says how to get its settings; the tests are inherited.
"""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.config import REPO_ROOT, Settings
from assistant.engine import Engine
from assistant.errors import ChromaUnavailable
from assistant.retrieval import HybridRetriever
from assistant.store import build_index, open_index

DIGEST = "mofcom-gac-2025-57.md"


@pytest.fixture
def contract_corpus(small_corpus) -> Path:
    shutil.copy(REPO_ROOT / "corpus" / DIGEST, small_corpus / DIGEST)
    return small_corpus


class RetrieverContract:
    @pytest.fixture
    def settings(self, tmp_path, contract_corpus) -> Settings:
        raise NotImplementedError

    def test_exact_code_is_retrieved_first(self, settings, embedder):
        build_index(settings, progress=False, embedder=embedder)
        passages = HybridRetriever(open_index(settings), embedder).retrieve("what is 1C909?", 3)
        assert passages[0].document_id == "mofcom-gac-2025-57"

    def test_vectors_match_chunks_after_an_incremental_change(self, settings, contract_corpus, embedder):
        first = build_index(settings, progress=False, embedder=embedder)
        path = contract_corpus / "000_10437c2651b725e6.txt"
        body, tail = path.read_text().split("\nLe Monde with AFP\n", 1)  # a capture: the paragraph goes into its article
        path.write_text(f"{body}\nA new paragraph about terbium magnets and their export licences here.\n\nLe Monde with AFP\n{tail}")
        second = build_index(settings, progress=False, embedder=embedder)
        index = open_index(settings)
        assert 0 < second.embedded < first.embedded
        assert index.vector_count() == len(index.chunks) == second.chunks

    def test_answers_cite_verified_quotes(self, settings, embedder):
        build_index(settings, progress=False, embedder=embedder)
        answer = Engine(settings, embedder=embedder).ask("Is holmium controlled?", as_of="2025-11-20")
        assert answer.measures[0].status == "suspended"
        passages = {p.rank: p.text for p in answer.passages}
        assert all(" ".join(c.quote.split()) in " ".join(passages[c.passage].split()) for c in answer.citations)

    def test_a_failed_build_leaves_the_previous_index_serving(self, settings, contract_corpus, embedder, monkeypatch):
        build_index(settings, progress=False, embedder=embedder)
        before = open_index(settings).path
        (contract_corpus / "000_10437c2651b725e6.txt").write_text("Entirely new text about scandium alloys for export.\n")
        import assistant.store as store

        monkeypatch.setattr(store.Register, "from_documents", lambda docs: (_ for _ in ()).throw(RuntimeError("boom")))
        with pytest.raises(RuntimeError):
            build_index(settings, progress=False, embedder=embedder)
        monkeypatch.undo()
        index = open_index(settings)
        assert index.path == before and index.vector_count() == len(index.chunks)


class TestEmbeddedChroma(RetrieverContract):
    @pytest.fixture
    def settings(self, tmp_path, contract_corpus) -> Settings:
        return Settings.load({}, corpus_dir=contract_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path_factory.mktemp("chroma-server")), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the Chroma server did not start within 60 s")
    yield url
    process.terminate()
    process.wait(timeout=10)


class TestChromaServer(RetrieverContract):
    @pytest.fixture
    def settings(self, tmp_path, contract_corpus, chroma_server) -> Settings:
        return Settings.load(
            {}, corpus_dir=contract_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data", chroma_url=chroma_server
        )


def test_an_unreachable_chroma_server_gets_an_actionable_message(tmp_path, contract_corpus, embedder):
    settings = Settings.load({}, corpus_dir=contract_corpus, index_dir=tmp_path / "index", chroma_url=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(ChromaUnavailable, match="chroma run --path"):
        build_index(settings, progress=False, embedder=embedder)
