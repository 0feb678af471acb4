"""The spider's decisions, called directly: what to fetch, when to stop, what a re-check
asks, when an older live blog page is needed, what the feed shows the walk missed."""

from types import SimpleNamespace

from crawler.spiders.decisions import (
    conditional_headers,
    may_stop_early,
    missed_by_index,
    older_live_page_needed,
    sort_listed_posts,
)
from crawler.storage import CrawlState, KnownPost

START = "https://www.rferl.org/z/17257"


def known(removed: bool = False, etag=None, last_modified=None) -> KnownPost:
    return KnownPost(site="rferl.org", url="https://www.rferl.org/a/x/1.html", published_at=None, etag=etag,
                     last_modified=last_modified, removed=removed)


def test_listed_posts_new_stored_removed_repeated_and_offsite():
    state = CrawlState(known={2: known(), 3: known(removed=True), 4: known()}, in_blog={2, 3})
    urls = [
        "https://www.rferl.org/a/one/1.html", "https://www.rferl.org/a/two/2.html", "https://rferl.org/a/3.html",
        "https://www.rferl.org/a/four/4.html", "http://www.rferl.org/amp/one/1.html", "https://www.currenttime.tv/a/x/9.html",
    ]
    seen: set[int] = set()
    listed = sort_listed_posts(urls, start_url=START, state=state, seen_ids=seen, mode="incremental")
    assert [post_id for _, post_id in listed.to_fetch] == [1, 3]  # new, and removed (it may be back)
    assert [post_id for post_id, _ in listed.newly_listed] == [4]
    assert (listed.all_stored, listed.offsite, listed.repeated, listed.skipped_stored) == (False, 1, 1, 2)
    assert seen == {1, 2, 3, 4}


def test_full_mode_fetches_stored_posts_again_and_a_page_of_stored_posts_is_all_stored():
    state = CrawlState(known={2: known()})
    listed = sort_listed_posts(["https://www.rferl.org/a/two/2.html"], start_url=START, state=state, seen_ids=set(), mode="full")
    assert listed.to_fetch == [("https://www.rferl.org/a/two/2.html", 2)] and listed.all_stored


def test_stop_early_only_after_a_whole_walk_and_with_no_index_page_to_retry():
    assert may_stop_early("incremental", CrawlState(index_complete=True))
    assert not may_stop_early("incremental", CrawlState(index_complete=False))
    assert not may_stop_early("incremental", CrawlState(index_complete=True, failed_index_pages={"https://www.rferl.org/z/17257?p=3"}))
    assert not may_stop_early("full", CrawlState(index_complete=True))


def test_a_recheck_asks_with_what_the_archive_kept():
    assert conditional_headers(known(etag='"abc"', last_modified="Tue, 03 Feb 2015 10:00:00 GMT")) == {
        "If-None-Match": '"abc"', "If-Modified-Since": "Tue, 03 Feb 2015 10:00:00 GMT"}
    assert conditional_headers(known()) == {} and conditional_headers(None) == {}


def entry(entry_id: int, published_at: str):
    return SimpleNamespace(entry_id=entry_id, published_at=published_at)


def test_an_older_live_blog_page_is_read_only_while_it_can_bring_something():
    page = [entry(3, "2016-03-30T10:00:00+00:00"), entry(2, "2016-03-29T10:00:00+00:00")]
    settled = dict(mode="incremental", walk_complete=True, stored_entry_ids={2, 3}, page_entries=page,
                   window_start="2016-04-01T00:00:00+00:00")
    assert not older_live_page_needed(**settled)
    assert older_live_page_needed(**{**settled, "mode": "full"})
    assert older_live_page_needed(**{**settled, "walk_complete": False})
    assert older_live_page_needed(**{**settled, "stored_entry_ids": set()})  # all new: more may follow
    assert older_live_page_needed(**{**settled, "window_start": "2016-03-01T00:00:00+00:00"})  # edits caught


def test_the_feed_shows_what_the_walk_missed():
    state = CrawlState(known={2: known(), 3: known(removed=True)})
    seen = {1}
    feed = ["https://www.rferl.org/a/1.html", "https://www.rferl.org/a/2.html", "https://www.rferl.org/a/3.html",
            "https://www.rferl.org/a/5.html", "http://127.0.0.2:9/a/planted/6.html"]
    assert missed_by_index(feed, start_url=START, seen_ids=seen, state=state) == [
        ("https://www.rferl.org/a/3.html", 3), ("https://www.rferl.org/a/5.html", 5)]


def test_two_blogs_of_a_site_ask_for_a_post_once_and_both_list_it():
    seen: set[int] = set()  # shared by the blogs of one site
    first_blog, second_blog = set(), set()
    urls = ["https://www.rferl.org/a/one/1.html", "https://www.rferl.org/a/two/2.html"]
    first = sort_listed_posts(urls, start_url=START, state=CrawlState(), seen_ids=seen, mode="incremental", listed_ids=first_blog)
    assert [post_id for _, post_id in first.to_fetch] == [1, 2] and first.newly_listed == []
    state = CrawlState(known={2: known()}, in_blog={2})  # the second blog already lists post 2
    second = sort_listed_posts(
        ["https://www.rferl.org/a/1.html", "https://www.rferl.org/a/two/2.html", "https://www.rferl.org/a/one/1.html"],
        start_url="https://www.rferl.org/z/30101", state=state, seen_ids=seen, mode="incremental", listed_ids=second_blog,
    )
    assert second.to_fetch == []
    # Post 1, asked for by the first blog, is listed in the second too, once, whatever URL.
    assert second.newly_listed == [(1, "rferl.org")]
    assert second.repeated == 3 and second_blog == {1, 2}
