"""Changes to the shape of archives made by earlier versions, as sqlite-utils ``Migrations``.

``schema`` declares the tables every archive starts with; each change after it is a named
migration here, applied once per archive (``_sqlite_migrations`` records which) inside the
transaction that shapes the archive. Every migration also holds on an archive that already
has what it makes: archives made before migrations were recorded went through some of them.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("pangea-archive")


@MIGRATIONS(name="0001_full_text_kept_by_the_write_path")
def _full_text_kept_by_the_write_path(db: sqlite_utils.Database) -> None:
    # Archives of schema 1 kept their full-text tables with sqlite-utils' triggers. A
    # trigger writing to FTS5 makes it flush its pending terms to disk at every row, which
    # made the index cost twice the rest of a post; and the update trigger re-indexed a
    # post whenever only its last_seen_at moved. The write path keeps the index instead.
    for table in ("posts", "live_entries"):
        for suffix in ("ai", "ad", "au"):
            db.execute(f"DROP TRIGGER IF EXISTS [{table}_{suffix}]")


@MIGRATIONS(name="0002_run_audit")
def _run_audit(db: sqlite_utils.Database) -> None:
    # What a run's audit found: how far the index walk went, the posts the index missed
    # and the feed gave, and the audit's counts as JSON.
    existing = db["crawl_runs"].columns_dict
    for name, kind in (("index_walk", str), ("posts_missed_by_index", int), ("audit", str)):
        if name not in existing:
            db["crawl_runs"].add_column(name, kind)


@MIGRATIONS(name="0003_identity_mismatches")
def _identity_mismatches(db: sqlite_utils.Database) -> None:
    # Pages that named another post, or a post of another site, as their own. Each was
    # stored as the post the crawler asked for; what it claimed is kept here.
    db["identity_mismatches"].create(
        {
            "site": str,
            "post_id": int,
            "claimed_by": str,
            "claimed_url": str,
            "fetched_url": str,
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk=("site", "post_id", "claimed_by"),
        if_not_exists=True,
    )


@MIGRATIONS(name="0004_captures")
def _captures(db: sqlite_utils.Database) -> None:
    # Where each page the crawl read is kept in the WARC files beside the archive, and which
    # capture each stored version of a post came from. A revision says whether the site
    # edited the post or a re-extraction (a new parser over the same capture) changed it.
    db["captures"].create(
        {
            "record_id": str,
            "run_id": int,
            "warc_file": str,
            "offset": int,
            "length": int,
            "warc_type": str,
            "url": str,
            "fetched_at": str,
            "status": int,
            "payload_digest": str,
            "refers_to": str,
        },
        pk="record_id",
        if_not_exists=True,
    )
    db["captures"].create_index(["url"], if_not_exists=True)
    for table, name, kind in (
        ("posts", "capture_id", str),
        ("revisions", "capture_id", str),
        ("revisions", "cause", str),
        ("crawl_runs", "warc_files", str),
    ):
        if name not in db[table].columns_dict:
            db[table].add_column(name, kind)


@MIGRATIONS(name="0005_blogs_of_a_run")
def _blogs_of_a_run(db: sqlite_utils.Database) -> None:
    # A run may crawl many blogs: each blog's outcome within the run, and the run's count
    # of blogs and of blogs that failed; and the Scrapyd job that ran it.
    db["crawl_run_blogs"].create(
        {
            "run_id": int,
            "site": str,
            "zone": int,
            "start_url": str,
            "status": str,
            "index_walk": str,
            "index_pages": int,
            "posts_new": int,
            "posts_updated": int,
            "posts_unchanged": int,
            "posts_removed": int,
            "failures_left": int,
            "posts_missed_by_index": int,
            "audit": str,
            "message": str,
        },
        pk=("run_id", "site", "zone"),
        foreign_keys=[("run_id", "crawl_runs", "id")],
        if_not_exists=True,
    )
    for name, kind in (("blogs", int), ("blogs_failed", int), ("job", str)):
        if name not in db["crawl_runs"].columns_dict:
            db["crawl_runs"].add_column(name, kind)


@MIGRATIONS(name="0006_failures_of_posts_by_post")
def _failures_of_posts_by_post(db: sqlite_utils.Database) -> None:
    # Failures were keyed by (site, URL), the URL being where a request ended: two posts
    # redirected to one URL shared a row, and one of them was neither stored nor listed.
    # A post's failure is now keyed by the post, with the URL it was asked for and, apart,
    # where it led. Of an old archive's rows for one post, the latest is kept.
    from .schema import create_failures_table

    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'failures_post'").fetchone():
        return
    had = db["failures"].exists()
    if had:
        db.execute("ALTER TABLE failures RENAME TO failures_old")
    create_failures_table(db)
    if not had:
        return
    old = set(db["failures_old"].columns_dict)
    columns = [c for c in ("site", "url", "kind", "post_id", "blog_zone", "first_failed_at", "last_failed_at",
                           "attempts", "last_error") if c in old]
    names = ", ".join(columns)
    newer = "coalesce(excluded.last_failed_at, '') > coalesce(last_failed_at, '')"
    for where in ("kind = 'post'", "kind <> 'post'"):
        target = "site, post_id" if where == "kind = 'post'" else "site, url"
        db.execute(
            f"INSERT INTO failures ({names}) SELECT {names} FROM failures_old WHERE {where} ORDER BY last_failed_at "
            f"ON CONFLICT ({target}) WHERE {where} DO UPDATE SET "
            "first_failed_at = min(first_failed_at, excluded.first_failed_at), "
            "attempts = attempts + excluded.attempts, "
            f"url = CASE WHEN {newer} THEN excluded.url ELSE url END, "
            f"last_error = CASE WHEN {newer} THEN excluded.last_error ELSE last_error END, "
            "last_failed_at = max(last_failed_at, excluded.last_failed_at)"
        )
    db.execute("DROP TABLE failures_old")


@MIGRATIONS(name="0007_runs_found_by_their_start")
def _runs_found_by_their_start(db: sqlite_utils.Database) -> None:
    # A merge matches each source run to the target's by its start: through an index, a
    # merge costs what it brings, not the target's years of half-hourly runs.
    db.execute("CREATE INDEX IF NOT EXISTS crawl_runs_started_at ON crawl_runs (started_at)")


@MIGRATIONS(name="0008_lookups_by_key")
def _lookups_by_key(db: sqlite_utils.Database) -> None:
    # A run reads what it needs by key, never the whole archive: the recheck window of a
    # site, the posts a blog lists, the latest capture of a URL, the files of a run, a
    # blog's failures.
    for sql in (
        "CREATE INDEX IF NOT EXISTS posts_by_site_date ON posts (site, published_at)",
        "CREATE INDEX IF NOT EXISTS post_blogs_by_blog ON post_blogs (blog_site, zone, post_id)",
        "CREATE INDEX IF NOT EXISTS captures_latest ON captures (url, fetched_at, record_id) WHERE warc_type = 'response' AND status = 200",
        "CREATE INDEX IF NOT EXISTS captures_by_run ON captures (run_id)",
        "CREATE INDEX IF NOT EXISTS failures_by_blog ON failures (site, blog_zone)",
    ):
        db.execute(sql)


@MIGRATIONS(name="0009_edits_newest_first")
def _edits_newest_first(db: sqlite_utils.Database) -> None:
    # The edited posts, newest first, read a page at a time through an index.
    db.execute("CREATE INDEX IF NOT EXISTS revisions_by_recorded_at ON revisions (recorded_at)")
