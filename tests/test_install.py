"""The package works outside its checkout: installed into a fresh virtualenv, `scrapy crawl
blog` runs from an empty folder, and plain `datasette` with the installed plugin serves the
archive with its canned queries and reading view."""

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

from devtools.replica import Replica

from .conftest import ROOT, free_port, wait_for_http


def test_installed_package_crawls_from_an_empty_folder_and_plain_datasette_serves_it(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The project's own dependency ranges, held to the pinned versions.
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(ROOT / "requirements.txt"),
         f"{ROOT}[explore]"],
        capture_output=True, text=True, timeout=900,
    )
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-3000:]
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE")}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    with Replica(posts=15, seed=6) as replica:
        fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
        crawl = subprocess.run(
            [str(venv / "bin" / "pangea-archive"), "crawl", "blog", "-a", f"start_url={replica.index_url}",
             "-s", "SQLITE_PATH=blog.db", *fast],
            cwd=work, env=env, capture_output=True, text=True, timeout=300,
        )
        # Plain `scrapy crawl blog`, told where the settings are.
        again = subprocess.run(
            [str(venv / "bin" / "scrapy"), "crawl", "blog", "-a", f"start_url={replica.index_url}", "-s", "SQLITE_PATH=blog.db", *fast],
            cwd=work, env=dict(env, SCRAPY_SETTINGS_MODULE="crawler.settings"), capture_output=True, text=True, timeout=300,
        )
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "summary: run 1 finished" in crawl.stderr and "15 posts in blog.db" in crawl.stderr
    assert again.returncode == 0 and "summary: run 2 finished" in again.stderr, again.stderr[-3000:]
    assert [p.name for p in work.iterdir() if not p.name.startswith("blog.db")] == []  # nothing else left behind
    # The archives of other machines merge into it with the installed command.
    merged = subprocess.run(
        [str(venv / "bin" / "pangea-archive"), "merge", "all.db", "blog.db"], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert merged.returncode == 0 and merged.stdout.strip().splitlines()[-1] == "all.db: 15 posts", merged.stdout + merged.stderr
    (work / "all.db").unlink()
    for leftover in work.glob("all.db*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()

    port = free_port()
    server = subprocess.Popen([str(venv / "bin" / "datasette"), "serve", "blog.db", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/-/versions.json", server)
        with urllib.request.urlopen(base + "/-/plugins.json") as answer:
            plugins = json.load(answer)
        assert [(p["name"], p["templates"]) for p in plugins] == [("pangea-archive", True)]  # found through its entry point
        for path in ("/blog/search?q=", "/blog/search?q=%22", "/blog/posts_per_month", "/blog/posts_by_author?author=x",
                     "/blog/cited_domains", "/blog/edited_posts", "/blog/search_live_entries?q=", "/-/chart"):
            with urllib.request.urlopen(base + path) as answer:
                assert answer.status == 200, path
        with urllib.request.urlopen(base + "/blog/posts.json?_shape=array&_size=1") as answer:
            post = json.load(answer)[0]
        with urllib.request.urlopen(f"{base}/-/post/{post['site']}/{post['id']}") as answer:
            page = answer.read().decode()
        assert answer.status == 200 and "<article" in page and post["title"] in page
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()
