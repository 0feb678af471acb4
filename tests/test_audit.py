"""The run's audit: every signal a site gives, and an exit status that says whether the
archive is whole.

- posts the index hides and the blog's feed lists are fetched in the same run, counted
  in ``crawl_runs``, and the run succeeds with one warning line;
- an index whose "Load more" cannot be finished, even in the browser, fails the run with
  one line and is not marked walked to its end.
"""

import json

from devtools.replica import Replica

from .conftest import rows, run_crawl

POSTS = 60
SEED = 23


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "WARNING" in line or "ERROR" in line]


def test_posts_the_index_hides_are_found_through_the_feed_and_counted(tmp_path):
    hidden = 3
    with Replica(posts=POSTS, seed=SEED, hidden_from_index=hidden) as replica:
        hidden_ids = set(replica.site.hidden_ids)
        db_path = tmp_path / "archive.db"
        result = run_crawl(replica.index_url, db_path, "-L", "WARNING")
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {row["id"] for row in rows(db_path, "SELECT id FROM posts")}
    assert len(stored) == POSTS and hidden_ids <= stored
    run = rows(db_path, "SELECT * FROM crawl_runs")[0]
    assert (run["status"], run["index_walk"], run["posts_missed_by_index"]) == ("finished", "end", hidden)
    audit = json.loads(run["audit"])
    assert audit["posts_missed_by_index"] == hidden and audit["feed_posts"] == 20
    assert "3 posts of the feed were missed by the index walk" in run["message"]
    lines = warning_lines(result.stderr)
    assert len(lines) == 1 and "audit: 3 posts of the feed were missed by the index walk and fetched" in lines[0], lines


def test_a_whole_index_gives_no_warning_and_the_feed_costs_one_request(tmp_path):
    with Replica(posts=POSTS, seed=SEED) as replica:
        db_path = tmp_path / "archive.db"
        first = run_crawl(replica.index_url, db_path, "-L", "WARNING")
        feed_hits_before = replica.app.hits["/api/z17257/rss.xml?"]
        second = run_crawl(replica.index_url, db_path, "-L", "WARNING")
        feed_hits = replica.app.hits["/api/z17257/rss.xml?"] - feed_hits_before
    assert first.returncode == 0 and second.returncode == 0, (first.stderr[-2000:], second.stderr[-2000:])
    assert warning_lines(first.stderr) == [] and warning_lines(second.stderr) == []
    runs = rows(db_path, "SELECT * FROM crawl_runs ORDER BY id")
    assert [r["posts_missed_by_index"] for r in runs] == [0, 0]
    assert [r["index_walk"] for r in runs] == ["end", "stopped"]
    assert feed_hits == 1 and runs[1]["requests"] == 3  # robots.txt, the first index page, the feed


def test_an_index_that_cannot_be_finished_even_in_a_browser_fails_the_run(tmp_path):
    with Replica(posts=POSTS, seed=SEED, dress="articles", stuck_load_more=True) as replica:
        db_path = tmp_path / "archive.db"
        result = run_crawl(replica.index_url, db_path, "-L", "ERROR", "-s", "LOAD_MORE_WAIT_SECONDS=2", timeout=300)
        first_page = {p.id for p in replica.site.index_page(0)} | {p.id for p in replica.site.index_page(1)}
    assert result.returncode == 1, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "the index is not complete: a click of 'Load more' brought nothing" in lines[0]
    run = rows(db_path, "SELECT * FROM crawl_runs")[0]
    assert (run["status"], run["index_walk"]) == ("failed", "not_finished")
    assert rows(db_path, "SELECT index_complete_at FROM blogs")[0]["index_complete_at"] is None
    # What the two loaded pages listed is kept; the rest is left for the next run, which
    # walks the index again instead of stopping early.
    stored = {row["id"] for row in rows(db_path, "SELECT id FROM posts")}
    assert first_page <= stored and len(stored) < POSTS
    assert rows(db_path, "SELECT count(*) AS n FROM failures WHERE kind = 'index'")[0]["n"] == 1


def test_a_script_only_load_more_without_a_browser_fails_the_run(tmp_path):
    with Replica(posts=POSTS, seed=SEED, dress="articles") as replica:
        db_path = tmp_path / "archive.db"
        result = run_crawl(replica.index_url, db_path, "-L", "ERROR", "-a", "render=never")
    assert result.returncode == 1, result.stderr[-3000:]
    run = rows(db_path, "SELECT * FROM crawl_runs")[0]
    assert (run["status"], run["index_walk"]) == ("failed", "not_finished")
    assert rows(db_path, "SELECT index_complete_at FROM blogs")[0]["index_complete_at"] is None


def test_programme_pages_are_stored_with_their_recording_and_no_browser_trip(tmp_path):
    from devtools.replica.pages import audio_url

    with Replica(posts=POSTS, seed=SEED, audio_posts=3) as replica:
        programmes = {post_id: audio_url(replica.site.by_id[post_id]) for post_id in replica.site.audio_post_ids}
        db_path = tmp_path / "archive.db"
        result = run_crawl(replica.index_url, db_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(programmes) == 3
    run = rows(db_path, "SELECT * FROM crawl_runs")[0]
    assert run["pages_rendered"] == 0
    for post_id, url in programmes.items():
        post = rows(db_path, "SELECT body_text, title FROM posts WHERE id = ?", [post_id])[0]
        assert post["body_text"] == "" and post["title"]
        embeds = rows(db_path, "SELECT kind, url FROM embeds WHERE post_id = ?", [post_id])
        assert embeds == [{"kind": "audio", "url": url}]
