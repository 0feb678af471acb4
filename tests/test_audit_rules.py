"""The run's own checks as plain functions: how the index walk ended, and what fails a run."""

import pytest

from crawler.audit import audit_run, markup_alarms
from crawler.run import BlogFacts


def blog(end_reached: bool) -> BlogFacts:
    return BlogFacts("https://www.rferl.org/z/17257", index_end_reached=end_reached)


@pytest.mark.parametrize(
    "end_reached, stats, walk, fails",
    [
        (True, {}, "end", False),
        (False, {"pangea/index_stopped_at_page": 0}, "stopped", False),
        (False, {}, "not_finished", True),  # no evidence of the end, no stop rule: incomplete
        (True, {"pangea/fetch_failed/index": 1}, "not_finished", False),  # its own failure line says it
    ],
)
def test_the_index_walk_counts_as_ended_only_on_evidence(end_reached, stats, walk, fails):
    index_walk, _, problems, _ = audit_run(blog(end_reached), "index", stats, "finished")
    assert index_walk == walk
    assert bool(problems) is fails


def test_feed_and_sitemap_runs_walk_no_index():
    assert audit_run(blog(False), "feed", {}, "finished")[0] is None


def test_recovered_is_a_warning_and_unidentified_entries_fail():
    stats = {"pangea/audit/posts_missed_by_index": 3, "pangea/audit/live_entries_unidentified": 1, "pangea/audit/feed_posts": 20}
    _, counts, problems, recovered = audit_run(blog(True), "index", stats, "finished")
    assert counts == {"posts_missed_by_index": 3, "live_entries_unidentified": 1, "feed_posts": 20}
    assert recovered == ["3 posts of the feed were missed by the index walk and fetched"]
    assert problems == ["1 live blog entries of the JSON-LD name no entry id and were not stored"]


@pytest.mark.parametrize(
    "parsed, missing, baseline, alarm",
    [
        (40, 40, (0, {}), "authors missing from 40 of 40 posts parsed (limit 50%): has the markup changed?"),
        (40, 15, (0, {}), None),  # a young archive: only more than half alarms
        (10, 6, (300, {"authors": 3}), "authors missing from 6 of 10 posts parsed (limit 11%): has the markup changed?"),
        (10, 1, (300, {"authors": 3}), None),  # fewer than 3 posts
        (100, 20, (300, {"authors": 45}), None),  # 20 % where the archive has 15 %: the blog, not a change
    ],
)
def test_markup_alarms(parsed, missing, baseline, alarm):
    stats = {"pangea/posts_parsed": parsed, "pangea/fields_missing/authors": missing}
    assert markup_alarms(stats, baseline) == ([alarm] if alarm else [])
