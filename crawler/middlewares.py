"""Downloader middlewares: one site only; Scrapy's retries with backoff, honouring Retry-After."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.response import response_status_message

from .run import run_started
from .urls import site_of, url_on_site

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """A ``Retry-After`` header (seconds, or an HTTP date) as seconds from now; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, with exponential backoff between attempts.

    A 429 or 503 with ``Retry-After`` holds every request to that host until the time the
    site asked for (capped by ``RETRY_AFTER_MAX``); other retries wait
    ``RETRY_BACKOFF_BASE * 2**attempt`` seconds (capped by ``RETRY_BACKOFF_MAX``), with
    jitter. Waiting happens in ``process_request``, so the retry keeps its place in
    Scrapy's own scheduling and counts against the concurrency limits meanwhile.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 300.0)
        self.resume_at: dict[str, float] = {}

    async def process_request(self, request):
        host = urlsplit(request.url).netloc
        wait = max(request.meta.get("retry_not_before", 0.0), self.resume_at.get(host, 0.0)) - time.monotonic()
        if wait > 0:
            self.crawler.stats.inc_value("retry/backoff_waits")
            self.crawler.stats.inc_value("retry/backoff_seconds", round(wait, 3))
            await asyncio.sleep(wait)
        return None

    def _delay(self, request) -> float:
        attempt = request.meta.get("retry_times", 0)
        return min(self.backoff_max, self.backoff_base * 2**attempt) * random.uniform(0.5, 1.0)

    def _retry_later(self, request, reason, delay: float):
        retry = self._retry(request, reason)
        if retry is not None:
            retry.meta["retry_not_before"] = time.monotonic() + delay
        return retry

    def process_response(self, request, response):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = self._delay(request)
        if response.status in (429, 503):
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None:
                delay = min(max(delay, asked), self.retry_after_max)
                host = urlsplit(request.url).netloc
                self.resume_at[host] = max(self.resume_at.get(host, 0.0), time.monotonic() + delay)
                self.crawler.stats.inc_value("retry/retry_after_honoured")
        return self._retry_later(request, response_status_message(response.status), delay) or response

    def process_exception(self, request, exception):
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry", False):
            return self._retry_later(request, exception, self._delay(request))
        return None


class SiteOnlyMiddleware:
    """No request leaves the crawl's site, whatever led to it.

    Every request is judged here, first among the downloader middlewares: the spider's
    own, each hop of a redirect (after a retry too, whose ``dont_filter`` makes Scrapy's
    offsite filter look away), a meta refresh, robots.txt. The sites are the start URLs'
    hosts without ``www.`` and their subdomains (``www.rferl.org``, ``gdb.rferl.org``);
    ``SITE_EXTRA_HOSTS`` names other hosts the crawl may read. A request elsewhere is
    dropped before it is sent, counted, and its page is reported as not fetched.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.extra_hosts = {host.lower().removeprefix("www.") for host in crawler.settings.getlist("SITE_EXTRA_HOSTS")}
        self.origins: tuple[str, ...] = ()
        self.sites: tuple[str, ...] = ()

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler)
        crawler.signals.connect(middleware.run_started, signal=run_started)
        return middleware

    def run_started(self, facts) -> None:
        origins, sites = [], []
        for blog in facts.blogs:
            parts = urlsplit(blog.start_url)
            origins.append(f"{parts.scheme}://{parts.netloc}/")
            sites.append(site_of(blog.start_url))
        self.origins, self.sites = tuple(dict.fromkeys(origins)), tuple(dict.fromkeys(sites))

    def allows(self, url: str) -> bool:
        if not self.origins:
            return False  # no run, no site: nothing is fetched
        # Nearly every request is on a start URL's own origin: a prefix tells.
        return url.startswith(self.origins) or any(url_on_site(url, site, self.extra_hosts) for site in self.sites)

    def process_request(self, request):
        if self.allows(request.url):
            return None
        self.crawler.stats.inc_value("pangea/offsite_refused")
        logger.info("not fetched, another site: %s", request.url)
        raise IgnoreRequest(f"refused: {request.url} is not on the crawled site")
