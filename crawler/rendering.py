"""Pages that need a browser: scrapy-playwright driving the system's Chromium, started only when needed.

Plain HTTP first; a page that cannot be read without JavaScript (an index whose "Load more"
has no link, a list or a post body filled by a script) is fetched again in Chromium. The
browser is Debian's ``chromium`` (``/usr/bin/chromium``; ``-s CHROMIUM_PATH=...`` or the
``PANGEA_CHROMIUM`` environment variable to change it), headless, with background
networking off, without its sandbox only when running as root. Playwright and the browser
start at the first page that needs them: a run that renders nothing pays nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from urllib.parse import urlsplit

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from .urls import site_of

# Chromium's own traffic (updates, sync, metrics) is off: the machine may have no network
# but the site's, and a crawler should not phone home.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--mute-audio",
]

# What the index's "Load more" control looks like; one click loads the next batch.
LOAD_MORE = "a.link-showMore, .buttons a[data-ajax-url], button.link-showMore"
# Clicks on "Load more" in one page, at the most (an index of 12 posts a page and 5,000
# posts needs about 420).
MAX_LOAD_MORE_CLICKS = 2000

_contexts = itertools.count(1)


def launch_options(chromium_path: str) -> dict:
    options = {"executable_path": chromium_path, "headless": True, "args": list(CHROMIUM_ARGS)}
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium's sandbox cannot run as root; as any other user it stays on.
        options["chromium_sandbox"] = False
        options["args"].append("--no-sandbox")
    return options


def render_meta() -> dict:
    """Request meta for a page fetched in the browser, in a context of its own that the callback closes."""
    return {
        "playwright": True,
        "playwright_include_page": True,
        "playwright_context": f"render-{next(_contexts)}",
        "playwright_page_methods": [PageMethod("wait_for_load_state", "networkidle")],
    }


async def close_page(page) -> None:
    """Close a rendered page and its context: memory stays flat over a long crawl."""
    if page is None:
        return
    context = page.context
    await page.close()
    await context.close()


async def load_everything(page, stop=None) -> int:
    """Click "Load more" until the list ends (or ``stop(html)`` says enough); returns the clicks."""
    clicks = 0
    while clicks < MAX_LOAD_MORE_CLICKS:
        button = page.locator(LOAD_MORE).first
        if not await button.count() or not await button.is_visible():
            break
        if stop is not None and stop(await page.content()):
            break
        links_before = await page.evaluate("document.querySelectorAll('a[href]').length")
        await button.click()
        clicks += 1
        await page.wait_for_function(
            f"([n, selector]) => document.querySelectorAll('a[href]').length > n || !document.querySelector(selector)",
            arg=[links_before, LOAD_MORE],
            timeout=30_000,
        )
        await asyncio.sleep(0)  # let the page's own handlers finish
    return clicks


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler that starts Playwright at the first request needing it.

    The stock handler starts the Playwright driver when the engine starts, on every run;
    requests without ``meta["playwright"]`` go through Scrapy's HTTP handler as before.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.config.launch_options = {
            **launch_options(crawler.settings.get("CHROMIUM_PATH") or "/usr/bin/chromium"),
            **self.config.launch_options,
        }
        self._start_lock = asyncio.Lock()

    async def _maybe_launch_in_thread(self) -> None:
        """Called at engine start by the stock handler: nothing to start yet."""

    async def download_request(self, request, spider=None):
        if request.meta.get("playwright") and getattr(self, "browser_provider", None) is None:
            async with self._start_lock:
                if getattr(self, "browser_provider", None) is None:
                    await self._launch()
                    self.stats.inc_value("pangea/browser_started")
        return await super().download_request(request)


def abort_request(request) -> bool:
    """What the browser does not fetch: pictures, media, fonts, and frames of other sites.

    A page's text is all we read; embedded players and trackers only cost time and
    traffic (and on a machine without network, time-outs).
    """
    if request.resource_type in ("image", "media", "font", "stylesheet"):
        return True
    frame = request.frame
    if request.is_navigation_request() and frame.parent_frame is not None:
        return True  # an iframe (YouTube and the like)
    page_host = urlsplit(frame.page.url).hostname if frame.page.url.startswith("http") else None
    host = urlsplit(request.url).hostname
    return bool(page_host and host and site_of(request.url) != site_of(frame.page.url) and request.resource_type == "script")
