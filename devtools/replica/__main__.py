"""``python -m devtools.replica``: serve a replica Pangea blog until stopped.

The first line of output is the base URL, so a script can start it and read where it is.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from datetime import datetime, timezone

from ..replica_settings import crawl_command
from .dresses import DRESSES, LIVE_MORE_FORMS
from .languages import PAGE_LANGUAGES
from .faults import KINDS, FaultPlan, parse_faults
from .server import Replica


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.replica", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    parser.add_argument("--posts", type=int, default=300, help="posts of the blog, the seed post included (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated content (default 1)")
    parser.add_argument(
        "--latest",
        metavar="WHEN",
        help="date of the newest generated post: 'now' or an ISO date (default: the blog's own years, 2014-2017)",
    )
    parser.add_argument(
        "--faults",
        default="",
        metavar="SPEC",
        help="faults to inject: 'all', or kinds with rates like 'server_error=0.1,slow=0.02' "
        f"(kinds: {', '.join(KINDS)})",
    )
    parser.add_argument("--slow-seconds", type=float, default=3.0, help="how long a slow answer takes (default 3)")
    parser.add_argument("--oversize-bytes", type=int, default=1_500_000, help="padding of an oversized page (default 1500000)")
    parser.add_argument("--hostile-post", action="store_true", help="one post full of scripts, event handlers and javascript: links")
    parser.add_argument("--js-index", action="store_true", help="the index list and its Load more are built by a script")
    parser.add_argument("--js-posts", type=int, default=0, metavar="K", help="K posts whose bodies are injected by a script")
    parser.add_argument("--live-entries", type=int, default=0, metavar="N", help="include the blog's live blog with N entries")
    parser.add_argument("--live-json-ld", action="store_true", help="describe the live blog's entries in JSON-LD too")
    parser.add_argument(
        "--dress", default="default", choices=sorted(DRESSES),
        help="the markup the pages are written in (same content; default: default)",
    )
    parser.add_argument("--lang", default="en", choices=sorted(PAGE_LANGUAGES),
                        help="the blog's language: its posts written in it, its pages saying so (default en)")
    parser.add_argument("--hide-from-index", type=int, default=0, metavar="K", help="leave K new posts out of the index (the feed lists them)")
    parser.add_argument(
        "--live-more", choices=LIVE_MORE_FORMS, default=None,
        help="how the live blog leads to its older entries (default: the dress's form)",
    )
    parser.add_argument("--broken-live-more", action="store_true", help="the live blog's way to older entries leads nowhere")
    parser.add_argument("--merged-posts", type=int, default=0, metavar="N", help="N posts that redirect to one story whose page fails (503)")
    parser.add_argument("--endless-index", choices=["cycle", "new"], default="", help="an index without end: its pages cycle, or every later page lists new stories")
    parser.add_argument("--stuck-load-more", action="store_true", help="a script 'Load more' (--dress articles) that stops working after one click")
    parser.add_argument("--audio-posts", type=int, default=0, metavar="K", help="K programme posts: an audio player and no text body")
    parser.add_argument("--canary", metavar="URL", help="a hostile site: pages that lead the crawler and its browser to URL (devtools.replica.hostile)")
    parser.add_argument("--second-blog", action="store_true", help="serve a second blog (/z/30101) on the same host")
    parser.add_argument("--prerender", action="store_true", help="render every page before serving (for benchmarks)")
    parser.add_argument("--log", action="store_true", help="print a line per request")
    parser.add_argument(
        "--sites", type=int, default=1, metavar="N",
        help="N sites, one per address from --host up (127.0.0.11, .12, ...), seeds from --seed up; their base URLs first, one a line",
    )
    args = parser.parse_args(argv)
    if args.posts < 1:
        parser.error("--posts must be at least 1")
    latest = None
    if args.latest:
        try:
            latest = datetime.now(timezone.utc) if args.latest == "now" else datetime.fromisoformat(args.latest)
        except ValueError:
            parser.error(f"--latest takes 'now' or an ISO date, not {args.latest!r}")
        if latest.tzinfo is None:
            latest = latest.replace(tzinfo=timezone.utc)
    try:
        faults = FaultPlan(
            seed=args.seed, rates=parse_faults(args.faults), slow_seconds=args.slow_seconds, oversize_bytes=args.oversize_bytes
        )
    except ValueError as error:
        parser.error(str(error))
    if not 1 <= args.sites <= 200:
        parser.error("--sites takes 1 to 200")
    host_parts = args.host.split(".")
    if args.sites > 1 and (len(host_parts) != 4 or int(host_parts[3]) + args.sites > 255):
        parser.error("--sites needs an IPv4 --host with room for N addresses after it")
    replicas = []
    for number in range(args.sites):
        host = args.host if args.sites == 1 else ".".join(host_parts[:3] + [str(int(host_parts[3]) + number)])
        try:
            replicas.append(Replica(
                posts=args.posts,
                seed=args.seed + number,
                host=host,
                port=args.port,
                log_requests=args.log,
                latest=latest,
                faults=faults,
                hostile_post=args.hostile_post,
                js_index=args.js_index,
                js_posts=args.js_posts,
                live_entries=args.live_entries,
                live_json_ld=args.live_json_ld,
                second_blog=args.second_blog,
                dress=args.dress,
                lang=args.lang,
                hidden_from_index=args.hide_from_index,
                stuck_load_more=args.stuck_load_more,
                live_more=args.live_more,
                broken_live_more=args.broken_live_more,
                merged_posts=args.merged_posts,
                endless_index=args.endless_index,
                audio_posts=args.audio_posts,
                canary=args.canary,
            ))
        except OSError as error:
            print(f"replica: cannot listen on {host}:{args.port}: {error.strerror or error}", file=sys.stderr)
            return 2
    for replica in replicas:
        if args.prerender:
            replica.prerender()
    replica = replicas[0]
    if len(replicas) > 1:
        for other in replicas:
            print(other.base_url, flush=True)
    print(replica.base_url, flush=True)
    print(f"blog index: {replica.index_url} ({len(replica.site.posts)} posts, {replica.site.page_count} index pages)", flush=True)
    print("changes: POST /_admin/add?count=N, /_admin/edit?id=ID, /_admin/delete?id=ID", flush=True)
    # How to crawl it fast: the crawler's defaults are polite (a second between requests),
    # which a local replica does not need.
    print("crawl it (politeness off, for this local replica only):", flush=True)
    print("  " + shlex.join(crawl_command(replica.index_url, "data/replica.db", executable=".venv/bin/python")), flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    for replica in replicas:
        replica.start()
    stop.wait()
    for replica in replicas:
        replica.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
