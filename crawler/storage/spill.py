"""What a run remembers of the posts it met (the ids asked for, the posts as first found,
the index pages read), held in memory up to a bound and in a temporary SQLite file past it.

A cron run meets a few pages and keeps them in memory. A first crawl, a backfill or a
re-extraction meets every post of the archive: past ``keys_in_memory`` keys, a set or a
mapping moves to a table of the run's temporary file (in ``TMPDIR``, removed when the run
ends), and each later use is one lookup by primary key. What a run holds in memory then
stays flat in the number of posts.

One ``RunMemory`` per crawl (``run_memory(crawler)``); its sets and mappings are used
from the crawl's own thread.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import sqlite3
import tempfile
import weakref
from pathlib import Path

KEYS_IN_MEMORY = 10_000
logger = logging.getLogger(__name__)


def _key(key) -> str:
    """One text for a key: an int, a str, or a tuple of them."""
    return json.dumps(list(key) if isinstance(key, tuple) else key, ensure_ascii=False, separators=(",", ":"))


def _unkey(text: str):
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else value


class RunMemory:
    """The run's sets and mappings, and the temporary file they spill to."""

    def __init__(self, keys_in_memory: int = KEYS_IN_MEMORY, on_spill=None):
        """``on_spill()`` is called each time a set or mapping moves to the file."""
        if keys_in_memory < 1:
            raise ValueError(f"keys_in_memory must be at least 1, not {keys_in_memory}")
        self.keys_in_memory = keys_in_memory
        self.on_spill = on_spill
        self.db: sqlite3.Connection | None = None
        self._place = None
        self._names = itertools.count(1)
        self._finalizer = None

    def set(self) -> RunSet:
        return RunSet(self)

    def map(self, encode=None, decode=None) -> RunMap:
        """A mapping whose values are ``None`` or what ``encode`` makes JSON of (a
        dataclass's fields by default) and ``decode`` makes back."""
        return RunMap(self, encode, decode)

    @property
    def spilled(self) -> int:
        """How many of the run's sets and mappings are in the file."""
        if self.db is None:
            return 0
        return self.db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]

    def _table(self) -> str:
        if self.db is None:
            self._place = tempfile.TemporaryDirectory(prefix="pangea-run-memory-")
            self.db = sqlite3.connect(Path(self._place.name) / "memory.db", isolation_level=None)
            self.db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -8000;")
            self._finalizer = weakref.finalize(self, _remove, self.db, self._place)
        name = f"t{next(self._names)}"
        self.db.execute(f"CREATE TABLE {name} (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID")
        if self.on_spill is not None:
            self.on_spill()
        return name

    def _drop(self, name: str) -> None:
        if self.db is not None and self._finalizer is not None and self._finalizer.alive:
            self.db.execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        """The file goes (the run is over); sets and mappings are not used after this."""
        if self._finalizer is not None:
            self._finalizer()


def _remove(db: sqlite3.Connection, place: tempfile.TemporaryDirectory) -> None:
    db.close()
    place.cleanup()


class _Spilling:
    def __init__(self, memory: RunMemory):
        self.memory = memory
        self._held: dict = {}
        self._table: str | None = None
        self._length = 0

    def _spill(self) -> None:
        self._table = self.memory._table()
        weakref.finalize(self, self.memory._drop, self._table)
        self._write(self._held.items())
        self._held = {}

    def _write(self, pairs) -> None:
        self.memory.db.executemany(f"INSERT OR REPLACE INTO {self._table} (key, value) VALUES (?, ?)",
                                   [(_key(key), value) for key, value in pairs])

    def _row(self, key):
        return self.memory.db.execute(f"SELECT value FROM {self._table} WHERE key = ?", [_key(key)]).fetchone()

    def _put(self, key, value) -> None:
        if self._table is None:
            if key not in self._held:
                self._length += 1
            self._held[key] = value
            if len(self._held) > self.memory.keys_in_memory:
                self._spill()
            return
        if self._row(key) is None:
            self._length += 1
        self._write([(key, value)])

    def _has(self, key) -> bool:
        return key in self._held if self._table is None else self._row(key) is not None

    def __contains__(self, key) -> bool:
        return self._has(key)

    def __len__(self) -> int:
        return self._length

    def __iter__(self):
        """Every key, in the order of their text in the file once spilled."""
        if self._table is None:
            yield from list(self._held)
            return
        after = ""
        while True:
            batch = [row[0] for row in self.memory.db.execute(
                f"SELECT key FROM {self._table} WHERE key > ? ORDER BY key LIMIT 1000", [after])]
            yield from (_unkey(text) for text in batch)
            if len(batch) < 1000:
                return
            after = batch[-1]

    @property
    def spilled(self) -> bool:
        return self._table is not None


class RunSet(_Spilling):
    """A set of keys (ints, strs, or tuples of them): ``add``, ``update``, ``in``, ``len``."""

    def add(self, key) -> None:
        self._put(key, None)

    def update(self, keys) -> None:
        for key in keys:
            self._put(key, None)


class RunMap(_Spilling):
    """A mapping of keys to values (``None`` or a value ``encode`` makes JSON of)."""

    def __init__(self, memory: RunMemory, encode=None, decode=None):
        super().__init__(memory)
        self.encode = encode or (lambda value: dataclasses.astuple(value) if dataclasses.is_dataclass(value) else value)
        self.decode = decode or (lambda value: value)

    def _spill(self) -> None:
        held = self._held
        self._held = {key: self._text(value) for key, value in held.items()}
        super()._spill()

    def _text(self, value) -> str | None:
        return None if value is None else json.dumps(self.encode(value), ensure_ascii=False)

    def __setitem__(self, key, value) -> None:
        self._put(key, value if self._table is None else self._text(value))
        # ``_put`` may just have spilled the held values: they are text from then on.

    def __getitem__(self, key):
        if self._table is None:
            return self._held[key]
        row = self._row(key)
        if row is None:
            raise KeyError(key)
        return None if row[0] is None else self.decode(json.loads(row[0]))

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def update(self, pairs) -> None:
        for key, value in (pairs.items() if isinstance(pairs, dict) else pairs):
            self[key] = value


def run_memory(crawler) -> RunMemory:
    """The crawl's ``RunMemory`` (``RUN_KEYS_IN_MEMORY`` keys per set before it spills),
    closed when the engine stops."""
    memory = getattr(crawler, "_pangea_run_memory", None)
    if memory is None:
        from scrapy import signals

        def spilled():
            if not crawler.stats.get_value("pangea/run_memory/spilled"):
                logger.info("the run met more than %d posts: what it remembers of them is held in its temporary file "
                            "from now on (RUN_KEYS_IN_MEMORY)", memory.keys_in_memory)
            crawler.stats.inc_value("pangea/run_memory/spilled")

        memory = RunMemory(crawler.settings.getint("RUN_KEYS_IN_MEMORY", KEYS_IN_MEMORY), on_spill=spilled)
        crawler.signals.connect(lambda: memory.close(), signal=signals.engine_stopped, weak=False)
        crawler._pangea_run_memory = memory
    return memory


_default: RunMemory | None = None


def default_memory() -> RunMemory:
    """The process's ``RunMemory``, for what is made outside a crawl (a test, a tool)."""
    global _default
    if _default is None:
        _default = RunMemory()
    return _default
