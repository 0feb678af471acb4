"""``python -m crawler.find ARCHIVE.db WORDS...``: the posts the archive's search finds, as
its exploration's search box finds them (every word, in any of its forms in the post's
language; ``fts:`` for FTS5's own syntax), newest first: id, date, title and URL, one a
line. Reads the archive read-only: a crawl can be writing meanwhile.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from urllib.parse import quote

from .analysis import match_expression, raw_expression

RAW_PREFIX = "fts:"


def expression(text: str) -> str:
    text = text.strip()
    if text.lower().startswith(RAW_PREFIX):
        return raw_expression(text[len(RAW_PREFIX):])
    return match_expression(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.find", description=__doc__.splitlines()[0])
    parser.add_argument("db", help="the archive")
    parser.add_argument("words", nargs="+", help="what to find")
    parser.add_argument("--limit", type=int, default=50, help="the most posts listed (default 50)")
    args = parser.parse_args(argv)
    path = Path(args.db)
    if not path.is_file():
        print(f"error: no archive at {path}", file=sys.stderr)
        return 2
    if args.limit < 1:
        print(f"error: --limit {args.limit} is not a number of posts from 1", file=sys.stderr)
        return 2
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=30)
        rows = conn.execute(
            "SELECT p.id, p.published_at, p.title, p.url FROM posts_fts f JOIN posts p ON p.rowid = f.rowid "
            "WHERE posts_fts MATCH ? ORDER BY p.published_at DESC LIMIT ?",
            [expression(" ".join(args.words)), args.limit],
        ).fetchall()
    except sqlite3.Error as error:
        print(f"error: cannot search {path}: {error}", file=sys.stderr)
        return 2
    for post_id, published, title, url in rows:
        print(f"{post_id}\t{published or ''}\t{title or ''}\t{url or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
