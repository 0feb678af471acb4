"""The archive in Datasette: a Datasette plugin (this package) that gives any database with
the archive's schema, whatever its file name, its metadata (titles, descriptions of every
table and column, facets, canned queries), a reading view of every post, the capture of a
page, search that never opens on an error, and a chart.

Installed with the package, it is found through its ``datasette`` entry point: plain
``datasette data/blog.db`` shows all of it. ``python -m crawler.explore DB`` serves an
archive read-only on 127.0.0.1 with the plugin, installed or not.
"""

from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from html import escape
from pathlib import Path

from datasette import hookimpl

from .plugin import (  # noqa: F401 - the plugin's hooks, registered with this package
    extra_css_urls,
    menu_links,
    prepare_connection,
    register_routes,
    render_cell,
)

METADATA = Path(__file__).with_name("metadata.json")


@hookimpl
def asgi_wrapper(datasette):
    from .nocount import without_count

    return lambda app: without_count(app, datasette)


@hookimpl
def register_facet_classes():
    from .facets import CountedFacet

    return [CountedFacet]
# Tables every archive has: what tells an archive from any other database Datasette serves.
_ARCHIVE_TABLES = {"posts", "crawl_runs", "images", "links"}
_seen: dict[tuple[str, float], bool] = {}


@lru_cache(maxsize=1)
def _metadata_text() -> str:
    return METADATA.read_text()


def archive_metadata() -> dict:
    """The metadata of one archive database (its tables, columns, facets, queries)."""
    return json.loads(_metadata_text())["databases"]["archive"]


def _is_archive(db) -> bool:
    path = getattr(db, "path", None)
    if not path or not Path(path).is_file():
        return False
    key = (str(path), Path(path).stat().st_mtime)
    if key not in _seen:
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                conn.close()
        except sqlite3.Error:
            tables = set()
        _seen[key] = _ARCHIVE_TABLES <= tables
    return _seen[key]


@hookimpl
def get_metadata(datasette, key, database, table):
    archives = [name for name, db in datasette.databases.items() if name != "_internal" and _is_archive(db)]
    if not archives:
        return {}
    # Datasette asks for metadata many times a page (hundreds on the database page): it is
    # made once for these archives, and each answer is a fresh copy of it (Datasette
    # merges into what it is given).
    return json.loads(_metadata_for(tuple(archives), datasette.setting("base_url") or "/", lambda name: _start_here(datasette, name)))


_made: dict[tuple, str] = {}


def _metadata_for(archives: tuple[str, ...], base_url: str, start_here) -> str:
    key = (archives, base_url)
    if key not in _made:
        metadata = json.loads(_metadata_text())
        archive = metadata.pop("databases")["archive"]
        metadata["databases"] = {name: dict(archive, description_html=start_here(name)) for name in archives}
        _made[key] = json.dumps(metadata, ensure_ascii=False)
    return _made[key]


def _start_here(datasette, name: str) -> str:
    """The database page opens on the posts: what a reader came for, before the list of tables."""
    links = [
        (datasette.urls.table(name, "posts"), "Posts"),
        (datasette.urls.table(name, "post_list"), "Posts with authors and month, by facet"),
        (datasette.urls.database(name) + "/search", "Search posts"),
        (datasette.urls.database(name) + "/search_live_entries", "Search live blog entries"),
        (datasette.urls.path("/-/chart") + f"?database={name}", "Chart: posts per month"),
    ]
    items = "".join(f'<li><a href="{escape(href)}">{escape(label)}</a></li>' for href, label in links)
    return f'<p><strong>Start here</strong> — every post has a reading view: open a title.</p><ul class="start-here">{items}</ul>'

