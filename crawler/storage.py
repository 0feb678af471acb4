"""The archive: plain functions over a ``sqlite_utils.Database``.

``ensure_db_shape(db)`` creates tables, indexes and full-text search and can run again
safely; ``save_post(db, post, now)`` writes one whole post (row, images, links, embeds,
authors, tags); ``start_run`` / ``finish_run`` keep the ``crawl_runs`` book.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from itemadapter import ItemAdapter

SCHEMA_VERSION = 1


class StorageError(Exception):
    """A database that cannot be used; the message is one line for the person running the crawl."""


# Columns of ``posts`` in order, with their types. Lists are stored as JSON.
POST_COLUMNS: dict[str, type] = {
    "id": int,
    "url": str,
    "site": str,
    "title": str,
    "description": str,
    "authors": str,
    "published_at": str,
    "updated_at": str,
    "tags": str,
    "section": str,
    "zone": int,
    "blog_zone": int,
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
    "first_seen_at": str,
    "last_seen_at": str,
    "last_changed_at": str,
}

CRAWL_RUN_COLUMNS: dict[str, type] = {
    "id": int,
    "started_at": str,
    "finished_at": str,
    "status": str,
    "mode": str,
    "start_url": str,
    "finish_reason": str,
    "pages_fetched": int,
    "index_pages": int,
    "posts_new": int,
    "posts_updated": int,
    "posts_unchanged": int,
    "posts_dropped": int,
    "errors": int,
    "fields_missing": str,
}

# What makes a post changed: everything the site wrote, nothing we add when fetching.
_HASHED_FIELDS = (
    "url", "title", "description", "authors", "published_at", "updated_at", "tags", "section", "zone",
    "language", "dateline", "body_text", "body_html", "images", "links", "embeds",
)


def open_db(path: str | Path) -> sqlite_utils.Database:
    """The archive at ``path``, shaped and ready; a clear ``StorageError`` when it cannot be."""
    path = Path(path)
    if not path.parent.exists():
        raise StorageError(f"cannot open database {path}: directory {path.parent} does not exist")
    if path.exists() and path.is_dir():
        raise StorageError(f"cannot open database {path}: it is a directory")
    try:
        conn = sqlite3.connect(str(path), timeout=30)
        db = sqlite_utils.Database(conn)
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise StorageError(f"cannot open database {path}: {error}") from None
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"database {path} has schema version {version}, newer than this crawler's {SCHEMA_VERSION}: upgrade the crawler"
        )
    try:
        ensure_db_shape(db)
    except sqlite3.OperationalError as error:
        raise StorageError(f"cannot write database {path}: {error}") from None
    return db


def ensure_db_shape(db: sqlite_utils.Database) -> None:
    """Create what is missing: tables, indexes, full-text search. Safe to run again."""
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        db.enable_wal()
    tables = set(db.table_names())
    if "posts" not in tables:
        db["posts"].create(POST_COLUMNS, pk="id", not_null={"url", "site"})
        db["posts"].create_index(["published_at"])
        db["posts"].create_index(["blog_zone", "published_at"])
    if "images" not in tables:
        db["images"].create(
            {"post_id": int, "position": int, "url": str, "caption": str, "credit": str, "is_lead": int},
            pk=("post_id", "position"),
            foreign_keys=[("post_id", "posts", "id")],
        )
    if "links" not in tables:
        db["links"].create(
            {"post_id": int, "position": int, "url": str, "text": str, "domain": str, "internal": int},
            pk=("post_id", "position"),
            foreign_keys=[("post_id", "posts", "id")],
        )
        db["links"].create_index(["domain"])
    if "embeds" not in tables:
        db["embeds"].create(
            {"post_id": int, "position": int, "kind": str, "url": str},
            pk=("post_id", "position"),
            foreign_keys=[("post_id", "posts", "id")],
        )
    for name in ("authors", "tags"):
        if name not in tables:
            db[name].create({"id": int, "name": str}, pk="id", not_null={"name"})
            db[name].create_index(["name"], unique=True)
        join = f"post_{name}"
        if join not in tables:
            db[join].create(
                {"post_id": int, f"{name[:-1]}_id": int},
                pk=("post_id", f"{name[:-1]}_id"),
                foreign_keys=[("post_id", "posts", "id"), (f"{name[:-1]}_id", name, "id")],
            )
            db[join].create_index([f"{name[:-1]}_id"])
    if "crawl_runs" not in tables:
        db["crawl_runs"].create(CRAWL_RUN_COLUMNS, pk="id")
    if "posts_fts" not in tables:
        db["posts"].enable_fts(["title", "body_text"], create_triggers=True, tokenize="porter")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _plain(value: Any) -> Any:
    if is_dataclass(value):
        return asdict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def content_hash(post: dict) -> str:
    data = {name: _plain(post.get(name)) for name in _HASHED_FIELDS}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def save_post(db: sqlite_utils.Database, item: Any, now: str) -> str:
    """Write one whole post; returns ``"new"``, ``"updated"`` or ``"unchanged"``.

    The caller holds the transaction (``with db.atomic():``) so that a post is never
    half-written.
    """
    post = {key: _plain(value) for key, value in ItemAdapter(item).items()}
    digest = content_hash(post)
    previous = db.execute("SELECT content_hash FROM posts WHERE id = ?", [post["id"]]).fetchone()
    if previous is not None and previous[0] == digest:
        db.execute("UPDATE posts SET last_seen_at = ? WHERE id = ?", [now, post["id"]])
        return "unchanged"

    lead = next((image for image in post.get("images") or [] if image.get("is_lead")), None) or {}
    row = {name: post.get(name) for name in POST_COLUMNS if name in post}
    row.update(
        authors=json.dumps(post.get("authors") or [], ensure_ascii=False),
        tags=json.dumps(post.get("tags") or [], ensure_ascii=False),
        lead_image_url=lead.get("url"),
        lead_image_caption=lead.get("caption"),
        lead_image_credit=lead.get("credit"),
        content_hash=digest,
        last_seen_at=now,
        last_changed_at=now,
    )
    row.pop("fetched_at", None)
    if previous is None:
        row["first_seen_at"] = now
    db["posts"].upsert(row, pk="id")

    post_id = post["id"]
    for table in ("images", "links", "embeds", "post_authors", "post_tags"):
        db.execute(f"DELETE FROM [{table}] WHERE post_id = ?", [post_id])
    children = {
        "images": [dict(image, post_id=post_id, is_lead=int(bool(image.get("is_lead")))) for image in post.get("images") or []],
        "links": [dict(link, post_id=post_id, internal=int(bool(link.get("internal")))) for link in post.get("links") or []],
        "embeds": [dict(embed, post_id=post_id) for embed in post.get("embeds") or []],
    }
    for table, rows in children.items():
        if rows:
            db[table].insert_all(rows)
    for name, values in (("authors", post.get("authors")), ("tags", post.get("tags"))):
        for value in values or []:
            db.execute(f"INSERT OR IGNORE INTO [{name}] (name) VALUES (?)", [value])
            db.execute(
                f"INSERT OR IGNORE INTO [post_{name}] (post_id, {name[:-1]}_id) SELECT ?, id FROM [{name}] WHERE name = ?",
                [post_id, value],
            )
    return "new" if previous is None else "updated"


def start_run(db: sqlite_utils.Database, *, mode: str, start_url: str, now: str) -> int:
    with db.atomic():
        db["crawl_runs"].insert({"started_at": now, "status": "running", "mode": mode, "start_url": start_url})
        return db.execute("SELECT last_insert_rowid()").fetchone()[0]


def finish_run(db: sqlite_utils.Database, run_id: int, **fields: Any) -> None:
    if isinstance(fields.get("fields_missing"), dict):
        fields["fields_missing"] = json.dumps(fields["fields_missing"], sort_keys=True)
    with db.atomic():
        db["crawl_runs"].update(run_id, fields)
