"""Every page the crawl reads, kept as it was served, in WARC files (ISO 28500) written
with warcio.

- Each response gets its ``request`` and ``response`` records (WARC-Date, target URI,
  block and payload digests). A 304, or a 200 whose payload is the one already kept for
  the URL, is a ``revisit`` record (identical-payload-digest profile) that refers to the
  capture holding the bytes: the URL's own, or for a 304 the stored version's capture,
  which may be of another address of the post (``WARC-Refers-To-Target-URI`` names it).
- A page read in the browser gets the DOM the parser read as a ``conversion`` record that
  refers to the page's own response (a ``resource`` record when the run fetched it only in
  the browser).
- Files go to ``WARC_DIR`` (by default ``<archive>.warc/`` beside the archive), one gzip
  member per record, a new file at each run and at ``WARC_MAX_BYTES``; each file starts
  with a ``warcinfo`` record naming the software and the run.
- A record is written whole or not at all: each is serialized first, appended with one
  write, and cut off again when the write fails. A write that fails (a full disk) stops
  the run, as a failed archive write does.

The middleware sits below the redirect and decompression middlewares, so it sees what
the site sent: redirects as redirects, compressed bodies as they came. Each capture is
announced with ``capture_written`` (the store keeps its row in ``captures``), and the
request's meta gets ``warc_capture`` (the record holding the bytes the parser reads) and
``fetched_at``.
"""

from __future__ import annotations

import http
import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .dates import warc_date_to_iso
from .run import run_started

logger = logging.getLogger(__name__)

# Sent with ``captures=[Capture, ...]`` for records that hold or name a page's payload.
capture_written = object()
# Sent by the spider with ``request`` and ``html`` when it read a page's DOM in the browser.
dom_read = object()

DEFAULT_MAX_BYTES = 1_000_000_000
SOFTWARE = "pangea-archive (Scrapy, warcio)"


@dataclass(frozen=True)
class Capture:
    """Where one capture is: what the ``captures`` table keeps of a WARC record."""

    record_id: str
    run_id: int | None
    warc_file: str
    offset: int
    length: int
    warc_type: str
    url: str
    fetched_at: str
    status: int | None
    payload_digest: str | None
    refers_to: str | None

    def row(self) -> dict:
        return asdict(self)


def default_warc_dir(sqlite_path: str | Path) -> Path:
    return Path(f"{sqlite_path}.warc")


class WarcFiles:
    """The run's WARC files: appends records whole, starts a new file at the size limit."""

    def __init__(self, directory: Path, stem: str, max_bytes: int, info: dict):
        self.directory = directory
        self.stem = stem
        self.max_bytes = max_bytes
        self.info = info
        self.serial = 0
        self.fd: int | None = None
        self.name = ""
        self.size = 0
        self.names: list[str] = []

    def _open_next(self) -> None:
        self.close()
        self.serial += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name = f"{self.stem}-{self.serial:05d}.warc.gz"
        # O_EXCL: a file is never written by two runs; a run that was killed leaves its
        # files as they were, readable up to their last whole record.
        self.fd = os.open(self.directory / self.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self.size = 0
        self.names.append(self.name)
        buffer = BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        writer.write_record(writer.create_warcinfo_record(self.name, self.info))
        self._append(buffer.getvalue())

    def _append(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
        except OSError:
            os.ftruncate(self.fd, self.size)  # the record is taken back whole
            raise
        self.size += len(data)

    def write(self, writer_records: list) -> list[tuple[str, int, int]]:
        """Append records (serialized together, written with one call); their file, offset and length."""
        buffer = BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        spans = []
        for record in writer_records:
            start = buffer.tell()
            writer.write_record(record)
            spans.append((start, buffer.tell() - start))
        data = buffer.getvalue()
        if self.fd is None or (self.size + len(data) > self.max_bytes and self.size > 0):
            self._open_next()
        offset = self.size
        self._append(data)
        return [(self.name, offset + start, length) for start, length in spans]

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _http_headers(headers) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


class WarcMiddleware:
    """A downloader middleware that writes every response the crawl reads to WARC files."""

    def __init__(self, crawler, directory: Path, max_bytes: int):
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory = directory
        self.max_bytes = max_bytes
        self.facts = None
        self.files: WarcFiles | None = None
        self.builder = WARCWriter(BytesIO(), gzip=True)  # builds records; files write them
        self.switched_on = True  # WARC_ENABLED
        self.enabled = False  # until the run opens
        self.failed = False
        # This run's latest capture of each URL it fetched; the archive's are looked up.
        self.kept: dict[str, tuple[str, str, str]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        directory = settings.get("WARC_DIR") or (default_warc_dir(settings["SQLITE_PATH"]) if settings.get("SQLITE_PATH") else None)
        if not directory:
            raise NotConfigured("neither WARC_DIR nor SQLITE_PATH is set")
        middleware = cls(crawler, Path(directory), settings.getint("WARC_MAX_BYTES", DEFAULT_MAX_BYTES))
        middleware.switched_on = settings.getbool("WARC_ENABLED", True)
        crawler.signals.connect(middleware.run_started, signal=run_started)
        crawler.signals.connect(middleware.dom_read, signal=dom_read)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def run_started(self, facts) -> None:
        self.facts = facts
        # A re-extraction reads WARC files; it writes none.
        self.enabled = self.switched_on and facts.arguments.mode != "reextract"

    def _files(self) -> WarcFiles:
        if self.files is None:
            run_id = getattr(self.facts, "run_id", None)
            started = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
            stem = f"pangea-{started}-run{run_id if run_id is not None else 0}"
            arguments = self.facts.arguments if self.facts is not None else None
            info = {
                "software": SOFTWARE,
                "format": "WARC File Format 1.0",
                "isPartOf": f"run {run_id}",
                "description": (
                    f"crawl of {', '.join(blog.start_url for blog in self.facts.blogs)} (mode {arguments.mode})" if arguments else "crawl"
                ),
                "robots": "obey",
            }
            if self.facts is not None and self.facts.blogs:
                # The run's blogs, one field: a rebuild from these files alone knows what to walk.
                info["pangea-blogs"] = " ".join(blog.start_url for blog in self.facts.blogs)
            self.files = WarcFiles(self.directory, stem, self.max_bytes, info)
        return self.files

    def _kept_of(self, uri: str):
        """The latest capture of ``uri`` holding a 200 payload: this run's, else the archive's
        (looked up by URL)."""
        found = self.kept.get(uri)
        if found is None and self.facts is not None and getattr(self.facts, "captures", None) is not None:
            found = self.facts.captures.get(uri)
        return found

    def _validated(self, request):
        """(URI, (record id, digest, WARC-Date)) of the capture a conditional request's
        validators came from, or (None, None)."""
        record_id = request.meta.get("validated_capture")
        captures = getattr(self.facts, "captures", None) if self.facts is not None else None
        found = captures.payload_of(record_id) if record_id and captures is not None else None
        if found is None:
            return None, None
        return found[3], found[:3]

    def process_response(self, request, response, spider=None):
        if self.failed:
            # No page is stored without its capture: after a failed write, none comes through.
            raise IgnoreRequest("not kept: the WARC files cannot be written")
        if not self.enabled or request.meta.get("playwright") or self.facts is None:
            return response
        try:
            capture = self._record_response(request, response)
        except OSError as error:
            self._write_failed(error)
            raise IgnoreRequest(f"not kept: {error}") from None
        request.meta["warc_capture"] = capture.refers_to if capture.warc_type == "revisit" else capture.record_id
        request.meta["fetched_at"] = capture.fetched_at
        return response

    def _request_record(self, request, uri: str):
        parts = urlsplit(uri)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [("Host", parts.netloc)] + _http_headers(request.headers)
        http_headers = StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)
        body = request.body or b""
        return self.builder.create_warc_record(uri, "request", payload=BytesIO(body), length=len(body), http_headers=http_headers)

    def _record_response(self, request, response) -> Capture:
        uri = response.url
        body = response.body
        try:
            phrase = http.HTTPStatus(response.status).phrase
        except ValueError:
            phrase = "Unknown"
        headers = [
            (name, value) for name, value in _http_headers(response.headers)
            if name.lower() not in ("transfer-encoding", "content-length")
        ]
        headers.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{response.status} {phrase}", headers, protocol="HTTP/1.1")
        # With its length given, warcio digests the payload in place (no spooled copy).
        record = self.builder.create_warc_record(uri, "response", payload=BytesIO(body), length=len(body), http_headers=http_headers)
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        kept = self._kept_of(uri)
        kept_uri = uri
        if response.status == 304 and kept is None:
            # Not modified, and this address holds no payload: the one the request's
            # validators came from (the stored version's capture, of another address).
            kept_uri, kept = self._validated(request)
        refers_to = None
        if kept is not None and (response.status == 304 or (response.status == 200 and kept[1] == digest)):
            # The payload is the one already kept: a revisit that names its capture.
            record = self.builder.create_revisit_record(
                uri, kept[1], kept_uri, kept[2], http_headers=http_headers,
                warc_headers_dict={"WARC-Refers-To": kept[0]},
            )
            refers_to, digest = kept[0], kept[1]
        request_record = self._request_record(request, uri)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        date = record.rec_headers.get_header("WARC-Date")
        request_record.rec_headers.replace_header("WARC-Date", date)
        request_record.rec_headers.add_header("WARC-Concurrent-To", record_id)
        (name, offset, length), _ = self._files().write([record, request_record])
        capture = Capture(
            record_id=record_id, run_id=getattr(self.facts, "run_id", None), warc_file=name, offset=offset, length=length,
            warc_type=record.rec_type, url=uri, fetched_at=warc_date_to_iso(date), status=response.status,
            payload_digest=digest, refers_to=refers_to,
        )
        if capture.warc_type == "response" and response.status == 200:
            self.kept[uri] = (record_id, digest, date)
        self._announce(capture)
        return capture

    def dom_read(self, request, html: str) -> None:
        """The DOM a parser read in the browser: a conversion record of the page's response."""
        if not self.enabled or self.facts is None:
            return
        if self.failed:
            request.meta["warc_not_kept"] = True  # the spider stores no page without its capture
            return
        uri = request.url
        original = self._kept_of(uri)
        headers = {"WARC-Refers-To": original[0]} if original is not None else {}
        kind = "conversion" if original is not None else "resource"
        dom = html.encode("utf-8")
        record = self.builder.create_warc_record(
            uri, kind, payload=BytesIO(dom), length=len(dom), warc_content_type="text/html; charset=utf-8",
            warc_headers_dict=headers,
        )
        try:
            [(name, offset, length)] = self._files().write([record])
        except OSError as error:
            self._write_failed(error)
            request.meta["warc_not_kept"] = True
            return
        date = record.rec_headers.get_header("WARC-Date")
        capture = Capture(
            record_id=record.rec_headers.get_header("WARC-Record-ID"), run_id=getattr(self.facts, "run_id", None),
            warc_file=name, offset=offset, length=length, warc_type=kind, url=uri, fetched_at=warc_date_to_iso(date),
            status=None, payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
            refers_to=original[0] if original is not None else None,
        )
        request.meta["warc_capture"] = capture.record_id
        request.meta["fetched_at"] = capture.fetched_at
        self._announce(capture)

    def _announce(self, capture: Capture) -> None:
        self.stats.inc_value(f"pangea/warc/{capture.warc_type}")
        self.stats.inc_value("pangea/warc/bytes", capture.length)
        self.crawler.signals.send_catch_log(signal=capture_written, captures=[capture])

    def _write_failed(self, error: OSError) -> None:
        """A WARC file cannot be written: the page is not stored, and the run stops."""
        if self.failed:
            return
        self.failed = True
        # One line per run: when the archive failed first (the same full disk), this follows from it.
        log = logger.info if self.stats.get_value("pangea/write_failed") else logger.error
        self.stats.set_value("pangea/write_failed", "warc")
        log(
            "cannot write the WARC files in %s: %s; the run stops here, and the next run goes on from what is stored",
            self.directory, error.strerror or error,
        )
        self.stats.set_value("pangea/run_status", "failed")
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_write_failed"))

    def close(self, spider=None, reason=None) -> None:
        if self.files is not None:
            self.files.close()
            self.stats.set_value("pangea/warc/files", list(self.files.names))
