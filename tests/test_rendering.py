"""Pages that need JavaScript, rendered by a real Chromium through scrapy-playwright."""

import os
import re

import pytest

from crawler.rendering import CHROMIUM_ARGS, launch_options
from devtools.replica import Replica

from .conftest import archive_snapshot, rows, run_crawl

POSTS = 80
SEED = 21
JS_POSTS = 4


def stat(stderr: str, name: str) -> int | None:
    for line in stderr.splitlines():
        if line.strip().startswith(f"'{name}':"):
            return int(line.split(":", 1)[1].strip().rstrip(",}"))
    return None


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    with Replica(posts=POSTS, seed=SEED) as replica:
        db_path = tmp_path_factory.mktemp("plain") / "plain.db"
        result = run_crawl(replica.index_url, db_path, "-s", "LOG_SCRAPY_DUMPS=True")
        assert result.returncode == 0, result.stderr[-3000:]
        return {"snapshot": archive_snapshot(db_path, replica.base_url), "stderr": result.stderr}


@pytest.fixture(scope="module")
def js(tmp_path_factory):
    with Replica(posts=POSTS, seed=SEED, js_index=True, js_posts=JS_POSTS) as replica:
        db_path = tmp_path_factory.mktemp("js") / "js.db"
        result = run_crawl(replica.index_url, db_path, "-s", "LOG_SCRAPY_DUMPS=True", timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return {
            "db": db_path,
            "snapshot": archive_snapshot(db_path, replica.base_url),
            "stderr": result.stderr,
            "js_posts": set(replica.site.js_post_ids),
        }


def test_js_replica_crawl_stores_the_same_posts_and_fields_as_the_plain_one(plain, js):
    assert len(js["snapshot"]) == POSTS
    assert js["snapshot"] == plain["snapshot"]


def test_the_browser_rendered_only_the_pages_that_needed_it(js):
    # The index (its list and "Load more" are script) and the posts whose bodies are.
    assert stat(js["stderr"], "pangea/pages_rendered") == 1 + JS_POSTS
    assert stat(js["stderr"], "pangea/load_more_clicks") >= POSTS // 12
    run = rows(js["db"], "SELECT pages_rendered FROM crawl_runs")[0]
    assert run["pages_rendered"] == 1 + JS_POSTS


def test_browser_pages_are_used_again_at_most_two_at_once(js):
    created = stat(js["stderr"], "playwright/page_count")
    assert created == stat(js["stderr"], "playwright/context_count")  # a context per page
    # The index page is closed after its clicks; the posts go through two pages, used again.
    assert created <= 1 + 2  # the index page, then the pool's two pages for all the posts
    assert stat(js["stderr"], "pangea/browser_pages_reused") == 1 + JS_POSTS - created
    assert stat(js["stderr"], "playwright/page_count/max_concurrent") <= 2


def test_a_page_is_closed_after_its_uses_and_a_new_one_takes_over(plain, tmp_path):
    with Replica(posts=POSTS, seed=SEED, js_posts=6) as replica:
        result = run_crawl(replica.index_url, tmp_path / "recycled.db", "-s", "LOG_SCRAPY_DUMPS=True", "-s", "RENDER_PAGE_MAX_USES=2", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert stat(result.stderr, "pangea/pages_rendered") == 6
    created, reused = stat(result.stderr, "playwright/page_count"), stat(result.stderr, "pangea/browser_pages_reused")
    recycled = stat(result.stderr, "pangea/browser_pages_recycled")
    # Every post in a page, new or used again; a page used again has rendered its two
    # posts and is closed; so at least three pages for six posts.
    assert created + reused == 6
    assert recycled == reused and created >= 3
    snapshot = archive_snapshot(tmp_path / "recycled.db", replica.base_url)
    assert snapshot == plain["snapshot"]


def test_a_plain_site_never_starts_the_browser(plain):
    assert stat(plain["stderr"], "pangea/browser_started") is None
    assert stat(plain["stderr"], "pangea/pages_rendered") is None


def test_render_never_on_the_js_index_fails_and_names_the_page(tmp_path):
    with Replica(posts=30, seed=SEED, js_index=True) as replica:
        result = run_crawl(replica.index_url, tmp_path / "never.db", "-s", "LOG_SCRAPY_DUMPS=True", "-a", "render=never")
    assert result.returncode == 1
    assert f"index page {replica.index_url} lists no posts without a browser (render=never)" in result.stderr
    assert rows(tmp_path / "never.db", "SELECT count(*) AS n FROM posts")[0]["n"] == 0


def test_render_never_on_js_post_bodies_fails_and_names_the_posts(tmp_path):
    with Replica(posts=30, seed=SEED, js_posts=3) as replica:
        result = run_crawl(replica.index_url, tmp_path / "never.db", "-s", "LOG_SCRAPY_DUMPS=True", "-a", "render=never")
        js_posts = {replica.base_url + replica.site.by_id[i].path for i in replica.site.js_post_ids}
    assert result.returncode == 1
    named = set(re.findall(r"cannot fetch post (\S+): its body needs a browser \(render=never\)", result.stderr))
    assert named == js_posts
    assert rows(tmp_path / "never.db", "SELECT count(*) AS n FROM posts")[0]["n"] == 27
    assert rows(tmp_path / "never.db", "SELECT count(*) AS n FROM failures")[0]["n"] == 3


def test_render_always_renders_every_page_with_the_same_result(tmp_path):
    with Replica(posts=15, seed=SEED) as replica:
        result = run_crawl(replica.index_url, tmp_path / "always.db", "-s", "LOG_SCRAPY_DUMPS=True", "-a", "render=always", timeout=300)
        snapshot = archive_snapshot(tmp_path / "always.db", replica.base_url)
        pages = replica.site.page_count + 15
    with Replica(posts=15, seed=SEED) as replica:
        plain = run_crawl(replica.index_url, tmp_path / "plain.db", "-s", "LOG_SCRAPY_DUMPS=True")
        expected = archive_snapshot(tmp_path / "plain.db", replica.base_url)
    assert result.returncode == 0 and plain.returncode == 0, result.stderr[-3000:]
    assert stat(result.stderr, "pangea/pages_rendered") == pages
    assert snapshot == expected


def test_launch_options_use_the_system_chromium_headless_with_background_networking_off():
    options = launch_options("/usr/bin/chromium")
    assert options["executable_path"] == "/usr/bin/chromium" and options["headless"] is True
    assert "--disable-background-networking" in options["args"] and set(CHROMIUM_ARGS) <= set(options["args"])
    assert ("--no-sandbox" in options["args"]) is (os.geteuid() == 0)


def test_bad_render_value_is_refused(tmp_path):
    result = run_crawl("http://127.0.0.1:9/z/1", tmp_path / "x.db", "-a", "render=sometimes")
    assert result.returncode == 2 and result.stderr.strip().splitlines()[-1] == "error: render 'sometimes' is not one of: auto, always, never"
