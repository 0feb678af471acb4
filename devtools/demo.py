"""``python -m devtools.demo``: the main job on the embedded default.

Starts the replica blog on 127.0.0.1, runs the real ``scrapy crawl blog`` against it into
``data/demo.db``, prints a summary and how to explore the archive. Run it again and the
archive stays one row per post.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import sqlite_utils

from .replica import Replica
from .replica_settings import crawl_command

ROOT = Path(__file__).resolve().parent.parent


def summary(db_path: Path) -> str:
    db = sqlite_utils.Database(db_path)
    try:
        posts = db["posts"].count
        first, last = db.execute("SELECT min(published_at), max(published_at) FROM posts").fetchone()
        authors = db.execute(
            "SELECT authors.name, count(*) FROM post_authors JOIN authors ON authors.id = author_id "
            "GROUP BY authors.name ORDER BY count(*) DESC"
        ).fetchall()
        tags = db.execute(
            "SELECT tags.name, count(*) FROM post_tags JOIN tags ON tags.id = tag_id GROUP BY tags.name ORDER BY count(*) DESC LIMIT 5"
        ).fetchall()
        run = db.execute(
            "SELECT id, status, pages_fetched, posts_new, posts_updated, posts_unchanged FROM crawl_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        counts = {t: db[t].count for t in ("images", "links", "embeds", "live_entries")}
    finally:
        db.close()
    lines = [
        f"archive: {db_path} — {posts} posts from {first[:10]} to {last[:10]}",
        f"last run: #{run[0]} {run[1]}, {run[2]} pages fetched, {run[3]} new, {run[4]} updated, {run[5]} unchanged",
        f"images {counts['images']}, links {counts['links']}, embeds {counts['embeds']}, live blog entries {counts['live_entries']}",
        "authors: " + ", ".join(f"{name} ({n})" for name, n in authors),
        "top tags: " + ", ".join(f"{name} ({n})" for name, n in tags),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300, help="posts of the replica blog (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the replica's content (default 1)")
    parser.add_argument("--db", default="data/demo.db", help="the archive to write (default data/demo.db)")
    parser.add_argument("--fresh", action="store_true", help="start from an empty archive")
    parser.add_argument(
        "--port",
        type=int,
        default=8725,
        help="replica port (default 8725); any port gives the same archive (a post's site is the host, 127.0.0.1)",
    )
    args = parser.parse_args(argv)
    db_path = Path(args.db)
    if args.fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    # The blog as it was: its live blog among the posts, with entries over several pages.
    try:
        replica = Replica(posts=args.posts, seed=args.seed, port=args.port, live_entries=60)
    except OSError as error:
        print(f"error: cannot serve the replica on 127.0.0.1:{args.port} ({error.strerror}); try --port", file=sys.stderr)
        return 2
    with replica:
        print(f"replica blog with {args.posts} posts at {replica.index_url}", flush=True)
        command = crawl_command(replica.index_url, db_path)
        print("running: scrapy crawl blog " + " ".join(command[5:]), flush=True)
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        result = subprocess.run(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    for line in result.stderr.splitlines():
        if "summary:" in line or "ERROR" in line or "CRITICAL" in line:
            print(line)
    if result.returncode != 0:
        print(f"the crawl failed with exit status {result.returncode}", file=sys.stderr)
        return result.returncode
    print()
    print(summary(db_path))
    print()
    print("explore it:")
    print(f"  make explore DB={db_path}      # Datasette at http://127.0.0.1:8001/")
    print(f"  .venv/bin/sqlite-utils tables {db_path} --counts")
    print(f"  .venv/bin/sqlite-utils search {db_path} posts Zharylgasov -c id -c title")
    print(f"  .venv/bin/sqlite-utils {db_path} \"SELECT substr(published_at, 1, 7) AS month, count(*) FROM posts GROUP BY month\"")
    return 0


if __name__ == "__main__":
    sys.exit(main())
