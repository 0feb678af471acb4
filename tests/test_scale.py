"""A run over an archive of tens of thousands of posts reads what it needs by key: SQLite's
own query plans of every statement the run executes show no scan of ``posts``,
``captures`` or ``post_blogs``."""

import os
import subprocess
from datetime import datetime, timedelta, timezone

from devtools.grow import grow
from devtools.replica import Replica
from devtools.replica_settings import crawl_command

from . import sqltrace
from .conftest import ROOT, rows

POSTS, GROWN = 120, 30_000
WHOLE_TABLES = ("posts", "captures", "post_blogs")


def traced_crawl(trace, *arguments):
    command = crawl_command(*arguments)
    assert command[1:3] == ["-m", "scrapy"]
    command = [command[0], "-m", "tests.sqltrace", str(trace), *command[2:]]  # python -m tests.sqltrace TRACE scrapy crawl ...
    return subprocess.run(command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                          timeout=300)


def test_a_run_over_a_large_archive_reads_no_table_whole(tmp_path):
    db_path = tmp_path / "archive.db"
    with Replica(posts=POSTS, seed=5, latest=datetime.now(timezone.utc) - timedelta(hours=1)) as replica:
        fifth = replica.site.posts[4].published
        window = f"recheck_days={(datetime.now(timezone.utc) - fifth).total_seconds() / 86400 + 0.5}"
        first = subprocess.run(crawl_command(replica.index_url, db_path, "-a", window), cwd=ROOT, capture_output=True, text=True,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
        assert first.returncode == 0, first.stderr[-3000:]
        assert grow(db_path, GROWN, log=lambda line: None)["posts"] == GROWN
        # The site moves on: new posts, edits, a deletion; the run finds each.
        newest = [p.id for p in replica.site.posts[:5]]
        added = replica.app.add_posts(7)
        for post_id in newest[1:3]:
            replica.app.edit_post(post_id)
        replica.app.delete_post(newest[3])
        trace = tmp_path / "trace.sql"
        result = traced_crawl(trace, replica.index_url, db_path, "-a", window)
    assert result.returncode == 0, result.stderr[-3000:]
    run = rows(db_path, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    assert (run["posts_new"], run["posts_updated"], run["posts_removed"]) == (7, 2, 1)
    assert rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"] == GROWN + len(added)
    statements = sqltrace.read_trace(trace)
    assert len(statements) > 100 and any("FROM posts" in s for s in statements)
    assert sqltrace.full_scans(str(db_path), statements, WHOLE_TABLES) == {}


def test_the_trace_sees_a_statement_that_reads_a_table_whole(tmp_path):
    """The check itself: a statement that reads every post is found, through an alias too."""
    from crawler import storage

    db_path = tmp_path / "a.db"
    storage.open_db(db_path).close()
    found = sqltrace.full_scans(str(db_path), [
        "SELECT count(*) FROM posts",
        "SELECT p.id FROM post_blogs b JOIN posts p ON p.site = b.site AND p.id = b.post_id WHERE b.zone = 1",
        "SELECT id FROM posts WHERE site = 'x' AND id IN (1, 2)",
        "SELECT record_id FROM captures WHERE url = 'u' AND warc_type = 'response' AND status = 200 ORDER BY fetched_at DESC LIMIT 1",
    ], WHOLE_TABLES)
    assert sorted(found) == [
        "SELECT count(*) FROM posts",
        "SELECT p.id FROM post_blogs b JOIN posts p ON p.site = b.site AND p.id = b.post_id WHERE b.zone = 1",
    ]


def test_a_run_that_remembers_past_its_bound_archives_what_one_holding_all_in_memory_does(tmp_path):
    """``RUN_KEYS_IN_MEMORY=3``: every set and mapping of the run moves to its temporary
    file within the first index page. The full crawl, the incremental run after the site
    changed (its stop rule, recheck window, a deletion) and the re-extraction of the WARC
    files archive and ask for exactly what the same runs holding everything in memory do."""
    from .conftest import archive_snapshot

    spill = ("-s", "RUN_KEYS_IN_MEMORY=3")
    held, spilled = tmp_path / "held.db", tmp_path / "spilled.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def crawl(*arguments):
        done = subprocess.run(crawl_command(*arguments), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stderr

    def last_run(db_path):
        run = rows(db_path, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
        return {k: run[k] for k in ("status", "requests", "index_pages", "posts_new", "posts_updated", "posts_unchanged",
                                    "posts_removed")}

    with Replica(posts=70, seed=13, latest=datetime.now(timezone.utc) - timedelta(hours=1)) as replica:
        tenth = replica.site.posts[9].published
        window = f"recheck_days={(datetime.now(timezone.utc) - tenth).total_seconds() / 86400 + 0.5}"
        assert "temporary file" not in crawl(replica.index_url, held, "-a", window)
        said = crawl(replica.index_url, spilled, "-a", window, *spill)
        assert "the run met more than 3 posts: what it remembers of them is held in its temporary file" in said
        assert last_run(spilled) == last_run(held) and last_run(held)["posts_new"] == 70
        newest = [p.id for p in replica.site.posts[:6]]
        replica.app.add_posts(4)
        replica.app.edit_post(newest[1])
        replica.app.delete_post(newest[2])
        crawl(replica.index_url, held, "-a", window)
        crawl(replica.index_url, spilled, "-a", window, *spill)
        assert last_run(spilled) == last_run(held)
        assert (last_run(held)["posts_new"], last_run(held)["posts_updated"], last_run(held)["posts_removed"]) == (4, 1, 1)
        expected = archive_snapshot(held, replica.base_url)
        assert archive_snapshot(spilled, replica.base_url) == expected and len(expected) == 74
        listings = "SELECT site, post_id, blog_site, zone FROM post_blogs ORDER BY 1, 2, 3, 4"
        assert rows(spilled, listings) == rows(held, listings)
        rebuilt = tmp_path / "rebuilt.db"
        crawl(replica.index_url, rebuilt, "-a", "mode=reextract", "-a", f"warc={spilled}.warc", *spill)
    assert archive_snapshot(rebuilt, replica.base_url) == expected
    assert rows(rebuilt, listings) == rows(held, listings)


def test_a_bound_of_the_run_memory_that_is_no_whole_number_is_one_line(tmp_path):
    for value in ("0", "-1", "1.5", "lots"):
        db_path = tmp_path / "x.db"
        done = subprocess.run(crawl_command("http://127.0.0.1:9/z/17257", db_path, "-s", f"RUN_KEYS_IN_MEMORY={value}"),
                              cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            f"error: RUN_KEYS_IN_MEMORY {value!r} is not a whole number from 1 (keys a set holds in memory)"
        ]
        assert not db_path.exists()
