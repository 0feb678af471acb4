"""Checks of a crawl's input, made before anything is fetched or written."""

from __future__ import annotations

from .storage import StorageError, open_db
from .urls import is_index_url

MODES = ("incremental", "full")


class BadInput(Exception):
    """Input the crawl cannot run with; the message is one line for the person who gave it."""


def check_start_url(url: str) -> str:
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or not is_index_url(url):
        raise BadInput(
            f"start_url {url!r} is not a Pangea index URL (like https://www.rferl.org/z/17257 or .../z/17257?p=2)"
        )
    return url


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise BadInput(f"mode {mode!r} is not one of: {', '.join(MODES)}")
    return mode


def check_recheck_days(value: str | float) -> float:
    try:
        days = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"recheck_days {value!r} is not a number of days") from None
    if days < 0:
        raise BadInput(f"recheck_days {value!r} is negative")
    return days


RENDER_MODES = ("auto", "always", "never")


def check_render(render: str) -> str:
    if render not in RENDER_MODES:
        raise BadInput(f"render {render!r} is not one of: {', '.join(RENDER_MODES)}")
    return render


ENTRY_POINTS = ("index", "feed", "sitemap")


def check_via(via: str) -> str:
    if via not in ENTRY_POINTS:
        raise BadInput(f"via {via!r} is not one of: {', '.join(ENTRY_POINTS)}")
    return via


_ARGUMENT_CHECKS = {
    "via": check_via,
    "start_url": check_start_url,
    "mode": check_mode,
    "recheck_days": check_recheck_days,
    "render": check_render,
}


def check_crawl(spider_name: str, spider_arguments: dict, settings) -> None:
    """Raise ``BadInput`` when the crawl's arguments or its database cannot work."""
    for name, value in spider_arguments.items():
        if name in _ARGUMENT_CHECKS:
            _ARGUMENT_CHECKS[name](value)
    path = settings.get("SQLITE_PATH")
    if path:
        try:
            open_db(path).close()
        except StorageError as error:
            raise BadInput(str(error)) from None
