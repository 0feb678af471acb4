"""Archives travel: what a source archive holds is input. A merge writes nothing outside
the target's WARC folder and refuses what no crawl stores; a failed or killed copy leaves
nothing half done; a refused merge makes nothing."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.replica import Replica

from .conftest import ROOT, archive_tables, copy_archive, rows, run_crawl, search_index_problems


def merge(target: Path, *sources: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "merge", str(target), *map(str, sources)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crawled")
    with Replica(posts=8, seed=21) as replica:
        result = run_crawl(replica.index_url, folder / "source.db")
        assert result.returncode == 0, result.stderr[-3000:]
    return folder / "source.db"


def hostile_copy(crawled: Path, folder: Path, sql: str, params=()) -> Path:
    source = folder / "hostile.db"
    copy_archive(crawled, source)
    shutil.copytree(f"{crawled}.warc", f"{source}.warc")
    with sqlite3.connect(source) as conn:
        conn.execute(sql, params)
    return source


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("name", ["../../victim/cron.d/pwn", "/ABSOLUTE/abs.warc.gz", "..", "sub/inner.warc.gz"])
def test_a_source_naming_a_warc_file_outside_its_folder_is_refused_and_nothing_is_written(crawled, tmp_path, name):
    name = name.replace("/ABSOLUTE", str(tmp_path / "absolute"))
    source = hostile_copy(crawled, tmp_path, "UPDATE captures SET warc_file = ? WHERE rowid = (SELECT min(rowid) FROM captures)", [name])
    # The named file exists beside the source's folder, so that a merge that followed it would copy it.
    outside = (Path(f"{source}.warc") / name) if not name.startswith("/") else Path(name)
    outside.parent.mkdir(parents=True, exist_ok=True)
    if not outside.exists() or outside.is_file():
        outside.write_bytes(b"not the target's")
    before = tree(tmp_path)
    target = tmp_path / "target.db"
    done = merge(target, source)
    [line] = done.stderr.strip().splitlines()
    assert done.returncode == 1
    assert line.startswith(f"error: cannot merge {source} into {target}: its captures name a WARC file that is not in its folder:")
    assert line.endswith(f"{target} was not made")
    assert tree(tmp_path) == before  # nothing created, here or outside
    assert not (tmp_path / "victim").exists() and not Path("/victim").exists()


def test_a_source_merged_into_an_archive_with_a_bad_name_leaves_it_as_it_was(crawled, tmp_path):
    target = tmp_path / "target.db"
    copy_archive(crawled, target)
    shutil.copytree(f"{crawled}.warc", f"{target}.warc")
    tables = archive_tables(target)
    source = hostile_copy(crawled, tmp_path, "UPDATE captures SET warc_file = '../escape.warc.gz'")
    done = merge(target, source)
    assert done.returncode == 1 and done.stderr.strip().endswith(f"{target} is as it was before this source")
    assert archive_tables(target) == tables and not (tmp_path / "escape.warc.gz").exists()


@pytest.mark.parametrize("table, column", [("posts", "url"), ("links", "url"), ("embeds", "url"), ("images", "url")])
def test_a_source_with_urls_no_crawl_stores_is_refused(crawled, tmp_path, table, column):
    with sqlite3.connect(crawled) as conn:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
    source = hostile_copy(crawled, tmp_path, f"UPDATE {table} SET {column} = 'javascript:fetch(\"http://127.0.0.9/\")' "
                                             f"WHERE rowid = (SELECT min(rowid) FROM {table})")
    target = tmp_path / "target.db"
    done = merge(target, source)
    [line] = done.stderr.strip().splitlines()
    assert done.returncode == 1 and f"its {table}.{column} holds 'javascript:fetch" in line and "which no crawl stores" in line
    assert not target.exists() and not Path(f"{target}.warc").exists()


def test_a_copy_killed_on_the_way_is_cleared_and_the_merge_converges(crawled, tmp_path):
    target = tmp_path / "target.db"
    warc_dir = Path(f"{target}.warc")
    warc_dir.mkdir()
    [name] = [p.name for p in Path(f"{crawled}.warc").iterdir()]
    # What a merge killed in the middle of its copy leaves: part of the file, under its temporary name.
    (warc_dir / f".{name}.partial").write_bytes(Path(f"{crawled}.warc", name).read_bytes()[:1000])
    done = merge(target, crawled)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in warc_dir.iterdir()) == [name]
    assert (warc_dir / name).read_bytes() == Path(f"{crawled}.warc", name).read_bytes()
    assert search_index_problems(target) == []


# As the full-disk tests of the crawl: the tests run as root (CI does), which may mount a small file system.
def test_a_full_disk_under_the_warc_copy_is_one_line_and_leaves_no_partial_file(crawled, tmp_path):
    target = tmp_path / "target.db"
    warc_dir = Path(f"{target}.warc")
    warc_dir.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(warc_dir)], check=True)
    try:
        for attempt in range(2):  # and again: no debris accumulates
            done = merge(target, crawled)
            [line] = done.stderr.strip().splitlines()
            assert done.returncode == 1 and "cannot copy the WARC file" in line and "No space left on device" in line, line
            assert list(warc_dir.iterdir()) == []
    finally:
        subprocess.run(["umount", str(warc_dir)], check=True)
    assert merge(target, crawled).returncode == 0
    assert rows(target, "SELECT count(*) AS n FROM posts") == [{"n": 8}]
