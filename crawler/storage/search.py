"""The full-text index: the searched text of posts and live blog entries as
``crawler.analysis`` reads it in the post's language, in contentless FTS5 tables (the text
itself stays in its tables, untouched; the index holds only its terms).

The index row of a post or an entry always follows the row as it is in its table (its
searched columns and its post's ``language``): the versioned write
(``writes._write_version``) takes the old terms out with the values the row held and puts
the new ones in, and a post whose language changes has its entries read again. Anything
else that writes these columns (a merge) rebuilds the index. An index made by another
reading (``ANALYSIS_VERSION``) or another table definition is rebuilt when the archive is
opened for writing.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from ..analysis import ANALYSIS_VERSION, TOKENIZE, index_text, reading_language

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchIndex:
    fts: str
    table: str
    columns: tuple[str, ...]
    # Each row's rowid, searched columns and language, by rowid.
    rows_sql: str

    @property
    def create_sql(self) -> str:
        columns = ", ".join(f"[{c}]" for c in self.columns)
        return f"CREATE VIRTUAL TABLE [{self.fts}] USING fts5({columns}, content='', tokenize=\"{TOKENIZE}\")"


POSTS_INDEX = SearchIndex(
    "posts_fts", "posts", ("title", "body_text"),
    "SELECT rowid, title, body_text, language FROM posts WHERE rowid > ? ORDER BY rowid LIMIT ?",
)
ENTRIES_INDEX = SearchIndex(
    "live_entries_fts", "live_entries", ("headline", "body_text"),
    "SELECT e.rowid, e.headline, e.body_text, p.language FROM live_entries e LEFT JOIN posts p ON p.site = e.site AND p.id = e.post_id "
    "WHERE e.rowid > ? ORDER BY e.rowid LIMIT ?",
)
INDEXES = {index.fts: index for index in (POSTS_INDEX, ENTRIES_INDEX)}
FTS_TABLES = tuple(INDEXES)
_BATCH = 1000


def terms(values, language) -> tuple:
    """The index row for a row's searched ``values`` read in ``language`` (or, when the
    post names none, the language its script tells: ``analysis.reading_language``)."""
    if not language:
        language = reading_language(None, " ".join(v for v in values if isinstance(v, str)))
    return tuple(index_text(value, language) for value in values)


def write_terms(conn: sqlite3.Connection, fts: str, rowid: int, old: tuple | None, new: tuple | None) -> None:
    """Take a row's old terms out of the index (given as they were put in) and put its new ones in."""
    columns = INDEXES[fts].columns
    names = ", ".join(f"[{c}]" for c in columns)
    marks = ", ".join("?" * len(columns))
    if old is not None:
        conn.execute(f"INSERT INTO [{fts}] ([{fts}], rowid, {names}) VALUES ('delete', ?, {marks})", [rowid, *old])
    if new is not None:
        conn.execute(f"INSERT INTO [{fts}] (rowid, {names}) VALUES (?, {marks})", [rowid, *new])


def ensure_search_index(conn: sqlite3.Connection) -> list[str]:
    """Make each index as this version makes it; the ones rebuilt (made anew and filled)."""
    conn.execute("CREATE TABLE IF NOT EXISTS search_index (fts TEXT PRIMARY KEY, analysis_version INTEGER NOT NULL, sql TEXT NOT NULL)")
    rebuilt = []
    for index in INDEXES.values():
        found = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [index.fts]).fetchone()
        recorded = conn.execute("SELECT analysis_version, sql FROM search_index WHERE fts = ?", [index.fts]).fetchone()
        if found is not None and found[0] == index.create_sql and recorded == (ANALYSIS_VERSION, index.create_sql):
            continue
        conn.execute(f"DROP TABLE IF EXISTS [{index.fts}]")
        conn.execute(index.create_sql)
        # Datasette's database page counts every table's rows; ``count(*)`` walks the
        # smallest b-tree of a table, and a full-text index's data table has only its
        # pages of blobs (200 ms at a million posts) unless it has this small index.
        conn.execute(f"CREATE INDEX IF NOT EXISTS [{index.fts}_data_rows] ON [{index.fts}_data] (id)")
        fill(conn, index)
        conn.execute(
            "INSERT INTO search_index (fts, analysis_version, sql) VALUES (?, ?, ?) "
            "ON CONFLICT (fts) DO UPDATE SET analysis_version = excluded.analysis_version, sql = excluded.sql",
            [index.fts, ANALYSIS_VERSION, index.create_sql],
        )
        rebuilt.append(index.fts)
    return rebuilt


def fill(conn: sqlite3.Connection, index: SearchIndex, into: str | None = None, after: int = -1) -> int:
    """Every row of the index's table (past rowid ``after``) read and put in ``into`` (the
    index itself by default), a batch at a time; how many rows. A large archive says how
    far it got."""
    target = into or f"[{index.fts}]"
    names = ", ".join(f"[{c}]" for c in index.columns)
    marks = ", ".join("?" * len(index.columns))
    done = 0
    while True:
        batch = conn.execute(index.rows_sql, [after, _BATCH]).fetchall()
        if not batch:
            return done
        conn.executemany(
            f"INSERT INTO {target} (rowid, {names}) VALUES (?, {marks})",
            [(row[0], *terms(row[1:-1], row[-1])) for row in batch],
        )
        done += len(batch)
        after = batch[-1][0]
        if done % 100_000 < _BATCH and done >= 100_000:
            logger.info("search index %s: %d rows read", index.fts, done)


def rebuild(conn: sqlite3.Connection, fts: str) -> int:
    """The index emptied and filled again from its table."""
    conn.execute(f"INSERT INTO [{fts}] ([{fts}]) VALUES ('delete-all')")
    return fill(conn, INDEXES[fts])


def entries_read_again(conn: sqlite3.Connection, site: str, post_id: int, old_language, new_language):
    """A post's language changed: (rowid, old terms, new terms) of each of its entries."""
    for rowid, headline, body in conn.execute(
        "SELECT rowid, headline, body_text FROM live_entries WHERE site = ? AND post_id = ?", [site, post_id]
    ).fetchall():
        yield rowid, terms((headline, body), old_language), terms((headline, body), new_language)


def search_index_problems(conn: sqlite3.Connection) -> list[str]:
    """The indexes that do not hold exactly their tables' rows as read now (an empty list
    when all do): each checked by FTS5 itself, then against an index made afresh in a
    temporary table, term for term and place for place. Reads the whole archive."""
    problems = []
    for index in INDEXES.values():
        fts = index.fts
        try:
            conn.execute(f"INSERT INTO [{fts}] ([{fts}]) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as error:
            problems.append(f"{fts}: {error}")
            continue
        names = ", ".join(f"[{c}]" for c in index.columns)
        conn.execute("DROP TABLE IF EXISTS temp.fresh_fts")
        conn.execute(f"CREATE VIRTUAL TABLE temp.fresh_fts USING fts5({names}, content='', tokenize=\"{TOKENIZE}\")")
        try:
            fill(conn, index, into="temp.fresh_fts")
            conn.execute(f"CREATE VIRTUAL TABLE temp.held_terms USING fts5vocab(main, [{fts}], instance)")
            conn.execute("CREATE VIRTUAL TABLE temp.fresh_terms USING fts5vocab(temp, fresh_fts, instance)")
            columns = "term, doc, col, offset"
            differs = sum(
                conn.execute(f"SELECT count(*) FROM (SELECT {columns} FROM temp.[{a}] EXCEPT SELECT {columns} FROM temp.[{b}])").fetchone()[0]
                for a, b in (("held_terms", "fresh_terms"), ("fresh_terms", "held_terms"))
            )
            if differs:
                problems.append(f"{fts}: {differs} terms differ from the rows of {index.table} as they are now")
        finally:
            for name in ("held_terms", "fresh_terms", "fresh_fts"):
                conn.execute(f"DROP TABLE IF EXISTS temp.[{name}]")
    return problems
