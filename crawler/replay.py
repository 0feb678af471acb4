"""Re-extraction (``-a mode=reextract``): the crawl runs again over its own WARC files.

``WarcIndex`` reads the files once (warcio): per URL, the latest response holding a page
(the latest of any status when none does) and the latest DOM read in the browser; per
post, the URL whose response is the latest of all the post's addresses (a post is
fetched as ``/a/<id>.html`` one run and under its slug the next). The
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
import sqlite3
import tempfile
import weakref
import zlib
from dataclasses import dataclass
from pathlib import Path

from scrapy import signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.http import Headers, HtmlResponse
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from .dates import warc_date_to_iso
from .paths import UnsafePath, file_in
from .urls import article_id_from_url, canonical_post_url, is_post_url, site_key
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
    """What the WARC files hold, read once and kept in a temporary SQLite file (in the
    system's temporary folder, ``TMPDIR``; removed when the run ends), never in memory: a
    re-extraction of a million pages holds one record at a time.
    ``plain`` and ``rendered`` find a URL's record by key; ``captures`` iterates every
    record used, in the order the files hold them."""

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
        self._place = tempfile.TemporaryDirectory(prefix="pangea-warc-index-")
        self.db = sqlite3.connect(Path(self._place.name) / "index.db", check_same_thread=False, isolation_level=None)
        self.db.executescript(_INDEX_SCHEMA)
        # The file goes when the run closes the index, or when the index is no longer used.
        self._finalizer = weakref.finalize(self, _remove_index, self.db, self._place)
        self.plain = _Kept(self, "warc_type = 'response'", _BEST_RESPONSE)
        self.rendered = _Kept(self, "warc_type IN ('conversion', 'resource')", "date DESC, ord DESC")
        self.captures = _Captures(self)
        self.records = 0
        self.announced = False
        self._order = 0
        self.db.execute("BEGIN")
        for number, path in enumerate(self.files):
            self.records += self._read(number, path)
        self.db.execute("COMMIT")
        self.damaged = len(self.problems)
        self.problems.extend(self.refused)

    def close(self) -> None:
        self._finalizer()

    def _read(self, number: int, path: Path) -> int:
        """The records of one file, up to the first damage; how many are used."""
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
                    self._order += 1
                    url = headers.get_header("WARC-Target-URI")
                    if not url or not headers.get_header("WARC-Date") or not headers.get_header("WARC-Record-ID"):
                        raise DamagedRecord(f"the record at offset {offset} has no target URI, date or id")
                    stored = Stored(
                        path, offset, length, headers.get_header("WARC-Record-ID"), kind, url,
                        headers.get_header("WARC-Date"), status, self._order, encoded,
                    )
                    try:
                        self._check_limits(record, stored, held)
                    except RefusedRecord as refused:
                        self.refused.append(f"{path}: the record at offset {offset} ({url}) {refused}; not used")
                        continue
                    post_site, post_id = _post_of(url) if kind == "response" else (None, None)
                    self.db.execute(
                        "INSERT INTO records (record_id, file, offset, length, warc_type, url, date, status, ord, encoded, usable, "
                        "run_id, fetched_at, payload_digest, refers_to, post_site, post_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [stored.record_id, number, offset, length, kind, url, stored.date, status, stored.order, encoded,
                         _usable(stored), run_id, warc_date_to_iso(stored.date), headers.get_header("WARC-Payload-Digest"),
                         headers.get_header("WARC-Refers-To"), post_site, post_id],
                    )
                    last = (offset, length, stored)
                    read += 1
            size = path.stat().st_size
            if end < size:
                # warcio stops quietly at a record cut short: what follows the last whole one is lost.
                raise DamagedRecord(f"{size - end} bytes after the record at offset {last[0]} are no record")
            if last is not None and path.name.endswith(".gz") and not _member_whole(path, last[0], last[1]):
                # The last record cut short where warcio could not tell (a revisit has no digest to check).
                if last[2] is not None:
                    self._forget(last[2].record_id)
                    read -= 1
                raise DamagedRecord(f"the record at offset {last[0]} is cut short")
        except Exception as error:  # warcio and zlib raise many kinds for a damaged file
            self.problems.append(f"{path}: damaged or truncated ({_first_line_of(error)}); the {read} records before it are used")
        return read

    def _check_limits(self, record, stored: Stored, held: int) -> None:
        """The crawl's own limits on what a record holds: its payload's size (decompressed),
        the length it declares against the bytes it holds, one record per record id."""
        if self.max_size and held > self.max_size:
            raise RefusedRecord(f"holds {held} bytes, more than the {self.max_size} a page may have (DOWNLOAD_MAXSIZE)")
        short = _unread(record.raw_stream)
        if short:
            # Cut short, or lying about its length: the file is damaged from here on.
            raise DamagedRecord(f"the record at offset {stored.offset} declares {record.length} bytes and holds {short} fewer")
        kept, refused = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM records WHERE record_id = ?1), EXISTS (SELECT 1 FROM refused_ids WHERE record_id = ?1)",
            [stored.record_id],
        ).fetchone()
        if kept or refused:
            if kept:
                self._forget(stored.record_id)
            raise RefusedRecord(f"has the record id {stored.record_id} of another record (neither is used)")

    def _forget(self, record_id: str) -> None:
        """Take back a record found damaged, or sharing its id, after it was kept."""
        self.db.execute("DELETE FROM records WHERE record_id = ?", [record_id])
        self.db.execute("INSERT OR IGNORE INTO refused_ids (record_id) VALUES (?)", [record_id])

    def _stored(self, row) -> Stored:
        file, offset, length, record_id, warc_type, url, date, status, order, encoded = row
        return Stored(self.files[file], offset, length, record_id, warc_type, url, date, status, order, bool(encoded))


def _remove_index(db: sqlite3.Connection, place: tempfile.TemporaryDirectory) -> None:
    db.close()
    place.cleanup()


_INDEX_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE records (
  record_id TEXT PRIMARY KEY, file INTEGER, offset INTEGER, length INTEGER, warc_type TEXT, url TEXT, date TEXT,
  status INTEGER, ord INTEGER, encoded INTEGER, usable INTEGER, run_id INTEGER, fetched_at TEXT, payload_digest TEXT,
  refers_to TEXT, post_site TEXT, post_id INTEGER
);
CREATE INDEX records_by_url ON records (url, warc_type);
CREATE INDEX records_by_post ON records (post_site, post_id) WHERE post_id IS NOT NULL;
CREATE UNIQUE INDEX records_in_order ON records (ord);
CREATE TABLE refused_ids (record_id TEXT PRIMARY KEY);
"""
_STORED = "file, offset, length, record_id, warc_type, url, date, status, ord, encoded"
# The response a page is answered with: one that holds a page first, then the latest (at
# equal dates, the one read later).
_BEST_RESPONSE = "usable DESC, date DESC, ord DESC"


def _post_of(url: str) -> tuple[str | None, int | None]:
    """The post whose page a response at ``url`` is: a URL the crawl asks a post by (its
    ``/a/`` form, with or without the slug; not a live blog's older page, ``?p=2``)."""
    post_id = article_id_from_url(url)
    if post_id is None or not is_post_url(url) or canonical_post_url(url) != url:
        return None, None
    return site_key(url), post_id


class _Kept:
    """The record a URL is answered with, of one kind (a page as fetched, or the DOM read in
    the browser), found by key in the index's file."""

    def __init__(self, index: WarcIndex, kinds: str, best: str):
        self.index, self.kinds, self.best = index, kinds, best

    def get(self, url: str) -> Stored | None:
        row = self.index.db.execute(
            f"SELECT {_STORED} FROM records WHERE url = ? AND {self.kinds} ORDER BY {self.best} LIMIT 1", [url]
        ).fetchone()
        return self.index._stored(row) if row else None

    def __getitem__(self, url: str) -> Stored:
        found = self.get(url)
        if found is None:
            raise KeyError(url)
        return found

    def __contains__(self, url: str) -> bool:
        return self.get(url) is not None

    def __iter__(self):
        """Every URL, in order, read a batch at a time."""
        after = ""
        while True:
            batch = [row[0] for row in self.index.db.execute(
                f"SELECT DISTINCT url FROM records WHERE url > ? AND {self.kinds} ORDER BY url LIMIT 1000", [after]
            )]
            yield from batch
            if len(batch) < 1000:
                return
            after = batch[-1]

    def __len__(self) -> int:
        return self.index.db.execute(f"SELECT count(DISTINCT url) FROM records WHERE {self.kinds}").fetchone()[0]

    def posts(self):
        """Each post the responses hold, in order of site and id, read a batch at a time:
        ``(post_id, url)``, the URL of the post's best response across all its addresses."""
        after = ("", -1)
        while True:
            keys = self.index.db.execute(
                "SELECT DISTINCT post_site, post_id FROM records WHERE post_id IS NOT NULL AND (post_site, post_id) > (?, ?) "
                "ORDER BY post_site, post_id LIMIT 1000", after,
            ).fetchall()
            for post_site, post_id in keys:
                [url] = self.index.db.execute(
                    f"SELECT url FROM records WHERE post_site = ? AND post_id = ? AND {self.kinds} ORDER BY {self.best} LIMIT 1",
                    [post_site, post_id],
                ).fetchone()
                yield post_id, url
            if len(keys) < 1000:
                return
            after = keys[-1]


class _Captures:
    """Every record used, as ``Capture``, in the order the files hold them (a batch at a time)."""

    def __init__(self, index: WarcIndex):
        self.index = index

    def batches(self, size: int = 1000):
        after = 0
        while True:
            rows = self.index.db.execute(
                "SELECT ord, record_id, run_id, file, offset, length, warc_type, url, fetched_at, status, payload_digest, refers_to "
                "FROM records WHERE ord > ? ORDER BY ord LIMIT ?", [after, size]
            ).fetchall()
            if rows:
                yield [
                    Capture(record_id=r[1], run_id=r[2], warc_file=self.index.files[r[3]].name, offset=r[4], length=r[5],
                            warc_type=r[6], url=r[7], fetched_at=r[8], status=r[9], payload_digest=r[10], refers_to=r[11])
                    for r in rows
                ]
            if len(rows) < size:
                return
            after = rows[-1][0]

    def __iter__(self):
        for batch in self.batches():
            yield from batch

    def __len__(self) -> int:
        return self.index.db.execute("SELECT count(*) FROM records").fetchone()[0]


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
    """Whether a response holds a page or leads to one: a 304 kept as a plain response
    (files written before 304s were all revisits) holds neither."""
    return stored.status is not None and stored.status < 400 and stored.status != 304


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
        crawler.signals.connect(lambda: index.close(), signal=signals.engine_stopped, weak=False)
        crawler._pangea_warc_index = index
    return index


def announce_captures(crawler, index: WarcIndex) -> None:
    """The archive learns every capture the files hold, once (a rebuilt archive has them
    all), a batch at a time."""
    if not index.announced:
        index.announced = True
        for batch in index.captures.batches():
            crawler.signals.send_catch_log(signal=capture_written, captures=batch)


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
