from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from crawler.replica import Replica
from crawler.replica_settings import as_arguments

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = FIXTURES / "reference"


@pytest.fixture(scope="session")
def small_replica():
    """A 40-post replica for tests that read pages; shared, never changed."""
    with Replica(posts=40, seed=7) as replica:
        yield replica


def run_crawl(start_url: str, db_path: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real ``scrapy crawl blog`` in a subprocess, politeness off for the local replica."""
    command = [
        sys.executable, "-m", "scrapy", "crawl", "blog",
        "-a", f"start_url={start_url}",
        "-s", f"SQLITE_PATH={db_path}",
        *as_arguments(),
        *extra,
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def rows(db_path: Path, sql: str, params=()) -> list[dict]:
    db = sqlite_utils.Database(db_path)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()
