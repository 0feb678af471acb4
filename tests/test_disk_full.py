"""A full disk: the run stops at the first failed write with one line and exit 1, the
archive stays whole (SQLite's and the full-text index's own checks), and a run with room
converges on exactly the posts served, a kill -9 on the way included."""

import os
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from devtools.replica import Replica
from devtools.replica_settings import crawl_command

from .conftest import ROOT, captures_missing, rows, run_crawl, search_index_problems

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
# ``tmpfs``: the archive and its WARC files share the small disk; ``tmpfs-warc``: only the
# WARC files are on it.
DISKS = ["max_page_count"] + (["tmpfs", "tmpfs-warc"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])
FIRST_LINES = {
    "max_page_count": ("cannot write the archive",),
    "tmpfs": ("cannot write the archive", "cannot write the WARC files"),
    "tmpfs-warc": ("cannot write the WARC files",),
}


@pytest.mark.parametrize("disk", DISKS)
def test_a_full_disk_stops_the_run_with_one_line_and_the_archive_intact(disk, tmp_path):
    mounted = None
    if disk == "tmpfs":
        mounted = tmpfs(tmp_path / "small", "2m")
        db_path, limit = mounted / "archive.db", ()
    elif disk == "tmpfs-warc":
        mounted = tmpfs(tmp_path / "small", "256k")
        db_path, limit = tmp_path / "archive.db", ("-s", f"WARC_DIR={mounted / 'archive.db.warc'}")
    else:
        db_path, limit = tmp_path / "archive.db", ("-s", "ARCHIVE_MAX_MB=0.7")  # the empty archive (about 0.3 MB) and one batch of posts
    try:
        with Replica(posts=POSTS, seed=SEED) as replica:
            full = run_crawl(replica.index_url, db_path, "-L", "ERROR", "-a", "mode=full", *limit)
            assert full.returncode == 1, full.stderr[-3000:]
            lines = full.stderr.strip().splitlines()
            assert len(lines) == 1, lines
            message = lines[0].split(" ERROR: ", 1)[1]
            assert message.startswith(FIRST_LINES[disk]), lines
            if message.startswith("cannot write the archive"):
                assert "full" in message and "posts are stored" in message
            else:
                assert "No space left on device" in message
            stored = rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"]
            assert 0 < stored < POSTS
            assert integrity(db_path) == "ok"
            assert search_index_problems(db_path) == []
            run = rows(db_path, "SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
            assert run["status"] in ("failed", "running")  # closed if the disk still took the row
            # Every post stored has its capture, whole, where the archive says.
            assert captures_missing(db_path, mounted / "archive.db.warc" if mounted else None) == []
            if mounted is not None:
                # Room again: the archive and its WARC files move to a disk with room.
                moved = tmp_path / "archive.db"
                for suffix in ("", "-wal", "-shm"):
                    source = mounted / f"archive.db{suffix}"
                    if source.exists():
                        (tmp_path / f"archive.db{suffix}").write_bytes(source.read_bytes())
                shutil.copytree(mounted / "archive.db.warc", tmp_path / "archive.db.warc", dirs_exist_ok=True)
                db_path, limit = moved, ()
            again = run_crawl(replica.index_url, db_path, "-L", "ERROR")
        assert again.returncode == 0, again.stderr[-3000:]
        assert rows(db_path, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM posts")[0] == {"n": POSTS, "ids": POSTS}
        statuses = [r["status"] for r in rows(db_path, "SELECT status FROM crawl_runs ORDER BY id")]
        assert statuses[0] in ("failed", "interrupted") and statuses[-1] == "finished"
        assert integrity(db_path) == "ok" and search_index_problems(db_path) == []
        assert captures_missing(db_path) == []
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
