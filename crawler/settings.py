"""Scrapy settings. Politeness toward the real site is on by default; the demo, the tests
and the benchmarks switch it off explicitly for the replica on 127.0.0.1 (see
``devtools.replica_settings``), never the other way round."""

BOT_NAME = "pangea-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

import os

# Who we are, and where the site's operators can reach the people running the crawl:
# set PANGEA_ARCHIVE_CONTACT (or -s CONTACT_URL=...) to your own page or mailto: address.
# The spider warns when it crawls a real site with the placeholder.
CONTACT_URL_PLACEHOLDER = "mailto:operator@example.invalid"
CONTACT_URL = os.environ.get("PANGEA_ARCHIVE_CONTACT", CONTACT_URL_PLACEHOLDER)
USER_AGENT = f"pangea-archive/0.1 (+{CONTACT_URL})"

# Politeness: robots.txt, one or two requests at a time, a delay that adapts to the site.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy's downloader, with each site held to CONCURRENT_REQUESTS_PER_DOMAIN even without
# a delay (crawler/downloader.py).
DOWNLOADER = "crawler.downloader.Downloader"
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Network faults: Scrapy's own retry machinery, with backoff and Retry-After honoured
# (crawler.middlewares.BackoffRetryMiddleware), a download timeout and a size cap. What
# still fails is recorded in the archive's failures table and tried again next run.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_BACKOFF_BASE = 0.5
RETRY_BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 300.0
# The spider logs one ERROR line per page it could not get; Scrapy's own give-up line
# would say it twice.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
DOWNLOADER_MIDDLEWARES = {
    # First of all: nothing is fetched from another site, on any path (crawler.middlewares).
    "crawler.middlewares.SiteOnlyMiddleware": 10,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Every response as the site sent it, to WARC files (crawler.warc): below the redirect
    # (600) and decompression (590) middlewares, it sees redirects and encoded bodies.
    "crawler.warc.WarcMiddleware": 650,
}
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024

COOKIES_ENABLED = False
# No listening ports of our own: a cron job needs none.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# One item at a time through the pipelines: the store batches writes itself, and more
# items in flight only keep more parsed pages alive.
CONCURRENT_ITEMS = 1
# Scrapy's check of callbacks for a "return value" in a generator reads their source
# again and again (its cache is keyed by bound methods, made anew for every request):
# 3 % of a crawl's CPU. The spider's callbacks are covered by tests instead.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Pages that need JavaScript go through scrapy-playwright and the system's Chromium
# (crawler.rendering); Playwright starts only when a page needs it.
DOWNLOAD_HANDLERS = {
    "http": "crawler.rendering.LazyPlaywrightDownloadHandler",
    "https": "crawler.rendering.LazyPlaywrightDownloadHandler",
}
CHROMIUM_PATH = os.environ.get("PANGEA_CHROMIUM", "/usr/bin/chromium")
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_MAX_CONTEXTS = 2
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 1
# A browser page renders this many pages, then is closed with its context and a new one
# takes over: opening a page costs three times a navigation, and a page kept for ever
# grows (Playwright holds every request and response of a page until it closes).
RENDER_PAGE_MAX_USES = 10
# Hosts besides the start URL's site (and its subdomains) that the crawl, and the pages it
# renders, may read: a site's own asset hosts on another domain. Nothing else is fetched.
SITE_EXTRA_HOSTS: list[str] = []
# How long a click of an index's script-only "Load more" may take to bring more stories;
# a click that brings nothing in that time leaves the index not complete (exit 1).
LOAD_MORE_WAIT_SECONDS = 30.0
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000

ITEM_PIPELINES = {
    "crawler.pipelines.NormalizePipeline": 100,
    "crawler.pipelines.DedupePipeline": 200,
    "crawler.pipelines.SQLitePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.Progress": 500,
    "crawler.extensions.OneLineNetworkErrors": 0,
    "crawler.alerts.WebhookAlert": 500,
}

# Where a failed run is said (crawler.alerts): a JSON POST to this URL; "always" posts
# every run's end. Empty: no alert (cron mails the exit status's line).
ALERT_WEBHOOK_URL = ""
ALERT_ON = "failed"
ALERT_TIMEOUT = 10.0

# Where the archive goes (``-s SQLITE_PATH=...`` to change it), and how many posts one
# transaction writes.
SQLITE_PATH = "data/blog.db"
STORE_BATCH_SIZE = 50
# What a run remembers of the posts it meets (ids asked for, posts as first found, index
# pages read) stays in memory up to this many keys a set, then moves to the run's
# temporary file in TMPDIR (crawler/storage/spill.py): a re-extraction or a first crawl of
# a million posts holds no more than a cron run.
RUN_KEYS_IN_MEMORY = 10_000
# A size the archive may not grow past, in MB (0: no limit; the disk's own size is the
# limit then). A run that reaches it stops at that write, exactly as on a full disk.
ARCHIVE_MAX_MB = 0
# A run checks every page of the archive (SQLite's quick_check) when the file is not as the
# last run left it, and at least every ARCHIVE_CHECK_DAYS days (0: every run); see
# crawler/storage/checked.py.
ARCHIVE_CHECK_DAYS = 7
# Every page as it was served, in WARC files beside the archive (``<SQLITE_PATH>.warc/``
# unless WARC_DIR says where), a new file at each run and at WARC_MAX_BYTES.
WARC_ENABLED = True
WARC_DIR = ""
WARC_MAX_BYTES = 1_000_000_000
# mode=reextract reads pages in this many worker processes (-1: one less than the cores;
# 0: in the crawl's own process).
REEXTRACT_WORKERS = -1
# A line of progress every so many seconds on long crawls.
PROGRESS_INTERVAL = 30.0

LOG_LEVEL = "INFO"
# At INFO a run prints its progress lines, warnings, errors and its summary; Scrapy's dumps
# (settings, components, the stats) show at DEBUG, or with LOG_SCRAPY_DUMPS=True.
LOG_SCRAPY_DUMPS = False
# No dump of library versions at start: a cron log should show what the run did.
LOG_VERSIONS: list[str] = []
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
