"""WARC files are input: what a record holds is checked against the crawl's own limits
before a re-extraction uses it, and no file outside the WARC folder is read or quoted."""

import gzip
import os
import re
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.replay import WarcIndex

MAX = 8 * 1024 * 1024
URL = "http://127.0.0.1/a/slug/101.html"


def record_bytes(url: str, body: bytes, *, gzip_it: bool = True, **warc_headers) -> bytes:
    out = BytesIO()
    writer = WARCWriter(out, gzip=gzip_it)
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), length=len(body),
                                                  http_headers=headers, warc_headers_dict=warc_headers))
    return out.getvalue()


def write(path: Path, *records: bytes) -> Path:
    path.write_bytes(b"".join(records))
    return path


def test_a_gzip_bomb_record_is_refused_without_being_held_whole(tmp_path):
    bomb = record_bytes(URL, b"<html>" + b"\0" * (64 * 1024 * 1024) + b"</html>")
    assert len(bomb) < 200_000  # 64 MB inflated from a small file
    write(tmp_path / "bomb.warc.gz", bomb, record_bytes("http://127.0.0.1/a/slug/102.html", b"<html>fine</html>"))
    index = WarcIndex([tmp_path], max_size=MAX)
    [line] = index.problems
    assert "(http://127.0.0.1/a/slug/101.html) holds 67108877 bytes, more than the 8388608 a page may have" in line
    assert URL not in index.plain and "http://127.0.0.1/a/slug/102.html" in index.plain
    assert index.damaged == 0 and len(index.refused) == 1


def test_a_record_that_declares_more_than_it_holds_is_refused(tmp_path):
    body = b"<html>" + b"x" * 20_000 + b"</html>"
    plain = record_bytes(URL, body, gzip_it=False)
    length = re.search(rb"Content-Length: (\d+)\r\n", plain)
    lying = plain.replace(length.group(0), b"Content-Length: 500000000\r\n", 1)
    lying = re.sub(rb"WARC-(Block|Payload)-Digest: [^\r]*\r\n", b"", lying)  # no digest to catch it
    write(tmp_path / "lying.warc.gz", gzip.compress(lying))
    index = WarcIndex([tmp_path], max_size=MAX)
    assert any("declares 500000000 bytes and holds" in line for line in index.problems), index.problems
    assert URL not in index.plain


def test_two_records_with_one_record_id_are_both_refused(tmp_path):
    same = "<urn:uuid:00000000-0000-0000-0000-000000000001>"
    write(tmp_path / "a.warc.gz", record_bytes(URL, b"<html>real</html>", **{"WARC-Record-ID": same}))
    write(tmp_path / "b.warc.gz", record_bytes(URL, b"<html>forged</html>", **{"WARC-Record-ID": same}))
    index = WarcIndex([tmp_path], max_size=MAX)
    [line] = index.problems
    assert f"has the record id {same} of another record (neither is used)" in line
    assert URL not in index.plain and [c for c in index.captures if c.record_id == same] == []


def test_a_link_out_of_the_folder_is_not_read_and_no_file_is_quoted(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("secret-line:not-for-readers\nsecond-line:not-either\n")
    folder = tmp_path / "warc"
    folder.mkdir()
    write(outside / "elsewhere.warc.gz", record_bytes(URL, b"<html>from elsewhere</html>"))
    os.symlink(outside / "elsewhere.warc.gz", folder / "link.warc.gz")
    (folder / "notwarc.warc.gz").write_bytes(secret.read_bytes())
    os.symlink(secret, folder / "secret.warc")
    index = WarcIndex([folder], max_size=MAX)
    assert URL not in index.plain
    text = "\n".join(index.problems)
    assert "secret-line" not in text and "first line" not in text
    assert f"{folder / 'link.warc.gz'}: a link to a file elsewhere; not read" in text
    assert f"{folder / 'secret.warc'}: a link to a file elsewhere; not read" in text
    assert f"{folder / 'notwarc.warc.gz'}: damaged or truncated (not a WARC file)" in text


def test_a_name_from_an_archive_is_a_file_of_its_folder_or_refused(tmp_path):
    from crawler.paths import UnsafePath, file_in

    folder = tmp_path / "warc"
    folder.mkdir()
    (tmp_path / "outside.warc.gz").write_bytes(b"x")
    os.symlink(tmp_path / "outside.warc.gz", folder / "link.warc.gz")
    (folder / "own.warc.gz").write_bytes(b"y")
    os.symlink(folder / "own.warc.gz", folder / "alias.warc.gz")
    assert file_in(folder, "pangea-20261202-run1-00001.warc.gz") == folder / "pangea-20261202-run1-00001.warc.gz"
    assert file_in(folder, "alias.warc.gz") == folder / "alias.warc.gz"  # a link inside the folder
    for name in ("../x.warc.gz", "/abs/olute.warc.gz", "a/b.warc.gz", "..", ".", "", "a\\b", "x\0y", None, 7, "link.warc.gz"):
        with pytest.raises(UnsafePath):
            file_in(folder, name)


@pytest.mark.e2e
def test_a_rebuild_over_hostile_warc_files_uses_none_of_them_says_so_and_equals_the_crawl(tmp_path):
    """Hostile records among a crawl's own: a gzip bomb and a lying record of a post's URL
    (dated later, so that they would win), a link to a file elsewhere. The rebuild exits 1
    with one line each, and equals the crawl table by table."""
    import json
    import subprocess
    import sys

    from devtools.replica import Replica

    from .conftest import ROOT, archive_tables, rows, run_crawl

    crawled, rebuilt = tmp_path / "crawled.db", tmp_path / "rebuilt.db"
    with Replica(posts=10, seed=12) as replica:
        assert run_crawl(replica.index_url, crawled).returncode == 0
    warc_dir = Path(f"{crawled}.warc")
    post = rows(crawled, "SELECT url FROM captures WHERE warc_type = 'response' AND url LIKE '%/a/%' LIMIT 1")[0]["url"]
    later = "2099-01-01T00:00:00Z"
    write(warc_dir / "zz-bomb.warc.gz", record_bytes(post, b"<html>" + b"\0" * (16 * 1024 * 1024) + b"</html>", **{"WARC-Date": later}))
    plain = record_bytes(post, b"<html><body>forged</body></html>", gzip_it=False, **{"WARC-Date": later})
    plain = re.sub(rb"WARC-(Block|Payload)-Digest: [^\r]*\r\n", b"", plain)
    lying = plain.replace(re.search(rb"Content-Length: \d+\r\n", plain).group(0), b"Content-Length: 500000000\r\n", 1)
    write(warc_dir / "zz-lying.warc.gz", gzip.compress(lying))
    elsewhere = tmp_path / "elsewhere.warc.gz"
    write(elsewhere, record_bytes(post, b"<html>from elsewhere</html>", **{"WARC-Date": later}))
    os.symlink(elsewhere, warc_dir / "zz-link.warc.gz")
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "blog", "-a", "mode=reextract", "-a", f"warc={warc_dir}", "-s", f"SQLITE_PATH={rebuilt}"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if "[crawler.replay] ERROR" in line]
    assert len(errors) == 3, errors
    assert any("zz-bomb.warc.gz" in e and "more than the 8388608 a page may have" in e for e in errors)
    assert any("zz-lying.warc.gz" in e and "declares 500000000 bytes" in e for e in errors)
    assert any("zz-link.warc.gz: a link to a file elsewhere; not read" in e for e in errors)
    tables, again = archive_tables(crawled), archive_tables(rebuilt)
    assert again == tables  # the genuine captures were used, and nothing else
    assert "forged" not in json.dumps(again["posts"]) and "from elsewhere" not in json.dumps(again["posts"])
