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

Blogs (``-a start_url=URL1,URL2``, ``-a blogs=FILE``): one run may crawl many blogs, of one
site or many, concurrently (Scrapy's per-site slots keep each site's politeness). Each
blog keeps its own index walk, stop rule, failures and outcome; every request carries its
blog's key in ``meta["blog"]``. A post listed by two blogs of a site is fetched once and
recorded in both.
"""

from __future__ import annotations

import asyncio

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request

from ..items import BlogListing, FetchFailure, IdentityMismatch, LiveBlogWalk, PostStatus
from ..pages.feeds import html_of
from ..pages.index import IndexPage
from ..pages.reading import PostReading, read_post
from ..limits import RunLimits
from ..rendering import page_pool, render_meta
from ..run import BlogFacts, CrawlArguments, RunFacts, run_started
from ..storage.spill import run_memory
from ..urls import article_id_from_url, canonical_post_url, on_host_of
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
from .blogs import BlogsMixin
from .replayed import ReextractMixin


class BlogSpider(BlogsMixin, RenderedIndexMixin, FeedAndSitemapMixin, LiveBlogMixin, ReextractMixin, scrapy.Spider):
    name = "blog"

    def __init__(self, *args, **kwargs):
        arguments = {
            name: kwargs.pop(name)
            for name in ("start_url", "blogs", "mode", "recheck_days", "render", "via", "warc")
            if name in kwargs
        }
        job = kwargs.get("_job")  # Scrapyd's job id, when Scrapyd runs the crawl
        super().__init__(*args, **kwargs)
        self.arguments = CrawlArguments.parse(**arguments)
        self.facts = RunFacts(self.arguments, job=job)
        self.blogs: dict[tuple, BlogFacts] = {blog.key: blog for blog in self.facts.blogs}
        # A re-extraction walks like a full run (every index page, every post), over the
        # WARC files instead of the site.
        self.reextract = self.arguments.mode == "reextract"
        self.mode = "full" if self.reextract else self.arguments.mode
        self.render = self.arguments.render
        self.via = self.arguments.via
        self.recheck_days = self.arguments.recheck_days
        self.allowed_domains = sorted({blog.host_site for blog in self.facts.blogs})

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
        spider.limits = RunLimits.from_settings(crawler.settings)
        spider.sitemaps_asked = 0
        spider.pending_listings = {}  # post id -> listings by other blogs, until the post is stored
        # What the walk remembers grows with the posts it meets: held in the run's memory
        # (in its temporary file past a bound, ``spill``). A post is asked for once per run
        # whatever blog or URL form lists it: the blogs of one site share one set of the
        # post ids asked for.
        memory = run_memory(crawler)
        seen_by_site = {}
        for blog in spider.facts.blogs:
            blog.seen_ids = seen_by_site.setdefault(blog.site, memory.set())
            blog.listed_ids = memory.set()
            blog.index_urls_read = memory.set()
        spider.routed = memory.set()  # (site, post id) of the posts this run has read and sent to be stored
        crawler.signals.connect(spider.audit_with_feed, signal=signals.spider_idle)
        crawler.signals.connect(spider.announce, signal=signals.spider_opened)
        contact = crawler.settings.get("CONTACT_URL")
        placeholder = crawler.settings.get("CONTACT_URL_PLACEHOLDER")
        if contact == placeholder and any(blog.host_site not in ("127.0.0.1", "localhost") for blog in spider.facts.blogs):
            spider.logger.warning(
                "CONTACT_URL is the placeholder %s: set PANGEA_ARCHIVE_CONTACT to a page or address where the site can reach you",
                contact,
            )
        return spider

    async def start(self):
        for blog in self.facts.blogs:
            state = blog.state
            self.logger.info(
                "%s run of %s: %d posts stored, %d in the %g-day recheck window, %d pages to try again, "
                "index walked to its end before: %s",
                self.arguments.mode,
                blog.start_url,
                len(state.known),
                len(state.recheck),
                self.recheck_days,
                len(state.failed_posts) + len(state.failed_index_pages),
                "yes" if state.index_complete else "no",
            )
        if self.reextract:
            # First every post page the files hold, so that the index walks that follow
            # find them done.
            async for output in self.reextract_posts():
                yield output
        claimed = {}
        for blog in self.facts.blogs:
            claimed[blog.key] = run_memory(self.crawler).set()
            self.claim_start(blog, claimed[blog.key])
        for blog in self.facts.blogs:
            for output in self.blog_start(blog, claimed[blog.key]):
                yield output

    # --- requests -------------------------------------------------------------------------
    def index_request(self, blog: BlogFacts, url: str, list_paths: tuple | None) -> scrapy.Request:
        if self.render == "always":
            return self.rendered_index_request(blog, url)
        return scrapy.Request(
            url,
            callback=self.parse_index,
            cb_kwargs={"list_paths": list_paths},
            errback=self.fetch_failed,
            priority=INDEX_PRIORITY,
            meta={"blog": blog.key},
        )

    def post_request(self, blog: BlogFacts, url: str, post_id: int, conditional: bool = False) -> scrapy.Request:
        known = blog.state.known.get(post_id) if conditional else None
        headers = conditional_headers(known)
        url = on_host_of(canonical_post_url(url), blog.start_url)
        blog.outstanding[post_id] = url
        meta = {"handle_httpstatus_list": POST_STATUSES, "blog": blog.key}
        if headers and known.capture_id:
            # A 304 is kept as a revisit of the stored version's capture, which may be of
            # another address of the post (``/a/<id>.html`` one run, its slug the next).
            meta["validated_capture"] = known.capture_id
        request = scrapy.Request(
            url,
            callback=self.parse_post,
            cb_kwargs={"post_id": post_id},
            errback=self.fetch_failed,
            headers=headers,
            meta=meta,
            priority=POST_PRIORITY,
            # A post is asked for once per run by its id (``seen_ids``); the URL filter
            # would drop a second post's redirect to a URL a first post led to, and with
            # it the second post.
            dont_filter=True,
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
        blog = self.blog_of(request)
        is_index = request.callback in (self.parse_index, self.parse_rendered_index)
        kind = "index" if is_index else "post"
        post_id = None if is_index else request.cb_kwargs.get("post_id")
        if post_id is not None:
            blog.outstanding.pop(post_id, None)
            walk = blog.live_walks.get(post_id)
            if walk is not None and not walk.ended:
                walk.stop(f"cannot fetch {request.url}: {reason}")
                yield LiveBlogWalk(site=walk.site, post_id=post_id, pages=0)
        if post_id is not None:
            # Other blogs that listed it keep it: their rows wait no more for the post.
            yield from self.pending_listings.pop(post_id, [])
        self.count(blog, f"fetch_failed/{kind}")
        # After a failed write (a full disk) the run stops; the pages in flight follow from
        # that one line and are tried again next run.
        log = self.logger.info if self.crawler.stats.get_value("pangea/write_failed") else self.logger.error
        asked_url = (request.meta.get("redirect_urls") or [request.url])[0]
        led = f" (redirected to {request.url})" if asked_url != request.url else ""
        log("cannot fetch %s %s%s: %s", "index page" if is_index else "post", asked_url, led, reason)
        # The page as it was asked for: after redirects, ``request`` is the last hop's.
        asked = (request.meta.get("redirect_urls") or [request.url])[0]
        yield FetchFailure(
            url=asked, kind=kind, error=reason, post_id=post_id, site=blog.site, blog_zone=blog.zone,
            led_to=request.url if request.url != asked else None,
        )

    def retry_or_give_up(self, response, reason: str):
        """A page that came back unusable (not HTML, an empty list): try again, or record it."""
        retry = get_retry_request(response.request, spider=self, reason=reason, give_up_log_level="WARNING")
        if retry is not None:
            yield retry
        else:
            yield from self.give_up(response.request, reason)

    # --- callbacks ------------------------------------------------------------------------
    def _posts_to_fetch(self, blog: BlogFacts, urls: list[str], seen_at: str | None = None) -> tuple[list, bool]:
        """Requests for the listed posts this run must fetch (and the blog listings of
        posts new to this blog that are stored or asked for by another blog), and whether
        all were stored already. ``seen_at``: when the page that lists them was fetched."""
        listed = sort_listed_posts(
            urls, start_url=blog.start_url, state=blog.state, seen_ids=blog.seen_ids, listed_ids=blog.listed_ids, mode=self.mode
        )
        for name, count in (("post_links_offsite", listed.offsite), ("post_links_repeated", listed.repeated),
                            ("posts_skipped_stored", listed.skipped_stored)):
            self.count(blog, name, count)
        to_fetch = listed.to_fetch
        new = [post_id for _, post_id in to_fetch if post_id not in blog.state.known]
        room = max(0, self.limits.new_posts_per_blog - blog.posts_asked_new)
        if len(new) > room:
            kept = set(new[:room])
            to_fetch = [(url, post_id) for url, post_id in to_fetch if post_id in kept or post_id in blog.state.known]
            blog.cut(f"the run reached its limit of {self.limits.line('new_posts_per_blog')}")
        blog.posts_asked_new += min(len(new), room)
        requests: list = [self.post_request(blog, url, post_id) for url, post_id in to_fetch]
        for request in requests:
            request.meta["listed_at"] = seen_at  # when this blog's page listed it
        if blog.zone is not None:
            for post_id, site in listed.newly_listed:
                listing = BlogListing(site=site, post_id=post_id, blog_site=blog.site, zone=blog.zone, seen_at=seen_at)
                if post_id in blog.state.known or (site, post_id) in self.routed:
                    requests.append(listing)
                else:
                    # Asked for by another blog and not stored yet: listed once it is (``route_post``),
                    # so that the post's own blog row is the post's, whatever came back first.
                    self.pending_listings.setdefault(post_id, []).append(listing)
        return requests, listed.all_stored

    def may_stop_early(self, blog: BlogFacts) -> bool:
        return may_stop_early(self.mode, blog.state)

    def parse_index(self, response, list_paths: tuple | None):
        blog = self.blog_of(response)
        html = html_of(response)
        if html is None:
            yield from self.retry_or_give_up(response, "not an HTML page")
            return
        page = IndexPage(response.url, html, list_paths=list_paths)
        if blog.title is None:
            blog.title = page.title
        urls = page.post_urls
        if page.needs_browser or (not urls and list_paths is None and self.render != "never"):
            # "Load more" has no link to follow, or the list is built by a script.
            if self.render == "never":
                if not urls:
                    self.stop_blog(blog, f"index page {response.url} lists no posts without a browser (render=never)")
                    return
                self.logger.error(
                    "index page %s: 'Load more' works only in a browser (render=never); read its first %d posts only",
                    response.url,
                    len(urls),
                )
                yield FetchFailure(
                    url=response.url, kind="index", error="needs a browser (render=never)", site=blog.site, blog_zone=blog.zone
                )
            else:
                requests, _ = self._posts_to_fetch(blog, urls, response.meta.get("fetched_at"))
                yield from requests
                yield self.rendered_index_request(blog, response.url, list_paths)
                return
        yield from self.follow_index(response, page, list_paths)

    def follow_index(self, response, page: IndexPage, list_paths: tuple | None):
        """The posts an index page lists, and the next page unless the rest is known."""
        blog = self.blog_of(response)
        self.count(blog, "index_pages")
        self.count_disagreements(blog, page)
        yield from self.feed_request(blog, page)
        urls = page.post_urls
        if not urls:
            self.count(blog, "index_pages_empty")
            if list_paths is None:
                self.stop_blog(blog, f"index page {response.url} lists no posts")
                return
            # A page that "Load more" led to lists nothing: a fault of the moment, most likely.
            yield from self.retry_or_give_up(response, "index page lists no posts")
            return
        blog.index_urls_read.add(response.url)
        listed = tuple(article_id_from_url(url) for url in urls)
        earlier = blog.index_pages_seen.get(listed)
        if earlier is not None:
            # The same posts as a page read before: the index cycles, and this is no way to its end.
            self.count(blog, "audit/index_pages_repeated")
            blog.cut(f"index page {response.url} lists the same posts as {earlier}, read before in this walk: the index cycles")
            return
        blog.index_pages_seen[listed] = response.url
        requests, all_stored = self._posts_to_fetch(blog, urls, response.meta.get("fetched_at"))
        yield from requests
        if not page.next_page_url:
            # The end of the index, on evidence: the last page shows no way to load more.
            if not page.has_load_more:
                blog.index_end_reached = True
            return
        if page.next_page_url in blog.index_urls_read:
            self.count(blog, "audit/index_pages_repeated")
            blog.cut(f"index page {response.url} leads back to {page.next_page_url}, read before in this walk: the index cycles")
            return
        if blog.cut_short:
            return  # a limit was reached: no further page
        if blog.counts["pangea/index_pages"] >= self.limits.index_pages_per_blog:
            blog.cut(f"the index walk reached its limit of {self.limits.line('index_pages_per_blog')}")
            return
        if all_stored and self.may_stop_early(blog):
            self.count(blog, "index_stopped_at_page", page.page_number, replace=True)
            self.logger.info(
                "%s: index page %d lists only stored posts: the rest of the index is not read", blog.start_url, page.page_number
            )
            return
        yield self.index_request(blog, page.next_page_url, list_paths or page.list_paths_found or None)

    def count_disagreements(self, blog: BlogFacts, page) -> None:
        for name, count in page.disagreements.items():
            self.count(blog, f"audit/{name}", count)

    def rendered_post_request(self, request: scrapy.Request) -> scrapy.Request:
        return request.replace(meta={**request.meta, **render_meta(post=True)}, headers={}, dont_filter=True)

    async def parse_post(self, response, post_id: int):
        blog = self.blog_of(response)
        # Read in the browser: live, from its page; in a re-extraction, the DOM kept then.
        rendered = bool(response.meta.get("playwright"))
        page = response.meta.get("playwright_page")
        if rendered:
            self.count(blog, "pages_rendered")
            if page is not None:
                try:
                    html = await page.content()
                finally:
                    await self.pages.release(response.request, page)
                not_kept = self.keep_dom(response, page, html)
                if not_kept:
                    for item in not_kept:
                        yield item
                    return
            else:
                html = response.text
        elif response.status == 304:
            blog.outstanding.pop(post_id, None)
            yield self.post_status(blog, post_id, response.url, "unchanged")
            return
        elif response.status in (404, 410):
            if post_id in blog.state.known:
                blog.outstanding.pop(post_id, None)
                self.logger.info("post %d answers %d: marked removed", post_id, response.status)
                yield self.post_status(blog, post_id, response.url, "removed")
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
        blog = self.blog_of(response)
        post, live = reading.post, reading.live
        listing = None  # the listing of a post by the blog that asked for it, when filed under another
        if post is None:
            self.count(blog, "post_pages_unreadable")
            yield from self.give_up(response.request, "not a post page")
            return
        if reading.markup_body_empty and not rendered and not live.is_live_blog and not reading.is_media_page:
            # The body is empty without JavaScript: a browser may show it.
            if self.render == "never":
                yield from self.give_up(response.request, "its body needs a browser (render=never)")
            else:
                yield self.rendered_post_request(response.request)
            return
        blog.outstanding.pop(post_id, None)
        if post.zone != blog.zone:
            # A post goes to the run's blog of its zone, whichever blog's page led to it
            # first (which concurrency decides), so that a rebuild files it the same way;
            # the blog that asked for it lists it. The sitemap lists the whole site, and a
            # re-extraction reads every page the WARC files hold before any index: the
            # index walks that follow record it in every blog that lists it.
            other = self.blogs.get((blog.site, post.zone))
            if other is None and self.via == "sitemap":
                self.count(blog, "posts_of_other_zones")
                return
            if other is not None and not self.reextract and self.via != "sitemap" and blog.zone is not None:
                listing = BlogListing(site=post.site, post_id=post.id, blog_site=blog.site, zone=blog.zone,
                                      seen_at=response.meta.get("listed_at") or response.meta.get("fetched_at"))
            blog = other or blog
        blog.listed_ids.add(post_id)  # the post's own row records this blog: no listing of it needed
        if post.id != post_id:
            self.logger.info("post %d was redirected to post %d (%s)", post_id, post.id, response.url)
        if reading.mismatched_claims:
            self.count(blog, "audit/pages_naming_another_post")
            for claimed_by, claimed_url in reading.mismatched_claims:
                yield IdentityMismatch(
                    site=post.site, post_id=post.id, claimed_by=claimed_by, claimed_url=claimed_url, fetched_url=response.url
                )
        if reading.date_disagreements:
            self.count(blog, "audit/post_dates_disagreeing")
            self.logger.info("post %s: %d of its date signals disagree with its JSON-LD; the JSON-LD's date is stored",
                             response.url, reading.date_disagreements)
        if reading.language_disagrees:
            self.count(blog, "audit/post_languages_disagreeing")
            self.logger.info("post %s: its JSON-LD says its language is %s, its page's lang another; the JSON-LD's is stored",
                             response.url, post.language)
        if reading.body_from_ld:
            self.count(blog, "audit/posts_body_from_json_ld")
            self.logger.warning(
                "post %s: the page's JSON-LD body has %d words, its markup %d; the JSON-LD body is stored",
                response.url, reading.ld_body_words, reading.markup_body_words,
            )
        post.blog_zone = blog.zone
        post.blog_site = blog.site
        post.capture_id = response.meta.get("warc_capture")
        post.fetched_at = response.meta.get("fetched_at")
        if not rendered:
            post.etag = response.headers.get("ETag", b"").decode("latin-1") or None
            post.last_modified = response.headers.get("Last-Modified", b"").decode("latin-1") or None
        self.routed.update({(post.site, post_id), (post.site, post.id)})
        yield post
        if listing is not None:
            yield listing
        for pending in self.pending_listings.pop(post_id, []) + (self.pending_listings.pop(post.id, []) if post.id != post_id else []):
            if (pending.blog_site, pending.zone) != (post.blog_site, post.blog_zone):
                yield pending
        if live.is_live_blog:
            yield from self.live_entries(blog, live, post.fetched_at, url=response.url)

    def post_status(self, blog: BlogFacts, post_id: int, url: str, status: str) -> PostStatus:
        known = blog.state.known.get(post_id)
        site = known.site if known is not None else blog.site
        return PostStatus(id=post_id, url=url, status=status, site=site, blog_site=blog.site, blog_zone=blog.zone)
