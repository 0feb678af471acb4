"""The run book: one writer per archive file (``RunLock``) and the ``crawl_runs`` rows."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

import sqlite_utils

from .schema import StorageError


class RunLock:
    """One run at a time per archive: an exclusive lock on the database file itself.

    The lock is the file's, not its name's: a symlink, a relative path or a hard link to
    the same archive finds it held. It goes with the process: a run that is killed leaves
    no stale lock behind, and no lock file is ever left beside the archive. (SQLite's own
    locks are POSIX record locks, which ``flock`` does not touch.)
    """

    def __init__(self, db_path: str | Path):
        self.path = Path(db_path)
        self._fd: int | None = None

    def acquire(self) -> "RunLock":
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StorageError(f"cannot open database {self.path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StorageError(f"another crawl is writing {self.path}; this run stops here") from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def start_run(db: sqlite_utils.Database, *, mode: str, start_url: str, now: str, job: str | None = None) -> int:
    """A new ``crawl_runs`` row. Rows left ``running`` by a run that was killed are marked so.

    Only the run holding the archive's lock calls this, so no other run is running.
    """
    with db.atomic():
        db.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'running'")
        row = {"started_at": now, "status": "running", "mode": mode, "start_url": start_url}
        if job:
            row["job"] = job  # Scrapyd's job id: its log is logs/<project>/blog/<job>.log
        db["crawl_runs"].insert(row)
        return db.execute("SELECT last_insert_rowid()").fetchone()[0]


def finish_run(db: sqlite_utils.Database, run_id: int, **fields: Any) -> None:
    if isinstance(fields.get("fields_missing"), dict):
        fields["fields_missing"] = json.dumps(fields["fields_missing"], sort_keys=True)
    with db.atomic():
        db["crawl_runs"].update(run_id, fields)
