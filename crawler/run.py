"""A run's facts, shared by the components of a crawl through one signal.

``CrawlArguments`` is what the person asked for, parsed and checked once by the rules in
``crawler.checks``. ``RunFacts`` is what the spider learns as it goes (the blog's title,
whether the index was walked to its end, the posts asked for and not yet answered). The
spider sends it with ``run_started`` when the crawl opens; the store, the site guard and
the browser handler keep it from there, instead of reading the spider's attributes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields

from .checks import BadInput, check_mode, check_recheck_days, check_render, check_start_url, check_via, check_warc
from .storage import CrawlState
from .urls import site_key, site_of, zone_id_from_url

DEFAULT_START_URL = "https://www.rferl.org/z/17257"

# Sent by the spider when the crawl opens, with ``facts=RunFacts``.
run_started = object()


@dataclass(frozen=True)
class CrawlArguments:
    start_url: str = DEFAULT_START_URL
    mode: str = "incremental"
    recheck_days: float = 3.0
    render: str = "auto"
    via: str = "index"
    warc: str = ""  # mode=reextract: WARC files or folders to read (by default the archive's own)

    @classmethod
    def parse(
        cls,
        start_url: str = DEFAULT_START_URL,
        mode: str = "incremental",
        recheck_days: str | float = "3",
        render: str = "auto",
        via: str = "index",
        warc: str = "",
    ) -> "CrawlArguments":
        """The arguments as given with ``-a``, checked; ``BadInput`` says what is wrong."""
        return cls(
            start_url=check_start_url(start_url),
            mode=check_mode(mode),
            recheck_days=check_recheck_days(recheck_days),
            render=check_render(render),
            via=check_via(via),
            warc=check_warc(warc, check_mode(mode)),
        )

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


# Arguments Scrapyd adds to every job it runs.
_SCRAPYD_ARGUMENTS = ("_job", "_version")


def parse_arguments(spider_arguments: dict) -> CrawlArguments:
    """The ``-a`` arguments of a crawl, parsed once: ``BadInput`` for a name the spider does
    not take (with the one meant, where it is close) or a value it cannot use."""
    names = [f.name for f in fields(CrawlArguments)]
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
class RunFacts:
    arguments: CrawlArguments
    blog_title: str | None = None
    index_end_reached: bool = False
    # Every post requested and not yet answered; what is left at the end was lost on the
    # way (filtered, dropped) and goes to the failures table like a failed fetch.
    outstanding: dict[int, str] = field(default_factory=dict)
    # What the archive holds, read by the store when the run opens (the archive is opened
    # once per run, by the store): stored posts, the recheck window, failures, live blogs.
    state: CrawlState = field(default_factory=CrawlState)
    # The run's row in ``crawl_runs``, once the store has opened it.
    run_id: int | None = None
