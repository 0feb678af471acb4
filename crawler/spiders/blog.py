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
from datetime import datetime, timedelta, timezone

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import TextResponse

from .. import storage
from ..items import BlogListing, FetchFailure, IdentityMismatch, LiveBlogWalk, PostStatus
from ..pages.index import IndexPage
from ..pages.liveblog import LiveBlogPage
from ..pages.post import PostPage
from ..text import word_count
from ..rendering import load_everything, page_pool, render_meta
from ..run import CrawlArguments, RunFacts, run_started
from ..urls import (
    absolute_url,
    article_id_from_url,
    canonical_post_url,
    is_same_site,
    on_host_of,
    site_key,
    site_of,
)


# Index pages go first: they are the chain the whole crawl hangs on.
INDEX_PRIORITY = 10
POST_PRIORITY = 0
# Statuses a post request handles itself instead of treating them as errors.
POST_STATUSES = [304, 404, 410]


def html_of(response) -> str | None:
    """A response's HTML as text, or None when it is not HTML.

    Pangea pages are UTF-8: bytes that decode as UTF-8 are read so, whatever the
    Content-Type header claims (a page declared ISO-8859-1 would otherwise come out as
    mojibake); other bytes are read as the response declares. A page sent with a wrong
    content type is still read when its bytes are HTML.
    """
    body = response.body
    head = body[:2048].lstrip().lower()
    if not (head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return response.text if isinstance(response, TextResponse) else body.decode("utf-8", errors="replace")


class BlogSpider(scrapy.Spider):
    name = "blog"

    def __init__(self, *args, **kwargs):
        arguments = {name: kwargs.pop(name) for name in ("start_url", "mode", "recheck_days", "render", "via") if name in kwargs}
        super().__init__(*args, **kwargs)
        self.arguments = CrawlArguments.parse(**arguments)
        self.facts = RunFacts(self.arguments)
        self.start_url = self.arguments.start_url
        self.mode = self.arguments.mode
        self.render = self.arguments.render
        self.via = self.arguments.via
        self.recheck_days = self.arguments.recheck_days
        self.zone = self.arguments.zone
        self.site = self.arguments.site
        self.allowed_domains = [self.arguments.host_site]
        self.seen_ids: set[int] = set()
        self.state = storage.CrawlState()
        # The audit against the blog's feed (index walks only): the posts the feed lists,
        # compared with what the walk found once the crawl has nothing else to do.
        self.feed_requested = False
        self.feed_urls: list[str] | None = None
        self.feed_audited = False

    @property
    def outstanding(self) -> dict[int, str]:
        return self.facts.outstanding

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

    def load_state(self) -> None:
        """What the archive already holds: stored posts, the recheck window, whether a walk ended."""
        path = self.crawler.settings.get("SQLITE_PATH")
        if not path:
            return
        since = (datetime.now(timezone.utc) - timedelta(days=self.recheck_days)).replace(microsecond=0).isoformat()
        db = storage.open_db(path)
        try:
            self.state = storage.crawl_state(db, self.site, self.zone, since)
        finally:
            db.close()

    async def start(self):
        self.load_state()
        self.logger.info(
            "%s run: %d posts stored, %d in the %g-day recheck window, %d pages to try again, "
            "index walked to its end before: %s",
            self.mode,
            len(self.state.known),
            len(self.state.recheck),
            self.recheck_days,
            len(self.state.failed_posts) + len(self.state.failed_index_pages),
            "yes" if self.state.index_complete else "no",
        )
        if self.via == "feed":
            yield scrapy.Request(self.start_url, callback=self.find_feed, errback=self.fetch_failed, priority=INDEX_PRIORITY)
        elif self.via == "sitemap":
            origin = self.start_url.split("/z/")[0]
            yield scrapy.Request(f"{origin}/sitemap.xml", callback=self.parse_sitemap, errback=self.fetch_failed)
        else:
            yield self.index_request(self.start_url, list_paths=None)
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
        headers = {}
        known = self.state.known.get(post_id)
        if conditional and known is not None:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
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
        self.logger.error("cannot fetch %s %s: %s", "index page" if is_index else "post", request.url, reason)
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
        stats = self.crawler.stats
        requests, all_stored = [], True
        for url in urls:
            post_id = article_id_from_url(url)
            if not is_same_site(url, self.start_url):
                stats.inc_value("pangea/post_links_offsite")
                continue
            known = self.state.known.get(post_id)
            if known is None or known.removed:
                all_stored = False
            if post_id in self.seen_ids:
                stats.inc_value("pangea/post_links_repeated")
                continue
            self.seen_ids.add(post_id)
            if known is None or known.removed or self.mode == "full":
                requests.append(self.post_request(url, post_id))
            else:
                stats.inc_value("pangea/posts_skipped_stored")
                if not known.in_blog and self.zone is not None:
                    requests.append(BlogListing(site=known.site, post_id=post_id, blog_site=self.site, zone=self.zone))
        return requests, all_stored

    @property
    def may_stop_early(self) -> bool:
        return self.mode == "incremental" and self.state.index_complete and not self.state.failed_index_pages

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

    def rendered_index_request(self, url: str, list_paths: tuple | None = None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_rendered_index,
            cb_kwargs={"list_paths": list_paths},
            errback=self.fetch_failed,
            meta=render_meta(),
            priority=INDEX_PRIORITY,
            dont_filter=True,
        )

    async def parse_rendered_index(self, response, list_paths: tuple | None = None):
        """An index page in the browser. A "Load more" that is a link is followed like any
        index page; one that only a script can follow is clicked until the list ends, or
        until it brings only stored posts."""
        stats = self.crawler.stats
        stats.inc_value("pangea/pages_rendered")
        page = response.meta["playwright_page"]
        listed = 0

        def newest_batch_is_stored(html: str) -> bool:
            nonlocal listed
            if not self.may_stop_early:
                return False
            ids = [article_id_from_url(u) for u in IndexPage(response.url, html).post_urls]
            batch, listed = ids[listed:], len(ids)
            stored = [self.state.known.get(i) for i in batch]
            return bool(batch) and all(k is not None and not k.removed for k in stored)

        clicks, outcome = 0, "ended"
        try:
            html = await page.content()
            index = IndexPage(response.url, html, list_paths=list_paths)
            # In the browser, a control without a link is clicked, as a reader would.
            clicking = index.has_load_more and not index.next_page_link
            if clicking:
                clicks, outcome = await load_everything(
                    page, stop=newest_batch_is_stored, wait_seconds=self.crawler.settings.getfloat("LOAD_MORE_WAIT_SECONDS", 30.0)
                )
                html = await page.content()
        finally:
            await self.pages.release(response.request, page, reuse=False)  # a long list: not kept
        if not clicking:
            for item in self.follow_index(response, index, list_paths):
                yield item
            return
        stats.inc_value("pangea/index_pages")
        stats.inc_value("pangea/load_more_clicks", clicks)
        index = IndexPage(response.url, html)
        self.count_disagreements(index)
        for request in self.feed_request(index):
            yield request
        if self.facts.blog_title is None:
            self.facts.blog_title = index.title
        if not index.post_urls:
            for item in self.give_up(response.request, "index page lists no posts, even in a browser"):
                yield item
            return
        requests, _ = self._posts_to_fetch(index.post_urls)
        for request in requests:
            yield request
        if outcome == "ended":
            self.facts.index_end_reached = True
        elif outcome == "stopped":
            stats.set_value("pangea/index_stopped_at_page", clicks)
        else:
            # "Load more" is still there: the index is not whole, and the run must say so.
            stats.set_value("pangea/audit/index_not_finished", 1)
            reason = "a click of 'Load more' brought nothing" if outcome == "stalled" else f"'Load more' still there after {clicks} clicks"
            for item in self.give_up(response.request, f"the index is not complete: {reason}"):
                yield item

    def rendered_post_request(self, request: scrapy.Request) -> scrapy.Request:
        return request.replace(meta={**request.meta, **render_meta(post=True)}, headers={}, dont_filter=True)

    async def parse_post(self, response, post_id: int):
        stats = self.crawler.stats
        page = response.meta.get("playwright_page")
        if page is not None:
            stats.inc_value("pangea/pages_rendered")
            shown = page.url
            # A page used again keeps showing its last document when a navigation does not
            # happen (a download, a refused redirect): what it shows must be the post asked for.
            showing_it = article_id_from_url(shown) == post_id and site_key(shown) == site_key(response.request.url)
            try:
                html = await page.content() if showing_it else None
            finally:
                await self.pages.release(response.request, page, reuse=showing_it)
            if not showing_it:
                for item in self.give_up(response.request, f"the browser did not show the page (it shows {shown})"):
                    yield item
                return
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
        post_page = PostPage(response.url, html)
        post = post_page.to_item()
        if post is None:
            stats.inc_value("pangea/post_pages_unreadable")
            for item in self.give_up(response.request, "not a post page"):
                yield item
            return
        live = LiveBlogPage(post_page)
        if not post_page.markup_body_text and page is None and not live.is_live_blog and not post_page.is_media_page:
            # The body is empty without JavaScript: a browser may show it.
            if self.render == "never":
                for item in self.give_up(response.request, "its body needs a browser (render=never)"):
                    yield item
            else:
                yield self.rendered_post_request(response.request)
            return
        self.outstanding.pop(post_id, None)
        if self.via == "sitemap" and post.zone != self.zone:
            stats.inc_value("pangea/posts_of_other_zones")  # the sitemap lists the whole site
            return
        if post.id != post_id:
            self.logger.info("post %d was redirected to post %d (%s)", post_id, post.id, response.url)
        if post_page.mismatched_claims:
            stats.inc_value("pangea/audit/pages_naming_another_post")
            for claimed_by, claimed_url in post_page.mismatched_claims:
                yield IdentityMismatch(
                    site=post.site, post_id=post.id, claimed_by=claimed_by, claimed_url=claimed_url, fetched_url=response.url
                )
        if post_page.body_from_ld:
            stats.inc_value("pangea/audit/posts_body_from_json_ld")
            self.logger.warning(
                "post %s: the page's JSON-LD body has %d words, its markup %d; the JSON-LD body is stored",
                response.url, word_count(post_page.ld_body_text), word_count(post_page.markup_body_text),
            )
        post.blog_zone = self.zone
        post.blog_site = self.site
        if page is None:
            post.etag = response.headers.get("ETag", b"").decode("latin-1") or None
            post.last_modified = response.headers.get("Last-Modified", b"").decode("latin-1") or None
        yield post
        if live.is_live_blog:
            for item in self.live_entries(live):
                yield item

    def known_site(self, post_id: int) -> str:
        known = self.state.known.get(post_id)
        return known.site if known is not None else self.site

    # --- the audit against the feed ------------------------------------------------------------
    def feed_request(self, page: IndexPage):
        """The blog's feed, once per run, from the first index page that links it."""
        if self.via != "index" or self.feed_requested or not page.feed_url:
            return
        if not is_same_site(page.feed_url, self.start_url):
            return
        self.feed_requested = True
        yield scrapy.Request(
            on_host_of(page.feed_url, self.start_url),
            callback=self.read_audit_feed,
            errback=self.audit_feed_failed,
            priority=POST_PRIORITY,
        )

    def read_audit_feed(self, response):
        self.feed_urls = self.feed_post_urls(response)
        self.crawler.stats.set_value("pangea/audit/feed_posts", len(self.feed_urls))
        return []

    def audit_feed_failed(self, failure):
        # The feed is a second opinion: without it the run is as good as its index walk.
        self.crawler.stats.set_value("pangea/audit/feed_unavailable", 1)
        self.logger.warning("the blog's feed %s could not be read: the run is not checked against it", failure.request.url)
        return []

    def audit_with_feed(self, spider=None):
        """When the walk is done: the feed's posts that the index did not lead to and the
        archive does not hold are fetched now, and counted as missed by the index."""
        if self.feed_urls is None or self.feed_audited:
            return
        self.feed_audited = True
        missed = []
        for url in self.feed_urls:
            post_id = article_id_from_url(url)
            known = self.state.known.get(post_id)
            if post_id in self.seen_ids or (known is not None and not known.removed) or not is_same_site(url, self.start_url):
                continue
            self.seen_ids.add(post_id)
            missed.append(self.post_request(url, post_id))
        if not missed:
            return
        self.crawler.stats.set_value("pangea/audit/posts_missed_by_index", len(missed))
        self.logger.info("the blog's feed lists %d posts that the index walk did not lead to; fetching them now", len(missed))
        for request in missed:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    # --- the feed and the sitemap -------------------------------------------------------------
    def find_feed(self, response):
        """The blog's RSS feed, as its index page links it: the fast path for frequent runs."""
        html = html_of(response)
        feed_url = IndexPage(response.url, html).feed_url if html else None
        if not feed_url:
            raise CloseSpider(f"index page {response.url} links no RSS feed (use via=index)")
        yield scrapy.Request(on_host_of(feed_url, self.start_url), callback=self.parse_feed, errback=self.fetch_failed)

    @staticmethod
    def feed_post_urls(response) -> list[str]:
        """The post URLs of an RSS or Atom feed."""
        try:
            links = response.xpath(
                "//item/link/text() | //*[local-name()='entry']/*[local-name()='link']/@href"
            ).getall()
        except (AttributeError, ValueError):
            return []  # not a feed
        urls = [absolute_url(link.strip(), response.url) for link in links]
        return [url for url in urls if url and article_id_from_url(url) is not None]

    def parse_feed(self, response):
        urls = self.feed_post_urls(response)
        self.crawler.stats.set_value("pangea/feed_items", len(urls))
        if not urls:
            self.logger.error("feed %s lists no posts", response.url)
            return
        requests, _ = self._posts_to_fetch(urls)
        yield from requests

    def parse_sitemap(self, response):
        """A sitemap index or one of its (gzipped) sitemaps: every post URL of the site.

        Backfill: posts are fetched and only those the page files under this blog's zone
        are kept (``parse_post``); the sitemap says nothing of blogs.
        """
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        sitemap = Sitemap(body)
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                yield scrapy.Request(on_host_of(entry["loc"], self.start_url), callback=self.parse_sitemap, errback=self.fetch_failed)
            return
        urls = [entry["loc"] for entry in sitemap if article_id_from_url(entry.get("loc", "")) is not None]
        self.crawler.stats.inc_value("pangea/sitemap_urls", len(urls))
        requests, _ = self._posts_to_fetch(urls)
        yield from requests

    # --- live blogs -----------------------------------------------------------------------
    def live_entries(self, live: LiveBlogPage):
        """A live blog page's entries, and its older page when the run still needs it.

        Older pages are read while the page shows no stored entry (new entries go on),
        while its entries are inside the recheck window (edits are caught), in full mode,
        and until a first walk has read the whole live blog once.
        """
        stats = self.crawler.stats
        stats.inc_value("pangea/live_pages")
        for name, count in live.disagreements.items():
            if count:
                stats.inc_value(f"pangea/audit/{name}", count)
        entries = live.entries
        for entry in entries:
            yield entry
        post_id = live.post_id
        known = self.state.live_entries.get(post_id, set())
        next_url = live.next_page_url
        if next_url is None:
            yield LiveBlogWalk(site=live.site, post_id=post_id, pages=live.page_number + 1)
            return
        window_start = (datetime.now(timezone.utc) - timedelta(days=self.recheck_days)).isoformat()
        needed = (
            self.mode == "full"
            or post_id not in self.state.live_walk_complete
            or not any(entry.entry_id in known for entry in entries)
            or any((entry.published_at or "") >= window_start for entry in entries[-1:])
        )
        if needed:
            yield scrapy.Request(
                on_host_of(next_url, self.start_url),
                callback=self.parse_live_page,
                cb_kwargs={"post_id": post_id},
                errback=self.fetch_failed,
                priority=POST_PRIORITY + 1,
            )
        else:
            yield LiveBlogWalk(site=live.site, post_id=post_id, pages=0)

    def parse_live_page(self, response, post_id: int):
        html = html_of(response)
        if html is None:
            yield from self.retry_or_give_up(response, "not an HTML page")
            return
        live = LiveBlogPage(PostPage(response.url, html))
        if not live.entries:
            yield from self.retry_or_give_up(response, "live blog page lists no entries")
            return
        yield from self.live_entries(live)
