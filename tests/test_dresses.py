"""The replica in every dress: the same content in other Pangea markup gives the same archive.

A dress changes how the pages are written (list containers, "Load more" forms, live blog
entry containers, JSON-LD whole, partial or in other forms, embed forms), never what
they say. Each is crawled by a real ``scrapy crawl`` and compared, table by table, with
the default dress's archive.
"""

import re

import pytest

from devtools.replica import Replica
from devtools.replica.dresses import DRESSES

from .conftest import archive_snapshot, rows, run_crawl

POSTS = 60
SEED = 17
LIVE_ENTRIES = 25


def entries_snapshot(db_path, base_url: str) -> dict:
    snapshot = {}
    for row in rows(db_path, "SELECT * FROM live_entries ORDER BY entry_id"):
        row = {k: v for k, v in row.items() if k not in ("site", "first_seen_at", "last_seen_at", "content_hash")}
        for key in ("url", "links", "images", "body_html"):
            row[key] = (row[key] or "").replace(base_url, "BASE")
        row["body_html"] = re.sub(r"\s*(<[^>]+>)\s*", r"\1", row["body_html"])
        snapshot[row["entry_id"]] = row
    return snapshot


def crawl_dress(name: str, tmp_path_factory) -> dict:
    with Replica(posts=POSTS, seed=SEED, dress=name, live_entries=LIVE_ENTRIES) as replica:
        db_path = tmp_path_factory.mktemp(name) / "archive.db"
        result = run_crawl(replica.index_url, db_path, timeout=300)
        return {
            "result": result,
            "posts": archive_snapshot(db_path, replica.base_url),
            "entries": entries_snapshot(db_path, replica.base_url),
            "run": rows(db_path, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0],
        }


@pytest.fixture(scope="module")
def default_archive(tmp_path_factory):
    crawled = crawl_dress("default", tmp_path_factory)
    assert crawled["result"].returncode == 0, crawled["result"].stderr[-3000:]
    return crawled


@pytest.mark.parametrize("dress", [name for name in DRESSES if name != "default"])
def test_every_dress_gives_the_default_dress_archive(dress, default_archive, tmp_path_factory):
    crawled = crawl_dress(dress, tmp_path_factory)
    assert crawled["result"].returncode == 0, crawled["result"].stderr[-3000:]
    assert len(crawled["posts"]) == POSTS
    assert len(crawled["entries"]) == LIVE_ENTRIES
    for post_id, expected in default_archive["posts"].items():
        assert crawled["posts"][post_id] == expected, f"post {post_id} differs in dress {dress}"
    assert crawled["entries"] == default_archive["entries"]
    run = crawled["run"]
    assert (run["status"], run["index_walk"], run["posts_missed_by_index"]) == ("finished", "end", 0)


def test_the_default_archive_is_whole(default_archive):
    assert len(default_archive["posts"]) == POSTS
    assert len(default_archive["entries"]) == LIVE_ENTRIES
    assert default_archive["run"]["index_walk"] == "end"
