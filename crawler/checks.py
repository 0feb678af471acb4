"""Checks of a crawl's input, made before anything is fetched or written."""

from __future__ import annotations

import math
from pathlib import Path

from .storage import StorageError, check_archive, check_writable
from .urls import is_index_url

MODES = ("incremental", "full", "reextract")


class BadInput(Exception):
    """Input the crawl cannot run with; the message is one line for the person who gave it."""


def check_start_url(url: str) -> str:
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or not is_index_url(url):
        raise BadInput(
            f"start_url {url!r} is not a Pangea index URL (like https://www.rferl.org/z/17257 or .../z/17257?p=2)"
        )
    return url


def check_blogs(start_url: str | None, blogs_file: str | None, default: str) -> tuple[str, ...]:
    """The run's blog index URLs: ``start_url`` (one, or several comma-separated) and the
    lines of the ``blogs`` file (one URL a line; blank lines and ``#`` comments skipped);
    ``default`` when neither is given. Each is checked; a file line that is not an index
    URL is named by its line number."""
    urls: list[str] = []
    if start_url is not None:
        urls += [check_start_url(part) for part in str(start_url).split(",")]
    if blogs_file:
        try:
            text = Path(blogs_file).read_text(encoding="utf-8")
        except OSError as error:
            raise BadInput(f"cannot read the blog list {blogs_file}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise BadInput(f"the blog list {blogs_file} is not UTF-8 text (one index URL a line)") from None
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            try:
                urls.append(check_start_url(line))
            except BadInput as error:
                raise BadInput(f"{blogs_file}, line {number}: {error}") from None
        if not urls:
            raise BadInput(f"the blog list {blogs_file} names no blog (one index URL a line, # for comments)")
    return tuple(urls) or (default,)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise BadInput(f"mode {mode!r} is not one of: {', '.join(MODES)}")
    return mode


# Ten years: beyond that a re-check window is a full crawl (``mode=full``).
MAX_RECHECK_DAYS = 3650


def check_recheck_days(value: str | float) -> float:
    try:
        days = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"recheck_days {value!r} is not a number of days") from None
    if not math.isfinite(days) or days < 0 or days > MAX_RECHECK_DAYS:
        raise BadInput(
            f"recheck_days {value!r} is not a number of days from 0 to {MAX_RECHECK_DAYS} (use -a mode=full to fetch every post again)"
        )
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




def check_days(value) -> float:
    """``ARCHIVE_CHECK_DAYS``: days between two checks of every page of the archive (0: every run)."""
    try:
        days = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"ARCHIVE_CHECK_DAYS {value!r} is not a number of days (0: check every run)") from None
    if not 0 <= days <= 3650:
        raise BadInput(f"ARCHIVE_CHECK_DAYS {value!r} must be between 0 and 3650 days")
    return days


def check_keys_in_memory(value) -> int:
    """``RUN_KEYS_IN_MEMORY``: keys a set of the run's memory holds before it moves to the run's temporary file."""
    try:
        keys = int(str(value).replace("_", ""))
    except (TypeError, ValueError):
        keys = 0
    if keys < 1:
        raise BadInput(f"RUN_KEYS_IN_MEMORY {value!r} is not a whole number from 1 (keys a set holds in memory)")
    return keys


def check_archive_path(path, thorough: bool = True) -> None:
    """Raise ``BadInput`` when ``path`` cannot be the archive; reads only (``thorough``:
    every page of the file checked)."""
    if path is None or not str(path).strip():
        raise BadInput("SQLITE_PATH is empty: give the archive's path, like -s SQLITE_PATH=data/blog.db")
    try:
        check_writable(path)
        check_archive(path, thorough=thorough)
    except StorageError as error:
        raise BadInput(str(error)) from None


def check_warc(value: str, mode: str) -> str:
    """``-a warc=PATH[,PATH...]``: WARC files or folders to re-extract from (mode=reextract only)."""
    value = (value or "").strip()
    if value and mode != "reextract":
        raise BadInput("-a warc=... names the WARC files of a re-extraction: give it with -a mode=reextract")
    return value


def check_alert(url: str | None, on: str | None) -> None:
    """``ALERT_WEBHOOK_URL`` (an http(s) URL, or empty) and ``ALERT_ON`` (failed, always)."""
    if url and not str(url).startswith(("http://", "https://")):
        raise BadInput(f"ALERT_WEBHOOK_URL {url!r} is not an http:// or https:// URL")
    if on not in ("failed", "always"):
        raise BadInput(f"ALERT_ON {on!r} is not one of: failed, always")
