"""Running crawls on a server: a real Scrapyd on 127.0.0.1, the project deployed with
scrapyd-deploy, a crawl of the replica scheduled through the HTTP API."""

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from typing import Iterator
import urllib.parse
import urllib.request
from pathlib import Path

from devtools.replica import Replica
from devtools.replica_settings import FAST_LOCAL

from .test_packaging import TOOLS
from .conftest import ROOT, free_port, rows

BIN = Path(sys.executable).parent


def _api(base: str, path: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(base + path, data=body, timeout=30) as response:
        return json.load(response)


class Scrapyd:
    """A real Scrapyd daemon on 127.0.0.1 with the project deployed to it by scrapyd-deploy."""

    def __init__(self, base: str, server_dir: Path):
        self.base, self.server_dir = base, server_dir

    def schedule(self, **arguments) -> str:
        """A ``blog`` job; ``settings`` (a dict) go as ``setting=NAME=VALUE``."""
        settings = arguments.pop("settings", {})
        data = [("project", "pangea-archive"), ("spider", "blog"), *arguments.items(),
                *(("setting", f"{name}={value}") for name, value in settings.items())]
        scheduled = _api(self.base, "/schedule.json", data)
        assert scheduled["status"] == "ok", scheduled
        return scheduled["jobid"]

    def wait(self, job: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = _api(self.base, "/listjobs.json?project=pangea-archive")
            if any(j["id"] == job for j in jobs["finished"]):
                return
            time.sleep(0.3)
        raise AssertionError(f"job {job} did not finish: {jobs}")


def _project_copy(tmp_path: Path, targets: dict[str, str]) -> Path:
    """The project as a user would deploy it, from a copy (the egg build writes beside it),
    with a deploy target per daemon."""
    project = tmp_path / "project"
    for folder in ("crawler", "devtools", "tests"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    config = (ROOT / "scrapy.cfg").read_text()
    assert "[deploy:local]" in config
    extra = "".join(f"\n[deploy:{name}]\nurl = {base}/\nproject = pangea-archive\n" for name, base in targets.items())
    (project / "scrapy.cfg").write_text(config + extra)
    return project


@contextmanager
def scrapyd_daemons(tmp_path: Path, count: int) -> Iterator[list[Scrapyd]]:
    """``count`` Scrapyd daemons on their own ports, each with the project deployed."""
    daemons, processes = [], []
    env = dict(os.environ)
    try:
        for number in range(count):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server_dir = tmp_path / f"scrapyd{number}"
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
            processes.append(
                subprocess.Popen([str(BIN / "scrapyd")], cwd=server_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            )
            daemons.append(Scrapyd(base, server_dir))
        project = _project_copy(tmp_path, {f"node{n}": d.base for n, d in enumerate(daemons)})
        for number, daemon in enumerate(daemons):
            deadline = time.monotonic() + 30
            while True:
                try:
                    assert _api(daemon.base, "/daemonstatus.json")["status"] == "ok"
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            deployed = subprocess.run(
                [str(BIN / "scrapyd-deploy"), f"node{number}"], cwd=project, env=env, capture_output=True, text=True, timeout=120
            )
            assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        yield daemons
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
            process.stderr.close()


def test_deploy_schedule_and_crawl_through_scrapyd(tmp_path):
    with scrapyd_daemons(tmp_path, 1) as (daemon,):
        base, server_dir = daemon.base, daemon.server_dir
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
            job = daemon.schedule(start_url=replica.index_url, settings={"SQLITE_PATH": db_path, **FAST_LOCAL})
            daemon.wait(job)
            expected = {p.id for p in replica.site.posts}
        assert {r["id"] for r in rows(db_path, "SELECT id FROM posts")} == expected
        run = rows(db_path, "SELECT status, posts_new FROM crawl_runs")[0]
        assert run == {"status": "finished", "posts_new": 40}
