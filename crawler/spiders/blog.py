"""The ``blog`` spider: a Pangea blog index, page after page, and every post it lists.

The spider only decides what to fetch; what a page says is the page objects' business
(``crawler.pages``), and cleaning and storing is the pipelines'.
"""

from __future__ import annotations

import scrapy
from scrapy.exceptions import CloseSpider

from ..pages.index import IndexPage
from ..pages.post import PostPage
from ..checks import check_start_url
from ..urls import article_id_from_url, canonical_post_url, on_host_of, site_of, zone_id_from_url

DEFAULT_START_URL = "https://www.rferl.org/z/17257"

# Index pages go first: they are the chain the whole crawl hangs on.
INDEX_PRIORITY = 10
POST_PRIORITY = 0


class BlogSpider(scrapy.Spider):
    name = "blog"

    def __init__(self, start_url: str = DEFAULT_START_URL, mode: str = "full", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_url = check_start_url(start_url)
        self.mode = mode
        self.zone = zone_id_from_url(self.start_url)
        self.allowed_domains = [site_of(self.start_url)]
        self.seen_ids: set[int] = set()

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

    async def start(self):
        yield self.index_request(self.start_url, list_path=None)

    def index_request(self, url: str, list_path: tuple | None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_index,
            cb_kwargs={"list_path": list_path},
            errback=self.fetch_failed,
            priority=INDEX_PRIORITY,
        )

    def post_request(self, url: str, post_id: int) -> scrapy.Request:
        return scrapy.Request(
            on_host_of(canonical_post_url(url), self.start_url),
            callback=self.parse_post,
            cb_kwargs={"post_id": post_id},
            errback=self.fetch_failed,
            priority=POST_PRIORITY,
        )

    def fetch_failed(self, failure) -> None:
        """One line per page that could not be fetched (after Scrapy's retries)."""
        request = failure.request
        kind = "index page" if request.callback == self.parse_index else "post"
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else failure.getErrorMessage()
        self.crawler.stats.inc_value(f"pangea/fetch_failed/{kind.replace(' ', '_')}")
        self.logger.error("cannot fetch %s %s: %s", kind, request.url, reason)

    def parse_index(self, response, list_path: tuple | None):
        page = IndexPage(response.url, response.text, list_path=list_path)
        self.crawler.stats.inc_value("pangea/index_pages")
        urls = page.post_urls
        if not urls:
            self.crawler.stats.inc_value("pangea/index_pages_empty")
            if response.url == self.start_url or page.page_number == 0:
                raise CloseSpider(f"index page {response.url} lists no posts")
            self.logger.error("index page %s lists no posts", response.url)
        for url in urls:
            post_id = article_id_from_url(url)
            if post_id in self.seen_ids:
                self.crawler.stats.inc_value("pangea/post_links_repeated")
                continue
            self.seen_ids.add(post_id)
            yield self.post_request(url, post_id)
        if page.next_page_url:
            yield self.index_request(page.next_page_url, list_path or (page.main_list.path if page.main_list else None))

    def parse_post(self, response, post_id: int):
        page = PostPage(response.url, response.text)
        post = page.to_item()
        if post is None:
            self.crawler.stats.inc_value("pangea/post_pages_unreadable")
            self.logger.error("%s is not a post page", response.url)
            return
        if post.id != post_id:
            self.logger.warning("%s was linked as post %d but says it is post %d", response.url, post_id, post.id)
        post.blog_zone = self.zone
        yield post
