"""Log extensions: a line of progress every so often, one line per failed page."""

from __future__ import annotations

import logging

from scrapy import signals
from twisted.internet import task

logger = logging.getLogger(__name__)


class Progress:
    def __init__(self, stats, interval: float):
        self.stats = stats
        self.interval = interval
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler.stats, crawler.settings.getfloat("PROGRESS_INTERVAL"))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider) -> None:
        if self.interval > 0:
            self._loop = task.LoopingCall(self.log)
            self._loop.start(self.interval, now=False)

    def log(self) -> None:
        get = self.stats.get_value
        logger.info(
            "progress: %d index pages, %d posts stored (%d new, %d updated, %d unchanged), %d requests, %d errors",
            get("pangea/index_pages", 0),
            get("pangea/posts_new", 0) + get("pangea/posts_updated", 0) + get("pangea/posts_unchanged", 0),
            get("pangea/posts_new", 0),
            get("pangea/posts_updated", 0),
            get("pangea/posts_unchanged", 0),
            get("downloader/request_count", 0),
            get("log_count/ERROR", 0),
        )

    def spider_closed(self, spider, reason) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()


class _OneLineWarning(logging.Filter):
    """Turns a record into a one-line warning: its message stays, its traceback goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class OneLineNetworkErrors:
    """A page that cannot be fetched is one ERROR line in the log: the spider's own.

    Scrapy's robots.txt middleware reports an unreachable robots.txt as an error with a
    traceback; it becomes a one-line warning (robots.txt missing means crawl as allowed),
    so that a cron job run with ``-L ERROR`` prints one line per page it could not get.
    """

    LOGGERS = ("scrapy.downloadermiddlewares.robotstxt",)

    def __init__(self):
        self.filter = _OneLineWarning()
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler):
        return cls()


# Loggers whose INFO lines are dumps, not news: the settings overridden, the components
# enabled, the stats at the end, Scrapy's start banner, the browser handler's own chatter
# and Scrapy's per-minute counter (the run's own progress line says more).
DUMP_LOGGERS = frozenset({
    "scrapy.crawler", "scrapy.middleware", "scrapy.statscollectors", "scrapy.utils.log", "scrapy.addons",
    "scrapy.extensions.telnet", "scrapy.extensions.logstats", "scrapy-playwright",
})


class _NoDumps(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO


def quiet_scrapy_dumps(settings) -> bool:
    """Keep Scrapy's dumps out of an INFO log (they stay at DEBUG); True when it did."""
    level = settings.get("LOG_LEVEL") or "DEBUG"
    level = logging.getLevelName(level) if isinstance(level, str) else level
    if settings.getbool("LOG_SCRAPY_DUMPS") or not isinstance(level, int) or level <= logging.DEBUG:
        return False
    for name in DUMP_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(existing, _NoDumps) for existing in target.filters):
            target.addFilter(_NoDumps())
    return True
