"""An index page in the browser: a "Load more" that only a script follows is clicked until
the list ends, or until it brings only stored posts; the end counts only on evidence."""

from __future__ import annotations

import scrapy

from ..pages.index import IndexPage
from ..rendering import load_everything, render_meta
from ..urls import article_id_from_url
from ..warc import dom_read
from .decisions import INDEX_PRIORITY


class RenderedIndexMixin:
    """The blog spider's rendered index pages."""

    def rendered_index_request(self, blog, url: str, list_paths: tuple | None = None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_rendered_index,
            cb_kwargs={"list_paths": list_paths},
            errback=self.fetch_failed,
            meta={**render_meta(), "blog": blog.key},
            priority=INDEX_PRIORITY,
            dont_filter=True,
        )

    async def click_load_more(self, page, **options) -> tuple[int, str]:
        """``load_everything`` within the run's browser budget (each click loads a page of
        the site: it counts as a page load, and waits the site's download delay)."""
        stats, settings = self.crawler.stats, self.crawler.settings
        left = self.limits.browser_page_loads - stats.get_value("pangea/browser_page_loads", 0)
        clicks, outcome = await load_everything(
            page, max_clicks=max(0, left), delay=settings.getfloat("DOWNLOAD_DELAY"),
            wait_seconds=settings.getfloat("LOAD_MORE_WAIT_SECONDS", 30.0), **options,
        )
        stats.inc_value("pangea/browser_page_loads", clicks)
        if outcome == "limit" and clicks >= left:
            stats.set_value("pangea/browser_limit_reached", self.limits.browser_page_loads)
        return clicks, outcome

    def keep_dom(self, response, page, html: str) -> list:
        """A page read in the browser: the DOM read goes to the WARC files. Returns what
        gives the page up when they cannot be written (nothing is stored without its
        capture), else nothing."""
        if page is None:
            return []  # a re-extraction: the DOM is the one kept then
        self.crawler.signals.send_catch_log(signal=dom_read, request=response.request, html=html)
        if response.meta.get("warc_not_kept"):
            return list(self.give_up(response.request, "not kept: the WARC files cannot be written"))
        return []

    async def parse_rendered_index(self, response, list_paths: tuple | None = None):
        """An index page in the browser. A "Load more" that is a link is followed like any
        index page; one that only a script can follow is clicked until the list ends, or
        until it brings only stored posts."""
        blog = self.blog_of(response)
        self.count(blog, "pages_rendered")
        # In a re-extraction there is no page: the DOM kept is the one read after the clicks.
        page = response.meta.get("playwright_page")
        listed, looks, cycled = 0, 0, False

        def newest_batch_is_stored(html: str) -> bool:
            """Enough clicks: the newest batch is stored (incremental), or a click brought
            only posts listed before (the list comes round again: a cycle)."""
            nonlocal listed, looks, cycled
            ids = [article_id_from_url(u) for u in IndexPage(response.url, html).post_urls]
            batch, grew, listed = ids[listed:], len(ids) > listed, len(ids)
            looks += 1
            if looks > 1 and not grew:
                cycled = True
                return True
            if not self.may_stop_early(blog):
                return False
            blog.state.look_up(batch)
            stored = [blog.state.known.get(i) for i in batch]
            return bool(batch) and all(k is not None and not k.removed for k in stored)

        clicks, outcome = 0, "ended"
        try:
            html = await page.content() if page is not None else response.text
            index = IndexPage(response.url, html, list_paths=list_paths)
            # In the browser, a control without a link is clicked, as a reader would.
            clicking = index.has_load_more and not index.next_page_link
            if clicking and page is not None:
                clicks, outcome = await self.click_load_more(page, stop=newest_batch_is_stored)
                html = await page.content()
            elif clicking:
                outcome = "limit"  # the kept DOM still shows the control: the walk did not end there
        finally:
            if page is not None:
                await self.pages.release(response.request, page, reuse=False)  # a long list: not kept
        not_kept = self.keep_dom(response, page, html)
        if not_kept:
            for item in not_kept:
                yield item
            return
        if not clicking:
            for item in self.follow_index(response, index, list_paths):
                yield item
            return
        self.count(blog, "index_pages")
        self.count(blog, "load_more_clicks", clicks)
        index = IndexPage(response.url, html)
        self.count_disagreements(blog, index)
        for request in self.feed_request(blog, index):
            yield request
        if blog.title is None:
            blog.title = index.title
        if not index.post_urls:
            for item in self.give_up(response.request, "index page lists no posts, even in a browser"):
                yield item
            return
        requests, _ = self._posts_to_fetch(blog, index.post_urls, response.meta.get("fetched_at"))
        for request in requests:
            yield request
        if cycled:
            self.count(blog, "audit/index_pages_repeated")
            blog.cut(f"index page {response.url}: a click of 'Load more' brought only posts listed before: the index cycles")
        elif outcome == "ended":
            blog.index_end_reached = True
        elif outcome == "stopped":
            self.count(blog, "index_stopped_at_page", clicks, replace=True)
        else:
            # "Load more" is still there: the index is not whole, and the run must say so.
            self.count(blog, "audit/index_not_finished", 1, replace=True)
            reason = "a click of 'Load more' brought nothing" if outcome == "stalled" else f"'Load more' still there after {clicks} clicks"
            for item in self.give_up(response.request, f"the index is not complete: {reason}"):
                yield item

