"""Every run ends, and says why: an index that never ends, pages that cycle, a sitemap
index of 100,000 sitemaps, a time budget. Each run ends by itself with exit 1 and one
line; what it stored is kept; the index walk is not marked as ended."""

import re
import time

import pytest

from devtools.replica import Replica
from devtools.replica.content import ENDLESS_IDS, PAGE_SIZE

from .conftest import rows, run_crawl


def last_run(db_path):
    return rows(db_path, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]


def index_hits(replica) -> int:
    return sum(n for key, n in replica.app.hits.items() if key.startswith("/z/"))


def test_an_index_that_never_ends_stops_at_its_page_limit(tmp_path):
    db_path = tmp_path / "endless.db"
    with Replica(posts=30, seed=9, endless_index="new") as replica:
        result = run_crawl(replica.index_url, db_path, "-s", "MAX_INDEX_PAGES_PER_BLOG=6", timeout=120)
        read = index_hits(replica)
    assert result.returncode == 1, result.stderr[-3000:]
    said = [line for line in result.stderr.splitlines() if "limit of 6 index pages read per blog in one run (MAX_INDEX_PAGES_PER_BLOG)" in line]
    assert len(said) == 1, result.stderr[-3000:]
    assert read == 6
    run = last_run(db_path)
    assert (run["status"], run["index_walk"]) == ("failed", "not_finished")
    stored = rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"]
    assert stored == run["posts_new"] > 30  # the real posts and the endless ones of the pages read: kept
    assert rows(db_path, "SELECT index_complete_at FROM blogs") == [{"index_complete_at": None}]


def test_new_posts_per_run_have_a_limit_too(tmp_path):
    db_path = tmp_path / "endless.db"
    with Replica(posts=30, seed=9, endless_index="new") as replica:
        result = run_crawl(replica.index_url, db_path, "-s", "MAX_NEW_POSTS_PER_BLOG=50", timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "limit of 50 new posts asked for per blog in one run (MAX_NEW_POSTS_PER_BLOG)" in result.stderr
    assert rows(db_path, "SELECT count(*) AS n FROM posts") == [{"n": 50}]
    assert last_run(db_path)["index_walk"] == "not_finished"


def test_a_script_load_more_that_brings_the_same_posts_again_is_a_cycle(tmp_path):
    db_path = tmp_path / "cycle.db"
    with Replica(posts=50, seed=9, endless_index="cycle", dress="articles") as replica:
        result = run_crawl(replica.index_url, db_path, timeout=300)
        fragments = sum(n for key, n in replica.app.hits.items() if "ajax=1" in key)
    assert result.returncode == 1, result.stderr[-3000:]
    [line] = [line for line in result.stderr.splitlines() if "the index cycles" in line]
    assert "a click of 'Load more' brought only posts listed before" in line
    assert fragments <= replica.site.page_count + 1  # the clicks stop when the list comes round
    assert rows(db_path, "SELECT count(*) AS n FROM posts") == [{"n": 50}]
    assert last_run(db_path)["index_walk"] == "not_finished"


@pytest.mark.parametrize("render", ["auto", "always"])
def test_an_index_whose_pages_cycle_is_not_walked_to_an_end(tmp_path, render):
    db_path = tmp_path / "cycle.db"
    with Replica(posts=50, seed=9, endless_index="cycle") as replica:
        pages = replica.site.page_count
        started = time.monotonic()
        result = run_crawl(replica.index_url, db_path, "-a", f"render={render}", timeout=300)
        read = index_hits(replica)
    assert result.returncode == 1, result.stderr[-3000:]
    [line] = [line for line in result.stderr.splitlines() if "the index cycles" in line]
    assert re.search(rf"index page \S+\?p={pages} lists the same posts as \S+/z/17257, read before in this walk", line), line
    assert read == pages + 1  # every page once, and the first that came round again
    assert rows(db_path, "SELECT count(*) AS n FROM posts") == [{"n": 50}]  # every post stored, once
    run = last_run(db_path)
    assert (run["status"], run["index_walk"]) == ("failed", "not_finished")
    assert "the index cycles" in run["message"] and time.monotonic() - started < 300


def test_a_sitemap_index_of_100000_sitemaps_is_read_to_the_runs_limit(tmp_path):
    db_path = tmp_path / "sitemaps.db"
    with Replica(posts=30, seed=9, sitemaps_listed=100_000) as replica:
        result = run_crawl(replica.index_url, db_path, "-a", "via=sitemap", "-s", "MAX_SITEMAPS=40", timeout=120)
        asked = sum(n for key, n in replica.app.hits.items() if key.startswith("/sitemap_rferl_"))
    assert result.returncode == 1, result.stderr[-3000:]
    assert asked <= 40
    assert "the site's sitemaps were read up to the run's limit of 40 sitemaps read in one run (MAX_SITEMAPS)" in last_run(db_path)["message"]
    assert rows(db_path, "SELECT count(*) AS n FROM posts") == [{"n": 30}]  # the real sitemaps come first: every post


def test_a_run_ends_within_its_time_budget(tmp_path):
    db_path = tmp_path / "budget.db"
    with Replica(posts=30, seed=9, endless_index="new") as replica:
        started = time.monotonic()
        result = run_crawl(replica.index_url, db_path, "-s", "RUN_BUDGET_SECONDS=4", "-s", "DOWNLOAD_DELAY=0.05", timeout=120)
        took = time.monotonic() - started
    assert result.returncode == 1, result.stderr[-3000:]
    run = last_run(db_path)
    assert run["finish_reason"] == "closespider_timeout" and "time budget of 4 s (RUN_BUDGET_SECONDS)" in run["message"]
    assert run["index_walk"] == "not_finished" and run["posts_new"] > 0
    assert took < 60


@pytest.mark.parametrize("value", ["0", "-3", "nan", "1.5", "many"])
def test_a_limit_that_is_no_number_is_one_line(tmp_path, value):
    result = run_crawl("http://127.0.0.1:9/z/17257", tmp_path / "x.db", "-s", f"MAX_INDEX_PAGES_PER_BLOG={value}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: MAX_INDEX_PAGES_PER_BLOG {value!r} is not a whole number from 1 (the most index pages read per blog in one run)"
    ]
    assert not (tmp_path / "x.db").exists()


def test_a_run_refused_by_the_lock_alerts_when_asked_and_says_when_the_holder_looks_hung(tmp_path):
    import sqlite3

    from crawler.storage import RunLock

    from .test_many_blogs import webhook

    db_path = tmp_path / "held.db"
    with Replica(posts=5, seed=2) as replica:
        assert run_crawl(replica.index_url, db_path).returncode == 0
        lock = RunLock(db_path).acquire()  # as a running crawl holds it
        try:
            with webhook() as (hook, received):
                # A crawl that started a minute ago: refused, and with ALERT_ON=always, posted.
                with sqlite3.connect(db_path) as conn:
                    conn.execute("UPDATE crawl_runs SET status = 'running', started_at = datetime('now', '-60 seconds') || '+00:00'")
                always = run_crawl(replica.index_url, db_path, "-s", f"ALERT_WEBHOOK_URL={hook}", "-s", "ALERT_ON=always")
                assert always.returncode == 2
                assert always.stderr.strip() == f"error: another crawl is writing {db_path}; this run stops here"
                assert [(r["status"], r["finish_reason"]) for r in received] == [("refused", "locked")]
                # The default (failed runs only): a refusal alone is not posted...
                quiet = run_crawl(replica.index_url, db_path, "-s", f"ALERT_WEBHOOK_URL={hook}")
                assert quiet.returncode == 2 and len(received) == 1
                # ...but a holder past a run's budget is: it may be hung.
                hung = run_crawl(replica.index_url, db_path, "-s", f"ALERT_WEBHOOK_URL={hook}", "-s", "RUN_BUDGET_SECONDS=30")
                [line] = hung.stderr.strip().splitlines()
                assert hung.returncode == 2 and "longer than a run's budget of 30 s (RUN_BUDGET_SECONDS): it may be hung" in line
                assert len(received) == 2 and "may be hung" in received[1]["text"]
        finally:
            lock.release()
