"""Grow an archive to N posts, for measuring at network size: ``python -m devtools.grow ARCHIVE --posts N``.

The posts the archive holds (a real crawl of the replica) are the templates: each clone is
a template's rows under a new post id, with everything that hangs on the post (images,
links, embeds, authors, tags, blog listings, revisions, live entries, its WARC capture)
and its full-text row. A clone's URL names its own id, its capture is a row of its own
(same WARC record bytes, a record id of its own), and it is older than every template (an id
below theirs, a publication date before theirs, the clones spread evenly over as long a
time as the templates span): the site's new posts come above them, and the recheck window
of a run holds what it held before growing.

All in SQL, one transaction per table over a map of (template, new id): a million posts in
minutes. Not a tool for a real archive: it refuses a file that is not an archive, and
writes only to the one it is given.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

from crawler import storage
from crawler.storage import search

# Tables whose rows belong to a post by (site, post_id), besides ``posts`` itself.
_POST_TABLES = ("images", "links", "embeds", "post_authors", "post_tags", "post_blogs", "live_entries", "live_blogs")


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")]


def grow(path: Path, posts: int, *, log=print) -> dict:
    """Clone the archive's posts until it holds ``posts`` posts; the figures of the work."""
    storage.open_db(path).close()  # refuses what is not an archive, brings the shape up to date
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
    templates = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    if templates == 0:
        raise SystemExit(f"grow: {path} holds no post to clone: crawl the replica into it first")
    wanted = posts - templates
    if wanted <= 0:
        return {"posts": templates, "added": 0, "seconds": 0.0}
    started = time.perf_counter()
    # Clones are older than every template: ids below theirs (the site's new posts come
    # above), dates spread evenly over as long a time before the oldest template as the
    # templates span, so that a run's recheck window holds what it held before.
    bottom = conn.execute("SELECT min(id) FROM posts").fetchone()[0]
    if bottom - wanted < 1:
        raise SystemExit(f"grow: the templates' ids start at {bottom}: no room below for {wanted:,} clones")
    oldest, newest = conn.execute(
        "SELECT min(published_at), max(published_at) FROM posts WHERE published_at IS NOT NULL"
    ).fetchone()
    if oldest is not None:
        from datetime import datetime

        try:  # read from the archive, then written into SQL: a date, nothing else
            oldest = datetime.fromisoformat(oldest).isoformat()
        except ValueError:
            raise SystemExit(f"grow: the templates' oldest publication date {oldest!r} is not an ISO date") from None
    span = conn.execute("SELECT (julianday(?) - julianday(?)) * 86400", [newest, oldest]).fetchone()[0] if oldest else 0
    gap = max(60.0, (span or 0) / wanted)  # seconds between two clones
    conn.execute("DROP TABLE IF EXISTS temp.clone_map")
    conn.execute("CREATE TEMP TABLE tpl (n INTEGER PRIMARY KEY, site TEXT, id INTEGER)")
    conn.execute("INSERT INTO tpl (n, site, id) SELECT row_number() OVER (ORDER BY site, id) - 1, site, id FROM posts")
    # Clone n (0-based) copies template n % templates.
    conn.execute("CREATE TEMP TABLE clone_map (site TEXT, old_id INTEGER, new_id INTEGER PRIMARY KEY, n INTEGER)")
    conn.execute(
        "WITH RECURSIVE j(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM j WHERE n + 1 < ?) "
        "INSERT INTO clone_map SELECT tpl.site, tpl.id, ? - 1 - j.n, j.n FROM j JOIN tpl ON tpl.n = j.n % ?",
        [wanted, bottom, templates],
    )
    conn.execute("CREATE INDEX temp.clone_map_old ON clone_map (site, old_id)")
    figures = {}

    def copy(table: str, select: dict[str, str], source: str, join: str) -> None:
        t0 = time.perf_counter()
        columns = _columns(conn, table)
        expressions = [select.get(c, f"t.[{c}]") for c in columns]
        conn.execute(
            f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) SELECT {', '.join(expressions)} "
            f"FROM clone_map m JOIN [{source}] t ON {join}"
        )
        conn.commit()
        figures[table] = round(time.perf_counter() - t0, 1)
        log(f"grow: {table} in {figures[table]} s")

    rowid_before = conn.execute("SELECT max(rowid) FROM posts").fetchone()[0]
    entries_before = conn.execute("SELECT coalesce(max(rowid), 0) FROM live_entries").fetchone()[0]
    shifted = (f"CASE WHEN t.{{0}} IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S+00:00', '{oldest}', "
               f"'-' || CAST((m.n + 1) * {gap!r} AS INTEGER) || ' seconds') END") if oldest else "t.{0}"
    new_url = "replace(t.url, '/' || t.id || '.html', '/' || m.new_id || '.html')"
    new_record = "CASE WHEN t.capture_id IS NULL THEN NULL ELSE '<urn:uuid:' || printf('%08x', m.new_id) || substr(t.capture_id, 19) END"
    # Captures first, each the template's post capture under the clone's URL and record id.
    t0 = time.perf_counter()
    capture_columns = _columns(conn, "captures")
    capture_select = {
        "record_id": "'<urn:uuid:' || printf('%08x', m.new_id) || substr(c.record_id, 19)",
        "url": "replace(c.url, '/' || m.old_id || '.html', '/' || m.new_id || '.html')",
    }
    conn.execute(
        f"INSERT OR IGNORE INTO captures ({', '.join(capture_columns)}) SELECT "
        f"{', '.join(capture_select.get(c, 'c.' + c) for c in capture_columns)} "
        "FROM clone_map m JOIN posts p ON p.site = m.site AND p.id = m.old_id JOIN captures c ON c.record_id = p.capture_id"
    )
    conn.commit()
    figures["captures"] = round(time.perf_counter() - t0, 1)
    log(f"grow: captures in {figures['captures']} s")
    copy(
        "posts",
        {"id": "m.new_id", "url": new_url, "fetched_url": new_url.replace("t.url", "t.fetched_url"),
         "published_at": shifted.format("published_at"), "updated_at": shifted.format("updated_at"), "capture_id": new_record},
        "posts", "t.site = m.site AND t.id = m.old_id",
    )
    for table in _POST_TABLES:
        copy(table, {"post_id": "m.new_id"}, table, "t.site = m.site AND t.post_id = m.old_id")
    copy("revisions", {"id": "NULL", "post_id": "m.new_id"}, "revisions", "t.site = m.site AND t.post_id = m.old_id")
    t0 = time.perf_counter()
    # The clones' terms, read as the crawl reads text (each in its post's language).
    search.fill(conn, search.POSTS_INDEX, after=rowid_before)
    search.fill(conn, search.ENTRIES_INDEX, after=entries_before)
    conn.commit()
    figures["full-text"] = round(time.perf_counter() - t0, 1)
    log(f"grow: full-text index in {figures['full-text']} s")
    total = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    conn.close()
    return {"posts": total, "added": wanted, "seconds": round(time.perf_counter() - started, 1), "tables": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.grow", description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path, help="an archive holding the posts to clone (a crawl of the replica)")
    parser.add_argument("--posts", type=int, required=True, help="how many posts the archive holds after growing")
    args = parser.parse_args(argv)
    if args.posts < 1 or args.posts > 50_000_000:
        parser.error("--posts must be between 1 and 50,000,000")
    if not args.archive.is_file():
        parser.error(f"{args.archive} is not a file: crawl the replica into it first")
    try:
        result = grow(args.archive, args.posts)
    except storage.StorageError as error:
        print(f"grow: {error}", file=sys.stderr)
        return 1
    print(f"grow: {result['posts']:,} posts in {args.archive} ({result['added']:,} added in {result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
