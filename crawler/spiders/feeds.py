"""The feed and the sitemap: the audit of an index walk against the blog's feed, and the
feed and sitemap entry points (``via=feed``, ``via=sitemap``)."""

from __future__ import annotations

import scrapy
from scrapy.exceptions import DontCloseSpider

from ..pages.feeds import feed_post_urls, html_of, read_sitemap
from ..pages.index import IndexPage
from ..urls import is_same_site, on_host_of
from .decisions import POST_PRIORITY, missed_by_index


class FeedAndSitemapMixin:
    """The blog spider's feed and sitemap requests."""

    # --- the audit against the feed ------------------------------------------------------------
    def feed_request(self, blog, page: IndexPage):
        """The blog's feed, once per run, from the first index page that links it."""
        if self.via != "index" or blog.feed_requested or not page.feed_url:
            return
        if not is_same_site(page.feed_url, blog.start_url):
            return
        blog.feed_requested = True
        yield scrapy.Request(
            on_host_of(page.feed_url, blog.start_url),
            callback=self.read_audit_feed,
            errback=self.audit_feed_failed,
            priority=POST_PRIORITY,
            meta={"blog": blog.key},
        )

    def read_audit_feed(self, response):
        blog = self.blog_of(response)
        urls = feed_post_urls(response)
        self.count(blog, "audit/feed_posts", len(urls), replace=True)
        if not urls:
            # A feed that lists no post (or a page that is not a feed) checks nothing.
            self.count(blog, "audit/feed_unavailable", 1, replace=True)
            self.logger.warning("the blog's feed %s lists no posts: the run is not checked against it", response.url)
            return []
        blog.feed_urls = urls
        return []

    def audit_feed_failed(self, failure):
        # The feed is a second opinion: without it the run is as good as its index walk.
        self.count(self.blog_of(failure.request), "audit/feed_unavailable", 1, replace=True)
        self.logger.warning("the blog's feed %s could not be read: the run is not checked against it", failure.request.url)
        return []

    def audit_with_feed(self, spider=None):
        """When the walks are done: each blog's feed posts that its index did not lead to
        and the archive does not hold are fetched now, and counted as missed by the index."""
        fetching = False
        for blog in self.facts.blogs:
            if blog.feed_urls is None or blog.feed_audited:
                continue
            blog.feed_audited = True
            missed = [
                self.post_request(blog, url, post_id)
                for url, post_id in missed_by_index(blog.feed_urls, start_url=blog.start_url, seen_ids=blog.seen_ids, state=blog.state)
            ]
            if not missed:
                continue
            self.count(blog, "audit/posts_missed_by_index", len(missed))
            self.logger.info(
                "the feed of %s lists %d posts that the index walk did not lead to; fetching them now", blog.start_url, len(missed)
            )
            for request in missed:
                self.crawler.engine.crawl(request)
            fetching = True
        if fetching:
            raise DontCloseSpider

    # --- the feed and the sitemap -------------------------------------------------------------
    def find_feed(self, response):
        """The blog's RSS feed, as its index page links it: the fast path for frequent runs."""
        blog = self.blog_of(response)
        html = html_of(response)
        feed_url = IndexPage(response.url, html).feed_url if html else None
        if not feed_url:
            self.stop_blog(blog, f"index page {response.url} links no RSS feed (use via=index)")
            return
        yield scrapy.Request(
            on_host_of(feed_url, blog.start_url), callback=self.parse_feed, errback=self.fetch_failed, meta={"blog": blog.key}
        )

    def parse_feed(self, response):
        blog = self.blog_of(response)
        urls = feed_post_urls(response)
        self.count(blog, "feed_items", len(urls), replace=True)
        if not urls:
            # The feed is this blog's whole walk: without a post, the blog failed.
            self.stop_blog(blog, f"feed {response.url} lists no posts")
            return
        requests, _ = self._posts_to_fetch(blog, urls, response.meta.get("fetched_at"))
        yield from requests

    def parse_sitemap(self, response):
        """A sitemap index or one of its (gzipped) sitemaps: every post URL of the site.

        Backfill: posts are fetched and only those the page files under this blog's zone
        are kept (``parse_post``); the sitemap says nothing of blogs.
        """
        blog = self.blog_of(response)
        kind, locations = read_sitemap(response.body, self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        if kind == "sitemapindex":
            own = [location for location in locations if is_same_site(location, blog.start_url)]
            room = max(0, self.limits.sitemaps - self.sitemaps_asked)
            if len(own) > room:
                line = f"the site's sitemaps were read up to the run's limit of {self.limits.line('sitemaps')}"
                if line not in self.facts.limits_reached:
                    self.facts.limits_reached.append(line)
                    self.logger.error("%s: %s", response.url, line)
                own = own[:room]
            self.sitemaps_asked += len(own)
            for location in own:
                yield scrapy.Request(
                    on_host_of(location, blog.start_url), callback=self.parse_sitemap, errback=self.fetch_failed,
                    meta={"blog": blog.key},
                )
            return
        self.count(blog, "sitemap_urls", len(locations))
        requests, _ = self._posts_to_fetch(blog, locations, response.meta.get("fetched_at"))
        yield from requests

