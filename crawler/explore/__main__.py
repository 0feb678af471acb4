"""``python -m crawler.explore [DB ...]``: serve archives with Datasette on 127.0.0.1, read-only.

Datasette opens the file read-only (a crawl can keep writing meanwhile), with this
package's plugin: the archive's metadata, canned queries, reading view and chart. Nothing
is written anywhere; the same shows with plain ``datasette DB`` once the package is installed.

Several archives (of several machines, before or instead of a merge) are served side by
side, each with its own pages, and with Datasette's ``--crossdb``: one SQL query can read
them all from ``/_memory`` (``SELECT ... FROM [archive-a].posts UNION ALL ...``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def datasette_arguments(db_paths: list[Path], port: int) -> list[str]:
    return [
        "serve", *map(str, db_paths), *(["--crossdb"] if len(db_paths) > 1 else []),
        "--host", "127.0.0.1", "--port", str(port),
        "--setting", "default_page_size", "50",
        "--setting", "sql_time_limit_ms", "3000",
        "--setting", "truncate_cells_html", "300",
        # Suggesting facets groups every row by every column: seconds at a million posts.
        "--setting", "suggest_facets", "off",
    ]


def register_plugin() -> None:
    """The package's plugin, when it is not installed (a checkout run from its folder)."""
    from datasette.plugins import pm

    import crawler.explore as plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="crawler.explore")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.explore", description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="*", default=["data/blog.db"], help="the archives (default data/blog.db)")
    parser.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (default 8001)")
    args = parser.parse_args(argv)
    db_paths = [Path(db) for db in args.db]
    for db_path in db_paths:
        if not db_path.is_file():
            print(f"error: no archive at {db_path}: run a crawl first (make demo writes data/demo.db)", file=sys.stderr)
            return 2
    register_plugin()
    from datasette.cli import cli

    names = ", ".join(map(str, db_paths))
    print(f"serving {names} read-only at http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
    cli.main(datasette_arguments(db_paths, args.port), prog_name="datasette")
    return 0


if __name__ == "__main__":
    sys.exit(main())
