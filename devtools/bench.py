"""``python -m devtools.bench``: benchmarks, side by side in one run, printed as one table.

Absolute times on a shared machine are noisy; every figure that matters is a ratio of two
things measured in the same run. The figures go to ``data/bench.json`` too.

    python -m devtools.bench            # everything
    python -m devtools.bench parse      # one part
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_PAGE = ROOT / "tests" / "fixtures" / "reference" / "pangea-article-voa.html"
REFERENCE_URL = "https://www.voanews.com/a/america-s-child-care-crisis-is-holding-back-moms-without-college-degrees-/7585813.html"


def _per_call(function, repeat: int, rounds: int = 7) -> float:
    """Median over ``rounds`` of the mean seconds per call over ``repeat`` calls."""
    function()  # warm caches and imports
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            function()
        samples.append((time.perf_counter() - start) / repeat)
    return statistics.median(samples)


def bench_parse(repeat: int = 40) -> dict:
    """All fields of one post page (sanitizing included) against trafilatura.bare_extraction.

    trafilatura is asked for what we extract too: metadata, links and images.
    """
    import trafilatura

    from crawler.pages.post import PostPage
    from .replica.content import Site
    from .replica.pages import Renderer

    site = Site(posts=50, seed=1)
    replica_html = Renderer(site, "https://www.rferl.org").post(site.by_id[26829775]).encode("utf-8")
    replica_url = "https://www.rferl.org" + site.by_id[26829775].path
    pages = {"real VOA page": (REFERENCE_URL, REFERENCE_PAGE.read_bytes()), "replica seed post": (replica_url, replica_html)}
    figures: dict = {}
    for label, (url, html) in pages.items():
        def ours_once():
            return PostPage(url, html).to_item()

        def theirs_once():
            return trafilatura.bare_extraction(html, url=url, with_metadata=True, include_links=True, include_images=True)

        # Side by side, round by round: the machine's speed drifts between seconds, so
        # each round times both and gives a ratio; the median round is reported.
        rounds = []
        for _ in range(9):
            ours = _per_call(ours_once, repeat, rounds=1)
            theirs = _per_call(theirs_once, max(4, repeat // 8), rounds=1)
            rounds.append((ours / theirs, ours, theirs))
        ratio, ours, theirs = sorted(rounds)[len(rounds) // 2]
        figures[label] = {"ours_ms": ours * 1000, "trafilatura_ms": theirs * 1000, "ratio": ratio}
    return {
        "parse_ratio_vs_trafilatura": max(f["ratio"] for f in figures.values()),
        "parse": figures,
    }


def _rows_parse(result: dict) -> list[tuple[str, str, str]]:
    rows = []
    for label, f in result["parse"].items():
        rows.append(
            (
                f"parse one post page ({label})",
                f"ours {f['ours_ms']:.2f} ms, trafilatura {f['trafilatura_ms']:.2f} ms",
                f"{f['ratio']:.3f} (target <= 0.1)",
            )
        )
    return rows


def bench_faults(posts: int = 300) -> dict:
    """Every fault mode at once: how many runs until the archive is complete."""
    import tempfile

    import sqlite_utils

    from .replica import Replica
    from .replica.faults import ALL, FaultPlan

    settings = ["-s", "DOWNLOAD_TIMEOUT=1.5", "-s", "DOWNLOAD_MAXSIZE=1000000", "-s", "RETRY_BACKOFF_BASE=0.1"]
    runs = []
    with tempfile.TemporaryDirectory() as folder, Replica(
        posts=posts, seed=13, faults=FaultPlan(seed=13, rates=dict(ALL), slow_seconds=2.5), hostile_post=True
    ) as replica:
        db_path = Path(folder) / "faults.db"
        for _ in range(3):
            started = time.perf_counter()
            code = _run_measured(_crawl_command("blog", replica.index_url, db_path, settings))["exit"]
            db = sqlite_utils.Database(db_path)
            run = next(db.query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1"))
            stored = db["posts"].count
            db.close()
            runs.append(
                {
                    "exit": code,
                    "seconds": round(time.perf_counter() - started, 1),
                    "requests": run["requests"],
                    "retries": run["retries"],
                    "posts_new": run["posts_new"],
                    "failures_left": run["failures_left"],
                    "posts_stored": stored,
                }
            )
            if code == 0:
                break
        served = len(replica.site.posts)
        injected = dict(replica.app.injected)
    return {"faults": {"posts_served": served, "injected": injected, "runs": runs, "runs_needed": len(runs)}}


def _rows_faults(result: dict) -> list[tuple[str, str, str]]:
    f = result["faults"]
    rows = [("faults injected (all modes at once)", ", ".join(f"{k} {v}" for k, v in sorted(f["injected"].items())), "")]
    for number, run in enumerate(f["runs"], 1):
        rows.append(
            (
                f"faulty replica, run {number}",
                f"exit {run['exit']}, {run['requests']} requests, {run['retries']} retries, {run['posts_new']} posts new, "
                f"{run['failures_left']} failures left, {run['seconds']} s",
                f"{run['posts_stored']}/{f['posts_served']} posts",
            )
        )
    return rows


# --- crawls against a replica in a process of its own ---------------------------------------


class ReplicaProcess:
    """``python -m devtools.replica --prerender`` in its own process, so its CPU is its own."""

    def __init__(self, posts: int, seed: int = 1, extra: list[str] = ()):
        import subprocess

        self.process = subprocess.Popen(
            [sys.executable, "-m", "devtools.replica", "--port", "0", "--posts", str(posts), "--seed", str(seed), "--prerender",
             *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base_url = self.process.stdout.readline().strip()
        self.index_url = self.base_url + "/z/17257"

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


def _tree_memory(pid: int, proportional: bool = False) -> dict[int, int]:
    """Memory of a process and all its descendants, bytes by pid: the peak resident set
    (VmHWM, which the kernel keeps, so that sampling seldom misses nothing), or with
    ``proportional`` the PSS now, each shared page counted once over the processes sharing
    it (Chromium's processes share much, which RSS counts again in each)."""
    found, todo = {}, [pid]
    source, field = ("smaps_rollup", "Pss:") if proportional else ("status", "VmHWM:")
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/{source}").read_text().splitlines():
                if line.startswith(field):
                    found[current] = int(line.split()[1]) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                todo.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def _run_measured(command: list[str], proportional: bool = False) -> dict:
    """Run a command; its wall time, the peak memory of its process tree, its stderr.

    Peak RSS: the sum over the tree's processes of each one's own peak (the kernel's
    high-water mark, and for the command's own process its rusage at exit). Reading
    /proc every 20 ms slowed the crawl measured by a quarter; every half second is enough
    for high-water marks. With ``proportional``, the peak of the tree's summed PSS,
    sampled every 0.1 s.
    """
    import subprocess
    import threading

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, int] = {}
    peak_sum = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_sum
        while not done.is_set():
            found = _tree_memory(process.pid, proportional)
            if proportional:
                peak_sum = max(peak_sum, sum(found.values()))
            else:
                for pid, value in found.items():
                    peaks[pid] = max(peaks.get(pid, 0), value)
            done.wait(0.1 if proportional else 0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(process.stderr.read()), daemon=True)
    reader.start()
    _, status, usage = os.wait4(process.pid, 0)  # the command's own rusage, not all children's
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    reader.join()
    process.stderr.close()
    done.set()
    sampler.join()
    if proportional:
        peak = peak_sum
    else:
        peaks[process.pid] = max(peaks.get(process.pid, 0), usage.ru_maxrss * 1024)
        peak = sum(peaks.values())
    return {"wall": wall, "peak_rss_mib": peak / 2**20, "stderr": "".join(chunks), "exit": process.returncode}


def _scrapy_stat(stderr: str, name: str) -> float:
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith(f"'{name}':"):
            return float(line.split(":", 1)[1].strip().rstrip(",}"))
    return 0.0


def _crawl_command(spider: str, start_url: str, db_path: Path | None, extra: list[str] = ()) -> list[str]:
    from .replica_settings import as_arguments, crawl_command

    # Identical settings for every crawl compared; only the spider differs.
    if spider == "blog":
        return crawl_command(start_url, db_path, "-s", "LOG_LEVEL=INFO", "-s", "LOG_SCRAPY_DUMPS=True", *extra)
    command = [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "devtools" / "benchspider.py"), "-a", f"start_url={start_url}"]
    # The floor stores nothing and keeps no page: no item pipeline, no WARC file, no archive.
    floor = ["-s", "ITEM_PIPELINES={}", "-s", "WARC_ENABLED=False"]
    return command + as_arguments() + floor + ["-s", "LOG_LEVEL=INFO", *extra]


def _crawl_figures(run: dict) -> dict:
    elapsed = _scrapy_stat(run["stderr"], "elapsed_time_seconds")
    responses = _scrapy_stat(run["stderr"], "downloader/response_count")
    return {
        "wall_s": round(run["wall"], 2),
        "elapsed_s": round(elapsed, 2),
        "responses": int(responses),
        "pages_per_s": round(responses / elapsed, 1) if elapsed else 0.0,
        "peak_rss_mib": round(run["peak_rss_mib"], 1),
    }


def bench_crawl(posts: int = 2000, big: int = 8000, rounds: int = 5) -> dict:
    """Our full crawl against the bare spider (pages/s, peak RSS), and our RSS at 8,000 posts."""
    import tempfile

    ours, bare, no_warc, replica_cpu, warc_bytes = [], [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        replica = ReplicaProcess(posts)
        try:
            for n in range(rounds):
                cpu_before = replica.cpu_seconds()
                run = _run_measured(_crawl_command("bare", replica.index_url, None))
                bare.append(_crawl_figures(run))
                db_path = Path(folder) / f"ours-{n}.db"
                cpu_mid = replica.cpu_seconds()
                run = _run_measured(_crawl_command("blog", replica.index_url, db_path))
                if run["exit"] != 0:
                    raise SystemExit("bench: our crawl failed:\n" + run["stderr"][-2000:])
                ours.append(_crawl_figures(run))
                replica_cpu.append({"bare": round(cpu_mid - cpu_before, 2), "ours": round(replica.cpu_seconds() - cpu_mid, 2)})
                warc_bytes.append(sum(p.stat().st_size for p in Path(f"{db_path}.warc").iterdir()))
                run = _run_measured(_crawl_command("blog", replica.index_url, Path(folder) / f"nowarc-{n}.db", ["-s", "WARC_ENABLED=False"]))
                no_warc.append(_crawl_figures(run))
        finally:
            replica.stop()
        replica = ReplicaProcess(big)
        try:
            run = _run_measured(_crawl_command("blog", replica.index_url, Path(folder) / "big.db"))
            ours_big = _crawl_figures(run)
        finally:
            replica.stop()
    best_ours = max(ours, key=lambda f: f["pages_per_s"])
    best_bare = max(bare, key=lambda f: f["pages_per_s"])
    rss_ours = min(f["peak_rss_mib"] for f in ours)
    rss_bare = min(f["peak_rss_mib"] for f in bare)
    best_no_warc = max(no_warc, key=lambda f: f["pages_per_s"])
    return {
        "crawl_ratio": round(best_ours["pages_per_s"] / best_bare["pages_per_s"], 3),
        "crawl_ratio_warc_off": round(best_no_warc["pages_per_s"] / best_bare["pages_per_s"], 3),
        "warc_bytes_per_post": round(min(warc_bytes) / posts),
        "rss_ratio": round(rss_ours / rss_bare, 3),
        "rss_growth_8000": round(ours_big["peak_rss_mib"] / rss_ours, 3),
        "crawl": {"posts": posts, "ours": ours, "bare": bare, "ours_warc_off": no_warc, "ours_8000": ours_big,
                  "replica_cpu_s": replica_cpu, "warc_bytes": warc_bytes},
    }


def _rows_crawl(result: dict) -> list[tuple[str, str, str]]:
    c = result["crawl"]
    best = lambda runs: max(runs, key=lambda f: f["pages_per_s"])  # noqa: E731
    o, b = best(c["ours"]), best(c["bare"])
    w = best(c["ours_warc_off"])
    return [
        (
            f"full crawl, {c['posts']} posts, all fields and pipelines, WARC on (the default) vs bare spider",
            f"ours {o['pages_per_s']} pages/s ({o['elapsed_s']} s), bare {b['pages_per_s']} pages/s ({b['elapsed_s']} s); "
            f"replica CPU {c['replica_cpu_s'][-1]['ours']} s of ours",
            f"{result['crawl_ratio']:.3f} (target >= 0.85)",
        ),
        (
            "the same crawl with WARC_ENABLED=False vs bare spider",
            f"ours {w['pages_per_s']} pages/s ({w['elapsed_s']} s)",
            f"{result['crawl_ratio_warc_off']:.3f} (target >= 0.9)",
        ),
        (
            "WARC written per post (gzip per record; index pages, feed, robots.txt included)",
            f"{min(c['warc_bytes'])} bytes for {c['posts']} posts",
            f"{result['warc_bytes_per_post']} bytes/post",
        ),
        (
            "peak RSS of the crawl, ours vs bare",
            f"ours {min(f['peak_rss_mib'] for f in c['ours'])} MiB, bare {min(f['peak_rss_mib'] for f in c['bare'])} MiB",
            f"{result['rss_ratio']:.3f} (target <= 1.5)",
        ),
        (
            "peak RSS at 8,000 posts vs 2,000",
            f"{c['ours_8000']['peak_rss_mib']} MiB at 8,000 ({c['ours_8000']['pages_per_s']} pages/s)",
            f"{result['rss_growth_8000']:.3f} (target <= 1.1)",
        ),
    ]


def bench_nochange(posts: int = 2000, rounds: int = 3) -> dict:
    """A cron run when nothing changed: requests made, and wall time against an idle Scrapy process."""
    import tempfile

    import sqlite_utils

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "archive.db"
        replica = ReplicaProcess(posts)
        try:
            first = _run_measured(_crawl_command("blog", replica.index_url, db_path))
            if first["exit"] != 0:
                raise SystemExit("bench: the first crawl failed:\n" + first["stderr"][-2000:])
            runs, floors = [], []
            for _ in range(rounds):
                floors.append(_run_measured(
                    [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "devtools" / "benchidle.py"), "-s", "LOG_LEVEL=INFO",
                     "-s", f"SQLITE_PATH={Path(folder) / 'idle.db'}"]
                )["wall"])
                run = _run_measured(_crawl_command("blog", replica.index_url, db_path))
                db = sqlite_utils.Database(db_path)
                requests = next(db.query("SELECT requests FROM crawl_runs ORDER BY id DESC LIMIT 1"))["requests"]
                db.close()
                runs.append({"wall_s": round(run["wall"], 3), "requests": requests})
        finally:
            replica.stop()
    wall = statistics.median(r["wall_s"] for r in runs)
    floor = statistics.median(floors)
    return {
        "nochange_requests": max(r["requests"] for r in runs),
        "nochange_wall_ratio": round(wall / floor, 3),
        "nochange": {"posts": posts, "runs": runs, "floor_wall_s": [round(f, 3) for f in floors], "median_wall_s": wall},
    }


def _rows_nochange(result: dict) -> list[tuple[str, str, str]]:
    n = result["nochange"]
    return [
        (f"no-change incremental run, {n['posts']} posts stored", f"{result['nochange_requests']} requests", "(target <= 3: robots.txt, index, feed)"),
        (
            "no-change run wall time vs an idle Scrapy process",
            f"ours {n['median_wall_s']:.2f} s, idle {statistics.median(n['floor_wall_s']):.2f} s",
            f"{result['nochange_wall_ratio']:.3f} (target <= 2)",
        ),
    ]


def bench_render(posts: int = 200, few: int = 25, many: int = 150, extra: list[str] = ()) -> dict:
    """The browser over a long crawl: peak PSS (Chromium's processes counted) with many
    post pages rendered against few; pages are used again, then closed with their context."""
    import tempfile

    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        for count in (few, many):
            replica = ReplicaProcess(posts, seed=21, extra=["--js-posts", str(count)])
            try:
                run = _run_measured(_crawl_command("blog", replica.index_url, Path(folder) / f"js-{count}.db", extra), proportional=True)
            finally:
                replica.stop()
            if run["exit"] != 0:
                raise SystemExit("bench: the rendering crawl failed:\n" + run["stderr"][-2000:])
            figures[count] = {
                "js_posts": count,
                "pages_rendered": int(_scrapy_stat(run["stderr"], "pangea/pages_rendered")),
                "wall_s": round(run["wall"], 2),
                "peak_pss_mib": round(run["peak_rss_mib"], 1),
                "pages_reused": int(_scrapy_stat(run["stderr"], "pangea/browser_pages_reused")),
                "pages_created": int(_scrapy_stat(run["stderr"], "playwright/page_count")),
            }
    return {
        "render_pss_growth": round(figures[many]["peak_pss_mib"] / figures[few]["peak_pss_mib"], 3),
        "render": {"posts": posts, "few": figures[few], "many": figures[many]},
    }


def _rows_render(result: dict) -> list[tuple[str, str, str]]:
    r = result["render"]
    few, many = r["few"], r["many"]
    per_page = (many["wall_s"] - few["wall_s"]) / max(1, many["pages_rendered"] - few["pages_rendered"])
    return [
        (
            f"browser memory, {many['pages_rendered']} pages rendered vs {few['pages_rendered']}",
            f"peak PSS with Chromium {many['peak_pss_mib']} MiB vs {few['peak_pss_mib']} MiB; "
            f"{many['pages_created']} pages opened; {per_page * 1000:.0f} ms per rendered page",
            f"{result['render_pss_growth']:.3f} (flat: <= 1.1)",
        )
    ]


def bench_store(posts: int = 2000) -> dict:
    """The storage layer alone (posts with images, links, tags, FTS), against the rate the crawl produces posts."""
    import tempfile

    from crawler import storage
    from crawler.dates import utc_now_iso
    from crawler.pages.post import PostPage
    from .replica.content import Site
    from .replica.pages import Renderer

    site = Site(posts=posts, seed=1)
    renderer = Renderer(site, "https://www.rferl.org")
    items = [PostPage("https://www.rferl.org" + spec.path, renderer.post(spec)).to_item() for spec in site.posts]
    for item in items:  # as the spider sets them: the blog each post was found in
        item.blog_zone, item.blog_site = 17257, "rferl.org"
    timings = []
    for attempt in range(5):  # best of five fresh databases: the machine is shared
        with tempfile.TemporaryDirectory() as folder:
            db = storage.open_db(Path(folder) / "store.db")
            now = utc_now_iso()
            started = time.perf_counter()
            for start in range(0, len(items), 50):
                with storage.batch(db):  # as the store pipeline writes a batch
                    pending = storage.has_failures(db)
                    for item in items[start : start + 50]:
                        storage.save_post(db, item, now, failures_pending=pending)
            db.close()  # the last checkpoint of the write-ahead log counts too
            timings.append(time.perf_counter() - started)
    seconds = min(timings)
    return {"store": {"posts": posts, "seconds": round(seconds, 3), "posts_per_s": round(posts / seconds, 1)}}


def _rows_store(result: dict) -> list[tuple[str, str, str]]:
    s = result["store"]
    rows = [("storage alone, batches of 50 posts", f"{s['posts_per_s']} posts/s ({s['seconds']} s for {s['posts']})", "")]
    if "store_ratio" in result:
        rows[0] = (rows[0][0], rows[0][1] + f"; crawl produces {result['crawl_posts_per_s']} posts/s",
                   f"{result['store_ratio']:.1f} (target >= 10)")
    return rows


def bench_reextract(posts: int = 2000, rounds: int = 3) -> dict:
    """Re-extraction from the WARC files against the crawl that wrote them: posts per second."""
    import tempfile

    crawl_runs, reextract_runs = [], []
    with tempfile.TemporaryDirectory() as folder:
        replica = ReplicaProcess(posts)
        try:
            index_url = replica.index_url
            for n in range(rounds):
                run = _run_measured(_crawl_command("blog", index_url, Path(folder) / f"crawl-{n}.db"))
                if run["exit"] != 0:
                    raise SystemExit("bench: the crawl failed:\n" + run["stderr"][-2000:])
                crawl_runs.append(_crawl_figures(run))
        finally:
            replica.stop()
        # The site is gone: the re-extraction reads the WARC files only.
        warc = Path(folder) / "crawl-0.db.warc"
        for n in range(rounds):
            command = [sys.executable, "-m", "scrapy", "crawl", "blog", "-a", f"start_url={index_url}", "-a", "mode=reextract",
                       "-a", f"warc={warc}", "-s", f"SQLITE_PATH={Path(folder) / f're-{n}.db'}", "-s", "LOG_LEVEL=INFO",
                       "-s", "LOG_SCRAPY_DUMPS=True"]
            run = _run_measured(command)
            if run["exit"] != 0:
                raise SystemExit("bench: the re-extraction failed:\n" + run["stderr"][-2000:])
            reextract_runs.append(_crawl_figures(run))
    # The crawl a cron job really runs: the product's polite defaults (a second between
    # requests, AutoThrottle), on a small replica.
    polite_posts = 30
    replica = ReplicaProcess(polite_posts)
    try:
        from .replica_settings import crawl_command

        with tempfile.TemporaryDirectory() as folder:
            run = _run_measured(crawl_command(replica.index_url, Path(folder) / "polite.db", "-s", "LOG_LEVEL=INFO",
                                              "-s", "LOG_SCRAPY_DUMPS=True", fast=False))
            polite = _crawl_figures(run)
    finally:
        replica.stop()
    crawl_best = min(r["elapsed_s"] for r in crawl_runs)
    reextract_best = min(r["elapsed_s"] for r in reextract_runs)
    reextract_rate = posts / reextract_best
    polite_rate = polite_posts / polite["elapsed_s"]
    return {
        "reextract_ratio": round(crawl_best / reextract_best, 2),
        "reextract_ratio_polite": round(reextract_rate / polite_rate, 1),
        "reextract": {"posts": posts, "crawl": crawl_runs, "reextract": reextract_runs, "polite_crawl": polite,
                      "crawl_posts_per_s": round(posts / crawl_best, 1), "reextract_posts_per_s": round(reextract_rate, 1),
                      "polite_posts_per_s": round(polite_rate, 2)},
    }


def _rows_reextract(result: dict) -> list[tuple[str, str, str]]:
    r = result["reextract"]
    return [
        (
            f"re-extraction of {r['posts']} posts from the WARC files (0 requests) vs the crawl that wrote them",
            f"{r['reextract_posts_per_s']} posts/s vs {r['crawl_posts_per_s']} posts/s",
            f"{result['reextract_ratio']:.2f} (target >= 5)",
        ),
        (
            "re-extraction vs a crawl under the product's polite defaults (30 posts, 1 s between requests)",
            f"{r['reextract_posts_per_s']} posts/s vs {r['polite_posts_per_s']} posts/s",
            f"{result['reextract_ratio_polite']:.0f}",
        ),
    ]


def bench_network(sites: int = 20, posts: int = 200, delay: float = 0.2, alone: int = 3) -> dict:
    """Many blogs in one run: ``sites`` replica sites of ``posts`` posts on their own
    loopback addresses, with a per-site delay, crawled in one run; against the slowest of
    ``alone`` of them crawled alone with the same settings (the sites are alike: the same
    size, other seeds). Then a run when nothing changed: its requests per blog."""
    import subprocess
    import tempfile

    import sqlite_utils

    polite = ["-s", f"DOWNLOAD_DELAY={delay}", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "CONCURRENT_REQUESTS=64"]
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.replica", "--sites", str(sites), "--host", "127.0.0.11", "--posts", str(posts),
             "--seed", "100", "--prerender"],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        try:
            urls = [process.stdout.readline().strip() + "/z/17257" for _ in range(sites)]
            singles = []
            for url in sorted({urls[0], urls[sites // 2], urls[-1]})[:alone]:
                run = _run_measured(_crawl_command("blog", url, Path(folder) / f"alone-{len(singles)}.db", polite))
                if run["exit"] != 0:
                    raise SystemExit("bench: a single-site crawl failed:\n" + run["stderr"][-2000:])
                singles.append(round(run["wall"], 2))
            blog_list = Path(folder) / "blogs.txt"
            blog_list.write_text("\n".join(urls[1:]) + "\n")
            db_path = Path(folder) / "network.db"
            command = _crawl_command("blog", urls[0], db_path, ["-a", f"blogs={blog_list}", *polite])
            run = _run_measured(command)
            if run["exit"] != 0:
                raise SystemExit("bench: the network crawl failed:\n" + run["stderr"][-2000:])
            again = _run_measured(command)
            db = sqlite_utils.Database(db_path)
            stored = next(db.query("SELECT count(*) AS n FROM posts"))["n"]
            first, second = list(db.query("SELECT requests, status, blogs, blogs_failed FROM crawl_runs ORDER BY id"))
            db.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()
    if stored != sites * posts or first["status"] != "finished" or second["status"] != "finished":
        raise SystemExit(f"bench: the network crawl stored {stored} posts of {sites * posts} (runs {first}, {second})")
    slowest = max(singles)
    return {
        "network_wall_ratio": round(run["wall"] / slowest, 3),
        "network_nochange_requests_per_blog": round((second["requests"] - sites) / sites, 2),
        "network": {
            "sites": sites, "posts_per_site": posts, "delay_s": delay, "alone_wall_s": singles, "network_wall_s": round(run["wall"], 2),
            "requests": first["requests"], "nochange_requests": second["requests"], "nochange_wall_s": round(again["wall"], 2),
            "peak_rss_mib": round(run["peak_rss_mib"], 1),
        },
    }


def _rows_network(result: dict) -> list[tuple[str, str, str]]:
    n = result["network"]
    return [
        (
            f"{n['sites']} sites x {n['posts_per_site']} posts in one run, {n['delay_s']} s delay per site",
            f"{n['network_wall_s']:.1f} s ({n['requests']} requests); alone {max(n['alone_wall_s']):.1f} s (slowest of {len(n['alone_wall_s'])})",
            f"{result['network_wall_ratio']:.3f} (target <= 1.3)",
        ),
        (
            f"no-change run of the {n['sites']} blogs",
            f"{n['nochange_requests']} requests ({n['sites']} robots.txt), {n['nochange_wall_s']:.1f} s",
            f"{result['network_nochange_requests_per_blog']:.2f} a blog (target <= 2)",
        ),
    ]


def bench_merge(posts: int = 2000) -> dict:
    """``scrapy merge`` of two archives of ``posts`` posts each (two sites, WARC files
    copied), then the same merge again (nothing new: every post compared, nothing written
    twice)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        sources = []
        for number in range(2):
            replica = ReplicaProcess(posts, seed=60 + number)
            try:
                path = Path(folder) / f"node{number}.db"
                run = _run_measured(_crawl_command("blog", replica.index_url, path))
                if run["exit"] != 0:
                    raise SystemExit("bench: a crawl to merge failed:\n" + run["stderr"][-2000:])
                sources.append(path)
            finally:
                replica.stop()
        target = Path(folder) / "merged.db"
        command = [sys.executable, "-m", "scrapy", "merge", str(target), *map(str, sources)]
        import sqlite_utils

        times, rows = {}, {}
        for label in ("first", "again"):
            run = _run_measured(command)
            if run["exit"] != 0:
                raise SystemExit("bench: the merge failed:\n" + run["stderr"][-2000:])
            times[label] = round(run["wall"], 2)
            db = sqlite_utils.Database(target)
            rows[label] = sum(db[name].count for name in db.table_names() if "_fts" not in name)
            db.close()
        idle = _run_measured([sys.executable, "-m", "scrapy", "merge"])["wall"]  # the command's start and its usage line
    return {"merge": {"posts": 2 * posts, "first_wall_s": times["first"], "again_wall_s": times["again"], "startup_s": round(idle, 2),
                      "rows": rows["first"], "rows_added_again": rows["again"] - rows["first"]}}


def _rows_merge(result: dict) -> list[tuple[str, str, str]]:
    m = result["merge"]
    work = max(0.01, m["first_wall_s"] - m["startup_s"])
    return [
        (f"scrapy merge of two archives, {m['posts']} posts with their WARC files", f"{m['first_wall_s']:.2f} s (the command's start alone {m['startup_s']:.2f} s)", f"{m['posts'] / work:.0f} posts/s"),
        ("the same merge again (nothing new)", f"{m['again_wall_s']:.2f} s; {m['rows']} rows in the archive", f"{m['rows_added_again']} rows added (target 0)"),
    ]


def bench_merge_runs(runs: int = 100_000) -> dict:
    """``scrapy merge`` of a source of ``runs`` runs into a target of ``runs`` other runs
    (a node's years of half-hourly runs): the runs are matched through an index."""
    import sqlite3
    import tempfile

    from crawler import storage

    from datetime import datetime, timedelta, timezone

    start = datetime(2021, 1, 1, tzinfo=timezone.utc)

    def archive(path: Path, offset: int) -> None:
        """``runs`` half-hourly runs from ``offset`` half hours after the start."""
        storage.open_db(path).close()
        with sqlite3.connect(path) as conn:
            conn.executemany(
                "INSERT INTO crawl_runs (started_at, finished_at, status, mode, start_url) VALUES (?, ?, 'finished', 'incremental', ?)",
                [((start + timedelta(minutes=30 * (offset + n))).isoformat(), (start + timedelta(minutes=30 * (offset + n) + 2)).isoformat(),
                  "https://www.rferl.org/z/17257") for n in range(runs)],
            )

    with tempfile.TemporaryDirectory() as folder:
        target, source = Path(folder) / "target.db", Path(folder) / "source.db"
        archive(target, 0)
        archive(source, runs)
        command = [sys.executable, "-m", "scrapy", "merge", str(target), str(source)]
        first = _run_measured(command)
        if first["exit"] != 0:
            raise SystemExit("bench: the merge failed:\n" + first["stderr"][-2000:])
        again = _run_measured(command)
        with sqlite3.connect(target) as conn:
            total = conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
    return {"merge_runs": {"runs": runs, "wall_s": round(first["wall"], 2), "again_s": round(again["wall"], 2), "total": total}}


def _rows_merge_runs(result: dict) -> list[tuple[str, str, str]]:
    m = result["merge_runs"]
    return [
        (f"scrapy merge: a source of {m['runs']:,} runs into a target of {m['runs']:,}", f"{m['wall_s']:.2f} s; merged again {m['again_s']:.2f} s",
         f"{m['total']:,} runs after both (target: under 10 s)"),
    ]


# --- the archive at network size -------------------------------------------------------------

# The pages the README shows, as a reader opens them (warm: each opened once before it is timed).
SCALE_PAGES = {
    "database page": "/archive",
    "posts": "/archive/posts",
    "post_list (facets)": "/archive/post_list",
    "search box of post_list": "/archive/post_list?_search=fighters",
    "search box, a rare word": "/archive/post_list?_search=Zharylgasov",
    "search query": "/archive/search?q=fighters",
    "search query, a rare word": "/archive/search?q=Zharylgasov",
    "reading view": "/-/post/{site}/{post_id}?database=archive",
    "chart": "/-/chart?database=archive",
    "posts_per_month": "/archive/posts_per_month",
    "cited_domains": "/archive/cited_domains",
    "cited_links": "/archive/cited_links",
    "posts by author": "/archive/posts_by_author?author={author}",
    "posts with a tag": "/archive/posts_with_tag?tag={tag}",
    "edited_posts": "/archive/edited_posts",
    "failed_runs": "/archive/failed_runs",
}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _time_pages(db_path: Path, rounds: int = 3) -> dict:
    """Each page's warm time (median of ``rounds``) from ``python -m crawler.explore``, and
    the facets Datasette reports as timed out on the table pages."""
    import subprocess
    import urllib.request

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "crawler.explore", str(db_path), "--port", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to 60 s for the server to answer
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        import sqlite3

        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            site, post_id = conn.execute("SELECT site, id FROM posts ORDER BY published_at DESC LIMIT 1").fetchone()
            author = conn.execute("SELECT name FROM authors ORDER BY id LIMIT 1").fetchone()[0]
            tag = conn.execute("SELECT name FROM tags ORDER BY id LIMIT 1").fetchone()[0]
        from urllib.parse import quote

        pages = {}
        for name, path in SCALE_PAGES.items():
            url = base + path.format(site=site, post_id=post_id, author=quote(author), tag=quote(tag))
            times, status = [], None
            for _ in range(rounds + 1):
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(url, timeout=120) as response:
                        response.read()
                        status = response.status
                except urllib.error.HTTPError as error:
                    status = error.code
                times.append(time.perf_counter() - started)
            pages[name] = {"ms": round(statistics.median(times[1:]) * 1000), "status": status}
        timed_out = {}
        for table in ("posts", "post_list"):
            with urllib.request.urlopen(f"{base}/archive/{table}.json?_extra=facets_timed_out", timeout=120) as response:
                timed_out[table] = json.loads(response.read()).get("facets_timed_out", [])
        return {"pages": pages, "facets_timed_out": timed_out}
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench_scale(sizes: tuple[int, ...] = (2000, 100_000, 1_000_000), rounds: int = 3, merge_up_to: int = 100_000,
                reextract_up_to: int = 100_000) -> dict:
    """One crawl of the replica's 2,000 posts, grown to each size (``devtools.grow``):
    the no-change run (wall, peak RSS, requests), each exploration page's warm time, a
    merge of the archive into an empty one and into a copy of itself that saw every post
    later (every post shared and differing: throughput, peak RSS); ``scrapy verify`` of
    the archive; and the crawl's WARC files grown to each size (``devtools.grow_warc``)
    re-extracted into an empty archive."""
    import shutil
    import sqlite3
    import subprocess
    import tempfile

    figures = []
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base.db"
        replica = ReplicaProcess(sizes[0])
        try:
            first = _run_measured(_crawl_command("blog", replica.index_url, base))
            if first["exit"] != 0:
                raise SystemExit("bench: the first crawl failed:\n" + first["stderr"][-2000:])
            with sqlite3.connect(base) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                first_requests = conn.execute("SELECT requests FROM crawl_runs ORDER BY id LIMIT 1").fetchone()[0]
            for size in sizes:
                work = Path(folder) / str(size)
                work.mkdir()
                db_path = work / "archive.db"
                shutil.copy(base, db_path)
                # In a process of its own: a child's peak RSS starts at its parent's at fork time.
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "devtools.grow", str(db_path), "--posts", str(size)], cwd=ROOT, check=True,
                               stdout=subprocess.DEVNULL)
                grown = {"posts": size, "seconds": round(time.perf_counter() - started, 1)}
                _run_measured(_crawl_command("blog", replica.index_url, db_path))  # the first run after growing: caches warm
                runs = []
                for _ in range(rounds):
                    run = _run_measured(_crawl_command("blog", replica.index_url, db_path))
                    with sqlite3.connect(db_path) as conn:
                        requests = conn.execute("SELECT requests FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
                    runs.append({"wall_s": round(run["wall"], 2), "peak_rss_mib": round(run["peak_rss_mib"], 1),
                                 "requests": requests, "exit": run["exit"]})
                pages = _time_pages(db_path)
                # The whole-file check beside the runs (the file as the page cache holds it after the runs).
                verify = _run_measured([sys.executable, "-m", "scrapy", "verify", str(db_path)])
                merge = shared = reextract = {"wall": 0.0, "peak_rss_mib": 0.0, "exit": None}
                if size <= merge_up_to:  # a merge of a million posts takes long: measured up to ``merge_up_to``
                    merge = _run_measured([sys.executable, "-m", "scrapy", "merge", str(work / "merged.db"), str(db_path)])
                    later = work / "later.db"
                    shutil.copy(db_path, later)
                    with sqlite3.connect(later) as conn:
                        conn.execute("UPDATE posts SET last_seen_at = '2099-01-01T00:00:00+00:00'")
                    shared = _run_measured([sys.executable, "-m", "scrapy", "merge", str(db_path), str(later)])
                if size <= reextract_up_to:
                    grown_warc = work / "grown.warc"
                    subprocess.run([sys.executable, "-m", "devtools.grow_warc", str(Path(f"{base}.warc")), str(grown_warc),
                                    "--copies", str(max(0, size // sizes[0] - 1))], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
                    rebuilt = work / "rebuilt.db"
                    reextract = _run_measured([
                        sys.executable, "-m", "scrapy", "crawl", "blog", "-a", f"start_url={replica.index_url}", "-a", "mode=reextract",
                        "-a", f"warc={grown_warc}", "-s", f"SQLITE_PATH={rebuilt}", "-s", "LOG_LEVEL=INFO",
                    ])
                    with sqlite3.connect(rebuilt) as conn:
                        reextract["posts"] = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
                figures.append({
                    "posts": grown["posts"], "grow_s": grown["seconds"],
                    "nochange_wall_s": statistics.median(r["wall_s"] for r in runs),
                    "nochange_rss_mib": statistics.median(r["peak_rss_mib"] for r in runs),
                    "nochange_requests": max(r["requests"] for r in runs), "runs": runs,
                    "merge_wall_s": round(merge["wall"], 1), "merge_rss_mib": round(merge["peak_rss_mib"], 1),
                    "merge_exit": merge["exit"],
                    "shared_merge_wall_s": round(shared["wall"], 1), "shared_merge_rss_mib": round(shared["peak_rss_mib"], 1),
                    "shared_merge_exit": shared["exit"],
                    "reextract_wall_s": round(reextract["wall"], 1), "reextract_rss_mib": round(reextract["peak_rss_mib"], 1),
                    "reextract_exit": reextract["exit"], "reextract_posts": reextract.get("posts", 0),
                    "verify_wall_s": round(verify["wall"], 1), "verify_rss_mib": round(verify["peak_rss_mib"], 1),
                    "verify_exit": verify["exit"], "archive_mb": round(db_path.stat().st_size / 1e6, 1),
                    **pages,
                })
                shutil.rmtree(work)
        finally:
            replica.stop()
    return {"scale": {"first_run_requests": first_requests, "sizes": figures}}


def _rows_scale(result: dict) -> list[tuple[str, str, str]]:
    s = result["scale"]
    small = s["sizes"][0]
    rows = [("first run of the replica's blog (before growing)", f"{s['first_run_requests']} requests", "")]
    for f in s["sizes"]:
        n = f"{f['posts']:,} posts"
        rows.append((
            f"no-change run, {n} (grown in {f['grow_s']} s)",
            f"{f['nochange_wall_s']:.2f} s, {f['nochange_rss_mib']:.0f} MiB, {f['nochange_requests']} requests",
            f"{f['nochange_wall_s'] / small['nochange_wall_s']:.2f}x wall, {f['nochange_rss_mib'] / small['nochange_rss_mib']:.2f}x RSS "
            "of the smallest (target <= 1.25)",
        ))
        slow = {name: page for name, page in f["pages"].items() if page["ms"] > 500 or page["status"] != 200}
        worst = max(f["pages"].items(), key=lambda item: item[1]["ms"])
        rows.append((
            f"exploration pages, {n}, warm (median of 3)",
            "; ".join(f"{name} {page['ms']} ms" + ("" if page["status"] == 200 else f" (HTTP {page['status']})")
                      for name, page in f["pages"].items()),
            f"{len(f['pages']) - len(slow)}/{len(f['pages'])} within 500 ms (worst: {worst[0]}, {worst[1]['ms']} ms)",
        ))
        timed_out = [f"{table}: {', '.join(names)}" for table, names in f["facets_timed_out"].items() if names]
        rows.append((f"facets timed out, {n}", "; ".join(timed_out) or "none", "(target: none)"))
        if f.get("verify_exit") is not None:
            rows.append((
                f"scrapy verify (every page checked, beside the runs), {n}",
                f"{f['verify_wall_s']} s, peak RSS {f['verify_rss_mib']:.0f} MiB (exit {f['verify_exit']})",
                f"{f['archive_mb'] / max(f['verify_wall_s'], 0.01):,.0f} MB/s of a {f['archive_mb']:,.0f} MB file",
            ))
        if f["merge_exit"] is not None:
            rows.append((
                f"scrapy merge of the archive into an empty one, {n}",
                f"{f['merge_wall_s']} s, peak RSS {f['merge_rss_mib']:.0f} MiB (exit {f['merge_exit']})",
                f"{f['posts'] / max(f['merge_wall_s'], 0.01):,.0f} posts/s",
            ))
        if f.get("shared_merge_exit") is not None:
            rows.append((
                f"scrapy merge of a copy that saw every post later, {n} shared",
                f"{f['shared_merge_wall_s']} s, peak RSS {f['shared_merge_rss_mib']:.0f} MiB (exit {f['shared_merge_exit']})",
                f"{f['posts'] / max(f['shared_merge_wall_s'], 0.01):,.0f} posts/s",
            ))
        if f.get("reextract_exit") is not None:
            rows.append((
                f"re-extraction of the WARC files grown to {n}, into an empty archive",
                f"{f['reextract_wall_s']} s, peak RSS {f['reextract_rss_mib']:.0f} MiB, {f['reextract_posts']:,} posts (exit {f['reextract_exit']})",
                f"{f['reextract_posts'] / max(f['reextract_wall_s'], 0.01):,.0f} posts/s",
            ))
    return rows


def bench_search(posts: int = 1000, grown: int = 100_000, languages: tuple[str, ...] = ("en", "ru", "zh"), rounds: int = 5) -> dict:
    """Per language of the replica (``--lang``): a crawl of ``posts`` posts, what reading
    its text for the index costs (the index made anew from the stored text, per post and
    against the crawl's own time per post), and the archive grown to ``grown`` posts
    (``devtools.grow``): the warm time of the canned search for words of the language
    (its words list; for English, words of the replica's text)."""
    import shutil
    import sqlite3
    import statistics
    import subprocess
    import tempfile

    from crawler.explore import archive_metadata
    from crawler.explore.plugin import prepare_connection
    from crawler.storage import search
    from devtools.replica.languages import WORDS

    english = ["fighters", "recruitment", "statement", "coalition", "Raqqa", "video", "telephone", "market", "attack", "silence"]
    sql = archive_metadata()["queries"]["search"]["sql"]
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        for lang in languages:
            db_path = Path(folder) / f"{lang}.db"
            replica = ReplicaProcess(posts, extra=["--lang", lang])
            try:
                run = _run_measured(_crawl_command("blog", replica.index_url, db_path))
            finally:
                replica.stop()
            if run["exit"] != 0:
                raise SystemExit(f"bench: the {lang} crawl failed:\n" + run["stderr"][-2000:])
            conn = sqlite3.connect(db_path)
            stored = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
            chars = conn.execute("SELECT sum(length(title) + length(body_text)) FROM posts").fetchone()[0]
            times = []
            for _ in range(3):
                started = time.perf_counter()
                with conn:
                    search.rebuild(conn, "posts_fts")
                times.append(time.perf_counter() - started)
            conn.close()
            index_ms = min(times) / stored * 1000
            crawl_ms = run["wall"] / stored * 1000
            grown_path = Path(folder) / f"{lang}-grown.db"
            shutil.copy(db_path, grown_path)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "devtools.grow", str(grown_path), "--posts", str(grown)], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL)
            grow_s = time.perf_counter() - started
            conn = sqlite3.connect(grown_path)
            conn.row_factory = sqlite3.Row
            prepare_connection(conn)
            words = english if lang == "en" else [w.typed for w in WORDS[lang]][:10]
            latencies, matches = [], []
            for word in words:
                best = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    found = conn.execute(sql, {"q": word, "page": ""}).fetchall()
                    best.append(time.perf_counter() - started)
                latencies.append(min(best) * 1000)
                matches.append(found[0]["matches"] if found else 0)
            conn.close()
            figures[lang] = {
                "posts": stored, "chars_per_post": round(chars / stored), "index_ms_per_post": round(index_ms, 3),
                "crawl_ms_per_post": round(crawl_ms, 1), "index_share_of_crawl": round(index_ms / crawl_ms, 4),
                "grown": grown, "grow_s": round(grow_s, 1), "search_ms_median": round(statistics.median(latencies), 1),
                "search_ms_max": round(max(latencies), 1), "matches_median": int(statistics.median(matches)), "words": len(words),
            }
    return {"search": figures}


def _rows_search(result: dict) -> list[tuple[str, str, str]]:
    rows = []
    for lang, f in result["search"].items():
        rows.append((
            f"{lang}: reading a post's text for the full-text index ({f['chars_per_post']} characters a post)",
            f"{f['index_ms_per_post']} ms a post, the crawl {f['crawl_ms_per_post']} ms a post ({f['posts']} posts)",
            f"{f['index_share_of_crawl']:.4f} of the crawl's time",
        ))
        rows.append((
            f"{lang}: canned search at {f['grown']:,} posts, warm, {f['words']} words",
            f"median {f['search_ms_median']} ms, slowest {f['search_ms_max']} ms; median {f['matches_median']} matches",
            f"{f['search_ms_max']} ms (target < 500)",
        ))
    return rows


PARTS = {
    "parse": (bench_parse, _rows_parse),
    "crawl": (bench_crawl, _rows_crawl),
    "nochange": (bench_nochange, _rows_nochange),
    "store": (bench_store, _rows_store),
    "render": (bench_render, _rows_render),
    "faults": (bench_faults, _rows_faults),
    "reextract": (bench_reextract, _rows_reextract),
    "network": (bench_network, _rows_network),
    "merge": (bench_merge, _rows_merge),
    "merge-runs": (bench_merge_runs, _rows_merge_runs),
    "scale": (bench_scale, _rows_scale),
    "search": (bench_search, _rows_search),
}


def print_table(rows: list[tuple[str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows + [("measure", "raw figures", "ratio")]) for i in range(3)]
    line = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(("measure", "raw figures", "ratio"), widths)))
    print(line)
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench", description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", choices=[[], *PARTS], help="parts to run (default: all)")
    parser.add_argument("--out", default=str(ROOT / "data" / "bench.json"), help="where the figures go")
    args = parser.parse_args(argv)
    parts = args.parts or list(PARTS)
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    rows = []
    for name in parts:
        run, to_rows = PARTS[name]
        result = run()
        results.update(result)
        if "store" in results and "crawl" in results:
            # Posts the crawl produces per second: posts of the crawl over its best elapsed time.
            best = max(results["crawl"]["ours"], key=lambda f: f["pages_per_s"])
            crawl_rate = results["crawl"]["posts"] / best["elapsed_s"]
            results["crawl_posts_per_s"] = round(crawl_rate, 1)
            results["store_ratio"] = round(results["store"]["posts_per_s"] / crawl_rate, 2)
            result = dict(result, store_ratio=results["store_ratio"], crawl_posts_per_s=results["crawl_posts_per_s"], store=results["store"])
        rows += to_rows(result)
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(rows)
    print(f"\nfigures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
