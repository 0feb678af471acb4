"""Beyond one index: the feed and the sitemap as entry points, and several sites in one archive."""

import pytest

from crawler.replica import Replica
from crawler.urls import site_key

from .conftest import archive_snapshot, rows, run_crawl

POSTS = 60


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("via")
    with Replica(posts=POSTS, seed=8) as replica:
        results = {}
        for via in ("index", "feed", "sitemap"):
            db_path = folder / f"{via}.db"
            result = run_crawl(replica.index_url, db_path, "-a", f"via={via}")
            assert result.returncode == 0, result.stderr[-3000:]
            run = rows(db_path, "SELECT requests FROM crawl_runs")[0]
            results[via] = {"snapshot": archive_snapshot(db_path, replica.base_url), "requests": run["requests"], "db": db_path}
        results["newest"] = [p.id for p in replica.site.posts[:20]]
        results["others"] = {p.id for p in replica.site.others}
        return results


def test_a_feed_run_fetches_the_newest_posts_as_an_index_run_stores_them(runs):
    feed, index = runs["feed"]["snapshot"], runs["index"]["snapshot"]
    assert sorted(feed) == sorted(runs["newest"])
    assert all(feed[post_id] == index[post_id] for post_id in feed)
    # robots.txt, the index page (for the feed's address), the feed, and the posts.
    assert runs["feed"]["requests"] == 3 + len(runs["newest"])


def test_a_sitemap_run_agrees_with_an_index_run(runs):
    sitemap, index = runs["sitemap"]["snapshot"], runs["index"]["snapshot"]
    assert sitemap == index
    assert not set(sitemap) & runs["others"]  # the sitemap lists other sections too; they are left out


def test_bad_via_is_refused(tmp_path):
    result = run_crawl("http://127.0.0.1:9/z/1", tmp_path / "x.db", "-a", "via=telepathy")
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1] == "error: via 'telepathy' is not one of: index, feed, sitemap"


def test_two_sites_in_one_archive_each_post_with_its_site_and_blog(tmp_path):
    db_path = tmp_path / "two-sites.db"
    # The same seed on two hosts: the same ids on both, which must stay two posts each.
    with Replica(posts=30, seed=9) as first, Replica(posts=30, seed=9) as second:
        for replica in (first, second):
            result = run_crawl(replica.index_url, db_path)
            assert result.returncode == 0, result.stderr[-3000:]
        sites = {site_key(first.base_url): first, site_key(second.base_url): second}
    stored = rows(db_path, "SELECT site, id, url, blog_site, blog_zone FROM posts")
    assert len(stored) == 60
    for site, replica in sites.items():
        mine = [r for r in stored if r["site"] == site]
        assert {r["id"] for r in mine} == {p.id for p in replica.site.posts}
        assert all(r["url"].startswith(replica.base_url) and (r["blog_site"], r["blog_zone"]) == (site, 17257) for r in mine)
    blogs = rows(db_path, "SELECT site, zone, title, index_complete_at FROM blogs ORDER BY site")
    assert [(b["site"], b["zone"], b["title"]) for b in blogs] == [(s, 17257, "Under The Black Flag") for s in sorted(sites)]
    members = rows(db_path, "SELECT blog_site, count(*) AS n FROM post_blogs GROUP BY blog_site ORDER BY blog_site")
    assert [(m["blog_site"], m["n"]) for m in members] == [(s, 30) for s in sorted(sites)]
    assert rows(db_path, "SELECT count(*) AS n FROM posts_fts WHERE posts_fts MATCH 'Zharylgasov'")[0]["n"] == 2
