"""Facets that stay fast at a million posts: ``{"counted": "<column>"}`` in a table's facets.

On the whole table (no filter, no search), the counts come from ``facet_counts``, which
the archive keeps as posts are written (``crawler.storage.schema``): a few rows read, the
same numbers Datasette's own facet would count. Once the rows are filtered, the facet is
Datasette's own (a column facet, or an array facet for ``authors`` and ``tags``), within
Datasette's ``facet_time_limit_ms``, over at most ``counted_up_to`` rows: a search for a
word most posts hold keeps its list fast, and its facets say they were not counted
(counting them would group hundreds of thousands of rows, seconds each).
"""

from __future__ import annotations

from datasette.facets import ArrayFacet, ColumnFacet, Facet
from datasette.utils import path_with_added_args, path_with_removed_args

from .plugin import counted_up_to

# Facets counted in ``facet_counts``, and whether the column holds a JSON list of names.
COUNTED = {"site": False, "section": False, "language": False, "month": False, "authors": True, "tags": True, "blog": False}
# A blog is counted by its site and zone; the page shows its title (``post_list.blog``),
# and a click keeps the posts whose blogs include it.
_BLOG_LABELS = (
    "SELECT coalesce(b.title, 'zone ' || substr(f.value, instr(f.value, '/') + 1)) AS value, sum(f.posts) AS count "
    "FROM facet_counts f LEFT JOIN blogs b ON b.site || '/' || b.zone = f.value WHERE f.facet = 'blog' "
    "GROUP BY 1 HAVING count > 0 ORDER BY count DESC, value LIMIT ?"
)
# Arguments of a table page that do not choose rows: with only these, the page shows every row.
_NOT_FILTERS = {
    "_facet", "_facet_array", "_facet_counted", "_facet_size", "_sort", "_sort_desc", "_size", "_next", "_nocount",
    "_nofacet", "_nosuggest", "_col", "_nocol", "_labels", "_nolabels", "_extra", "_shape", "_json", "_trace", "_context",
    "_stream", "_dl",
}


class CountedFacet(Facet):
    type = "counted"

    def _unfiltered(self) -> bool:
        return not self.params and all(key in _NOT_FILTERS for key in self.request.args)

    async def _has_counts(self) -> bool:
        db = self.ds.get_database(self.database)
        return "facet_counts" in await db.table_names()

    async def facet_results(self):
        configs = [c for c in self.get_configs() if (c["config"].get("column") or c["config"].get("simple")) in COUNTED]
        if not configs:
            return [], []
        if not (self._unfiltered() and await self._has_counts()):
            most = counted_up_to(self.ds)
            if self.row_count is None or self.row_count > most:
                return self._not_counted(configs, most), []
            return await self._datasette_facets(configs)
        db = self.ds.get_database(self.database)
        size = self.get_facet_size()
        qs_pairs = self.get_querystring_pairs()
        results = []
        for config in configs:
            column = config["config"].get("column") or config["config"]["simple"]
            if column == "blog":
                rows = (await db.execute(_BLOG_LABELS, [size + 1])).rows
            else:
                rows = (await db.execute(
                    "SELECT value, sum(posts) AS count FROM facet_counts WHERE facet = ? AND value <> '' "
                    "GROUP BY value HAVING count > 0 ORDER BY count DESC, value LIMIT ?",
                    [column, size + 1],
                )).rows
            argument = f"{column}__arraycontains" if COUNTED[column] else f"{column}__contains" if column == "blog" else column
            values = []
            for value, count in rows[:size]:
                selected = (argument, str(value)) in qs_pairs
                toggle = (path_with_removed_args(self.request, {argument: str(value)}) if selected
                          else path_with_added_args(self.request, {argument: value}))
                values.append({"value": value, "label": value, "count": count, "selected": selected,
                               "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle))})
            results.append({
                "name": column, "type": "array" if COUNTED[column] else "column", "hideable": config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_counted": column})),
                "results": values, "truncated": len(rows) > size,
            })
        return results, []

    def _not_counted(self, configs, most: int) -> list[dict]:
        """Facets of more rows than are counted: each named, with no values, and why."""
        return [{
            "name": column, "type": f"not counted: more than {most:,} rows", "hideable": config["source"] != "metadata",
            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_counted": column})),
            "results": [], "truncated": False,
        } for config in configs for column in [config["config"].get("column") or config["config"]["simple"]]]

    async def _datasette_facets(self, configs):
        """Datasette's own facets over the filtered rows."""
        results, timed_out = [], []
        for config in configs:
            column = config["config"].get("column") or config["config"]["simple"]
            kind = ArrayFacet if COUNTED[column] else ColumnFacet
            facet = kind(self.ds, self.request, self.database, sql=self.sql, table=self.table, params=self.params,
                         metadata=self.metadata, row_count=self.row_count)
            facet.get_configs = lambda source=config["source"], column=column: [{"source": source, "config": {"simple": column}}]
            found, late = await facet.facet_results()
            results += found
            timed_out += late
        return results, timed_out
