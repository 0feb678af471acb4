"""Live blogs: a live blog page's entries, and its older pages while the run needs them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import scrapy

from ..items import LiveBlogWalk
from ..pages.feeds import html_of
from ..pages.reading import LiveReading, read_live_page
from ..urls import on_host_of
from .decisions import POST_PRIORITY, older_live_page_needed


class LiveBlogMixin:
    """The blog spider's live blog pages."""

    # --- live blogs -----------------------------------------------------------------------
    def live_entries(self, blog, live: LiveReading, fetched_at: str | None = None):
        """A live blog page's entries, and its older page when the run still needs it.

        Older pages are read while the page shows no stored entry (new entries go on),
        while its entries are inside the recheck window (edits are caught), in full mode,
        and until a first walk has read the whole live blog once.
        """
        self.count(blog, "live_pages")
        for name, count in live.disagreements.items():
            self.count(blog, f"audit/{name}", count)
        entries = live.entries
        for entry in entries:
            entry.fetched_at = fetched_at
            yield entry
        post_id = live.post_id
        known = blog.state.live_entries.get(post_id, set())
        next_url = live.next_page_url
        if next_url is None:
            yield LiveBlogWalk(site=live.site, post_id=post_id, pages=live.page_number + 1)
            return
        window_start = (datetime.now(timezone.utc) - timedelta(days=self.recheck_days)).isoformat()
        if older_live_page_needed(
            mode=self.mode,
            walk_complete=post_id in blog.state.live_walk_complete,
            stored_entry_ids=known,
            page_entries=entries,
            window_start=window_start,
        ):
            yield scrapy.Request(
                on_host_of(next_url, blog.start_url),
                callback=self.parse_live_page,
                cb_kwargs={"post_id": post_id},
                errback=self.fetch_failed,
                priority=POST_PRIORITY + 1,
                meta={"blog": blog.key},
            )
        else:
            yield LiveBlogWalk(site=live.site, post_id=post_id, pages=0)

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
