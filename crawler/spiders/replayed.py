"""Re-extraction (``-a mode=reextract``): the post pages the WARC files hold, read by the
same page objects and routed by the same spider code as in a crawl.

Pages are read in a pool of processes (``REEXTRACT_WORKERS``, by default one less than
the machine's cores) while this process routes and stores what they read: reading a page
is most of a re-extraction's work, and nothing here waits for a network.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor

from scrapy import signals

from ..pages.reading import read_post
from ..replay import announce_captures, replay_index, replayed_response
from ..urls import site_key

# Pages read ahead of the one being routed, per worker.
READ_AHEAD = 8


def reextract_workers(setting: int | None) -> int:
    if setting is not None and setting >= 0:
        return setting
    return max(1, (os.cpu_count() or 2) - 1)


class ReextractMixin:
    """The blog spider's re-extraction of the post pages kept in WARC files."""

    async def reextract_posts(self):
        """Every post page the WARC files hold, whether the index still lists it or not. A
        page kept as a plain 200 goes straight to the post routing; one that needs the
        downloader's middlewares (a redirect, an encoded body) or the browser's DOM takes
        the request's way, through the replay handler."""
        index = replay_index(self.crawler)
        announce_captures(self.crawler, index)
        workers = reextract_workers(self.crawler.settings.getint("REEXTRACT_WORKERS", -1))
        pool = None
        if workers:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
            self.crawler.signals.connect(lambda spider=None: pool.shutdown(wait=False, cancel_futures=True),
                                         signal=signals.spider_closed, weak=False)
        reading: deque = deque()  # (response, post_id, pages read in the pool), in order
        # A page goes to the first of the run's blogs on its site until it is read (then to
        # the blog of its zone, ``route_post``); the index walks that follow record it in
        # every blog that lists it.
        blog_of_site = {}
        for blog in self.facts.blogs:
            blog_of_site.setdefault(blog.site, blog)
        # Each post once, at the address of its latest capture: a post kept under two
        # addresses (``/a/<id>.html`` one run, its slug the next) is read as last fetched.
        for post_id, url in index.plain.posts():  # read from the index's file a batch at a time
            blog = blog_of_site.get(site_key(url))
            if blog is None or post_id in blog.seen_ids:
                continue
            blog.seen_ids.add(post_id)
            request = self.post_request(blog, url, post_id)
            stored = index.plain.get(request.url)
            if request.meta.get("playwright") or stored is None or stored.status != 200 or stored.encoded:
                yield request
                continue
            response = replayed_response(index, request, self.crawler.stats)
            if pool is None:
                for output in self.route_post(response, post_id, read_post(response.url, response.text), False):
                    yield output
                continue
            reading.append((response, post_id, asyncio.wrap_future(pool.submit(read_post, response.url, response.text))))
            while len(reading) > READ_AHEAD * workers:
                response, post_id, future = reading.popleft()
                for output in self.route_post(response, post_id, await future, False):
                    yield output
        while reading:
            response, post_id, future = reading.popleft()
            for output in self.route_post(response, post_id, await future, False):
                yield output
        if pool is not None:
            pool.shutdown(wait=False)

