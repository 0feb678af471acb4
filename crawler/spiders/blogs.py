"""The blogs of a run: which blog a request is for, each blog's share of the run's counts,
a blog given up while the others go on, and each blog's first requests."""

from __future__ import annotations

import itertools

import scrapy
from scrapy.exceptions import CloseSpider

from ..run import BlogFacts
from .decisions import INDEX_PRIORITY


class BlogsMixin:
    """The blog spider's blogs (``self.facts.blogs``; ``meta["blog"]`` names a request's)."""

    def blog_of(self, request) -> BlogFacts:
        """The blog a request (or its response) was made for."""
        return self.blogs[tuple(request.meta["blog"])]

    def count(self, blog: BlogFacts, name: str, value: int = 1, *, replace: bool = False) -> None:
        """A ``pangea/<name>`` stat of the run, and of the blog it concerns."""
        key = f"pangea/{name}"
        if replace:
            self.crawler.stats.set_value(key, value)
            blog.counts[key] = value
        elif value:
            self.crawler.stats.inc_value(key, value)
            blog.counts[key] += value

    def stop_blog(self, blog: BlogFacts, reason: str) -> None:
        """A blog the run cannot go on with (its index lists nothing, links no feed): the
        other blogs go on; when none is left, the run closes with this reason."""
        blog.stopped = reason
        if all(other.stopped for other in self.facts.blogs):
            raise CloseSpider(reason)
        self.logger.error("blog %s given up: %s", blog.start_url, reason)

    def claim_start(self, blog: BlogFacts, claimed) -> None:
        """The posts a blog's first requests ask for again (its failures, the re-check
        window), marked asked-for before any entry request can be answered: an index page
        read first would take a stored post in the window for one not to fetch, and its
        edit would go unseen. ``claimed`` gets the ones this blog asks for (another blog of
        the site may have claimed a post first)."""
        if self.reextract:
            return
        state = blog.state
        # Posts in the window are re-checked even when the index no longer lists them:
        # that is how a deleted post is noticed.
        rechecked = state.recheck if self.mode == "incremental" else ()
        for post_id in itertools.chain(state.failed_posts, rechecked):
            if post_id not in blog.seen_ids:
                blog.seen_ids.add(post_id)
                blog.listed_ids.add(post_id)
                claimed.add(post_id)

    def blog_start(self, blog: BlogFacts, claimed):
        """A blog's first requests: its entry point, then what its last run left to do and
        the re-checks (``claim_start``)."""
        if self.via == "feed":
            yield scrapy.Request(
                blog.start_url, callback=self.find_feed, errback=self.fetch_failed, priority=INDEX_PRIORITY, meta={"blog": blog.key}
            )
        elif self.via == "sitemap":
            if any(other.site == blog.site for other in self.facts.blogs[: self.facts.blogs.index(blog)]):
                pass  # the site's sitemaps are read once, for all its blogs (route_post sorts by zone)
            else:
                origin = blog.start_url.split("/z/")[0]
                yield scrapy.Request(f"{origin}/sitemap.xml", callback=self.parse_sitemap, errback=self.fetch_failed,
                                     meta={"blog": blog.key})
        else:
            yield self.index_request(blog, blog.start_url, list_paths=None)
        if self.reextract:
            return
        state = blog.state
        for post_id, url in state.failed_posts.items():
            if post_id in claimed:
                yield self.post_request(blog, url, post_id)
        if self.mode == "incremental":
            for post_id in state.recheck:
                if post_id in claimed and post_id not in state.failed_posts:
                    yield self.post_request(blog, state.known[post_id].url, post_id, conditional=True)
