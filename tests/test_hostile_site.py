"""A hostile site: no request leaves the crawled site, on any path, in any render mode;
no page is stored as another post or as a post of another site."""

import pytest

from devtools.replica import Replica

from .canary import Canary
from .conftest import rows, run_crawl

POSTS = 40
SEED = 31


@pytest.fixture(scope="module")
def canary():
    with Canary() as canary:
        yield canary


@pytest.mark.parametrize("render", ["auto", "always", "never"])
def test_the_canary_gets_no_request_whatever_the_render_mode(canary, render, tmp_path):
    with Replica(posts=POSTS, seed=SEED, canary=canary.base_url) as replica:
        hostile = dict(replica.site.hostility.posts)
        leading_away = {hostile["retry_redirect"], hostile["binary_redirect"], hostile["meta_refresh"]}
        db_path = tmp_path / "archive.db"
        before = len(canary.requests)
        for via in ("index", "feed", "sitemap"):
            result = run_crawl(replica.index_url, db_path, "-a", f"render={render}", "-a", f"via={via}", timeout=300)
            # Each run: the posts that lead elsewhere are not archived as anything, and it
            # says so (exit 1, a failed run), each listed under its own id by this run.
            assert result.returncode == 1, (via, result.stderr[-3000:])
            assert [r["status"] for r in rows(db_path, "SELECT status FROM crawl_runs ORDER BY id")][-1:] == ["failed"], via
            failed = rows(db_path, "SELECT post_id, last_failed_at FROM failures WHERE kind = 'post'")
            assert leading_away <= {row["post_id"] for row in failed}, via
            stored = {row["id"] for row in rows(db_path, "SELECT id FROM posts")}
            assert not leading_away & stored, via
    assert canary.requests[before:] == []
    sites = {row["site"] for row in rows(db_path, "SELECT DISTINCT site FROM posts")}
    assert sites == {"127.0.0.1"}
    attempts = {row["post_id"]: row["attempts"] for row in rows(db_path, "SELECT post_id, attempts FROM failures")}
    assert all(attempts[post_id] == 3 for post_id in leading_away), attempts  # asked for again by every run


def test_a_page_naming_another_post_or_site_is_stored_as_the_post_asked_for(canary, tmp_path):
    with Replica(posts=POSTS, seed=SEED, canary=canary.base_url) as replica:
        hostile = dict(replica.site.hostility.posts)
        titles = {post.id: post.title for post in replica.site.posts}
        newest = replica.site.posts[0].id  # the post the first page claims to be
        db_path = tmp_path / "archive.db"
        run_crawl(replica.index_url, db_path)
    stored = {row["id"]: row for row in rows(db_path, "SELECT id, site, title, url FROM posts")}
    for kind in ("canonical_other_post", "canonical_other_site"):
        post_id = hostile[kind]
        assert stored[post_id]["title"] == titles[post_id]
        assert stored[post_id]["url"].endswith(f"/{post_id}.html")
    # The post it claimed to be keeps its own text; no post of another site appears.
    assert stored[newest]["title"] == titles[newest]
    assert {row["site"] for row in stored.values()} == {"127.0.0.1"}
    claims = rows(db_path, "SELECT post_id, claimed_by, claimed_url FROM identity_mismatches ORDER BY post_id, claimed_by")
    by_post = {}
    for claim in claims:
        by_post.setdefault(claim["post_id"], set()).add(claim["claimed_by"])
    assert by_post[hostile["canonical_other_post"]] == {"canonical", "og:url", "json-ld url", "json-ld mainEntityOfPage"}
    assert "canonical" in by_post[hostile["canonical_other_site"]]
    assert any(claim["claimed_url"] == "http://victim.example/a/planted/555.html" for claim in claims)
    run = rows(db_path, "SELECT audit FROM crawl_runs")[0]
    assert '"pages_naming_another_post": 2' in run["audit"]


def test_a_post_nested_100000_deep_is_stored_without_a_traceback(canary, tmp_path):
    from devtools.replica.hostile import DEEP_TEXT

    with Replica(posts=POSTS, seed=SEED, canary=canary.base_url) as replica:
        post_id = replica.site.hostility.posts["deep_nest"]
        db_path = tmp_path / "archive.db"
        result = run_crawl(replica.index_url, db_path)
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    post = rows(db_path, "SELECT body_text FROM posts WHERE id = ?", [post_id])[0]
    assert post["body_text"].endswith(DEEP_TEXT)
    assert not rows(db_path, "SELECT * FROM failures WHERE post_id = ?", [post_id])
