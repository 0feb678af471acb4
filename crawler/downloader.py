"""Scrapy's downloader, holding each site to its concurrency when it has no delay.

Scrapy 2.19's ``Downloader._process_queue`` counts a request against its slot's
concurrency (``slot.transferring``) only when the request's download coroutine starts,
which is after the loop that hands out the slot's queue. With a delay the loop hands out
one request per call, and the limit holds; without one (``DOWNLOAD_DELAY = 0``, as on a
site of one's own or a replica) it hands out the whole queue at once: ten or more
requests at one site with ``CONCURRENT_REQUESTS_PER_DOMAIN = 2`` (measured with a replica
that counts the requests it is answering at a time; ``tests/test_many_blogs.py``).

This downloader reserves the request's place in ``transferring`` when it is handed out.
``_download`` adds it again (a set) and takes it out when the response is in, as before.
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


class Downloader(ScrapyDownloader):
    def _process_queue(self, slot) -> None:
        if slot.latercall:
            return  # processing waits for the delay's call
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # counted now, not when its coroutine starts
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                # One request per delay: the next waits for its call.
                self._process_queue(slot)
                break
