"""Views whose row count is a join over every row open without it.

Datasette counts a table page's rows with ``select count(*)``; for ``cited_links`` (every
link of every post with its post) and ``live_entry_list`` that is a join over the whole
archive, seconds at a million posts. Their pages open as if ``_nocount=1`` were given; a
reader who wants the count adds ``_count=1``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

UNCOUNTED_VIEWS = {"cited_links", "live_entry_list"}


def without_count(app):
    async def wrapped(scope, receive, send):
        if scope.get("type") == "http":
            parts = scope.get("path", "").strip("/").split("/")
            if len(parts) == 2 and parts[1].split(".", 1)[0] in UNCOUNTED_VIEWS:
                pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
                names = {name for name, _ in pairs}
                if "_count" in names:
                    pairs = [(name, value) for name, value in pairs if name != "_count"]
                elif "_nocount" not in names:
                    pairs.append(("_nocount", "1"))
                scope = dict(scope, query_string=urlencode(pairs).encode("latin-1"))
        await app(scope, receive, send)

    return wrapped
