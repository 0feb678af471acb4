"""The spider's callbacks in-process, with Scrapy's own test helpers (``get_crawler``,
``HtmlResponse``): the index walk, the live blog walk and the failure paths, in seconds.
The pages are the replica's, rendered without a server."""

from __future__ import annotations

import pytest
import scrapy
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.audit import audit_run
from crawler.items import BlogListing, FetchFailure, LiveBlogWalk, LiveEntry, Post
from crawler.pages.reading import read_post
from crawler.spiders.blog import BlogSpider
from devtools.replica.content import BLOG_ZONE, LIVE_BLOG_ID, Site
from devtools.replica.pages import Renderer

BASE = "http://127.0.0.1:8725"
INDEX = f"{BASE}/z/{BLOG_ZONE}"


def make_spider(**arguments) -> BlogSpider:
    crawler = get_crawler(BlogSpider, {"LOG_LEVEL": "ERROR"})
    crawler.spider = crawler.spidercls.from_crawler(crawler, **{"start_url": INDEX, **arguments})
    return crawler.spider


def response_for(request: scrapy.Request, html: str, **meta) -> HtmlResponse:
    request = request.replace(meta={**request.meta, **meta})
    return HtmlResponse(url=request.url, body=html.encode("utf-8"), encoding="utf-8", request=request)


def outputs(results) -> list:
    return list(results or [])


@pytest.fixture
def site():
    return Site(posts=40, seed=3, live_entries=30, live_more="permalink")


def test_the_index_walk_asks_for_every_post_of_a_page_and_goes_on_to_its_end(site):
    spider = make_spider()
    blog = spider.facts.blogs[0]
    render = Renderer(site, BASE)
    request = spider.index_request(blog, INDEX, None)
    found = outputs(spider.parse_index(response_for(request, render.index(0)), list_paths=None))
    posts = [r for r in found if isinstance(r, scrapy.Request) and r.callback == spider.parse_post]
    assert sorted(r.cb_kwargs["post_id"] for r in posts) == sorted(p.id for p in site.index_page(0))
    [following] = [r for r in found if isinstance(r, scrapy.Request) and r.callback == spider.parse_index]
    assert following.url == f"{INDEX}?p=1" and not blog.index_end_reached
    last = site.page_count - 1
    request = spider.index_request(blog, f"{INDEX}?p={last}", following.cb_kwargs["list_paths"])
    found = outputs(spider.parse_index(response_for(request, render.index(last)), **request.cb_kwargs))
    assert not [r for r in found if isinstance(r, scrapy.Request) and r.callback == spider.parse_index]
    assert blog.index_end_reached  # the last page shows no way to load more: the end, on evidence


def test_an_index_page_that_lists_nothing_goes_to_the_browser_or_gives_the_blog_up(site):
    empty = "<html><body><div id='content'><ul></ul></div></body></html>"
    spider = make_spider()
    blog = spider.facts.blogs[0]
    [rendered] = outputs(spider.parse_index(response_for(spider.index_request(blog, INDEX, None), empty), list_paths=None))
    assert rendered.meta.get("playwright") and rendered.callback == spider.parse_rendered_index
    spider = make_spider(render="never")
    blog = spider.facts.blogs[0]
    with pytest.raises(scrapy.exceptions.CloseSpider):
        outputs(spider.parse_index(response_for(spider.index_request(blog, INDEX, None), empty), list_paths=None))
    assert blog.stopped.startswith("index page") and not blog.index_end_reached


def live_page(spider, site, url: str, page: int):
    render = Renderer(site, BASE)
    blog = spider.facts.blogs[0]
    request = spider.post_request(blog, url, LIVE_BLOG_ID) if page == 0 else scrapy.Request(
        url, callback=spider.parse_live_page, cb_kwargs={"post_id": LIVE_BLOG_ID}, meta={"blog": blog.key})
    response = response_for(request, render.post(site.live_blog, page))
    if page == 0:
        return outputs(spider.route_post(response, LIVE_BLOG_ID, read_post(response.url, response.text), False))
    return outputs(spider.parse_live_page(response, LIVE_BLOG_ID))


def test_the_live_blog_walk_follows_entry_permalinks_to_its_last_page(site):
    spider = make_spider()
    blog = spider.facts.blogs[0]
    spec = site.live_blog
    url = f"{BASE}{spec.path}"
    found = live_page(spider, site, url, 0)
    assert [type(o) for o in found[:1]] == [Post]
    entries = [o for o in found if isinstance(o, LiveEntry)]
    pages = spec.live.page_count
    for page in range(1, pages):
        [older] = [o for o in found if isinstance(o, scrapy.Request)]
        assert f"/{LIVE_BLOG_ID}/lbl{page}lbi" in older.url  # the entry-permalink form of "Load more"
        assert not blog.live_walks[LIVE_BLOG_ID].ended
        found = live_page(spider, site, older.url, page)
        entries += [o for o in found if isinstance(o, LiveEntry)]
    assert sorted(e.entry_id for e in entries) == sorted(e.id for e in spec.live.entries)  # every entry, once
    [walk] = [o for o in found if isinstance(o, LiveBlogWalk)]
    assert walk.pages == pages and blog.live_walks[LIVE_BLOG_ID].ended
    assert blog.unfinished_live_walks() == []


def test_a_live_blog_page_that_cannot_be_fetched_leaves_the_walk_unfinished_and_fails_the_blog(site):
    spider = make_spider()
    blog = spider.facts.blogs[0]
    found = live_page(spider, site, f"{BASE}{site.live_blog.path}", 0)
    [older] = [o for o in found if isinstance(o, scrapy.Request)]
    given_up = outputs(spider.give_up(older, "HTTP 404"))
    assert [type(o) for o in given_up] == [LiveBlogWalk, FetchFailure]
    assert given_up[0].pages == 0  # not read to its end: walk_complete_at stays empty
    [line] = blog.unfinished_live_walks()
    assert line.startswith(f"live blog {BASE}{site.live_blog.path} was not read to its oldest entries (cannot fetch")
    _, _, problems, _ = audit_run(blog, "index", blog.counts, "finished")
    assert line in problems


def test_a_post_that_fails_after_a_redirect_is_recorded_under_the_url_it_was_asked_for():
    spider = make_spider()
    blog = spider.facts.blogs[0]
    asked = spider.post_request(blog, f"{BASE}/a/one/101.html", 101)
    redirected = asked.replace(url=f"{BASE}/a/merged/999.html", meta={**asked.meta, "redirect_urls": [asked.url]})
    [failure] = outputs(spider.give_up(redirected, "HTTP 503"))
    assert (failure.post_id, failure.url, failure.led_to) == (101, asked.url, redirected.url)
    assert 101 not in blog.outstanding


def test_a_post_filed_under_another_blog_of_the_run_is_listed_by_the_blog_that_asked(site):
    second = f"{BASE}/z/30101"
    spider = make_spider(start_url=f"{INDEX},{second}")
    asking = spider.facts.blogs[1]
    post = site.posts[5]
    request = spider.post_request(asking, f"{BASE}{post.path}", post.id)
    request.meta["listed_at"] = "2026-01-01T00:00:00+00:00"
    response = response_for(request, Renderer(site, BASE).post(post))
    found = outputs(spider.route_post(response, post.id, read_post(response.url, response.text), False))
    [stored] = [o for o in found if isinstance(o, Post)]
    [listing] = [o for o in found if isinstance(o, BlogListing)]
    assert stored.blog_zone == BLOG_ZONE  # the blog of its own zone, whichever blog asked first
    assert (listing.zone, listing.post_id, listing.seen_at) == (30101, post.id, "2026-01-01T00:00:00+00:00")


def test_a_post_whose_dates_disagree_is_counted_in_the_audit(site):
    spider = make_spider()
    blog = spider.facts.blogs[0]
    post = site.posts[3]
    html = Renderer(site, BASE).post(post)
    day = post.published.strftime("%Y-%m-%d")
    html = html.replace(' datetime="', ' datetime="1999-01-01T00:00:00Z" data-was="', 1)
    assert "1999-01-01" in html and day in html
    request = spider.post_request(blog, f"{BASE}{post.path}", post.id)
    response = response_for(request, html)
    outputs(spider.route_post(response, post.id, read_post(response.url, response.text), False))
    assert blog.counts["pangea/audit/post_dates_disagreeing"] == 1
    _, counts, _, recovered = audit_run(blog, "index", blog.counts, "finished")
    assert counts["post_dates_disagreeing"] == 1 and any("date signals" in line for line in recovered)
