"""Every run ends, and says why: limits with safe defaults, each a setting.

A site that leads on for ever (an index whose "Load more" never ends, pages that cycle, a
sitemap index of 100,000 sitemaps) and a run that hangs must not run until someone kills
them. Reaching a limit keeps what was stored, leaves the index walk not ``end``, and is
the run's one line (exit 1); the next run goes on from what is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from .checks import BadInput

# Setting names and what they hold.
SETTINGS = {
    "index_pages_per_blog": ("MAX_INDEX_PAGES_PER_BLOG", "index pages read per blog in one run"),
    "new_posts_per_blog": ("MAX_NEW_POSTS_PER_BLOG", "new posts asked for per blog in one run"),
    "browser_page_loads": ("MAX_BROWSER_PAGE_LOADS", "pages and 'Load more' clicks in the browser in one run"),
    "sitemaps": ("MAX_SITEMAPS", "sitemaps read in one run"),
    "budget_seconds": ("RUN_BUDGET_SECONDS", "seconds one run may take"),
}


@dataclass(frozen=True)
class RunLimits:
    # A blog of 200,000 posts at 20 a page; a first backfill of the largest Pangea blogs.
    index_pages_per_blog: int = 10_000
    new_posts_per_blog: int = 200_000
    browser_page_loads: int = 5_000
    sitemaps: int = 5_000
    budget_seconds: float = 12 * 3600.0

    @classmethod
    def from_settings(cls, settings) -> "RunLimits":
        """The limits as set (``-s MAX_INDEX_PAGES_PER_BLOG=N`` ...), checked: a whole number
        from 1 (seconds: a positive number); ``BadInput`` names the setting."""
        values = {}
        for spec in fields(cls):
            name, what = SETTINGS[spec.name]
            raw = settings.get(name)
            if raw is None or raw == "":
                continue
            try:
                value = float(raw)
            except (TypeError, ValueError):
                value = math.nan
            whole = spec.name != "budget_seconds"
            if not math.isfinite(value) or value < 1 or (whole and value != int(value)):
                kind = "a whole number from 1" if whole else "a number of seconds from 1"
                raise BadInput(f"{name} {raw!r} is not {kind} (the most {what})")
            values[spec.name] = int(value) if whole else value
        return cls(**values)

    def line(self, name: str) -> str:
        """How a limit is named in a run's line."""
        setting, what = SETTINGS[name]
        return f"{getattr(self, name):g} {what} ({setting})"
