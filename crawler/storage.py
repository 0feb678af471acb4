"""The archive: plain functions over a ``sqlite_utils.Database``.

``ensure_db_shape(db)`` creates tables, indexes and full-text search and can run again
safely; ``save_post(db, post, now)`` writes one whole post (row, images, links, embeds,
authors, tags); ``start_run`` / ``finish_run`` keep the ``crawl_runs`` book.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, is_dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import sqlite_utils
from itemadapter import ItemAdapter

SCHEMA_VERSION = 2  # 2: full-text search kept by the write path, not by triggers
# SQLite's application_id of an archive ("PANG"): what tells our file from any other
# SQLite database. Archives made before it was set are recognised by their tables.
APPLICATION_ID = 0x50414E47
# Tables every archive has had since the first version.
_ARCHIVE_TABLES = {"posts", "crawl_runs", "images", "links", "embeds"}


class StorageError(Exception):
    """A database that cannot be used; the message is one line for the person running the crawl."""


# Columns of ``posts`` in order, with their types. Lists are stored as JSON.
POST_COLUMNS: dict[str, type] = {
    "site": str,
    "id": int,
    "url": str,
    "title": str,
    "description": str,
    "authors": str,
    "published_at": str,
    "updated_at": str,
    "tags": str,
    "section": str,
    "zone": int,
    "blog_zone": int,
    "blog_site": str,
    "language": str,
    "dateline": str,
    "body_text": str,
    "body_html": str,
    "word_count": int,
    "lead_image_url": str,
    "lead_image_caption": str,
    "lead_image_credit": str,
    "content_hash": str,
    "fetched_url": str,
    "etag": str,
    "last_modified": str,
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
    "index_walk": str,
    "posts_missed_by_index": int,
    "audit": str,
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
_HASHED_FIELDS = (
    "url", "title", "description", "authors", "published_at", "updated_at", "tags", "section", "zone",
    "language", "dateline", "body_text", "body_html", "images", "links", "embeds",
)


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
            problems = [row[0] for row in conn.execute("PRAGMA quick_check(100)")]
            if problems != ["ok"]:
                first = problems[0].splitlines()[0]
                more = f" and {len(problems) - 1} more problems" if len(problems) > 1 else ""
                raise StorageError(
                    f"database {path} is damaged ({first}{more}): restore it from a backup, or move it away to start anew"
                )
    except sqlite3.DatabaseError as error:
        raise StorageError(
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
    children = {
        "images": {"position": int, "url": str, "caption": str, "credit": str, "is_lead": int},
        "links": {"position": int, "url": str, "text": str, "domain": str, "internal": int},
        "embeds": {"position": int, "kind": str, "url": str},
    }
    for table, columns in children.items():
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
        db["live_entries"].enable_fts(["headline", "body_text"], tokenize="porter")
    if "live_blogs" not in tables:
        db["live_blogs"].create(
            {"site": str, "post_id": int, "entries": int, "newest_entry_at": str, "walk_complete_at": str, "last_seen_at": str},
            pk=("site", "post_id"),
            foreign_keys=post_key,
        )
    if "failures" not in tables:
        # Pages a run could not get; the next run tries them again, and a page that
        # finally comes in takes its row away.
        db["failures"].create(
            {
                "site": str,
                "url": str,
                "kind": str,
                "post_id": int,
                "blog_zone": int,
                "first_failed_at": str,
                "last_failed_at": str,
                "attempts": int,
                "last_error": str,
            },
            pk=("site", "url"),
        )
        db["failures"].create_index(["site", "post_id"])
    if "identity_mismatches" not in tables:
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
        )
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)
    for table, columns in (("posts", POST_COLUMNS), ("crawl_runs", CRAWL_RUN_COLUMNS)):
        existing = db[table].columns_dict
        for name, kind in columns.items():
            if name not in existing:
                db[table].add_column(name, kind)
    if "posts_fts" not in tables:
        db["posts"].enable_fts(["title", "body_text"], tokenize="porter")
    # Archives made by schema 1 kept their full-text tables with sqlite-utils' triggers. A
    # trigger writing to FTS5 makes it flush its pending terms to disk at every row, which
    # made the index cost twice the rest of a post; and the update trigger re-indexed a
    # post whenever only its last_seen_at moved. The write path keeps the index instead.
    for table in ("posts", "live_entries"):
        for suffix in ("ai", "ad", "au"):
            db.execute(f"DROP TRIGGER IF EXISTS [{table}_{suffix}]")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def _plain(value: Any) -> Any:
    """Items and their parts as plain dicts and lists (the item classes are flat dataclasses)."""
    if is_dataclass(value):
        return dict(vars(value))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_CHILD_COLUMNS = {
    "images": ("position", "url", "caption", "credit", "is_lead"),
    "links": ("position", "url", "text", "domain", "internal"),
    "embeds": ("position", "kind", "url"),
}
_FLAGS = {"is_lead", "internal"}


def _as_post(item: Any) -> dict:
    fields = vars(item) if is_dataclass(item) else ItemAdapter(item).asdict()
    # Only the lists (images, links, embeds; authors, tags) hold anything to convert.
    return {key: _plain(value) if type(value) is list else value for key, value in fields.items()}


def _child_rows(entries: list | None, table: str) -> list[dict]:
    """Images, links or embeds as the archive stores them: their columns, flags as 0/1."""
    columns = _CHILD_COLUMNS[table]
    return [{c: (int(bool(entry.get(c))) if c in _FLAGS else entry.get(c)) for c in columns} for entry in entries or []]


def stored_form(item: Any, post: dict | None = None) -> dict:
    """The fields that make a post's content, as the archive stores them (flags as 0/1)."""
    post = post if post is not None else _as_post(item)
    form = {name: post.get(name) for name in _HASHED_FIELDS if name not in _CHILD_COLUMNS}
    form["authors"] = list(form.get("authors") or [])
    form["tags"] = list(form.get("tags") or [])
    for table in _CHILD_COLUMNS:
        form[table] = _child_rows(post.get(table), table)
    return form


def load_stored_form(db: sqlite_utils.Database, site: str, post_id: int) -> dict | None:
    """What the archive holds of a post now, in ``stored_form``'s shape."""
    rows = list(db.query("SELECT * FROM posts WHERE site = ? AND id = ?", [site, post_id]))
    if not rows:
        return None
    row = rows[0]
    form = {name: row.get(name) for name in _HASHED_FIELDS if name not in _CHILD_COLUMNS}
    form["authors"] = json.loads(row["authors"] or "[]")
    form["tags"] = json.loads(row["tags"] or "[]")
    for table, columns in _CHILD_COLUMNS.items():
        selected = ", ".join(f"[{c}]" for c in columns)
        form[table] = list(
            db.query(f"SELECT {selected} FROM [{table}] WHERE site = ? AND post_id = ? ORDER BY position", [site, post_id])
        )
    return form


def content_hash(form: dict) -> str:
    # stored_form builds its keys in one fixed order, so no sorting is needed.
    return hashlib.sha256(json.dumps(form, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()


def _upsert_sql(table: str, columns: list[str], key: tuple[str, ...]) -> str:
    """Insert a row, or update it in place (all but its key and first_seen_at); its rowid back."""
    kept = (*key, "first_seen_at")
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in columns if name not in kept)
        + " RETURNING rowid"
    )


# The write path of a post is plain SQL with fixed statements: sqlite-utils' insert and
# upsert look the table up on every call, which made them most of the cost of storing a
# post. The schema itself stays sqlite-utils' (ensure_db_shape).
_POST_INSERT_COLUMNS = list(POST_COLUMNS)
_POST_UPSERT = _upsert_sql("posts", _POST_INSERT_COLUMNS, ("site", "id"))
_CHILD_INSERTS = {
    table: f"INSERT INTO [{table}] (site, post_id, {', '.join(columns)}) VALUES (?, ?, {', '.join('?' * len(columns))})"
    for table, columns in _CHILD_COLUMNS.items()
}


# Full-text rows waiting for the end of the current ``batch``.
_pending_index: ContextVar[list | None] = ContextVar("pending_index", default=None)


@contextmanager
def batch(db: sqlite_utils.Database) -> Iterator[None]:
    """One transaction for several posts and entries, their full-text rows written last.

    FTS5 writes its in-memory terms to disk whenever a later statement of the transaction
    opens a statement journal (an upsert, an ``INSERT ... SELECT``): with the index written
    post by post between the posts' own rows, it flushed once per post and cost more than
    the rest of the post together.
    """
    pending: list = []
    with db.atomic():
        token = _pending_index.set(pending)
        try:
            yield
        finally:
            _pending_index.reset(token)
        for args in pending:
            _write_index(db.conn, *args)


def _index_text(conn: sqlite3.Connection, fts: str, columns: tuple[str, ...], rowid: int, old: tuple | None, new: tuple) -> None:
    """Keep a full-text table in step with its content table for one row (at the end of the
    current ``batch``, or at once outside one).

    ``old`` is what the index holds for the row (None for a new row): FTS5 takes a row out
    of an external-content index by being given the values it was indexed with.
    """
    if old == new:
        return
    pending = _pending_index.get()
    if pending is not None:
        pending.append((fts, columns, rowid, old, new))
    else:
        _write_index(conn, fts, columns, rowid, old, new)


def _write_index(conn: sqlite3.Connection, fts: str, columns: tuple[str, ...], rowid: int, old: tuple | None, new: tuple) -> None:
    names = ", ".join(f"[{c}]" for c in columns)
    marks = ", ".join("?" * len(columns))
    if old is not None:
        conn.execute(f"INSERT INTO [{fts}] ([{fts}], rowid, {names}) VALUES ('delete', ?, {marks})", [rowid, *old])
    conn.execute(f"INSERT INTO [{fts}] (rowid, {names}) VALUES (?, {marks})", [rowid, *new])


FTS_TABLES = ("posts_fts", "live_entries_fts")


def search_index_problems(db: sqlite_utils.Database) -> list[str]:
    """The full-text tables that do not match their content tables (an empty list when all do)."""
    problems = []
    for fts in FTS_TABLES:
        try:
            db.execute(f"INSERT INTO [{fts}] ([{fts}], rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as error:
            problems.append(f"{fts}: {error}")
    return problems


def save_post(db: sqlite_utils.Database, item: Any, now: str, failures_pending: bool = True) -> str:
    """Write one whole post; returns ``"new"``, ``"updated"`` or ``"unchanged"``.

    A changed post keeps its old values in ``revisions``: which fields changed, their old
    values, and when that old version was first and last seen. The caller holds the
    transaction (``with storage.batch(db):`` or ``db.atomic()``) so that a post is never half-written.
    ``failures_pending=False`` (the failures table is empty) saves a statement.
    """
    post = _as_post(item)
    form = stored_form(item, post)
    digest = content_hash(form)
    site, post_id = post["site"], post["id"]
    key = [site, post_id]
    conn = db.conn
    previous = conn.execute(
        "SELECT content_hash, last_changed_at, last_seen_at, first_seen_at FROM posts WHERE site = ? AND id = ?", key
    ).fetchone()
    etag, last_modified = post.get("etag"), post.get("last_modified")
    if failures_pending:
        conn.execute("DELETE FROM failures WHERE site = ? AND post_id = ?", key)
    if post.get("blog_zone") is not None:
        conn.execute(
            "INSERT OR IGNORE INTO post_blogs (site, post_id, blog_site, zone, first_seen_at) VALUES (?, ?, ?, ?, ?)",
            [*key, post.get("blog_site") or site, post["blog_zone"], now],
        )
    if previous is not None and previous[0] == digest:
        conn.execute(
            "UPDATE posts SET last_seen_at = ?, removed_at = NULL, etag = ?, last_modified = ? WHERE site = ? AND id = ?",
            [now, etag, last_modified, *key],
        )
        return "unchanged"
    if previous is not None:
        old = load_stored_form(db, site, post_id)
        changed = sorted(name for name in form if form[name] != old.get(name))
        conn.execute(
            "INSERT INTO revisions (site, post_id, first_seen_at, last_seen_at, recorded_at, changed_fields, old_values, content_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                site,
                post_id,
                previous[1],
                previous[2],
                now,
                json.dumps(changed),
                json.dumps({name: old.get(name) for name in changed}, ensure_ascii=False),
                previous[0],
            ],
        )

    lead = next((image for image in form["images"] if image["is_lead"]), None) or {}
    row = {name: post.get(name) for name in POST_COLUMNS}
    row.update(
        authors=json.dumps(form["authors"], ensure_ascii=False),
        tags=json.dumps(form["tags"], ensure_ascii=False),
        lead_image_url=lead.get("url"),
        lead_image_caption=lead.get("caption"),
        lead_image_credit=lead.get("credit"),
        content_hash=digest,
        first_seen_at=previous[3] if previous is not None else now,
        last_seen_at=now,
        last_changed_at=now,
        removed_at=None,
        etag=etag,
        last_modified=last_modified,
    )
    rowid = conn.execute(_POST_UPSERT, [row[name] for name in _POST_INSERT_COLUMNS]).fetchone()[0]
    _index_text(
        conn, "posts_fts", ("title", "body_text"), rowid,
        (old["title"], old["body_text"]) if previous is not None else None, (row["title"], row["body_text"]),
    )

    if previous is not None:
        for table in ("images", "links", "embeds", "post_authors", "post_tags"):
            conn.execute(f"DELETE FROM [{table}] WHERE site = ? AND post_id = ?", key)
    for table, columns in _CHILD_COLUMNS.items():
        if form[table]:
            conn.executemany(_CHILD_INSERTS[table], [[*key, *(entry[c] for c in columns)] for entry in form[table]])
    for name in ("authors", "tags"):
        if form[name]:
            conn.executemany(f"INSERT OR IGNORE INTO [{name}] (name) VALUES (?)", [[value] for value in form[name]])
            conn.executemany(
                f"INSERT OR IGNORE INTO [post_{name}] (site, post_id, {name[:-1]}_id) SELECT ?, ?, id FROM [{name}] WHERE name = ?",
                [[*key, value] for value in form[name]],
            )
    return "new" if previous is None else "updated"


_ENTRY_FIELDS = ("published_at", "headline", "body_text", "body_html", "links", "images", "url")
_ENTRY_UPSERT = _upsert_sql("live_entries", list(LIVE_ENTRY_COLUMNS), ("site", "post_id", "entry_id"))


def save_entry(db: sqlite_utils.Database, item: Any, now: str) -> str:
    """Write one live blog entry; ``"new"``, ``"updated"`` (old values kept in revisions) or ``"unchanged"``."""
    entry = _as_post(item)
    form = {name: entry.get(name) for name in _ENTRY_FIELDS}
    form["links"] = _child_rows(form["links"], "links")
    form["images"] = _child_rows(form["images"], "images")
    digest = content_hash(form)
    conn = db.conn
    key = [entry["site"], entry["post_id"], entry["entry_id"]]
    previous = conn.execute(
        f"SELECT content_hash, first_seen_at, last_seen_at, {', '.join(_ENTRY_FIELDS)} FROM live_entries "
        "WHERE site = ? AND post_id = ? AND entry_id = ?",
        key,
    ).fetchone()
    if previous is not None and previous[0] == digest:
        conn.execute("UPDATE live_entries SET last_seen_at = ? WHERE site = ? AND post_id = ? AND entry_id = ?", [now, *key])
        return "unchanged"
    stored = {name: form[name] for name in _ENTRY_FIELDS}
    stored["links"] = json.dumps(form["links"], ensure_ascii=False)
    stored["images"] = json.dumps(form["images"], ensure_ascii=False)
    if previous is not None:
        old = dict(zip(_ENTRY_FIELDS, previous[3:]))
        changed = [name for name in _ENTRY_FIELDS if old[name] != stored[name]]
        conn.execute(
            "INSERT INTO revisions (site, post_id, entry_id, first_seen_at, last_seen_at, recorded_at, changed_fields, old_values, "
            "content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*key, previous[1], previous[2], now, json.dumps(changed), json.dumps({n: old[n] for n in changed}, ensure_ascii=False), previous[0]],
        )
    row = dict(
        stored,
        site=entry["site"],
        post_id=entry["post_id"],
        entry_id=entry["entry_id"],
        position=None,
        content_hash=digest,
        first_seen_at=previous[1] if previous is not None else now,
        last_seen_at=now,
    )
    rowid = conn.execute(_ENTRY_UPSERT, [row[name] for name in LIVE_ENTRY_COLUMNS]).fetchone()[0]
    _index_text(
        conn, "live_entries_fts", ("headline", "body_text"), rowid,
        (old["headline"], old["body_text"]) if previous is not None else None, (row["headline"], row["body_text"]),
    )
    return "new" if previous is None else "updated"


def renumber_entries(db: sqlite_utils.Database, site: str, post_id: int, now: str, walk_complete: bool = False) -> None:
    """Positions from the oldest entry (1) up, and the live blog's own row."""
    conn = db.conn
    conn.execute(
        "UPDATE live_entries SET position = ranked.position FROM ("
        "  SELECT entry_id, row_number() OVER (ORDER BY published_at, entry_id) AS position FROM live_entries"
        "  WHERE site = ? AND post_id = ?"
        ") AS ranked WHERE live_entries.site = ? AND live_entries.post_id = ? AND live_entries.entry_id = ranked.entry_id",
        [site, post_id, site, post_id],
    )
    count, newest = conn.execute(
        "SELECT count(*), max(published_at) FROM live_entries WHERE site = ? AND post_id = ?", [site, post_id]
    ).fetchone()
    conn.execute(
        "INSERT INTO live_blogs (site, post_id, entries, newest_entry_at, walk_complete_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (site, post_id) DO UPDATE SET entries = excluded.entries, newest_entry_at = excluded.newest_entry_at, "
        "walk_complete_at = coalesce(excluded.walk_complete_at, live_blogs.walk_complete_at), last_seen_at = excluded.last_seen_at",
        [site, post_id, count, newest, now if walk_complete else None, now],
    )


def mark_unchanged(db: sqlite_utils.Database, site: str, post_id: int, now: str) -> bool:
    """A re-check answered 304 Not Modified: the post was seen, unchanged."""
    db.execute("DELETE FROM failures WHERE site = ? AND post_id = ?", [site, post_id])
    cursor = db.execute("UPDATE posts SET last_seen_at = ?, removed_at = NULL WHERE site = ? AND id = ?", [now, site, post_id])
    return cursor.rowcount > 0


def mark_removed(db: sqlite_utils.Database, site: str, post_id: int, now: str) -> bool:
    """The post answered 404 or 410: marked removed (never deleted). True the first time."""
    db.execute("DELETE FROM failures WHERE site = ? AND post_id = ?", [site, post_id])
    cursor = db.execute(
        "UPDATE posts SET removed_at = ? WHERE site = ? AND id = ? AND removed_at IS NULL", [now, site, post_id]
    )
    return cursor.rowcount > 0


@dataclass
class KnownPost:
    site: str
    url: str
    published_at: str | None
    etag: str | None
    last_modified: str | None
    removed: bool
    in_blog: bool = True  # already recorded as listed in the blog being crawled


@dataclass
class CrawlState:
    """What a run needs to know of the archive before it fetches anything."""

    known: dict[int, KnownPost] = field(default_factory=dict)
    recheck: list[int] = field(default_factory=list)
    index_complete: bool = False
    failed_posts: dict[int, str] = field(default_factory=dict)
    failed_index_pages: list[str] = field(default_factory=list)
    # Live blogs: the entries stored of each, and whether a run read them all once.
    live_entries: dict[int, set[int]] = field(default_factory=dict)
    live_walk_complete: set[int] = field(default_factory=set)


def crawl_state(db: sqlite_utils.Database, site: str, zone: int | None, recheck_since: str) -> CrawlState:
    state = CrawlState()
    # The posts of this site, and those of other sites (a sister service) listed in this blog.
    listed = "(site, id) IN (SELECT site, post_id FROM post_blogs WHERE blog_site = ? AND zone = ?)"
    for post_site, post_id, url, published_at, etag, last_modified, removed_at, in_blog in db.execute(
        f"SELECT site, id, url, published_at, etag, last_modified, removed_at, {listed} FROM posts WHERE site = ? OR {listed}",
        [site, zone, site, site, zone],
    ):
        state.known[post_id] = KnownPost(
            post_site, url, published_at, etag, last_modified, removed_at is not None, bool(in_blog)
        )
        if removed_at is None and published_at and published_at >= recheck_since:
            state.recheck.append(post_id)
    row = db.execute("SELECT index_complete_at FROM blogs WHERE site = ? AND zone = ?", [site, zone]).fetchone()
    state.index_complete = bool(row and row[0])
    for post_id, complete in db.execute("SELECT post_id, walk_complete_at FROM live_blogs WHERE site = ?", [site]):
        state.live_entries[post_id] = set()
        if complete:
            state.live_walk_complete.add(post_id)
        # A live blog grows without its publication date moving: it is re-checked every run.
        if post_id in state.known and not state.known[post_id].removed and post_id not in state.recheck:
            state.recheck.append(post_id)
    for post_id, entry_id in db.execute("SELECT post_id, entry_id FROM live_entries WHERE site = ?", [site]):
        state.live_entries.setdefault(post_id, set()).add(entry_id)
    for kind, url, post_id in db.execute(
        "SELECT kind, url, post_id FROM failures WHERE site = ? AND (blog_zone = ? OR blog_zone IS NULL)", [site, zone]
    ):
        if kind == "post" and post_id is not None:
            state.failed_posts[post_id] = url
        elif kind == "index":
            state.failed_index_pages.append(url)
    return state


def has_failures(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT EXISTS (SELECT 1 FROM failures)").fetchone()[0] == 1


def record_listing(db: sqlite_utils.Database, *, site: str, post_id: int, blog_site: str, zone: int, now: str) -> None:
    """A stored post was found listed in another blog: it belongs to that one too."""
    db.execute(
        "INSERT OR IGNORE INTO post_blogs (site, post_id, blog_site, zone, first_seen_at) VALUES (?, ?, ?, ?, ?)",
        [site, post_id, blog_site, zone, now],
    )


def record_failure(
    db: sqlite_utils.Database, *, site: str, url: str, kind: str, post_id: int | None, blog_zone: int | None, error: str, now: str
) -> None:
    """A page this run could not get, for the next run to try again."""
    db.execute(
        "INSERT INTO failures (site, url, kind, post_id, blog_zone, first_failed_at, last_failed_at, attempts, last_error) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?) "
        "ON CONFLICT (site, url) DO UPDATE SET last_failed_at = excluded.last_failed_at, attempts = attempts + 1, "
        "last_error = excluded.last_error",
        [site, url, kind, post_id, blog_zone, now, now, error],
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


class RunLock:
    """One run at a time per archive: an exclusive lock on the database file itself.

    The lock is the file's, not its name's: a symlink, a relative path or a hard link to
    the same archive finds it held. It goes with the process: a run that is killed leaves
    no stale lock behind, and no lock file is ever left beside the archive. (SQLite's own
    locks are POSIX record locks, which ``flock`` does not touch.)
    """

    def __init__(self, db_path: str | Path):
        self.path = Path(db_path)
        self._fd: int | None = None

    def acquire(self) -> "RunLock":
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StorageError(f"cannot open database {self.path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StorageError(f"another crawl is writing {self.path}; this run stops here") from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def start_run(db: sqlite_utils.Database, *, mode: str, start_url: str, now: str) -> int:
    """A new ``crawl_runs`` row. Rows left ``running`` by a run that was killed are marked so.

    Only the run holding the archive's lock calls this, so no other run is running.
    """
    with db.atomic():
        db.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'running'")
        db["crawl_runs"].insert({"started_at": now, "status": "running", "mode": mode, "start_url": start_url})
        return db.execute("SELECT last_insert_rowid()").fetchone()[0]


def finish_run(db: sqlite_utils.Database, run_id: int, **fields: Any) -> None:
    if isinstance(fields.get("fields_missing"), dict):
        fields["fields_missing"] = json.dumps(fields["fields_missing"], sort_keys=True)
    with db.atomic():
        db["crawl_runs"].update(run_id, fields)
