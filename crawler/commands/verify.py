"""``scrapy verify [ARCHIVE.db]``: every page of the archive checked, beside the runs.

SQLite's ``quick_check`` over the whole file, after reading it front to back once (the
check then finds its pages in the system's cache). It reads only and takes no lock: cron
runs go on writing while it reads, and it checks the archive as it was when it began.
A whole archive is recorded as checked (``crawler.storage.checked``): scheduled weekly, it
spares the runs their own whole check (``ARCHIVE_CHECK_DAYS``).

Exit 0: every page is whole. Exit 1: the archive is damaged (one line says how). Exit 2:
no archive there, or not an archive of this crawler.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from scrapy.commands import ScrapyCommand

from ..storage import DamagedArchive, StorageError, check_archive
from ..storage.checked import file_state, remember_checked

EXIT_DAMAGED = 1
EXIT_BAD_INPUT = 2


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[ARCHIVE.db]"

    def short_desc(self) -> str:
        return "Check every page of an archive (SQLite's quick_check), beside the runs"

    def long_desc(self) -> str:
        return (
            "Check every page of ARCHIVE (default: SQLITE_PATH) with SQLite's quick_check, reading only and taking no lock: "
            "runs go on while it reads. A whole archive is recorded as checked, which spares the next runs their own "
            "weekly whole check. Exit 0 when whole, 1 when damaged, 2 when there is no archive there."
        )

    def run(self, args, opts) -> None:
        if len(args) > 1:
            self.fail(EXIT_BAD_INPUT, "give one archive: scrapy verify [ARCHIVE.db]")
        path = Path(args[0] if args else self.settings.get("SQLITE_PATH") or "")
        if not str(path) or not path.is_file() or path.stat().st_size == 0:
            self.fail(EXIT_BAD_INPUT, f"no archive at {path}")
        before = file_state(path)
        started = time.monotonic()
        try:
            check_archive(path, thorough=True)
        except DamagedArchive as error:
            self.fail(EXIT_DAMAGED, str(error))
        except StorageError as error:
            self.fail(EXIT_BAD_INPUT, str(error))
        remember_checked(path, before)
        size = path.stat().st_size
        print(f"{path}: every page is whole ({size / 1e6:,.1f} MB checked in {time.monotonic() - started:.1f} s)")

    def fail(self, status: int, message: str) -> None:
        print(f"error: {message}", file=sys.stderr)
        self.exitcode = status
        raise SystemExit(status)
