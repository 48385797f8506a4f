"""Download files: one folder per process, capped, oldest removed first, removed on exit.

>>> folder = DownloadFolder(cap=2)
>>> [folder.write("a.md", "1").name, folder.write("b.md", "2").name, folder.write("c.md", "3").name][-1]
'c.md'
>>> sorted(p.name for p in folder.path.glob("*/*"))
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
from collections import deque
from pathlib import Path


class DownloadFolder:
    def __init__(self, cap: int = 50):
        if cap < 1:
            raise ValueError(f"cap must be > 0, got {cap}")
        self.cap = cap
        self.path = Path(tempfile.mkdtemp(prefix="lodestone-web-"))
        self._files: deque[Path] = deque()
        self._lock = threading.Lock()
        atexit.register(self.close)

    def write(self, name: str, text: str) -> Path:
        """A new file holding text (in its own subfolder so names never clash); the oldest goes past the cap."""
        with self._lock:
            folder = self.path / uuid.uuid4().hex[:12]
            folder.mkdir(parents=True)
            file = folder / name
            file.write_text(text, encoding="utf-8")
            self._files.append(file)
            while len(self._files) > self.cap:
                shutil.rmtree(self._files.popleft().parent, ignore_errors=True)
            return file

    def __len__(self) -> int:
        return len(self._files)

    def close(self) -> None:
        with self._lock:
            shutil.rmtree(self.path, ignore_errors=True)
            self._files.clear()
