"""Many blogs in one run, many machines, one archive: five replica sites on five loopback
addresses (127.0.0.2 to 127.0.0.6), two blogs on the first, crawled in one run; two
Scrapyd daemons each crawling their share, then ``scrapy merge``; a webhook told of a
failed blog."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from devtools.replica import Replica
from devtools.replica.content import SECOND_ZONE
from devtools.replica_settings import FAST_LOCAL

from .conftest import ROOT, archive_tables, captures_missing, copy_archive, free_port, rows, run_crawl, search_index_problems, wait_for_http
from .test_scrapyd import scrapyd_daemons
from crawler.analysis import match_expression

HOSTS = [f"127.0.0.{n}" for n in range(2, 7)]
PER_SITE = "2"
POLITE = ["-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={PER_SITE}", "-s", "CONCURRENT_REQUESTS=16"]

# What differs between two crawls of the same content: when things were seen, which run's
# WARC record a version came from, and the runs' own rows.
VOLATILE = {"first_seen_at", "last_seen_at", "last_changed_at", "recorded_at", "capture_id", "first_failed_at", "last_failed_at"}
RUN_RECORDS = {"captures", "crawl_run_blogs"}


@contextmanager
def network(posts: int = 30):
    """Five replica sites, one per address; the first serves a second blog that lists
    some of the first blog's posts too. Each answers after 10 ms, like a site far away."""
    replicas = [
        Replica(posts=posts, seed=40 + number, host=host, second_blog=number == 0, latency=0.01).start()
        for number, host in enumerate(HOSTS)
    ]
    try:
        yield replicas
    finally:
        for replica in replicas:
            replica.stop()


def blogs_of(replica: Replica) -> list[str]:
    urls = [replica.index_url]
    if replica.site.second_posts:
        urls.append(f"{replica.base_url}/z/{SECOND_ZONE}")
    return urls


def content_tables(db_path: Path) -> dict[str, list[dict]]:
    """An archive's tables as the site's content made them, to compare archives crawled at
    other times: seen dates, capture ids and run records left out. ``posts.blog_zone`` is
    the blog whose request fetched a post first, which concurrency decides for a post two
    blogs list; what blogs list a post is ``post_blogs``, compared whole."""
    tables = {}
    for table, found in archive_tables(db_path).items():
        if table in RUN_RECORDS:
            continue
        dropped = VOLATILE | ({"blog_zone", "blog_site"} if table == "posts" else set())
        tables[table] = sorted(
            ({k: v for k, v in row.items() if k not in dropped} for row in found), key=lambda r: json.dumps(r, sort_keys=True)
        )
    return tables


def union(*archives: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The tables of several archives as one: each row once (authors and tags are names,
    which sites share)."""
    tables: dict[str, dict[str, dict]] = {}
    for archive in archives:
        for table, found in archive.items():
            tables.setdefault(table, {}).update((json.dumps(row, sort_keys=True), row) for row in found)
    return {table: [found[key] for key in sorted(found)] for table, found in tables.items()}


def merge(target: Path, *sources: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "merge", str(target), *map(str, sources)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_one_run_of_many_blogs_equals_the_union_of_single_site_crawls(tmp_path):
    with network() as replicas:
        singles = []
        for number, replica in enumerate(replicas):
            db_path = tmp_path / f"site{number}.db"
            done = run_crawl(",".join(blogs_of(replica)), db_path, *POLITE)
            assert done.returncode == 0, done.stderr[-3000:]
            singles.append(content_tables(db_path))
        for replica in replicas:
            replica.app.traffic.clear()

        # One run: the first blog on the command line, the rest (the first again, in
        # another form) from a blog list as a cron line would name it.
        urls = [url for replica in replicas for url in blogs_of(replica)]
        blog_list = tmp_path / "blogs.txt"
        blog_list.write_text(
            "# the network's blogs, one a line\n\n"
            + "\n".join(f"{url}   # blog {n}" for n, url in enumerate(urls[1:], 2))
            + f"\n{urls[0]}/\n"
        )
        db_path = tmp_path / "all.db"
        done = run_crawl(urls[0], db_path, "-a", f"blogs={blog_list}", *POLITE)
        assert done.returncode == 0, done.stderr[-3000:]

        # The archive is the union of the single-site crawls, table by table.
        assert content_tables(db_path) == union(*singles)
        assert search_index_problems(db_path) == []
        # Each blog's posts are the ones the site lists in it (the posts two blogs list, in
        # both), and every post is listed in the blog that fetched it.
        for replica, host in zip(replicas, HOSTS):
            for zone in replica.site.blog_titles:
                listed = rows(db_path, "SELECT post_id FROM post_blogs WHERE blog_site = ? AND zone = ?", [host, zone])
                assert {r["post_id"] for r in listed} == {p.id for p in replica.site.blog_posts(zone)}, (host, zone)
        assert rows(
            db_path,
            "SELECT site, id FROM posts WHERE NOT EXISTS (SELECT 1 FROM post_blogs b WHERE b.site = posts.site "
            "AND b.post_id = posts.id AND b.blog_site = posts.blog_site AND b.zone = posts.blog_zone)",
        ) == []
        run = rows(db_path, "SELECT * FROM crawl_runs")[0]
        assert (run["status"], run["blogs"], run["blogs_failed"], run["index_walk"]) == ("finished", 6, 0, "end")
        assert run["start_url"] == ",".join(urls)
        outcomes = rows(db_path, "SELECT site, zone, status, index_walk, posts_new FROM crawl_run_blogs ORDER BY site, zone")
        assert [(o["site"], o["zone"]) for o in outcomes] == sorted((h, z) for h in HOSTS for z in ([17257, SECOND_ZONE] if h == HOSTS[0] else [17257]))
        assert {(o["status"], o["index_walk"]) for o in outcomes} == {("finished", "end")}
        assert sum(o["posts_new"] for o in outcomes) == run["posts_new"] == rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"]

        # The sites were fetched at the same time, each within its own concurrency.
        spans = [(min(s for s, _, _ in r.app.traffic), max(e for _, e, _ in r.app.traffic)) for r in replicas]
        assert max(start for start, _ in spans) < min(end for _, end in spans), spans
        log = sorted((received, host) for host, r in zip(HOSTS, replicas) for received, _, _ in r.app.traffic)
        switches = sum(1 for (_, a), (_, b) in zip(log, log[1:]) if a != b)
        assert switches > len(log) / 4, (switches, len(log))
        assert max(r.most_in_flight() for r in replicas) <= int(PER_SITE)
        assert sum(len(r.app.traffic) for r in replicas) == run["requests"]

        assert f"summary: run 1 finished (6 blogs, 0 failed); {run['requests']} requests" in done.stderr

        # Nothing changed: a run costs at most two requests a blog, and robots.txt per site.
        again = run_crawl(urls[0], db_path, "-a", f"blogs={blog_list}", *POLITE)
        assert again.returncode == 0, again.stderr[-3000:]
        second = rows(db_path, "SELECT requests, posts_new, status FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
        assert second["status"] == "finished" and second["posts_new"] == 0
        assert second["requests"] <= 2 * len(urls) + len(HOSTS), second

    # The WARC files of the runs alone, the sites gone: a re-extraction of the same blogs
    # makes the same archive, each site's pages filed under its own blogs.
    rebuilt = tmp_path / "rebuilt.db"
    done = run_crawl(urls[0], rebuilt, "-a", f"blogs={blog_list}", "-a", "mode=reextract", "-a", f"warc={db_path}.warc")
    assert done.returncode == 0, done.stderr[-3000:]
    assert content_tables(rebuilt) == content_tables(db_path)
    assert rows(rebuilt, "SELECT status, blogs, blogs_failed FROM crawl_runs") == [{"status": "finished", "blogs": 6, "blogs_failed": 0}]


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def webhook():
    """A webhook receiver on 127.0.0.1: what it was posted, in order."""
    handler = type("Hook", (_Hook,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler.received
    finally:
        server.shutdown()
        server.server_close()


def test_a_blog_that_fails_fails_the_run_not_the_others_and_is_said(tmp_path):
    dead = f"http://127.0.0.6:{free_port()}/z/555"
    with Replica(posts=20, seed=3, host="127.0.0.2") as replica, webhook() as (hook, received):
        db_path = tmp_path / "archive.db"
        done = run_crawl(
            f"{replica.index_url},{dead}", db_path, "-s", f"ALERT_WEBHOOK_URL={hook}", "-s", "RETRY_TIMES=0", "-L", "ERROR"
        )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].endswith(f"1 of 2 blogs failed: {dead} (1 page could not be fetched (Connection was refused by other side: 111: Connection refused); the next run tries it again)"), lines
    assert rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"] == 20
    outcomes = {o["start_url"]: o for o in rows(db_path, "SELECT * FROM crawl_run_blogs")}
    assert outcomes[replica.index_url]["status"] == "finished" and outcomes[replica.index_url]["posts_new"] == 20
    assert outcomes[dead]["status"] == "failed" and outcomes[dead]["index_walk"] == "not_finished"
    assert rows(db_path, "SELECT status, blogs, blogs_failed FROM crawl_runs") == [{"status": "failed", "blogs": 2, "blogs_failed": 1}]
    # The archive's canned query of failures names the blog and says why.
    metadata = json.loads((ROOT / "crawler" / "explore" / "metadata.json").read_text())
    (failed,) = rows(db_path, metadata["databases"]["archive"]["queries"]["failed_runs"]["sql"])
    assert failed["run"] == 1 and failed["blog"] == dead and "Connection refused" in failed["message"]
    # The next run of the good blog alone stops early; the dead blog's failure waits for its own.
    (alert,) = received
    assert alert["status"] == "failed" and alert["blogs"] == 2 and alert["run_id"] == 1
    assert [b["start_url"] for b in alert["blogs_failed"]] == [dead]
    assert dead in alert["text"] and str(db_path) in alert["text"]


def test_a_webhook_that_cannot_be_reached_is_one_warning(tmp_path):
    with Replica(posts=10, seed=4) as replica:
        done = run_crawl(
            replica.index_url, tmp_path / "archive.db", "-s", f"ALERT_WEBHOOK_URL=http://127.0.0.1:{free_port()}/x",
            "-s", "ALERT_ON=always", "-L", "WARNING",
        )
    assert done.returncode == 0
    assert [line for line in done.stderr.splitlines() if "alert" in line] == [
        next(line for line in done.stderr.splitlines() if "the alert could not be posted" in line)
    ]


def test_a_blog_list_that_cannot_be_read_is_one_line(tmp_path):
    bad = tmp_path / "blogs.txt"
    bad.write_text("https://www.rferl.org/z/17257\n# fine\nhttps://www.rferl.org/a/post/123.html\n")
    for blogs, expected in (
        (bad, f"error: {bad}, line 3: start_url 'https://www.rferl.org/a/post/123.html' is not a Pangea index URL"),
        (tmp_path / "missing.txt", f"error: cannot read the blog list {tmp_path / 'missing.txt'}: No such file or directory"),
    ):
        done = run_crawl("https://www.rferl.org/z/17257", tmp_path / "archive.db", "-a", f"blogs={blogs}")
        assert done.returncode == 2
        assert done.stderr.strip().splitlines()[0].startswith(expected), done.stderr
        assert not (tmp_path / "archive.db").exists() or rows(tmp_path / "archive.db", "SELECT count(*) AS n FROM posts")[0]["n"] == 0


def test_two_scrapyd_daemons_each_crawl_their_share_and_the_merge_equals_one_crawl(tmp_path):
    with network(posts=25) as replicas, scrapyd_daemons(tmp_path, 2) as daemons, webhook() as (hook, received):
        urls = [blogs_of(r) for r in replicas]
        shares = [urls[0] + urls[1], urls[2] + urls[3] + urls[4]]
        # Node 0 reads its share from a blog list; node 1 is given its blogs on the command line.
        blog_list = tmp_path / "node0-blogs.txt"
        blog_list.write_text("\n".join(shares[0]) + "\n")
        archives = [tmp_path / f"node{n}.db" for n in range(2)]
        single, merged = tmp_path / "single.db", tmp_path / "merged.db"

        def crawl_round() -> None:
            settings = [{"SQLITE_PATH": archives[n], "ALERT_WEBHOOK_URL": hook, **FAST_LOCAL} for n in range(2)]
            jobs = [
                daemons[0].schedule(blogs=str(blog_list), settings=settings[0]),
                daemons[1].schedule(start_url=",".join(shares[1]), settings=settings[1]),
            ]
            for daemon, job in zip(daemons, jobs):
                daemon.wait(job)
            done = run_crawl(",".join(shares[0] + shares[1]), single)
            assert done.returncode == 0, done.stderr[-3000:]

        crawl_round()
        for archive in archives:
            assert rows(archive, "SELECT status FROM crawl_runs") == [{"status": "finished"}]
        done = merge(merged, *archives)
        assert done.returncode == 0, done.stderr
        assert content_tables(merged) == content_tables(single)
        assert search_index_problems(merged) == [] and captures_missing(merged) == []
        # Author and tag ids were remapped: each name once, every join pointing at its name.
        for name in ("authors", "tags"):
            assert rows(merged, f"SELECT count(*) AS n FROM {name}")[0]["n"] == rows(merged, f"SELECT count(DISTINCT name) AS n FROM {name}")[0]["n"]
        first_posts = rows(merged, "SELECT count(*) AS n FROM posts")[0]["n"]

        # Merging again changes nothing.
        before = {table: len(found) for table, found in archive_tables(merged).items()}
        done = merge(merged, *archives)
        assert done.returncode == 0 and " 0 new" in done.stdout, done.stdout + done.stderr
        assert {table: len(found) for table, found in archive_tables(merged).items()} == before

        # More posts on every site; a second round and a second merge add only them.
        for replica in replicas:
            replica.app.add_posts(2)
        crawl_round()
        done = merge(merged, *archives)
        assert done.returncode == 0, done.stderr
        assert "posts 4 new" in done.stdout and "posts 6 new" in done.stdout, done.stdout
        assert rows(merged, "SELECT count(*) AS n FROM posts")[0]["n"] == first_posts + 10
        assert content_tables(merged) == content_tables(single)
        assert search_index_problems(merged) == [] and captures_missing(merged) == []
        runs = rows(merged, "SELECT blogs, status FROM crawl_runs ORDER BY started_at")
        assert sorted(r["blogs"] for r in runs) == [3, 3, 3, 3] and {r["status"] for r in runs} == {"finished"}
        assert rows(merged, "SELECT count(*) AS n FROM crawl_run_blogs")[0]["n"] == 12
        assert received == []  # no run failed

        # A run that fails under Scrapyd is seen without the daemon's log: the webhook, and
        # the archive's crawl_runs, which the merge carries.
        dead = f"http://127.0.0.6:{free_port()}/z/555"
        job = daemons[1].schedule(
            start_url=",".join(shares[1] + [dead]), settings={"SQLITE_PATH": archives[1], "ALERT_WEBHOOK_URL": hook, "RETRY_TIMES": 0, **FAST_LOCAL}
        )
        daemons[1].wait(job)
        (alert,) = received
        assert alert["job"] == job and [b["start_url"] for b in alert["blogs_failed"]] == [dead]
        assert merge(merged, *archives).returncode == 0
        failed = rows(merged, "SELECT r.status, b.start_url FROM crawl_runs r JOIN crawl_run_blogs b ON b.run_id = r.id WHERE b.status = 'failed'")
        assert failed == [{"status": "failed", "start_url": dead}]


def _crawl_copy(source: Path, target: Path, replica: Replica) -> Path:
    copy_archive(source, target)
    done = run_crawl(replica.index_url, target, "-a", "mode=full", "-s", "WARC_ENABLED=False")
    assert done.returncode == 0, done.stderr[-2000:]
    return target


def test_a_post_in_two_archives_keeps_its_newest_version_and_every_revision(tmp_path):
    with Replica(posts=12, seed=9) as replica:
        old = tmp_path / "old.db"
        assert run_crawl(replica.index_url, old, "-s", "WARC_ENABLED=False").returncode == 0
        post_id = replica.site.posts[2].id
        replica.app.edit_post(post_id)
        # One archive saw the edit (its revision keeps the old version); another was made
        # after it and never saw the old version.
        seen = _crawl_copy(old, tmp_path / "seen.db", replica)
        fresh = tmp_path / "fresh.db"
        assert run_crawl(replica.index_url, fresh, "-s", "WARC_ENABLED=False").returncode == 0
    newest = rows(seen, "SELECT content_hash, title FROM posts WHERE id = ?", [post_id])[0]
    assert rows(old, "SELECT content_hash FROM posts WHERE id = ?", [post_id])[0]["content_hash"] != newest["content_hash"]
    revision = rows(seen, "SELECT content_hash, changed_fields, old_values FROM revisions WHERE post_id = ?", [post_id])
    assert len(revision) == 1

    for target, source in ((old, seen), (seen, old), (fresh, old), (old, fresh)):
        merged = copy_archive(target, tmp_path / f"merged-{target.stem}-{source.stem}.db")
        done = merge(merged, source)
        assert done.returncode == 0, done.stderr
        assert rows(merged, "SELECT content_hash, title FROM posts WHERE id = ?", [post_id]) == [newest], (target, source)
        kept = rows(merged, "SELECT content_hash, changed_fields, old_values FROM revisions WHERE post_id = ?", [post_id])
        # The old version once, as the archive that saw the edit recorded it, or as the
        # merge recorded it from the two current versions: the same fields and values.
        assert kept == revision, (target.stem, source.stem)
        assert search_index_problems(merged) == []
        # The newest version is what full-text search finds.
        title_word = newest["title"].split()[0]
        assert rows(merged, "SELECT count(*) AS n FROM posts_fts WHERE posts_fts MATCH ?", [match_expression(title_word)])[0]["n"] >= 1
        # Merged again: nothing added.
        assert merge(merged, source).returncode == 0
        assert len(rows(merged, "SELECT id FROM revisions")) == 1


def test_merge_refuses_what_it_cannot_merge_in_one_line(tmp_path):
    other = tmp_path / "other.db"
    import sqlite3

    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    cases = [
        ([str(tmp_path / "t.db")], "error: give the target archive"),
        ([str(tmp_path / "t.db"), str(tmp_path / "none.db")], f"error: no archive at {tmp_path / 'none.db'}"),
        ([str(tmp_path / "t.db"), str(other)], f"error: {other} is a database of another application"),
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for arguments, expected in cases:
        done = subprocess.run([sys.executable, "-m", "scrapy", "merge", *arguments], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 2, (arguments, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert lines == [lines[0]] and lines[0].startswith(expected), done.stderr


def test_warc_files_of_two_machines_with_the_same_name_are_both_kept(tmp_path):
    import sqlite3

    archives = []
    for number, host in enumerate(("127.0.0.2", "127.0.0.3")):
        with Replica(posts=6, seed=30 + number, host=host) as replica:
            path = tmp_path / f"node{number}.db"
            assert run_crawl(replica.index_url, path).returncode == 0
            archives.append(path)
    # Two machines that started their first runs in the same second name their files alike.
    (name,) = [p.name for p in Path(f"{archives[0]}.warc").iterdir()]
    (other,) = list(Path(f"{archives[1]}.warc").iterdir())
    other.rename(other.with_name(name))
    with sqlite3.connect(archives[1]) as conn:
        conn.execute("UPDATE captures SET warc_file = ?", [name])
        conn.execute("UPDATE crawl_runs SET warc_files = ?", [json.dumps([name])])
    assert captures_missing(archives[1]) == []
    merged = tmp_path / "merged.db"
    done = merge(merged, *archives)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in Path(f"{merged}.warc").iterdir()) == sorted([name, name.replace(".warc", "-merged1.warc")])
    assert captures_missing(merged) == [] and rows(merged, "SELECT count(*) AS n FROM posts") == [{"n": 12}]
    assert json.loads(rows(merged, "SELECT warc_files FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]["warc_files"]) == [
        name.replace(".warc", "-merged1.warc")
    ]
    # Merged again: the files are recognised by their bytes, nothing is copied twice.
    assert merge(merged, *archives).returncode == 0
    assert len(list(Path(f"{merged}.warc").iterdir())) == 2 and captures_missing(merged) == []


def test_merge_waits_for_a_source_a_crawl_is_writing(tmp_path):
    from crawler.storage import RunLock

    with Replica(posts=5, seed=2) as replica:
        source = tmp_path / "source.db"
        assert run_crawl(replica.index_url, source).returncode == 0
    lock = RunLock(source).acquire()  # as a crawl holds it
    try:
        done = merge(tmp_path / "target.db", source)
    finally:
        lock.release()
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: a crawl is writing {source}: merge it when the crawl is done"
    assert not (tmp_path / "target.db").exists() and not (tmp_path / "target.db.warc").exists()  # a refused merge makes nothing
    assert merge(tmp_path / "target.db", source).returncode == 0
    assert rows(tmp_path / "target.db", "SELECT count(*) AS n FROM posts") == [{"n": 5}]


@pytest.mark.parametrize("names", [("a", "b")])
def test_explore_serves_several_archives_at_once(tmp_path, names):
    import urllib.parse
    import urllib.request

    paths = []
    with Replica(posts=8, seed=5) as first, Replica(posts=6, seed=6, host="127.0.0.3") as second:
        for name, replica in zip(names, (first, second)):
            path = tmp_path / f"{name}.db"
            assert run_crawl(replica.index_url, path).returncode == 0
            paths.append(path)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler.explore", *map(str, paths), "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/-/versions.json", server)
        databases = json.load(urllib.request.urlopen(f"{base}/.json", timeout=5))
        assert set(names) <= set(databases)
        for name, count in zip(names, (8, 6)):
            page = urllib.request.urlopen(f"{base}/{name}", timeout=10).read().decode()
            assert "Start here" in page
            found = json.load(urllib.request.urlopen(f"{base}/{name}/posts.json?_shape=array&_size=max", timeout=10))
            assert len(found) == count
            post = found[0]
            view = urllib.request.urlopen(f"{base}/-/post/{post['site']}/{post['id']}?database={name}", timeout=10).read().decode()
            assert post["title"].split()[0] in view
        # One query over both archives (Datasette's --crossdb).
        sql = "SELECT (SELECT count(*) FROM [a].posts) + (SELECT count(*) FROM [b].posts) AS n"
        answer = json.load(urllib.request.urlopen(f"{base}/_memory.json?_shape=array&sql={urllib.parse.quote(sql)}", timeout=10))
        assert answer == [{"n": 14}]
    finally:
        server.terminate()
        server.wait(timeout=20)
        server.stdout.close()
        server.stderr.close()


def test_a_sitemap_run_of_two_blogs_of_a_site_reads_the_sitemaps_once_and_files_posts_by_zone(tmp_path):
    with Replica(posts=20, seed=11, second_blog=True) as replica:
        second = f"{replica.base_url}/z/{SECOND_ZONE}"
        db_path = tmp_path / "archive.db"
        done = run_crawl(f"{replica.index_url},{second}", db_path, "-a", "via=sitemap")
        assert done.returncode == 0, done.stderr[-3000:]
        sitemap_hits = {path: n for path, n in replica.app.hits.items() if "sitemap" in path}
        site = replica.site
    assert sitemap_hits and set(sitemap_hits.values()) == {1}, sitemap_hits
    for zone in (17257, SECOND_ZONE):
        filed = {r["post_id"] for r in rows(db_path, "SELECT post_id FROM post_blogs WHERE zone = ?", [zone])}
        # The sitemap says nothing of blogs: a post goes to the blog of the zone its page names.
        assert filed == {p.id for p in site.blog_posts(zone) if p.zone == zone}, zone
    outcomes = rows(db_path, "SELECT zone, status, posts_new FROM crawl_run_blogs ORDER BY zone")
    assert [(o["zone"], o["status"]) for o in outcomes] == [(17257, "finished"), (SECOND_ZONE, "finished")]
    assert [o["posts_new"] for o in outcomes] == [20, len([p for p in site.second_posts if p.zone == SECOND_ZONE])]


def test_a_run_of_many_sites_has_room_for_each_sites_share(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    closed = [f"http://{host}:{free_port()}/z/1" for host in HOSTS]  # five sites that refuse at once

    def concurrent_requests(*extra: str) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "blog", "-a", f"start_url={','.join(closed)}", "-s", f"SQLITE_PATH={tmp_path / 'a.db'}",
             "-s", "LOG_SCRAPY_DUMPS=True", "-s", "RETRY_TIMES=0", "-s", "ROBOTSTXT_OBEY=False", "-s", "DOWNLOAD_DELAY=0", *extra],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 1, done.stderr[-2000:]
        (line,) = [line for line in done.stderr.splitlines() if "'CONCURRENT_REQUESTS':" in line]
        return int(line.split(":")[1].strip(" ',"))

    # Five sites, two requests at a time each: room for ten (the default is 8).
    assert concurrent_requests() == 10
    assert concurrent_requests("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=3") == 15
    assert concurrent_requests("-s", "CONCURRENT_REQUESTS=4") == 4  # what the person says wins


def test_a_page_one_machine_could_not_get_and_another_stored_is_not_a_failure_after_the_merge(tmp_path):
    import sqlite3

    with Replica(posts=8, seed=13) as replica:
        stored = tmp_path / "stored.db"
        assert run_crawl(replica.index_url, stored, "-s", "WARC_ENABLED=False").returncode == 0
    post = rows(stored, "SELECT id, url FROM posts ORDER BY id LIMIT 1")[0]
    # The other machine's archive: the same crawl, where that post's page could not be fetched.
    failed = copy_archive(stored, tmp_path / "failed.db")
    with sqlite3.connect(failed) as conn:
        for table in ("posts", "images", "links", "embeds", "post_authors", "post_tags", "post_blogs"):
            conn.execute(f"DELETE FROM {table} WHERE {'id' if table == 'posts' else 'post_id'} = ?", [post["id"]])
        from crawler.storage import search

        search.rebuild(conn, "posts_fts")
        conn.execute(
            "INSERT INTO failures (site, url, kind, post_id, blog_zone, first_failed_at, last_failed_at, attempts, last_error) "
            "VALUES ('127.0.0.1', ?, 'post', ?, 17257, '2020-01-01T00:00:00+00:00', '2020-01-01T00:00:00+00:00', 1, 'HTTP 503')",
            [post["url"], post["id"]],
        )
    for target, source in ((failed, stored), (stored, failed)):
        merged = copy_archive(target, tmp_path / f"merged-{target.stem}.db")
        assert merge(merged, source).returncode == 0
        assert rows(merged, "SELECT count(*) AS n FROM failures") == [{"n": 0}], target.stem
        assert rows(merged, "SELECT count(*) AS n FROM posts") == [{"n": 8}]
