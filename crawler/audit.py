"""A run's own checks, as plain functions over its stats: how the index walk ended, what
one reading of the site missed and another found, and fields suddenly missing from many
posts (the site's markup has changed)."""

from __future__ import annotations

from .items import EXPECTED_FIELDS
from .run import BlogFacts


def audit_run(blog: BlogFacts, via: str, stats: dict, reason: str) -> tuple[str | None, dict, list[str], list[str]]:
    """What the run's own checks found of one blog (``stats``: its share of the run's
    counts): how its index walk ended, every count of disagreement between a page's
    readings, and the lines to say about them.

    Returns ``(index_walk, counts, problems, recovered)``: ``problems`` are things
    still missing (the run fails), ``recovered`` things missed by one reading and
    found by another (the run succeeds, with a warning).
    """
    counts = {key.split("/", 2)[2]: value for key, value in stats.items() if key.startswith("pangea/audit/") and value}
    index_walk = None
    if via == "index" and blog.zone is not None:
        if blog.index_end_reached and not stats.get("pangea/fetch_failed/index"):
            index_walk = "end"
        elif stats.get("pangea/index_stopped_at_page") is not None and not stats.get("pangea/fetch_failed/index"):
            index_walk = "stopped"
        else:
            index_walk = "not_finished"
    problems, recovered = [], []
    if index_walk == "not_finished" and reason == "finished" and not stats.get("pangea/fetch_failed/index"):
        problems.append("the index walk did not reach the end of the index (the last page read still offers more)")
    if blog.cut_short:
        problems.append(f"{blog.cut_short}; what was read is stored, and the next run goes on")
    problems.extend(blog.unfinished_live_walks())
    if counts.get("live_entries_unidentified"):
        problems.append(f"{counts['live_entries_unidentified']} live blog entries of the JSON-LD name no entry id and were not stored")
    if counts.get("posts_missed_by_index"):
        recovered.append(f"{counts['posts_missed_by_index']} posts of the feed were missed by the index walk and fetched")
    for name, what in (
        ("index_posts_only_in_json_ld", "index posts only in the page's JSON-LD ItemList"),
        ("live_entries_only_in_json_ld", "live blog entries only in the JSON-LD"),
        ("live_entries_only_in_html", "live blog entries missing from the JSON-LD"),
        ("post_dates_disagreeing", "posts whose date signals (JSON-LD, <time>, meta, dateline) disagree (the JSON-LD's date is kept)"),
        ("post_languages_disagreeing", "posts whose JSON-LD inLanguage and page lang name two languages (the JSON-LD's is kept)"),
        ("posts_body_from_json_ld", "posts whose body was read from the JSON-LD (the markup had much less)"),
        ("pages_naming_another_post", "pages named another post or site as their own (stored as the post asked for; see identity_mismatches)"),
    ):
        if counts.get(name):
            recovered.append(f"{counts[name]} {what}")
    return index_walk, counts, problems, recovered


def markup_alarms(stats: dict, baseline: tuple[int, dict[str, int]]) -> list[str]:
    """Fields suddenly missing from many posts: the site's markup has probably changed.

    A field is alarming when at least 3 of this run's posts lack it and they lack it
    more than 10 points more often than the archive's posts do; while the archive holds
    fewer than 200 posts, when more than half lack it (50 posts tell a share of 15 %
    only to 5 points either way: too few to tell what is normal).
    """
    parsed = stats.get("pangea/posts_parsed", 0)
    stored, missing_before = baseline
    alarms = []
    for name in EXPECTED_FIELDS:
        missing = stats.get(f"pangea/fields_missing/{name}", 0)
        if not parsed or missing < 3:
            continue
        share = missing / parsed
        limit = (missing_before.get(name, 0) / stored + 0.10) if stored >= 200 else 0.5
        if share > limit:
            alarms.append(f"{name} missing from {missing} of {parsed} posts parsed (limit {limit:.0%}): has the markup changed?")
    return alarms
