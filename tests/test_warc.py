"""Every page the crawl reads is kept in WARC files; the archive can be rebuilt from them
alone, with no request to the site, and re-extracted in place."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
import urllib.request
from pathlib import Path

import pytest


from crawler.replay import WarcIndex
from crawler.urls import article_id_from_url
from devtools.replica import Replica
from devtools.replica.content import SECOND_ZONE
from devtools.replica_settings import crawl_command

from .conftest import ROOT, archive_tables, captures_missing, rows, run_crawl, search_index_problems, warc_record_at


SITE = dict(posts=40, seed=17, js_index=True, js_posts=2, live_entries=12, latest=datetime.now(timezone.utc))


def warc_dir(db_path: Path) -> Path:
    return Path(f"{db_path}.warc")


def warcio_check(path: Path) -> subprocess.CompletedProcess:
    """warcio's own validation: every record's block and payload digests."""
    return subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)], capture_output=True, text=True)


def reextract(start_url: str, db_path: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "scrapy", "crawl", "blog", "-a", f"start_url={start_url}", "-a", "mode=reextract",
               "-s", f"SQLITE_PATH={db_path}", *extra]
    return subprocess.run(command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=300)


def served(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


def test_every_page_read_is_kept_and_every_post_version_names_its_capture(tmp_path):
    db_path = tmp_path / "archive.db"
    with Replica(**SITE) as replica:
        crawl = run_crawl(replica.index_url, db_path)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        files = sorted(warc_dir(db_path).iterdir())
        assert len(files) == 1 and files[0].name.endswith(".warc.gz")
        check = warcio_check(files[0])
        assert check.returncode == 0 and "digest pass" in check.stdout and "fail" not in check.stdout, check.stdout[-2000:]

        captures = rows(db_path, "SELECT * FROM captures")
        kinds = {(c["warc_type"], c["status"]) for c in captures}
        assert ("response", 200) in kinds and ("conversion", None) in kinds
        urls = {c["url"] for c in captures}
        assert replica.index_url in urls and f"{replica.base_url}/robots.txt" in urls
        assert any(u.endswith(".xml") or "rss" in u for u in urls), urls  # the blog's feed
        assert captures_missing(db_path) == []
        [run] = rows(db_path, "SELECT warc_files FROM crawl_runs")
        assert json.loads(run["warc_files"]) == [files[0].name]

        # The bytes kept are the bytes served; a page read in the browser also has its DOM,
        # tied to its response.
        posts = rows(db_path, "SELECT p.id, p.url, p.title, c.url AS captured_url, c.warc_type, c.warc_file, c.offset, c.refers_to FROM posts p "
                              "JOIN captures c ON c.record_id = p.capture_id")
        assert len(posts) == SITE["posts"]
        rendered = [p for p in posts if p["warc_type"] == "conversion"]
        assert len(rendered) == SITE["js_posts"]
        for post in posts:
            kind, headers, payload = warc_record_at(warc_dir(db_path) / post["warc_file"], post["offset"])
            if kind == "response":
                assert payload == served(post["captured_url"]), post["captured_url"]
            else:
                assert kind == "conversion" and post["title"] in payload.decode("utf-8")
                refers = rows(db_path, "SELECT url, warc_type FROM captures WHERE record_id = ?", [post["refers_to"]])
                assert refers == [{"url": post["captured_url"], "warc_type": "response"}]


@pytest.mark.parametrize("workers", [0, 2])
def test_an_archive_rebuilt_from_the_warc_files_alone_equals_the_crawled_one(tmp_path, workers):
    """Pages read in this process (0) or in a pool of processes (2): the same archive."""
    crawled, rebuilt = tmp_path / "crawled.db", tmp_path / "rebuilt.db"
    with Replica(**SITE) as replica:
        crawl = run_crawl(replica.index_url, crawled)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        index_url = replica.index_url
        hits = sum(replica.app.hits.values())
    # The site is gone: any request to it would fail, and fail the run.
    run = reextract(index_url, rebuilt, "-a", f"warc={warc_dir(crawled)}", "-s", f"REEXTRACT_WORKERS={workers}")
    assert run.returncode == 0, run.stderr[-3000:]
    assert not warc_dir(rebuilt).exists()  # a re-extraction writes no WARC file
    tables = archive_tables(crawled)
    assert tables == archive_tables(rebuilt)
    assert len(tables["posts"]) == SITE["posts"] and len(tables["live_entries"]) == SITE["live_entries"]
    assert len(tables["captures"]) > SITE["posts"]
    assert search_index_problems(rebuilt) == []
    [row] = rows(rebuilt, "SELECT mode, status, posts_new FROM crawl_runs")
    assert row == {"mode": "reextract", "status": "finished", "posts_new": SITE["posts"]}
    assert hits > 0


def test_a_recheck_writes_revisits_that_name_the_capture_they_repeat(tmp_path):
    db_path = tmp_path / "archive.db"
    with Replica(**SITE) as replica:
        assert run_crawl(replica.index_url, db_path).returncode == 0
        second = run_crawl(replica.index_url, db_path)
        assert second.returncode == 0, second.stderr[-3000:]
    files = sorted(warc_dir(db_path).iterdir())
    assert len(files) == 2  # each run its own file
    runs = rows(db_path, "SELECT id, warc_files, responses_304 FROM crawl_runs ORDER BY id")
    assert [json.loads(r["warc_files"]) for r in runs] == [[files[0].name], [files[1].name]]
    assert runs[1]["responses_304"] > 0
    revisits = rows(db_path, "SELECT * FROM captures WHERE warc_type = 'revisit'")
    assert len(revisits) >= runs[1]["responses_304"]
    for revisit in revisits:
        [original] = rows(db_path, "SELECT url, warc_type, payload_digest FROM captures WHERE record_id = ?", [revisit["refers_to"]])
        _, headers, _ = warc_record_at(warc_dir(db_path) / revisit["warc_file"], revisit["offset"])
        # The capture it repeats: of the same URL, or for a 304 of the post's other address
        # (the index links some posts as /a/<id>.html; a recheck asks at the slug).
        assert original == {"url": headers.get_header("WARC-Refers-To-Target-URI"), "warc_type": "response",
                            "payload_digest": revisit["payload_digest"]}
        assert original["url"] == revisit["url"] or (
            revisit["status"] == 304 and article_id_from_url(original["url"]) == article_id_from_url(revisit["url"])
        )
        assert headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
        assert headers.get_header("WARC-Refers-To") == revisit["refers_to"]
    for path in files:
        check = warcio_check(path)
        assert check.returncode == 0 and "fail" not in check.stdout, check.stdout[-2000:]
    assert captures_missing(db_path) == []


def test_a_reextraction_in_place_records_parser_changes_apart_from_site_edits(tmp_path):
    db_path = tmp_path / "archive.db"
    with Replica(**SITE) as replica:
        assert run_crawl(replica.index_url, db_path).returncode == 0
        index_url = replica.index_url
    # As if an older parser had read two posts differently.
    changed = [r["id"] for r in rows(db_path, "SELECT id FROM posts ORDER BY id LIMIT 2")]
    import sqlite_utils

    db = sqlite_utils.Database(db_path)
    with db.atomic():
        for post_id in changed:
            db.execute("UPDATE posts SET title = 'Read by an older parser', content_hash = 'older' WHERE id = ?", [post_id])
    db.close()
    titles = {r["id"]: r["title"] for r in rows(db_path, "SELECT id, title FROM posts")}
    run = reextract(index_url, db_path)
    assert run.returncode == 0, run.stderr[-3000:]
    revisions = rows(db_path, "SELECT post_id, cause, changed_fields, old_values, capture_id FROM revisions ORDER BY post_id")
    assert [(r["post_id"], r["cause"], json.loads(r["changed_fields"])) for r in revisions] == [
        (post_id, "parser", ["title"]) for post_id in sorted(changed)
    ]
    assert all(json.loads(r["old_values"]) == {"title": "Read by an older parser"} for r in revisions)
    after = {r["id"]: r["title"] for r in rows(db_path, "SELECT id, title FROM posts")}
    assert all(after[i] != "Read by an older parser" for i in changed)
    assert {i: t for i, t in after.items() if i not in changed} == {i: t for i, t in titles.items() if i not in changed}
    summary = [line for line in run.stderr.splitlines() if "summary:" in line]
    assert "posts 0 new, 2 updated, 38 unchanged" in summary[0]
    assert captures_missing(db_path) == []


def test_a_post_fetched_under_two_addresses_is_rebuilt_as_last_fetched(tmp_path):
    """The index links some posts as ``/a/<id>.html``; a recheck asks for them at the
    address the archive keeps (with the slug, which sorts after the short one). A post
    edited between the two runs is rebuilt from the later capture, as the crawl stored it."""
    from .conftest import archive_snapshot

    crawled, rebuilt = tmp_path / "crawled.db", tmp_path / "rebuilt.db"
    # A fixed date (the same ids every day) inside the longest recheck window.
    with Replica(posts=30, seed=3, latest=datetime(2026, 6, 1, tzinfo=timezone.utc)) as replica:
        assert run_crawl(replica.index_url, crawled).returncode == 0
        short = [r for r in rows(crawled, "SELECT p.id, p.url, c.url AS fetched, c.record_id FROM posts p JOIN captures c ON c.record_id = p.capture_id "
                                          "WHERE p.published_at > datetime('now', '-3600 days')")
                 if r["fetched"] == f"{replica.base_url}/a/{r['id']}.html"]
        assert short, "the replica's index links no post of the recheck window by its short address"
        edited = short[0]
        replica.app.edit_post(edited["id"])
        again = run_crawl(replica.index_url, crawled, "-a", "recheck_days=3650")
        assert again.returncode == 0, again.stderr[-3000:]
        base_url, index_url = replica.base_url, replica.index_url
    fetched = rows(crawled, "SELECT url FROM captures WHERE warc_type = 'response' AND url LIKE ? ORDER BY fetched_at",
                   [f"%/{edited['id']}.html"])
    assert [r["url"] for r in fetched] == [edited["fetched"], edited["url"]] and edited["url"] > edited["fetched"]
    [stored] = rows(crawled, "SELECT title FROM posts WHERE id = ?", [edited["id"]])
    assert stored["title"].endswith(" (Updated)")
    # The unchanged ones answered 304 at their slug: revisits of the short address's capture.
    assert len(short) > 1 and rows(crawled, "SELECT url FROM captures WHERE status = 304 AND warc_type <> 'revisit'") == []
    for post in short[1:]:
        [again] = rows(crawled, "SELECT warc_type, refers_to, warc_file, offset FROM captures WHERE url = ? AND run_id = 2", [post["url"]])
        assert (again["warc_type"], again["refers_to"]) == ("revisit", post["record_id"])
        _, headers, _ = warc_record_at(warc_dir(crawled) / again["warc_file"], again["offset"])
        assert headers.get_header("WARC-Refers-To-Target-URI") == post["fetched"]
    run = reextract(index_url, rebuilt, "-a", f"warc={warc_dir(crawled)}")
    assert run.returncode == 0, run.stderr[-3000:]
    assert archive_snapshot(rebuilt, base_url) == archive_snapshot(crawled, base_url)


def test_a_damaged_warc_file_is_one_line_and_the_rest_is_read(tmp_path):
    db_path = tmp_path / "archive.db"
    with Replica(**SITE) as replica:
        assert run_crawl(replica.index_url, db_path).returncode == 0
        assert run_crawl(replica.index_url, db_path, "-a", "mode=full").returncode == 0
        index_url = replica.index_url
    first, second = sorted(warc_dir(db_path).iterdir())
    # The second run's file cut in the middle of a record; another file that is no WARC at all.
    size = second.stat().st_size
    with open(second, "r+b") as stream:
        stream.truncate(size // 2)
    (warc_dir(db_path) / "garbage.warc.gz").write_bytes(b"this is not a WARC file\n" * 50)
    index = WarcIndex([warc_dir(db_path)])
    assert len(index.problems) == 2
    run = reextract(index_url, tmp_path / "rebuilt.db", "-a", f"warc={warc_dir(db_path)}", "-L", "ERROR")
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert all("damaged or truncated" in line for line in lines)
    assert {Path(line.split("WARC file ", 1)[1].split(":", 1)[0]).name for line in lines} == {second.name, "garbage.warc.gz"}
    # Every post is still there: the first run's file holds them all.
    assert run.returncode == 1
    assert rows(tmp_path / "rebuilt.db", "SELECT count(*) AS n FROM posts")[0]["n"] == SITE["posts"]


def test_a_run_killed_at_any_moment_leaves_readable_files_that_agree_with_the_archive(tmp_path):
    db_path = tmp_path / "archive.db"
    with Replica(posts=200, seed=23) as replica:
        command = crawl_command(replica.index_url, db_path, "-a", "mode=full", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        for kill_after_bytes in (1, 60_000, 400_000):
            before = {p.name: p.stat().st_size for p in warc_dir(db_path).glob("*.warc.gz")} if warc_dir(db_path).exists() else {}
            process = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.poll() is None:
                written = sum(p.stat().st_size for p in warc_dir(db_path).glob("*.warc.gz") if p.name not in before)
                if written >= kill_after_bytes:
                    break
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            files = sorted(warc_dir(db_path).glob("*.warc.gz"))
            assert len(files) == len(before) + 1  # each run starts a file of its own
            assert all(before[p.name] == p.stat().st_size for p in files if p.name in before)  # and never writes another's
            index = WarcIndex([warc_dir(db_path)])
            assert index.problems == [], index.problems
            assert captures_missing(db_path) == []
        last = run_crawl(replica.index_url, db_path)
    assert last.returncode == 0, last.stderr[-3000:]
    assert rows(db_path, "SELECT count(*) AS n FROM posts")[0]["n"] == 200
    assert WarcIndex([warc_dir(db_path)]).problems == []
    assert captures_missing(db_path) == []
    for path in sorted(warc_dir(db_path).glob("*.warc.gz")):
        assert warcio_check(path).returncode == 0


def test_files_rotate_at_their_size_and_warc_can_be_switched_off(tmp_path):
    with Replica(**SITE) as replica:
        rotated = run_crawl(replica.index_url, tmp_path / "rotated.db", "-s", "WARC_MAX_BYTES=60000",
                            "-s", f"WARC_DIR={tmp_path / 'elsewhere'}")
        assert rotated.returncode == 0, rotated.stderr[-3000:]
        off = run_crawl(replica.index_url, tmp_path / "off.db", "-s", "WARC_ENABLED=False")
        assert off.returncode == 0, off.stderr[-3000:]
    files = sorted((tmp_path / "elsewhere").iterdir())
    assert len(files) > 3
    # A file goes past the limit only by the one record (pair) that opened it.
    assert all(p.stat().st_size < 60_000 + 40_000 for p in files)
    [run] = rows(tmp_path / "rotated.db", "SELECT warc_files FROM crawl_runs")
    assert json.loads(run["warc_files"]) == [p.name for p in files]
    assert captures_missing(tmp_path / "rotated.db", tmp_path / "elsewhere") == []
    for path in files:
        assert warcio_check(path).returncode == 0
    assert not warc_dir(tmp_path / "off.db").exists()
    assert rows(tmp_path / "off.db", "SELECT count(*) AS n, count(capture_id) AS c FROM posts")[0] == {"n": SITE["posts"], "c": 0}


def test_reextract_without_warc_files_is_one_line(tmp_path):
    run = reextract("http://127.0.0.1:9/z/17257", tmp_path / "none.db")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"error: no WARC files at {tmp_path / 'none.db.warc'}: give them with -a warc=PATH (a file or a folder)"]
    wrong = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "blog", "-a", "warc=x", "-s", f"SQLITE_PATH={tmp_path / 'x.db'}"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert wrong.returncode == 2 and wrong.stderr.strip().splitlines() == [
        "error: -a warc=... names the WARC files of a re-extraction: give it with -a mode=reextract"
    ]


def rebuild_alone(db_path: Path, *extra: str) -> subprocess.CompletedProcess:
    """``scrapy crawl blog -a mode=reextract -a warc=DIR`` with no blog named: the files' own."""
    command = [sys.executable, "-m", "scrapy", "crawl", "blog", "-a", "mode=reextract", "-s", f"SQLITE_PATH={db_path}", *extra]
    return subprocess.run(command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("blogs, live_more", [("second", "link"), ("both", "link"), ("first", "script")])
def test_a_rebuild_from_warc_files_alone_needs_no_start_url(tmp_path, blogs, live_more):
    """The files' warcinfo records name their runs' blogs: a rebuild into an empty archive
    with no start_url walks each of them, and equals the crawled archive table by table
    (a live blog whose older entries a browser clicked in too: from the DOM kept)."""
    crawled, rebuilt = tmp_path / "crawled.db", tmp_path / "rebuilt.db"
    with Replica(posts=30, seed=8, live_entries=25, second_blog=True, live_more=live_more) as replica:
        second = f"{replica.base_url}/z/{SECOND_ZONE}"
        start = {"second": second, "first": replica.index_url, "both": f"{replica.index_url},{second}"}[blogs]
        crawl = run_crawl(start, crawled)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
    run = rebuild_alone(rebuilt, "-a", f"warc={warc_dir(crawled)}")
    assert run.returncode == 0, run.stderr[-3000:]
    tables = archive_tables(crawled)
    assert tables == archive_tables(rebuilt)
    assert {(r["site"], r["zone"]) for r in tables["blogs"]} == {("127.0.0.1", int(u.rsplit("/", 1)[1])) for u in start.split(",")}
    live = tables["live_blogs"]
    assert len(tables["live_entries"]) == (25 if live else 0) and all(r["entries"] == 25 for r in live)
    assert live or blogs == "second"
    [row] = rows(rebuilt, "SELECT mode, status, blogs FROM crawl_runs")
    assert row == {"mode": "reextract", "status": "finished", "blogs": len(start.split(","))}
    assert search_index_problems(rebuilt) == []
    # A start_url given limits the rebuild to that blog.
    limited = tmp_path / "limited.db"
    last = start.split(",")[-1]
    only = reextract(last, limited, "-a", f"warc={warc_dir(crawled)}")
    assert only.returncode == 0, only.stderr[-3000:]
    assert {r["zone"] for r in rows(limited, "SELECT zone FROM blogs")} == {int(last.rsplit("/", 1)[1])}


def test_warc_files_that_name_no_blog_or_a_bad_one_are_one_line(tmp_path):
    from warcio.warcwriter import WARCWriter

    folder = tmp_path / "files"
    folder.mkdir()
    for name, info in (("a.warc.gz", {"software": "x"}), ("b.warc.gz", None)):
        with open(folder / name, "wb") as stream:
            writer = WARCWriter(stream, gzip=True)
            if info:
                writer.write_record(writer.create_warcinfo_record(name, info))
    run = rebuild_alone(tmp_path / "rebuilt.db", "-a", f"warc={folder}")
    assert run.returncode == 2 and run.stderr.strip().splitlines() == [
        "error: the WARC files name no blog (their warcinfo records): give the blog with -a start_url=URL"
    ]
    with open(folder / "c.warc.gz", "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        writer.write_record(writer.create_warcinfo_record("c.warc.gz", {"pangea-blogs": "ftp://files.example.org/z/17257"}))
    run = rebuild_alone(tmp_path / "rebuilt.db", "-a", f"warc={folder}")
    [line] = run.stderr.strip().splitlines()
    assert run.returncode == 2 and line.startswith(f"error: WARC file {folder / 'c.warc.gz'} names a blog that cannot be crawled:")
    assert not (tmp_path / "rebuilt.db").exists()
