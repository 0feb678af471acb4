"""``python -m crawler.bench``: benchmarks, side by side in one run, printed as one table.

Absolute times on a shared machine are noisy; every figure that matters is a ratio of two
things measured in the same run. The figures go to ``data/bench.json`` too.

    python -m crawler.bench            # everything
    python -m crawler.bench parse      # one part
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_PAGE = ROOT / "tests" / "fixtures" / "reference" / "pangea-article-voa.html"
REFERENCE_URL = "https://www.voanews.com/a/america-s-child-care-crisis-is-holding-back-moms-without-college-degrees-/7585813.html"


def _per_call(function, repeat: int, rounds: int = 5) -> float:
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
    """All fields of one post page (sanitizing included) against trafilatura.bare_extraction."""
    import trafilatura

    from .pages.post import PostPage
    from .replica.content import Site
    from .replica.pages import Renderer

    site = Site(posts=50, seed=1)
    replica_html = Renderer(site, "https://www.rferl.org").post(site.by_id[26829775]).encode("utf-8")
    replica_url = "https://www.rferl.org" + site.by_id[26829775].path
    pages = {"real VOA page": (REFERENCE_URL, REFERENCE_PAGE.read_bytes()), "replica seed post": (replica_url, replica_html)}
    figures: dict = {}
    for label, (url, html) in pages.items():
        ours = _per_call(lambda: PostPage(url, html).to_item(), repeat)
        theirs = _per_call(lambda: trafilatura.bare_extraction(html, url=url, with_metadata=True), max(4, repeat // 8))
        figures[label] = {"ours_ms": ours * 1000, "trafilatura_ms": theirs * 1000, "ratio": ours / theirs}
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
            code = _crawl(replica.index_url, db_path, settings).returncode
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


def _crawl(start_url: str, db_path: Path, extra: list[str]):
    import os
    import subprocess

    from .replica_settings import as_arguments

    command = [sys.executable, "-m", "scrapy", "crawl", "blog", "-a", f"start_url={start_url}", "-s", f"SQLITE_PATH={db_path}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(command + as_arguments() + extra, cwd=ROOT, env=env, capture_output=True, text=True)


PARTS = {"parse": (bench_parse, _rows_parse), "faults": (bench_faults, _rows_faults)}


def print_table(rows: list[tuple[str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows + [("measure", "raw figures", "ratio")]) for i in range(3)]
    line = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(("measure", "raw figures", "ratio"), widths)))
    print(line)
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.bench", description=__doc__.splitlines()[0])
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
        rows += to_rows(result)
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(rows)
    print(f"\nfigures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
