"""What the blog spider decides, as plain functions over the archive's state: which
listed posts to fetch, when the rest of an index need not be read, what a re-check asks,
when an older live blog page is needed, what the feed shows the walk missed.

The spider builds requests from these answers; tests call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..storage import CrawlState, KnownPost
from ..urls import article_id_from_url, is_same_site, site_key

# Index pages go first: they are the chain the whole crawl hangs on.
INDEX_PRIORITY = 10
POST_PRIORITY = 0
# Statuses a post request handles itself instead of treating them as errors.
POST_STATUSES = [304, 404, 410]


@dataclass
class ListedPosts:
    """What an index page's (or a feed's, a sitemap's) post URLs come to."""

    to_fetch: list[tuple[str, int]] = field(default_factory=list)  # (url, post id)
    # (post id, its site): stored, or asked for by another blog of the site, and first
    # seen listed in this blog
    newly_listed: list[tuple[int, str]] = field(default_factory=list)
    all_stored: bool = True
    offsite: int = 0
    repeated: int = 0
    skipped_stored: int = 0


def sort_listed_posts(
    urls: list[str], *, start_url: str, state: CrawlState, seen_ids: set[int], mode: str, listed_ids: set[int] | None = None
) -> ListedPosts:
    """Posts to fetch (new, removed, or every post in full mode); posts first listed in
    this blog that are stored or asked for by another blog of the site; and whether every
    listed post was stored already. ``seen_ids`` is updated: a post is asked for once per
    run, whatever URL forms (or blogs of the site: ``listed_ids`` are this blog's) list it."""
    listed = ListedPosts()
    listed_ids = set() if listed_ids is None else listed_ids
    site = site_key(start_url)
    state.look_up([article_id_from_url(url) for url in urls])  # the page's posts, in one batch
    for url in urls:
        post_id = article_id_from_url(url)
        if not is_same_site(url, start_url):
            listed.offsite += 1
            continue
        known = state.known.get(post_id)
        if known is None or known.removed:
            listed.all_stored = False
        first_in_blog = post_id not in listed_ids
        listed_ids.add(post_id)
        if post_id in seen_ids:
            listed.repeated += 1
            if first_in_blog and post_id not in state.in_blog:
                # Asked for by another blog of the site this run: listed here too.
                listed.newly_listed.append((post_id, known.site if known is not None else site))
            continue
        seen_ids.add(post_id)
        if known is None or known.removed or mode == "full":
            listed.to_fetch.append((url, post_id))
        else:
            listed.skipped_stored += 1
            if post_id not in state.in_blog:
                listed.newly_listed.append((post_id, known.site))
    return listed


def may_stop_early(mode: str, state: CrawlState) -> bool:
    """An incremental run stops at the first index page of stored posts, once a walk has
    reached the index's end and no index page is left to try again."""
    return mode == "incremental" and state.index_complete and not state.failed_index_pages


def conditional_headers(known: KnownPost | None) -> dict[str, str]:
    """A re-check of a stored post: 304 Not Modified when the page has not changed."""
    headers = {}
    if known is not None:
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
    return headers


def older_live_page_needed(
    *, mode: str, walk_complete: bool, stored_entry_ids: set[int], page_entries: list, window_start: str
) -> bool:
    """Read a live blog's older page while it can bring something: in full mode, until a
    first walk has read it all, while the page shows no stored entry (new entries go on),
    and while its oldest entry is inside the recheck window (edits are caught)."""
    return (
        mode == "full"
        or not walk_complete
        or not any(entry.entry_id in stored_entry_ids for entry in page_entries)
        or any((entry.published_at or "") >= window_start for entry in page_entries[-1:])
    )


def missed_by_index(feed_urls: list[str], *, start_url: str, seen_ids: set[int], state: CrawlState) -> list[tuple[str, int]]:
    """The feed's posts that the index walk did not lead to and the archive does not hold."""
    missed = []
    state.look_up([article_id_from_url(url) for url in feed_urls])
    for url in feed_urls:
        post_id = article_id_from_url(url)
        known = state.known.get(post_id)
        if post_id in seen_ids or (known is not None and not known.removed) or not is_same_site(url, start_url):
            continue
        seen_ids.add(post_id)
        missed.append((url, post_id))
    return missed
