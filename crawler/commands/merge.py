"""``scrapy merge TARGET.db SOURCE.db [SOURCE.db ...]``: archives made one.

Each source is brought into the target in one transaction (``crawler.storage.merge``):
author and tag ids remapped, posts with their newest version and every revision, runs
with their blogs' outcomes, WARC captures with their files (copied from ``SOURCE.db.warc/``
to ``TARGET.db.warc/``), full-text indexes rebuilt and checked. Merging again after more
crawling updates rows and never duplicates them.

The target is locked like a crawl locks it, and so is each source while it is read: a
source that a crawl is still writing is refused (exit 2), never half-merged.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand

from ..storage import RunLock, StorageError, check_archive, open_db
from ..storage.merge import merge_archive
from ..warc import default_warc_dir

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "TARGET.db SOURCE.db [SOURCE.db ...]"

    def short_desc(self) -> str:
        return "Merge archives (of other machines or runs) into one"

    def long_desc(self) -> str:
        return (
            "Merge each SOURCE archive into TARGET (created when missing): author and tag ids remapped, "
            "the newest version of each post kept with every revision, runs, failures and WARC captures carried, "
            "full-text indexes rebuilt. Merging again is safe: rows are updated, never duplicated."
        )

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--warc-dir", metavar="DIR", action="append", default=[],
            help="a source's WARC folder, in the order of the sources (default: SOURCE.db.warc beside each)",
        )

    def run(self, args, opts) -> None:
        if len(args) < 2:
            self.fail(EXIT_BAD_INPUT, "give the target archive and at least one source: scrapy merge TARGET.db SOURCE.db ...")
        target, sources = Path(args[0]), [Path(a) for a in args[1:]]
        warc_dirs = [Path(d) for d in opts.warc_dir]
        if warc_dirs and len(warc_dirs) != len(sources):
            self.fail(EXIT_BAD_INPUT, f"--warc-dir was given {len(warc_dirs)} times for {len(sources)} sources: give one per source, or none")
        locks: list[RunLock] = []
        created = not target.exists() and not default_warc_dir(target).exists()
        try:
            for source in sources:
                if not source.is_file():
                    self.fail(EXIT_BAD_INPUT, f"no archive at {source}")
                if target.exists() and source.resolve().samefile(target.resolve()):
                    self.fail(EXIT_BAD_INPUT, f"{source} is the target itself")
                check_archive(source)
                self.check_not_written(source)
            locks.append(RunLock(target).acquire())
            db = open_db(target)
        except StorageError as error:
            for lock in locks:
                lock.release()
            self.fail(EXIT_BAD_INPUT, str(error))
        merged = 0
        try:
            for number, source in enumerate(sources):
                lock = RunLock(source)
                try:
                    lock.acquire()
                except StorageError as error:
                    if "another crawl" in str(error):
                        if created and not merged:
                            self.remove_new_target(db, target)
                        self.fail(EXIT_BAD_INPUT, f"a crawl is writing {source}: merge it when the crawl is done")
                    # A read-only copy (from another machine): no crawl writes it here.
                try:
                    counts = merge_archive(
                        db, source, target_warc_dir=default_warc_dir(target),
                        source_warc_dir=warc_dirs[number] if warc_dirs else default_warc_dir(source),
                    )
                except (StorageError, sqlite3.DatabaseError) as error:
                    if created and not merged:
                        self.remove_new_target(db, target)
                        self.fail(EXIT_FAILED, f"cannot merge {source} into {target}: {error}; {target} was not made")
                    self.fail(EXIT_FAILED, f"cannot merge {source} into {target}: {error}; {target} is as it was before this source")
                finally:
                    lock.release()
                merged += 1
                print(
                    f"merged {source}: posts {counts['posts_new']} new, {counts['posts_updated']} updated, "
                    f"{counts['posts_unchanged']} unchanged; {counts['revisions_new']} revisions, "
                    f"{counts['entries_new']} live entries and {counts['runs_new']} runs added"
                )
            total = db.execute("SELECT count(*) FROM posts").fetchone()[0]
            print(f"{target}: {total} posts")
        finally:
            db.close()
            for lock in locks:
                lock.release()

    @staticmethod
    def check_not_written(source: Path) -> None:
        """A source a crawl is writing is refused before anything is made."""
        lock = RunLock(source)
        try:
            lock.acquire()
        except StorageError as error:
            if "another crawl" in str(error):
                raise StorageError(f"a crawl is writing {source}: merge it when the crawl is done") from None
            return  # a read-only copy: no crawl writes it here
        lock.release()

    @staticmethod
    def remove_new_target(db, target: Path) -> None:
        """A target this merge made and filled with nothing goes again (with its WARC folder, if made)."""
        db.close()
        for path in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            path.unlink(missing_ok=True)
        shutil.rmtree(default_warc_dir(target), ignore_errors=True)  # made by this merge, like the target

    def fail(self, status: int, message: str) -> None:
        print(f"error: {message}", file=sys.stderr)
        self.exitcode = status
        raise SystemExit(status)
