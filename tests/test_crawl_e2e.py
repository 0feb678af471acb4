"""The real ``scrapy crawl blog`` against the replica on 127.0.0.1, checked in the SQLite file."""

import json

import pytest

from devtools.replica import Replica

from .conftest import copy_archive, rows, run_crawl
from crawler.analysis import match_expression

POSTS = 300


@pytest.fixture(scope="module")
def replica():
    with Replica(posts=POSTS, seed=1) as replica:
        yield replica


@pytest.fixture(scope="module")
def crawled(replica, tmp_path_factory):
    db_path = tmp_path_factory.mktemp("e2e") / "archive.db"
    first = run_crawl(replica.index_url, db_path)
    assert first.returncode == 0, first.stderr[-3000:]
    return db_path, first


def test_every_post_of_the_blog_once_and_nothing_else(replica, crawled):
    db_path, _ = crawled
    ids = [r["id"] for r in rows(db_path, "SELECT id FROM posts")]
    assert len(ids) == POSTS
    assert set(ids) == {p.id for p in replica.site.posts}
    assert 26829775 in ids
    assert not set(ids) & {p.id for p in replica.site.others}


def test_every_post_has_the_core_fields(crawled):
    db_path, _ = crawled
    empty = rows(
        db_path,
        "SELECT id FROM posts WHERE url IS NULL OR title IS NULL OR authors IN ('[]', '') OR published_at IS NULL "
        "OR body_text IS NULL OR body_text = ''",
    )
    assert empty == []
    for row in rows(db_path, "SELECT url, published_at, authors FROM posts"):
        assert row["url"].startswith("http://127.0.0.1:") and "/a/" in row["url"]
        assert row["published_at"].endswith("+00:00") and len(row["published_at"]) == 25
        assert json.loads(row["authors"])


def test_fields_match_what_the_replica_served(replica, crawled):
    db_path, _ = crawled
    for spec in replica.site.posts[::37]:
        row = rows(db_path, "SELECT * FROM posts WHERE id = ?", [spec.id])[0]
        assert row["title"] == spec.title
        assert json.loads(row["authors"]) == [a[0] for a in spec.authors]
        assert json.loads(row["tags"]) == spec.tags
        assert row["published_at"] == spec.published.isoformat()
        assert row["lead_image_caption"] == (spec.lead_image.caption if spec.lead_image else None)
        images = rows(db_path, "SELECT * FROM images WHERE post_id = ? AND is_lead = 0", [spec.id])
        assert [i["caption"] for i in images] == [b.image.caption for b in spec.blocks if b.kind == "image"]
        embeds = rows(db_path, "SELECT url FROM embeds WHERE post_id = ?", [spec.id])
        assert [e["url"] for e in embeds] == [b.video_url for b in spec.blocks if b.kind == "video"]


def test_one_run_row(crawled):
    db_path, _ = crawled
    runs = rows(db_path, "SELECT * FROM crawl_runs")
    assert len(runs) == 1
    run = runs[0]
    assert run["status"] == "finished" and run["posts_new"] == POSTS and run["finished_at"] >= run["started_at"]
    assert run["pages_fetched"] > POSTS


def test_full_text_search_finds_the_seed_post(crawled):
    db_path, _ = crawled
    found = rows(
        db_path,
        "SELECT posts.id FROM posts_fts JOIN posts ON posts.rowid = posts_fts.rowid WHERE posts_fts MATCH ?",
        [match_expression("Zharylgasov")],
    )
    assert [r["id"] for r in found] == [26829775]


def test_the_find_command_lists_what_the_search_finds(crawled, tmp_path):
    import subprocess
    import sys

    from .conftest import ROOT

    db_path, _ = crawled

    def find(*arguments):
        return subprocess.run([sys.executable, "-m", "crawler.find", *map(str, arguments)], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)

    done = find(db_path, "zharylgasov")
    assert done.returncode == 0 and done.stderr == ""
    [line] = done.stdout.splitlines()
    post_id, published, title, url = line.split("\t")
    assert int(post_id) == 26829775 and url.endswith("/26829775.html") and published.startswith("2015-")
    import re

    holding = {r["id"] for r in rows(db_path, "SELECT id, title, body_text FROM posts")
               if re.search(r"\bislamic\s+states?\b", f"{r['title']}\n{r['body_text']}", re.IGNORECASE)}
    listed = {int(line.split("\t")[0]) for line in find(db_path, 'fts:"islamic state"', "--limit", 1000).stdout.splitlines()}
    assert holding and listed == holding
    missing = find(tmp_path / "none.db", "x")
    assert missing.returncode == 2 and missing.stderr.strip() == f"error: no archive at {tmp_path / 'none.db'}"


def test_summary_line_at_the_end(crawled):
    _, result = crawled
    assert f"posts {POSTS} new, 0 updated, 0 unchanged, 0 removed" in result.stderr


def test_the_same_crawl_again_adds_no_row(replica, crawled, tmp_path):
    # On a copy: the shared archive stays as the first run left it, for the other tests.
    db_path = copy_archive(crawled[0], tmp_path / "again.db")
    again = run_crawl(replica.index_url, db_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"] == POSTS
    runs = rows(db_path, "SELECT * FROM crawl_runs ORDER BY id")
    assert len(runs) == 2
    # Incremental (the default): robots.txt, the first index page and the feed it is
    # checked against, nothing else.
    assert (runs[1]["mode"], runs[1]["requests"], runs[1]["posts_new"], runs[1]["posts_updated"]) == ("incremental", 3, 0, 0)
    assert (runs[1]["index_walk"], runs[1]["posts_missed_by_index"]) == ("stopped", 0)


def test_a_full_run_fetches_every_post_again_and_changes_nothing(replica, crawled, tmp_path):
    db_path = copy_archive(crawled[0], tmp_path / "full.db")
    full = run_crawl(replica.index_url, db_path, "-a", "mode=full")
    assert full.returncode == 0, full.stderr[-3000:]
    last = rows(db_path, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    assert (last["mode"], last["posts_new"], last["posts_updated"], last["posts_unchanged"]) == ("full", 0, 0, POSTS)
    assert rows(db_path, "SELECT count(*) AS n FROM revisions")[0]["n"] == 0


def test_every_column_and_table_is_filled_where_the_post_has_it(replica, crawled):
    db_path, _ = crawled
    specs = replica.site.posts
    null_columns = rows(
        db_path,
        "SELECT count(*) AS n FROM posts WHERE description IS NULL OR section IS NULL OR zone IS NULL OR language IS NULL "
        "OR word_count < 1 OR body_html = '' OR content_hash IS NULL OR blog_zone IS NULL OR updated_at IS NULL",
    )
    assert null_columns[0]["n"] == 0

    def count(sql):
        return rows(db_path, sql)[0]["n"]

    assert count("SELECT count(*) AS n FROM posts WHERE dateline IS NOT NULL") == sum(1 for p in specs if p.dateline)
    assert count("SELECT count(*) AS n FROM posts WHERE lead_image_url IS NOT NULL") == sum(1 for p in specs if p.lead_image)
    assert count("SELECT count(*) AS n FROM images") == sum(
        (1 if p.lead_image else 0) + sum(1 for b in p.blocks if b.kind == "image") for p in specs
    )
    assert count("SELECT count(*) AS n FROM embeds") == sum(1 for p in specs for b in p.blocks if b.kind == "video")
    assert count("SELECT count(*) AS n FROM links") == sum(p.blocks and sum(b.html.count("<a ") for b in p.blocks) for p in specs)
    assert count("SELECT count(*) AS n FROM post_authors") == sum(len(p.authors) for p in specs)
    assert count("SELECT count(*) AS n FROM post_tags") == sum(len(p.tags) for p in specs)
    assert count("SELECT count(*) AS n FROM posts WHERE tags = '[]'") == sum(1 for p in specs if not p.tags)
    run = rows(db_path, "SELECT fields_missing FROM crawl_runs ORDER BY id LIMIT 1")[0]
    assert json.loads(run["fields_missing"]) == {"tags": sum(1 for p in specs if not p.tags)}


def test_the_demo_twice_keeps_one_row_per_post_whatever_the_port(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    from .conftest import ROOT

    def free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]

    db_path = tmp_path / "demo.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # The second run on another port (the first one taken): the same archive, not a second copy.
    outputs = [
        subprocess.run([sys.executable, "-m", "devtools.demo", "--posts", "40", "--db", str(db_path), "--port", str(free_port())],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
        for _ in range(2)
    ]
    for output in outputs:
        assert output.returncode == 0, output.stderr[-2000:]
        assert f"archive: {db_path} — 40 posts" in output.stdout
    assert "live blog entries 60" in outputs[0].stdout
    assert "last run: #2 finished" in outputs[1].stdout and "0 new" in outputs[1].stdout
    assert rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"] == 40
