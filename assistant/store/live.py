"""The live pointer and reader leases.

``index/live`` is a symlink to ``builds/<name>``, replaced atomically when a
build completes; its target name is the live *generation*. A serving process
reads it between questions (one ``readlink``) and reopens when it changed.

A process that opens a build takes a **lease** on it: a file under
``index/leases/`` named after the build, held with an exclusive ``flock`` for
as long as the opened index is alive. A build prunes an old folder only when
no lease on it is held; the kernel drops the lock when a reader exits or
crashes, so a dead reader never pins a folder.

>>> lease = Lease.take(Path("index"), "20261201-000000-abcd")  # doctest: +SKIP
>>> leased(Path("index"), "20261201-000000-abcd")  # doctest: +SKIP
True
"""

from __future__ import annotations

import fcntl
import os
import uuid
from pathlib import Path


def live_link(index_dir: Path) -> Path:
    return Path(index_dir) / "live"


def generation(index_dir: Path) -> str | None:
    """The name of the build ``live`` points at, or None when there is no link."""
    try:
        return Path(os.readlink(live_link(index_dir))).name
    except OSError:
        return None


def point_live_at(index_dir: Path, build: Path) -> None:
    live = live_link(index_dir)
    tmp = live.with_name(f"live.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
    tmp.symlink_to(Path("builds") / build.name)
    os.replace(tmp, live)  # atomic on POSIX: readers see the old or the new build, never none


class Lease:
    """An exclusive flock on ``leases/<build>.<pid>.<n>``, held while a process reads that build."""

    def __init__(self, path: Path, fd: int):
        self.path, self._fd = path, fd

    @classmethod
    def take(cls, index_dir: Path, build_name: str) -> Lease:
        folder = Path(index_dir) / "leases"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{build_name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)
            self._fd = None


def leased(index_dir: Path, build_name: str) -> bool:
    """True while some live process holds a lease on the build; stale lease files are removed."""
    held = False
    for path in (Path(index_dir) / "leases").glob(f"{build_name}.*"):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held = True
        else:
            path.unlink(missing_ok=True)  # its reader is gone
        finally:
            os.close(fd)
    return held
