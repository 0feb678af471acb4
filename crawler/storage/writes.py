"""Writing posts and live blog entries: one whole post (row, images, links, embeds,
authors, tags) per ``save_post``, its old version kept in ``revisions`` when it changed,
the full-text rows written last in each ``batch``."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, is_dataclass
from functools import cached_property
from typing import Any, Callable, Iterator

import sqlite_utils
from itemadapter import ItemAdapter

from ..items import SEARCHABLE_FIELDS
from .schema import _HASHED_FIELDS, CHILD_COLUMNS, LIVE_ENTRY_COLUMNS, POST_COLUMNS
from .search import FTS_TABLES, entries_read_again, terms, write_terms
from .search import search_index_problems as _search_index_problems


def _plain(value: Any) -> Any:
    """Items and their parts as plain dicts and lists (the item classes are flat dataclasses)."""
    if is_dataclass(value):
        return dict(vars(value))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_CHILD_COLUMNS = {table: tuple(columns) for table, columns in CHILD_COLUMNS.items()}
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


# The change hash, versioned. A stored hash says which version made it (``2:<hex>``; a hash
# without a version is version 1, the form archives had before versions), and so which
# fields it covered. Version 1 hashed every field in the field list's order, empty or
# not: a field added to ``Post`` changed every post's hash. Version 2 hashes the fields
# that have a value, by name: a new field that is empty leaves the hash as it was.
HASH_VERSION = 2
_EMPTY = (None, "", [], {})


def _is_empty(value: Any) -> bool:
    return any(value is empty or (type(value) is type(empty) and value == empty) for empty in _EMPTY)


def content_hash(form: dict, version: int = HASH_VERSION) -> str:
    """The hash of a record's content (``stored_form``'s shape), as ``<version>:<hex>``
    (version 1: the bare hex of every field in order, as archives had it before versions)."""
    if version == 1:
        return hashlib.sha256(json.dumps(form, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()
    kept = {name: value for name, value in form.items() if not _is_empty(value)}
    digest = hashlib.sha256(json.dumps(kept, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    return f"{version}:{digest.hexdigest()}"


def hash_version(stored_hash: str | None) -> int:
    """The version of a stored hash (1 for a hash without one)."""
    head, colon, _ = (stored_hash or "").partition(":")
    return int(head) if colon and head.isdigit() else 1


def changed_fields(form: dict, old: dict) -> list[str]:
    """The fields whose value differs between two forms (an empty value is no value)."""
    return sorted(
        name for name in form if form[name] != old.get(name) and not (_is_empty(form[name]) and _is_empty(old.get(name)))
    )


def _upsert_sql(table: str, columns: list[str], key: tuple[str, ...]) -> str:
    """Insert a row, or update it in place (all but its key and first_seen_at); its rowid back.

    Last seen never moves back, and a removal seen after the fetch stays: a re-extraction
    stores pages fetched before what the archive already knows of them.
    """
    kept = (*key, "first_seen_at")
    special = {
        "last_seen_at": f"max(coalesce({table}.last_seen_at, ''), excluded.last_seen_at)",
        "removed_at": f"CASE WHEN {table}.removed_at > excluded.last_seen_at THEN {table}.removed_at ELSE excluded.removed_at END",
    }
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{name} = {special.get(name, f'excluded.{name}')}" for name in columns if name not in kept)
        + " RETURNING rowid"
    )


# The write path of a post is plain SQL with fixed statements: sqlite-utils' insert and
# upsert look the table up on every call, which made them most of the cost of storing a
# post. The schema itself stays sqlite-utils' (ensure_db_shape).
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
            write_terms(db.conn, *args)


def _index_text(conn: sqlite3.Connection, fts: str, rowid: int, old: tuple | None, new: tuple | None) -> None:
    """Keep a full-text table in step with its content table for one row (at the end of the
    current ``batch``, or at once outside one). ``old`` and ``new`` are the row's terms
    (``search.terms``): the ones the index holds (None for a new row), and the ones it gets.
    """
    if old == new:
        return
    pending = _pending_index.get()
    if pending is not None:
        pending.append((fts, rowid, old, new))
    else:
        write_terms(conn, fts, rowid, old, new)


def search_index_problems(db: sqlite_utils.Database) -> list[str]:
    """The full-text tables that do not match their content tables (an empty list when all do)."""
    return _search_index_problems(db.conn)


@dataclass(frozen=True)
class _Versioned:
    """How one kind of versioned record (a post, a live blog entry) is kept: its table and
    key, the columns it writes, its full-text table, and which column says since when the
    current version stands."""

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    fts: str
    searchable: tuple[str, ...]
    since: str  # a revision's first_seen_at: when the version it keeps first stood
    touch: tuple[str, ...] = ()  # columns refreshed when the content is unchanged
    has_capture: bool = False  # versions name the WARC capture they were read from
    # The fields each hash version covered (a field a version did not cover that now has
    # a value is the parser's news, not the site's edit).
    hashed_by_version: dict = field(default_factory=dict)
    # The SQL of the language a row's text is read in (the post's), over the row's key.
    language: str = "NULL"

    @cached_property
    def where(self) -> str:
        return " AND ".join(f"{name} = ?" for name in self.key)

    @cached_property
    def upsert(self) -> str:
        return _upsert_sql(self.table, list(self.columns), self.key)


_ENTRY_FIELDS = ("published_at", "headline", "body_text", "body_html", "links", "images", "url")
_ENTRY_LISTS = ("links", "images")
_POST_FORM = tuple(_HASHED_FIELDS)
_POSTS = _Versioned(
    "posts", ("site", "id"), tuple(POST_COLUMNS), "posts_fts", SEARCHABLE_FIELDS, since="last_changed_at",
    touch=("etag", "last_modified"), has_capture=True, hashed_by_version={1: _POST_FORM, 2: _POST_FORM}, language="language",
)
_ENTRIES = _Versioned(
    "live_entries", ("site", "post_id", "entry_id"), tuple(LIVE_ENTRY_COLUMNS), "live_entries_fts", ("headline", "body_text"),
    since="first_seen_at", hashed_by_version={1: _ENTRY_FIELDS, 2: _ENTRY_FIELDS},
    language="(SELECT p.language FROM posts p WHERE p.site = live_entries.site AND p.id = live_entries.post_id)",
)


def _write_version(
    conn: sqlite3.Connection, record: _Versioned, key: list, form: dict, row: dict, now: str, stored: Callable[[], dict],
    cause: str = "site",
) -> str:
    """The one versioned write: ``"unchanged"`` (only last seen moves), ``"new"``, or
    ``"updated"`` with the old values of the changed fields kept in ``revisions``.

    ``form`` is the record's content in the shape its hash is taken of; ``stored()`` reads
    the stored version in the same shape (called only when the content changed); ``row``
    is what the table stores. The full-text row follows the content. ``cause`` says who
    changed a version: ``site`` (an edit) or ``parser`` (a re-extraction, or any read of the
    same capture the stored version was read from: the page served unchanged).

    A stored hash of another version than today's is no change by itself: the stored
    fields are compared, and equal ones leave the record ``unchanged`` (its hash brought to
    today's version). Fields the stored hash's version did not cover that now have a value
    are the parser's news: alone, they are a revision with ``cause = 'parser'``.
    """
    digest = content_hash(form)
    capture = ", capture_id" if record.has_capture else ", NULL"
    previous = conn.execute(
        f"SELECT content_hash, {record.since}, last_seen_at, first_seen_at{capture} FROM {record.table} WHERE {record.where}", key
    ).fetchone()
    old = stored() if previous is not None and previous[0] != digest else None
    changed = changed_fields(form, old) if old is not None else []
    if previous is not None and not changed:
        sets = ["last_seen_at = max(coalesce(last_seen_at, ''), ?)", *(f"{name} = ?" for name in record.touch)]
        values = [now, *(row[name] for name in record.touch)]
        if previous[0] != digest:
            sets.append("content_hash = ?")  # the same content under another version's hash
            values.append(digest)
        if "removed_at" in record.columns:
            # Seen again after its removal: back. A re-extraction of an older page leaves it removed.
            sets.append("removed_at = CASE WHEN removed_at > ? THEN removed_at ELSE NULL END")
            values.append(now)
        conn.execute(f"UPDATE {record.table} SET {', '.join(sets)} WHERE {record.where}", [*values, *key])
        return "unchanged"
    if previous is not None:
        covered = record.hashed_by_version.get(hash_version(previous[0]), ())
        if all(name not in covered for name in changed):
            cause = "parser"  # only fields the stored version did not know of
        if record.has_capture and previous[4] is not None and previous[4] == row.get("capture_id"):
            # Read from the very bytes the stored version was read from (an unchanged page
            # is a revisit naming that record): the site changed nothing, the reading did.
            cause = "parser"
        conn.execute(
            "INSERT INTO revisions (site, post_id, entry_id, first_seen_at, last_seen_at, recorded_at, changed_fields, "
            "old_values, content_hash, capture_id, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                key[0], key[1], key[2] if len(key) > 2 else None, previous[1], previous[2], now, json.dumps(changed),
                json.dumps({name: old.get(name) for name in changed}, ensure_ascii=False), previous[0], previous[4], cause,
            ],
        )
    # The index holds the row as it was: its searched text (``old``) read in the language
    # it was read in then (the post's, before this write).
    held_language = None
    if previous is not None:
        held_language = conn.execute(f"SELECT {record.language} FROM {record.table} WHERE {record.where}", key).fetchone()[0]
    row.update(content_hash=digest, first_seen_at=previous[3] if previous is not None else now, last_seen_at=now)
    rowid = conn.execute(record.upsert, [row[name] for name in record.columns]).fetchone()[0]
    if "language" in row:
        language = row["language"]
    elif previous is not None:
        language = held_language
    else:  # a new entry: its post's language
        found = conn.execute("SELECT language FROM posts WHERE site = ? AND id = ?", key[:2]).fetchone()
        language = found[0] if found else None
    held = terms([old[name] for name in record.searchable], held_language) if old is not None else None
    _index_text(conn, record.fts, rowid, held, terms([row[name] for name in record.searchable], language))
    if record.table == "posts" and previous is not None and held_language != language:
        for entry_rowid, entry_old, entry_new in entries_read_again(conn, key[0], key[1], held_language, language):
            _index_text(conn, "live_entries_fts", entry_rowid, entry_old, entry_new)
    return "new" if previous is None else "updated"


def save_post(db: sqlite_utils.Database, item: Any, now: str, failures_pending: bool = True, cause: str = "site") -> str:
    """Write one whole post; returns ``"new"``, ``"updated"`` or ``"unchanged"``.

    A changed post keeps its old values in ``revisions``: which fields changed, their old
    values, and when that old version was first and last seen. The caller holds the
    transaction (``with storage.batch(db):`` or ``db.atomic()``) so that a post is never half-written.
    ``failures_pending=False`` (the failures table is empty) saves a statement.
    """
    post = _as_post(item)
    form = stored_form(item, post)
    site, post_id = post["site"], post["id"]
    key = [site, post_id]
    conn = db.conn
    if failures_pending:
        conn.execute("DELETE FROM failures WHERE site = ? AND post_id = ?", key)
    if post.get("blog_zone") is not None:
        conn.execute(
            "INSERT OR IGNORE INTO post_blogs (site, post_id, blog_site, zone, first_seen_at) VALUES (?, ?, ?, ?, ?)",
            [*key, post.get("blog_site") or site, post["blog_zone"], now],
        )
    lead = next((image for image in form["images"] if image["is_lead"]), None) or {}
    row = {name: post.get(name) for name in POST_COLUMNS}
    row.update(
        authors=json.dumps(form["authors"], ensure_ascii=False),
        tags=json.dumps(form["tags"], ensure_ascii=False),
        lead_image_url=lead.get("url"),
        lead_image_caption=lead.get("caption"),
        lead_image_credit=lead.get("credit"),
        last_changed_at=now,
        removed_at=None,
    )
    outcome = _write_version(conn, _POSTS, key, form, row, now, lambda: load_stored_form(db, site, post_id), cause)
    if outcome == "unchanged":
        return outcome
    if outcome == "updated":
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
    return outcome


def save_entry(db: sqlite_utils.Database, item: Any, now: str, cause: str = "site") -> str:
    """Write one live blog entry; ``"new"``, ``"updated"`` (old values kept in revisions) or ``"unchanged"``."""
    entry = _as_post(item)
    form = {name: entry.get(name) for name in _ENTRY_FIELDS}
    for name in _ENTRY_LISTS:
        form[name] = _child_rows(form[name], name)
    key = [entry["site"], entry["post_id"], entry["entry_id"]]
    row = dict(form, site=key[0], post_id=key[1], entry_id=key[2], position=None)
    for name in _ENTRY_LISTS:
        row[name] = json.dumps(form[name], ensure_ascii=False)

    def stored() -> dict:
        values = db.conn.execute(
            f"SELECT {', '.join(_ENTRY_FIELDS)} FROM live_entries WHERE {_ENTRIES.where}", key
        ).fetchone()
        old = dict(zip(_ENTRY_FIELDS, values))
        for name in _ENTRY_LISTS:
            old[name] = json.loads(old[name] or "[]")
        return old

    return _write_version(db.conn, _ENTRIES, key, form, row, now, stored, cause)


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

