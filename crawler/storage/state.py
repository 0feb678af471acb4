"""What the archive tells the next run: the posts it holds, the recheck window, the
pages that failed, the blogs walked to their end; and the small records a run leaves
(failures, listings, identity mismatches)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from ..dates import iso_to_warc_date
from .spill import RunMemory, default_memory


@dataclass
class KnownPost:
    site: str
    url: str
    published_at: str | None
    etag: str | None
    last_modified: str | None
    removed: bool
    capture_id: str | None = None  # the WARC record of the stored version (a 304 refers to it)


def _known_post(fields: list) -> KnownPost:
    return KnownPost(*fields)


_POST_FIELDS = "p.site, p.id, p.url, p.published_at, p.etag, p.last_modified, p.removed_at, p.capture_id"


def _known_row(row) -> KnownPost:
    """A row of ``_POST_FIELDS`` (its id, ``row[1]``, is the key it is kept under)."""
    return KnownPost(row[0], row[2], row[3], row[4], row[5], row[6] is not None, row[7])
_CHUNK = 500  # ids per statement (SQLite allows 32,766 parameters; a page lists about 20)


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _marks(ids: list) -> str:
    return ", ".join("?" * len(ids))


class StoredPosts:
    """A site's stored posts as a run finds them: each looked up by its key when the run
    first needs it (an indexed lookup, batched per index page), and remembered as it was
    then. The store tells ``remember`` which posts it is about to write, so that what the
    run goes by is the archive as the run found it, whatever the run writes.

    What is held grows with the posts the run looks at, never with the archive; past the
    run memory's bound, it is held in the run's temporary file (``spill``)."""

    def __init__(self, db: sqlite_utils.Database, site: str, memory: RunMemory | None = None):
        self.db, self.site = db, site
        self.memory = memory or default_memory()
        self.seen = self.memory.map(decode=_known_post)  # post id -> KnownPost, or None: not stored

    def look_up(self, ids) -> None:
        todo = [i for i in dict.fromkeys(ids) if i is not None and i not in self.seen]
        for chunk in _chunks(todo):
            found = {
                row[1]: _known_row(row)
                for row in self.db.execute(f"SELECT {_POST_FIELDS} FROM posts p WHERE p.site = ? AND p.id IN ({_marks(chunk)})",
                                           [self.site, *chunk])
            }
            for post_id in chunk:
                self.seen[post_id] = found.get(post_id)

    def get(self, post_id: int, default=None) -> KnownPost | None:
        if post_id not in self.seen:
            self.look_up([post_id])
        found = self.seen[post_id]
        return default if found is None else found

    def count(self) -> int:
        row = self.db.execute("SELECT posts FROM post_counts WHERE site = ?", [self.site]).fetchone()
        return row[0] if row else 0


class KnownPosts:
    """The stored posts one blog's run goes by: the site's (``StoredPosts``, shared by the
    blogs of the site in a run) and the posts of other sites (a sister service's) already
    recorded as listed in this blog, which come first; and which posts this blog lists
    (``in_blog``). Looked up by key and remembered as first found, like ``StoredPosts``."""

    def __init__(self, db: sqlite_utils.Database, site_posts: StoredPosts, zone: int | None):
        self.db, self.site_posts, self.zone = db, site_posts, zone
        self.site = site_posts.site
        self.others = site_posts.memory.map(decode=_known_post)  # post id -> KnownPost of another site, or None
        self.listed = site_posts.memory.map()  # post id -> whether the blog lists it

    def look_up(self, ids) -> None:
        ids = [i for i in dict.fromkeys(ids) if i is not None]
        self.site_posts.look_up(ids)
        todo = [i for i in ids if i not in self.listed]
        if self.zone is None:
            self.listed.update(dict.fromkeys(todo, False))
            self.others.update(dict.fromkeys(todo))
            return
        for chunk in _chunks(todo):
            listed, others = set(), {}
            for row in self.db.execute(
                f"SELECT {_POST_FIELDS} FROM post_blogs b JOIN posts p ON p.site = b.site AND p.id = b.post_id "
                f"WHERE b.blog_site = ? AND b.zone = ? AND b.post_id IN ({_marks(chunk)})",
                [self.site, self.zone, *chunk],
            ):
                listed.add(row[1])
                if row[0] != self.site:
                    others[row[1]] = _known_row(row)
            for post_id in chunk:
                self.listed[post_id] = post_id in listed
                self.others[post_id] = others.get(post_id)

    def get(self, post_id: int, default=None) -> KnownPost | None:
        if post_id not in self.others:
            self.look_up([post_id])
        found = self.others[post_id] or self.site_posts.get(post_id)
        return default if found is None else found

    def __contains__(self, post_id) -> bool:
        return self.get(post_id) is not None

    def __getitem__(self, post_id: int) -> KnownPost:
        found = self.get(post_id)
        if found is None:
            raise KeyError(post_id)
        return found

    def __len__(self) -> int:
        """The site's stored posts (from the archive's counts, not a scan)."""
        return self.site_posts.count()


class InBlog:
    """``post_id in state.in_blog``: the stored post is already recorded as listed in the blog."""

    def __init__(self, known: KnownPosts):
        self.known = known

    def __contains__(self, post_id) -> bool:
        if post_id not in self.known.listed:
            self.known.look_up([post_id])
        return self.known.listed[post_id]


class StoredEntries:
    """``state.live_entries.get(post_id)``: the entry ids stored of a live blog, looked up
    when the run first reads the live blog, and remembered as found."""

    def __init__(self, db: sqlite_utils.Database, site: str):
        self.db, self.site = db, site
        self.seen: dict[int, set[int]] = {}

    def get(self, post_id: int, default=None) -> set[int]:
        if post_id not in self.seen:
            self.seen[post_id] = {
                row[0] for row in self.db.execute("SELECT entry_id FROM live_entries WHERE site = ? AND post_id = ?",
                                                  [self.site, post_id])
            }
        return self.seen[post_id]


@dataclass
class CrawlState:
    """What a run goes by of the archive for one blog: lookups by key, not a copy of it."""

    # The posts of the blog's site (one mapping shared by the blogs of a site in a run),
    # and those of other sites (a sister service's) the blog lists: ``.get(post_id)``.
    known: KnownPosts | dict = field(default_factory=dict)
    # The stored posts already recorded as listed in this blog: ``post_id in in_blog``.
    in_blog: InBlog | set = field(default_factory=set)
    recheck: list[int] = field(default_factory=list)
    index_complete: bool = False
    failed_posts: dict[int, str] = field(default_factory=dict)
    failed_index_pages: list[str] = field(default_factory=list)
    # Live blogs: the entries stored of each (``.get(post_id)``), and whether a run read them all once.
    live_entries: StoredEntries | dict = field(default_factory=dict)
    live_walk_complete: set[int] = field(default_factory=set)

    def look_up(self, ids) -> None:
        """The posts an index page lists, looked up in one batch before they are decided on."""
        if isinstance(self.known, KnownPosts):
            self.known.look_up(ids)


def crawl_state(
    db: sqlite_utils.Database, site: str, zone: int | None, recheck_since: str, site_state: CrawlState | None = None,
    memory: RunMemory | None = None,
) -> CrawlState:
    """What the archive holds for the blog ``zone`` of ``site``. ``site_state`` is the state
    of another blog of the same site in this run: the site's posts, recheck window and live
    blogs are looked up once and shared.

    Every statement is an indexed lookup: the recheck window through ``published_at``, the
    posts by key as the run meets them; nothing here reads the whole archive."""
    state = CrawlState()
    if site_state is None:
        site_posts = StoredPosts(db, site, memory)
        window = [
            row for row in db.execute(
                f"SELECT {_POST_FIELDS} FROM posts p WHERE p.site = ? AND p.published_at >= ? AND p.removed_at IS NULL ORDER BY p.id",
                [site, recheck_since],
            )
        ]
        for row in window:
            site_posts.seen[row[1]] = _known_row(row)  # removed_at IS NULL
            state.recheck.append(row[1])
        live = list(db.execute("SELECT post_id, walk_complete_at FROM live_blogs WHERE site = ? ORDER BY post_id", [site]))
        site_posts.look_up([post_id for post_id, _ in live])
        for post_id, complete in live:
            if complete:
                state.live_walk_complete.add(post_id)
            # A live blog grows without its publication date moving: it is re-checked every run.
            known = site_posts.get(post_id)
            if known is not None and not known.removed and post_id not in state.recheck:
                state.recheck.append(post_id)
        state.live_entries = StoredEntries(db, site)
    else:
        site_posts = site_state.known.site_posts
        state.recheck, state.live_entries, state.live_walk_complete = (
            site_state.recheck, site_state.live_entries, site_state.live_walk_complete
        )
    known = KnownPosts(db, site_posts, zone)
    if zone is not None:
        # The posts of other sites listed in this blog and published in the window: from
        # the window of every site (``published_at``), each checked against the listing.
        others = list(db.execute(
            f"SELECT {_POST_FIELDS} FROM posts p CROSS JOIN post_blogs b ON b.site = p.site AND b.post_id = p.id "
            "WHERE p.published_at >= ? AND p.site <> ? AND p.removed_at IS NULL AND b.blog_site = ? AND b.zone = ? ORDER BY p.id",
            [recheck_since, site, site, zone],
        ))
        known.look_up([row[1] for row in others])
        extra = [row[1] for row in others if known.others.get(row[1]) is not None]
        if extra:
            state.recheck = [*state.recheck, *extra]  # a list of the blog's own, not the site's
    state.known = known
    state.in_blog = InBlog(known)
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


class RunSnapshot:
    """The archive as a run found it, for every blog of the run: the blogs' states, and the
    latest capture of each URL. Before the store writes posts or live entries, it tells
    ``remember`` their keys: each blog's lookups keep the answer the archive gave before."""

    def __init__(self, db: sqlite_utils.Database, recheck_since: str, memory: RunMemory | None = None):
        self.db, self.recheck_since, self.memory = db, recheck_since, memory
        self.states: list[CrawlState] = []
        self.by_site: dict[str, CrawlState] = {}
        self.captures = LatestCaptures(db)

    def blog_state(self, site: str, zone: int | None) -> CrawlState:
        state = crawl_state(self.db, site, zone, self.recheck_since, site_state=self.by_site.get(site), memory=self.memory)
        self.by_site.setdefault(site, state)
        self.states.append(state)
        return state

    def remember(self, posts: list[tuple[str, int]], entries: list[tuple[str, int]] = ()) -> None:
        """``posts`` and the live blogs of ``entries`` ((site, post id) each) are about to be written."""
        if posts:
            ids = [post_id for _, post_id in posts]
            for state in self.states:
                state.known.look_up(ids)
        for site, post_id in entries:
            state = self.by_site.get(site)
            if state is not None:
                state.live_entries.get(post_id)


class LatestCaptures:
    """``captures.get(url)``: the latest WARC response holding the URL's 200 payload, as
    (record id, payload digest, WARC-Date); one indexed lookup per URL a run fetches."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def get(self, url: str, default=None):
        row = self.db.execute(
            "SELECT record_id, payload_digest, fetched_at FROM captures "
            "WHERE url = ? AND warc_type = 'response' AND status = 200 ORDER BY fetched_at DESC, record_id DESC LIMIT 1",
            [url],
        ).fetchone()
        return default if row is None else (row[0], row[1], iso_to_warc_date(row[2]))

    def payload_of(self, record_id: str):
        """The response holding the 200 payload a stored version came from (``record_id``
        itself, or the response a revisit or a DOM refers to), as (record id, payload
        digest, WARC-Date, URL); ``None`` when the archive holds none."""
        for _ in range(3):  # a DOM refers to a response; a revisit to a response
            row = self.db.execute(
                "SELECT record_id, payload_digest, fetched_at, url, warc_type, status, refers_to FROM captures WHERE record_id = ?",
                [record_id],
            ).fetchone()
            if row is None:
                return None
            if row[4] == "response":
                return (row[0], row[1], iso_to_warc_date(row[2]), row[3]) if row[5] == 200 else None
            record_id = row[6]
            if record_id is None:
                return None
        return None


def latest_captures(db: sqlite_utils.Database) -> LatestCaptures:
    """Per URL, the latest WARC response that holds a 200 payload (looked up by URL)."""
    return LatestCaptures(db)


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
    """How many stored posts (not removed) lack each field: the baseline a run's parse is
    compared with. Read from ``post_counts``, which the archive keeps as posts are written."""
    selected = ", ".join(f"sum([missing_{name}])" for name in fields)
    row = db.execute(f"SELECT sum(posts - removed), {selected} FROM post_counts").fetchone()
    return row[0] or 0, {name: row[i + 1] or 0 for i, name in enumerate(fields)}


def count_posts(db: sqlite_utils.Database) -> int:
    """Posts the archive holds (``post_counts``, not a scan)."""
    return db.execute("SELECT coalesce(sum(posts), 0) FROM post_counts").fetchone()[0]


