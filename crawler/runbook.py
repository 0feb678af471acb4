"""The run's own record in the archive: its ``crawl_runs`` row from start to finish, the
pages it left unanswered, the blog's completeness, the alarms and the one summary line.

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
from .run import RunFacts

logger = logging.getLogger(__name__)


def failures_line(db: sqlite_utils.Database, facts: RunFacts, count: int) -> str:
    """``1 page could not be fetched (DNS lookup failed for www.rferl.org); the next run
    tries it again``: how many, and the most common reason in the site's own words."""
    row = db.execute(
        "SELECT last_error, count(*) AS n FROM failures WHERE site = ? AND (blog_zone = ? OR blog_zone IS NULL) "
        "GROUP BY last_error ORDER BY n DESC, last_error LIMIT 1",
        [facts.arguments.site, facts.arguments.zone],
    ).fetchone()
    reason = ""
    if row is not None and row[0]:
        reason = f" ({row[0].rstrip('.')}{'' if row[1] == count else f', and {count - row[1]} more for other reasons'})"
    if count == 1:
        return f"1 page could not be fetched{reason}; the next run tries it again"
    return f"{count} pages could not be fetched{reason}; the next run tries them again"


class RunBook:
    def __init__(self, stats, path: str):
        self.stats = stats
        self.path = path
        self.facts: RunFacts | None = None
        self.run_id: int | None = None
        # Fields missing across the archive before this run: what markup alarms compare with.
        self.baseline: tuple[int, dict[str, int]] = (0, {})

    @property
    def opened(self) -> bool:
        return self.run_id is not None

    def open(self, db: sqlite_utils.Database, facts: RunFacts) -> None:
        """The run opens: its row, and what the archive holds for the spider to go by."""
        self.facts = facts
        arguments = facts.arguments
        self.baseline = storage.missing_field_counts(db, EXPECTED_FIELDS)
        since = (datetime.now(timezone.utc) - timedelta(days=arguments.recheck_days)).replace(microsecond=0).isoformat()
        facts.state = storage.crawl_state(db, arguments.site, arguments.zone, since)
        self.run_id = storage.start_run(db, mode=arguments.mode, start_url=arguments.start_url, now=utc_now_iso())
        facts.run_id = self.run_id

    def close_failed(self, db: sqlite_utils.Database, reason: str, message: str) -> None:
        """Close the row of a run whose writes failed, if the archive can still take it; a
        row left ``running`` is marked ``interrupted`` by the next run."""
        try:
            storage.finish_run(db, self.run_id, finished_at=utc_now_iso(), status="failed", finish_reason=reason, message=message)
        except sqlite3.Error:
            pass

    def record_outstanding(self, db: sqlite_utils.Database, stats: dict, now: str) -> int:
        """Record posts that were asked for and never answered; return how many failures are left."""
        facts = self.facts
        zone, site = facts.arguments.zone, facts.arguments.site
        with db.atomic():
            for post_id, url in facts.outstanding.items():
                storage.record_failure(db, site=site, url=url, kind="post", post_id=post_id, blog_zone=zone, error="no answer", now=now)
            if facts.index_end_reached and not stats.get("pangea/fetch_failed/index"):
                storage.resolve_index_failures(db, site, zone)
        return storage.count_failures(db, site, zone)

    def close(self, db: sqlite_utils.Database, reason: str, outcomes: Counter) -> str:
        """The run ends: its failures, alarms and audit, its status, the blog's row, and
        the summary line. Returns the run's status (``finished`` or ``failed``)."""
        facts = self.facts
        stats = self.stats.get_stats()
        now = utc_now_iso()
        failures_left = self.record_outstanding(db, stats, now)
        missing = {key.rsplit("/", 1)[1]: value for key, value in stats.items() if key.startswith("pangea/fields_missing/")}
        alarms = markup_alarms(stats, self.baseline)
        for alarm in alarms:
            logger.error(alarm)
        index_walk, audit_counts, problems, recovered = audit_run(facts, stats, reason)
        for problem in problems:
            logger.error("incomplete: %s", problem)
        if recovered:
            logger.warning("audit: %s", "; ".join(recovered))
        errors = stats.get("log_count/ERROR", 0)
        messages = list(alarms) + [f"incomplete: {problem}" for problem in problems]
        if stats.get("pangea/warc/damaged_files"):
            # Each file already has its line; what they held after the damage is not read.
            messages.append(f"{stats['pangea/warc/damaged_files']} WARC files are damaged or truncated; their records after the damage were not read")
        if failures_left:
            messages.append(failures_line(db, facts, failures_left))
            # Each of them already has its ERROR line; the count is a warning, so that
            # ``-L ERROR`` prints exactly one line per page.
            logger.warning(messages[-1])
        status = "finished" if reason == "finished" and not errors and not messages else "failed"
        self.stats.set_value("pangea/run_status", status)
        if facts.arguments.zone is not None:
            # An index walked to its end lets later runs stop early; only a walk that lost
            # no index page and ended on evidence counts.
            with db.atomic():
                storage.save_blog(
                    db, site=facts.arguments.site, zone=facts.arguments.zone, title=facts.blog_title, now=now,
                    index_complete=index_walk == "end" and reason == "finished",
                )
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
            failures_left=failures_left,
            entries_new=outcomes["entry_new"],
            entries_updated=outcomes["entry_updated"],
            index_walk=index_walk,
            posts_missed_by_index=audit_counts.get("posts_missed_by_index", 0),
            audit=json.dumps(audit_counts, sort_keys=True),
            warc_files=json.dumps(
                [row[0] for row in db.execute("SELECT DISTINCT warc_file FROM captures WHERE run_id = ? ORDER BY 1", [self.run_id])]
            ) if self.stats.get_value("pangea/warc/bytes") else None,
            message="; ".join(messages + [f"audit: {line}" for line in recovered]) or None,
        )
        total = db.execute("SELECT count(*) FROM posts").fetchone()[0]
        logger.info(
            "summary: run %s %s; %d requests (%d answered 304); posts %d new, %d updated, %d unchanged, %d removed; %d posts in %s",
            self.run_id, status, stats.get("downloader/request_count", 0), stats.get("downloader/response_status_count/304", 0),
            outcomes["new"], outcomes["updated"], outcomes["unchanged"], outcomes["removed"], total, self.path,
        )
        return status
