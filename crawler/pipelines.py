"""Item pipelines: normalize, drop duplicates, store in SQLite."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from . import storage
from .dates import to_utc_iso, utc_now_iso
from .items import (
    DATE_FIELDS,
    EXPECTED_FIELDS,
    NAME_FIELDS,
    TEXT_FIELDS,
    BlogListing,
    FetchFailure,
    IdentityMismatch,
    LiveBlogWalk,
    LiveEntry,
    Post,
    PostStatus,
)
from .limits import RunLimits
from .run import RunFacts, run_finished, run_started
from .runbook import RunBook
from .storage.spill import run_memory
from .text import clean_body_text, clean_text, split_keywords, word_count
from .urls import absolute_url
from .warc import capture_written

CAPTURES_PER_WRITE = 5000  # captures announced before they are written

logger = logging.getLogger(__name__)

# Stats names of what storing an item came to, other than posts new, updated, unchanged...
_STAT_NAMES = {"entry_new": "entries_new", "entry_updated": "entries_updated", "entry_unchanged": "entries_unchanged",
               "live_walk": "live_blogs_read", "failed": "pages_failed", "listed": "posts_listed_in_another_blog",
               "mismatch": "identity_mismatches"}


class NormalizePipeline:
    """Every post in the archive's normal form, whatever produced it.

    Text as the page wrote it, HTML white space collapsed (paragraph breaks kept in the
    body; what else is folded, and why: ``crawler.text``), dates in UTC
    ISO 8601, URLs absolute. Page parsers already aim for this form; this stage makes it
    a guarantee for every item, and counts the fields a post came without.
    """

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item):
        if not isinstance(item, Post):
            return item
        post = item  # a dataclass: plain attributes (through ItemAdapter, a tenth of this stage)
        if not post.id or not post.url:
            self.stats.inc_value("pangea/posts_dropped/no_id")
            raise DropItem(f"not a post: {post.fetched_url or post.url}")
        post.id = int(post.id)
        base = post.url
        for name in TEXT_FIELDS:
            setattr(post, name, clean_text(getattr(post, name)) or None)
        for name in DATE_FIELDS:
            setattr(post, name, to_utc_iso(getattr(post, name)))
        for name in NAME_FIELDS:
            setattr(post, name, split_keywords(getattr(post, name)))
        post.body_text = clean_body_text(post.body_text)
        post.word_count = word_count(post.body_text)
        for collection in ("images", "links", "embeds"):
            kept = []
            for entry in getattr(post, collection) or []:
                entry.url = absolute_url(entry.url, base)
                if entry.url:
                    kept.append(entry)
            setattr(post, collection, kept)
        stats = self.stats
        stats.inc_value("pangea/posts_parsed")
        for name in EXPECTED_FIELDS:
            if not getattr(post, name):
                stats.inc_value(f"pangea/fields_missing/{name}")
        return item


class DedupePipeline:
    """One post per site and numeric id in a run, whatever URL form led to it."""

    def __init__(self, stats, seen=None):
        self.stats = stats
        # (site, post id) of the posts let through: in the run's memory (``spill``).
        self.seen = set() if seen is None else seen

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, run_memory(crawler).set())

    def process_item(self, item):
        if not isinstance(item, Post):
            return item
        key = (item.site, item.id)
        if key in self.seen:
            self.stats.inc_value("pangea/posts_dropped/duplicate")
            raise DropItem(f"duplicate post {item.id}")
        self.seen.add(key)
        return item


class SQLitePipeline:
    """Writes posts to the archive in batches, one transaction per batch, whole posts only.

    The run's own record (``RunBook``) writes through the same connection: the archive
    is opened once per run.
    """

    def __init__(self, crawler, path: str, batch_size: int):
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = path
        self.batch_size = max(1, batch_size)
        self.flush_seconds = 2.0
        self.db = None
        self.book = RunBook(crawler.stats, path, budget_seconds=RunLimits.from_settings(crawler.settings).budget_seconds,
                            memory=run_memory(crawler))
        self.cause = "site"  # who changes a stored version: the site, or a re-extraction's parser
        self.captures: list[dict] = []  # rows of ``captures``, written before the items read from them
        self.pending: list = []
        self.last_flush = time.monotonic()
        self.outcomes: Counter[str] = Counter()
        # What storing came to per blog of a run of many, by (blog site, zone).
        self.blog_outcomes: dict[tuple, Counter] = {}
        self.failures_pending = True
        # The first write that failed (a full disk, an I/O error): the run stops there.
        self.write_error: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("SQLITE_PATH")
        if not path:
            raise NotConfigured("SQLITE_PATH is not set")
        pipeline = cls(crawler, path, crawler.settings.getint("STORE_BATCH_SIZE", 50))
        # The run's row is opened with the run's facts, and closed when the crawl's finish
        # reason is known.
        crawler.signals.connect(pipeline.run_started, signal=run_started)
        crawler.signals.connect(pipeline.capture_written, signal=capture_written)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        self.db = storage.open_db(self.path)
        max_mb = self.crawler.settings.getfloat("ARCHIVE_MAX_MB", 0)
        if max_mb > 0:
            page_size = self.db.execute("PRAGMA page_size").fetchone()[0]
            self.db.execute(f"PRAGMA max_page_count = {max(1, int(max_mb * 1024 * 1024 // page_size))}")

    def run_started(self, facts: RunFacts) -> None:
        """The run opens (the spider's ``run_started``): its book gets the run's facts."""
        self.book.open(self.db, facts)
        if facts.arguments.mode == "reextract":
            self.cause = "parser"

    def capture_written(self, captures) -> None:
        self.captures.extend(capture.row() for capture in captures)
        if len(self.captures) >= CAPTURES_PER_WRITE:
            # A re-extraction announces every capture its files hold: written as they come.
            self.flush()

    def process_item(self, item):
        if self.write_error is not None:
            self.stats.inc_value("pangea/items_not_stored")
            return item
        self.pending.append(item)
        if len(self.pending) >= self.batch_size or time.monotonic() - self.last_flush > self.flush_seconds:
            self.flush()
        return item

    def flush(self) -> None:
        if not (self.pending or self.captures) or self.write_error is not None:
            return
        now = utc_now_iso()
        snapshot = self.book.snapshot
        if snapshot is not None:
            # What the run goes by stays the archive as the run found it: the posts and live
            # blogs about to be written are looked up first (by key, in one batch).
            snapshot.remember(
                [(item.site, item.id) for item in self.pending if isinstance(item, (Post, PostStatus))]
                + [(item.site, item.post_id) for item in self.pending if isinstance(item, BlogListing)],
                [(item.site, item.post_id) for item in self.pending if isinstance(item, (LiveEntry, LiveBlogWalk))],
            )
        try:
            with storage.batch(self.db):
                storage.save_captures(self.db, self.captures)
                self.failures_pending = storage.has_failures(self.db)
                outcomes = [self._save(item, now) for item in self.pending]
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as error:
            if isinstance(error, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
                raise
            self.write_failed(error)
            return
        for item, outcome in zip(self.pending, outcomes):
            self.outcomes[outcome] += 1
            self.stats.inc_value(f"pangea/{_STAT_NAMES.get(outcome, 'posts_' + outcome)}")
            blog_zone = getattr(item, "blog_zone", None)
            if blog_zone is not None:
                key = (getattr(item, "blog_site", None) or getattr(item, "site", None), blog_zone)
                self.blog_outcomes.setdefault(key, Counter())[outcome] += 1
        self.pending = []
        self.captures = []
        self.last_flush = time.monotonic()

    def _save(self, item, now: str) -> str:
        if isinstance(item, BlogListing):
            storage.record_listing(
                self.db, site=item.site, post_id=item.post_id, blog_site=item.blog_site, zone=item.zone, now=item.seen_at or now
            )
            return "listed"
        if isinstance(item, LiveEntry):
            return "entry_" + storage.save_entry(self.db, item, item.fetched_at or now, self.cause)
        if isinstance(item, IdentityMismatch):
            storage.record_identity_mismatch(
                self.db, site=item.site, post_id=item.post_id, claimed_by=item.claimed_by, claimed_url=item.claimed_url,
                fetched_url=item.fetched_url, now=now,
            )
            return "mismatch"
        if isinstance(item, LiveBlogWalk):
            storage.renumber_entries(self.db, item.site, item.post_id, now, walk_complete=item.pages > 0)
            return "live_walk"
        if isinstance(item, FetchFailure):
            self.failures_pending = True
            storage.record_failure(
                self.db,
                site=item.site,
                url=item.url,
                kind=item.kind,
                post_id=item.post_id,
                blog_zone=item.blog_zone,
                error=item.error,
                now=now,
                led_to=item.led_to,
            )
            return "failed"
        if isinstance(item, PostStatus):
            if item.status == "removed":
                return "removed" if storage.mark_removed(self.db, item.site, item.id, now) else "unchanged"
            storage.mark_unchanged(self.db, item.site, item.id, now)
            return "unchanged"
        # A post is recorded at the time its page was fetched (its WARC-Date), so that an
        # archive rebuilt from the WARC files says what the crawled one says.
        return storage.save_post(self.db, item, item.fetched_at or now, failures_pending=self.failures_pending, cause=self.cause)

    def write_failed(self, error: Exception) -> None:
        """The archive cannot be written: the batch is rolled back whole, nothing more is
        tried, and the run stops with one line saying what the next run will do."""
        self.write_error = str(error)
        self.stats.inc_value("pangea/items_not_stored", len(self.pending))
        self.pending = []
        try:
            stored = f"{self.db.execute('SELECT count(*) FROM posts').fetchone()[0]} posts are stored"
        except sqlite3.Error:
            stored = "what was stored before stays"
        # One line per run: when the WARC files failed first (the same full disk), this is
        # what follows from it.
        log = logger.info if self.stats.get_value("pangea/write_failed") else logger.error
        self.stats.set_value("pangea/write_failed", "archive")
        log(
            "cannot write the archive %s: %s; %s; the run stops here, and the next run goes on from what is stored",
            self.path, error, stored,
        )
        self.stats.set_value("pangea/run_status", "failed")
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_write_failed"))

    def close_spider(self):
        if self.db is not None:
            self.flush()

    def spider_closed(self, spider, reason):
        if self.db is None:
            return
        self.flush()
        try:
            if not self.book.opened:  # the crawl closed before it opened
                return
            if self.write_error is not None:
                self.stats.set_value("pangea/run_status", "failed")
                self.book.close_failed(self.db, reason, f"cannot write the archive: {self.write_error}")
                return
            try:
                self.book.close(self.db, reason, self.outcomes, self.blog_outcomes)
            except (sqlite3.OperationalError, sqlite3.DatabaseError) as error:
                if isinstance(error, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
                    raise
                self.stats.set_value("pangea/run_status", "failed")
                message = f"cannot write the archive {self.path} at the end of the run: {error}"
                logger.error("%s; the next run goes on from what is stored", message)
                self.book.outcome = self.book.make_outcome("failed", reason, message, blogs=len(self.book.facts.blogs), blogs_failed=[])
        finally:
            self.db.close()
            self.db = None
            if self.book.outcome is not None:
                self.crawler.signals.send_catch_log(signal=run_finished, outcome=self.book.outcome)
