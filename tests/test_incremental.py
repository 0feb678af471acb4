"""Scheduled runs against a replica that changes between runs: new posts, edits, deletions."""

import json
import os
import socket
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from devtools.replica import Replica
from devtools.replica_settings import crawl_command
from crawler.storage import RunLock

from .conftest import ROOT, rows, run_crawl, search_index_problems
from crawler.analysis import raw_expression

POSTS = 120


# Every test has a replica and an archive of its own: each passes alone and in any order.
@pytest.fixture
def replica():
    with Replica(posts=POSTS, seed=5, latest=datetime.now(timezone.utc) - timedelta(hours=1)) as replica:
        yield replica


@pytest.fixture
def window(replica):
    """A recheck window (in days) that holds the blog's five newest posts."""
    fifth = replica.site.posts[4].published
    return (datetime.now(timezone.utc) - fifth).total_seconds() / 86400 + 0.5


@pytest.fixture
def archive(replica, window, tmp_path):
    db_path = tmp_path / "archive.db"
    first = run_crawl(replica.index_url, db_path, "-a", f"recheck_days={window}")
    assert first.returncode == 0, first.stderr[-3000:]
    return db_path


def last_run(db_path):
    return rows(db_path, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]


def test_first_run_stores_everything(replica, archive):
    assert rows(archive, "SELECT count(*) AS n FROM posts")[0]["n"] == POSTS
    run = last_run(archive)
    assert (run["mode"], run["status"], run["posts_new"]) == ("incremental", "finished", POSTS)
    assert rows(archive, "SELECT index_complete_at FROM blogs")[0]["index_complete_at"] is not None


def test_no_change_run_costs_three_requests_plus_conditional_rechecks(replica, window, archive):
    before = dict(replica.app.hits)
    result = run_crawl(replica.index_url, archive, "-a", f"recheck_days={window}")
    assert result.returncode == 0, result.stderr[-3000:]
    run = last_run(archive)
    in_window = 5
    assert run["requests"] <= 3 + in_window
    assert run["responses_304"] == in_window
    assert (run["posts_new"], run["posts_updated"], run["posts_removed"]) == (0, 0, 0)
    assert run["posts_unchanged"] == in_window
    hits = {k: v - before.get(k, 0) for k, v in replica.app.hits.items() if v - before.get(k, 0)}
    assert hits.get("/z/17257?") == 1
    assert not any(k.startswith("/z/17257?p=") for k in hits)  # stopped at the first page
    assert rows(archive, "SELECT count(*) AS n FROM revisions")[0]["n"] == 0


def change_the_site_and_crawl(replica, window, archive):
    """Seven posts added, two edited, one deleted; then a run. Returns the run and the changes."""
    newest = [p.id for p in replica.site.posts[:5]]
    edited, deleted = newest[1:3], newest[3]
    old_titles = {i: replica.site.by_id[i].title for i in edited}
    added = replica.app.add_posts(7)
    for post_id in edited:
        replica.app.edit_post(post_id)
    replica.app.delete_post(deleted)
    result = run_crawl(replica.index_url, archive, "-a", f"recheck_days={window}")
    return result, added, edited, deleted, old_titles


def test_added_edited_deleted_posts_are_caught_by_the_next_run(replica, window, archive):
    result, added, edited, deleted, old_titles = change_the_site_and_crawl(replica, window, archive)
    assert result.returncode == 0, result.stderr[-3000:]
    run = last_run(archive)
    assert (run["posts_new"], run["posts_updated"], run["posts_removed"]) == (7, 2, 1)
    assert rows(archive, "SELECT count(*) AS n FROM posts")[0]["n"] == POSTS + 7
    assert {r["id"] for r in rows(archive, "SELECT id FROM posts WHERE first_seen_at = last_changed_at")} >= set(added)

    revisions = rows(archive, "SELECT * FROM revisions ORDER BY post_id")
    assert sorted(r["post_id"] for r in revisions) == sorted(edited)
    for revision in revisions:
        changed = json.loads(revision["changed_fields"])
        old = json.loads(revision["old_values"])
        assert {"title", "body_text", "body_html", "updated_at"} <= set(changed)
        assert old["title"] == old_titles[revision["post_id"]]
        current = rows(archive, "SELECT title, body_text FROM posts WHERE id = ?", [revision["post_id"]])[0]
        assert current["title"] == old_titles[revision["post_id"]] + " (Updated)"
        assert "UPDATE:" in current["body_text"] and "UPDATE:" not in old["body_text"]
        assert revision["first_seen_at"] <= revision["last_seen_at"] <= revision["recorded_at"]

    removed = rows(archive, "SELECT id, removed_at, title FROM posts WHERE removed_at IS NOT NULL")
    assert [(r["id"], bool(r["title"])) for r in removed] == [(deleted, True)]  # marked, never deleted

    # Search finds the edited posts by their new titles, not their old ones.
    assert search_index_problems(archive) == []
    for post_id in edited:
        found = rows(archive, "SELECT posts.id FROM posts_fts JOIN posts ON posts.rowid = posts_fts.rowid "
                              "WHERE posts_fts MATCH ?", [raw_expression('title:"Updated"')])
        assert post_id in {r["id"] for r in found}


def test_every_post_of_a_wide_window_is_rechecked_though_the_index_is_read_first(replica, archive):
    """Room for every request at once: Scrapy then reads the run's first requests one at
    a time between answers, and the first index page is answered while the run is still
    asking for its re-checks. Its posts (the newest, the last of the window by id) are
    re-checked all the same: an edit to any of them is caught."""
    every = (datetime.now(timezone.utc) - replica.site.posts[-1].published).total_seconds() / 86400 + 1
    newest = [p.id for p in replica.site.posts[:3]]
    for post_id in newest:
        replica.app.edit_post(post_id)
    before = dict(replica.app.hits)
    result = run_crawl(replica.index_url, archive, "-a", f"recheck_days={min(every, 3650)}", "-s", "CONCURRENT_REQUESTS=1000")
    assert result.returncode == 0, result.stderr[-3000:]
    in_window = rows(archive, "SELECT count(*) AS n FROM posts WHERE published_at >= ?",
                     [(datetime.now(timezone.utc) - timedelta(days=min(every, 3650))).isoformat()])[0]["n"]
    assert in_window > 100
    run = last_run(archive)
    assert (run["posts_new"], run["posts_updated"], run["posts_unchanged"]) == (0, 3, in_window - 3)
    asked = {path for path, n in replica.app.hits.items() if n > before.get(path, 0) and path.startswith("/a/")}
    assert len(asked) == in_window
    titles = rows(archive, f"SELECT title FROM posts WHERE id IN ({', '.join('?' * len(newest))})", newest)
    assert all(r["title"].endswith(" (Updated)") for r in titles)


def test_a_run_after_the_changes_changes_nothing_and_is_quiet_when_asked(replica, window, archive):
    changed, *_ = change_the_site_and_crawl(replica, window, archive)
    assert changed.returncode == 0, changed.stderr[-3000:]
    result = run_crawl(replica.index_url, archive, "-a", f"recheck_days={window}", "-L", "ERROR")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == result.stderr == ""  # cron mails nothing
    run = last_run(archive)
    assert (run["posts_new"], run["posts_updated"], run["posts_removed"]) == (0, 0, 0)
    assert rows(archive, "SELECT count(*) AS n FROM revisions")[0]["n"] == 2


def test_an_interrupted_first_walk_is_carried_on(replica, tmp_path):
    db_path = tmp_path / "interrupted.db"
    # The first run stops after 3 index pages, as a killed backfill would.
    first = run_crawl(replica.index_url, db_path, "-s", "CLOSESPIDER_PAGECOUNT=30", "-s", "CONCURRENT_REQUESTS=1000")
    assert first.returncode != 0  # it did not finish
    stored = rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"]
    assert 0 < stored < len(replica.site.posts)
    assert rows(db_path, "SELECT index_complete_at FROM blogs")[0]["index_complete_at"] is None
    second = run_crawl(replica.index_url, db_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert rows(db_path, "SELECT count(*) AS n FROM posts WHERE removed_at IS NULL")[0]["n"] == len(replica.site.posts)


def _has_run_row(db_path) -> bool:
    try:
        return bool(db_path.exists() and rows(db_path, "SELECT id FROM crawl_runs"))
    except Exception:  # not made yet
        return False


def test_of_two_overlapping_runs_one_runs_and_the_other_exits_at_once(replica, tmp_path):
    db_path = tmp_path / "overlap.db"
    command = crawl_command(
        replica.index_url, db_path, "-a", "mode=full", "-s", "DOWNLOAD_DELAY=0.03", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _has_run_row(db_path):
            time.sleep(0.05)
        started = time.monotonic()
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        second_seconds = time.monotonic() - started
        assert first.poll() is None, "the first run ended before the second started: nothing overlapped"
        assert second.returncode == 2
        assert second.stderr.strip().splitlines()[-1].startswith("error: another crawl is writing")
        assert "Traceback" not in second.stderr
        assert second_seconds < 15
    finally:
        _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err[-3000:]
    assert len(rows(db_path, "SELECT id FROM crawl_runs")) == 1  # the second run wrote nothing


def test_a_run_against_a_port_where_nothing_listens_fails_with_a_clear_line(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db_path = tmp_path / "unreachable.db"
    result = run_crawl(f"http://127.0.0.1:{port}/z/17257", db_path, "-s", "RETRY_TIMES=1", "-L", "ERROR")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"cannot fetch index page http://127.0.0.1:{port}/z/17257: Connection was refused" in lines[0]
    run = last_run(db_path)
    assert (run["status"], run["posts_new"]) == ("failed", 0)


def test_a_held_lock_stops_a_run_before_it_writes(replica, tmp_path):
    db_path = tmp_path / "locked.db"
    lock = RunLock(db_path).acquire()
    try:
        result = run_crawl(replica.index_url, db_path)
    finally:
        lock.release()
    assert result.returncode == 2
    assert "another crawl is writing" in result.stderr
    assert db_path.stat().st_size == 0  # the lock's empty file: nothing written


def test_an_archive_hashed_by_the_previous_version_is_unchanged_when_the_site_is(tmp_path):
    """Posts and live entries whose stored hashes are of hash version 1 (as archives had
    them before versions), crawled again in full with nothing changed on the site: no
    post updated, no revision, every hash brought to today's version."""
    import sqlite_utils

    from crawler import storage
    from crawler.storage.writes import _ENTRY_FIELDS, _ENTRY_LISTS

    db_path = tmp_path / "archive.db"
    with Replica(posts=40, seed=6, live_entries=15) as site:
        first = run_crawl(site.index_url, db_path)
        assert first.returncode == 0, first.stderr[-3000:]
        db = sqlite_utils.Database(db_path)
        with db.conn:
            for row in list(db.query("SELECT site, id FROM posts")):
                form = storage.load_stored_form(db, row["site"], row["id"])
                db.execute("UPDATE posts SET content_hash = ? WHERE site = ? AND id = ?",
                           [storage.content_hash(form, version=1), row["site"], row["id"]])
            for row in list(db.query(f"SELECT site, post_id, entry_id, {', '.join(_ENTRY_FIELDS)} FROM live_entries")):
                form = {name: json.loads(row[name]) if name in _ENTRY_LISTS else row[name] for name in _ENTRY_FIELDS}
                db.execute("UPDATE live_entries SET content_hash = ? WHERE site = ? AND post_id = ? AND entry_id = ?",
                           [storage.content_hash(form, version=1), row["site"], row["post_id"], row["entry_id"]])
        assert {r["v"] for r in db.query("SELECT substr(content_hash, 1, 2) AS v FROM posts")} != {"2:"}
        db.close()
        again = run_crawl(site.index_url, db_path, "-a", "mode=full")
    assert again.returncode == 0, again.stderr[-3000:]
    run = last_run(db_path)
    assert (run["posts_updated"], run["posts_unchanged"]) == (0, 40)
    assert rows(db_path, "SELECT count(*) AS n FROM revisions") == [{"n": 0}]
    for table in ("posts", "live_entries"):
        assert {r["v"] for r in rows(db_path, f"SELECT substr(content_hash, 1, 2) AS v FROM {table}")} == {"2:"}
