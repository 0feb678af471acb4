"""A field suddenly missing from many posts means the site's markup changed: the run says
so in one line and fails, though every page was fetched."""

from devtools.replica import Replica

from .conftest import rows, run_crawl


def test_a_field_missing_from_most_posts_of_a_young_archive_fails_the_run(tmp_path):
    with Replica(posts=40, seed=3) as replica:
        replica.site.markup_drops.add("authors")
        db_path = tmp_path / "archive.db"
        result = run_crawl(replica.index_url, db_path, "-L", "ERROR")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "authors missing from 40 of 40 posts parsed (limit 50%): has the markup changed?" in lines[0], lines
    assert rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"] == 40
    run = rows(db_path, "SELECT status, message FROM crawl_runs")[0]
    assert run["status"] == "failed" and "authors missing" in run["message"]


def test_new_posts_lacking_a_field_the_archive_has_fail_the_run(tmp_path):
    with Replica(posts=240, seed=3) as replica:
        db_path = tmp_path / "archive.db"
        first = run_crawl(replica.index_url, db_path, "-L", "ERROR")
        assert first.returncode == 0, first.stderr[-2000:]
        # The site changes its markup; new posts come without their authors.
        replica.site.markup_drops.add("authors")
        replica.app.add_posts(6)
        second = run_crawl(replica.index_url, db_path, "-L", "ERROR")
    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "authors missing from 6 of 6 posts parsed (limit 10%)" in lines[0], lines


def test_a_field_some_posts_never_had_raises_no_alarm(tmp_path):
    # About one post in six has no tags on this replica: that is the blog, not a change.
    with Replica(posts=240, seed=3) as replica:
        db_path = tmp_path / "archive.db"
        result = run_crawl(replica.index_url, db_path, "-L", "ERROR")
        untagged = sum(1 for post in replica.site.posts if not post.tags)
    assert 0 < untagged < 240 // 2
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
