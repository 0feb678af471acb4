"""The archive's tables and writes, on in-memory and on-disk databases."""

import json
import sqlite3

import pytest
import sqlite_utils

from crawler.analysis import match_expression

from crawler import storage
from crawler.items import Embed, Image, Link, Post


def make_post(post_id=101, **changes) -> Post:
    fields = dict(
        id=post_id,
        url=f"https://www.rferl.org/a/slug/{post_id}.html",
        site="rferl.org",
        title="A Title",
        description="A description",
        authors=["Joanna Paraszczuk", "James Miller"],
        published_at="2015-02-05T11:24:00+00:00",
        updated_at="2015-02-05T11:24:00+00:00",
        tags=["Syria", "Iraq"],
        section="Under The Black Flag",
        zone=17257,
        blog_zone=17257,
        language="en-US",
        body_text="First paragraph with a link.\n\nSecond paragraph.",
        body_html='<p>First paragraph with a <a href="https://x.example/">link</a>.</p><p>Second paragraph.</p>',
        word_count=7,
        images=[
            Image(0, "https://gdb.rferl.org/lead.jpg", "Lead caption", None, True),
            Image(1, "https://gdb.rferl.org/inline.jpg", "Inline caption", "AFP", False),
        ],
        links=[Link(0, "https://x.example/", "link", "x.example", False)],
        embeds=[Embed(0, "youtube", "https://www.youtube.com/embed/abc")],
    )
    fields.update(changes)
    return Post(**fields)


@pytest.fixture
def db():
    database = sqlite_utils.Database(memory=True)
    storage.ensure_db_shape(database)
    return database


def test_shape_is_complete_and_can_be_made_again(db):
    storage.ensure_db_shape(db)
    assert set(db.table_names()) >= {
        "posts", "images", "links", "embeds", "authors", "tags", "post_authors", "post_tags", "crawl_runs", "posts_fts",
    }
    assert db["posts"].pks == ["site", "id"]
    assert db["images"].pks == ["site", "post_id", "position"]
    assert {fk.other_table for fk in db["post_authors"].foreign_keys} == {"posts", "authors"}
    assert [fk.columns for fk in db["images"].foreign_keys] == [("site", "post_id")]
    assert db.execute("PRAGMA user_version").fetchone()[0] == storage.SCHEMA_VERSION


def test_save_post_writes_the_whole_post(db):
    assert storage.save_post(db, make_post(), "2026-01-01T00:00:00+00:00") == "new"
    row = db["posts"].get(("rferl.org", 101))
    assert json.loads(row["authors"]) == ["Joanna Paraszczuk", "James Miller"]
    assert json.loads(row["tags"]) == ["Syria", "Iraq"]
    assert (row["lead_image_url"], row["lead_image_caption"]) == ("https://gdb.rferl.org/lead.jpg", "Lead caption")
    assert row["first_seen_at"] == row["last_seen_at"] == "2026-01-01T00:00:00+00:00"
    assert [(r["position"], r["caption"], r["credit"], r["is_lead"]) for r in db["images"].rows_where(order_by="position")] == [
        (0, "Lead caption", None, 1),
        (1, "Inline caption", "AFP", 0),
    ]
    assert [(r["text"], r["domain"], r["internal"]) for r in db["links"].rows] == [("link", "x.example", 0)]
    assert [r["kind"] for r in db["embeds"].rows] == ["youtube"]
    names = db.execute(
        "SELECT authors.name FROM post_authors JOIN authors ON authors.id = author_id WHERE site = 'rferl.org' AND post_id = 101 "
        "ORDER BY name"
    ).fetchall()
    assert names == [("James Miller",), ("Joanna Paraszczuk",)]
    assert search(db, "posts", "paragraph") == [db.execute("SELECT rowid FROM posts WHERE id = 101").fetchone()[0]]


def test_saving_the_same_post_again_changes_nothing_but_last_seen(db):
    storage.save_post(db, make_post(), "2026-01-01T00:00:00+00:00")
    assert storage.save_post(db, make_post(), "2026-01-02T00:00:00+00:00") == "unchanged"
    row = db["posts"].get(("rferl.org", 101))
    assert row["first_seen_at"] == "2026-01-01T00:00:00+00:00"
    assert row["last_seen_at"] == "2026-01-02T00:00:00+00:00"
    assert db["posts"].count == 1 and db["images"].count == 2 and db["post_tags"].count == 2


def test_a_changed_post_replaces_its_rows(db):
    storage.save_post(db, make_post(), "2026-01-01T00:00:00+00:00")
    changed = make_post(title="A New Title", tags=["Syria"], images=[], links=[])
    assert storage.save_post(db, changed, "2026-01-03T00:00:00+00:00") == "updated"
    row = db["posts"].get(("rferl.org", 101))
    assert row["title"] == "A New Title"
    assert row["first_seen_at"] == "2026-01-01T00:00:00+00:00"
    assert row["last_changed_at"] == "2026-01-03T00:00:00+00:00"
    assert row["lead_image_url"] is None
    assert db["images"].count == 0 and db["links"].count == 0 and db["post_tags"].count == 1
    assert db["tags"].count == 2  # tags are kept as a vocabulary


def test_crawl_runs_book(db):
    run_id = storage.start_run(db, mode="full", start_url="https://www.rferl.org/z/17257", now="2026-01-01T00:00:00+00:00")
    storage.finish_run(db, run_id, finished_at="2026-01-01T00:01:00+00:00", status="finished", posts_new=3, fields_missing={"tags": 1})
    row = db["crawl_runs"].get(run_id)
    assert (row["status"], row["posts_new"], json.loads(row["fields_missing"])) == ("finished", 3, {"tags": 1})


def test_open_db_refuses_a_missing_directory(tmp_path):
    with pytest.raises(storage.StorageError, match="does not exist"):
        storage.open_db(tmp_path / "missing" / "x.db")


def test_open_db_refuses_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are not the tables you are looking for\n" * 200)
    with pytest.raises(storage.StorageError, match="not a database"):
        storage.open_db(path)
    assert path.read_text().startswith("these are not")


def test_open_db_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {storage.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(storage.StorageError, match="newer than this crawler"):
        storage.open_db(path)


def test_open_db_uses_wal(tmp_path):
    db = storage.open_db(tmp_path / "a.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_a_changed_post_keeps_its_old_values_in_revisions(db):
    storage.save_post(db, make_post(), "2026-01-01T00:00:00+00:00")
    storage.save_post(db, make_post(), "2026-01-02T00:00:00+00:00")
    changed = make_post(title="A New Title", updated_at="2026-01-03T00:00:00+00:00", links=[])
    storage.save_post(db, changed, "2026-01-03T00:00:00+00:00")
    [revision] = list(db["revisions"].rows)
    assert json.loads(revision["changed_fields"]) == ["links", "title", "updated_at"]
    old = json.loads(revision["old_values"])
    assert old["title"] == "A Title"
    assert old["links"] == [{"position": 0, "url": "https://x.example/", "text": "link", "domain": "x.example", "internal": 0}]
    assert (revision["first_seen_at"], revision["last_seen_at"], revision["recorded_at"]) == (
        "2026-01-01T00:00:00+00:00",
        "2026-01-02T00:00:00+00:00",
        "2026-01-03T00:00:00+00:00",
    )
    assert revision["content_hash"] != db["posts"].get(("rferl.org", 101))["content_hash"]


def test_http_validators_do_not_make_a_post_changed(db):
    storage.save_post(db, make_post(etag='"a"'), "2026-01-01T00:00:00+00:00")
    assert storage.save_post(db, make_post(etag='"b"'), "2026-01-02T00:00:00+00:00") == "unchanged"
    assert db["posts"].get(("rferl.org", 101))["etag"] == '"b"'


def test_removed_posts_are_marked_never_deleted_and_come_back(db):
    storage.save_post(db, make_post(), "2026-01-01T00:00:00+00:00")
    assert storage.mark_removed(db, "rferl.org", 101, "2026-01-05T00:00:00+00:00") is True
    assert storage.mark_removed(db, "rferl.org", 101, "2026-01-06T00:00:00+00:00") is False
    row = db["posts"].get(("rferl.org", 101))
    assert row["removed_at"] == "2026-01-05T00:00:00+00:00" and row["title"] == "A Title"
    assert storage.save_post(db, make_post(), "2026-01-07T00:00:00+00:00") == "unchanged"
    assert db["posts"].get(("rferl.org", 101))["removed_at"] is None


def test_crawl_state_knows_stored_posts_and_the_recheck_window(db):
    storage.save_post(db, make_post(101, published_at="2026-01-10T00:00:00+00:00", etag='"e"'), "2026-01-10T00:00:00+00:00")
    storage.save_post(db, make_post(102, published_at="2025-01-01T00:00:00+00:00"), "2026-01-10T00:00:00+00:00")
    storage.save_post(db, make_post(103, published_at="2026-01-09T00:00:00+00:00"), "2026-01-10T00:00:00+00:00")
    storage.mark_removed(db, "rferl.org", 103, "2026-01-10T00:00:00+00:00")
    state = storage.crawl_state(db, "rferl.org", 17257, "2026-01-07T00:00:00+00:00")
    assert all(post_id in state.known for post_id in (101, 102, 103)) and state.known[103].removed
    assert 104 not in state.known and state.known.get(104) is None and len(state.known) == 3
    assert state.recheck == [101] and state.known[101].etag == '"e"'
    assert state.index_complete is False
    storage.save_blog(db, site="rferl.org", zone=17257, title="Blog", now="2026-01-10T00:00:00+00:00", index_complete=True)
    storage.save_blog(db, site="rferl.org", zone=17257, title=None, now="2026-01-11T00:00:00+00:00", index_complete=False)
    assert storage.crawl_state(db, "rferl.org", 17257, "2026-01-07").index_complete is True
    assert 101 not in storage.crawl_state(db, "other.org", 17257, "2026-01-07").known


def test_missing_field_counts(db):
    storage.save_post(db, make_post(101), "2026-01-01T00:00:00+00:00")
    storage.save_post(db, make_post(102, tags=[], section=None), "2026-01-01T00:00:00+00:00")
    assert storage.missing_field_counts(db, ("title", "tags", "section")) == (2, {"title": 0, "tags": 1, "section": 1})


def test_run_lock_is_exclusive_and_released(tmp_path):
    first = storage.RunLock(tmp_path / "a.db").acquire()
    with pytest.raises(storage.StorageError, match="another crawl is writing"):
        storage.RunLock(tmp_path / "a.db").acquire()
    first.release()
    storage.RunLock(tmp_path / "a.db").acquire().release()


def test_one_id_on_two_sites_is_two_posts(db):
    storage.save_post(db, make_post(101), "2026-01-01T00:00:00+00:00")
    other = make_post(101, site="voanews.com", url="https://www.voanews.com/a/x/101.html", title="Another site's post")
    assert storage.save_post(db, other, "2026-01-01T00:00:00+00:00") == "new"
    assert db["posts"].count == 2 and db["images"].count == 4
    assert db["posts"].get(("rferl.org", 101))["title"] == "A Title"
    assert db["posts"].get(("voanews.com", 101))["title"] == "Another site's post"


def test_a_post_listed_in_two_blogs_belongs_to_both(db):
    storage.save_post(db, make_post(101, blog_zone=17257, blog_site="rferl.org"), "2026-01-01T00:00:00+00:00")
    storage.save_post(db, make_post(101, blog_zone=1755, blog_site="rferl.org"), "2026-01-02T00:00:00+00:00")
    assert [(r["zone"], r["first_seen_at"][:10]) for r in db["post_blogs"].rows_where(order_by="zone")] == [
        (1755, "2026-01-02"),
        (17257, "2026-01-01"),
    ]


def search(db, table: str, words: str) -> list:
    return [row[0] for row in db.execute(f"SELECT rowid FROM [{table}_fts] WHERE [{table}_fts] MATCH ?", [match_expression(words)]).fetchall()]


def test_full_text_search_follows_new_changed_unchanged_and_removed_posts(db):
    storage.save_post(db, make_post(101, title="Caliphate Propaganda"), "2026-01-01T00:00:00+00:00")
    storage.save_post(db, make_post(102, title="Another Story"), "2026-01-01T00:00:00+00:00")
    [rowid] = search(db, "posts", "caliphate")
    assert storage.search_index_problems(db) == []

    storage.save_post(db, make_post(101, title="Caliphate Propaganda"), "2026-01-02T00:00:00+00:00")  # unchanged
    storage.mark_unchanged(db, "rferl.org", 101, "2026-01-03T00:00:00+00:00")
    storage.mark_removed(db, "rferl.org", 102, "2026-01-03T00:00:00+00:00")
    assert search(db, "posts", "caliphate") == [rowid] and storage.search_index_problems(db) == []

    edited = make_post(101, title="Recruitment Videos", body_text="A paragraph about videos.")
    assert storage.save_post(db, edited, "2026-01-04T00:00:00+00:00") == "updated"
    assert search(db, "posts", "caliphate") == []
    assert search(db, "posts", "recruitment") == [rowid] == search(db, "posts", "paragraph videos")
    # A change outside the searched text leaves the index as it is, and consistent.
    assert storage.save_post(db, make_post(101, title="Recruitment Videos", body_text="A paragraph about videos.", tags=["ISIS"]),
                             "2026-01-05T00:00:00+00:00") == "updated"
    assert search(db, "posts", "recruitment") == [rowid]
    assert storage.search_index_problems(db) == []


def test_full_text_search_follows_live_entries(db):
    storage.save_post(db, make_post(7), "2026-01-01T00:00:00+00:00")
    entry = dict(site="rferl.org", post_id=7, entry_id=1, published_at="2015-11-20T10:00:00+00:00", headline="Raqqa Strikes",
                 body_text="Entry text.", body_html="<p>Entry text.</p>", links=[], images=[], url="https://www.rferl.org/a/x/7/lbl1lbi1.html")
    assert storage.save_entry(db, entry, "2026-01-01T00:00:00+00:00") == "new"
    storage.renumber_entries(db, "rferl.org", 7, "2026-01-01T00:00:00+00:00")
    [rowid] = search(db, "live_entries", "raqqa")
    assert storage.save_entry(db, dict(entry, headline="Mosul Strikes"), "2026-01-02T00:00:00+00:00") == "updated"
    assert search(db, "live_entries", "raqqa") == [] and search(db, "live_entries", "mosul") == [rowid]
    assert storage.search_index_problems(db) == []


def test_live_entries_share_the_versioned_write_of_posts(db):
    """An entry is kept like a post: unchanged moves only its last seen; a change keeps the
    old values (lists as lists, like a post's) in revisions with the entry's id."""
    storage.save_post(db, make_post(7), "2026-01-01T00:00:00+00:00")
    link = {"position": 0, "url": "https://x.example/a", "text": "a source", "domain": "x.example", "internal": False}
    entry = dict(site="rferl.org", post_id=7, entry_id=3, published_at="2015-11-20T10:00:00+00:00", headline="Raqqa",
                 body_text="Entry text.", body_html="<p>Entry text.</p>", links=[link], images=[], url=None)
    assert storage.save_entry(db, entry, "2026-01-01T00:00:00+00:00") == "new"
    assert storage.save_entry(db, dict(entry), "2026-01-02T00:00:00+00:00") == "unchanged"
    stored = db["live_entries"].get(("rferl.org", 7, 3))
    assert (stored["first_seen_at"], stored["last_seen_at"]) == ("2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00")
    assert list(db["revisions"].rows) == []

    edited = dict(entry, links=[dict(link, text="another source")])
    assert storage.save_entry(db, edited, "2026-01-03T00:00:00+00:00") == "updated"
    [revision] = list(db["revisions"].rows)
    assert (revision["post_id"], revision["entry_id"]) == (7, 3)
    assert json.loads(revision["changed_fields"]) == ["links"]
    assert json.loads(revision["old_values"]) == {"links": [dict(link, internal=0)]}
    assert (revision["first_seen_at"], revision["last_seen_at"], revision["recorded_at"]) == (
        "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00")
    assert revision["content_hash"] == stored["content_hash"] != db["live_entries"].get(("rferl.org", 7, 3))["content_hash"]
    assert json.loads(db["live_entries"].get(("rferl.org", 7, 3))["links"])[0]["text"] == "another source"


def test_search_index_problems_are_found(db):
    storage.save_post(db, make_post(), "2026-01-01T00:00:00+00:00")
    db.execute("UPDATE posts SET body_text = 'rewritten behind the crawler''s back'")
    assert [problem.split(":")[0] for problem in storage.search_index_problems(db)] == ["posts_fts"]


def test_an_archive_of_schema_1_loses_its_full_text_triggers_and_gets_its_index_anew(tmp_path):
    path = tmp_path / "old.db"
    db = storage.open_db(path)
    storage.save_post(db, make_post(101, title="Caliphate Propaganda"), "2026-01-01T00:00:00+00:00")
    # Schema 1 kept the index (sqlite-utils' porter one, over the posts) with its triggers.
    db.execute("DROP TABLE posts_fts")
    db.execute("DELETE FROM search_index")
    db["posts"].enable_fts(["title", "body_text"], create_triggers=True, tokenize="porter")
    db.execute("PRAGMA user_version = 1")
    assert {t.name for t in db.triggers} >= {"posts_ai", "posts_au", "posts_ad"}
    db.close()

    db = storage.open_db(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == storage.SCHEMA_VERSION == 2
    # The full-text triggers are gone; what is left are the triggers that keep the counts.
    assert not {t.name for t in db.triggers} & {"posts_ai", "posts_au", "posts_ad"}
    assert {t.name for t in db.triggers} == {
        name for name in {**storage.schema.post_counts_sql(), **storage.schema.facet_counts_sql(), **storage.schema.name_dates_sql()}
        if name not in ("post_counts", "facet_counts", "name_dates")
    }
    storage.save_post(db, make_post(101, title="Recruitment Videos"), "2026-01-02T00:00:00+00:00")
    storage.save_post(db, make_post(102, title="Caliphate Again"), "2026-01-02T00:00:00+00:00")
    assert len(search(db, "posts", "caliphate")) == 1 and len(search(db, "posts", "recruitment")) == 1
    assert storage.search_index_problems(db) == []
    db.close()


def test_an_archive_indexed_before_the_languages_were_read_is_indexed_anew_its_text_untouched(tmp_path):
    """The index of an archive made before (sqlite-utils' porter index over the posts'
    own text, English stems only, Persian and Chinese as whole runs) is made anew when
    the archive is opened: the stored text is what it was, and every search that found a
    post before finds it still, with the word forms the languages add."""
    path = tmp_path / "before.db"
    db = storage.open_db(path)
    posts = {
        101: ("Fighters Seen In Raqqa", "en", "Foreign fighters were seen."),
        102: ("Бои в городе", "ru", "В городе продолжались бои."),
        103: ("کتاب‌ها", "fa", "کتاب‌ها را خواندیم."),
        104: ("政府宣布", "zh", "北京市政府今天宣布新的措施。"),
    }
    with db.atomic():
        for post_id, (title, language, body) in posts.items():
            storage.save_post(db, make_post(post_id, title=title, body_text=body, language=language), "2026-01-01T00:00:00+00:00")
    for table in ("posts_fts", "live_entries_fts"):
        db.execute(f"DROP TABLE {table}")
    db.execute("DROP TABLE search_index")
    db["posts"].enable_fts(["title", "body_text"], tokenize="porter")
    db["live_entries"].enable_fts(["headline", "body_text"], tokenize="porter")
    old_finds = {query: {r[0] for r in db.execute("SELECT p.id FROM posts_fts f JOIN posts p ON p.rowid = f.rowid WHERE posts_fts MATCH ?",
                                                  [f'"{query}"'])}
                 for query in ("fighters", "городе", "کتاب‌ها", "北京市政府今天宣布新的措施")}
    text = [tuple(r) for r in db.execute("SELECT id, title, body_text, language FROM posts ORDER BY id")]
    db.close()

    db = storage.open_db(path)
    assert [tuple(r) for r in db.execute("SELECT id, title, body_text, language FROM posts ORDER BY id")] == text
    assert "content=''" in db.execute("SELECT sql FROM sqlite_master WHERE name = 'posts_fts'").fetchone()[0]
    ids = {rowid: post_id for rowid, post_id in db.execute("SELECT rowid, id FROM posts")}
    for query, found in old_finds.items():
        assert found <= {ids[r] for r in search(db, "posts", query)}, query
    assert {ids[r] for r in search(db, "posts", "fighter")} == {101}
    assert {ids[r] for r in search(db, "posts", "город")} == {102}
    assert {ids[r] for r in search(db, "posts", "کتابها")} == {103}
    assert {ids[r] for r in search(db, "posts", "政府")} == {104}
    assert storage.search_index_problems(db) == []
    db.close()


def test_schema_changes_are_sqlite_utils_migrations_applied_once(tmp_path):
    """An archive made before a change gets it from its migration, recorded once; opening
    the archive again applies nothing more."""
    path = tmp_path / "before.db"
    db = storage.open_db(path)
    with db.atomic():
        storage.save_post(db, make_post(101), "2026-01-01T00:00:00+00:00")
    # As an archive before the run audit and identity mismatches, with no migration record.
    db["identity_mismatches"].drop()
    db["crawl_runs"].transform(drop={"index_walk", "posts_missed_by_index", "audit"})
    db["_sqlite_migrations"].drop()
    db.close()

    db = storage.open_db(path)
    names = [row["name"] for row in db["_sqlite_migrations"].rows]
    assert names == [m.name for m in storage.MIGRATIONS._migrations] and len(names) >= 3
    assert "identity_mismatches" in db.table_names()
    assert {"index_walk", "posts_missed_by_index", "audit"} <= set(db["crawl_runs"].columns_dict)
    assert db["posts"].count == 1
    db.close()
    db = storage.open_db(path)
    assert db["_sqlite_migrations"].count == len(names)
    assert storage.MIGRATIONS.pending(db) == []
    db.close()


def test_a_batch_writes_the_index_last_and_all_or_nothing(db):
    with storage.batch(db):
        storage.save_post(db, make_post(101, title="Caliphate Propaganda"), "2026-01-01T00:00:00+00:00")
        storage.save_post(db, make_post(102, title="Recruitment Videos"), "2026-01-01T00:00:00+00:00")
        assert search(db, "posts", "caliphate") == []  # not yet: written when the batch ends
    assert len(search(db, "posts", "caliphate")) == 1 and len(search(db, "posts", "recruitment")) == 1

    with pytest.raises(RuntimeError):
        with storage.batch(db):
            storage.save_post(db, make_post(101, title="Edited Title"), "2026-01-02T00:00:00+00:00")
            raise RuntimeError("killed halfway")
    assert db["posts"].get(("rferl.org", 101))["title"] == "Caliphate Propaganda"
    assert search(db, "posts", "edited") == [] and len(search(db, "posts", "caliphate")) == 1
    assert storage.search_index_problems(db) == []


def test_blogs_of_one_site_share_its_posts_and_keep_their_own_listings(db):
    for post_id in (101, 102):
        storage.save_post(db, make_post(post_id), "2026-01-10T00:00:00+00:00")  # both found in blog 17257
    storage.record_listing(db, site="rferl.org", post_id=102, blog_site="rferl.org", zone=30101, now="2026-01-10T00:00:00+00:00")
    first = storage.crawl_state(db, "rferl.org", 17257, "2026-01-07")
    second = storage.crawl_state(db, "rferl.org", 30101, "2026-01-07", site_state=first)
    # One lookup of the site's posts, however many blogs of the site the run has.
    assert second.known.site_posts is first.known.site_posts and 101 in second.known and 102 in second.known
    assert [i in second.in_blog for i in (101, 102)] == [False, True] and [i in first.in_blog for i in (101, 102)] == [True, True]


T1, T2, T3 = "2026-01-10T00:00:00+00:00", "2026-01-11T00:00:00+00:00", "2026-01-12T00:00:00+00:00"


def _counted_by_a_scan(db) -> dict:
    """What ``post_counts`` must say, counted the slow way."""
    fields = storage.schema.COUNTED_FIELDS
    missing = ", ".join(f"sum(removed_at IS NULL AND ({f} IS NULL OR {f} IN ('', '[]')))" for f in fields)
    return {
        row[0]: list(row[1:])
        for row in db.execute(f"SELECT site, count(*), sum(removed_at IS NOT NULL), {missing} FROM posts GROUP BY site")
    }


def _counted(db) -> dict:
    names = ", ".join(f"[missing_{f}]" for f in storage.schema.COUNTED_FIELDS)
    return {row[0]: list(row[1:]) for row in db.execute(f"SELECT site, posts, removed, {names} FROM post_counts") if row[1]}


def test_post_counts_follow_every_write_of_a_post(db):
    steps = [
        lambda: storage.save_post(db, make_post(101), T1),
        lambda: storage.save_post(db, make_post(102, tags=[], section=None), T1),
        lambda: storage.save_post(db, make_post(7, site="www.svoboda.org", url="https://www.svoboda.org/a/7.html", title=""), T1),
        lambda: storage.save_post(db, make_post(101, authors=[], title="Edited"), T2),  # a field goes missing
        lambda: storage.save_post(db, make_post(102), T2),  # and comes back
        lambda: storage.mark_removed(db, "rferl.org", 102, T2),
        lambda: storage.mark_removed(db, "rferl.org", 102, T3),  # again: nothing changes
        lambda: storage.mark_unchanged(db, "rferl.org", 102, T3),  # seen again: no longer removed
        lambda: storage.mark_removed(db, "rferl.org", 101, T3),
        lambda: db.execute("DELETE FROM posts WHERE site = 'www.svoboda.org'"),
    ]
    for step in steps:
        with db.atomic():
            step()
        assert _counted(db) == _counted_by_a_scan(db)
    assert _counted(db) == {"rferl.org": [2, 1, 0, 0, 0, 0, 0, 0, 0]}
    assert storage.missing_field_counts(db, ("title", "tags")) == (1, {"title": 0, "tags": 0})
    assert storage.count_posts(db) == 2


def test_post_counts_made_anew_when_what_they_count_changed(tmp_path):
    path = tmp_path / "a.db"
    db = storage.open_db(path)
    storage.save_post(db, make_post(101, tags=[]), T1)
    storage.save_post(db, make_post(102), T1)
    db.conn.commit()
    # As an archive whose counts were made by another version (other fields, wrong numbers).
    db.execute("DROP TRIGGER post_counts_update")
    db.execute("CREATE TRIGGER post_counts_update AFTER UPDATE OF title ON posts BEGIN SELECT 1; END")
    db.execute("UPDATE post_counts SET posts = 99, [missing_tags] = 0")
    db.conn.commit()
    db.close()
    db = storage.open_db(path)
    assert _counted(db) == _counted_by_a_scan(db) == {"rferl.org": [2, 0, 0, 0, 0, 0, 1, 0, 0]}
    assert {t.name: t.sql for t in db.triggers}["post_counts_update"] == storage.schema.post_counts_sql()["post_counts_update"]
    db.close()


def test_a_run_goes_by_the_archive_as_it_found_it_whatever_it_writes(db):
    storage.save_post(db, make_post(101), T1)
    storage.save_post(db, make_post(102), T1)
    snapshot = storage.RunSnapshot(db, "2026-01-07T00:00:00+00:00")
    first, second = snapshot.blog_state("rferl.org", 17257), snapshot.blog_state("rferl.org", 30101)
    assert 101 in first.known and 103 not in first.known and 101 in first.in_blog and 101 not in second.in_blog
    # The run stores a new post, lists a stored one in the second blog, marks one removed:
    # the store says so first, as the pipeline does.
    snapshot.remember([("rferl.org", 103), ("rferl.org", 102), ("rferl.org", 101)])
    storage.save_post(db, make_post(103), T2)
    storage.record_listing(db, site="rferl.org", post_id=102, blog_site="rferl.org", zone=30101, now=T2)
    storage.mark_removed(db, "rferl.org", 101, T2)
    for state in (first, second):
        assert 103 not in state.known and not state.known[101].removed and 102 not in second.in_blog
    # A new run finds what this one wrote.
    later = storage.RunSnapshot(db, "2026-01-07T00:00:00+00:00")
    assert 103 in later.blog_state("rferl.org", 17257).known and 102 in later.blog_state("rferl.org", 30101).in_blog


def test_the_latest_capture_of_a_url_is_looked_up_by_url(db):
    rows = [
        dict(record_id=f"<urn:uuid:{n}>", run_id=1, warc_file="a.warc.gz", offset=n, length=1, warc_type=kind, url=url,
             fetched_at=at, status=status, payload_digest=f"sha1:{n}", refers_to=None)
        for n, (kind, url, at, status) in enumerate([
            ("response", "https://www.rferl.org/a/1.html", T1, 200),
            ("response", "https://www.rferl.org/a/1.html", T2, 200),
            ("revisit", "https://www.rferl.org/a/1.html", T3, 200),
            ("response", "https://www.rferl.org/a/1.html", T3, 404),
            ("response", "https://www.rferl.org/a/2.html", T1, 200),
        ])
    ]
    storage.save_captures(db, rows)
    captures = storage.latest_captures(db)
    assert captures.get("https://www.rferl.org/a/1.html")[:2] == ("<urn:uuid:1>", "sha1:1")
    assert captures.get("https://www.rferl.org/a/2.html")[0] == "<urn:uuid:4>"
    assert captures.get("https://www.rferl.org/a/3.html") is None


def _facets_by_a_scan(db) -> dict:
    """What ``facet_counts`` must say, counted the slow way: (facet, value, month) -> [posts, removed]."""
    found = {}
    month = "coalesce(substr(p.published_at, 1, 7), '')"
    selects = [f"SELECT '{c}', p.[{c}], {month}, p.removed_at, p.site FROM posts p WHERE p.[{c}] IS NOT NULL"
               for c in ("site", "section", "language")]
    selects.append(f"SELECT 'month', {month}, {month}, p.removed_at, p.site FROM posts p")
    for facet in ("authors", "tags"):
        selects.append(f"SELECT '{facet}', value, {month}, p.removed_at, p.site FROM posts p, json_each(p.{facet})")
    selects.append(f"SELECT 'blog', b.blog_site || '/' || b.zone, {month}, p.removed_at, p.site FROM posts p "
                   "JOIN post_blogs b ON b.site = p.site AND b.post_id = p.id")
    selects.append("SELECT 'domain_links', coalesce(domain, ''), '', NULL, site FROM links WHERE internal = 0")
    selects.append("SELECT 'domain_posts', d, '', NULL, site FROM (SELECT DISTINCT coalesce(domain, '') AS d, site, post_id "
                   "FROM links WHERE internal = 0)")
    for facet, value, month_, removed_at, site in db.execute(" UNION ALL ".join(selects)):
        counts = found.setdefault((facet, value, month_, site), [0, 0])
        counts[0] += 1
        counts[1] += removed_at is not None
    return found


def _facets(db) -> dict:
    return {r[:4]: [r[4], r[5]] for r in db.execute("SELECT facet, value, month, site, posts, removed FROM facet_counts") if r[4]}


def _writes_of_every_kind(db) -> list:
    return [
        lambda: storage.save_post(db, make_post(101), T1),
        lambda: storage.save_post(db, make_post(102, tags=["Iraq"], section=None, published_at=None), T1),
        lambda: storage.save_post(db, make_post(7, site="www.svoboda.org", url="https://www.svoboda.org/a/7.html", language="ru"), T1),
        lambda: storage.save_post(db, make_post(101, authors=["Claire Smith"], tags=["Syria", "Mosul"], published_at="2016-03-01T00:00:00+00:00"), T2),
        lambda: storage.mark_removed(db, "rferl.org", 102, T2),
        lambda: storage.save_post(db, make_post(102, section="Other", links=[
            Link(0, "https://x.example/", "link", "x.example", False), Link(1, "https://x.example/2", "two", "x.example", False),
            Link(2, "mailto:a@b.example", "mail", None, False), Link(3, "https://www.rferl.org/a/1.html", "in", "www.rferl.org", True),
        ]), T3),  # back, edited and dated, with two links to one domain
        lambda: db.execute("UPDATE links SET domain = 'y.example' WHERE site = 'rferl.org' AND post_id = 102 AND position = 1"),
        lambda: storage.mark_removed(db, "rferl.org", 101, T3),
        lambda: storage.record_listing(db, site="rferl.org", post_id=102, blog_site="rferl.org", zone=30101, now=T3),
        lambda: [db.execute(f"DELETE FROM {t} WHERE site = 'www.svoboda.org'") for t in ("post_tags", "post_authors", "post_blogs", "links", "posts")],
    ]


def test_facet_counts_follow_every_write_of_a_post(db):
    for step in _writes_of_every_kind(db):
        with db.atomic():
            step()
        assert _facets(db) == _facets_by_a_scan(db)
    r = "rferl.org"
    assert _facets(db)[("authors", "Claire Smith", "2016-03", r)] == [1, 1]
    assert _facets(db)[("section", "Other", "2015-02", r)] == [1, 0]
    assert _facets(db)[("blog", "rferl.org/30101", "2015-02", r)] == [1, 0]
    assert _facets(db)[("domain_links", "x.example", "", r)] == [2, 0] and _facets(db)[("domain_posts", "x.example", "", r)] == [2, 0]
    assert ("domain_links", "www.rferl.org", "", r) not in _facets(db)


def _name_dates_by_a_scan(db) -> set:
    return set(db.execute(
        "SELECT 'authors', a.name, coalesce(p.published_at, ''), p.site, p.id FROM post_authors j JOIN authors a ON a.id = j.author_id "
        "JOIN posts p ON p.site = j.site AND p.id = j.post_id UNION ALL "
        "SELECT 'tags', t.name, coalesce(p.published_at, ''), p.site, p.id FROM post_tags j JOIN tags t ON t.id = j.tag_id "
        "JOIN posts p ON p.site = j.site AND p.id = j.post_id"
    ).fetchall())


def test_name_dates_follow_every_write_of_a_post(db):
    """The index of each name's posts by date equals the join it stands for, after every
    kind of write, and a name's newest posts are read from it by its primary key."""
    for step in _writes_of_every_kind(db):
        with db.atomic():
            step()
        assert set(db.execute("SELECT * FROM name_dates").fetchall()) == _name_dates_by_a_scan(db)
    # A post's date moves, a post's tags change without its date: the index follows.
    with db.atomic():
        db.execute("UPDATE posts SET published_at = '2017-01-01T00:00:00+00:00' WHERE id = 101")
        db.execute("DELETE FROM post_tags WHERE post_id = 102")
    found = set(db.execute("SELECT * FROM name_dates").fetchall())
    assert found == _name_dates_by_a_scan(db)
    assert {d for f, n, d, s, p in found if p == 101} == {"2017-01-01T00:00:00+00:00"}
    assert not {r for r in found if r[0] == "tags" and r[4] == 102}
    assert {r[0] for r in db.execute("SELECT post_id FROM name_dates WHERE facet = 'authors' AND name = 'CLAIRE SMITH'")} == {101}
    plan = " ".join(r[-1] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT post_id FROM name_dates WHERE facet = 'authors' AND name = 'claire smith' ORDER BY published_at DESC LIMIT 5"
    ))
    assert "USING PRIMARY KEY" in plan and "ORDER BY" not in plan


def test_every_page_is_checked_when_the_archive_is_not_as_the_last_run_left_it(tmp_path, monkeypatch):
    from crawler.storage.checked import needs_whole_check, remember_as_left, _record_path

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = tmp_path / "a.db"
    storage.open_db(path).close()
    assert needs_whole_check(path, 7)  # never seen
    remember_as_left(path, checked=True)
    assert not needs_whole_check(path, 7) and needs_whole_check(path, 0)
    with sqlite3.connect(path) as conn:  # another tool writes to it
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    assert needs_whole_check(path, 7)
    remember_as_left(path, checked=False)  # a run that did not check: its last whole check stays
    assert not needs_whole_check(path, 7)
    record = json.loads(_record_path(path).read_text())
    record["checked_at"] -= 8 * 86400
    _record_path(path).write_text(json.dumps(record))
    assert needs_whole_check(path, 7) and not needs_whole_check(path, 9)
    _record_path(path).write_text("not json")
    assert needs_whole_check(path, 7)
    copy = tmp_path / "b.db"
    copy.write_bytes(path.read_bytes())
    assert needs_whole_check(copy, 7)


def test_a_check_made_while_a_run_wrote_keeps_the_file_as_the_run_left_it(tmp_path, monkeypatch):
    from crawler.storage.checked import file_state, needs_whole_check, remember_as_left, remember_checked

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = tmp_path / "a.db"
    storage.open_db(path).close()
    before = file_state(path)  # scrapy verify begins
    db = storage.open_db(path)  # a run writes meanwhile, and records the file as it left it
    storage.save_post(db, make_post(101), T1)
    db.conn.commit()
    db.close()
    remember_as_left(path, checked=False)
    remember_checked(path, before)  # the check ends: the run's record of the file stays
    assert not needs_whole_check(path, 7)
    with sqlite3.connect(path) as conn:  # then another program writes
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    before = file_state(path)
    remember_checked(path, before)  # checked as it is now, nothing written meanwhile
    assert not needs_whole_check(path, 7)


def test_the_whole_check_reads_the_file_ahead_only_when_it_fits_in_memory(tmp_path, monkeypatch):
    from crawler.storage import schema

    path = tmp_path / "a.db"
    storage.open_db(path).close()
    size = path.stat().st_size
    monkeypatch.setattr(schema, "_memory_available", lambda: 2 * size + 2)
    assert schema.read_ahead(path) is True
    monkeypatch.setattr(schema, "_memory_available", lambda: 2 * size - 2)
    assert schema.read_ahead(path) is False
    storage.check_archive(path, thorough=True)  # the check itself, without the read ahead


def test_a_merge_reads_the_posts_both_archives_hold_a_batch_at_a_time_and_misses_none(tmp_path, monkeypatch):
    """The posts of two archives that differ are read in batches of keys (memory flat in
    the number of posts): every one of them is merged, across batch boundaries and sites."""
    from crawler.storage import merge

    monkeypatch.setattr(merge, "KEYS_PER_BATCH", 7)
    target, source = storage.open_db(tmp_path / "target.db"), storage.open_db(tmp_path / "source.db")
    ids = range(101, 131)
    with target.atomic(), source.atomic():
        for post_id in ids:
            for site in ("rferl.org", "www.svoboda.org"):
                post = make_post(post_id, site=site, url=f"https://{site}/a/{post_id}.html")
                storage.save_post(target, post, T1)
                # Seen again later by the source; every third edited there.
                storage.save_post(source, make_post(post_id, site=site, url=post.url, title="Edited") if post_id % 3 == 0 else post, T2)
    source.close()
    counts = merge.merge_archive(target, tmp_path / "source.db", target_warc_dir=tmp_path / "w1", source_warc_dir=tmp_path / "w2")
    rows = target.execute("SELECT site, id, title, last_seen_at FROM posts").fetchall()
    assert len(rows) == 60 and {row[3] for row in rows} == {T2}
    assert {(row[0], row[1]) for row in rows if row[2] == "Edited"} == {(s, i) for s in ("rferl.org", "www.svoboda.org") for i in ids if i % 3 == 0}
    assert counts["posts_updated"] == 60 and counts["posts_unchanged"] == 0
    assert target.execute("SELECT count(*) FROM revisions").fetchone()[0] == 20


def test_a_version_read_again_from_the_same_capture_is_the_parsers_change_not_the_sites(tmp_path):
    """A cron run re-reads an unchanged page (its capture a revisit naming the stored
    version's record) with a reading that changed: the revision says ``parser``. Another
    capture with other text is the site's edit."""
    db = storage.open_db(tmp_path / "a.db")
    with db.atomic():
        storage.save_post(db, make_post(101, title="\u06a9\u062a\u0627\u0628\u0647\u0627", capture_id="<urn:uuid:1>"), T1)
        # The same bytes, read as written now: the ZWNJ kept.
        assert storage.save_post(db, make_post(101, title="\u06a9\u062a\u0627\u0628\u200c\u0647\u0627", capture_id="<urn:uuid:1>"), T2) == "updated"
        assert storage.save_post(db, make_post(101, title="Edited", capture_id="<urn:uuid:2>"), T3) == "updated"
    causes = [row[0] for row in db.execute("SELECT cause FROM revisions ORDER BY id")]
    assert causes == ["parser", "site"]


def test_a_post_whose_language_changes_has_its_entries_read_again(db):
    storage.save_post(db, make_post(7, language="en"), "2026-01-01T00:00:00+00:00")
    entry = dict(site="rferl.org", post_id=7, entry_id=1, published_at="2015-11-20T10:00:00+00:00", headline="Бои в городе",
                 body_text="В городе тихо.", body_html="<p>В городе тихо.</p>", links=[], images=[], url=None)
    assert storage.save_entry(db, entry, "2026-01-01T00:00:00+00:00") == "new"
    assert search(db, "live_entries", "город") == []  # read in English: the Russian word only as written
    assert storage.save_post(db, make_post(7, language="ru"), "2026-01-02T00:00:00+00:00") == "updated"
    assert len(search(db, "live_entries", "город")) == 1  # read again in Russian
    assert storage.search_index_problems(db) == []
