"""The term counts saved with a build, updated by what changed, equal a fresh count over every chunk."""

from assistant.answer import Vocabulary
from assistant.config import Settings
from assistant.store import build_index, open_index
from assistant.store.vocabulary import TermCounts

LEMONDE = "000_10437c2651b725e6.txt"


def test_incremental_term_counts_match_a_full_count(tmp_path, small_corpus, embedder):
    settings = Settings.load({}, corpus_dir=small_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    build_index(settings, progress=False, embedder=embedder)
    path = small_corpus / LEMONDE
    path.write_text(path.read_text().replace("Lianyungang", "Qinzhou") + "\nHolmium magnets now need a licence too.\n")
    (small_corpus / "memo.md").write_text("---\nid: memo\ntitle: Memo\nkind: document\n---\nErbium oxide ships monthly.\n")
    build_index(settings, progress=False, embedder=embedder)
    index = open_index(settings)
    fresh = TermCounts.from_texts(r["text"] for r in index.chunks.values())
    assert index.term_counts == fresh and fresh.n == len(index.chunks)
    assert "qinzhou" in index.term_counts.df and "lianyungang" not in index.term_counts.df
    saved, counted = Vocabulary(fresh.df, fresh.n), Vocabulary.from_texts([r["text"] for r in index.chunks.values()])
    assert all(saved.idf(t) == counted.idf(t) for t in ("holmium", "erbium", "licenc", "qinzhou", "absent"))
