"""A failure belongs to the post: whatever URL a post redirected to, it ends stored or
listed under its own id, and the next run asks for its own URL."""

from devtools.replica import Replica
from devtools.replica.content import MERGED_STORY_PATH

from .conftest import rows, run_crawl

QUICK_RETRIES = ("-s", "RETRY_TIMES=1", "-s", "RETRY_BACKOFF_BASE=0.1")


def test_two_posts_redirected_to_one_failing_url_are_both_failures_of_their_own(tmp_path):
    db_path = tmp_path / "blog.db"
    with Replica(posts=30, seed=4, merged_posts=2) as replica:
        merged = sorted(replica.site.merged_ids)
        assert len(merged) == 2
        own = {p.id: p.path for p in replica.site.posts if p.id in merged}
        first = run_crawl(replica.index_url, db_path, *QUICK_RETRIES)
        assert first.returncode == 1, first.stderr[-3000:]
        failures = rows(db_path, "SELECT post_id, kind, url, led_to, last_error FROM failures ORDER BY post_id")
        assert [f["post_id"] for f in failures] == merged
        for failure in failures:
            assert failure["kind"] == "post"
            assert failure["url"] == replica.base_url + own[failure["post_id"]]  # asked for: its own URL
            assert failure["led_to"] == replica.base_url + MERGED_STORY_PATH  # where it went, apart
        stored = {r["id"] for r in rows(db_path, "SELECT id FROM posts")}
        assert stored == {p.id for p in replica.site.posts} - set(merged)
        for post_id in merged:
            assert f"cannot fetch post {replica.base_url}{own[post_id]} (redirected to" in first.stderr
        asked_before = {post_id: replica.app.hits[f"{path}?"] for post_id, path in own.items()}
        assert asked_before == {post_id: 1 for post_id in merged}
        # The next run asks for each post's own URL again, not for where it led.
        second = run_crawl(replica.index_url, db_path, *QUICK_RETRIES)
        assert second.returncode == 1, second.stderr[-3000:]
        assert {post_id: replica.app.hits[f"{path}?"] for post_id, path in own.items()} == {post_id: 2 for post_id in merged}
        [run] = rows(db_path, "SELECT failures_left FROM crawl_runs ORDER BY id DESC LIMIT 1")
        assert run["failures_left"] == 2
        assert [r["post_id"] for r in rows(db_path, "SELECT post_id FROM failures ORDER BY post_id")] == merged
