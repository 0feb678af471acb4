"""``python -m devtools.savefixture NAME ...``: save a page and the parser's output as a golden file.

In the manner of scrapy-poet's ``savefixture``: the page, its URL and what the parser
makes of it go to ``tests/fixtures/golden/NAME/`` for review; from then on the golden
test fails when the parser's output for that page changes, and the diff of
``output.json`` is what a reviewer reads.

    python -m devtools.savefixture voa-child-care --file page.html --url https://www.voanews.com/a/.../7585813.html
    python -m devtools.savefixture some-post --url https://www.rferl.org/a/some-post/26829775.html
    python -m devtools.savefixture replica-seed --replica 26829775 --seed 1
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from dataclasses import asdict
from pathlib import Path

from crawler.items import ADDED_FIELDS
from crawler.pages.post import PostPage

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "golden"
# Fields the spider and pipelines set, not the parser.
NOT_PARSED = ADDED_FIELDS
REPLICA_BASE_URL = "https://www.rferl.org"


def parse_output(url: str, html: bytes) -> dict:
    post = PostPage(url, html).to_item()
    if post is None:
        raise SystemExit(f"savefixture: {url} is not a post page")
    output = asdict(post)
    for name in NOT_PARSED:
        output.pop(name, None)
    return output


def page_of(folder: Path) -> bytes:
    """A golden file's page: ``page.html``, or the file ``meta.json`` points to (shared fixtures)."""
    meta = json.loads((folder / "meta.json").read_text())
    return (folder / meta.get("page", "page.html")).read_bytes()


def save(name: str, url: str, html: bytes, golden: Path = GOLDEN) -> Path:
    folder = golden / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "page.html").write_bytes(html)
    (folder / "meta.json").write_text(json.dumps({"url": url}, indent=2) + "\n")
    (folder / "output.json").write_text(json.dumps(parse_output(url, html), indent=2, ensure_ascii=False) + "\n")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.savefixture", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="folder name under tests/fixtures/golden")
    parser.add_argument("--url", help="the page's URL (fetched unless --file is given)")
    parser.add_argument("--file", type=Path, help="read the page from this file instead of fetching --url")
    parser.add_argument("--replica", type=int, metavar="POST_ID", help="render this post of the replica instead")
    parser.add_argument("--seed", type=int, default=1, help="replica seed (default 1)")
    parser.add_argument("--posts", type=int, default=300, help="replica size (default 300)")
    args = parser.parse_args(argv)
    if args.replica is not None:
        from .replica.content import Site
        from .replica.pages import Renderer

        site = Site(posts=args.posts, seed=args.seed)
        spec = site.by_id.get(args.replica)
        if spec is None:
            parser.error(f"the replica (seed {args.seed}, {args.posts} posts) has no post {args.replica}")
        url = REPLICA_BASE_URL + spec.path
        html = Renderer(site, REPLICA_BASE_URL).post(spec).encode("utf-8")
    elif args.url and args.file:
        url, html = args.url, args.file.read_bytes()
    elif args.url:
        url = args.url
        with urllib.request.urlopen(url, timeout=30) as response:
            html = response.read()
    else:
        parser.error("give --url, --file with --url, or --replica")
    folder = save(args.name, url, html)
    print(f"saved {folder}: review output.json, then commit it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
