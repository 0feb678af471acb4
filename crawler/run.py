"""A run's facts, shared by the components of a crawl through one signal.

``CrawlArguments`` is what the person asked for, parsed and checked once by the rules in
``crawler.checks``: one blog index URL or several (``-a start_url=A,B``, ``-a blogs=FILE``).
``RunFacts`` is what the spider learns as it goes, one ``BlogFacts`` per blog (its title,
whether its index was walked to its end, the posts asked for and not yet answered, its
share of the run's counts). The spider sends it with ``run_started`` when the crawl opens;
the store, the site guard and the browser handler keep it from there, instead of reading
the spider's attributes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields

from collections import Counter
from typing import Any

from .checks import BadInput, check_blogs, check_mode, check_recheck_days, check_render, check_via, check_warc
from .storage import CrawlState
from .urls import site_key, site_of, zone_id_from_url

DEFAULT_START_URL = "https://www.rferl.org/z/17257"

# Sent by the spider when the crawl opens, with ``facts=RunFacts``.
run_started = object()
# Sent by the store when the run's row is closed, with ``outcome=dict`` (the run's status,
# message, blogs that failed...): what alerts say.
run_finished = object()


@dataclass(frozen=True)
class CrawlArguments:
    start_urls: tuple[str, ...] = (DEFAULT_START_URL,)
    mode: str = "incremental"
    recheck_days: float = 3.0
    render: str = "auto"
    via: str = "index"
    warc: str = ""  # mode=reextract: WARC files or folders to read (by default the archive's own)

    @classmethod
    def parse(
        cls,
        start_url: str | None = None,
        mode: str = "incremental",
        recheck_days: str | float = "3",
        render: str = "auto",
        via: str = "index",
        warc: str = "",
        blogs: str = "",
    ) -> "CrawlArguments":
        """The arguments as given with ``-a``, checked; ``BadInput`` says what is wrong.
        ``start_url`` takes one index URL or several, comma-separated; ``blogs`` names a
        file of them, one a line (``#`` starts a comment). Without either, the default blog."""
        return cls(
            start_urls=check_blogs(start_url, blogs, default=DEFAULT_START_URL),
            mode=check_mode(mode),
            recheck_days=check_recheck_days(recheck_days),
            render=check_render(render),
            via=check_via(via),
            warc=check_warc(warc, check_mode(mode)),
        )


# Arguments Scrapyd adds to every job it runs.
_SCRAPYD_ARGUMENTS = ("_job", "_version")


def parse_arguments(spider_arguments: dict) -> CrawlArguments:
    """The ``-a`` arguments of a crawl, parsed once: ``BadInput`` for a name the spider does
    not take (with the one meant, where it is close) or a value it cannot use."""
    names = ["start_url", "blogs"] + [f.name for f in fields(CrawlArguments) if f.name != "start_urls"]
    given = {}
    for name, value in spider_arguments.items():
        if name in _SCRAPYD_ARGUMENTS:
            continue
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise BadInput(f"unknown argument -a {name}=...{hint}; the blog spider takes: {', '.join(names)}")
        given[name] = value
    return CrawlArguments.parse(**given)


@dataclass
class LiveWalk:
    """One live blog's walk down its pages of entries in this run."""

    url: str  # the live blog's own page
    site: str = ""
    furthest_page_named: int = 0  # the furthest page an entry permalink of the pages read names
    ended: bool = False  # done: read to its last page on evidence, or stopped by the run's rules
    not_finished: str | None = None  # why the walk could not go on

    def stop(self, reason: str) -> None:
        self.not_finished = self.not_finished or reason


@dataclass
class BlogFacts:
    """One blog of a run: what the run found of it, and its share of the run's counts."""

    start_url: str
    title: str | None = None
    index_end_reached: bool = False
    # Every post requested and not yet answered; what is left at the end was lost on the
    # way (filtered, dropped) and goes to the failures table like a failed fetch.
    outstanding: dict[int, str] = field(default_factory=dict)
    # What the archive holds of this blog, read by the store when the run opens: stored
    # posts, the recheck window, failures, live blogs.
    state: CrawlState = field(default_factory=CrawlState)
    # This blog's share of the run's ``pangea/...`` stats (the index walk, fetch failures,
    # the audit's counts): what its outcome is judged by.
    counts: Counter = field(default_factory=Counter)
    # Why the blog was given up during the run (its index lists nothing, has no feed...).
    stopped: str | None = None
    # The spider's walk of the blog: the post ids asked for this run (one set shared by
    # the blogs of a site, so that a post is asked for once), the ids this blog's pages
    # listed, and the audit against its feed.
    seen_ids: set[int] = field(default_factory=set)
    listed_ids: set[int] = field(default_factory=set)
    feed_requested: bool = False
    feed_urls: list[str] | None = None
    feed_audited: bool = False
    # The live blogs this run read, each walk down its pages of entries.
    live_walks: dict[int, LiveWalk] = field(default_factory=dict)
    # The index pages this walk read (their URLs, and the posts each listed): a page shown
    # twice is a cycle, not the way to the index's end.
    index_urls_read: set[str] = field(default_factory=set)
    index_pages_seen: dict[tuple, str] = field(default_factory=dict)
    posts_asked_new: int = 0
    # Why the run stopped walking this blog before its end (a limit, a cycle): a problem.
    cut_short: str | None = None

    def cut(self, reason: str) -> None:
        self.cut_short = self.cut_short or reason

    def unfinished_live_walks(self) -> list[str]:
        """A line for each live blog whose walk did not end on evidence."""
        return [
            f"live blog {walk.url} was not read to its oldest entries ({walk.not_finished or 'its older pages were never answered'})"
            for walk in self.live_walks.values()
            if not walk.ended
        ]

    @property
    def site(self) -> str:
        """The archive's key for the site: host without ``www.``, whatever the port."""
        return site_key(self.start_url)

    @property
    def host_site(self) -> str:
        """The site as hosts are matched against it: host without ``www.``."""
        return site_of(self.start_url)

    @property
    def zone(self) -> int | None:
        return zone_id_from_url(self.start_url)

    @property
    def key(self) -> tuple[str, int | None]:
        return (self.site, self.zone)


@dataclass
class RunFacts:
    arguments: CrawlArguments
    blogs: list[BlogFacts] = field(default_factory=list)
    # The latest capture holding each URL's payload in the WARC files: (record id, payload
    # digest, WARC-Date); a page fetched again with the same payload is a revisit of it.
    # A mapping, or the archive's lookup by URL (``storage.LatestCaptures``): ``.get(url)``.
    captures: Any = field(default_factory=dict)
    # The run's row in ``crawl_runs``, once the store has opened it.
    run_id: int | None = None
    job: str | None = None  # Scrapyd's job id, when Scrapyd runs the crawl
    # Limits of the whole run that were reached (browser page loads, sitemaps): problems.
    limits_reached: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.blogs:
            # One blog per start URL; a blog given twice (another URL form) is crawled once.
            seen = set()
            for url in self.arguments.start_urls:
                blog = BlogFacts(url)
                if blog.key not in seen:
                    seen.add(blog.key)
                    self.blogs.append(blog)
