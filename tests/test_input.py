"""Careless input gets exit 2 and one line saying what to do, and nothing is written or
left behind: unknown arguments, absurd numbers, an empty path, a damaged archive,
another application's database. And one writer per archive file, whatever path names it."""

import hashlib
import os
import sqlite3

import pytest

from crawler import storage
from crawler.storage import RunLock

from .conftest import ROOT, rows, run_crawl


@pytest.fixture(scope="module")
def archive(small_replica, tmp_path_factory):
    """A real archive of the small replica, made once."""
    db_path = tmp_path_factory.mktemp("archive") / "archive.db"
    result = run_crawl(small_replica.index_url, db_path)
    assert result.returncode == 0, result.stderr[-3000:]
    connection = sqlite3.connect(db_path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return db_path


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in result.stderr
    return lines[0]


def files_in(folder) -> set:
    return {path.name for path in folder.iterdir()}


@pytest.mark.parametrize(
    "arguments, says",
    [
        (("-a", "modee=full"), "unknown argument -a modee=... (did you mean mode?)"),
        (("-a", "start_urls=http://127.0.0.1:1/z/1"), "unknown argument -a start_urls=... (did you mean start_url?)"),
        (("-a", "recheck_days=nan"), "recheck_days 'nan' is not a number of days from 0 to 3650"),
        (("-a", "recheck_days=1e12"), "recheck_days '1e12' is not a number of days from 0 to 3650"),
        (("-a", "recheck_days=inf"), "recheck_days 'inf' is not a number of days from 0 to 3650"),
        (("-s", "SQLITE_PATH="), "SQLITE_PATH is empty"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(small_replica, tmp_path, arguments, says):
    db_path = tmp_path / "archive.db"
    result = run_crawl(small_replica.index_url, db_path, *arguments)
    assert says in one_error_line(result)
    assert files_in(tmp_path) == set()


def damaged_copy(archive, damaged):
    """A copy of ``archive`` with its middle page overwritten by random bytes."""
    data = bytearray(archive.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    middle = (len(data) // page_size // 2) * page_size
    data[middle : middle + page_size] = os.urandom(page_size)
    damaged.write_bytes(bytes(data))
    return damaged


def test_a_damaged_archive_is_refused_and_left_as_it_was(archive, small_replica, tmp_path):
    damaged = damaged_copy(archive, tmp_path / "damaged.db")
    before = hashlib.sha256(damaged.read_bytes()).hexdigest()
    line = one_error_line(run_crawl(small_replica.index_url, damaged))
    assert "is damaged" in line and "restore it from a backup" in line
    assert hashlib.sha256(damaged.read_bytes()).hexdigest() == before
    assert files_in(tmp_path) == {"damaged.db"}


@pytest.mark.parametrize("tables", [["notes"], ["posts", "users"]])
def test_another_applications_database_is_refused_and_left_as_it_was(small_replica, tmp_path, tables):
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    for table in tables:
        connection.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, body TEXT)")
    connection.commit()
    connection.close()
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    line = one_error_line(run_crawl(small_replica.index_url, other))
    assert "is a database of another application" in line and "give another SQLITE_PATH" in line
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before
    assert files_in(tmp_path) == {"other.db"}


def test_an_archive_of_an_earlier_version_is_recognised_and_marked(archive, small_replica, tmp_path):
    earlier = tmp_path / "earlier.db"
    earlier.write_bytes(archive.read_bytes())
    connection = sqlite3.connect(earlier)
    connection.execute("PRAGMA application_id = 0")
    connection.commit()
    connection.close()
    result = run_crawl(small_replica.index_url, earlier)
    assert result.returncode == 0, result.stderr[-3000:]
    connection = sqlite3.connect(earlier)
    assert connection.execute("PRAGMA application_id").fetchone()[0] == storage.APPLICATION_ID
    connection.close()


@pytest.mark.parametrize("name", ["symlink", "hard link", "relative path"])
def test_one_writer_per_archive_file_whatever_path_names_it(archive, small_replica, tmp_path, name):
    copy = tmp_path / "archive.db"
    copy.write_bytes(archive.read_bytes())
    if name == "symlink":
        other = tmp_path / "link.db"
        other.symlink_to(copy)
    elif name == "hard link":
        (tmp_path / "elsewhere").mkdir()
        other = tmp_path / "elsewhere" / "hard.db"
        os.link(copy, other)
    else:
        other = os.path.relpath(copy, ROOT)
    runs_before = rows(copy, "SELECT count(*) AS n FROM crawl_runs")[0]["n"]
    lock = RunLock(copy).acquire()
    try:
        line = one_error_line(run_crawl(small_replica.index_url, other))
    finally:
        lock.release()
    assert "another crawl is writing" in line
    assert rows(copy, "SELECT count(*) AS n FROM crawl_runs")[0]["n"] == runs_before
    assert not any(path.name.endswith(".lock") for path in tmp_path.rglob("*"))


def verify(*arguments, env=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "scrapy", "verify", *map(str, arguments)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})))


def test_verify_checks_every_page_beside_a_run_and_records_the_check(archive, tmp_path, monkeypatch):
    import json

    from crawler.storage.checked import _record_path, needs_whole_check, remember_as_left

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    copy = tmp_path / "archive.db"
    copy.write_bytes(archive.read_bytes())
    remember_as_left(copy, checked=True)
    record = json.loads(_record_path(copy).read_text())
    record["checked_at"] -= 8 * 86400  # a week and a day ago: the next run would check every page
    _record_path(copy).write_text(json.dumps(record))
    assert needs_whole_check(copy, 7)
    lock = RunLock(copy).acquire()  # a run is writing: verify reads beside it
    try:
        done = verify(copy)
    finally:
        lock.release()
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout.startswith(f"{copy}: every page is whole (") and len(done.stdout.splitlines()) == 1
    assert not needs_whole_check(copy, 7)  # the runs are spared their own check
    assert json.loads(_record_path(copy).read_text())["state"] == record["state"]


def test_verify_says_in_one_line_what_is_wrong(archive, tmp_path):
    damaged = damaged_copy(archive, tmp_path / "damaged.db")
    state = {"XDG_STATE_HOME": str(tmp_path / "state")}
    done = verify(damaged, env=state)
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "is damaged" in done.stderr and "restore it from a backup" in done.stderr
    assert not (tmp_path / "state").exists()  # nothing recorded of a damaged archive
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    connection.close()
    for arguments, says in (((other,), "is a database of another application"), ((tmp_path / "none.db",), "no archive at"),
                            ((damaged, other), "give one archive")):
        done = verify(*arguments, env=state)
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and says in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
