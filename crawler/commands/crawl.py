"""``scrapy crawl``, with arguments checked first and an exit status that tells the truth.

- Bad input (a start URL that is not a Pangea index, a database that cannot be used)
  gets one clear line on stderr and exit status 2, before anything is fetched or written.
- A run started while another one holds the same database exits at once (status 2)
  and writes nothing.
- A crawl that ran but failed (its ``crawl_runs`` row says ``failed``) exits with 1, so
  cron mails only on trouble.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from ..checks import BadInput, check_crawl
from ..storage import RunLock, StorageError, check_writable

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name, like: scrapy crawl blog")
        lock = None
        try:
            path = self.settings.get("SQLITE_PATH")
            if path:
                check_writable(path)
                # Then the lock: a run that finds another one running writes nothing.
                lock = RunLock(path).acquire()
            check_crawl(args[0], opts.spargs, self.settings)
        except (BadInput, StorageError) as error:
            if lock is not None:
                lock.release()
            print(f"error: {error}", file=sys.stderr)
            self.exitcode = EXIT_BAD_INPUT
            return
        try:
            crawler = self._create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
        finally:
            if lock is not None:
                lock.release()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_FAILED
        elif crawler.stats.get_value("pangea/run_status") == "failed":
            self.exitcode = EXIT_FAILED
