"""The archive: plain functions over a ``sqlite_utils.Database``, in six rooms.

- ``schema``: columns and views as data; ``check_archive`` / ``open_db``;
  ``ensure_db_shape(db)`` creates tables, indexes and full-text search and can run again.
- ``migrations``: each later change of shape, a sqlite-utils migration applied once.
- ``writes``: ``save_post(db, post, now)`` writes one whole post, ``save_entry`` one live
  blog entry, in ``batch``es whose full-text rows are written last.
- ``state``: what the archive tells the next run (``crawl_state``), failures, listings.
- ``runs``: ``RunLock`` and the ``crawl_runs`` book (``start_run`` / ``finish_run``).
- ``merge``: ``merge_archive(db, source)``, another archive brought into this one
  (``scrapy merge``).
"""

from .migrations import MIGRATIONS
from .runs import RunLock, finish_run, start_run
from .schema import (
    APPLICATION_ID,
    CRAWL_RUN_COLUMNS,
    LIVE_ENTRY_COLUMNS,
    POST_COLUMNS,
    SCHEMA_VERSION,
    VIEWS,
    DamagedArchive,
    StorageError,
    check_archive,
    check_writable,
    ensure_db_shape,
    open_db,
)
from .state import (
    CrawlState,
    KnownPost,
    RunSnapshot,
    count_posts,
    count_failures,
    crawl_state,
    has_failures,
    latest_captures,
    missing_field_counts,
    record_failure,
    record_identity_mismatch,
    record_listing,
    resolve_index_failures,
    save_blog,
    save_captures,
)
from .writes import (
    FTS_TABLES,
    batch,
    content_hash,
    load_stored_form,
    mark_removed,
    mark_unchanged,
    renumber_entries,
    save_entry,
    save_post,
    search_index_problems,
    stored_form,
)

__all__ = [
    "APPLICATION_ID", "CRAWL_RUN_COLUMNS", "MIGRATIONS", "FTS_TABLES", "LIVE_ENTRY_COLUMNS", "POST_COLUMNS", "SCHEMA_VERSION", "VIEWS",
    "CrawlState", "KnownPost", "RunLock", "RunSnapshot", "count_posts", "StorageError",
    "DamagedArchive", "batch", "check_archive", "check_writable", "content_hash", "count_failures", "crawl_state", "ensure_db_shape",
    "finish_run", "has_failures", "latest_captures", "load_stored_form", "mark_removed", "mark_unchanged", "missing_field_counts", "open_db",
    "record_failure", "record_identity_mismatch", "record_listing", "renumber_entries", "resolve_index_failures",
    "save_blog", "save_captures", "save_entry", "save_post", "search_index_problems", "start_run", "stored_form",
]
