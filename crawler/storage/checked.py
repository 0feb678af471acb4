"""When a run checks every page of the archive (SQLite's ``quick_check``) before writing.

The whole-file check reads every page: seconds at a million posts, each run. It is needed
when something other than a run of this machine may have touched the file (a copy, a
restore, another tool, a damaged disk), not every 30 minutes. Each run records, at its
end, the file as it left it (device, inode, size and modification time of the archive and
its write-ahead log) and when it last checked the whole file, in the user's state folder
(``$XDG_STATE_HOME/pangea-archive/checked/``, by default ``~/.local/state/...``; nothing
beside the archive). The next run checks the whole file when the file is not as a run
left it, when no record can be read, or when the last whole check is older than
``ARCHIVE_CHECK_DAYS`` (default 7; 0: every run). Every run still makes the quick checks
(what the file is, its schema version).

``scrapy verify`` makes the whole check outside the runs, beside them (it reads, and takes
no lock: runs go on every 30 minutes while it reads a million posts). Scheduled more often
than ``ARCHIVE_CHECK_DAYS``, it spares every run the whole check but the one after another
program wrote the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path


def _record_path(path: Path) -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    key = hashlib.sha256(str(Path(path).resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return Path(state) / "pangea-archive" / "checked" / f"{key}.json"


def _file_state(path: Path) -> list:
    state = []
    for name in (Path(path), Path(f"{path}-wal")):
        try:
            st = name.stat()
            state.append([st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns])
        except OSError:
            state.append(None)
    return state


def _read(path: Path) -> dict | None:
    try:
        record = json.loads(_record_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def needs_whole_check(path: str | Path, days: float) -> bool:
    """Whether this run must check every page of the archive at ``path`` first."""
    if days <= 0 or not Path(path).exists():
        return True
    record = _read(Path(path))
    if record is None or record.get("state") != _file_state(Path(path)):
        return True
    checked_at = record.get("checked_at")
    return not isinstance(checked_at, (int, float)) or time.time() - checked_at > days * 86400


def file_state(path: str | Path) -> list:
    """The archive file and its write-ahead log as they are now (what a record compares)."""
    return _file_state(Path(path))


def remember_checked(path: str | Path, state_before: list) -> None:
    """``scrapy verify`` checked every page of the file as it was in ``state_before`` and
    found it whole: the whole check is recorded as done now. The file is recorded as a run
    left it only when nothing wrote to it during the check; otherwise the record's file
    stays as the last run left it (a run writing meanwhile records its own at its end)."""
    path = Path(path)
    previous = _read(path) or {}
    state = state_before if _file_state(path) == state_before else previous.get("state")
    _write(path, {"archive": str(path.resolve()), "state": state, "checked_at": time.time()})


def _write(path: Path, record_value: dict) -> None:
    record = _record_path(path)
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        temporary = record.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(record_value), encoding="utf-8")
        os.replace(temporary, record)
    except OSError:
        pass


def remember_as_left(path: str | Path, checked: bool) -> None:
    """The run is over: the file as it left it, and when its whole file was last checked
    (now, when ``checked``). Best effort: without a record, the next run checks the whole file."""
    path = Path(path)
    if not path.exists():
        return
    previous = _read(path) or {}
    checked_at = time.time() if checked else previous.get("checked_at")
    _write(path, {"archive": str(path.resolve()), "state": _file_state(path), "checked_at": checked_at})
