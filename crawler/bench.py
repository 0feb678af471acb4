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


PARTS = {"parse": (bench_parse, _rows_parse)}


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
