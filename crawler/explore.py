"""``python -m crawler.explore [DB]``: serve the archive with Datasette on 127.0.0.1, read-only.

Datasette opens the file read-only (a crawl can keep writing meanwhile), with the
archive's metadata (titles, descriptions of every table and column, facets, canned
queries) from ``explore/metadata.json`` and the plugin in ``explore/plugins``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "explore" / "metadata.json"
PLUGINS = ROOT / "explore" / "plugins"
TEMPLATES = ROOT / "explore" / "templates"


def metadata_for(db_path: Path) -> dict:
    """The metadata, with its database entry named as Datasette names the file (its stem)."""
    metadata = json.loads(METADATA.read_text())
    metadata["databases"] = {db_path.stem: metadata["databases"]["archive"]}
    return metadata


def datasette_command(db_path: Path, metadata_path: Path, port: int) -> list[str]:
    return [
        sys.executable, "-m", "datasette", "serve", str(db_path),
        "--host", "127.0.0.1", "--port", str(port),
        "--metadata", str(metadata_path),
        "--plugins-dir", str(PLUGINS),
        "--template-dir", str(TEMPLATES),
        "--setting", "default_page_size", "50",
        "--setting", "sql_time_limit_ms", "3000",
        "--setting", "truncate_cells_html", "300",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.explore", description=__doc__.splitlines()[0])
    parser.add_argument("db", nargs="?", default="data/blog.db", help="the archive (default data/blog.db)")
    parser.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (default 8001)")
    args = parser.parse_args(argv)
    db_path = Path(args.db)
    if not db_path.is_file():
        print(f"error: no archive at {db_path}: run a crawl first (make demo writes data/demo.db)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="pangea-explore-"))
    metadata_path = folder / "metadata.json"
    metadata_path.write_text(json.dumps(metadata_for(db_path), ensure_ascii=False))
    print(f"serving {db_path} read-only at http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
    os.execv(sys.executable, datasette_command(db_path, metadata_path, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
