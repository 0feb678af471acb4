"""The WARC files open in pywb, a replay tool no one here wrote: it indexes the files of a
replica crawl and serves each post back with the bytes the replica served."""

import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from devtools.replica import Replica

from .conftest import ROOT, free_port, rows, run_crawl, wait_for_http

# Installed by `make replay-tools` (part of `make test`) from requirements-replay.txt.
PYWB_BIN = Path(os.environ.get("PYWB_BIN", ROOT / ".venv-replay" / "bin"))


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_pywb_replays_every_post_with_the_bytes_served(tmp_path):
    assert (PYWB_BIN / "wayback").exists(), f"pywb is not installed at {PYWB_BIN}: run make replay-tools"
    db_path = tmp_path / "archive.db"
    with Replica(posts=15, seed=5) as replica:
        assert run_crawl(replica.index_url, db_path).returncode == 0
        # A second run: unchanged pages are revisits, which pywb resolves to their capture.
        assert run_crawl(replica.index_url, db_path, "-a", "mode=full").returncode == 0
        posts = rows(db_path, "SELECT c.url FROM posts p JOIN captures c ON c.record_id = p.capture_id")
        served = {post["url"]: get(post["url"])[1] for post in posts}
    assert len(served) == 15 and rows(db_path, "SELECT count(*) AS n FROM captures WHERE warc_type = 'revisit'")[0]["n"] > 0

    root = tmp_path / "pywb"
    root.mkdir()
    files = sorted(Path(f"{db_path}.warc").glob("*.warc.gz"))
    assert len(files) == 2
    subprocess.run([str(PYWB_BIN / "wb-manager"), "init", "archive"], cwd=root, check=True, capture_output=True)
    subprocess.run([str(PYWB_BIN / "wb-manager"), "add", "archive", *map(str, files)], cwd=root, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([str(PYWB_BIN / "wayback"), "-b", "127.0.0.1", "-p", str(port)], cwd=root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/archive"
        wait_for_http(f"http://127.0.0.1:{port}/", server)
        for url, body in served.items():
            # id_: the capture as it was served, not rewritten for the replay page. The
            # latest capture of each post is a revisit of the first run's response.
            status, replayed = get(f"{base}/id_/{url}")
            assert status == 200 and replayed == body, url
    finally:
        server.terminate()
        server.wait(timeout=10)
