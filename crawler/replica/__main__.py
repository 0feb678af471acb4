"""``python -m crawler.replica``: serve a replica Pangea blog until stopped.

The first line of output is the base URL, so a script can start it and read where it is.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime, timezone

from .server import Replica


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.replica", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    parser.add_argument("--posts", type=int, default=300, help="posts of the blog, the seed post included (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated content (default 1)")
    parser.add_argument(
        "--latest",
        metavar="WHEN",
        help="date of the newest generated post: 'now' or an ISO date (default: the blog's own years, 2014-2017)",
    )
    parser.add_argument("--log", action="store_true", help="print a line per request")
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
        replica = Replica(posts=args.posts, seed=args.seed, host=args.host, port=args.port, log_requests=args.log, latest=latest)
    except OSError as error:
        print(f"replica: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(replica.base_url, flush=True)
    print(f"blog index: {replica.index_url} ({len(replica.site.posts)} posts, {replica.site.page_count} index pages)", flush=True)
    print("changes: POST /_admin/add?count=N, /_admin/edit?id=ID, /_admin/delete?id=ID", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    replica.start()
    stop.wait()
    replica.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
