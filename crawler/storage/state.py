"""What the archive tells the next run: the posts it holds, the recheck window, the
pages that failed, the blogs walked to their end; and the small records a run leaves
(failures, listings, identity mismatches)."""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field

import sqlite_utils

from ..dates import iso_to_warc_date


@dataclass
class KnownPost:
    site: str
    url: str
    published_at: str | None
    etag: str | None
    last_modified: str | None
    removed: bool


@dataclass
class CrawlState:
    """What a run needs to know of the archive before it fetches anything."""

    # The posts of the blog's site (one mapping shared by the blogs of a site in a run),
    # and those of other sites (a sister service's) the blog lists.
    known: dict[int, KnownPost] | ChainMap = field(default_factory=dict)
    # The stored posts already recorded as listed in this blog.
    in_blog: set[int] = field(default_factory=set)
    recheck: list[int] = field(default_factory=list)
    index_complete: bool = False
    failed_posts: dict[int, str] = field(default_factory=dict)
    failed_index_pages: list[str] = field(default_factory=list)
    # Live blogs: the entries stored of each, and whether a run read them all once.
    live_entries: dict[int, set[int]] = field(default_factory=dict)
    live_walk_complete: set[int] = field(default_factory=set)


def crawl_state(
    db: sqlite_utils.Database, site: str, zone: int | None, recheck_since: str, site_state: CrawlState | None = None
) -> CrawlState:
    """What the archive holds for the blog ``zone`` of ``site``. ``site_state`` is the state
    of another blog of the same site in this run: the site's posts and live blogs are read
    once and shared (a site's posts, held once per blog, would weigh as many times as the
    run has blogs of the site)."""
    state = CrawlState()
    if site_state is None:
        site_known: dict[int, KnownPost] = {}
        for post_id, url, published_at, etag, last_modified, removed_at in db.execute(
            "SELECT id, url, published_at, etag, last_modified, removed_at FROM posts WHERE site = ?", [site]
        ):
            site_known[post_id] = KnownPost(site, url, published_at, etag, last_modified, removed_at is not None)
            if removed_at is None and published_at and published_at >= recheck_since:
                state.recheck.append(post_id)
        for post_id, complete in db.execute("SELECT post_id, walk_complete_at FROM live_blogs WHERE site = ?", [site]):
            state.live_entries[post_id] = set()
            if complete:
                state.live_walk_complete.add(post_id)
            # A live blog grows without its publication date moving: it is re-checked every run.
            if post_id in site_known and not site_known[post_id].removed and post_id not in state.recheck:
                state.recheck.append(post_id)
        for post_id, entry_id in db.execute("SELECT post_id, entry_id FROM live_entries WHERE site = ?", [site]):
            state.live_entries.setdefault(post_id, set()).add(entry_id)
    else:
        site_known = site_state.known.maps[-1] if isinstance(site_state.known, ChainMap) else site_state.known
        state.recheck, state.live_entries, state.live_walk_complete = (
            site_state.recheck, site_state.live_entries, site_state.live_walk_complete
        )
    # The posts of other sites listed in this blog, and which posts this blog lists.
    others: dict[int, KnownPost] = {}
    for post_site, post_id, url, published_at, etag, last_modified, removed_at in db.execute(
        "SELECT p.site, p.id, p.url, p.published_at, p.etag, p.last_modified, p.removed_at FROM post_blogs b "
        "JOIN posts p ON p.site = b.site AND p.id = b.post_id WHERE b.blog_site = ? AND b.zone = ?",
        [site, zone],
    ):
        state.in_blog.add(post_id)
        if post_site != site:
            others[post_id] = KnownPost(post_site, url, published_at, etag, last_modified, removed_at is not None)
            if removed_at is None and published_at and published_at >= recheck_since:
                state.recheck = [*state.recheck, post_id]  # a list of the blog's own, not the site's
    state.known = ChainMap(others, site_known)
    row = db.execute("SELECT index_complete_at FROM blogs WHERE site = ? AND zone = ?", [site, zone]).fetchone()
    state.index_complete = bool(row and row[0])
    for kind, url, post_id in db.execute(
        "SELECT kind, url, post_id FROM failures WHERE site = ? AND (blog_zone = ? OR blog_zone IS NULL)", [site, zone]
    ):
        if kind == "post" and post_id is not None:
            state.failed_posts[post_id] = url
        elif kind == "index":
            state.failed_index_pages.append(url)
    return state


def latest_captures(db: sqlite_utils.Database) -> dict[str, tuple[str, str, str]]:
    """Per URL, the latest WARC response that holds a 200 payload."""
    return {
        url: (record_id, digest, iso_to_warc_date(fetched_at))
        for url, record_id, digest, fetched_at, _ in db.execute(
            "SELECT url, record_id, payload_digest, fetched_at, max(fetched_at || record_id) FROM captures "
            "WHERE warc_type = 'response' AND status = 200 GROUP BY url"
        )
    }


def save_captures(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Rows of ``captures`` (each WARC record once, whoever announces it again)."""
    if rows:
        columns = list(rows[0])
        db.conn.executemany(
            f"INSERT OR IGNORE INTO captures ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [[row[c] for c in columns] for row in rows],
        )


def has_failures(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT EXISTS (SELECT 1 FROM failures)").fetchone()[0] == 1


def record_listing(db: sqlite_utils.Database, *, site: str, post_id: int, blog_site: str, zone: int, now: str) -> None:
    """A stored post was found listed in another blog: it belongs to that one too."""
    db.execute(
        "INSERT OR IGNORE INTO post_blogs (site, post_id, blog_site, zone, first_seen_at) VALUES (?, ?, ?, ?, ?)",
        [site, post_id, blog_site, zone, now],
    )


def record_failure(
    db: sqlite_utils.Database, *, site: str, url: str, kind: str, post_id: int | None, blog_zone: int | None, error: str, now: str,
    led_to: str | None = None,
) -> None:
    """A page this run could not get, for the next run to try again. A post's failure is
    the post's (one row per site and post id): ``url`` is the URL it was asked for, and
    ``led_to`` where redirects took the request, when elsewhere."""
    target = "site, post_id) WHERE kind = 'post'" if kind == "post" and post_id is not None else "site, url) WHERE kind <> 'post'"
    db.execute(
        "INSERT INTO failures (site, url, kind, post_id, blog_zone, first_failed_at, last_failed_at, attempts, last_error, led_to) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) "
        f"ON CONFLICT ({target} DO UPDATE SET url = excluded.url, last_failed_at = excluded.last_failed_at, "
        "attempts = attempts + 1, last_error = excluded.last_error, led_to = excluded.led_to",
        [site, url, kind, post_id, blog_zone, now, now, error, led_to if led_to != url else None],
    )


def record_identity_mismatch(
    db: sqlite_utils.Database, *, site: str, post_id: int, claimed_by: str, claimed_url: str, fetched_url: str, now: str
) -> None:
    db.execute(
        "INSERT INTO identity_mismatches (site, post_id, claimed_by, claimed_url, fetched_url, first_seen_at, last_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, post_id, claimed_by) DO UPDATE SET "
        "claimed_url = excluded.claimed_url, fetched_url = excluded.fetched_url, last_seen_at = excluded.last_seen_at",
        [site, post_id, claimed_by, claimed_url, fetched_url, now, now],
    )


def resolve_index_failures(db: sqlite_utils.Database, site: str, zone: int) -> None:
    """A walk reached the index's end: the index pages that failed before are behind us."""
    db.execute("DELETE FROM failures WHERE site = ? AND blog_zone = ? AND kind = 'index'", [site, zone])


def count_failures(db: sqlite_utils.Database, site: str, zone: int | None) -> int:
    return db.execute(
        "SELECT count(*) FROM failures WHERE site = ? AND (blog_zone = ? OR blog_zone IS NULL)", [site, zone]
    ).fetchone()[0]


def save_blog(db: sqlite_utils.Database, *, site: str, zone: int, title: str | None, now: str, index_complete: bool) -> None:
    existing = db.execute("SELECT index_complete_at FROM blogs WHERE site = ? AND zone = ?", [site, zone]).fetchone()
    complete_at = now if index_complete else (existing[0] if existing else None)
    row = {"site": site, "zone": zone, "last_run_at": now, "index_complete_at": complete_at}
    if title:
        row["title"] = title
    db["blogs"].upsert(row, pk=("site", "zone"))


def missing_field_counts(db: sqlite_utils.Database, fields: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    """How many stored posts lack each field: the baseline a run's parse is compared with."""
    conditions = {
        name: f"{name} IS NULL OR {name} IN ('', '[]')" for name in fields
    }
    selected = ", ".join(f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END)" for cond in conditions.values())
    row = db.execute(f"SELECT count(*), {selected} FROM posts WHERE removed_at IS NULL").fetchone()
    return row[0], {name: row[i + 1] or 0 for i, name in enumerate(conditions)}


