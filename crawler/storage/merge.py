"""Merging archives: the archives of several machines (or several runs kept apart) made one.

``merge_archive(db, source)`` brings one source archive into the target ``db`` in one
transaction, so that a merge that is stopped leaves the target as it was:

- author and tag ids are local to each archive: the source's are mapped to the target's
  by name (new names get new ids), and every join row is written with the target's ids;
- runs are matched by when they started, their blogs and mode, so merging the same
  source again updates its runs instead of adding them twice; each run keeps its blogs'
  outcomes and its WARC captures (their files copied beside the target, renamed when a
  file of another archive has the same name);
- a post only one side holds is copied whole; a post both hold keeps the newest version
  (the later ``last_changed_at``, then ``last_seen_at``) and every revision of both sides,
  the older current version becoming a revision when neither side recorded it; first seen
  is the earlier of the two, last seen the later;
- live blog entries likewise; listings, failures, identity mismatches and blogs are
  combined row by row;
- the full-text indexes are rebuilt and checked.

Merging is idempotent: a source merged again, after more crawling, updates rows and never
duplicates them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import sqlite_utils

from ..paths import UnsafePath, file_in
from .schema import FAILURE_KEYS, LIVE_ENTRY_COLUMNS, POST_COLUMNS, StorageError
from .search import FTS_TABLES, rebuild
from .writes import changed_fields, hash_version, load_stored_form

_CHILDREN = ("images", "links", "embeds")
_ENTRY_CONTENT = ("published_at", "headline", "body_text", "body_html", "links", "images", "url")
# What the person reading a merged archive needs to know of a post's version from a run,
# beside its content: when it was seen, how to re-check it, where its capture is.
_SEEN_COLUMNS = ("last_seen_at", "etag", "last_modified", "removed_at", "capture_id")


def _columns(conn, schema: str, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA {schema}.table_info([{table}])")]


def _shared_columns(conn, table: str, exclude=()) -> list[str]:
    """The columns a table has in both archives (a source made by an older version may
    lack some); none when the source lacks the table."""
    source = set(_columns(conn, "src", table))
    return [c for c in _columns(conn, "main", table) if c in source and c not in exclude]


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _same_file(source: Path, target: Path) -> bool:
    """The same bytes: a copy made by an earlier merge keeps the size and modification
    time (``copy2``), which saves reading both; another file of that name is compared whole."""
    a, b = source.stat(), target.stat()
    if a.st_size != b.st_size:
        return False
    return a.st_mtime_ns == b.st_mtime_ns or _file_digest(source) == _file_digest(target)


def _copy_warc_files(conn, source_dir: Path, target_dir: Path) -> dict[str, str]:
    """The source's WARC files its captures name, copied beside the target: a file the
    target already has (the same bytes) is not copied again; one whose name is taken by
    another file gets a new name. Returns the names that changed."""
    renamed: dict[str, str] = {}
    names = [row[0] for row in conn.execute("SELECT DISTINCT warc_file FROM src.captures WHERE warc_file IS NOT NULL")]
    # What a merge killed in the middle of a copy left (the target is locked: no merge is copying now).
    if target_dir.is_dir():
        for leftover in target_dir.glob(".*.partial"):
            leftover.unlink(missing_ok=True)
    # Every name first: a source that names a file outside its folder brings nothing.
    for name in names:
        try:
            file_in(source_dir, name)
            file_in(target_dir, name)
        except UnsafePath as error:
            raise StorageError(f"its captures name a WARC file that is not in its folder: {error}") from None
    for name in names:
        source = file_in(source_dir, name)
        if not source.is_file():
            continue  # the references stay; the files did not travel with the archive
        target_dir.mkdir(parents=True, exist_ok=True)
        target, number = file_in(target_dir, name), 1
        while target.exists():
            if _same_file(source, target):
                break
            stem, _, suffix = name.partition(".warc")
            target = file_in(target_dir, f"{stem}-merged{number}.warc{suffix}")
            number += 1
        if not target.exists():
            _copy_whole(source, target)
        if target.name != name:
            renamed[name] = target.name
    return renamed


def _copy_whole(source: Path, target: Path) -> None:
    """A copy made under a temporary name and renamed when whole: a merge killed or failing
    in the middle (a full disk) leaves no partial file, and the next merge copies again."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        shutil.copy2(source, partial)
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise StorageError(f"cannot copy the WARC file {source.name} to {target.parent}: {error.strerror or error}") from None


def _map_names(conn, table: str) -> None:
    conn.execute(f"INSERT OR IGNORE INTO main.[{table}] (name) SELECT name FROM src.[{table}]")
    conn.execute(f"DROP TABLE IF EXISTS temp.{table}_map")
    conn.execute(
        f"CREATE TEMP TABLE {table}_map AS SELECT s.id AS src_id, m.id AS id "
        f"FROM src.[{table}] s JOIN main.[{table}] m ON m.name = s.name"
    )


def _map_runs(conn, counts: Counter) -> None:
    """Source runs matched to the target's (same start, blogs and mode) or added: set-wise,
    each source run found through the target's index on ``started_at``, so that a merge
    costs what it brings, not what the target's history holds."""
    columns = _shared_columns(conn, "crawl_runs", exclude=("id",))
    names = ", ".join(f"[{c}]" for c in columns)
    conn.execute("DROP TABLE IF EXISTS temp.run_map")
    conn.execute("CREATE TEMP TABLE run_map (src_id INTEGER PRIMARY KEY, id INTEGER)")
    has = {c: c in columns for c in ("started_at", "start_url", "mode")}
    same = " AND ".join(f"m.[{c}] IS s.[{c}]" for c, present in has.items() if present) or "0"
    match = f"(SELECT m.id FROM main.crawl_runs m WHERE {same} ORDER BY m.id LIMIT 1)"
    conn.execute(f"INSERT INTO temp.run_map (src_id, id) SELECT s.id, {match} FROM src.crawl_runs s")
    conn.execute("CREATE INDEX temp.run_map_id ON run_map (id)")
    # Matched runs take the source's record (a later sighting of the same run).
    if columns:
        conn.execute(
            f"UPDATE main.crawl_runs SET ({names}) = (SELECT {', '.join('s.[' + c + ']' for c in columns)} FROM src.crawl_runs s "
            "WHERE s.id = (SELECT max(r.src_id) FROM temp.run_map r WHERE r.id = crawl_runs.id)) "
            "WHERE id IN (SELECT id FROM temp.run_map WHERE id IS NOT NULL)"
        )
    # The others are added, once each (two source runs of one start are one run), and mapped.
    before = conn.execute("SELECT count(*) FROM main.crawl_runs").fetchone()[0]
    group = ", ".join(f"e.[{c}]" for c, present in has.items() if present) or "e.id"
    conn.execute(
        f"INSERT INTO main.crawl_runs ({names}) SELECT {', '.join('s.[' + c + ']' for c in columns)} FROM src.crawl_runs s "
        "WHERE s.id IN (SELECT min(e.id) FROM src.crawl_runs e JOIN temp.run_map q ON q.src_id = e.id WHERE q.id IS NULL "
        f"GROUP BY {group}) ORDER BY s.id"
    )
    counts["runs_new"] += conn.execute("SELECT count(*) FROM main.crawl_runs").fetchone()[0] - before
    conn.execute(f"UPDATE temp.run_map SET id = (SELECT m.id FROM src.crawl_runs s, main.crawl_runs m WHERE s.id = run_map.src_id AND {same} "
                 "ORDER BY m.id LIMIT 1) WHERE id IS NULL")


def _copy_runs_records(conn, renamed: dict[str, str]) -> None:
    columns = _shared_columns(conn, "crawl_run_blogs", exclude=("run_id",))
    if columns:
        conn.execute(
            f"INSERT OR REPLACE INTO main.crawl_run_blogs (run_id, {', '.join(columns)}) "
            f"SELECT m.id, {', '.join('s.' + c for c in columns)} FROM src.crawl_run_blogs s JOIN temp.run_map m ON m.src_id = s.run_id"
        )
    columns = _shared_columns(conn, "captures", exclude=("run_id", "warc_file"))
    if columns:
        conn.execute("DROP TABLE IF EXISTS temp.warc_map")
        conn.execute("CREATE TEMP TABLE warc_map (name TEXT PRIMARY KEY, renamed TEXT)")
        conn.executemany("INSERT INTO temp.warc_map VALUES (?, ?)", list(renamed.items()))
        conn.execute(
            f"INSERT OR IGNORE INTO main.captures (run_id, warc_file, {', '.join(columns)}) "
            f"SELECT (SELECT id FROM temp.run_map WHERE src_id = s.run_id), "
            f"coalesce((SELECT renamed FROM temp.warc_map WHERE name = s.warc_file), s.warc_file), "
            f"{', '.join('s.' + c for c in columns)} FROM src.captures s"
        )
    # A run's list of WARC files names them as they are called beside the target.
    for old, new in renamed.items():
        conn.execute(
            "UPDATE main.crawl_runs SET warc_files = replace(warc_files, ?, ?) WHERE id IN (SELECT id FROM temp.run_map)",
            [json.dumps(old), json.dumps(new)],
        )


def _copy_new_posts(conn, counts: Counter) -> None:
    """Posts only the source holds: copied whole in a few statements."""
    conn.execute("DROP TABLE IF EXISTS temp.new_posts")
    conn.execute(
        "CREATE TEMP TABLE new_posts AS SELECT site, id FROM src.posts s "
        "WHERE NOT EXISTS (SELECT 1 FROM main.posts m WHERE m.site = s.site AND m.id = s.id)"
    )
    counts["posts_new"] += conn.execute("SELECT count(*) FROM temp.new_posts").fetchone()[0]
    columns = _shared_columns(conn, "posts")
    conn.execute(
        f"INSERT INTO main.posts ({', '.join(columns)}) SELECT {', '.join(columns)} FROM src.posts "
        "WHERE (site, id) IN (SELECT site, id FROM temp.new_posts)"
    )
    for table in _CHILDREN:
        columns = _shared_columns(conn, table)
        conn.execute(
            f"INSERT INTO main.[{table}] ({', '.join(columns)}) SELECT {', '.join(columns)} FROM src.[{table}] "
            "WHERE (site, post_id) IN (SELECT site, id FROM temp.new_posts)"
        )
    _copy_joins(conn, "(SELECT site, id FROM temp.new_posts)")


def _copy_joins(conn, posts_sql: str, params=()) -> None:
    for table, column in (("authors", "author_id"), ("tags", "tag_id")):
        conn.execute(
            f"INSERT OR IGNORE INTO main.post_{table} (site, post_id, {column}) "
            f"SELECT j.site, j.post_id, m.id FROM src.post_{table} j JOIN temp.{table}_map m ON m.src_id = j.{column} "
            f"WHERE (j.site, j.post_id) IN {posts_sql}",
            params,
        )


def _copy_revisions(conn, counts: Counter) -> None:
    columns = _shared_columns(conn, "revisions", exclude=("id",))
    before = conn.execute("SELECT count(*) FROM main.revisions").fetchone()[0]
    conn.execute(
        f"INSERT INTO main.revisions ({', '.join(columns)}) SELECT {', '.join('s.' + c for c in columns)} FROM src.revisions s "
        "WHERE NOT EXISTS (SELECT 1 FROM main.revisions m WHERE m.site = s.site AND m.post_id = s.post_id "
        "AND m.entry_id IS s.entry_id AND m.content_hash IS s.content_hash AND m.first_seen_at IS s.first_seen_at) "
        "ORDER BY s.id"
    )
    counts["revisions_new"] += conn.execute("SELECT count(*) FROM main.revisions").fetchone()[0] - before


def _has_revision(conn, site: str, post_id: int, entry_id, digest: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM main.revisions WHERE site = ? AND post_id = ? AND entry_id IS ? AND content_hash = ?",
        [site, post_id, entry_id, digest],
    ).fetchone() is not None


def _revision(conn, *, site, post_id, entry_id, older: dict, older_form: dict, newer_form: dict, recorded_at, counts) -> None:
    """The older of two current versions, kept as a revision (unless one side has it)."""
    if _has_revision(conn, site, post_id, entry_id, older["content_hash"]):
        return
    changed = sorted(name for name in newer_form if newer_form[name] != older_form.get(name))
    since = older.get("last_changed_at") or older.get("first_seen_at")
    conn.execute(
        "INSERT INTO main.revisions (site, post_id, entry_id, first_seen_at, last_seen_at, recorded_at, changed_fields, "
        "old_values, content_hash, capture_id, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'site')",
        [site, post_id, entry_id, since, older.get("last_seen_at"), recorded_at, json.dumps(changed),
         json.dumps({name: older_form.get(name) for name in changed}, ensure_ascii=False), older["content_hash"],
         older.get("capture_id")],
    )
    counts["revisions_new"] += 1


def _seen_dates(mine: dict, theirs: dict) -> dict:
    """First seen the earlier, last seen (and what goes with it) from the later sighting."""
    update = {"first_seen_at": min(filter(None, [mine.get("first_seen_at"), theirs.get("first_seen_at")]), default=None)}
    if (theirs.get("last_seen_at") or "") > (mine.get("last_seen_at") or ""):
        update.update({name: theirs.get(name) for name in _SEEN_COLUMNS if name in theirs})
    return update


KEYS_PER_BATCH = 1000


def _keys_by_batch(conn, select: str, *key: str):
    """The keys ``select`` gives (it ends in a ``WHERE`` clause), a batch at a time in key
    order, each batch read whole before its keys are handed on: the caller may write to the
    tables the query reads, and memory holds one batch, whatever the number of rows."""
    after: tuple = ()
    order = ", ".join(key)
    while True:
        since = f" AND ({order}) > ({', '.join('?' * len(key))})" if after else ""
        batch = conn.execute(f"{select}{since} ORDER BY {order} LIMIT {KEYS_PER_BATCH}", list(after)).fetchall()
        yield from batch
        if len(batch) < KEYS_PER_BATCH:
            return
        after = tuple(batch[-1])


def _merge_shared_posts(db: sqlite_utils.Database, source: sqlite_utils.Database, counts: Counter) -> None:
    """Posts both archives hold: the newest version, every revision, the widest sighting."""
    conn = db.conn
    columns = [c for c in POST_COLUMNS if c in set(_columns(conn, "src", "posts"))]
    joined = "FROM src.posts s JOIN main.posts m ON m.site = s.site AND m.id = s.id"
    # Only posts whose version or sighting differs are read one by one: a source merged
    # again after a quiet day costs one statement.
    differs = " OR ".join(f"s.{c} IS NOT m.{c}" for c in ("content_hash", "first_seen_at", *_SEEN_COLUMNS) if c in columns)
    shared = conn.execute(f"SELECT count(*) {joined}").fetchone()[0] - counts["posts_new"]
    select = f"SELECT {', '.join(columns)} FROM {{}}.posts WHERE site = ? AND id = ?"
    differing = 0
    for site, post_id in _keys_by_batch(conn, f"SELECT s.site, s.id {joined} WHERE ({differs})", "s.site", "s.id"):
        differing += 1
        theirs = dict(zip(columns, conn.execute(select.format("src"), [site, post_id]).fetchone()))
        mine = dict(zip(columns, conn.execute(select.format("main"), [site, post_id]).fetchone()))
        same = theirs["content_hash"] == mine["content_hash"]
        forms = None
        if not same and hash_version(theirs["content_hash"]) != hash_version(mine["content_hash"]):
            # Hashes of two versions: the content decides.
            forms = load_stored_form(source, site, post_id), load_stored_form(db, site, post_id)
            same = not changed_fields(*forms)
        if same:
            update = _seen_dates(mine, theirs)
            changed = {k: v for k, v in update.items() if mine.get(k) != v}
            if changed:
                conn.execute(
                    f"UPDATE main.posts SET {', '.join(f'{k} = ?' for k in changed)} WHERE site = ? AND id = ?",
                    [*changed.values(), site, post_id],
                )
                counts["posts_updated"] += 1
            else:
                counts["posts_unchanged"] += 1
            continue
        counts["posts_updated"] += 1
        their_form, my_form = forms or (load_stored_form(source, site, post_id), load_stored_form(db, site, post_id))
        order = lambda row: (row.get("last_changed_at") or "", row.get("last_seen_at") or "")  # noqa: E731
        if order(theirs) > order(mine):
            _revision(conn, site=site, post_id=post_id, entry_id=None, older=mine, older_form=my_form, newer_form=their_form,
                      recorded_at=theirs.get("last_changed_at"), counts=counts)
            row = dict(theirs, first_seen_at=min(filter(None, [mine["first_seen_at"], theirs["first_seen_at"]])))
            conn.execute(
                f"UPDATE main.posts SET {', '.join(f'{c} = ?' for c in columns)} WHERE site = ? AND id = ?",
                [*(row[c] for c in columns), site, post_id],
            )
            for table in (*_CHILDREN, "post_authors", "post_tags"):
                conn.execute(f"DELETE FROM main.[{table}] WHERE site = ? AND post_id = ?", [site, post_id])
            for table in _CHILDREN:
                child = _shared_columns(conn, table)
                conn.execute(
                    f"INSERT INTO main.[{table}] ({', '.join(child)}) SELECT {', '.join(child)} FROM src.[{table}] "
                    "WHERE site = ? AND post_id = ?",
                    [site, post_id],
                )
            _copy_joins(conn, "(VALUES (?, ?))", [site, post_id])
        else:
            _revision(conn, site=site, post_id=post_id, entry_id=None, older=theirs, older_form=their_form, newer_form=my_form,
                      recorded_at=mine.get("last_changed_at"), counts=counts)
            first = min(filter(None, [mine["first_seen_at"], theirs["first_seen_at"]]))
            conn.execute("UPDATE main.posts SET first_seen_at = ? WHERE site = ? AND id = ?", [first, site, post_id])
    counts["posts_unchanged"] += shared - differing


def _entry_form(row: dict) -> dict:
    return {name: row.get(name) for name in _ENTRY_CONTENT}


def _merge_entries(conn, counts: Counter) -> None:
    columns = [c for c in LIVE_ENTRY_COLUMNS if c in set(_columns(conn, "src", "live_entries"))]
    if not columns:
        return
    key = "m.site = s.site AND m.post_id = s.post_id AND m.entry_id = s.entry_id"
    before = conn.execute("SELECT count(*) FROM main.live_entries").fetchone()[0]
    conn.execute(
        f"INSERT INTO main.live_entries ({', '.join(columns)}) SELECT {', '.join('s.' + c for c in columns)} "
        f"FROM src.live_entries s WHERE NOT EXISTS (SELECT 1 FROM main.live_entries m WHERE {key})"
    )
    counts["entries_new"] += conn.execute("SELECT count(*) FROM main.live_entries").fetchone()[0] - before
    select = f"SELECT {', '.join(columns)} FROM {{}}.live_entries WHERE site = ? AND post_id = ? AND entry_id = ?"
    for site, post_id, entry_id in conn.execute(
        f"SELECT s.site, s.post_id, s.entry_id FROM src.live_entries s JOIN main.live_entries m ON {key} "
        "WHERE s.content_hash IS NOT m.content_hash OR s.last_seen_at IS NOT m.last_seen_at OR s.first_seen_at IS NOT m.first_seen_at"
    ).fetchall():
        ids = [site, post_id, entry_id]
        theirs = dict(zip(columns, conn.execute(select.format("src"), ids).fetchone()))
        mine = dict(zip(columns, conn.execute(select.format("main"), ids).fetchone()))
        first = min(filter(None, [mine["first_seen_at"], theirs["first_seen_at"]]), default=None)
        if theirs["content_hash"] != mine["content_hash"] and changed_fields(_entry_form(theirs), _entry_form(mine)):
            newer, older = (theirs, mine) if (theirs["last_seen_at"] or "") > (mine["last_seen_at"] or "") else (mine, theirs)
            _revision(conn, site=site, post_id=post_id, entry_id=entry_id, older=dict(older, last_changed_at=older["first_seen_at"]),
                      older_form=_entry_form(older), newer_form=_entry_form(newer), recorded_at=newer["last_seen_at"], counts=counts)
            row = dict(newer, first_seen_at=first, last_seen_at=max(mine["last_seen_at"] or "", theirs["last_seen_at"] or "") or None)
        else:
            row = dict(mine, first_seen_at=first, last_seen_at=max(mine["last_seen_at"] or "", theirs["last_seen_at"] or "") or None)
        conn.execute(
            f"UPDATE main.live_entries SET {', '.join(f'{c} = ?' for c in columns)} WHERE site = ? AND post_id = ? AND entry_id = ?",
            [*(row[c] for c in columns), *ids],
        )


def _merge_small_tables(conn) -> None:
    """Blogs, listings, live blogs, failures and identity mismatches, row by row."""
    def upsert(table: str, key: tuple[str, ...], rules: dict[str, str], where: str = "true") -> None:
        """``where``: the rows of a partial unique index (the index's own condition)."""
        columns = _shared_columns(conn, table)
        if not columns:
            return
        sets = ", ".join(f"{c} = {rules.get(c, f'excluded.{c}')}" for c in columns if c not in key)
        conflict = f"({', '.join(key)})" + (f" WHERE {where}" if where != "true" else "")
        conn.execute(
            f"INSERT INTO main.[{table}] ({', '.join(columns)}) SELECT {', '.join(columns)} FROM src.[{table}] WHERE {where} "
            f"ON CONFLICT {conflict} DO UPDATE SET {sets}"
        )

    def later(column: str) -> str:
        return f"CASE WHEN coalesce(excluded.{column}, '') > coalesce({column}, '') THEN excluded.{column} ELSE {column} END"

    def earlier(column: str) -> str:
        return f"CASE WHEN {column} IS NULL OR excluded.{column} < {column} THEN excluded.{column} ELSE {column} END"

    upsert("blogs", ("site", "zone"), {"title": "coalesce(excluded.title, title)", "index_complete_at": later("index_complete_at"),
                                       "last_run_at": later("last_run_at")})
    upsert("post_blogs", ("site", "post_id", "blog_site", "zone"), {"first_seen_at": earlier("first_seen_at")})
    newer_live = "coalesce(excluded.last_seen_at, '') > coalesce(last_seen_at, '')"
    upsert("live_blogs", ("site", "post_id"), {
        **{c: f"CASE WHEN {newer_live} THEN excluded.{c} ELSE {c} END" for c in ("entries", "newest_entry_at", "last_seen_at")},
        "walk_complete_at": later("walk_complete_at"),
    })
    newer_failure = "coalesce(excluded.last_failed_at, '') > coalesce(last_failed_at, '')"
    for key, where in FAILURE_KEYS.values():
        upsert("failures", key, {
            "first_failed_at": earlier("first_failed_at"), "last_failed_at": later("last_failed_at"),
            "attempts": "max(attempts, excluded.attempts)",
            **{c: f"CASE WHEN {newer_failure} THEN excluded.{c} ELSE {c} END" for c in ("url", "last_error", "led_to")},
        }, where=where)
    # A page that failed on one machine and was stored later (here or there) is no longer missing.
    conn.execute(
        "DELETE FROM main.failures WHERE post_id IS NOT NULL AND EXISTS (SELECT 1 FROM main.posts p "
        "WHERE p.site = failures.site AND p.id = failures.post_id AND p.last_seen_at >= failures.last_failed_at)"
    )
    newer_claim = "coalesce(excluded.last_seen_at, '') > coalesce(last_seen_at, '')"
    upsert("identity_mismatches", ("site", "post_id", "claimed_by"), {
        "first_seen_at": earlier("first_seen_at"), "last_seen_at": later("last_seen_at"),
        **{c: f"CASE WHEN {newer_claim} THEN excluded.{c} ELSE {c} END" for c in ("claimed_url", "fetched_url")},
    })


# Columns that hold URLs; a crawl stores http and https URLs only (``urls.absolute_url``).
_URL_COLUMNS = (
    ("posts", "url"), ("links", "url"), ("embeds", "url"), ("images", "url"), ("live_entries", "url"),
    ("captures", "url"), ("failures", "url"), ("failures", "led_to"), ("identity_mismatches", "claimed_url"),
    ("identity_mismatches", "fetched_url"),
)


def _check_urls(conn) -> None:
    """A source whose URLs a crawl could never have stored (``javascript:``, ``data:``...) is
    refused whole: it was not made by a crawl, and a reader would be shown its links."""
    for table, column in _URL_COLUMNS:
        if column not in _columns(conn, "src", table):
            continue
        found = conn.execute(
            f"SELECT [{column}] FROM src.[{table}] WHERE [{column}] IS NOT NULL AND lower(substr([{column}], 1, 7)) <> 'http://' "
            f"AND lower(substr([{column}], 1, 8)) <> 'https://' LIMIT 1"
        ).fetchone()
        if found is not None:
            raise StorageError(f"its {table}.{column} holds {str(found[0])[:60]!r}, which no crawl stores (http and https URLs only)")


def merge_archive(db: sqlite_utils.Database, source_path: Path, *, target_warc_dir: Path, source_warc_dir: Path) -> Counter:
    """Bring the archive at ``source_path`` into ``db`` (see the module's text); returns
    what it came to (posts new, updated, unchanged; revisions, entries and runs added)."""
    conn = db.conn
    counts: Counter = Counter()
    conn.execute("ATTACH DATABASE ? AS src", [str(source_path)])
    source = sqlite_utils.Database(str(source_path))
    try:
        _check_urls(conn)
        renamed = _copy_warc_files(conn, source_warc_dir, target_warc_dir) if "captures" in source.table_names() else {}
        with db.atomic():
            for table in ("authors", "tags"):
                _map_names(conn, table)
            _map_runs(conn, counts)
            _copy_runs_records(conn, renamed)
            _copy_new_posts(conn, counts)
            _copy_revisions(conn, counts)
            _merge_shared_posts(db, source, counts)
            _merge_entries(conn, counts)
            # Last: a failure on one side is resolved by the post the other side stored.
            _merge_small_tables(conn)
            for fts in FTS_TABLES:
                rebuild(conn, fts)
    finally:
        source.close()
        for table in ("new_posts", "authors_map", "tags_map", "run_map", "warc_map"):
            conn.execute(f"DROP TABLE IF EXISTS temp.{table}")
        conn.execute("DETACH DATABASE src")
    return counts


