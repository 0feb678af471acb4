from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import sqlite_utils

from crawler import storage
from devtools.replica import Replica
from devtools.replica_settings import crawl_command

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = FIXTURES / "reference"


@pytest.fixture(scope="session")
def small_replica():
    """A 40-post replica for tests that read pages; shared, never changed."""
    with Replica(posts=40, seed=7) as replica:
        yield replica


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (for a server to take, or to be refused)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen | None = None, seconds: float = 30) -> None:
    """Wait until ``url`` answers (any HTTP status); fail with the server's own words if
    ``process`` ends first or the time runs out."""
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            ended = process is not None and process.poll() is not None
            if ended or time.monotonic() > deadline:
                said = process.stderr.read()[-2000:] if process is not None and process.stderr and ended else ""
                pytest.fail(f"{url} did not answer{': ' + said if said else ''}")
            time.sleep(0.2)


def run_crawl(start_url: str, db_path: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real ``scrapy crawl blog`` in a subprocess, politeness off for the local replica."""
    command = crawl_command(start_url, db_path, *extra)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def copy_archive(source: Path, target: Path) -> Path:
    """A consistent copy of an archive (SQLite's backup, the write-ahead log included)."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


# Tables (and columns) that describe a run rather than what the site served: a rebuild
# from WARC files has its own.
RUN_TABLES = {"crawl_runs", "crawl_run_blogs", "_sqlite_migrations"}
RUN_COLUMNS = {"blogs": {"last_run_at", "index_complete_at"}, "live_blogs": {"last_seen_at", "walk_complete_at"},
               "revisions": {"id"}}


def archive_tables(db_path: Path) -> dict[str, list[dict]]:
    """Every table of an archive as sorted rows, to compare two archives table by table:
    author and tag ids (given in the order posts came in) replaced by their names, the
    full-text tables left to their integrity check, and the run's own records left out."""
    db = sqlite_utils.Database(db_path)
    try:
        names = {name: {row["id"]: row["name"] for row in db[name].rows} for name in ("authors", "tags")}
        tables = {}
        for table in db.table_names():
            if table in RUN_TABLES or "_fts" in table:
                continue
            dropped = RUN_COLUMNS.get(table, set()) | ({"id"} if table in names else set())
            found = []
            for row in db[table].rows:
                row = {k: v for k, v in row.items() if k not in dropped}
                for column, kind in (("author_id", "authors"), ("tag_id", "tags")):
                    if column in row:
                        row[column] = names[kind][row[column]]
                found.append(row)
            tables[table] = sorted(found, key=lambda r: json.dumps(r, sort_keys=True, default=str))
        return tables
    finally:
        db.close()


def warc_record_at(path: Path, offset: int):
    """The WARC record at ``offset`` of ``path`` (its headers, and its payload as served)."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return record.rec_type, record.rec_headers, record.raw_stream.read()


def captures_missing(db_path: Path, warc_dir: Path | None = None) -> list[str]:
    """Every stored version of a post (posts and revisions) whose capture the WARC files
    do not hold at the place the archive names; an empty list when all are there."""
    warc_dir = warc_dir or Path(f"{db_path}.warc")
    problems = []
    for row in rows(
        db_path,
        "SELECT v.capture_id, c.warc_file, c.offset, c.url FROM "
        "(SELECT capture_id FROM posts UNION SELECT capture_id FROM revisions) v LEFT JOIN captures c ON c.record_id = v.capture_id",
    ):
        if row["capture_id"] is None or row["warc_file"] is None:
            problems.append(f"no capture: {row}")
            continue
        try:
            _, headers, _ = warc_record_at(warc_dir / row["warc_file"], row["offset"])
        except Exception as error:  # noqa: BLE001 - any failure to read is the finding
            problems.append(f"unreadable {row}: {error}")
            continue
        if headers.get_header("WARC-Record-ID") != row["capture_id"] or headers.get_header("WARC-Target-URI") != row["url"]:
            problems.append(f"another record at {row}")
    return problems


def rows(db_path: Path, sql: str, params=()) -> list[dict]:
    db = sqlite_utils.Database(db_path)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


def archive_snapshot(db_path: Path, base_url: str) -> dict:
    """Each post with everything the site said of it, the replica's base URL taken out, so
    that two archives of the same content served on two ports compare equal."""
    posts = {}
    columns = (
        "id, title, description, authors, published_at, updated_at, tags, section, zone, language, dateline, "
        "body_text, body_html, word_count, lead_image_url, lead_image_caption"
    )
    for row in rows(db_path, f"SELECT {columns} FROM posts"):
        # Sloppy HTML moves white space across tag boundaries (a missing </p> takes the
        # newline after it inside the paragraph); what renders is the same.
        row["body_html"] = re.sub(r"\s*(<[^>]+>)\s*", r"\1", row["body_html"].replace(base_url, "BASE"))
        for table in ("images", "links", "embeds"):
            children = rows(db_path, f"SELECT * FROM {table} WHERE post_id = ? ORDER BY position", [row["id"]])
            row[table] = [
                {k: (str(v).replace(base_url, "BASE") if k == "url" else v) for k, v in c.items() if k != "site"}
                for c in children
            ]
        for name in ("authors", "tags"):
            joined = rows(
                db_path,
                f"SELECT {name}.name FROM post_{name} JOIN {name} ON {name}.id = {name[:-1]}_id WHERE post_id = ? ORDER BY 1",
                [row["id"]],
            )
            row[f"{name}_joined"] = [r["name"] for r in joined]
        posts[row["id"]] = row
    return posts


def search_index_problems(db_path: Path) -> list[str]:
    db = sqlite_utils.Database(db_path)
    try:
        return storage.search_index_problems(db)
    finally:
        db.close()


# Tests that start servers, crawls or browsers: ``pytest -m e2e``; the rest, the unit
# tests, run alone in seconds with ``pytest -m "not e2e"``. Whole modules, and in mixed
# modules the tests that use a replica.
E2E_MODULES = {
    "test_audit", "test_crawl_e2e", "test_disk_full", "test_dresses", "test_entry_points", "test_explore",
    "test_faults", "test_hostile_site", "test_incremental", "test_input", "test_markup_alarms", "test_packaging",
    "test_rendering", "test_replica", "test_scrapyd", "test_many_blogs", "test_bench_spiders", "test_warc", "test_replay_pywb", "test_exports", "test_log_output", "test_install",
    "test_failures", "test_hostile_archive", "test_endless", "test_scale", "test_languages",
}
E2E_FIXTURES = {"small_replica", "plain", "seed"}


def pytest_collection_modifyitems(config, items):
    """Marks the end-to-end tests; ``TEST_SHUFFLE=<seed> pytest`` runs the tests in a
    random order (every test must pass in any order)."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        if module in E2E_MODULES or E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
    seed = os.environ.get("TEST_SHUFFLE")
    if seed:
        import random

        random.Random(seed).shuffle(items)
