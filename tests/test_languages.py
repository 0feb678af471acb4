"""A blog in each of five languages (the replica's ``--lang``): crawled, every post's text
is what the page served, character for character, and the archive's search (its canned
query and the table's search box, in a real Datasette) finds every word of the
language's list in the posts that hold one of its forms."""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest

from devtools.replica import Replica
from devtools.replica.languages import PAGE_LANGUAGES, WORDS

from .conftest import rows, run_crawl

LANGUAGES = ["ru", "fa", "ar", "zh", "ko"]
POSTS = 40


@pytest.fixture(scope="module", params=LANGUAGES)
def crawled(request, tmp_path_factory):
    lang = request.param
    with Replica(posts=POSTS, seed=11, lang=lang) as replica:
        db_path = tmp_path_factory.mktemp(f"lang-{lang}") / "archive.db"
        result = run_crawl(replica.index_url, db_path)
        assert result.returncode == 0, result.stderr[-3000:]
        written = {p.id: p for p in replica.site.posts if p.language == lang}
        return {"lang": lang, "db": db_path, "written": written, "served_html": _served_html(replica, written)}


def _served_html(replica, written) -> dict:
    import urllib.request

    pages = {}
    for post_id, post in list(written.items())[:3]:
        with urllib.request.urlopen(replica.base_url + post.path, timeout=10) as answer:
            pages[post_id] = answer.read().decode("utf-8")
    return pages


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_the_pages_say_their_language(crawled):
    lang, direction, in_language = PAGE_LANGUAGES[crawled["lang"]]
    for html in crawled["served_html"].values():
        assert f'<html lang="{lang}" dir="{direction}"' in html and f'"inLanguage": "{in_language}"' in html


def test_every_post_is_stored_as_the_page_wrote_it(crawled):
    written = crawled["written"]
    assert len(written) >= POSTS - 2
    stored = {r["id"]: r for r in rows(crawled["db"], "SELECT id, title, body_text, description, language, lead_image_caption FROM posts")}
    for post_id, post in written.items():
        row = stored[post_id]
        assert row["title"] == post.title
        assert row["body_text"] == "\n\n".join(_text(block.html) for block in post.blocks)
        assert row["description"] == post.description
        assert row["language"] == PAGE_LANGUAGES[crawled["lang"]][2]
        assert row["lead_image_caption"] == (post.lead_image.caption if post.lead_image else None)


def _search(db_path, paths: list[str]) -> list:
    from datasette.app import Datasette

    from crawler.explore.__main__ import register_plugin

    datasette = Datasette([str(db_path)], settings={"suggest_facets": False})
    register_plugin()

    async def get():
        return [(await datasette.client.get(path, follow_redirects=True)).json() for path in paths]

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(get())).result()


def test_the_search_finds_every_word_in_every_form(crawled):
    """Recall 100% for every word of the list, precision at least 95% over them all, in
    the canned search (which also marks the word in its snippet) and in the search box."""
    written = crawled["written"]
    words = WORDS[crawled["lang"]]
    paths = []
    for word in words:
        q = quote(word.typed)
        paths.append(f"/archive/search.json?q={q}&_shape=array")
        paths.append(f"/archive/post_list.json?_search={q}&_shape=array&_size=max")
    answers = _search(crawled["db"], paths)
    found_total = right_total = 0
    for index, word in enumerate(words):
        holding = {post_id for post_id, post in written.items() if word.typed in post.words}
        canned, box = answers[2 * index], answers[2 * index + 1]
        by_canned = {row["id"] for row in canned}
        by_box = {row["id"] for row in box}
        assert holding <= by_canned, (word.typed, holding - by_canned)
        assert holding <= by_box, (word.typed, holding - by_box)
        assert by_canned == by_box, word.typed
        for row in canned:
            if row["id"] in holding:
                in_title = any(form.casefold() in row["title"].casefold() for form in word.forms)
                assert "\ue000" in (row["snippet"] or "") or in_title, (word.typed, row["id"])
        found_total += len(by_canned)
        right_total += len(by_canned & holding)
    assert found_total and right_total / found_total >= 0.95, (right_total, found_total)


def _pages(db_path, paths: list[str]) -> list[str]:
    from datasette.app import Datasette

    from crawler.explore.__main__ import register_plugin

    datasette = Datasette([str(db_path)], settings={"suggest_facets": False})
    register_plugin()

    async def get():
        return [(await datasette.client.get(path, follow_redirects=True)).text for path in paths]

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(get())).result()


def test_the_reading_view_and_the_tables_show_the_text_in_its_language(crawled):
    _, direction, in_language = PAGE_LANGUAGES[crawled["lang"]]
    post_id, post = next(iter(crawled["written"].items()))
    [site] = {r["site"] for r in rows(crawled["db"], "SELECT site FROM posts WHERE id = ?", [post_id])}
    reading, table, found = _pages(crawled["db"], [
        f"/-/post/{site}/{post_id}?database=archive",
        f"/archive/post_list?id={post_id}",
        f"/archive/search?q={quote(next(iter(post.words)))}",
    ])
    attributes = f'lang="{in_language}" dir="{direction}"'
    assert f"<h1 {attributes}>" in reading and f'<div class="post-body" {attributes}>' in reading
    assert f'{attributes}>{post.title}</a>' in table
    assert "<mark>" in found and f"<span {attributes}>" in found
