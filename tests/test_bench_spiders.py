"""The benchmarks' crawls fetch the same pages: the blog spider and the bare spider it is
measured against, with the same command line but the spider. (A ratio over a crawl that
fetched nothing would mean nothing.)"""

import subprocess

from devtools.bench import _crawl_command, _scrapy_stat
from devtools.replica import Replica

from .conftest import ROOT


def data_folder() -> dict:
    return {path.name: path.stat().st_mtime_ns for path in (ROOT / "data").iterdir()}


def test_the_bare_spider_and_the_blog_spider_fetch_every_post(tmp_path):
    before = data_folder()
    with Replica(posts=30, seed=4) as replica:
        results = {}
        for spider in ("bare", "blog"):
            command = _crawl_command(spider, replica.index_url, tmp_path / f"{spider}.db")
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-2000:]
            results[spider] = _scrapy_stat(done.stderr, "downloader/response_count")
        pages = len(replica.site.posts) + replica.site.page_count
    assert results["bare"] >= pages
    assert results["blog"] >= pages
    # The floor keeps nothing: no archive, no WARC file, in the checkout or elsewhere.
    assert data_folder() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blog.db", "blog.db-shm", "blog.db-wal", "blog.db.warc"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["blog.db", "blog.db.warc"]
