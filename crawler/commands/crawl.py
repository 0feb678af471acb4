"""``scrapy crawl``, with arguments checked first and an exit status that tells the truth.

- Bad input (an argument the spider does not take, a value it cannot use, a start URL
  that is not a Pangea index, an empty path, a database that is damaged or another
  application's) gets one clear line on stderr and exit status 2, before anything is
  fetched or written.
- A run started while another one holds the same database exits at once (status 2)
  and writes nothing.
- A crawl that ran but failed (its ``crawl_runs`` row says ``failed``) exits with 1, so
  cron mails only on trouble.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.exceptions import UsageError

from ..checks import BadInput, check_alert, check_archive_path, check_days, check_keys_in_memory, check_start_url
from ..alerts import WebhookAlert
from ..extensions import quiet_scrapy_dumps
from ..limits import RunLimits
from ..replay import blogs_named, warc_files
from ..run import parse_arguments
from ..warc import default_warc_dir
from ..storage import RunLock, StorageError
from ..storage.checked import needs_whole_check, remember_as_left
from ..urls import site_key

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class Command(ScrapyCrawlCommand):
    lock: RunLock | None = None

    def process_options(self, args, opts) -> None:
        """Every check of the input, and the archive's lock, before Scrapy starts (and
        before it prints a line): bad input is one line and exit 2, and writes nothing."""
        super().process_options(args, opts)
        quiet_scrapy_dumps(self.settings)
        # -o / -O export posts only (crawler/schemas/post.schema.json), never the run's
        # bookkeeping records; a feed configured with its own item_classes keeps them.
        feeds = self.settings.getdict("FEEDS")
        if feeds:
            for options in feeds.values():
                options.setdefault("item_classes", ["crawler.items.Post"])
            self.settings.set("FEEDS", feeds, priority="cmdline")
        try:
            if opts.spargs.get("mode") == "reextract" and not {"start_url", "blogs"} & set(opts.spargs):
                # A rebuild from WARC files alone: the blogs their runs crawled.
                opts.spargs["start_url"] = self.blogs_of_warc_files(opts.spargs.get("warc", ""), self.settings.get("SQLITE_PATH"))
            arguments = parse_arguments(opts.spargs)
            check_alert(self.settings.get("ALERT_WEBHOOK_URL"), self.settings.get("ALERT_ON"))
            limits = RunLimits.from_settings(self.settings)
            check_keys_in_memory(self.settings.get("RUN_KEYS_IN_MEMORY"))
            if not self.settings.getfloat("CLOSESPIDER_TIMEOUT"):
                # Every run ends: within its time budget, whatever the site does.
                self.settings.set("CLOSESPIDER_TIMEOUT", limits.budget_seconds, priority="cmdline")
            self.room_for_every_site(arguments)
            path = self.settings.get("SQLITE_PATH")
            if arguments.mode == "reextract":
                self.replay_from_warc(arguments, path)
            # Reads only: a damaged archive, or another application's database, is left as it is.
            # Every page is checked when the file is not as the last run left it (``checked``).
            self.checked_whole = path is not None and needs_whole_check(path, check_days(self.settings.get("ARCHIVE_CHECK_DAYS", 7)))
            check_archive_path(path, thorough=self.checked_whole)
            # Then the lock: a run that finds another one running writes nothing.
            try:
                self.lock = RunLock(path).acquire()
            except StorageError as error:
                raise self.refused_by_lock(path, error, limits) from None
            check_archive_path(path, thorough=False)  # what may have changed meanwhile
        except (BadInput, StorageError) as error:
            if self.lock is not None:
                self.lock.release()
            print(f"error: {error}", file=sys.stderr)
            raise SystemExit(EXIT_BAD_INPUT) from None

    def refused_by_lock(self, path, error: StorageError, limits: RunLimits) -> StorageError:
        """A run that finds another one holding the archive: since when (the running run's
        row, read only), said when longer than a run's budget (a hung run), and posted to
        the webhook when the alerts ask for every run, or for failures and it is one."""
        started = None
        try:
            with sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=2) as conn:
                row = conn.execute("SELECT started_at FROM crawl_runs WHERE status = 'running' ORDER BY id DESC LIMIT 1").fetchone()
                started = row[0] if row else None
        except sqlite3.Error:
            pass
        message, hung = str(error), False
        if started:
            try:
                held = (datetime.now(timezone.utc) - datetime.fromisoformat(started)).total_seconds()
            except (TypeError, ValueError):
                held = 0
            if held > limits.budget_seconds:
                hung = True
                message = (f"another crawl has held {path} since {started}, longer than a run's budget of {limits.budget_seconds:g} s "
                           "(RUN_BUDGET_SECONDS): it may be hung; this run stops here")
        url, on = self.settings.get("ALERT_WEBHOOK_URL"), self.settings.get("ALERT_ON", "failed")
        if url and (on == "always" or hung):
            WebhookAlert(url, on, self.settings.getfloat("ALERT_TIMEOUT", 10.0)).post({
                "status": "refused", "archive": str(path), "run_id": None, "finish_reason": "locked", "message": message,
                "started_at": None, "finished_at": None, "job": None, "held_since": started,
            })
        return StorageError(message)

    def room_for_every_site(self, arguments) -> None:
        """A run of many sites may have each site's share of requests at once: the whole
        crawl's limit (``CONCURRENT_REQUESTS``) is raised to sites x per-site limit, unless
        it was given on the command line (or by Scrapyd's ``setting=``)."""
        settings = self.settings
        sites = {site_key(url) for url in arguments.start_urls}
        wanted = len(sites) * settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        if wanted > settings.getint("CONCURRENT_REQUESTS") and settings.getpriority("CONCURRENT_REQUESTS") <= SETTINGS_PRIORITIES["project"]:
            settings.set("CONCURRENT_REQUESTS", wanted, priority="project")

    def warc_paths(self, warc: str, path) -> list[Path]:
        """The WARC files or folders a re-extraction reads: ``-a warc=`` or the archive's own."""
        given = [Path(p) for p in (warc or "").split(",") if p.strip()] or [default_warc_dir(path)]
        missing = [str(p) for p in given if not p.exists()]
        if missing:
            raise BadInput(f"no WARC files at {', '.join(missing)}: give them with -a warc=PATH (a file or a folder)")
        if not warc_files(given):
            raise BadInput(f"{', '.join(map(str, given))} holds no .warc.gz or .warc file")
        return given

    def blogs_of_warc_files(self, warc: str, path) -> str:
        """The blogs the WARC files' runs crawled, as ``start_url``: each checked as any start
        URL is (a file's word is input too)."""
        named = blogs_named(warc_files(self.warc_paths(warc, path)))
        if not named:
            raise BadInput("the WARC files name no blog (their warcinfo records): give the blog with -a start_url=URL")
        for url, source in named:
            try:
                check_start_url(url)
            except BadInput as error:
                raise BadInput(f"WARC file {source} names a blog that cannot be crawled: {error}") from None
        return ",".join(url for url, _ in named)

    def replay_from_warc(self, arguments, path) -> None:
        """A re-extraction reads the WARC files (the archive's own unless ``-a warc=``
        names others) through the replay handler: nothing goes to the network, and no
        WARC file is written."""
        given = self.warc_paths(arguments.warc, path)
        replay = "crawler.replay.WarcReplayHandler"
        for name, value in (
            ("DOWNLOAD_HANDLERS", {"http": replay, "https": replay}),
            ("WARC_REPLAY_PATHS", [str(p) for p in given]),
            ("WARC_ENABLED", False),
            ("ROBOTSTXT_OBEY", False),
            ("AUTOTHROTTLE_ENABLED", False),
            ("DOWNLOAD_DELAY", 0),
            ("CONCURRENT_REQUESTS", 32),
            ("CONCURRENT_REQUESTS_PER_DOMAIN", 32),
        ):
            self.settings.set(name, value, priority="cmdline")
        # Larger transactions: nothing waits on a network here (a -s STORE_BATCH_SIZE still wins).
        self.settings.set("STORE_BATCH_SIZE", 500, priority="project")

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give one spider name, like: scrapy crawl blog")
        try:
            crawler = self._create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
        finally:
            if self.lock is not None:
                remember_as_left(self.settings.get("SQLITE_PATH"), getattr(self, "checked_whole", False))
                self.lock.release()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_FAILED
        elif crawler.stats.get_value("pangea/run_status") == "failed":
            self.exitcode = EXIT_FAILED
