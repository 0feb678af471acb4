"""The benchmarks' floor: a spider that follows the index and fetches the posts, and parses nothing.

Run by ``python -m devtools.bench`` with ``scrapy runspider``, beside the real ``blog``
spider and with the same settings, so that the cost of extraction and storage shows as a
ratio. It finds links with two regular expressions over the raw bytes; it is not a
crawler anyone should use.
"""

import re

import scrapy
from scrapy import signals

from crawler.run import CrawlArguments, RunFacts, run_started
from crawler.urls import canonical_post_url

_POST_LINK = re.compile(rb'href="([^"]*/(?:a|content|amp)/[^"]*?\d+\.html[^"]*)"')
_LOAD_MORE = re.compile(rb'<a class="btn link-showMore[^>]*?href="([^"]+)"')


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, start_url: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_url = start_url

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.announce, signal=signals.spider_opened)
        return spider

    def announce(self, spider=None) -> None:
        """The site the crawl is held to (the project's site guard refuses any other)."""
        facts = RunFacts(CrawlArguments(start_urls=(self.start_url,)))
        self.crawler.signals.send_catch_log(signal=run_started, facts=facts)

    async def start(self):
        yield scrapy.Request(self.start_url, callback=self.parse_index)

    def parse_index(self, response):
        for href in _POST_LINK.findall(response.body):
            url = canonical_post_url(response.urljoin(href.decode().replace("&amp;", "&")))
            if url and url.startswith(self.start_url.split("/z/")[0]):
                yield scrapy.Request(url, callback=self.parse_post)
        more = _LOAD_MORE.search(response.body)
        if more:
            yield response.follow(more.group(1).decode().replace("&amp;", "&"), callback=self.parse_index)

    def parse_post(self, response):
        return None

