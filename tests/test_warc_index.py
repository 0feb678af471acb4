"""Reading WARC files for a re-extraction: whole records only, damage found and named."""

from io import BytesIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.replay import WarcIndex, load_stored
from crawler.warc import WarcFiles


def response(writer, url: str, body: bytes, date: str):
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    return writer.create_warc_record(url, "response", payload=BytesIO(body), length=len(body), http_headers=headers,
                                     warc_headers_dict={"WARC-Date": date})


def write_file(tmp_path, max_bytes=10_000_000):
    files = WarcFiles(tmp_path, "test-run1", max_bytes, {"software": "test", "isPartOf": "run 1"})
    builder = WARCWriter(BytesIO(), gzip=True)
    first = response(builder, "http://127.0.0.1/a/1.html", b"<html>first</html>", "2026-01-01T00:00:00Z")
    files.write([first])
    second = response(builder, "http://127.0.0.1/a/2.html", b"<html>second</html>" * 50, "2026-01-01T00:00:01Z")
    files.write([second])
    revisit = builder.create_revisit_record(
        "http://127.0.0.1/a/1.html", first.rec_headers.get_header("WARC-Payload-Digest"), "http://127.0.0.1/a/1.html",
        "2026-01-01T00:00:00Z", warc_headers_dict={"WARC-Refers-To": first.rec_headers.get_header("WARC-Record-ID"),
                                                   "WARC-Date": "2026-01-02T00:00:00Z"},
    )
    files.write([revisit])
    files.close()
    return files, first, revisit


def test_a_whole_file_is_read_with_its_run_and_offsets(tmp_path):
    files, first, _ = write_file(tmp_path)
    index = WarcIndex([tmp_path])
    assert index.problems == []
    assert [c.warc_type for c in index.captures] == ["response", "response", "revisit"]
    assert {c.run_id for c in index.captures} == {1}
    assert index.plain["http://127.0.0.1/a/1.html"].record_id == first.rec_headers.get_header("WARC-Record-ID")
    status, _, body = load_stored(index.plain["http://127.0.0.1/a/1.html"])
    assert (status, body) == (200, b"<html>first</html>")


def test_a_revisit_cut_short_at_the_end_is_found_and_not_used(tmp_path):
    files, _, revisit = write_file(tmp_path)
    path = tmp_path / files.names[0]
    size = path.stat().st_size
    with open(path, "r+b") as stream:
        stream.truncate(size - 5)  # inside the last gzip member: the revisit
    index = WarcIndex([path])
    assert len(index.problems) == 1 and "cut short" in index.problems[0]
    assert revisit.rec_headers.get_header("WARC-Record-ID") not in {c.record_id for c in index.captures}
    assert len(index.captures) == 2


def test_bytes_after_the_last_record_are_found(tmp_path):
    files, _, _ = write_file(tmp_path)
    path = tmp_path / files.names[0]
    with open(path, "ab") as stream:
        stream.write(b"\x1f\x8b\x08")  # the start of a record that never came
    index = WarcIndex([path])
    assert len(index.problems) == 1 and len(index.captures) == 3


def test_files_rotate_at_their_size(tmp_path):
    files, _, _ = write_file(tmp_path, max_bytes=700)
    assert len(files.names) == 3  # each record past the size opens the next file
    assert all((tmp_path / name).stat().st_size < 700 + 600 for name in files.names)
    assert WarcIndex([tmp_path]).problems == []


def test_the_index_lives_in_a_file_read_a_batch_at_a_time_and_goes_with_the_run(tmp_path):
    """2,500 records: every URL once, in order, and every capture in the files' order, in
    batches; the index's file is removed when it is closed."""
    from pathlib import Path

    files = WarcFiles(tmp_path, "test-run1", 100_000_000, {"software": "test", "isPartOf": "run 1"})
    builder = WARCWriter(BytesIO(), gzip=True)
    urls = [f"http://127.0.0.1/a/{n}.html" for n in range(2500)]
    files.write([response(builder, url, f"<html>{url}</html>".encode(), "2026-01-01T00:00:00Z") for url in urls])
    files.close()
    index = WarcIndex([tmp_path])
    assert index.problems == [] and index.records == 2500
    assert list(index.plain) == sorted(urls) and len(index.plain) == 2500
    assert list(index.plain.posts()) == [(n, url) for n, url in enumerate(urls)]  # three batches of posts
    batches = list(index.captures.batches())
    assert [len(b) for b in batches] == [1000, 1000, 500]
    assert [c.url for b in batches for c in b] == urls
    place = Path(index.db.execute("PRAGMA database_list").fetchone()[2]).parent
    assert place.is_dir()
    index.close()
    assert not place.exists()


def test_a_post_kept_under_two_addresses_is_read_from_its_latest_capture(tmp_path):
    """One run fetched the post as ``/a/<id>.html``, the next under its slug (which sorts
    after it): the post is read once, at the slug, the newer capture. Its older capture at
    the slug, a failed newer fetch at the short address and a 304 do not win either."""
    files = WarcFiles(tmp_path, "test-run1", 100_000_000, {"software": "test", "isPartOf": "run 1"})
    builder = WARCWriter(BytesIO(), gzip=True)
    short, slug = "http://127.0.0.1/a/7.html", "http://127.0.0.1/a/the-story/7.html"
    failed = StatusAndHeaders("503 Service Unavailable", [("Content-Type", "text/html"), ("Content-Length", "0")],
                              protocol="HTTP/1.1")
    not_modified = StatusAndHeaders("304 Not Modified", [("Content-Length", "0")], protocol="HTTP/1.1")
    files.write([
        response(builder, slug, b"<html>first</html>", "2026-01-01T00:00:00Z"),
        response(builder, short, b"<html>second</html>", "2026-01-02T00:00:00Z"),
        response(builder, slug, b"<html>third</html>", "2026-01-03T00:00:00Z"),
        builder.create_warc_record(short, "response", payload=BytesIO(b""), length=0, http_headers=failed,
                                   warc_headers_dict={"WARC-Date": "2026-01-04T00:00:00Z"}),
        # A 304 kept as a plain response (as files once held them): no page in it.
        builder.create_warc_record(slug, "response", payload=BytesIO(b""), length=0, http_headers=not_modified,
                                   warc_headers_dict={"WARC-Date": "2026-01-05T00:00:00Z"}),
        response(builder, "http://127.0.0.1/a/other/8.html", b"<html>other</html>", "2026-01-01T00:00:00Z"),
        response(builder, "http://127.0.0.1/z/17257", b"<html>index</html>", "2026-01-05T00:00:00Z"),
        # A live blog's older page is no address of the post's own page.
        response(builder, "http://127.0.0.1/a/the-story/7.html?p=2", b"<html>older</html>", "2026-01-06T00:00:00Z"),
    ])
    files.close()
    index = WarcIndex([tmp_path])
    assert index.problems == []
    assert list(index.plain.posts()) == [(7, slug), (8, "http://127.0.0.1/a/other/8.html")]
    assert load_stored(index.plain[slug])[2] == b"<html>third</html>"
