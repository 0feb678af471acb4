"""Running crawls on a server: a real Scrapyd on 127.0.0.1, the project deployed with
scrapyd-deploy, a crawl of the replica scheduled through the HTTP API."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
import urllib.parse
import urllib.request
from pathlib import Path

from devtools.replica import Replica
from devtools.replica_settings import FAST_LOCAL

from .test_packaging import TOOLS
from .conftest import ROOT, rows

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _api(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(base + path, data=body, timeout=30) as response:
        return json.load(response)


def test_deploy_schedule_and_crawl_through_scrapyd(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server_dir = tmp_path / "scrapyd"
    server_dir.mkdir()
    (server_dir / "scrapyd.conf").write_text(
        f"""[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {server_dir / 'eggs'}
logs_dir = {server_dir / 'logs'}
dbs_dir = {server_dir / 'dbs'}
items_dir =
max_proc = 1
poll_interval = 0.2
"""
    )
    # The project as a user would deploy it, from a copy (the egg build writes beside it).
    project = tmp_path / "project"
    for folder in ("crawler", "devtools", "tests"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    (project / "scrapy.cfg").write_text(
        (ROOT / "scrapy.cfg").read_text().replace("http://127.0.0.1:6800/", f"{base}/")
    )
    env = dict(os.environ)
    server = subprocess.Popen([str(BIN / "scrapyd")], cwd=server_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _api(base, "/daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        deployed = subprocess.run([str(BIN / "scrapyd-deploy"), "local"], cwd=project, env=env, capture_output=True, text=True, timeout=120)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert "pangea-archive" in _api(base, "/listprojects.json")["projects"]
        assert _api(base, "/listspiders.json?project=pangea-archive")["spiders"] == ["blog"]
        # The egg holds the product only: no replica, benchmark, demo or test.
        (egg,) = (server_dir / "eggs" / "pangea-archive").glob("*.egg")
        with zipfile.ZipFile(egg) as archive:
            tops = {name.split("/")[0] for name in archive.namelist()}
            tools = [name for name in archive.namelist() if TOOLS.search(name)]
        assert tops == {"crawler", "EGG-INFO"} and tools == [], (tops, tools)

        db_path = tmp_path / "archive.db"
        with Replica(posts=40, seed=12) as replica:
            settings = [("setting", f"{name}={value}") for name, value in FAST_LOCAL.items()]
            scheduled = _api(
                base,
                "/schedule.json",
                [("project", "pangea-archive"), ("spider", "blog"), ("start_url", replica.index_url),
                 ("setting", f"SQLITE_PATH={db_path}"), *settings],
            )
            assert scheduled["status"] == "ok", scheduled
            job = scheduled["jobid"]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                jobs = _api(base, "/listjobs.json?project=pangea-archive")
                if any(j["id"] == job for j in jobs["finished"]):
                    break
                time.sleep(0.5)
            else:
                raise AssertionError(f"job {job} did not finish: {jobs}")
            expected = {p.id for p in replica.site.posts}
        assert {r["id"] for r in rows(db_path, "SELECT id FROM posts")} == expected
        run = rows(db_path, "SELECT status, posts_new FROM crawl_runs")[0]
        assert run == {"status": "finished", "posts_new": 40}
    finally:
        server.terminate()
        server.wait(timeout=20)
        server.stderr.close()
