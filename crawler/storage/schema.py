"""The archive's shape: its columns and views as data, the checks that tell an archive
from any other file, and ``ensure_db_shape(db)``, which makes what is missing and can run
again safely."""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import fields
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from .migrations import MIGRATIONS
from .search import ensure_search_index
from ..items import EXPECTED_FIELDS, HASHED_FIELDS, Embed, Image, Link, Post

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: full-text search kept by the write path, not by triggers
# SQLite's application_id of an archive ("PANG"): what tells our file from any other
# SQLite database. Archives made before it was set are recognised by their tables.
APPLICATION_ID = 0x50414E47
# Tables every archive has had since the first version.
_ARCHIVE_TABLES = {"posts", "crawl_runs", "images", "links", "embeds"}


class StorageError(Exception):
    """A database that cannot be used; the message is one line for the person running the crawl."""


class DamagedArchive(StorageError):
    """An archive whose pages are not whole (SQLite's ``quick_check``, or a read that failed)."""


def _column_type(annotation: str) -> type:
    """A field's SQLite column type: integers and flags (0/1) as integers; text, and lists
    as JSON text."""
    return int if annotation.split("|")[0].strip() in ("int", "bool") else str


def _columns(item_class) -> dict[str, type]:
    return {f.name: _column_type(str(f.type)) for f in fields(item_class)}


# Post fields kept in tables of their own, one row per entry, not in ``posts``; their
# columns are the entries' fields.
CHILD_COLUMNS: dict[str, dict[str, type]] = {"images": _columns(Image), "links": _columns(Link), "embeds": _columns(Embed)}


# Columns of ``posts``: the item's fields (lists as JSON) and what the archive adds to
# them. The ``Post`` dataclass is the one list of a post's fields.
POST_COLUMNS: dict[str, type] = {
    "site": str,
    "id": int,
    **{
        f.name: _column_type(str(f.type))
        for f in fields(Post)
        if f.name not in CHILD_COLUMNS and f.metadata.get("column", True)
    },
    "lead_image_url": str,
    "lead_image_caption": str,
    "lead_image_credit": str,
    "content_hash": str,
    "first_seen_at": str,
    "last_seen_at": str,
    "last_changed_at": str,
    "removed_at": str,
}

CRAWL_RUN_COLUMNS: dict[str, type] = {
    "id": int,
    "started_at": str,
    "finished_at": str,
    "status": str,
    "mode": str,
    "start_url": str,
    "finish_reason": str,
    "requests": int,
    "retries": int,
    "pages_fetched": int,
    "responses_304": int,
    "index_pages": int,
    "pages_rendered": int,
    "posts_new": int,
    "posts_updated": int,
    "posts_unchanged": int,
    "posts_removed": int,
    "posts_dropped": int,
    "errors": int,
    "fields_missing": str,
    "failures_left": int,
    "entries_new": int,
    "entries_updated": int,
    "message": str,
}

LIVE_ENTRY_COLUMNS: dict[str, type] = {
    "site": str,
    "post_id": int,
    "entry_id": int,
    "position": int,
    "published_at": str,
    "headline": str,
    "body_text": str,
    "body_html": str,
    "links": str,
    "images": str,
    "url": str,
    "content_hash": str,
    "first_seen_at": str,
    "last_seen_at": str,
}

# What makes a post changed: everything the site wrote, nothing we add when fetching.
_HASHED_FIELDS = HASHED_FIELDS


# Views that make the archive easier to read (Datasette shows them beside the tables).
VIEWS = {
    # One row per post with its author and tag names joined, and the month it appeared.
    "post_list": """
SELECT
  posts.site,
  posts.id,
  posts.published_at,
  substr(posts.published_at, 1, 7) AS month,
  posts.title,
  (SELECT group_concat(name, ', ') FROM (
     SELECT authors.name FROM post_authors JOIN authors ON authors.id = post_authors.author_id
     WHERE post_authors.site = posts.site AND post_authors.post_id = posts.id ORDER BY authors.name)) AS author_names,
  posts.authors,
  posts.tags,
  posts.section,
  posts.language,
  (SELECT group_concat(coalesce(blogs.title, 'zone ' || post_blogs.zone), ', ')
     FROM post_blogs LEFT JOIN blogs ON blogs.site = post_blogs.blog_site AND blogs.zone = post_blogs.zone
     WHERE post_blogs.site = posts.site AND post_blogs.post_id = posts.id) AS blog,
  posts.word_count,
  posts.url,
  posts.removed_at,
  posts.rowid AS search_key
FROM posts
""",
    # Every link of every post with the post's date and title: who the blog cites.
    "cited_links": """
SELECT links.site, links.post_id, posts.published_at, posts.title, links.position, links.text, links.url, links.domain, links.internal
FROM links JOIN posts ON posts.site = links.site AND posts.id = links.post_id
""",
    # Live blog entries with the title of the live blog they belong to, newest first.
    "live_entry_list": """
SELECT live_entries.site, live_entries.post_id, posts.title AS live_blog, live_entries.entry_id, live_entries.position,
  live_entries.published_at, live_entries.headline, live_entries.body_text, live_entries.url,
  live_entries.rowid AS search_key
FROM live_entries JOIN posts ON posts.site = live_entries.site AND posts.id = live_entries.post_id
""",
}


def check_writable(path: str | Path) -> None:
    """A clear ``StorageError`` when the archive at ``path`` cannot be written."""
    path = Path(path)
    if not path.parent.is_dir():
        raise StorageError(f"cannot open database {path}: directory {path.parent} does not exist")
    if path.is_dir():
        raise StorageError(f"cannot open database {path}: it is a directory")
    if not os.access(path.parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise StorageError(f"cannot write database {path}: {'it' if path.exists() else 'its directory'} is read-only")


_READ_AHEAD_CHUNK = 8 << 20


def _memory_available() -> int | None:
    """Bytes of memory the system can give without swapping (``MemAvailable``), if it says."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def read_ahead(path: str | Path) -> bool:
    """Read the archive (and its write-ahead log) front to back once, so that the check that
    follows finds its pages in the system's cache: ``quick_check`` walks each B-tree in key
    order, which on a cold disk is one seek a page (21 minutes for a 7 GB archive here,
    against 90 s to read it in order and 12 s to check it then). Only when the files fit
    in half the memory available; True when it read them."""
    names = [Path(path), Path(f"{path}-wal")]
    size = sum(name.stat().st_size for name in names if name.exists())
    available = _memory_available()
    if available is not None and size > available // 2:
        return False
    buffer = bytearray(_READ_AHEAD_CHUNK)
    for name in names:
        try:
            with open(name, "rb", buffering=0) as stream:
                if hasattr(os, "posix_fadvise"):
                    os.posix_fadvise(stream.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
                while stream.readinto(buffer):
                    pass
        except OSError:
            continue  # the check reads what it can, and says what it cannot
    return True


def check_archive(path: str | Path, thorough: bool = True) -> None:
    """A clear ``StorageError`` unless ``path`` is missing, empty, or an archive of this
    crawler that is whole; reads only, writes nothing.

    Another application's database is refused whatever it holds; an archive made before
    archives carried their mark is recognised by its tables. ``thorough`` runs SQLite's
    ``quick_check`` over the whole file (a damaged page anywhere is found before a run
    writes next to it).
    """
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return
    # Without a write-ahead log, the file is the whole database: read it as immutable, so
    # that SQLite makes no -wal or -shm file beside a database we then refuse.
    immutable = "" if Path(f"{path}-wal").exists() else "&immutable=1"
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro{immutable}", uri=True, timeout=30)
    except sqlite3.Error as error:
        raise StorageError(f"cannot open database {path}: {error}") from None
    try:
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if application_id != APPLICATION_ID and tables and not _ARCHIVE_TABLES <= tables:
            named = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise StorageError(
                f"{path} is a database of another application (tables {named}), not an archive: give another SQLITE_PATH"
            )
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"database {path} has schema version {version}, newer than this crawler's {SCHEMA_VERSION}: upgrade the crawler"
            )
        if thorough:
            read_ahead(path)
            problems = [row[0] for row in conn.execute("PRAGMA quick_check(100)")]
            if problems != ["ok"]:
                first = problems[0].splitlines()[0]
                more = f" and {len(problems) - 1} more problems" if len(problems) > 1 else ""
                raise DamagedArchive(
                    f"database {path} is damaged ({first}{more}): restore it from a backup, or move it away to start anew"
                )
    except sqlite3.DatabaseError as error:
        raise DamagedArchive(
            f"database {path} is damaged or not a database ({str(error).splitlines()[0]}): restore it from a backup, or move it away"
        ) from None
    finally:
        conn.close()


def open_db(path: str | Path) -> sqlite_utils.Database:
    """The archive at ``path``, shaped and ready; a clear ``StorageError`` when it cannot be."""
    path = Path(path)
    check_writable(path)
    check_archive(path, thorough=False)
    try:
        conn = sqlite3.connect(str(path), timeout=30)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA user_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise StorageError(f"cannot open database {path}: {error}") from None
    try:
        ensure_db_shape(db)
    except sqlite3.DatabaseError as error:
        raise StorageError(f"cannot write database {path}: {error}") from None
    return db


FAILURE_COLUMNS = {
    "site": str,
    "url": str,  # the URL the page was asked for (a post: its own URL, whatever it led to)
    "kind": str,  # "post" (a post or a page of a live blog) or "index"
    "post_id": int,
    "blog_zone": int,
    "first_failed_at": str,
    "last_failed_at": str,
    "attempts": int,
    "last_error": str,
    "led_to": str,  # where the request ended when redirects took it elsewhere
}
# A failure of a post belongs to the post: one row per (site, post id), whatever URL the
# post was asked for or redirected to; any other page is one row per (site, URL).
FAILURE_KEYS = {
    "post": (("site", "post_id"), "kind = 'post'"),
    "page": (("site", "url"), "kind <> 'post'"),
}


def create_failures_table(db: sqlite_utils.Database, name: str = "failures") -> None:
    """Pages a run could not get; the next run tries them again, and a page that finally
    comes in takes its row away."""
    db[name].create(FAILURE_COLUMNS)
    for kind, (columns, where) in FAILURE_KEYS.items():
        db.execute(f"CREATE UNIQUE INDEX [{name}_{kind}] ON [{name}] ({', '.join(columns)}) WHERE {where}")


def ensure_db_shape(db: sqlite_utils.Database) -> None:
    """Create what is missing: tables, indexes, full-text search. Safe to run again."""
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        db.enable_wal()
        # In WAL mode, NORMAL never corrupts the database and loses no committed post when
        # the crawl is killed; only a power cut may lose the last commits, which the next
        # run fetches again. It saves a disk flush per transaction.
        db.execute("PRAGMA synchronous = NORMAL")
    # One transaction for the whole shape: a reader (Datasette) sees the schema whole or
    # not at all, never a full-text table half made.
    with db.atomic():
        _shape(db)


def _shape(db: sqlite_utils.Database) -> None:
    tables = set(db.table_names())
    # A post is its site and its numeric id: ids are unique on one host (and across the
    # RFE/RL network), not across Pangea sites, and one archive may hold several sites.
    post_key = [(("site", "post_id"), "posts", ("site", "id"))]
    if "posts" not in tables:
        db["posts"].create(POST_COLUMNS, pk=("site", "id"), not_null={"url", "site"})
        db["posts"].create_index(["published_at"])
    for table, columns in CHILD_COLUMNS.items():
        if table not in tables:
            db[table].create(
                {"site": str, "post_id": int, **columns}, pk=("site", "post_id", "position"), foreign_keys=post_key
            )
    if "links" not in tables:
        db["links"].create_index(["domain"])
    for name in ("authors", "tags"):
        if name not in tables:
            db[name].create({"id": int, "name": str}, pk="id", not_null={"name"})
            db[name].create_index(["name"], unique=True)
        join, column = f"post_{name}", f"{name[:-1]}_id"
        if join not in tables:
            db[join].create(
                {"site": str, "post_id": int, column: int},
                pk=("site", "post_id", column),
                foreign_keys=post_key + [(column, name, "id")],
            )
            db[join].create_index([column])
    if "blogs" not in tables:
        db["blogs"].create(
            {"site": str, "zone": int, "title": str, "index_complete_at": str, "last_run_at": str},
            pk=("site", "zone"),
        )
    if "post_blogs" not in tables:
        # Every blog (zone) a post was found listed in: a post can belong to several.
        db["post_blogs"].create(
            {"site": str, "post_id": int, "blog_site": str, "zone": int, "first_seen_at": str},
            pk=("site", "post_id", "blog_site", "zone"),
            foreign_keys=post_key + [(("blog_site", "zone"), "blogs", ("site", "zone"))],
        )
    if "crawl_runs" not in tables:
        db["crawl_runs"].create(CRAWL_RUN_COLUMNS, pk="id")
    if "revisions" not in tables:
        db["revisions"].create(
            {
                "id": int,
                "site": str,
                "post_id": int,
                "entry_id": int,
                "first_seen_at": str,
                "last_seen_at": str,
                "recorded_at": str,
                "changed_fields": str,
                "old_values": str,
                "content_hash": str,
            },
            pk="id",
            foreign_keys=post_key,
        )
        db["revisions"].create_index(["site", "post_id"])
    if "live_entries" not in tables:
        db["live_entries"].create(LIVE_ENTRY_COLUMNS, pk=("site", "post_id", "entry_id"), foreign_keys=post_key)
        db["live_entries"].create_index(["published_at"])
    if "live_blogs" not in tables:
        db["live_blogs"].create(
            {"site": str, "post_id": int, "entries": int, "newest_entry_at": str, "walk_complete_at": str, "last_seen_at": str},
            pk=("site", "post_id"),
            foreign_keys=post_key,
        )
    if "failures" not in tables:
        create_failures_table(db)
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)
    for table, columns in (("posts", POST_COLUMNS), ("crawl_runs", CRAWL_RUN_COLUMNS)):
        existing = db[table].columns_dict
        for name, kind in columns.items():
            if name not in existing:
                db[table].add_column(name, kind)
    MIGRATIONS.apply(db)
    # The full-text index in this version's reading (``crawler.analysis``): made, or made
    # anew from the stored text when an older version made it.
    for fts in ensure_search_index(db.conn):
        logger.info("full-text index %s made from the stored text, each post read in its language", fts)
    keep_post_counts(db)
    keep_facet_counts(db)
    keep_name_dates(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")



# ``post_counts``: per site, the posts held, those marked removed, and of the others how
# many lack each field a run checks (``EXPECTED_FIELDS``): what a run's markup alarms
# compare with and what the exploration shows, kept by SQLite itself (triggers on
# ``posts``) in the transaction that writes a post, whoever writes it (a crawl, a merge,
# a re-extraction), so that nothing ever counts the posts by reading them all.
COUNTED_FIELDS = EXPECTED_FIELDS


def _missing(row: str, name: str) -> str:
    return f"({row}.removed_at IS NULL AND ({row}.[{name}] IS NULL OR {row}.[{name}] IN ('', '[]')))"


def _count_changes(row: str, sign: str) -> str:
    sets = [f"posts = posts {sign} 1", f"removed = removed {sign} ({row}.removed_at IS NOT NULL)"]
    sets += [f"[missing_{name}] = [missing_{name}] {sign} {_missing(row, name)}" for name in COUNTED_FIELDS]
    return f"UPDATE post_counts SET {', '.join(sets)} WHERE site = {row}.site;"


def post_counts_sql() -> dict[str, str]:
    """The table and its triggers, as SQLite keeps their text in ``sqlite_master``."""
    columns = ["site TEXT PRIMARY KEY", "posts INTEGER NOT NULL DEFAULT 0", "removed INTEGER NOT NULL DEFAULT 0"]
    columns += [f"[missing_{name}] INTEGER NOT NULL DEFAULT 0" for name in COUNTED_FIELDS]
    # No conflict clause: inside a trigger, the writing statement's own (an upsert) would rule it.
    add = (
        "INSERT INTO post_counts (site) SELECT NEW.site WHERE NOT EXISTS (SELECT 1 FROM post_counts WHERE site = NEW.site); "
        + _count_changes("NEW", "+")
    )
    watched = ", ".join(["site", "removed_at", *COUNTED_FIELDS])
    return {
        "post_counts": f"CREATE TABLE post_counts ({', '.join(columns)})",
        "post_counts_insert": f"CREATE TRIGGER post_counts_insert AFTER INSERT ON posts BEGIN {add} END",
        "post_counts_delete": f"CREATE TRIGGER post_counts_delete AFTER DELETE ON posts BEGIN {_count_changes('OLD', '-')} END",
        "post_counts_update": (
            f"CREATE TRIGGER post_counts_update AFTER UPDATE OF {watched} ON posts BEGIN "
            f"{_count_changes('OLD', '-')} {add} END"
        ),
    }


def _made_anew(db: sqlite_utils.Database, table: str, wanted: dict[str, str]) -> bool:
    """Make a table of counts and its triggers (``wanted``: name -> SQL) anew, empty, unless
    the archive's are these already; whether it did (then the caller counts once)."""
    found = dict(db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE name IN ({', '.join('?' * len(wanted))})", list(wanted)
    ).fetchall())
    if found == wanted:
        return False
    for name in wanted:
        if name != table:
            db.execute(f"DROP TRIGGER IF EXISTS [{name}]")
    db.execute(f"DROP TABLE IF EXISTS [{table}]")
    for sql in wanted.values():
        db.execute(sql)
    return True


def keep_post_counts(db: sqlite_utils.Database) -> None:
    """Make ``post_counts`` and its triggers, or make them anew (with one count of the
    posts) when what they count has changed since the archive's were made."""
    if not _made_anew(db, "post_counts", post_counts_sql()):
        return
    sums = ", ".join(f"sum({_missing('posts', name)})" for name in COUNTED_FIELDS)
    names = ", ".join(f"[missing_{name}]" for name in COUNTED_FIELDS)
    db.execute(
        f"INSERT INTO post_counts (site, posts, removed, {names}) "
        f"SELECT site, count(*), sum(removed_at IS NOT NULL), {sums} FROM posts GROUP BY site"
    )


# ``facet_counts``: how many posts of each site have each value of each facet the
# exploration shows, per month of publication (``''`` when a post has no date), with how many of them are
# marked removed: the facets of the posts pages, the posts per month and the chart read
# these few rows instead of grouping every post. Kept by triggers, like ``post_counts``:
# on ``posts`` for the columns (and for the authors and tags a post already has when it
# is written or moves month), on ``post_authors`` and ``post_tags`` for the names.
FACETS_OF_POSTS = ("site", "section", "language")  # columns of ``posts``
# Facets of the rows that hang on a post: facet -> (table, the value of a row ``j`` of it,
# and what it joins). A blog is its site and zone (``blog_site/zone``): its title comes
# later than its posts, and is read with the counts.
FACETS_OF_NAMES = {
    "authors": ("post_authors", "n.name", "JOIN authors n ON n.id = j.author_id"),
    "tags": ("post_tags", "n.name", "JOIN tags n ON n.id = j.tag_id"),
    "blog": ("post_blogs", "j.blog_site || '/' || j.zone", ""),
}


def _bump(facet: str, values: str, month: str, removed: str, sign: str, site: str) -> str:
    """Statements that add (``+``) or take (``-``) one post under each value ``values``
    (a ``SELECT ... AS value``) gives of ``facet``, in ``month``; ``removed``: the post's
    ``removed_at``. ``month`` and ``removed`` are expressions of the trigger's row."""
    return (
        f"INSERT INTO facet_counts (facet, value, month, site) SELECT '{facet}', v.value, {month}, {site} FROM ({values}) AS v "
        f"WHERE v.value IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM facet_counts f WHERE f.facet = '{facet}' AND f.value = v.value AND f.month = {month} AND f.site = {site}); "
        f"UPDATE facet_counts SET posts = posts {sign} 1, removed = removed {sign} ({removed} IS NOT NULL) "
        f"WHERE facet = '{facet}' AND month = {month} AND site = {site} AND value IN ({values});"
    )


def _post_facets(row: str, sign: str) -> str:
    """A post row's facets: its columns, its month, and the names it already has."""
    month, removed = f"coalesce(substr({row}.published_at, 1, 7), '')", f"{row}.removed_at"
    parts = [_bump(column, f"SELECT {row}.[{column}] AS value", month, removed, sign, f"{row}.site") for column in FACETS_OF_POSTS]
    parts.append(_bump("month", f"SELECT {month} AS value", month, removed, sign, f"{row}.site"))
    for facet, (table, value, join) in FACETS_OF_NAMES.items():
        names = f"SELECT {value} AS value FROM [{table}] j {join} WHERE j.site = {row}.site AND j.post_id = {row}.id"
        parts.append(_bump(facet, names, month, removed, sign, f"{row}.site"))
    return " ".join(parts)


# The columns of each such row its value reads.
_KEYS = {"authors": ("author_id",), "tags": ("tag_id",), "blog": ("blog_site", "zone")}


def _name_facets(facet: str, table: str, value: str, join: str, row: str, sign: str) -> str:
    """A name given to a post (or taken from it): counted when the post is there."""
    post = f"FROM posts WHERE site = {row}.site AND id = {row}.post_id"
    values = (f"SELECT {value} AS value FROM (SELECT {row}.site AS site, {row}.post_id AS post_id, "
              + ", ".join(f"{row}.{c} AS {c}" for c in _KEYS[facet]) + f") AS j {join} WHERE EXISTS (SELECT 1 {post})")
    month = f"(SELECT coalesce(substr(published_at, 1, 7), '') {post})"
    return _bump(facet, values, month, f"(SELECT removed_at {post})", sign, f"{row}.site")


def _domain_counts(row: str, sign: str, other: str) -> str:
    """The outside links of a post (``links`` with ``internal = 0``) by domain: ``domain_links``
    counts the links, ``domain_posts`` the posts that have one (``''``: no domain)."""
    domain = f"coalesce({row}.domain, '')"
    same = (f"SELECT 1 FROM links l WHERE l.site = {row}.site AND l.post_id = {row}.post_id AND l.internal = 0 "
            f"AND coalesce(l.domain, '') = {domain}{other}")
    when = f"{row}.internal = 0"
    return (
        _bump("domain_links", f"SELECT {domain} AS value WHERE {when}", "''", "NULL", sign, f"{row}.site")
        + " " + _bump("domain_posts", f"SELECT {domain} AS value WHERE {when} AND NOT EXISTS ({same})", "''", "NULL", sign, f"{row}.site")
    )


def _domain_triggers() -> dict[str, str]:
    changed = "OLD.domain IS NOT NEW.domain OR OLD.internal IS NOT NEW.internal OR OLD.site IS NOT NEW.site OR OLD.post_id IS NOT NEW.post_id"
    return {
        "facet_counts_links_insert": (
            "CREATE TRIGGER facet_counts_links_insert AFTER INSERT ON links BEGIN "
            f"{_domain_counts('NEW', '+', ' AND l.rowid <> NEW.rowid')} END"
        ),
        "facet_counts_links_delete": f"CREATE TRIGGER facet_counts_links_delete AFTER DELETE ON links BEGIN {_domain_counts('OLD', '-', '')} END",
        "facet_counts_links_update": (
            f"CREATE TRIGGER facet_counts_links_update AFTER UPDATE OF domain, internal, site, post_id ON links WHEN {changed} BEGIN "
            f"{_domain_counts('OLD', '-', '')} {_domain_counts('NEW', '+', ' AND l.rowid <> NEW.rowid')} END"
        ),
    }


def facet_counts_sql() -> dict[str, str]:
    watched = ", ".join(["site", "id", "published_at", "removed_at", *FACETS_OF_POSTS])
    sql = {
        "facet_counts": (
            "CREATE TABLE facet_counts (facet TEXT NOT NULL, value TEXT NOT NULL, month TEXT NOT NULL, "
            "posts INTEGER NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0, site TEXT NOT NULL, PRIMARY KEY (facet, value, month, site)) WITHOUT ROWID"
        ),
        "facet_counts_post_insert": f"CREATE TRIGGER facet_counts_post_insert AFTER INSERT ON posts BEGIN {_post_facets('NEW', '+')} END",
        "facet_counts_post_delete": f"CREATE TRIGGER facet_counts_post_delete AFTER DELETE ON posts BEGIN {_post_facets('OLD', '-')} END",
        "facet_counts_post_update": (
            f"CREATE TRIGGER facet_counts_post_update AFTER UPDATE OF {watched} ON posts BEGIN "
            f"{_post_facets('OLD', '-')} {_post_facets('NEW', '+')} END"
        ),
    }
    sql.update(_domain_triggers())
    for facet, (table, value, join) in FACETS_OF_NAMES.items():
        for event, row, sign in (("insert", "NEW", "+"), ("delete", "OLD", "-")):
            name = f"facet_counts_{facet}_{event}"
            body = _name_facets(facet, table, value, join, row, sign)
            sql[name] = f"CREATE TRIGGER {name} AFTER {event.upper()} ON [{table}] BEGIN {body} END"
    return sql


def keep_facet_counts(db: sqlite_utils.Database) -> None:
    """Make ``facet_counts`` and its triggers, or make them anew (with one count of the
    posts) when their definition changed."""
    if not _made_anew(db, "facet_counts", facet_counts_sql()):
        return
    month = "coalesce(substr(p.published_at, 1, 7), '')"
    selects = [f"SELECT '{c}' AS facet, p.[{c}] AS value, {month} AS month, p.removed_at AS removed_at, p.site AS site FROM posts p "
               f"WHERE p.[{c}] IS NOT NULL" for c in FACETS_OF_POSTS]
    selects.append(f"SELECT 'month', {month}, {month}, p.removed_at, p.site FROM posts p")
    for facet, (table, value, join) in FACETS_OF_NAMES.items():
        selects.append(
            f"SELECT '{facet}', {value}, {month}, p.removed_at, p.site FROM [{table}] j {join} "
            "JOIN posts p ON p.site = j.site AND p.id = j.post_id"
        )
    selects.append("SELECT 'domain_links', coalesce(domain, ''), '', NULL, site FROM links WHERE internal = 0")
    selects.append(
        "SELECT 'domain_posts', d, '', NULL, site FROM (SELECT DISTINCT coalesce(domain, '') AS d, site, post_id FROM links WHERE internal = 0)"
    )
    db.execute(
        "INSERT INTO facet_counts (facet, value, month, site, posts, removed) "
        "SELECT facet, value, month, site, count(*), sum(removed_at IS NOT NULL) FROM ("
        + " UNION ALL ".join(selects)
        + ") GROUP BY facet, value, month, site"
    )


# ``name_dates``: each author and tag of each post, with the post's date: the index that
# lists one name's posts newest first, a page at a time, whatever the number of posts
# (SQLite cannot index the columns of two tables together). Names are compared in any
# ASCII case (``COLLATE NOCASE``), as the exploration's queries compare them. Kept by
# triggers on ``post_authors``, ``post_tags`` and ``posts``, like the counts.
# ``published_at`` is ``''`` for a post with no date.
NAMED = {"authors": ("post_authors", "author_id"), "tags": ("post_tags", "tag_id")}


def _dated(facet: str, table: str, column: str, row: str, event: str) -> str:
    """Statements for a row ``row`` of ``posts`` written (``insert``) or taken (``delete``)."""
    names = f"FROM [{table}] j JOIN [{facet}] n ON n.id = j.{column} WHERE j.site = {row}.site AND j.post_id = {row}.id"
    if event == "insert":
        return (f"INSERT OR IGNORE INTO name_dates (facet, name, published_at, site, post_id) "
                f"SELECT '{facet}', n.name, coalesce({row}.published_at, ''), {row}.site, {row}.id {names};")
    return (f"DELETE FROM name_dates WHERE facet = '{facet}' AND published_at = coalesce({row}.published_at, '') "
            f"AND site = {row}.site AND post_id = {row}.id AND name IN (SELECT n.name {names});")


def name_dates_sql() -> dict[str, str]:
    sql = {
        "name_dates": (
            "CREATE TABLE name_dates (facet TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, published_at TEXT NOT NULL, "
            "site TEXT NOT NULL, post_id INTEGER NOT NULL, PRIMARY KEY (facet, name, published_at, site, post_id)) WITHOUT ROWID"
        ),
    }
    changed = "OLD.published_at IS NOT NEW.published_at OR OLD.site IS NOT NEW.site OR OLD.id IS NOT NEW.id"
    post_insert = " ".join(_dated(f, t, c, "NEW", "insert") for f, (t, c) in NAMED.items())
    post_delete = " ".join(_dated(f, t, c, "OLD", "delete") for f, (t, c) in NAMED.items())
    sql["name_dates_post_insert"] = f"CREATE TRIGGER name_dates_post_insert AFTER INSERT ON posts BEGIN {post_insert} END"
    sql["name_dates_post_delete"] = f"CREATE TRIGGER name_dates_post_delete AFTER DELETE ON posts BEGIN {post_delete} END"
    sql["name_dates_post_update"] = (
        f"CREATE TRIGGER name_dates_post_update AFTER UPDATE OF published_at, site, id ON posts WHEN {changed} BEGIN "
        f"{post_delete} {post_insert} END"
    )
    for facet, (table, column) in NAMED.items():
        post = "FROM posts p WHERE p.site = {0}.site AND p.id = {0}.post_id"
        name = f"(SELECT n.name FROM [{facet}] n WHERE n.id = {{0}}.{column})"
        sql[f"name_dates_{facet}_insert"] = (
            f"CREATE TRIGGER name_dates_{facet}_insert AFTER INSERT ON [{table}] BEGIN "
            f"INSERT OR IGNORE INTO name_dates (facet, name, published_at, site, post_id) "
            f"SELECT '{facet}', {name.format('NEW')}, coalesce(p.published_at, ''), p.site, p.id {post.format('NEW')} "
            f"AND {name.format('NEW')} IS NOT NULL; END"
        )
        sql[f"name_dates_{facet}_delete"] = (
            f"CREATE TRIGGER name_dates_{facet}_delete AFTER DELETE ON [{table}] BEGIN "
            f"DELETE FROM name_dates WHERE facet = '{facet}' AND name = {name.format('OLD')} AND site = OLD.site "
            f"AND post_id = OLD.post_id AND published_at = (SELECT coalesce(p.published_at, '') {post.format('OLD')}); END"
        )
    return sql


def keep_name_dates(db: sqlite_utils.Database) -> None:
    """Make ``name_dates`` and its triggers, or make them anew (filled in one statement)
    when their definition changed."""
    if not _made_anew(db, "name_dates", name_dates_sql()):
        return
    db.execute(
        "INSERT OR IGNORE INTO name_dates (facet, name, published_at, site, post_id) "
        + " UNION ALL ".join(
            f"SELECT '{facet}', n.name, coalesce(p.published_at, ''), p.site, p.id FROM [{table}] j "
            f"JOIN [{facet}] n ON n.id = j.{column} JOIN posts p ON p.site = j.site AND p.id = j.post_id"
            for facet, (table, column) in NAMED.items()
        )
    )
