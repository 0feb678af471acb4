"""Settings for crawling the local replica on 127.0.0.1: politeness off, explicitly.

Used by the demo, the tests and the benchmarks as ``-s NAME=VALUE`` arguments. Never use
them against a real site.
"""

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
