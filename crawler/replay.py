"""Re-extraction (``-a mode=reextract``): the crawl runs again over its own WARC files.

``WarcIndex`` reads the files once (warcio): per URL, the latest response holding a page
(the latest of any status when none does) and the latest DOM read in the browser. The
download handler answers every request from it, the plain and the rendered alike, and
never touches the network: a request for a page that is not in the files fails as a
page that could not be fetched. A damaged or truncated file is reported in one line,
and the records before the damage are used.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.http import Headers, HtmlResponse
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from .dates import warc_date_to_iso
from .paths import UnsafePath, file_in
from .warc import Capture, capture_written

logger = logging.getLogger(__name__)

PAYLOAD_TYPES = ("response", "revisit", "conversion", "resource")


class DamagedRecord(Exception):
    """A WARC record that is not whole."""


class NotCaptured(Exception):
    """A page the WARC files do not hold."""


@dataclass(frozen=True)
class Stored:
    path: Path
    offset: int
    length: int
    record_id: str
    warc_type: str
    url: str
    date: str
    status: int | None
    order: int  # the record's place across all the files read: later is newer at equal dates
    encoded: bool = False  # the payload has a Content-Encoding (the downloader's middleware decodes it)


def warc_files(paths: list[Path]) -> list[Path]:
    """The WARC files named: files as they are, folders by their ``*.warc.gz`` / ``*.warc``."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.name.endswith((".warc.gz", ".warc"))))
        elif path.exists():
            found.append(path)
    return found


def _unread(stream) -> int:
    """The bytes a record declared and its file did not hold (warcio reads a record through a
    ``LimitReader`` of its declared length, which keeps what is left to read)."""
    for _ in range(4):
        if isinstance(stream, LimitReader):
            return stream.limit
        stream = getattr(stream, "stream", None)
    return 0


class RefusedRecord(Exception):
    """A record the re-extraction does not use, whatever else the file holds."""


def _first_line_of(error: Exception) -> str:
    """What an error says, in one line, never quoting a file that is not a WARC file
    (warcio's message for one shows its first line)."""
    if isinstance(error, ArchiveLoadFailed):
        return "not a WARC file"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if "first line" not in text.lower() else "not a WARC file"


class WarcIndex:
    def __init__(self, paths: list[Path], max_size: int = 0):
        """``max_size``: the most bytes a record's payload may hold (the crawl's
        ``DOWNLOAD_MAXSIZE``; 0 for no limit)."""
        self.files = []
        self.problems: list[str] = []
        for path in warc_files(paths):
            try:
                file_in(path.parent, path.name)
            except UnsafePath:
                self.problems.append(f"{path}: a link to a file elsewhere; not read")
                continue
            self.files.append(path)
        self.max_size = max_size
        self.refused: list[str] = []  # one line for each record not used (limits, a record id twice)
        ids: dict[str, Stored | None] = {}
        self.plain: dict[str, Stored] = {}
        self.rendered: dict[str, Stored] = {}
        self.captures: list[Capture] = []
        self.records = 0
        self.announced = False
        order = 0
        for path in self.files:
            run_id = None
            read = 0
            end = 0
            last = None
            try:
                # warcio writes its warnings to stderr; here they are part of the one line a file gets.
                with path.open("rb") as stream, contextlib.redirect_stderr(io.StringIO()) as warnings:
                    records = ArchiveIterator(stream, check_digests=True)
                    for record in records:
                        kind = record.rec_type
                        headers = record.rec_headers
                        status = None
                        encoded = False
                        if kind == "warcinfo":
                            match = re.search(rb"isPartOf: run (\d+)", record.content_stream().read())
                            run_id = int(match.group(1)) if match else None
                        elif kind in PAYLOAD_TYPES and record.http_headers is not None:
                            status = int(record.http_headers.get_statuscode())
                            encoded = bool(record.http_headers.get_header("Content-Encoding"))
                        held = 0
                        while True:  # the payload, counted as it inflates: never held whole
                            chunk = record.raw_stream.read(1 << 16)
                            if not chunk:
                                break
                            held += len(chunk)
                        # Offset and length, once the iterator has passed the record.
                        records.read_to_end(record)
                        offset = records.get_record_offset()
                        length = records.get_record_length()
                        if warnings.getvalue():
                            raise DamagedRecord(f"before offset {offset}: {warnings.getvalue().strip().splitlines()[0]}")
                        # warcio checks no revisit's digests: a revisit has no payload of its own.
                        checked = kind != "revisit" and headers.get_header("WARC-Block-Digest")
                        if checked and record.digest_checker.passed is not True:
                            # Cut short (its digest could not be checked) or altered: this
                            # record and what follows it are not used.
                            what = "cut short" if record.digest_checker.passed is None else "altered (its digest does not match)"
                            raise DamagedRecord(f"the record at offset {offset} is {what}")
                        end = offset + length
                        last = (offset, length, None)
                        if kind not in PAYLOAD_TYPES:
                            continue
                        order += 1
                        url = headers.get_header("WARC-Target-URI")
                        if not url or not headers.get_header("WARC-Date") or not headers.get_header("WARC-Record-ID"):
                            raise DamagedRecord(f"the record at offset {offset} has no target URI, date or id")
                        stored = Stored(
                            path, offset, length, headers.get_header("WARC-Record-ID"), kind, url,
                            headers.get_header("WARC-Date"), status, order, encoded,
                        )
                        try:
                            self._check_limits(record, stored, held, ids)
                        except RefusedRecord as refused:
                            self.refused.append(f"{path}: the record at offset {offset} ({url}) {refused}; not used")
                            continue
                        self._keep(stored)
                        last = (offset, length, stored)
                        self.captures.append(
                            Capture(
                                record_id=stored.record_id, run_id=run_id, warc_file=path.name, offset=offset,
                                length=length, warc_type=kind, url=url, fetched_at=warc_date_to_iso(stored.date),
                                status=status, payload_digest=headers.get_header("WARC-Payload-Digest"),
                                refers_to=headers.get_header("WARC-Refers-To"),
                            )
                        )
                        read += 1
                size = path.stat().st_size
                if end < size:
                    # warcio stops quietly at a record cut short: what follows the last whole one is lost.
                    raise DamagedRecord(f"{size - end} bytes after the record at offset {last[0]} are no record")
                if last is not None and path.name.endswith(".gz") and not _member_whole(path, last[0], last[1]):
                    # The last record cut short where warcio could not tell (a revisit has no digest to check).
                    if last[2] is not None:
                        self._forget(last[2])
                        read -= 1
                    raise DamagedRecord(f"the record at offset {last[0]} is cut short")
            except Exception as error:  # warcio and zlib raise many kinds for a damaged file
                self.problems.append(f"{path}: damaged or truncated ({_first_line_of(error)}); the {read} records before it are used")
            self.records += read
        self.damaged = len(self.problems)
        self.problems.extend(self.refused)

    def _check_limits(self, record, stored: Stored, held: int, ids: dict) -> None:
        """The crawl's own limits on what a record holds: its payload's size (decompressed),
        the length it declares against the bytes it holds, one record per record id."""
        if self.max_size and held > self.max_size:
            raise RefusedRecord(f"holds {held} bytes, more than the {self.max_size} a page may have (DOWNLOAD_MAXSIZE)")
        short = _unread(record.raw_stream)
        if short:
            # Cut short, or lying about its length: the file is damaged from here on.
            raise DamagedRecord(f"the record at offset {stored.offset} declares {record.length} bytes and holds {short} fewer")
        if stored.record_id in ids:
            earlier = ids[stored.record_id]
            if earlier is not None:
                self._forget(earlier)
                ids[stored.record_id] = None
            raise RefusedRecord(f"has the record id {stored.record_id} of another record (neither is used)")
        ids[stored.record_id] = stored

    def _forget(self, stored: Stored) -> None:
        """Take back a record found damaged after it was kept."""
        self.captures = [c for c in self.captures if c.record_id != stored.record_id]
        for kept in (self.plain, self.rendered):
            if kept.get(stored.url) is stored:
                del kept[stored.url]

    def _keep(self, stored: Stored) -> None:
        if stored.warc_type in ("conversion", "resource"):
            self.rendered[stored.url] = _newer(self.rendered.get(stored.url), stored)
        elif stored.warc_type == "response":
            current = self.plain.get(stored.url)
            # A page beats an error, whatever their dates; otherwise the newer one.
            if current is None or _usable(stored) > _usable(current) or (
                _usable(stored) == _usable(current) and _newer(current, stored) is stored
            ):
                self.plain[stored.url] = stored


def load_stored(stored: Stored) -> tuple[int, list[tuple[str, str]], bytes]:
    """A record's status, HTTP headers and payload as the site sent it (still encoded)."""
    with stored.path.open("rb") as stream:
        stream.seek(stored.offset)
        record = next(iter(ArchiveIterator(stream)))
        if record.rec_headers.get_header("WARC-Record-ID") != stored.record_id:
            raise RefusedRecord(f"the record at offset {stored.offset} of {stored.path.name} is not {stored.record_id}")
        body = record.raw_stream.read()
        if record.http_headers is None:  # a DOM read in the browser
            return 200, [("Content-Type", record.rec_headers.get_header("Content-Type") or "text/html")], body
        status = int(record.http_headers.get_statuscode())
        return status, list(record.http_headers.headers), body


def _member_whole(path: Path, offset: int, length: int) -> bool:
    """Whether the gzip member at ``offset`` ends where it should (a record written whole)."""
    with path.open("rb") as stream:
        stream.seek(offset)
        data = stream.read(length)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflater.decompress(data)
    except zlib.error:
        return False
    return inflater.eof


def _usable(stored: Stored) -> bool:
    return stored.status is not None and stored.status < 400


def _newer(current: Stored | None, candidate: Stored) -> Stored:
    if current is None or (candidate.date, candidate.order) >= (current.date, current.order):
        return candidate
    return current


_DESCRIBED_BLOGS = re.compile(r"^crawl of (.+) \(mode \w+\)$")


def blogs_named(files: list[Path]) -> list[tuple[str, Path]]:
    """The blog index URLs the files' ``warcinfo`` records name as their runs' blogs (the
    ``pangea-blogs`` field, or the description of files written before it), each once, in
    the order of the files; with the file that named each. Only each file's first record
    is read."""
    named: dict[str, Path] = {}
    for path in files:
        try:
            with path.open("rb") as stream, contextlib.redirect_stderr(io.StringIO()):
                record = next(iter(ArchiveIterator(stream)), None)
                if record is None or record.rec_type != "warcinfo":
                    continue
                fields = {}
                for line in record.content_stream().read(65536).decode("utf-8", "replace").splitlines():
                    name, colon, value = line.partition(":")
                    if colon:
                        fields.setdefault(name.strip().lower(), value.strip())
        except Exception:  # noqa: BLE001 - a damaged file is the index's to report, with its line
            continue
        urls = fields.get("pangea-blogs", "").split()
        if not urls:
            described = _DESCRIBED_BLOGS.match(fields.get("description", ""))
            urls = [part.strip() for part in described.group(1).split(", ")] if described else []
        for url in urls:
            named.setdefault(url, path)
    return list(named.items())


def replay_index(crawler) -> WarcIndex:
    """The run's WARC index, read once (the handler and the spider share it)."""
    index = getattr(crawler, "_pangea_warc_index", None)
    if index is None:
        paths = [Path(p) for p in crawler.settings.getlist("WARC_REPLAY_PATHS")]
        index = WarcIndex(paths, max_size=crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        for problem in index.problems:
            logger.error("WARC file %s", problem)
        crawler.stats.set_value("pangea/warc/replay_records", index.records)
        crawler.stats.set_value("pangea/warc/damaged_files", index.damaged)
        crawler.stats.set_value("pangea/warc/refused_records", len(index.refused))
        crawler._pangea_warc_index = index
    return index


def announce_captures(crawler, index: WarcIndex) -> None:
    """The archive learns every capture the files hold, once (a rebuilt archive has them all)."""
    if not index.announced:
        index.announced = True
        crawler.signals.send_catch_log(signal=capture_written, captures=index.captures)


def replayed_response(index: WarcIndex, request, stats=None):
    """The response the WARC files hold for ``request`` (the DOM read in the browser for a
    rendered request, where there is one), or None; the request's meta gets the capture."""
    stored = index.rendered.get(request.url) if request.meta.get("playwright") else None
    stored = stored or index.plain.get(request.url)
    if stored is None:
        return None
    status, header_list, body = load_stored(stored)
    headers = Headers()
    for name, value in header_list:
        headers.appendlist(name, value)
    request.meta["warc_capture"] = stored.record_id
    request.meta["fetched_at"] = warc_date_to_iso(stored.date)
    if stats is not None:
        stats.inc_value("pangea/warc/replayed")
    content_type = headers.get("Content-Type", b"").lower()
    # A page's type from its header at once; anything else as Scrapy would guess it.
    cls = HtmlResponse if b"html" in content_type else responsetypes.from_args(headers=headers, url=request.url, body=body)
    return cls(url=request.url, status=status, headers=headers, body=body, request=request, flags=["warc"])


class WarcReplayHandler(BaseDownloadHandler):
    """Answers every request from the WARC files; 0 requests reach the network."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.index = replay_index(crawler)

    async def download_request(self, request, spider=None):
        announce_captures(self.crawler, self.index)
        response = replayed_response(self.index, request, self.crawler.stats)
        if response is None:
            self.crawler.stats.inc_value("pangea/warc/replay_not_captured")
            raise NotCaptured(f"{request.url} is not in the WARC files")
        return response
