"""A full disk: the run stops at the first failed write with one line and exit 1, the
archive stays whole (SQLite's and the full-text index's own checks), and a run with room
converges on exactly the posts served, a kill -9 on the way included."""

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from devtools.replica import Replica
from devtools.replica_settings import crawl_command

from .conftest import ROOT, rows, run_crawl, search_index_problems

POSTS = 300
SEED = 41


def integrity(db_path) -> str:
    connection = sqlite3.connect(db_path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def tmpfs(path, size: str):
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    return path


# Where the disk fills: SQLite's own page limit (everywhere), and a real small file system
# (where the tests run as root and may mount one).
DISKS = ["max_page_count"] + (["tmpfs"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])


@pytest.mark.parametrize("disk", DISKS)
def test_a_full_disk_stops_the_run_with_one_line_and_the_archive_intact(disk, tmp_path):
    mounted = None
    if disk == "tmpfs":
        mounted = tmpfs(tmp_path / "small", "1m")
        db_path, limit = mounted / "archive.db", ()
    else:
        db_path, limit = tmp_path / "archive.db", ("-s", "ARCHIVE_MAX_MB=0.6")
    try:
        with Replica(posts=POSTS, seed=SEED) as replica:
            full = run_crawl(replica.index_url, db_path, "-L", "ERROR", "-a", "mode=full", *limit)
            assert full.returncode == 1, full.stderr[-3000:]
            lines = full.stderr.strip().splitlines()
            assert len(lines) == 1, lines
            assert "cannot write the archive" in lines[0] and ("full" in lines[0]) and "posts are stored" in lines[0]
            stored = rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"]
            assert 0 < stored < POSTS
            assert integrity(db_path) == "ok"
            assert search_index_problems(db_path) == []
            run = rows(db_path, "SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
            assert run["status"] in ("failed", "running")  # closed if the disk still took the row
            if mounted is not None:
                # Room again: the archive moves to a disk with room.
                moved = tmp_path / "archive.db"
                for suffix in ("", "-wal", "-shm"):
                    source = mounted / f"archive.db{suffix}"
                    if source.exists():
                        (tmp_path / f"archive.db{suffix}").write_bytes(source.read_bytes())
                db_path, limit = moved, ()
            again = run_crawl(replica.index_url, db_path, "-L", "ERROR")
        assert again.returncode == 0, again.stderr[-3000:]
        assert rows(db_path, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM posts")[0] == {"n": POSTS, "ids": POSTS}
        statuses = [r["status"] for r in rows(db_path, "SELECT status FROM crawl_runs ORDER BY id")]
        assert statuses[0] in ("failed", "interrupted") and statuses[-1] == "finished"
        assert integrity(db_path) == "ok" and search_index_problems(db_path) == []
    finally:
        if mounted is not None:
            subprocess.run(["umount", str(mounted)], check=False)


def test_full_disk_then_kill_then_room_gives_exactly_the_posts_served(tmp_path):
    db_path = tmp_path / "archive.db"
    with Replica(posts=POSTS, seed=SEED) as replica:
        full = run_crawl(replica.index_url, db_path, "-L", "ERROR", "-s", "ARCHIVE_MAX_MB=0.6")
        assert full.returncode == 1
        # A run with room, killed while it writes.
        command = crawl_command(replica.index_url, db_path, "-s", "DOWNLOAD_DELAY=0.01", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
        process = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"] < start + 20:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert integrity(db_path) == "ok" and search_index_problems(db_path) == []
        last = run_crawl(replica.index_url, db_path, "-L", "ERROR")
    assert last.returncode == 0, last.stderr[-3000:]
    assert rows(db_path, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM posts")[0] == {"n": POSTS, "ids": POSTS}
    assert [r["status"] for r in rows(db_path, "SELECT status FROM crawl_runs ORDER BY id")][-1] == "finished"
    assert "running" not in [r["status"] for r in rows(db_path, "SELECT status FROM crawl_runs ORDER BY id")][:-1]
    assert integrity(db_path) == "ok" and search_index_problems(db_path) == []
