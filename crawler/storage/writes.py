"""Writing posts and live blog entries: one whole post (row, images, links, embeds,
authors, tags) per ``save_post``, its old version kept in ``revisions`` when it changed,
the full-text rows written last in each ``batch``."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import is_dataclass
from typing import Any, Iterator

import sqlite_utils
from itemadapter import ItemAdapter

from ..items import SEARCHABLE_FIELDS
from .schema import _HASHED_FIELDS, LIVE_ENTRY_COLUMNS, POST_COLUMNS


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
        conn, "posts_fts", SEARCHABLE_FIELDS, rowid,
        tuple(old[name] for name in SEARCHABLE_FIELDS) if previous is not None else None,
        tuple(row[name] for name in SEARCHABLE_FIELDS),
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

