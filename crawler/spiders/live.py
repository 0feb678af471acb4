"""Live blogs: a live blog page's entries, and its older pages while the run needs them.

A live blog counts as read to its oldest entries only on evidence: its last page shows no
way to older entries (in any form: a link, a ``data-ajax-url``, an entry permalink of a
later page, a control only a script follows, clicked in the browser), and no entry
permalink of the pages read names a page past it. Otherwise the run says which live blog
was not read whole (exit 1), ``live_blogs.walk_complete_at`` stays empty, and the next run
goes on.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import scrapy

from ..items import LiveBlogWalk
from ..pages.feeds import html_of
from ..pages.reading import LiveReading, read_live_page
from ..rendering import FIND_LIVE_MORE, render_meta
from ..run import LiveWalk
from ..urls import entry_page_from_url, on_host_of
from .decisions import POST_PRIORITY, older_live_page_needed


class LiveBlogMixin:
    """The blog spider's live blog pages."""

    def live_walk(self, blog, post_id: int, url: str, site: str) -> LiveWalk:
        return blog.live_walks.setdefault(post_id, LiveWalk(url=url, site=site))

    def _older_page_needed(self, blog, post_id: int, entries: list) -> bool:
        window_start = (datetime.now(timezone.utc) - timedelta(days=self.recheck_days)).isoformat()
        return older_live_page_needed(
            mode=self.mode,
            walk_complete=post_id in blog.state.live_walk_complete,
            stored_entry_ids=blog.state.live_entries.get(post_id, set()),
            page_entries=entries,
            window_start=window_start,
        )

    def live_entries(self, blog, live: LiveReading, fetched_at: str | None = None, url: str | None = None,
                     clicked: str | None = None):
        """A live blog page's entries, and its older page when the run still needs it.

        Older pages are read while the page shows no stored entry (new entries go on),
        while its entries are inside the recheck window (edits are caught), in full mode,
        and until a first walk has read the whole live blog once. ``clicked`` is how the
        clicks of a browser's "Load more" ended, for a page read in the browser.
        """
        self.count(blog, "live_pages")
        for name, count in live.disagreements.items():
            self.count(blog, f"audit/{name}", count)
        entries = live.entries
        for entry in entries:
            entry.fetched_at = fetched_at
            yield entry
        post_id = live.post_id
        walk = self.live_walk(blog, post_id, url or live.site, live.site)
        walk.furthest_page_named = max(walk.furthest_page_named, live.furthest_page_named)
        # Read in the browser, the page's own verdict stands: no visible control is left.
        more = live.has_more if clicked is None else clicked != "ended"
        if not more:
            # The pages this page shows: its own, and those of its entries (a page read in the
            # browser holds every page its clicks brought).
            shown = max([live.page_number, *(entry_page_from_url(e.url) or 0 for e in entries if e.url)])
            if walk.furthest_page_named > shown:
                # The pages read name a page past this one, which shows no way to it.
                self.count(blog, "audit/live_pages_named_not_read", walk.furthest_page_named - shown)
                walk.stop(f"its entry permalinks name page {walk.furthest_page_named} of its entries, "
                          f"and page {shown} shows no way there")
                yield LiveBlogWalk(site=live.site, post_id=post_id, pages=0)
                return
            walk.ended = True
            yield LiveBlogWalk(site=live.site, post_id=post_id, pages=live.page_number + 1)
            return
        if clicked is not None or not self._older_page_needed(blog, post_id, entries):
            if clicked in (None, "stopped"):
                walk.ended = True  # stopped by the run's rule: older entries are stored
            else:
                self.count(blog, "audit/live_blogs_not_finished")
                walk.stop("a click of 'Load more' brought nothing" if clicked == "stalled" else f"'Load more' {clicked}")
            yield LiveBlogWalk(site=live.site, post_id=post_id, pages=0)
            return
        if live.next_page_url is not None:
            yield scrapy.Request(
                on_host_of(live.next_page_url, blog.start_url),
                callback=self.parse_live_page,
                cb_kwargs={"post_id": post_id},
                errback=self.fetch_failed,
                priority=POST_PRIORITY + 1,
                meta={"blog": blog.key},
            )
        elif self.render == "never":
            self.count(blog, "audit/live_blogs_not_finished")
            walk.stop("its 'Load more' works only in a browser (render=never)")
            yield LiveBlogWalk(site=live.site, post_id=post_id, pages=0)
        else:
            # A control only a script follows: the page again, in the browser, clicked.
            yield scrapy.Request(
                walk.url,
                callback=self.parse_rendered_live,
                cb_kwargs={"post_id": post_id},
                errback=self.fetch_failed,
                priority=POST_PRIORITY + 1,
                meta={**render_meta(post=True), "blog": blog.key},
                dont_filter=True,
            )

    def parse_live_page(self, response, post_id: int):
        html = html_of(response)
        if html is None:
            yield from self.retry_or_give_up(response, "not an HTML page")
            return
        live = read_live_page(response.url, html)
        if not live.entries:
            yield from self.retry_or_give_up(response, "live blog page lists no entries")
            return
        yield from self.live_entries(self.blog_of(response), live, response.meta.get("fetched_at"))

    async def parse_rendered_live(self, response, post_id: int):
        """A live blog page in the browser: its "Load more" clicked until the oldest entry
        shows (or until the run has what it needs), then every entry of the page read."""
        blog = self.blog_of(response)
        self.count(blog, "pages_rendered")
        page = response.meta.get("playwright_page")  # none in a re-extraction: the DOM kept
        outcome = "ended"

        def enough(html: str) -> bool:
            return not self._older_page_needed(blog, post_id, read_live_page(response.url, html).entries)

        try:
            if page is not None:
                clicks, outcome = await self.click_load_more(page, stop=enough, finder=FIND_LIVE_MORE)
                self.count(blog, "load_more_clicks", clicks)
                html = await page.content()
            else:
                html = response.text
        finally:
            if page is not None:
                await self.pages.release(response.request, page, reuse=False)
        not_kept = self.keep_dom(response, page, html)
        if not_kept:
            for item in not_kept:
                yield item
            return
        live = read_live_page(response.url, html)
        if not live.entries:
            for item in self.give_up(response.request, "live blog page lists no entries, even in a browser"):
                yield item
            return
        if page is None and live.has_more:
            outcome = "limit"  # the DOM kept still shows the control: the walk did not end there
        clicked = "still there after the clicks" if outcome == "limit" else outcome
        for item in self.live_entries(blog, live, response.meta.get("fetched_at"), clicked=clicked):
            yield item
