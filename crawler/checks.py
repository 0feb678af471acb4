"""Checks of a crawl's input, made before anything is fetched or written."""

from __future__ import annotations

from .storage import StorageError, open_db
from .urls import is_index_url


class BadInput(Exception):
    """Input the crawl cannot run with; the message is one line for the person who gave it."""


def check_start_url(url: str) -> str:
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or not is_index_url(url):
        raise BadInput(
            f"start_url {url!r} is not a Pangea index URL (like https://www.rferl.org/z/17257 or .../z/17257?p=2)"
        )
    return url


def check_crawl(spider_name: str, spider_arguments: dict, settings) -> None:
    """Raise ``BadInput`` when the crawl's arguments or its database cannot work."""
    if spider_name == "blog" and "start_url" in spider_arguments:
        check_start_url(spider_arguments["start_url"])
    path = settings.get("SQLITE_PATH")
    if path:
        try:
            open_db(path).close()
        except StorageError as error:
            raise BadInput(str(error)) from None
