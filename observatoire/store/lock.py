"""The writer lock of a store file: one write at a time across processes and replicas
(an ``flock`` on ``<store>.verrou``, released by the kernel if the process dies)."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

from observatoire.errors import ObservatoireError

LOCK_TIMEOUT_S = 300.0


class WriteBusy(ObservatoireError):
    """Another write holds the writer lock for too long."""


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".verrou")


@contextlib.contextmanager
def lock(db: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """The writer lock of ``db`` (released by the kernel if the process dies)."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WriteBusy(
                        f"Une autre écriture (import ou modification) est en cours sur « {db.name} » "
                        f"depuis plus de {timeout:.0f} s ; réessayez dans un moment."
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
