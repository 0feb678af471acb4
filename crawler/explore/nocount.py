"""Table pages whose row count, or whose order, would read every row: opened without it.

Datasette counts a table page's rows with ``select count(*)``; for ``cited_links`` (every
link of every post with its post) and ``live_entry_list`` that is a join over the whole
archive, seconds at a million posts. Their pages open as if ``_nocount=1`` were given; a
reader who wants the count adds ``_count=1``.

A search of ``post_list`` lists its matches newest first: sorting them by date reads each
match, seconds for a word most of a million posts hold. When more posts match than the
plugin's ``counted_up_to`` (the full-text index counts them, in milliseconds), the page
lists them in the order they were stored, the last stored first (``_sort_desc=search_key``),
without a row count, and its facets say they were not counted; a reader's own ``_sort``
or ``_count=1`` is kept.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from datasette.utils import tilde_decode

from .plugin import counted_up_to

UNCOUNTED_VIEWS = {"cited_links", "live_entry_list"}
SEARCHED_VIEWS = {"post_list": "posts_fts"}


def without_count(app, datasette=None):
    async def wrapped(scope, receive, send):
        if scope.get("type") == "http":
            parts = scope.get("path", "").strip("/").split("/")
            table = parts[1].split(".", 1)[0] if len(parts) == 2 else None
            pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            names = {name for name, _ in pairs}
            changed = None
            if ("_searchmode", "raw") in pairs:
                # FTS5's own syntax, its words read as the index reads text: the ``fts:``
                # form of the search box (``escape_fts`` is the plugin's ``fts_query``).
                pairs = [(name, f"fts:{value}" if name.startswith("_search") and name != "_searchmode" else value)
                         for name, value in pairs if name != "_searchmode"]
                names.discard("_searchmode")
                changed = pairs
            if table in UNCOUNTED_VIEWS:
                changed = _uncounted(pairs, names)
            elif table in SEARCHED_VIEWS and datasette is not None and "_search" in names and not names & {"_sort", "_sort_desc", "_count"}:
                args = dict(pairs)
                text = args["_search"]
                if text.strip() and await _matches(datasette, tilde_decode(parts[0]), SEARCHED_VIEWS[table], text) > counted_up_to(datasette):
                    changed = pairs + [("_sort_desc", "search_key")] + ([] if "_nocount" in names else [("_nocount", "1")])
            if changed is not None:
                scope = dict(scope, query_string=urlencode(changed).encode("latin-1"))
        await app(scope, receive, send)

    return wrapped


def _uncounted(pairs: list, names: set) -> list:
    if "_count" in names:
        return [(name, value) for name, value in pairs if name != "_count"]
    return pairs if "_nocount" in names else pairs + [("_nocount", "1")]


async def _matches(datasette, route: str, fts: str, text: str) -> int:
    """How many rows the full-text index ``fts`` matches for a search box's ``text``, as
    Datasette's own search reads it (``escape_fts``); 0 when it cannot tell."""
    try:
        database = datasette.get_database(route=route)
    except KeyError:
        return 0
    try:
        rows = await database.execute(f"SELECT count(*) FROM [{fts}] WHERE [{fts}] MATCH escape_fts(?)", [text])
    except Exception:  # noqa: BLE001 - no such index, a text FTS5 refuses: the page is Datasette's to answer
        return 0
    return rows.first()[0]
