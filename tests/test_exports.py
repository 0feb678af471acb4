"""`scrapy crawl blog -O FILE` writes posts only, in the documented shape."""

import csv
import json

import jsonschema

from devtools.replica import Replica

from .conftest import ROOT, rows, run_crawl

SCHEMA = json.loads((ROOT / "crawler" / "schemas" / "post.schema.json").read_text())


def test_a_jsonl_export_holds_posts_only_valid_against_the_schema(tmp_path):
    db_path, out = tmp_path / "archive.db", tmp_path / "posts.jsonl"
    with Replica(posts=20, seed=3, live_entries=6) as replica:
        first = run_crawl(replica.index_url, db_path, "-O", str(out))
        assert first.returncode == 0, first.stderr[-3000:]
        exported = [json.loads(line) for line in out.read_text().splitlines()]
        # A second run re-checks stored posts: its status records stay out of the file.
        second = run_crawl(replica.index_url, db_path, "-O", str(tmp_path / "again.jsonl"))
        assert second.returncode == 0, second.stderr[-3000:]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for post in exported:
        errors = [error.message for error in validator.iter_errors(post)]
        assert errors == [], (post["id"], errors)
    stored = rows(db_path, "SELECT id FROM posts")
    assert sorted(post["id"] for post in exported) == sorted(row["id"] for row in stored)
    assert any(post["images"] and post["links"] for post in exported)
    again = [json.loads(line) for line in (tmp_path / "again.jsonl").read_text().splitlines()]
    assert all(set(post) <= set(SCHEMA["properties"]) and "title" in post for post in again)


def test_a_csv_export_holds_posts_only(tmp_path):
    db_path, out = tmp_path / "archive.db", tmp_path / "posts.csv"
    with Replica(posts=12, seed=3, live_entries=6) as replica:
        result = run_crawl(replica.index_url, db_path, "-O", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    with out.open(newline="", encoding="utf-8") as stream:
        exported = list(csv.DictReader(stream))
    assert len(exported) == 12
    assert set(exported[0]) <= set(SCHEMA["properties"]) and {"id", "title", "body_text"} <= set(exported[0])
