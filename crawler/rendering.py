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
import weakref

from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from .limits import RunLimits
from .run import run_started
from .urls import article_id_from_url, site_key, url_on_site, zone_id_from_url

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

# The index's "Load more" control, found in the page by the rules ``IndexPage`` reads
# markup with (``crawler.pages.index``): any element with a ``data-ajax-url``, or a link,
# button or ``role=button`` whose class or label says it loads more; outside navigation,
# header and footer, and visible. The one found is marked, for Playwright to click.
MORE_MARK = "data-pangea-load-more"
_FIND_CONTROL = r"""() => {
  const byClass = /show-?more|load-?more|load_more/i;
  const byLabel = /\b(load|show|view|see)\s+more\b/i;
  for (const old of document.querySelectorAll("[MARK]")) old.removeAttribute("MARK");
  REGION
  for (const el of region.querySelectorAll("[data-ajax-url], a, button, [role='button']")) {
    if (el.closest("CHROME")) continue;
    const href = el.getAttribute("href");
    const isLink = el.tagName === "A" && href !== null;
    const elsewhere = isLink && !href.startsWith("#") && !href.startsWith("javascript:");
    if (SKIP) continue;
    const label = el.getAttribute("aria-label") || el.getAttribute("title") || "";
    const plainText = (TEXT) ? (el.textContent || "").slice(0, 80) : "";
    const isControl = el.hasAttribute("data-ajax-url") || byClass.test(el.getAttribute("class") || "")
      || byLabel.test(label) || byLabel.test(plainText);
    if (!isControl) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden" || !el.getClientRects().length) continue;
    el.setAttribute("MARK", "1");
    return true;
  }
  return false;
}"""


def _finder(region: str, chrome: str, skip: str, text: str) -> str:
    """The script that finds and marks a visible control: ``region`` sets ``region`` (where
    to look), ``chrome`` what it must not be inside, ``skip`` which elements are no control,
    ``text`` for which ones the text counts as their label."""
    script = _FIND_CONTROL
    for name, value in (("REGION", region), ("CHROME", chrome), ("SKIP", skip), ("TEXT", text), ("MARK", MORE_MARK)):
        script = script.replace(name, value)
    return script


FIND_LOAD_MORE = _finder("const region = document;", "nav, header, footer, #navigation", "false", "!isLink")
LOAD_MORE = f"[{MORE_MARK}]"
# A live blog's way to its older entries, by the rules ``LiveBlogPage.more_controls``
# reads markup with: near the entry list (inside the element around the element that holds
# every entry), a control whose class or label says it loads more, or that has a
# ``data-ajax-url``; not a link to another page, and visible. Marked like the index's.
FIND_LIVE_MORE = _finder(
    r"""const content = document.querySelector("#content") || document.body;
  const marks = [...content.querySelectorAll("[id^='lbi'], a[href*='lbi']")];
  if (!marks.length) return false;
  let common = marks[0];
  while (common && !marks.every((m) => common.contains(m))) common = common.parentElement;
  let region = (common && common.parentElement) || content;
  if (marks.length === 1 && region.parentElement && region.parentElement !== document.body) region = region.parentElement;""",
    "nav, header, footer, aside, #navigation",
    "elsewhere",
    "true",
)
# Clicks on "Load more" in one page, at the most (an index of 12 posts a page and 5,000
# posts needs about 420).
MAX_LOAD_MORE_CLICKS = 2000

_contexts = itertools.count(1)

# Where a rendered page's requests to other hosts are sent: a local port nothing listens on.
CLOSED_PROXY = "http://127.0.0.1:9"


def launch_options(chromium_path: str) -> dict:
    options = {"executable_path": chromium_path, "headless": True, "args": list(CHROMIUM_ARGS)}
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium's sandbox cannot run as root; as any other user it stays on.
        options["chromium_sandbox"] = False
        options["args"].append("--no-sandbox")
    return options


# A post page is ready when its body has text (or when it has no body container at all).
BODY_READY = """() => {
  const body = document.querySelector("#article-content .wsw");
  return !body || body.textContent.trim().length > 0;
}"""
# How long a rendered post may take to fill its body, at the most.
BODY_WAIT_MS = 15_000


async def wait_for_body(page) -> None:
    """Wait until the post body has text; a body that never fills is left for the parser to
    report (the page cannot be read), not raised here."""
    try:
        await page.wait_for_function(BODY_READY, timeout=BODY_WAIT_MS)
    except PlaywrightTimeoutError:
        pass


def render_meta(post: bool = False) -> dict:
    """Request meta for a page fetched in the browser, in a context of its own that the callback closes.

    A post waits for its body to have text; an index (or any other page) for the network
    to go quiet, which costs half a second more.
    """
    wait = PageMethod(wait_for_body) if post else PageMethod("wait_for_load_state", "networkidle")
    return {
        "playwright": True,
        "playwright_include_page": True,
        "playwright_context": f"render-{next(_contexts)}",
        "playwright_page_methods": [wait],
    }


async def close_page(page) -> None:
    """Close a rendered page and its context."""
    if page is None or page.is_closed():
        return
    context = page.context
    await page.close()
    await context.close()


class PagePool:
    """Browser pages, each in a context of its own, used again for the next page to render.

    A new page costs Chromium a renderer process (half a second of CPU here); navigating an
    open page to the next post costs a third of that. ``size`` pages at the most are open
    at once; a page is closed with its context after ``max_uses`` pages, so that memory
    stays flat over a long crawl. The download handler ``acquire``s a slot for every page
    it renders (an open page, or room for a new one); the spider's callback or errback
    ``release``s it.
    """

    def __init__(self, size: int, max_uses: int, stats, wait_seconds: float = 120.0):
        self.stats = stats
        self.size = max(1, size)
        self.max_uses = max(1, max_uses)
        self.wait_seconds = wait_seconds
        self.slots: asyncio.Queue | None = None
        self.uses: dict = {}  # open page: pages it has rendered
        self.context_names: dict = {}  # open page: the name scrapy-playwright knows its context by

    def _queue(self) -> asyncio.Queue:
        if self.slots is None:  # made in the running loop
            self.slots = asyncio.Queue()
            for _ in range(self.size):
                self.slots.put_nowait(None)
        return self.slots

    async def acquire(self, request) -> None:
        """Give ``request`` an open page to navigate, or room for a new one."""
        try:
            page = await asyncio.wait_for(self._queue().get(), self.wait_seconds)
        except asyncio.TimeoutError:
            return  # a slot was never given back: render with a page of its own, not wait forever
        request.meta["pangea_page_slot"] = True
        if page is None:
            return
        if page.is_closed():  # crashed while it waited: a new page takes its place
            self.uses.pop(page, None)
            self.context_names.pop(page, None)
            return
        request.meta["playwright_page"] = page
        request.meta["playwright_context"] = self.context_names[page]
        self.stats.inc_value("pangea/browser_pages_reused")

    async def release(self, request, page, reuse: bool = True) -> None:
        """The page of ``request`` is read (or failed): keep it for the next one, or close it."""
        slot = request.meta.pop("pangea_page_slot", False)
        kept = None
        if page is not None:
            uses = self.uses.pop(page, 0) + 1
            name = self.context_names.pop(page, None) or request.meta.get("playwright_context")
            if page.is_closed():
                pass  # crashed or closed by a failure: its slot makes room for a new page
            elif slot and reuse and uses < self.max_uses:
                self.uses[page], self.context_names[page], kept = uses, name, page
            else:
                if reuse and uses >= self.max_uses:
                    self.stats.inc_value("pangea/browser_pages_recycled")
                await close_page(page)
        if slot:
            self._queue().put_nowait(kept)


_pools: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def page_pool(crawler) -> PagePool:
    """The crawl's pool of browser pages, shared by its download handler and its spider."""
    pool = _pools.get(crawler)
    if pool is None:
        pool = _pools[crawler] = PagePool(
            size=crawler.settings.getint("PLAYWRIGHT_MAX_CONTEXTS", 2) or 2,
            max_uses=crawler.settings.getint("RENDER_PAGE_MAX_USES", 10),
            stats=crawler.stats,
        )
    return pool


# How long one click of "Load more" may take to bring more links, at the most
# (``-s LOAD_MORE_WAIT_SECONDS=N``).
CLICK_WAIT_SECONDS = 30.0


async def has_load_more(page, finder: str = FIND_LOAD_MORE) -> bool:
    """True while the rendered page shows a visible "Load more" control, in any form
    (``finder`` marks it: the index's rules, or a live blog's ``FIND_LIVE_MORE``)."""
    return bool(await page.evaluate(finder))


async def load_everything(
    page, stop=None, wait_seconds: float = CLICK_WAIT_SECONDS, finder: str = FIND_LOAD_MORE, max_clicks: int = MAX_LOAD_MORE_CLICKS,
    delay: float = 0.0,
) -> tuple[int, str]:
    """Click "Load more" until the list ends, or ``stop(html)`` says enough; at most
    ``max_clicks`` clicks (the run's browser budget), ``delay`` seconds apart (the site's
    download delay: a click loads a page of the site like any request).

    Returns the clicks and why they ended: ``ended`` (no control left: the evidence that
    the list is whole), ``stopped`` (``stop`` said so), ``stalled`` (a click brought
    nothing) or ``limit`` (``MAX_LOAD_MORE_CLICKS``).
    """
    clicks = 0
    while clicks < min(max_clicks, MAX_LOAD_MORE_CLICKS):
        if clicks and delay:
            await asyncio.sleep(delay)
        if not await has_load_more(page, finder):
            return clicks, "ended"
        if stop is not None and stop(await page.content()):
            return clicks, "stopped"
        links_before = await page.evaluate("document.querySelectorAll('a[href]').length")
        try:
            await page.locator(LOAD_MORE).first.click(timeout=wait_seconds * 1000)
            clicks += 1
            await page.wait_for_function(
                "([n, selector]) => document.querySelectorAll('a[href]').length > n || !document.querySelector(selector)",
                arg=[links_before, LOAD_MORE],
                timeout=wait_seconds * 1000,
            )
        except PlaywrightTimeoutError:
            return clicks, "stalled"
        await asyncio.sleep(0)  # let the page's own handlers finish
    return clicks, "limit"


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
        self._started = False
        self.pages = page_pool(crawler)
        self.max_page_loads = RunLimits.from_settings(crawler.settings).browser_page_loads
        self.site = ""  # the crawl's site, from the spider's ``run_started``
        crawler.signals.connect(self.run_started, signal=run_started)
        self.extra_hosts = {host.lower().removeprefix("www.") for host in crawler.settings.getlist("SITE_EXTRA_HOSTS")}
        self.abort_request = self.refuse  # every request of a rendered page is judged

    def run_started(self, facts) -> None:
        # A run of many sites: the browser may read any of them (and nothing else).
        sites = [blog.host_site for blog in facts.blogs]
        self.site = sites[0]
        self.extra_hosts |= set(sites[1:])

    def _site(self) -> str:
        return self.site

    def _hold_to_site(self) -> None:
        """The browser's own net: every request to another host goes to a proxy that is a
        closed local port, so it fails. Playwright's routes do not see the hops of a
        redirect; this does (and Chromium's loopback exemption is lifted too)."""
        if "proxy" in self.config.launch_options:
            return  # the operator's own proxy, set with PLAYWRIGHT_LAUNCH_OPTIONS
        site = self._site()
        # "<-loopback>": Chromium reaches 127.0.0.0/8 directly unless told not to.
        hosts = ["<-loopback>", site, f"*.{site}"] + [h for host in sorted(self.extra_hosts) for h in (host, f"*.{host}")]
        self.config.launch_options["proxy"] = {"server": CLOSED_PROXY, "bypass": ",".join(hosts)}

    def refuse(self, request) -> bool:
        refused = is_refused(request, self._site(), self.extra_hosts)
        if refused and request.url.startswith(("http://", "https://")) and not url_on_site(request.url, self._site(), self.extra_hosts):
            self.stats.inc_value("pangea/browser_offsite_refused")
        return refused

    async def _create_browser_context(self, name, context_kwargs, spider=None):
        """A context that registers no service worker, and whose pages opened by script
        (pop-ups) are held to the same site as the pages we open."""
        wrapper = await super()._create_browser_context(name, {"service_workers": "block", **(context_kwargs or {})}, spider)

        async def guard(route, request) -> None:
            if self.refuse(request):
                await route.abort()
            else:
                await route.fallback()

        await wrapper.context.route("**", guard)
        return wrapper

    async def _maybe_launch_in_thread(self) -> None:
        """Called at engine start by the stock handler: nothing to start yet."""

    async def download_request(self, request, spider=None):
        # A flag of our own: the stock _launch sets browser_provider before its driver has
        # started, and requests arriving meanwhile must wait for the start, not race it.
        if request.meta.get("playwright"):
            if not self._started:
                async with self._start_lock:
                    if not self._started:
                        self._hold_to_site()
                        await self._launch()
                        self._started = True
                        self.stats.inc_value("pangea/browser_started")
            loads = self.stats.get_value("pangea/browser_page_loads", 0)
            if loads >= self.max_page_loads:
                self.stats.set_value("pangea/browser_limit_reached", self.max_page_loads)
                raise BrowserBudgetSpent(f"the run's limit of {self.max_page_loads} browser page loads is reached (MAX_BROWSER_PAGE_LOADS)")
            self.stats.inc_value("pangea/browser_page_loads")
            if "pangea_page_slot" not in request.meta and "playwright_page" not in request.meta:
                await self.pages.acquire(request)  # a retry keeps the page (and slot) it had
        response = await super().download_request(request)
        page = request.meta.get("playwright_page")
        shown = page.url if page is not None else response.url
        if request.meta.get("playwright") and not shows_what_was_asked(request.url, shown):
            # A page used again keeps showing its last document when a navigation does not
            # happen (a download, a refused redirect): that document is not this page.
            raise PageNotShown(f"the browser did not show the page (it shows {shown})")
        return response


class BrowserBudgetSpent(Exception):
    """The run has loaded as many pages in the browser as its limit allows."""


class PageNotShown(Exception):
    """A rendered page that shows something else than the URL asked for."""


def shows_what_was_asked(asked: str, shown: str) -> bool:
    """Whether the browser's page is the one asked for, after redirects on the site: the
    same post, the same index, or (other pages) the same site."""
    if site_key(asked) != site_key(shown):
        return False
    post_id = article_id_from_url(asked)
    if post_id is not None:
        return article_id_from_url(shown) == post_id
    zone = zone_id_from_url(asked)
    return zone is None or zone_id_from_url(shown) == zone


def is_refused(request, site: str, extra_hosts) -> bool:
    """What the browser does not fetch: anything off the crawled site; on it, pictures,
    media, fonts, style sheets and frames.

    A page's text is all we read; embedded players and trackers only cost time and
    traffic (and on a machine without network, time-outs). Requests to another site are
    refused whatever makes them: a frame, a script's ``fetch``, a change of
    ``location``, a pop-up, a beacon.
    """
    url = request.url
    if url.startswith(("http://", "https://")) and not url_on_site(url, site, extra_hosts):
        return True
    if request.resource_type in ("image", "media", "font", "stylesheet"):
        return True
    frame = request.frame
    return request.is_navigation_request() and frame.parent_frame is not None  # an iframe
