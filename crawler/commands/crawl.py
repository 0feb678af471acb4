"""``scrapy crawl``, with arguments checked first and an exit status that tells the truth.

- Bad input (a start URL that is not a Pangea index, a database that cannot be used)
  gets one clear line on stderr and exit status 2, before anything is fetched or written.
- A crawl that ran but failed (its ``crawl_runs`` row says ``failed``) exits with 1, so
  cron mails only on trouble.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from ..checks import BadInput, check_crawl

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name, like: scrapy crawl blog")
        try:
            check_crawl(args[0], opts.spargs, self.settings)
        except BadInput as error:
            print(f"error: {error}", file=sys.stderr)
            self.exitcode = EXIT_BAD_INPUT
            return
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_FAILED
        elif crawler.stats.get_value("pangea/run_status") == "failed":
            self.exitcode = EXIT_FAILED
