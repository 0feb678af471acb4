"""The SQL a real process runs, and which of it reads a whole table.

``python -m tests.sqltrace TRACE_FILE scrapy crawl blog ...`` runs Scrapy's own command
line in this process, with every SQLite connection the process opens traced by SQLite's
trace callback (each statement as executed, its values bound) into ``TRACE_FILE``, one
statement per record. ``full_scans(db_path, statements, tables)`` asks SQLite for the query
plan of each distinct statement (``EXPLAIN QUERY PLAN``) and returns those that scan one of
``tables`` whole.
"""

from __future__ import annotations

import re
import sqlite3
import sys

_SEPARATOR = "\n\x1e\n"  # between statements in the trace file (a statement may span lines)


def install(trace_path: str) -> None:
    out = open(trace_path, "a", encoding="utf-8")
    connect = sqlite3.connect

    def traced_connect(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(lambda statement: out.write(statement + _SEPARATOR))
        return conn

    sqlite3.connect = traced_connect


def read_trace(trace_path: str) -> list[str]:
    with open(trace_path, encoding="utf-8") as handle:
        return [s for s in handle.read().split(_SEPARATOR) if s.strip()]


_PLANNED = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b", re.IGNORECASE)


def full_scans(db_path: str, statements: list[str], tables: tuple[str, ...]) -> dict[str, list[str]]:
    """Statement -> the plan lines that scan one of ``tables`` whole (``SCAN t``, with or
    without an index: a covering index read end to end reads every row too)."""
    found: dict[str, list[str]] = {}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        for statement in dict.fromkeys(statements):
            if not _PLANNED.match(statement):
                continue
            # The names a statement gives the tables (``FROM posts p``, ``JOIN captures AS c``).
            names = {t: t for t in tables}
            for table, alias in re.findall(
                rf"\b({'|'.join(tables)})\b\s+(?:AS\s+)?(?!ON\b|WHERE\b|JOIN\b|USING\b|GROUP\b|ORDER\b|LIMIT\b|SET\b|VALUES\b|LEFT\b|CROSS\b|INNER\b)(\w+)",
                statement, flags=re.IGNORECASE,
            ):
                names[alias] = table
            try:
                plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}")]
            except sqlite3.Error:
                continue  # a statement of a temporary table, or of a connection's own schema
            scans = [line for line in plan if (m := re.match(r"SCAN (\w+)", line)) and m.group(1) in names]
            if scans:
                found[statement] = scans
    finally:
        conn.close()
    return found


def main() -> None:
    install(sys.argv[1])
    from scrapy.cmdline import execute

    sys.argv = sys.argv[2:]
    execute()


if __name__ == "__main__":
    main()
