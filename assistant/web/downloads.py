"""Download files: one folder per process, capped, oldest removed first, removed on exit.

gradio serves each file from a copy in its cache; ``served`` is that cache for
the download buttons, inside the same folder, so the copies are capped and
removed with the files.

>>> folder = DownloadFolder(cap=2)
>>> [folder.write("a.md", "1").name, folder.write("b.md", "2").name, folder.write("c.md", "3").name][-1]
'c.md'
>>> sorted(p.name for p in folder.path.glob("*/*.md"))
['b.md', 'c.md']
>>> folder.close(); folder.path.exists()
False
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import uuid
from pathlib import Path


class DownloadFolder:
    def __init__(self, cap: int = 50):
        if cap < 1:
            raise ValueError(f"cap must be > 0, got {cap}")
        self.cap = cap
        self.path = Path(tempfile.mkdtemp(prefix="lodestone-web-"))
        self.served = self.path / "served"
        self._lock = threading.Lock()
        atexit.register(self.close)

    def write(self, name: str, text: str) -> Path:
        """A new file holding text (in its own subfolder so names never clash); the oldest go past the cap."""
        with self._lock:
            folder = self.path / f"f{uuid.uuid4().hex[:12]}"
            folder.mkdir(parents=True)
            file = folder / name
            file.write_text(text, encoding="utf-8")
            _keep_newest(self.path, self.cap, skip=self.served)
            _keep_newest(self.served, self.cap - 1, skip=self.served)  # gradio adds this file's copy next
            return file

    def files(self) -> list[Path]:
        return sorted(self.path.glob("f*/*"))

    def close(self) -> None:
        with self._lock:
            shutil.rmtree(self.path, ignore_errors=True)


def _keep_newest(folder: Path, cap: int, skip: Path) -> None:
    if not folder.is_dir():
        return
    subfolders = sorted((p for p in folder.iterdir() if p.is_dir() and p != skip), key=lambda p: p.stat().st_mtime_ns)
    for old in subfolders[: max(0, len(subfolders) - cap)]:
        shutil.rmtree(old, ignore_errors=True)
