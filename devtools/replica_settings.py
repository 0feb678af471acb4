"""Settings for crawling the local replica on 127.0.0.1: politeness off, explicitly.

Used by the demo, the tests and the benchmarks as ``-s NAME=VALUE`` arguments. Never use
them against a real site. ``crawl_command`` builds their ``scrapy crawl`` command lines.
"""

import sys

FAST_LOCAL = {
    "ROBOTSTXT_OBEY": "True",
    "DOWNLOAD_DELAY": "0",
    "DOWNLOAD_DELAY_JITTER": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
}


def as_arguments(settings: dict[str, str] = FAST_LOCAL) -> list[str]:
    """``["-s", "NAME=VALUE", ...]`` for a ``scrapy crawl`` command line."""
    arguments: list[str] = []
    for name, value in settings.items():
        arguments += ["-s", f"{name}={value}"]
    return arguments


def crawl_command(start_url: str, db_path, *extra: str, fast: bool = True, executable: str | None = None) -> list[str]:
    """The ``scrapy crawl blog`` command line of the tests, benchmarks and the demo:
    ``start_url`` into the archive at ``db_path``, politeness off for the local replica
    (``fast``), then ``extra`` arguments (later ``-s`` settings win)."""
    command = [executable or sys.executable, "-m", "scrapy", "crawl", "blog", "-a", f"start_url={start_url}",
               "-s", f"SQLITE_PATH={db_path}"]
    return command + (as_arguments() if fast else []) + list(extra)
