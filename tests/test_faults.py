"""A hostile network, crashes and bad input: no post lost, none twice, none half-written."""

import os
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from devtools.replica import Replica
from devtools.replica.content import HOSTILE_TEXT
from devtools.replica.faults import ALL, KINDS, TRANSIENT, FaultPlan, parse_faults
from devtools.replica_settings import crawl_command

from .conftest import ROOT, archive_snapshot, rows, run_crawl, search_index_problems
from crawler.analysis import match_expression

# Settings a faulty replica needs: a short download timeout (slow answers take longer)
# and a small size limit (oversized pages are larger), short backoffs.
FAULT_SETTINGS = ("-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "DOWNLOAD_MAXSIZE=1000000", "-s", "RETRY_BACKOFF_BASE=0.1")


# --- the replica's fault plan -----------------------------------------------------------


def test_fault_plan_is_deterministic_for_a_seed():
    a, b, c = (FaultPlan(seed=s, rates=dict(ALL)) for s in (1, 1, 2))
    paths = [f"/a/x/{i}.html" for i in range(400)]
    decisions = [[plan.transient(p, hit, False) for p in paths for hit in range(3)] for plan in (a, b, c)]
    assert decisions[0] == decisions[1] != decisions[2]
    assert [a.permanent(p) for p in paths] == [b.permanent(p) for p in paths]


def test_transient_faults_end_after_a_few_hits():
    plan = FaultPlan(seed=1, rates={kind: 1.0 for kind in TRANSIENT})
    assert plan.transient("/a/x/1.html", 0, False) == "server_error"
    assert plan.transient("/a/x/1.html", plan.max_faulty_hits, False) is None
    assert plan.transient("/z/17257", 0, True) == "server_error"
    assert FaultPlan(seed=1, rates={"empty_index": 1.0}).transient("/a/x/1.html", 0, False) is None


@pytest.mark.parametrize(
    "text, error",
    [("nonsense=0.1", "unknown fault"), ("slow=2", "not a rate"), ("slow=x", "not a rate")],
)
def test_fault_specs_are_checked(text, error):
    with pytest.raises(ValueError, match=error):
        parse_faults(text)
    assert parse_faults("all") == ALL and parse_faults("slow=0.5,truncate") == {"slow": 0.5, "truncate": ALL["truncate"]}


def _first_answer(replica, path):
    request = urllib.request.Request(replica.base_url + path)
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,), {"redirect_request": lambda *a, **k: None}))
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except Exception as error:  # noqa: BLE001 (a dropped connection is the point)
        return None, {}, repr(error).encode()


@pytest.mark.parametrize("kind", KINDS)
def test_replica_serves_each_fault(kind):
    plan = FaultPlan(seed=1, rates={kind: 1.0}, slow_seconds=0.3, oversize_bytes=200_000)
    with Replica(posts=30, seed=2, faults=plan) as replica:
        post = replica.site.posts[3]
        path = f"{replica.index_url[len(replica.base_url):]}?p=1" if kind == "empty_index" else post.path
        asked = time.monotonic()
        status, headers, body = _first_answer(replica, path)
        waited = time.monotonic() - asked
        clean_status, _, clean = _first_answer(replica, path) if kind in ("malformed", "wrong_charset") else (None, None, None)
        for _ in range(plan.max_faulty_hits):
            final_status, final_headers, final = _first_answer(replica, path)
        if kind == "server_error":
            assert status in (500, 502, 503)
        elif kind == "rate_limit":
            assert status == 429 and headers["Retry-After"] == "1"
        elif kind == "slow":
            # The fault is the wait: the page comes whole, after the delay asked for.
            assert status == 200 and waited >= plan.slow_seconds and b"</html>" in body
        elif kind == "truncate":
            assert status is None or len(body) < int(headers.get("Content-Length", 0))
        elif kind == "redirect_loop":
            assert status == 302 and "loop=1" in headers["Location"]
        elif kind == "oversize":
            assert status == 200 and len(body) > 200_000
        elif kind == "wrong_type":
            assert headers["Content-Type"] == "application/octet-stream"
        elif kind == "empty_index":
            assert status == 200 and b'<ul id="ordinaryItems">\n</ul>' in body
        elif kind == "malformed":
            assert b"</p>" not in body and b"</html>" not in body
        elif kind == "wrong_charset":
            assert "iso-8859-1" in headers["Content-Type"] and "iso-8859-1" in final_headers["Content-Type"]
        if kind in TRANSIENT:
            assert final_status == 200 and final_headers["Content-Type"] == "text/html; charset=utf-8"
        assert replica.app.injected[kind] == (plan.max_faulty_hits if kind in TRANSIENT else 5)  # permanent: every one of the 5 requests


# --- every fault at once ----------------------------------------------------------------

POSTS = 200
# A seed whose plan fires every kind of fault on some page's first request (checked by
# test_every_fault_mode_was_injected), so one crawl meets them all.
SEED = 13


@pytest.fixture(scope="module")
def clean_archive(tmp_path_factory):
    with Replica(posts=POSTS, seed=SEED, hostile_post=True) as replica:
        db_path = tmp_path_factory.mktemp("clean") / "clean.db"
        result = run_crawl(replica.index_url, db_path)
        assert result.returncode == 0, result.stderr[-3000:]
        return archive_snapshot(db_path, replica.base_url)


@pytest.fixture(scope="module")
def faulty_runs(tmp_path_factory):
    plan = FaultPlan(seed=SEED, rates=dict(ALL), slow_seconds=2.5)
    db_path = tmp_path_factory.mktemp("faulty") / "faulty.db"
    runs = []
    with Replica(posts=POSTS, seed=SEED, faults=plan, hostile_post=True) as replica:
        for _ in range(3):
            result = run_crawl(replica.index_url, db_path, *FAULT_SETTINGS)
            runs.append(result)
            if result.returncode == 0:
                break
        return {
            "db": db_path,
            "runs": runs,
            "served": {p.id for p in replica.site.posts},
            "injected": dict(replica.app.injected),
            "retry_after_gaps": list(replica.app.retry_after_honoured),
            "archive": archive_snapshot(db_path, replica.base_url),
        }


def test_every_fault_mode_was_injected(faulty_runs):
    assert set(faulty_runs["injected"]) == set(KINDS)


def test_the_archive_is_complete_after_at_most_three_runs(faulty_runs):
    runs = faulty_runs["runs"]
    assert runs[-1].returncode == 0, runs[-1].stderr[-3000:]
    assert len(runs) <= 3
    ids = [r["id"] for r in rows(faulty_runs["db"], "SELECT id FROM posts")]
    assert len(ids) == len(set(ids)) == POSTS
    assert set(ids) == faulty_runs["served"]
    assert rows(faulty_runs["db"], "SELECT count(*) AS n FROM failures")[0]["n"] == 0


def test_every_post_is_as_complete_as_from_a_healthy_site(faulty_runs, clean_archive):
    archive = faulty_runs["archive"]
    assert archive.keys() == clean_archive.keys()
    different = [post_id for post_id in archive if archive[post_id] != clean_archive[post_id]]
    assert different == []


def test_a_run_that_left_failures_exits_non_zero_and_says_how_many(faulty_runs):
    first = faulty_runs["runs"][0]
    if len(faulty_runs["runs"]) == 1:
        pytest.fail("the faults let the first run through: nothing to check")
    assert first.returncode == 1
    run = rows(faulty_runs["db"], "SELECT * FROM crawl_runs ORDER BY id LIMIT 1")[0]
    assert run["status"] == "failed" and run["failures_left"] > 0
    line = next(line for line in first.stderr.splitlines() if "could not be fetched" in line)
    assert f"{run['failures_left']} pages could not be fetched (" in line and line.endswith("; the next run tries them again")
    assert line.split("WARNING: ", 1)[1] in run["message"]


def test_retry_after_is_honoured(faulty_runs):
    gaps = faulty_runs["retry_after_gaps"]
    assert gaps and min(gaps) >= 0.95  # the replica asks for 1 second


def test_hostile_post_comes_out_clean(faulty_runs):
    [row] = rows(faulty_runs["db"], "SELECT body_text, body_html FROM posts WHERE title = 'Officials Said The Statement Was Genuine'")
    assert row["body_text"] == HOSTILE_TEXT
    html = row["body_html"].lower()
    for bad in ("<script", "<style", "<iframe", "<svg", "<object", "<form", "<input", "onclick", "onerror", "onload",
                "onmouseover", "javascript:", "expression(", "data:text"):
        assert bad not in html, bad


def test_database_is_sound(faulty_runs):
    conn = sqlite3.connect(faulty_runs["db"])
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == POSTS
    finally:
        conn.close()
    assert search_index_problems(faulty_runs["db"]) == []


# --- kill -9 at any moment ----------------------------------------------------------------


def _half_written(db_path: Path, site) -> list[int]:
    """Posts whose rows disagree with what the replica serves for them."""
    bad = []
    for row in rows(db_path, "SELECT id FROM posts"):
        spec = site.by_id[row["id"]]
        expected = {
            "images": (1 if spec.lead_image else 0) + sum(1 for b in spec.blocks if b.kind == "image"),
            "embeds": sum(1 for b in spec.blocks if b.kind == "video"),
            "links": sum(b.html.count("<a ") for b in spec.blocks),
            "post_authors": len(spec.authors),
            "post_tags": len(spec.tags),
        }
        actual = {t: rows(db_path, f"SELECT count(*) AS n FROM {t} WHERE post_id = ?", [row["id"]])[0]["n"] for t in expected}
        if actual != expected:
            bad.append(row["id"])
    return bad


def _wait_for_posts(db_path, count: int, process, seconds: float) -> bool:
    """Wait until the archive holds ``count`` posts (read-only, beside the crawl that writes
    it); False when ``seconds`` pass or the crawl ends first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if db_path.exists():
            try:
                conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
                try:
                    if conn.execute("SELECT count(*) FROM posts").fetchone()[0] >= count:
                        return True
                finally:
                    conn.close()
            except sqlite3.OperationalError:
                pass  # no posts table yet, or the schema being made
        time.sleep(0.02)
    return False


def test_kill_9_at_ten_moments_then_one_run_completes_the_archive(tmp_path):
    db_path = tmp_path / "killed.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with Replica(posts=150, seed=13) as replica:
        command = crawl_command(
            replica.index_url, db_path, "-s", "CONCURRENT_REQUESTS=2", "-s", "STORE_BATCH_SIZE=5", "-s", "DOWNLOAD_DELAY=0.01"
        )
        stored_after_kill = []
        stored = 0
        for moment in range(10):
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Kill once this run has stored some posts (3 to 15 more, by the moment): the
            # state it needs, waited for with a bound, whatever the machine's speed. Batches
            # of 5 go on being written meanwhile, so kills land between and inside them.
            target = stored + 3 + (moment % 4) * 4
            if not _wait_for_posts(db_path, target, process, seconds=90):
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
                pytest.fail(f"kill {moment}: the crawl stored fewer than {target} posts in 90 s")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            if not db_path.exists():
                continue
            conn = sqlite3.connect(db_path)
            try:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if "posts" not in tables:
                    # Killed while making the schema: it is made in one transaction, so
                    # there is none yet, not half of one.
                    assert tables == set(), tables
                    continue
                posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
            finally:
                conn.close()
            assert search_index_problems(db_path) == []  # the full-text index holds exactly the stored posts
            assert _half_written(db_path, replica.site) == []
            stored_after_kill.append(posts)
            stored = posts
        # Every kill landed on a live crawl that had stored posts and had more to store.
        assert len(stored_after_kill) == 10 and all(0 < n < 150 for n in stored_after_kill), stored_after_kill
        assert stored_after_kill == sorted(stored_after_kill), stored_after_kill  # nothing stored was lost
        final = run_crawl(replica.index_url, db_path)
        assert final.returncode == 0, final.stderr[-3000:]
        ids = [r["id"] for r in rows(db_path, "SELECT id FROM posts")]
        assert len(ids) == len(set(ids)) == 150 and set(ids) == {p.id for p in replica.site.posts}
        assert _half_written(db_path, replica.site) == []
        statuses = [r["status"] for r in rows(db_path, "SELECT status FROM crawl_runs ORDER BY id")]
        assert statuses[-1] == "finished" and "running" not in statuses and "interrupted" in statuses


# --- a reader while the crawl writes ----------------------------------------------------------


def test_a_reader_can_query_while_a_crawl_writes(tmp_path):
    db_path = tmp_path / "shared.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with Replica(posts=300, seed=17) as replica:
        command = crawl_command(replica.index_url, db_path, "-s", "STORE_BATCH_SIZE=10")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        counts, errors = [], []
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if db_path.exists():
                try:
                    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
                    try:
                        counts.append(conn.execute("SELECT count(*) FROM posts").fetchone()[0])
                        conn.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? LIMIT 5", [match_expression("Syria")]).fetchall()
                    finally:
                        conn.close()
                except sqlite3.OperationalError as error:
                    if "no such table" not in str(error):
                        errors.append(str(error))
            time.sleep(0.01)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-3000:]
    assert errors == []
    assert len(counts) > 20 and counts == sorted(counts) and counts[-1] > 0


# --- bad input --------------------------------------------------------------------------------


def _crawl_command(start_url: str, db_path: str, *extra: str) -> list[str]:
    return crawl_command(start_url, db_path, *extra, fast=False)


def _run(command, user_prefix=()):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([*user_prefix, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def _assert_refused(result, message: str):
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and message in last, last


@pytest.mark.parametrize(
    "start_url, message",
    [
        ("https://www.rferl.org/a/some-post/26829775.html", "is not a Pangea index URL"),
        ("ftp://www.rferl.org/z/17257", "is not a Pangea index URL"),
        ("not a url", "is not a Pangea index URL"),
    ],
)
def test_a_start_url_that_is_not_an_index_is_refused(tmp_path, start_url, message):
    _assert_refused(_run(_crawl_command(start_url, tmp_path / "x.db")), message)
    assert not (tmp_path / "x.db").exists()


def test_bad_mode_and_recheck_days_are_refused(tmp_path):
    _assert_refused(_run(_crawl_command("http://127.0.0.1:9/z/1", tmp_path / "x.db", "-a", "mode=fast")), "mode 'fast'")
    _assert_refused(_run(_crawl_command("http://127.0.0.1:9/z/1", tmp_path / "x.db", "-a", "recheck_days=soon")), "recheck_days")


def test_a_database_in_a_missing_directory_is_refused(tmp_path):
    _assert_refused(_run(_crawl_command("http://127.0.0.1:9/z/1", tmp_path / "missing" / "x.db")), "does not exist")


def test_a_database_in_a_read_only_directory_is_refused():
    # Root writes through any mode bits, so the run drops to an unprivileged user when root.
    prefix = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups") if os.geteuid() == 0 else ()
    with tempfile.TemporaryDirectory(dir="/tmp") as top:
        os.chmod(top, 0o755)
        read_only = Path(top) / "ro"
        read_only.mkdir(mode=0o555)
        try:
            result = _run(_crawl_command("http://127.0.0.1:9/z/1", read_only / "x.db"), prefix)
            _assert_refused(result, "is read-only")
            assert list(read_only.iterdir()) == []
        finally:
            read_only.chmod(0o755)


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"my notes, not a database\n" * 100)
    _assert_refused(_run(_crawl_command("http://127.0.0.1:9/z/1", path)), "file is not a database")
    assert path.read_bytes() == b"my notes, not a database\n" * 100


def test_a_database_from_a_newer_crawler_is_refused(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    _assert_refused(_run(_crawl_command("http://127.0.0.1:9/z/1", path)), "newer than this crawler")


def test_posts_of_other_sites_in_the_index_are_not_fetched(tmp_path):
    with Replica(posts=30, seed=3) as replica:
        html = urllib.request.urlopen(replica.index_url + "?p=1").read().decode()
        assert "currenttime.tv/a/sister-site-story/31726786.html" in html
        result = run_crawl(replica.index_url, tmp_path / "x.db", "-s", "LOG_SCRAPY_DUMPS=True")
        assert result.returncode == 0, result.stderr[-3000:]
        assert rows(tmp_path / "x.db", "SELECT count(*) AS n FROM posts")[0]["n"] == 30
        assert "currenttime" not in result.stderr.split("Dumping Scrapy stats")[0].replace("post_links_offsite", "")
        assert "'pangea/post_links_offsite': 1" in result.stderr
