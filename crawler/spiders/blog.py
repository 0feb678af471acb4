"""The ``blog`` spider: a Pangea blog index, page after page, and the posts it lists.

The spider only decides what to fetch; what a page says is the page objects' business
(``crawler.pages``), and cleaning and storing is the pipelines'.

Modes (``-a mode=...``):

- ``incremental`` (the default, for cron): read the index from its first page and stop
  at the first page whose posts are all stored; fetch the posts that are not stored,
  and re-check those published within ``recheck_days`` with conditional requests
  (``If-None-Match`` / ``If-Modified-Since``). Stopping early is only done once a walk
  has reached the end of the index: an interrupted first backfill is carried on.
- ``full``: read the whole index and fetch every post again (backfill, repair).

Entry points (``-a via=...``): ``index`` (the default) walks the blog's index;
``feed`` reads the RSS feed the index page links (the newest posts, two requests: a
fast path for frequent runs); ``sitemap`` reads the site's sitemaps and keeps the posts
the pages file under this blog (a backfill path).

Rendering (``-a render=...``): ``auto`` (the default) fetches with plain HTTP and goes to
the browser only for a page that needs it (an index whose "Load more" has no link or
whose list is built by a script; a post whose body is empty without JavaScript);
``always`` renders every page; ``never`` never does, and reports the pages it could not
read.
"""

from __future__ import annotations

import asyncio

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider

from ..items import BlogListing, FetchFailure, IdentityMismatch, PostStatus
from ..pages.feeds import html_of
from ..pages.index import IndexPage
from ..pages.reading import PostReading, read_post
from ..rendering import page_pool, render_meta
from ..run import CrawlArguments, RunFacts, run_started
from ..urls import canonical_post_url, on_host_of, site_of
from ..warc import dom_read
from .decisions import (
    INDEX_PRIORITY,
    POST_PRIORITY,
    POST_STATUSES,
    conditional_headers,
    may_stop_early,
    sort_listed_posts,
)
from .feeds import FeedAndSitemapMixin
from .live import LiveBlogMixin
from .rendered import RenderedIndexMixin
from .replayed import ReextractMixin


class BlogSpider(RenderedIndexMixin, FeedAndSitemapMixin, LiveBlogMixin, ReextractMixin, scrapy.Spider):
    name = "blog"

    def __init__(self, *args, **kwargs):
        arguments = {name: kwargs.pop(name) for name in ("start_url", "mode", "recheck_days", "render", "via", "warc") if name in kwargs}
        super().__init__(*args, **kwargs)
        self.arguments = CrawlArguments.parse(**arguments)
        self.facts = RunFacts(self.arguments)
        self.start_url = self.arguments.start_url
        # A re-extraction walks like a full run (every index page, every post), over the
        # WARC files instead of the site.
        self.reextract = self.arguments.mode == "reextract"
        self.mode = "full" if self.reextract else self.arguments.mode
        self.render = self.arguments.render
        self.via = self.arguments.via
        self.recheck_days = self.arguments.recheck_days
        self.zone = self.arguments.zone
        self.site = self.arguments.site
        self.allowed_domains = [self.arguments.host_site]
        self.seen_ids: set[int] = set()
        # The audit against the blog's feed (index walks only): the posts the feed lists,
        # compared with what the walk found once the crawl has nothing else to do.
        self.feed_requested = False
        self.feed_urls: list[str] | None = None
        self.feed_audited = False

    @property
    def outstanding(self) -> dict[int, str]:
        return self.facts.outstanding

    @property
    def state(self):
        """What the archive holds, as the store read it when the run opened."""
        return self.facts.state

    def announce(self, spider=None) -> None:
        """The run's facts, to every component that keeps the run's book."""
        self.crawler.signals.send_catch_log(signal=run_started, facts=self.facts)

    @property
    def pages(self):
        """The crawl's browser pages (shared with the download handler)."""
        return page_pool(self.crawler)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.audit_with_feed, signal=signals.spider_idle)
        crawler.signals.connect(spider.announce, signal=signals.spider_opened)
        contact = crawler.settings.get("CONTACT_URL")
        placeholder = crawler.settings.get("CONTACT_URL_PLACEHOLDER")
        if contact == placeholder and site_of(spider.start_url) not in ("127.0.0.1", "localhost"):
            spider.logger.warning(
                "CONTACT_URL is the placeholder %s: set PANGEA_ARCHIVE_CONTACT to a page or address where the site can reach you",
                contact,
            )
        return spider

    async def start(self):
        self.logger.info(
            "%s run: %d posts stored, %d in the %g-day recheck window, %d pages to try again, "
            "index walked to its end before: %s",
            self.arguments.mode,
            len(self.state.known),
            len(self.state.recheck),
            self.recheck_days,
            len(self.state.failed_posts) + len(self.state.failed_index_pages),
            "yes" if self.state.index_complete else "no",
        )
        if self.reextract:
            # First every post page the files hold, so that the index walk that follows
            # finds them done.
            async for output in self.reextract_posts():
                yield output
        if self.via == "feed":
            yield scrapy.Request(self.start_url, callback=self.find_feed, errback=self.fetch_failed, priority=INDEX_PRIORITY)
        elif self.via == "sitemap":
            origin = self.start_url.split("/z/")[0]
            yield scrapy.Request(f"{origin}/sitemap.xml", callback=self.parse_sitemap, errback=self.fetch_failed)
        else:
            yield self.index_request(self.start_url, list_paths=None)
        if self.reextract:
            return
        for post_id, url in self.state.failed_posts.items():
            if post_id not in self.seen_ids:
                self.seen_ids.add(post_id)
                yield self.post_request(url, post_id)
        if self.mode == "incremental":
            # Posts in the window are re-checked even when the index no longer lists them:
            # that is how a deleted post is noticed.
            for post_id in self.state.recheck:
                known = self.state.known[post_id]
                self.seen_ids.add(post_id)
                yield self.post_request(known.url, post_id, conditional=True)

    # --- requests -------------------------------------------------------------------------
    def index_request(self, url: str, list_paths: tuple | None) -> scrapy.Request:
        if self.render == "always":
            return self.rendered_index_request(url)
        return scrapy.Request(
            url,
            callback=self.parse_index,
            cb_kwargs={"list_paths": list_paths},
            errback=self.fetch_failed,
            priority=INDEX_PRIORITY,
        )

    def post_request(self, url: str, post_id: int, conditional: bool = False) -> scrapy.Request:
        headers = conditional_headers(self.state.known.get(post_id)) if conditional else {}
        url = on_host_of(canonical_post_url(url), self.start_url)
        self.outstanding[post_id] = url
        request = scrapy.Request(
            url,
            callback=self.parse_post,
            cb_kwargs={"post_id": post_id},
            errback=self.fetch_failed,
            headers=headers,
            meta={"handle_httpstatus_list": POST_STATUSES},
            priority=POST_PRIORITY,
        )
        return self.rendered_post_request(request) if self.render == "always" else request

    def fetch_failed(self, failure):
        """One line per page that could not be fetched (after Scrapy's retries), and a failure record."""
        request = failure.request
        if request.meta.get("playwright"):
            # The browser page (or the room for one) goes back to the pool, the page closed.
            asyncio.ensure_future(self.pages.release(request, request.meta.get("playwright_page"), reuse=False))
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else (failure.getErrorMessage() or failure.type.__name__)
        yield from self.give_up(request, reason)

    def give_up(self, request, reason: str):
        is_index = request.callback in (self.parse_index, self.parse_rendered_index)
        kind = "index" if is_index else "post"
        post_id = None if is_index else request.cb_kwargs.get("post_id")
        if post_id is not None:
            self.outstanding.pop(post_id, None)
        self.crawler.stats.inc_value(f"pangea/fetch_failed/{kind}")
        # After a failed write (a full disk) the run stops; the pages in flight follow from
        # that one line and are tried again next run.
        log = self.logger.info if self.crawler.stats.get_value("pangea/write_failed") else self.logger.error
        log("cannot fetch %s %s: %s", "index page" if is_index else "post", request.url, reason)
        yield FetchFailure(url=request.url, kind=kind, error=reason, post_id=post_id)

    def retry_or_give_up(self, response, reason: str):
        """A page that came back unusable (not HTML, an empty list): try again, or record it."""
        retry = get_retry_request(response.request, spider=self, reason=reason, give_up_log_level="WARNING")
        if retry is not None:
            yield retry
        else:
            yield from self.give_up(response.request, reason)

    # --- callbacks ------------------------------------------------------------------------
    def _posts_to_fetch(self, urls: list[str]) -> tuple[list, bool]:
        """Requests for the listed posts this run must fetch (and the blog listings of
        stored posts new to this blog), and whether all were stored already."""
        listed = sort_listed_posts(urls, start_url=self.start_url, state=self.state, seen_ids=self.seen_ids, mode=self.mode)
        stats = self.crawler.stats
        for name, count in (("post_links_offsite", listed.offsite), ("post_links_repeated", listed.repeated),
                            ("posts_skipped_stored", listed.skipped_stored)):
            if count:
                stats.inc_value(f"pangea/{name}", count)
        requests: list = [self.post_request(url, post_id) for url, post_id in listed.to_fetch]
        if self.zone is not None:
            requests += [
                BlogListing(site=known.site, post_id=post_id, blog_site=self.site, zone=self.zone)
                for post_id, known in listed.newly_listed
            ]
        return requests, listed.all_stored

    @property
    def may_stop_early(self) -> bool:
        return may_stop_early(self.mode, self.state)

    def parse_index(self, response, list_paths: tuple | None):
        html = html_of(response)
        if html is None:
            yield from self.retry_or_give_up(response, "not an HTML page")
            return
        page = IndexPage(response.url, html, list_paths=list_paths)
        if self.facts.blog_title is None:
            self.facts.blog_title = page.title
        urls = page.post_urls
        if page.needs_browser or (not urls and list_paths is None and self.render != "never"):
            # "Load more" has no link to follow, or the list is built by a script.
            if self.render == "never":
                if not urls:
                    raise CloseSpider(f"index page {response.url} lists no posts without a browser (render=never)")
                self.logger.error(
                    "index page %s: 'Load more' works only in a browser (render=never); read its first %d posts only",
                    response.url,
                    len(urls),
                )
                yield FetchFailure(url=response.url, kind="index", error="needs a browser (render=never)")
            else:
                requests, _ = self._posts_to_fetch(urls)
                yield from requests
                yield self.rendered_index_request(response.url, list_paths)
                return
        yield from self.follow_index(response, page, list_paths)

    def follow_index(self, response, page: IndexPage, list_paths: tuple | None):
        """The posts an index page lists, and the next page unless the rest is known."""
        stats = self.crawler.stats
        stats.inc_value("pangea/index_pages")
        self.count_disagreements(page)
        yield from self.feed_request(page)
        urls = page.post_urls
        if not urls:
            stats.inc_value("pangea/index_pages_empty")
            if list_paths is None:
                raise CloseSpider(f"index page {response.url} lists no posts")
            # A page that "Load more" led to lists nothing: a fault of the moment, most likely.
            yield from self.retry_or_give_up(response, "index page lists no posts")
            return
        requests, all_stored = self._posts_to_fetch(urls)
        yield from requests
        if not page.next_page_url:
            # The end of the index, on evidence: the last page shows no way to load more.
            if not page.has_load_more:
                self.facts.index_end_reached = True
            return
        if all_stored and self.may_stop_early:
            stats.set_value("pangea/index_stopped_at_page", page.page_number)
            self.logger.info("index page %d lists only stored posts: the rest of the index is not read", page.page_number)
            return
        yield self.index_request(page.next_page_url, list_paths or page.list_paths_found or None)

    def count_disagreements(self, page: IndexPage) -> None:
        for name, count in page.disagreements.items():
            if count:
                self.crawler.stats.inc_value(f"pangea/audit/{name}", count)

    def rendered_post_request(self, request: scrapy.Request) -> scrapy.Request:
        return request.replace(meta={**request.meta, **render_meta(post=True)}, headers={}, dont_filter=True)

    async def parse_post(self, response, post_id: int):
        stats = self.crawler.stats
        # Read in the browser: live, from its page; in a re-extraction, the DOM kept then.
        rendered = bool(response.meta.get("playwright"))
        page = response.meta.get("playwright_page")
        if rendered:
            stats.inc_value("pangea/pages_rendered")
            if page is not None:
                try:
                    html = await page.content()
                finally:
                    await self.pages.release(response.request, page)
                self.crawler.signals.send_catch_log(signal=dom_read, request=response.request, html=html)
                if response.meta.get("warc_not_kept"):
                    for item in self.give_up(response.request, "not kept: the WARC files cannot be written"):
                        yield item
                    return
            else:
                html = response.text
        elif response.status == 304:
            self.outstanding.pop(post_id, None)
            yield PostStatus(id=post_id, url=response.url, status="unchanged", site=self.known_site(post_id))
            return
        elif response.status in (404, 410):
            if post_id in self.state.known:
                self.outstanding.pop(post_id, None)
                self.logger.info("post %d answers %d: marked removed", post_id, response.status)
                yield PostStatus(id=post_id, url=response.url, status="removed", site=self.known_site(post_id))
            else:
                for item in self.give_up(response.request, f"HTTP {response.status}"):
                    yield item
            return
        else:
            html = html_of(response)
        if html is None:
            for item in self.retry_or_give_up(response, "not an HTML page"):
                yield item
            return
        for output in self.route_post(response, post_id, read_post(response.url, html), rendered):
            yield output

    def route_post(self, response, post_id: int, reading: PostReading, rendered: bool):
        """What a post page read (``reading``) leads to: the post and its entries, a trip to
        the browser, or a failure."""
        stats = self.crawler.stats
        post, live = reading.post, reading.live
        if post is None:
            stats.inc_value("pangea/post_pages_unreadable")
            yield from self.give_up(response.request, "not a post page")
            return
        if reading.markup_body_empty and not rendered and not live.is_live_blog and not reading.is_media_page:
            # The body is empty without JavaScript: a browser may show it.
            if self.render == "never":
                yield from self.give_up(response.request, "its body needs a browser (render=never)")
            else:
                yield self.rendered_post_request(response.request)
            return
        self.outstanding.pop(post_id, None)
        if self.via == "sitemap" and post.zone != self.zone:
            stats.inc_value("pangea/posts_of_other_zones")  # the sitemap lists the whole site
            return
        if post.id != post_id:
            self.logger.info("post %d was redirected to post %d (%s)", post_id, post.id, response.url)
        if reading.mismatched_claims:
            stats.inc_value("pangea/audit/pages_naming_another_post")
            for claimed_by, claimed_url in reading.mismatched_claims:
                yield IdentityMismatch(
                    site=post.site, post_id=post.id, claimed_by=claimed_by, claimed_url=claimed_url, fetched_url=response.url
                )
        if reading.body_from_ld:
            stats.inc_value("pangea/audit/posts_body_from_json_ld")
            self.logger.warning(
                "post %s: the page's JSON-LD body has %d words, its markup %d; the JSON-LD body is stored",
                response.url, reading.ld_body_words, reading.markup_body_words,
            )
        post.blog_zone = self.zone
        post.blog_site = self.site
        post.capture_id = response.meta.get("warc_capture")
        post.fetched_at = response.meta.get("fetched_at")
        if not rendered:
            post.etag = response.headers.get("ETag", b"").decode("latin-1") or None
            post.last_modified = response.headers.get("Last-Modified", b"").decode("latin-1") or None
        yield post
        if live.is_live_blog:
            yield from self.live_entries(live, post.fetched_at)

    def known_site(self, post_id: int) -> str:
        known = self.state.known.get(post_id)
        return known.site if known is not None else self.site

