"""What a run prints at the default log level: its progress, warnings, errors and summary;
Scrapy's dumps of settings, components and stats only at DEBUG."""

from devtools.replica import Replica

from .conftest import rows, run_crawl

DUMPS = ("Overridden settings", "Enabled extensions", "Enabled downloader middlewares", "Dumping Scrapy stats",
         "Scrapy 2.", "Crawled 0 pages")


def test_a_run_prints_news_not_dumps_and_says_what_failed(tmp_path):
    db_path = tmp_path / "unreachable.db"
    result = run_crawl("http://127.0.0.1:9/z/17257", db_path)  # nothing listens on port 9
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert not [line for line in lines if any(dump in line for dump in DUMPS)], lines
    assert any("ERROR: cannot fetch index page http://127.0.0.1:9/z/17257" in line for line in lines)
    assert any("summary: run 1 failed" in line for line in lines)
    assert len(lines) <= 12, lines
    [run] = rows(db_path, "SELECT message FROM crawl_runs")
    assert "1 page could not be fetched (" in run["message"] and "refused" in run["message"]
    assert run["message"].endswith("; the next run tries it again")


def test_scrapys_dumps_are_still_there_at_debug_or_when_asked(tmp_path):
    with Replica(posts=5, seed=2) as replica:
        debug = run_crawl(replica.index_url, tmp_path / "a.db", "-L", "DEBUG")
        asked = run_crawl(replica.index_url, tmp_path / "b.db", "-s", "LOG_SCRAPY_DUMPS=True")
        quiet = run_crawl(replica.index_url, tmp_path / "c.db")
    for result in (debug, asked, quiet):
        assert result.returncode == 0, result.stderr[-2000:]
    assert "Dumping Scrapy stats" in debug.stderr and "Overridden settings" in debug.stderr
    assert "Dumping Scrapy stats" in asked.stderr
    assert "Dumping Scrapy stats" not in quiet.stderr and "summary: run 1 finished" in quiet.stderr
