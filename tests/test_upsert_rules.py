"""The archive's write rules, in-process on a real SQLite file: first seen stays, last
seen never moves back, a removal holds until the post answers again, a change keeps the
old version in revisions, one post per site and id, a failure belongs to its post."""

import sqlite3

import pytest
import sqlite_utils
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler import storage
from crawler.pipelines import DedupePipeline

from .test_storage import make_post

T1, T2, T3, T4 = (f"2026-01-0{day}T00:00:00+00:00" for day in (1, 2, 3, 4))


@pytest.fixture
def db(tmp_path):
    database = storage.open_db(tmp_path / "archive.db")
    yield database
    database.close()


def post_row(db, post_id=101, site="rferl.org"):
    return next(db.query("SELECT * FROM posts WHERE site = ? AND id = ?", [site, post_id]))


def save(db, post, now):
    with storage.batch(db):
        return storage.save_post(db, post, now)


def test_first_seen_stays_and_last_seen_never_moves_back(db):
    assert save(db, make_post(101), T2) == "new"
    assert save(db, make_post(101), T3) == "unchanged"
    row = post_row(db)
    assert (row["first_seen_at"], row["last_seen_at"]) == (T2, T3)
    # A page fetched earlier (a re-extraction of an older capture) does not move it back.
    assert save(db, make_post(101), T1) == "unchanged"
    row = post_row(db)
    assert (row["first_seen_at"], row["last_seen_at"]) == (T2, T3)
    # Changed content read from an older page: last seen still does not move back.
    assert save(db, make_post(101, title="Another title"), T1) == "updated"
    assert post_row(db)["last_seen_at"] == T3 and post_row(db)["first_seen_at"] == T2


def test_a_removal_holds_until_the_post_answers_again(db):
    save(db, make_post(101), T1)
    assert storage.mark_removed(db, "rferl.org", 101, T3) is True
    assert storage.mark_removed(db, "rferl.org", 101, T4) is False  # already removed: the first date stays
    assert post_row(db)["removed_at"] == T3
    # A page fetched before the removal (older capture, same or other content) leaves it removed.
    save(db, make_post(101), T2)
    assert post_row(db)["removed_at"] == T3
    save(db, make_post(101, title="Edited before removal"), T2)
    assert post_row(db)["removed_at"] == T3
    # Seen again after its removal: back.
    save(db, make_post(101, title="Edited before removal"), T4)
    assert post_row(db)["removed_at"] is None
    storage.mark_removed(db, "rferl.org", 101, T4)
    assert storage.mark_unchanged(db, "rferl.org", 101, T4) and post_row(db)["removed_at"] is None


def test_a_change_keeps_the_old_version_in_revisions(db):
    save(db, make_post(101, title="First title"), T1)
    save(db, make_post(101, title="First title"), T2)
    assert save(db, make_post(101, title="Second title", tags=["Syria"]), T3) == "updated"
    [revision] = db.query("SELECT * FROM revisions")
    assert revision["changed_fields"] == '["tags", "title"]'
    assert revision["old_values"] == '{"tags": ["Syria", "Iraq"], "title": "First title"}'
    assert (revision["first_seen_at"], revision["last_seen_at"], revision["recorded_at"]) == (T1, T2, T3)
    assert revision["cause"] == "site"
    assert post_row(db)["title"] == "Second title" and post_row(db)["last_changed_at"] == T3
    assert [r["name"] for r in db.query("SELECT t.name FROM post_tags p JOIN tags t ON t.id = p.tag_id")] == ["Syria"]


def test_one_id_on_two_sites_is_two_posts_and_one_site_twice_is_one():
    pipeline = DedupePipeline.from_crawler(get_crawler())
    first, other_site = make_post(101), make_post(101, site="voanews.com", url="https://www.voanews.com/a/slug/101.html")
    assert pipeline.process_item(first) is first
    assert pipeline.process_item(other_site) is other_site  # the same id on another site: another post
    with pytest.raises(DropItem):
        pipeline.process_item(make_post(101, url="https://rferl.org/amp/other-slug/101.html"))
    assert pipeline.stats.get_value("pangea/posts_dropped/duplicate") == 1


def test_a_failure_belongs_to_its_post_whatever_url_it_was_asked_for(db):
    for url, led_to, now in (("https://www.rferl.org/a/one/5.html", "https://www.rferl.org/a/merged/9.html", T1),
                             ("https://www.rferl.org/a/5.html", None, T2)):
        storage.record_failure(db, site="rferl.org", url=url, kind="post", post_id=5, blog_zone=17257, error="HTTP 503",
                               now=now, led_to=led_to)
    storage.record_failure(db, site="rferl.org", url="https://www.rferl.org/a/merged/9.html", kind="post", post_id=6,
                           blog_zone=17257, error="HTTP 503", now=T2)
    storage.record_failure(db, site="rferl.org", url="https://www.rferl.org/z/17257?p=3", kind="index", post_id=None,
                           blog_zone=17257, error="HTTP 500", now=T2)
    found = list(db.query("SELECT post_id, kind, url, led_to, attempts, first_failed_at FROM failures ORDER BY kind, post_id"))
    assert found == [
        {"post_id": None, "kind": "index", "url": "https://www.rferl.org/z/17257?p=3", "led_to": None, "attempts": 1, "first_failed_at": T2},
        {"post_id": 5, "kind": "post", "url": "https://www.rferl.org/a/5.html", "led_to": None, "attempts": 2, "first_failed_at": T1},
        {"post_id": 6, "kind": "post", "url": "https://www.rferl.org/a/merged/9.html", "led_to": None, "attempts": 1, "first_failed_at": T2},
    ]
    state = storage.crawl_state(db, "rferl.org", 17257, recheck_since=T1)
    assert state.failed_posts == {5: "https://www.rferl.org/a/5.html", 6: "https://www.rferl.org/a/merged/9.html"}
    save(db, make_post(5, url="https://www.rferl.org/a/one/5.html"), T3)
    assert [r["post_id"] for r in db.query("SELECT post_id FROM failures WHERE kind = 'post'")] == [6]


def test_failures_of_an_archive_keyed_by_url_are_migrated_to_one_row_per_post(tmp_path):
    path = tmp_path / "old.db"
    storage.open_db(path).close()
    conn = sqlite3.connect(path)
    # As an archive before the migration: failures keyed by (site, url).
    conn.executescript(
        "DROP TABLE failures; DELETE FROM _sqlite_migrations WHERE name = '0006_failures_of_posts_by_post';"
        "CREATE TABLE failures (site TEXT, url TEXT, kind TEXT, post_id INTEGER, blog_zone INTEGER, first_failed_at TEXT,"
        " last_failed_at TEXT, attempts INTEGER, last_error TEXT, PRIMARY KEY (site, url));"
        f"INSERT INTO failures VALUES ('rferl.org', 'https://www.rferl.org/a/5.html', 'post', 5, 17257, '{T1}', '{T1}', 2, 'HTTP 500');"
        f"INSERT INTO failures VALUES ('rferl.org', 'https://www.rferl.org/a/x/5.html', 'post', 5, 17257, '{T2}', '{T3}', 1, 'HTTP 503');"
        f"INSERT INTO failures VALUES ('rferl.org', 'https://www.rferl.org/z/17257?p=2', 'index', NULL, 17257, '{T1}', '{T1}', 1, 'HTTP 500');"
    )
    conn.commit()
    conn.close()
    db = storage.open_db(path)
    rows = list(db.query("SELECT post_id, url, attempts, first_failed_at, last_failed_at, last_error FROM failures ORDER BY kind"))
    assert rows == [
        {"post_id": None, "url": "https://www.rferl.org/z/17257?p=2", "attempts": 1, "first_failed_at": T1, "last_failed_at": T1, "last_error": "HTTP 500"},
        {"post_id": 5, "url": "https://www.rferl.org/a/x/5.html", "attempts": 3, "first_failed_at": T1, "last_failed_at": T3, "last_error": "HTTP 503"},
    ]
    assert "led_to" in db["failures"].columns_dict
    assert {index.name for index in db["failures"].indexes} >= {"failures_post", "failures_page"}
    db.close()


def test_a_hash_of_another_version_is_no_change_by_itself(db):
    save(db, make_post(101), T1)
    form = storage.load_stored_form(db, "rferl.org", 101)
    db.execute("UPDATE posts SET content_hash = ? WHERE id = 101", [storage.content_hash(form, version=1)])
    assert save(db, make_post(101), T2) == "unchanged"
    assert db["revisions"].count == 0
    assert post_row(db)["content_hash"] == storage.content_hash(form) and post_row(db)["last_seen_at"] == T2


def test_an_empty_new_field_leaves_the_hash_as_it_was():
    from crawler.storage.writes import content_hash

    form = storage.stored_form(make_post(101))
    assert content_hash(dict(form, new_field=None)) == content_hash(form) == content_hash(dict(form, other=[]))
    assert content_hash(dict(form, new_field="x")) != content_hash(form)
    assert content_hash(dict(reversed(list(form.items())))) == content_hash(form)  # by name, not by order


def test_a_field_the_stored_version_did_not_cover_is_the_parsers_news(db, monkeypatch):
    from crawler.storage import writes

    # As if version 1 had not hashed the dateline: a post stored then, and a parser that reads it now.
    older_fields = tuple(name for name in writes._POSTS.hashed_by_version[2] if name != "dateline")
    monkeypatch.setitem(writes._POSTS.hashed_by_version, 1, older_fields)
    save(db, make_post(101, dateline=None), T1)
    form = storage.load_stored_form(db, "rferl.org", 101)
    db.execute("UPDATE posts SET content_hash = ? WHERE id = 101", [storage.content_hash(form, version=1)])
    assert save(db, make_post(101, dateline="MOSUL"), T2) == "updated"
    [revision] = db.query("SELECT changed_fields, cause FROM revisions")
    assert revision == {"changed_fields": '["dateline"]', "cause": "parser"}
    # A field the stored version covered that changed too: the site's edit.
    save(db, make_post(102, dateline=None), T1)
    form = storage.load_stored_form(db, "rferl.org", 102)
    db.execute("UPDATE posts SET content_hash = ? WHERE id = 102", [storage.content_hash(form, version=1)])
    save(db, make_post(102, dateline="MOSUL", title="Edited"), T2)
    [revision] = db.query("SELECT changed_fields, cause FROM revisions WHERE post_id = 102")
    assert revision == {"changed_fields": '["dateline", "title"]', "cause": "site"}
