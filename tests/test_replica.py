"""The replica serves what a Pangea blog serves, deterministically for a seed."""

import gzip
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from devtools.replica import Replica, Site

from .conftest import ROOT


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url, headers=None):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(urllib.request.Request(url, headers=headers or {}))
        return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_same_seed_same_site_other_seed_other_site():
    a, b, c = Site(posts=50, seed=3), Site(posts=50, seed=3), Site(posts=50, seed=4)
    assert [(p.id, p.title, p.published) for p in a.posts] == [(p.id, p.title, p.published) for p in b.posts]
    assert [p.id for p in a.posts] != [p.id for p in c.posts]


def test_site_has_every_kind_of_post():
    site = Site(posts=300, seed=1)
    posts = site.posts
    assert len(posts) == 300 and len({p.id for p in posts}) == 300
    assert 26829775 in site.by_id
    assert [p.published for p in posts] == sorted((p.published for p in posts), reverse=True)
    assert posts[-1].published.year == 2014 and posts[0].published.year == 2017
    assert any(len(p.authors) == 2 for p in posts)
    assert any(p.lead_image is None for p in posts)
    assert any(not p.tags for p in posts)
    assert any(p.dateline for p in posts)
    assert any(b.kind == "h2" for p in posts for b in p.blocks)
    assert any(b.kind == "image" for p in posts for b in p.blocks)
    assert any(b.kind == "video" for p in posts for b in p.blocks)


def test_index_pages_cover_every_post_and_some_overlap():
    site = Site(posts=300, seed=1)
    pages = [[p.id for p in site.index_page(n)] for n in range(site.page_count)]
    assert {i for page in pages for i in page} == {p.id for p in site.posts}
    assert any(set(pages[n]) & set(pages[n + 1]) for n in range(len(pages) - 1))
    assert site.index_page(site.page_count) == []


def test_post_url_forms(small_replica):
    post = small_replica.site.posts[5]
    base = small_replica.base_url
    status, _, body = get(base + post.path)
    assert status == 200 and f'<link href="{base}{post.path}" rel="canonical" />'.encode() in body
    status, _, body2 = get(f"{base}/a/{post.id}.html")
    assert status == 200 and body2 == body
    status, headers, _ = get(f"{base}/content/{post.slug}/{post.id}.html")
    assert status == 301 and headers["Location"] == base + post.path
    status, _, amp = get(f"{base}/amp/{post.slug}/{post.id}.html")
    assert status == 200 and b"<html amp" in amp and f'<link rel="canonical" href="{base}{post.path}">'.encode() in amp
    assert get(f"{base}/a/nope/1.html")[0] == 404


def test_conditional_requests_get_304(small_replica):
    url = small_replica.base_url + small_replica.site.posts[0].path
    status, headers, _ = get(url)
    assert status == 200 and headers["ETag"] and headers["Last-Modified"]
    assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(url, {"If-None-Match": '"other"'})[0] == 200


def test_feed_sitemap_robots(small_replica):
    base = small_replica.base_url
    status, headers, feed = get(base + "/api/z17257/rss.xml")
    assert status == 200 and "rss" in headers["Content-Type"] and feed.count(b"<item>") == 20
    status, _, index = get(base + "/sitemap.xml")
    assert status == 200 and b"sitemap_rferl_1.xml.gz" in index
    status, _, gz = get(base + "/sitemap_rferl_1.xml.gz")
    assert status == 200 and gzip.decompress(gz).count(b"<url>") == len(small_replica.site.by_id)
    status, _, robots = get(base + "/robots.txt")
    assert status == 200 and b"Sitemap:" in robots


def test_index_page_beyond_the_last_is_404(small_replica):
    assert get(f"{small_replica.index_url}?p={small_replica.site.page_count}")[0] == 404


def test_command_line_prints_base_url_first(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.replica", "--port", "0", "--posts", "5", "--seed", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("http://127.0.0.1:")
        status, _, body = get(first + "/z/17257")
        assert status == 200 and b"Under The Black Flag" in body
    finally:
        process.terminate()
        process.stdout.close()
        assert process.wait(timeout=10) == 0


def test_command_line_refuses_a_bad_post_count():
    result = subprocess.run([sys.executable, "-m", "devtools.replica", "--posts", "0"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "--posts must be at least 1" in result.stderr


def test_replica_object_in_process():
    with Replica(posts=3, seed=1) as replica:
        assert get(replica.index_url)[0] == 200
        assert replica.app.hits["/z/17257?"] == 1
    with pytest.raises(OSError):
        urllib.request.urlopen(replica.index_url, timeout=2)
