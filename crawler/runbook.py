"""The run's own record in the archive: its ``crawl_runs`` row from start to finish, each
blog's outcome (``crawl_run_blogs``), the pages it left unanswered, the blogs' completeness,
the alarms and the one summary line.

It gets what it needs as facts, never from the spider: the run's arguments and what the
index walk found (``RunFacts``, sent with ``run_started``), the crawl's stats, and what the
store made of the items (``outcomes``). It writes through the store's own connection, so
a run opens its archive once.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from datetime import datetime, timedelta, timezone

import sqlite_utils

from . import storage
from .audit import audit_run, markup_alarms
from .dates import utc_now_iso
from .items import EXPECTED_FIELDS
from .run import BlogFacts, RunFacts

logger = logging.getLogger(__name__)


# How far an index walk went, from the worst: a run of many blogs says its worst walk.
_WALKS = ("not_finished", "stopped", "end")


def failures_line(db: sqlite_utils.Database, blog: BlogFacts, count: int) -> str:
    """``1 page could not be fetched (DNS lookup failed for www.rferl.org); the next run
    tries it again``: how many, and the most common reason in the site's own words."""
    row = db.execute(
        "SELECT last_error, count(*) AS n FROM failures WHERE site = ? AND (blog_zone = ? OR blog_zone IS NULL) "
        "GROUP BY last_error ORDER BY n DESC, last_error LIMIT 1",
        [blog.site, blog.zone],
    ).fetchone()
    reason = ""
    if row is not None and row[0]:
        reason = f" ({row[0].rstrip('.')}{'' if row[1] == count else f', and {count - row[1]} more for other reasons'})"
    if count == 1:
        return f"1 page could not be fetched{reason}; the next run tries it again"
    return f"{count} pages could not be fetched{reason}; the next run tries them again"


class RunBook:
    def __init__(self, stats, path: str, budget_seconds: float = 0.0, memory=None):
        self.stats = stats
        self.memory = memory  # the run's memory (``storage.spill``): what the snapshot remembers
        self.path = path
        self.budget_seconds = budget_seconds  # the run's time budget (RUN_BUDGET_SECONDS)
        self.facts: RunFacts | None = None
        self.run_id: int | None = None
        self.started_at: str | None = None
        # Fields missing across the archive before this run: what markup alarms compare with.
        self.baseline: tuple[int, dict[str, int]] = (0, {})
        self.snapshot: storage.RunSnapshot | None = None
        # How the run ended, once closed: what ``run_finished`` tells the alerts.
        self.outcome: dict | None = None

    @property
    def opened(self) -> bool:
        return self.run_id is not None

    def open(self, db: sqlite_utils.Database, facts: RunFacts) -> None:
        """The run opens: its row, and what the archive holds of each blog for the spider to go by."""
        self.facts = facts
        arguments = facts.arguments
        self.baseline = storage.missing_field_counts(db, EXPECTED_FIELDS)
        since = (datetime.now(timezone.utc) - timedelta(days=arguments.recheck_days)).replace(microsecond=0).isoformat()
        # What the run goes by: lookups by key into the archive as the run found it.
        self.snapshot = storage.RunSnapshot(db, since, self.memory)
        for blog in facts.blogs:
            blog.state = self.snapshot.blog_state(blog.site, blog.zone)
        facts.captures = self.snapshot.captures
        self.started_at = utc_now_iso()
        start_url = ",".join(blog.start_url for blog in facts.blogs)  # each blog once, as crawled
        self.run_id = storage.start_run(db, mode=arguments.mode, start_url=start_url, now=self.started_at, job=facts.job)
        facts.run_id = self.run_id

    def close_failed(self, db: sqlite_utils.Database, reason: str, message: str) -> None:
        """Close the row of a run whose writes failed, if the archive can still take it; a
        row left ``running`` is marked ``interrupted`` by the next run."""
        self.outcome = self.make_outcome("failed", reason, message, blogs=len(self.facts.blogs), blogs_failed=[])
        try:
            storage.finish_run(db, self.run_id, finished_at=utc_now_iso(), status="failed", finish_reason=reason, message=message)
        except sqlite3.Error:
            pass

    def make_outcome(self, status: str, reason: str, message: str | None, **more) -> dict:
        return {
            "status": status, "archive": str(self.path), "run_id": self.run_id, "finish_reason": reason, "message": message,
            "started_at": self.started_at, "finished_at": utc_now_iso(), "job": self.facts.job if self.facts else None, **more,
        }

    def record_outstanding(self, db: sqlite_utils.Database, blog: BlogFacts, now: str) -> int:
        """Record a blog's posts that were asked for and never answered; return how many of
        its failures are left."""
        with db.atomic():
            for post_id, url in blog.outstanding.items():
                storage.record_failure(
                    db, site=blog.site, url=url, kind="post", post_id=post_id, blog_zone=blog.zone, error="no answer", now=now
                )
            if blog.index_end_reached and not blog.counts.get("pangea/fetch_failed/index") and not blog.stopped:
                storage.resolve_index_failures(db, blog.site, blog.zone)
        return storage.count_failures(db, blog.site, blog.zone)

    def close_blog(self, db: sqlite_utils.Database, blog: BlogFacts, reason: str, outcomes: Counter, now: str) -> dict:
        """One blog's end of the run: its failures, audit and status, its ``blogs`` row, and
        its ``crawl_run_blogs`` row (returned)."""
        via = self.facts.arguments.via
        failures_left = self.record_outstanding(db, blog, now)
        index_walk, audit_counts, problems, recovered = audit_run(blog, via, blog.counts, reason)
        for problem in problems:
            logger.error("incomplete: %s", problem)
        if recovered:
            logger.warning("audit: %s", "; ".join(recovered))
        messages = ([blog.stopped] if blog.stopped else []) + [f"incomplete: {problem}" for problem in problems]
        if failures_left:
            messages.append(failures_line(db, blog, failures_left))
            # Each of them already has its ERROR line; the count is a warning, so that
            # ``-L ERROR`` prints exactly one line per page.
            logger.warning(messages[-1])
        status = "finished" if reason == "finished" and not messages else "failed"
        if blog.zone is not None:
            # An index walked to its end lets later runs stop early; only a walk that lost
            # no index page and ended on evidence counts.
            with db.atomic():
                storage.save_blog(
                    db, site=blog.site, zone=blog.zone, title=blog.title, now=now,
                    index_complete=index_walk == "end" and reason == "finished" and not blog.stopped,
                )
        row = {
            "run_id": self.run_id,
            "site": blog.site,
            "zone": blog.zone,
            "start_url": blog.start_url,
            "status": status,
            "index_walk": index_walk,
            "index_pages": blog.counts.get("pangea/index_pages", 0),
            "posts_new": outcomes["new"],
            "posts_updated": outcomes["updated"],
            "posts_unchanged": outcomes["unchanged"],
            "posts_removed": outcomes["removed"],
            "failures_left": failures_left,
            "posts_missed_by_index": audit_counts.get("posts_missed_by_index", 0),
            "audit": json.dumps(audit_counts, sort_keys=True),
            "message": "; ".join(messages + [f"audit: {line}" for line in recovered]) or None,
        }
        with db.atomic():
            db["crawl_run_blogs"].upsert(row, pk=("run_id", "site", "zone"))
        row["_messages"], row["_recovered"], row["_audit"] = messages, recovered, audit_counts
        return row

    def close(self, db: sqlite_utils.Database, reason: str, outcomes: Counter, blog_outcomes: dict | None = None) -> str:
        """The run ends: each blog's failures, audit and status, the run's alarms, its
        status and row, and the summary line. Returns the run's status (``finished`` or
        ``failed``)."""
        facts = self.facts
        stats = self.stats.get_stats()
        now = utc_now_iso()
        blog_outcomes = blog_outcomes or {}
        single = len(facts.blogs) == 1
        blogs = [
            self.close_blog(db, blog, reason, outcomes if single else blog_outcomes.get(blog.key, Counter()), now)
            for blog in facts.blogs
        ]
        missing = {key.rsplit("/", 1)[1]: value for key, value in stats.items() if key.startswith("pangea/fields_missing/")}
        alarms = markup_alarms(stats, self.baseline)
        for alarm in alarms:
            logger.error(alarm)
        errors = stats.get("log_count/ERROR", 0)
        messages = list(alarms)
        recovered = []
        for row in blogs:
            # A run of many blogs says which blog each line is about.
            prefix = "" if single else f"{row['start_url']}: "
            messages += [prefix + message for message in row["_messages"]]
            recovered += [prefix + line for line in row["_recovered"]]
        if stats.get("pangea/warc/damaged_files"):
            # Each file already has its line; what they held after the damage is not read.
            messages.append(f"{stats['pangea/warc/damaged_files']} WARC files are damaged or truncated; their records after the damage were not read")
        for line in facts.limits_reached:
            messages.append(f"incomplete: {line}; what was read is stored, and the next run goes on")
        if stats.get("pangea/browser_limit_reached"):
            messages.append(
                f"incomplete: the run reached its limit of {stats['pangea/browser_limit_reached']} browser page loads "
                "(MAX_BROWSER_PAGE_LOADS); what was read is stored, and the next run goes on"
            )
        if reason == "closespider_timeout":
            messages.append(
                f"incomplete: the run reached its time budget of {self.budget_seconds:g} s (RUN_BUDGET_SECONDS); "
                "what was read is stored, and the next run goes on"
            )
        if stats.get("pangea/warc/refused_records"):
            # Each record already has its line: over the crawl's limits, or a record id twice.
            messages.append(f"{stats['pangea/warc/refused_records']} WARC records break the crawl's limits and were not used")
        failed_blogs = [row for row in blogs if row["status"] == "failed"]
        if failed_blogs and not single:
            logger.error(
                "%d of %d blogs failed: %s", len(failed_blogs), len(blogs),
                "; ".join(f"{row['start_url']} ({row['_messages'][0] if row['_messages'] else 'the run stopped: ' + reason})" for row in failed_blogs),
            )
        status = "finished" if reason == "finished" and not errors and not messages and not failed_blogs else "failed"
        self.stats.set_value("pangea/run_status", status)
        walks = [row["index_walk"] for row in blogs if row["index_walk"]]
        audit_counts: Counter = Counter()
        for row in blogs:
            audit_counts.update(row["_audit"])
        storage.finish_run(
            db,
            self.run_id,
            finished_at=utc_now_iso(),
            status=status,
            finish_reason=reason,
            requests=stats.get("downloader/request_count", 0),
            retries=stats.get("retry/count", 0),
            pages_fetched=stats.get("downloader/response_count", 0),
            responses_304=stats.get("downloader/response_status_count/304", 0),
            index_pages=stats.get("pangea/index_pages", 0),
            pages_rendered=stats.get("pangea/pages_rendered", 0),
            posts_new=outcomes["new"],
            posts_updated=outcomes["updated"],
            posts_unchanged=outcomes["unchanged"],
            posts_removed=outcomes["removed"],
            posts_dropped=sum(v for k, v in stats.items() if k.startswith("pangea/posts_dropped/")),
            errors=errors,
            fields_missing=missing,
            failures_left=sum(row["failures_left"] for row in blogs),
            entries_new=outcomes["entry_new"],
            entries_updated=outcomes["entry_updated"],
            index_walk=min(walks, key=_WALKS.index) if walks else None,
            posts_missed_by_index=audit_counts.get("posts_missed_by_index", 0),
            audit=json.dumps(dict(audit_counts), sort_keys=True),
            blogs=len(blogs),
            blogs_failed=len(failed_blogs),
            warc_files=json.dumps(
                [row[0] for row in db.execute("SELECT DISTINCT warc_file FROM captures INDEXED BY captures_by_run WHERE run_id = ? ORDER BY 1", [self.run_id])]
            ) if self.stats.get_value("pangea/warc/bytes") else None,
            message="; ".join(messages + [f"audit: {line}" for line in recovered]) or None,
        )
        self.outcome = self.make_outcome(
            status, reason, "; ".join(messages) or None, blogs=len(blogs),
            blogs_failed=[{"start_url": row["start_url"], "message": row["message"]} for row in failed_blogs],
        )
        total = storage.count_posts(db)
        logger.info(
            "summary: run %s %s%s; %d requests (%d answered 304); posts %d new, %d updated, %d unchanged, %d removed; %d posts in %s",
            self.run_id, status, "" if single else f" ({len(blogs)} blogs, {len(failed_blogs)} failed)",
            stats.get("downloader/request_count", 0), stats.get("downloader/response_status_count/304", 0),
            outcomes["new"], outcomes["updated"], outcomes["unchanged"], outcomes["removed"], total, self.path,
        )
        return status
