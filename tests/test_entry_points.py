"""Beyond one index: the feed and the sitemap as entry points, and several sites in one archive."""

import pytest

from devtools.replica import Replica
from devtools.replica.content import SECOND_ZONE
from crawler.urls import site_key

from .conftest import archive_snapshot, rows, run_crawl
from crawler.analysis import match_expression

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


def test_two_blogs_of_two_hosts_in_one_archive_each_post_with_its_site_and_blogs(tmp_path):
    db_path = tmp_path / "two-sites.db"
    # The same seed on two hosts: the same ids on both, which must stay two posts each.
    # The first host serves a second blog too, which lists some posts of the first.
    with Replica(posts=30, seed=9, second_blog=True) as first, Replica(posts=30, seed=9, host="127.0.0.2") as second:
        for index_url in (first.index_url, first.base_url + f"/z/{SECOND_ZONE}", second.index_url):
            result = run_crawl(index_url, db_path)
            assert result.returncode == 0, result.stderr[-3000:]
        site_a, site_b = site_key(first.base_url), site_key(second.base_url)
        expected_blogs = {}
        for post in first.site.posts:
            expected_blogs[(site_a, post.id)] = {(site_a, 17257)}
        for post in first.site.second_posts:
            expected_blogs.setdefault((site_a, post.id), set()).add((site_a, SECOND_ZONE))
        for post in second.site.posts:
            expected_blogs[(site_b, post.id)] = {(site_b, 17257)}
        bases = {site_a: first.base_url, site_b: second.base_url}
    stored = rows(db_path, "SELECT site, id, url FROM posts")
    assert {(r["site"], r["id"]) for r in stored} == set(expected_blogs)
    assert all(r["url"].startswith(bases[r["site"]]) for r in stored)
    memberships = {}
    for row in rows(db_path, "SELECT site, post_id, blog_site, zone FROM post_blogs"):
        memberships.setdefault((row["site"], row["post_id"]), set()).add((row["blog_site"], row["zone"]))
    assert memberships == expected_blogs
    assert any(len(blogs) == 2 for blogs in memberships.values())  # a post listed in two blogs belongs to both
    blogs = rows(db_path, "SELECT site, zone, title FROM blogs ORDER BY site, zone")
    assert [(b["site"], b["zone"], b["title"]) for b in blogs] == sorted(
        [(site_a, 17257, "Under The Black Flag"), (site_a, SECOND_ZONE, "Steppe Notes"), (site_b, 17257, "Under The Black Flag")]
    )
    assert rows(db_path, "SELECT count(*) AS n FROM posts_fts WHERE posts_fts MATCH ?", [match_expression("Zharylgasov")])[0]["n"] == 2
