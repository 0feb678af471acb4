"""The blog's live blog: every entry a record of its own, at the right UTC time."""

import json
import re
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from crawler.pages.liveblog import stamp_to_utc
from devtools.replica import Replica
from devtools.replica.content import LIVE_BLOG_ID
from devtools.replica.dresses import LIVE_MORE_FORMS

from .conftest import rows, run_crawl, search_index_problems
from crawler.analysis import match_expression

POSTS = 40
ENTRIES = 45  # five pages of ten
SUMMER_TIME_STARTS = datetime(2016, 3, 27, 1, 0, tzinfo=timezone.utc)  # 02:00 CET -> 03:00 CEST


@pytest.mark.parametrize(
    "stamp, utc",
    [
        ("16:52 29.2.2016", "2016-02-29T15:52:00+00:00"),  # CET, UTC+1
        ("16:52 26.3.2016", "2016-03-26T15:52:00+00:00"),  # the day before the change
        ("16:52 28.3.2016", "2016-03-28T14:52:00+00:00"),  # CEST, UTC+2
        ("Posted 09:05 1.11.2015 by the desk", "2015-11-01T08:05:00+00:00"),
        ("no stamp here", None),
        ("25:61 40.13.2016", None),
    ],
)
def test_stamps_are_central_european_time_with_the_real_rules(stamp, utc):
    assert stamp_to_utc(stamp) == utc


def entries_of(db_path):
    return rows(db_path, "SELECT * FROM live_entries ORDER BY position")


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    with Replica(posts=POSTS, seed=3, live_entries=ENTRIES) as replica:
        db_path = tmp_path_factory.mktemp("live") / "live.db"
        result = run_crawl(replica.index_url, db_path)
        assert result.returncode == 0, result.stderr[-3000:]
        yield replica, db_path


def test_every_entry_is_stored_once_with_its_utc_time(plain):
    replica, db_path = plain
    spec = replica.site.live_blog.live
    stored = entries_of(db_path)
    assert len(stored) == ENTRIES
    expected = sorted(spec.entries, key=lambda e: e.published)
    assert [r["entry_id"] for r in stored] == [e.id for e in expected]
    assert [r["published_at"] for r in stored] == [e.published.isoformat() for e in expected]
    assert [r["position"] for r in stored] == list(range(1, ENTRIES + 1))
    assert [r["headline"] for r in stored] == [e.headline for e in expected]
    # The entries run across the change to summer time, and the page stamps them in local time.
    assert expected[0].published < SUMMER_TIME_STARTS < expected[-1].published
    html = urllib.request.urlopen(replica.base_url + replica.site.live_blog.path).read().decode()
    newest = spec.entries[0]
    stamp = re.search(rf'lbi{newest.id}\.html"><span class="liveblog__item-time">([^<]+)<', html).group(1)
    assert newest.published > SUMMER_TIME_STARTS and stamp.startswith(f"{newest.published.hour + 2:02d}:")


def test_entry_bodies_links_and_images(plain):
    replica, db_path = plain
    spec = {e.id: e for e in replica.site.live_blog.live.entries}
    for row in entries_of(db_path):
        entry = spec[row["entry_id"]]
        assert row["body_text"].split("\n\n") == [re.sub(r"<[^>]+>", "", p) for p in entry.paragraphs]
        assert len(json.loads(row["links"])) == sum(p.count("<a ") for p in entry.paragraphs)
        assert [i["caption"] for i in json.loads(row["images"])] == ([entry.image.caption] if entry.image else [])
        assert row["url"].endswith(f"/27363628/lbl{replica.site.live_blog.live.page_of(entry.id)}lbi{entry.id}.html")
        assert "<script" not in row["body_html"] and row["body_html"].startswith("<")


def test_the_live_blog_is_a_post_with_its_summary_as_body_and_no_entry_is_a_post(plain):
    replica, db_path = plain
    site = replica.site
    page = next(n for n in range(site.page_count) if any(p.id == LIVE_BLOG_ID for p in site.index_page(n)))
    html = urllib.request.urlopen(f"{replica.index_url}?p={page}").read().decode()
    assert "/27363628/lbl0lbi" in html  # the index links entries by their permalinks
    posts = rows(db_path, "SELECT id, title, body_text FROM posts")
    assert len(posts) == POSTS
    [live] = [p for p in posts if p["id"] == LIVE_BLOG_ID]
    assert live["title"] == "Live Blog: Tracking Islamic State"
    assert live["body_text"].startswith("Latest News For February 29\n\n-- ")
    assert live["body_text"].endswith("* NOTE: Live blog posts are time-stamped according to Central European Time (CET).")
    assert rows(db_path, "SELECT walk_complete_at FROM live_blogs")[0]["walk_complete_at"]


def test_entries_are_searchable(plain):
    _, db_path = plain
    some = entries_of(db_path)[7]
    word = max(re.findall(r"[A-Za-z]{6,}", some["headline"]), key=len)
    found = rows(
        db_path,
        "SELECT live_entries.entry_id FROM live_entries_fts JOIN live_entries ON live_entries.rowid = live_entries_fts.rowid "
        "WHERE live_entries_fts MATCH ?",
        [match_expression(word)],
    )
    assert some["entry_id"] in {r["entry_id"] for r in found}


def test_the_same_entries_with_json_ld(plain, tmp_path):
    replica, db_path = plain
    with Replica(posts=POSTS, seed=3, live_entries=ENTRIES, live_json_ld=True) as with_ld:
        html = urllib.request.urlopen(with_ld.base_url + with_ld.site.live_blog.path).read().decode()
        assert '"@type": "LiveBlogPosting"' in html and '"liveBlogUpdate"' in html
        result = run_crawl(with_ld.index_url, tmp_path / "ld.db")
        assert result.returncode == 0, result.stderr[-3000:]
        other_base = with_ld.base_url

    def comparable(path, base):
        columns = ("entry_id", "position", "published_at", "headline", "body_text", "body_html", "links", "images", "url")
        return [{c: str(r[c]).replace(base, "BASE") for c in columns} for r in entries_of(path)]

    assert comparable(tmp_path / "ld.db", other_base) == comparable(db_path, replica.base_url)


@pytest.mark.e2e
def test_new_entries_come_in_with_at_most_two_live_blog_pages_and_edits_are_kept(tmp_path):
    db_path = tmp_path / "growing.db"
    with Replica(posts=POSTS, seed=4, live_entries=ENTRIES) as replica:
        first = run_crawl(replica.index_url, db_path)
        assert first.returncode == 0, first.stderr[-3000:]
        live_path = replica.site.live_blog.path

        def live_pages_fetched(before):
            return sum(v - before.get(k, 0) for k, v in replica.app.hits.items() if k.startswith(live_path))

        # Nothing new: one conditional re-check of the live blog, answered 304.
        before = dict(replica.app.hits)
        quiet = run_crawl(replica.index_url, db_path)
        assert quiet.returncode == 0
        assert live_pages_fetched(before) == 1
        assert rows(db_path, "SELECT responses_304, entries_new FROM crawl_runs ORDER BY id DESC LIMIT 1")[0] == {
            "responses_304": 1,
            "entries_new": 0,
        }

        added = replica.app.add_entries(4)
        before = dict(replica.app.hits)
        second = run_crawl(replica.index_url, db_path)
        assert second.returncode == 0, second.stderr[-3000:]
        assert live_pages_fetched(before) <= 2
        run = rows(db_path, "SELECT entries_new, entries_updated FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
        assert run == {"entries_new": 4, "entries_updated": 0}
        assert {r["entry_id"] for r in entries_of(db_path)} >= set(added)
        assert len(entries_of(db_path)) == ENTRIES + 4

        # A recent entry edited: caught inside the recheck window, old version in revisions.
        replica.app.edit_entry(added[1])
        third = run_crawl(replica.index_url, db_path)
        assert third.returncode == 0, third.stderr[-3000:]
        run = rows(db_path, "SELECT entries_new, entries_updated FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
        assert run == {"entries_new": 0, "entries_updated": 1}
        # (The post itself has a revision too: its dateModified moved when entries came in.)
        assert [json.loads(r["changed_fields"]) for r in rows(db_path, "SELECT * FROM revisions WHERE entry_id IS NULL")] == [
            ["updated_at"]
        ]
        [revision] = rows(db_path, "SELECT * FROM revisions WHERE entry_id IS NOT NULL")
        assert (revision["post_id"], revision["entry_id"]) == (LIVE_BLOG_ID, added[1])
        assert {"headline", "body_text", "body_html"} <= set(json.loads(revision["changed_fields"]))
        assert search_index_problems(db_path) == []
        newest = rows(db_path, "SELECT published_at FROM live_entries ORDER BY published_at DESC LIMIT 1")[0]
        assert datetime.fromisoformat(newest["published_at"]) > datetime.now(timezone.utc) - timedelta(hours=1)


def test_datasette_shows_entries_by_time_searchable_with_their_post(plain):
    import asyncio

    from datasette.app import Datasette

    from crawler.explore.__main__ import register_plugin

    _, db_path = plain
    register_plugin()  # as the package's entry point does when it is installed
    datasette = Datasette([str(db_path)])
    word = max(re.findall(r"[A-Za-z]{6,}", entries_of(db_path)[3]["headline"]), key=len)

    async def fetch():
        response = await datasette.client.get(f"/live/live_entry_list.json?_search={word}&_shape=array")
        listing = await datasette.client.get("/live/live_entry_list.json?_shape=array&_size=3")
        return response.json(), listing.json()

    found, newest = asyncio.run(fetch())
    assert found and all(row["live_blog"] == "Live Blog: Tracking Islamic State" for row in found)
    assert any(word in row["headline"] for row in found)
    assert [row["published_at"] for row in newest] == sorted((row["published_at"] for row in newest), reverse=True)


def _live_page(**options):
    with Replica(posts=POSTS, seed=5, live_entries=ENTRIES, **options) as replica:
        post = replica.site.by_id[LIVE_BLOG_ID]
        url = replica.base_url + post.path
        return url, urllib.request.urlopen(url).read().decode("utf-8"), post


@pytest.mark.e2e
def test_entries_only_in_the_json_ld_are_stored_from_it():
    from crawler.pages.liveblog import LiveBlogPage
    from crawler.pages.post import PostPage

    url, html, post = _live_page(live_json_ld=True)
    # The page's markup loses its entries (a layout we cannot read); the JSON-LD keeps them.
    start, end = html.index('<ul class="liveblog__items">'), html.index("</ul>", html.index('<ul class="liveblog__items">'))
    stripped = html[:start] + html[end + 5 :]
    live = LiveBlogPage(PostPage(url, stripped))
    expected = post.live.page(0)
    assert [e.entry_id for e in live.entries] == [e.id for e in expected]
    first = live.entries[0]
    assert first.headline == expected[0].headline
    assert first.published_at == expected[0].published.isoformat()
    assert first.url.endswith(f"/lbl0lbi{expected[0].id}.html")
    assert first.body_text.startswith(re.sub(r"<[^>]+>", "", expected[0].paragraphs[0])[:40])
    assert live.disagreements == {"live_entries_only_in_json_ld": 10, "live_entries_only_in_html": 0, "live_entries_unidentified": 0}


@pytest.mark.e2e
def test_entries_in_any_container_are_found_by_their_permalinks():
    from crawler.pages.liveblog import LiveBlogPage
    from crawler.pages.post import PostPage

    url, html, post = _live_page()
    # Entries in plain <div>s with no id: only the permalink marks each one.
    start = html.index('<ul class="liveblog__items">')
    end = html.index("</ul>", start)
    entries = re.sub(r'<li class="liveblog__item" id="lbi\d+">', '<div class="x-entry">', html[start:end]).replace("</li>", "</div>")
    html = html[:start] + entries + html[end:]
    live = LiveBlogPage(PostPage(url, html))
    assert [e.entry_id for e in live.entries] == [e.id for e in post.live.page(0)]
    assert all(e.headline and e.body_text and e.published_at for e in live.entries)
    assert live.disagreements == {}  # no JSON-LD to compare with


@pytest.mark.e2e
def test_json_ld_entries_without_an_id_are_counted_as_not_stored():
    from crawler.pages.liveblog import LiveBlogPage
    from crawler.pages.post import PostPage

    url, html, post = _live_page(live_json_ld=True)
    start = html.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    end = html.index("</script>", start)
    data = json.loads(html[start:end])
    data["liveBlogUpdate"].append({"@type": "BlogPosting", "headline": "An update with no address", "datePublished": "2016-04-01T10:00:00Z"})
    html = html[:start] + json.dumps(data) + html[end:]
    live = LiveBlogPage(PostPage(url, html))
    assert live.disagreements == {"live_entries_only_in_json_ld": 0, "live_entries_only_in_html": 0, "live_entries_unidentified": 1}


# --- every way to older entries, and a broken one --------------------------------------
LIVE_PAGES_ENTRIES = 30  # three pages of ten


@pytest.mark.e2e
@pytest.mark.parametrize("form", LIVE_MORE_FORMS)
def test_a_live_blog_is_read_whole_through_every_form_of_its_load_more(form, tmp_path):
    with Replica(posts=20, seed=5, live_entries=LIVE_PAGES_ENTRIES, live_more=form) as replica:
        spec = replica.site.live_blog.live
        assert spec.page_count >= 3
        result = run_crawl(replica.index_url, tmp_path / "live.db")
    assert result.returncode == 0, result.stderr[-3000:]
    stored = entries_of(tmp_path / "live.db")
    expected = sorted(spec.entries, key=lambda e: e.published)
    assert [r["entry_id"] for r in stored] == [e.id for e in expected]  # every entry, once
    assert [r["published_at"] for r in stored] == [e.published.isoformat() for e in expected]
    [live_blog] = rows(tmp_path / "live.db", "SELECT walk_complete_at, entries FROM live_blogs")
    assert live_blog["walk_complete_at"] and live_blog["entries"] == LIVE_PAGES_ENTRIES


@pytest.mark.e2e
@pytest.mark.parametrize("form", ["link", "permalink", "script"])
def test_a_live_blog_whose_load_more_leads_nowhere_fails_and_the_next_run_goes_on(form, tmp_path):
    db_path = tmp_path / "live.db"
    wait = ("-s", "LOAD_MORE_WAIT_SECONDS=3")
    with Replica(posts=20, seed=5, live_entries=LIVE_PAGES_ENTRIES, live_more=form, broken_live_more=True) as broken:
        first = run_crawl(broken.index_url, db_path, *wait)
        said = re.compile(rf"live blog {re.escape(broken.base_url)}/a/\S*{LIVE_BLOG_ID}\.html was not read to its oldest entries")
    assert first.returncode == 1, first.stderr[-3000:]
    lines = [line for line in first.stderr.splitlines() if said.search(line)]
    assert len(lines) == 1, first.stderr[-3000:]
    assert rows(db_path, "SELECT walk_complete_at FROM live_blogs") == [{"walk_complete_at": None}]
    assert len(entries_of(db_path)) == 10  # the first page's
    [run] = rows(db_path, "SELECT status, message FROM crawl_runs")
    assert run["status"] == "failed" and said.search(run["message"])
    # The site mends its control: the next incremental run reads the rest.
    with Replica(posts=20, seed=5, live_entries=LIVE_PAGES_ENTRIES, live_more=form) as mended:
        second = run_crawl(mended.index_url, db_path, *wait)
        spec = mended.site.live_blog.live
    assert second.returncode == 0, second.stderr[-3000:]
    assert sorted(r["entry_id"] for r in entries_of(db_path)) == sorted(e.id for e in spec.entries)
    assert rows(db_path, "SELECT walk_complete_at FROM live_blogs")[0]["walk_complete_at"]
