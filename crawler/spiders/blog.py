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
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider
from scrapy.http import TextResponse

from .. import storage
from ..checks import check_mode, check_recheck_days, check_start_url
from ..items import FetchFailure, PostStatus
from ..pages.index import IndexPage
from ..pages.post import PostPage
from ..urls import article_id_from_url, canonical_post_url, is_same_site, on_host_of, site_key, site_of, zone_id_from_url

DEFAULT_START_URL = "https://www.rferl.org/z/17257"

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

    def __init__(self, start_url: str = DEFAULT_START_URL, mode: str = "incremental", recheck_days: str = "3", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_url = check_start_url(start_url)
        self.mode = check_mode(mode)
        self.recheck_days = check_recheck_days(recheck_days)
        self.zone = zone_id_from_url(self.start_url)
        self.site = site_key(self.start_url)
        self.allowed_domains = [site_of(self.start_url)]
        self.seen_ids: set[int] = set()
        self.state = storage.CrawlState()
        self.blog_title: str | None = None
        self.index_end_reached = False
        # Every post requested and not yet answered; what is left at the end was lost on
        # the way (filtered, dropped) and goes to the failures table like a failed fetch.
        self.outstanding: dict[int, str] = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
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
        yield self.index_request(self.start_url, list_path=None)
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
    def index_request(self, url: str, list_path: tuple | None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_index,
            cb_kwargs={"list_path": list_path},
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
        return scrapy.Request(
            url,
            callback=self.parse_post,
            cb_kwargs={"post_id": post_id},
            errback=self.fetch_failed,
            headers=headers,
            meta={"handle_httpstatus_list": POST_STATUSES},
            priority=POST_PRIORITY,
        )

    def fetch_failed(self, failure):
        """One line per page that could not be fetched (after Scrapy's retries), and a failure record."""
        request = failure.request
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else (failure.getErrorMessage() or failure.type.__name__)
        yield from self.give_up(request, reason)

    def give_up(self, request, reason: str):
        is_index = request.callback == self.parse_index
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
    def parse_index(self, response, list_path: tuple | None):
        html = html_of(response)
        if html is None:
            yield from self.retry_or_give_up(response, "not an HTML page")
            return
        page = IndexPage(response.url, html, list_path=list_path)
        stats = self.crawler.stats
        stats.inc_value("pangea/index_pages")
        if self.blog_title is None:
            self.blog_title = page.title
        urls = page.post_urls
        if not urls:
            stats.inc_value("pangea/index_pages_empty")
            if list_path is None:
                raise CloseSpider(f"index page {response.url} lists no posts")
            # A page that "Load more" led to lists nothing: a fault of the moment, most likely.
            yield from self.retry_or_give_up(response, "index page lists no posts")
            return
        all_stored = True
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
                yield self.post_request(url, post_id)
            else:
                stats.inc_value("pangea/posts_skipped_stored")
        if not page.next_page_url:
            self.index_end_reached = True
            return
        if self.mode == "incremental" and all_stored and self.state.index_complete and not self.state.failed_index_pages:
            stats.set_value("pangea/index_stopped_at_page", page.page_number)
            self.logger.info("index page %d lists only stored posts: the rest of the index is not read", page.page_number)
            return
        yield self.index_request(page.next_page_url, list_path or (page.main_list.path if page.main_list else None))

    def parse_post(self, response, post_id: int):
        stats = self.crawler.stats
        if response.status == 304:
            self.outstanding.pop(post_id, None)
            yield PostStatus(id=post_id, url=response.url, status="unchanged")
            return
        if response.status in (404, 410):
            if post_id in self.state.known:
                self.outstanding.pop(post_id, None)
                self.logger.info("post %d answers %d: marked removed", post_id, response.status)
                yield PostStatus(id=post_id, url=response.url, status="removed")
            else:
                yield from self.give_up(response.request, f"HTTP {response.status}")
            return
        html = html_of(response)
        if html is None:
            yield from self.retry_or_give_up(response, "not an HTML page")
            return
        post = PostPage(response.url, html).to_item()
        if post is None:
            stats.inc_value("pangea/post_pages_unreadable")
            yield from self.give_up(response.request, "not a post page")
            return
        self.outstanding.pop(post_id, None)
        if post.id != post_id:
            self.logger.warning("%s was linked as post %d but says it is post %d", response.url, post_id, post.id)
        post.blog_zone = self.zone
        post.etag = response.headers.get("ETag", b"").decode("latin-1") or None
        post.last_modified = response.headers.get("Last-Modified", b"").decode("latin-1") or None
        yield post
