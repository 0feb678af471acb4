"""A Scrapy process that starts and stops without a request: the floor of a run's wall time.

Run by ``python -m devtools.bench`` with ``scrapy runspider``.
"""

import scrapy


class IdleSpider(scrapy.Spider):
    """Starts and stops without a request: the floor of a Scrapy process's wall time."""

    name = "idle"

    async def start(self):
        return
        yield
