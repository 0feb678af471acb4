"""Grow a crawl's WARC files to N post pages, for measuring a re-extraction at network size:
``python -m devtools.grow_warc SOURCE_DIR TARGET_DIR --copies K``.

Each post page the source files hold (a ``response`` record of a ``/a/...<id>.html`` URL
with status 200 and no content encoding) is written K more times into new files in
TARGET_DIR, under new ids: the id in its URL and every occurrence of it in the page
(canonical URL, JSON-LD, links to itself) is replaced, so that the page reads as a post of
its own. The records are new ones (their own record ids and digests, written by warcio).
The source's other records (index pages, feeds, robots.txt) are copied once, so the
re-extraction walks the blog as the crawl found it. Not a tool for a real archive: it reads
only the folder it is given and writes only into an empty one.
"""

from __future__ import annotations

import argparse
import re
import sys
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

_POST = re.compile(r"/(\d+)\.html$")
# New ids: above every id the source holds, one block per copy (wider than the source's ids
# span, so that no two clones share an id).


def grow_warc(source: Path, target: Path, copies: int, *, log=print) -> int:
    """The post pages written (the source's and their clones)."""
    files = sorted(p for p in source.iterdir() if p.name.endswith((".warc.gz", ".warc")))
    if not files:
        raise SystemExit(f"grow_warc: no WARC files in {source}")
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise SystemExit(f"grow_warc: {target} is not empty")
    step = _id_span(files) + 1
    pages = 0
    for number, path in enumerate(files):
        with path.open("rb") as stream, (target / path.name).open("wb") as out:
            writer = WARCWriter(out, gzip=True)
            clones = []
            for record in ArchiveIterator(stream):
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                body = record.raw_stream.read()
                writer.write_record(_copy(writer, record, url, body))
                match = _POST.search(url)
                if (record.rec_type == "response" and match and record.http_headers is not None
                        and record.http_headers.get_statuscode() == "200"
                        and not record.http_headers.get_header("Content-Encoding")):
                    pages += 1
                    old = match.group(1)
                    for k in range(1, copies + 1):
                        new = str(int(old) + k * step)
                        clones.append((url.replace(old, new), body.replace(old.encode(), new.encode()), record))
                    if len(clones) > 500:
                        _write_clones(writer, clones)
                        pages += len(clones)
                        clones = []
            _write_clones(writer, clones)
            pages += len(clones)
        log(f"grow_warc: {path.name} done ({pages:,} post pages so far)")
    return pages


def _id_span(files: list[Path]) -> int:
    ids = []
    for path in files:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                match = _POST.search(record.rec_headers.get_header("WARC-Target-URI") or "")
                if match:
                    ids.append(int(match.group(1)))
    return max(ids) if ids else 0


def _copy(writer: WARCWriter, record, url: str, body: bytes):
    """A record as the source has it, written anew (warcio recomputes its digests)."""
    headers = {name: value for name, value in record.rec_headers.headers
               if name not in ("WARC-Block-Digest", "WARC-Payload-Digest", "Content-Length", "WARC-Type", "WARC-Target-URI")}
    if record.http_headers is None:
        return writer.create_warc_record(url, record.rec_type, payload=BytesIO(body), length=len(body),
                                         warc_content_type=record.rec_headers.get_header("Content-Type"),
                                         warc_headers_dict=headers)
    http = StatusAndHeaders(record.http_headers.statusline,
                            [(n, str(len(body)) if n.lower() == "content-length" else v) for n, v in record.http_headers.headers],
                            protocol=record.http_headers.protocol)
    if record.rec_type == "revisit":
        return writer.create_warc_record(url, "revisit", http_headers=http, warc_headers_dict=headers)
    return writer.create_warc_record(url, record.rec_type, payload=BytesIO(body), length=len(body), http_headers=http,
                                     warc_headers_dict=headers)


def _write_clones(writer: WARCWriter, clones: list) -> None:
    for url, body, record in clones:
        headers = {name: value for name, value in record.rec_headers.headers if name in ("WARC-Date", "WARC-IP-Address")}
        http = StatusAndHeaders(record.http_headers.statusline,
                                [(n, str(len(body)) if n.lower() == "content-length" else v) for n, v in record.http_headers.headers],
                                protocol=record.http_headers.protocol)
        writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), length=len(body),
                                                      http_headers=http, warc_headers_dict=headers))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.grow_warc", description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the WARC folder of a crawl of the replica")
    parser.add_argument("target", type=Path, help="an empty folder for the grown files")
    parser.add_argument("--copies", type=int, required=True, help="clones of each post page (0: a copy of the source)")
    args = parser.parse_args(argv)
    if args.copies < 0:
        parser.error("--copies must be 0 or more")
    if not args.source.is_dir():
        parser.error(f"no folder at {args.source}")
    grow_warc(args.source, args.target, args.copies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
