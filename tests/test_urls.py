import pytest

from crawler import urls


@pytest.mark.parametrize(
    "url, post_id",
    [
        ("https://www.rferl.org/a/kazakhstan-counterpropaganda-islamic-state-success/26829775.html", 26829775),
        ("https://www.rferl.org/a/26829775.html", 26829775),
        ("http://rferl.org/content/kazakhstan-counterpropaganda-islamic-state-success/26829775.html", 26829775),
        ("https://rferl.org/amp/kazakhstan-counterpropaganda-islamic-state-success/26829775.html", 26829775),
        ("https://www.rferl.org/a/26829775.html?utm_source=x#comments", 26829775),
        ("/a/live-blog-syria-islamic-state-isis/27363628/lbl1lbi80450.html", 27363628),
        ("https://www.currenttime.tv/a/russia-ukraine-war/31726786/lbl0lbi259362.html", 31726786),
        ("https://www.rferl.org/z/17257", None),
        ("https://www.rferl.org/z/17257?p=2", None),
        ("https://www.rferl.org/author/joanna-paraszczuk/iqpqe", None),
        ("https://www.rferl.org/a/not-a-post.html", None),
        ("https://www.rferl.org/p/6195.html", None),
    ],
)
def test_article_id_from_url(url, post_id):
    assert urls.article_id_from_url(url) == post_id
    assert urls.is_post_url(url) is (post_id is not None)


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("http://rferl.org/content/some-slug/26829775.html", "http://rferl.org/a/some-slug/26829775.html"),
        ("https://rferl.org/amp/some-slug/26829775.html?x=1#y", "https://rferl.org/a/some-slug/26829775.html"),
        ("https://www.rferl.org/a/26829775.html?ltflags=mailer", "https://www.rferl.org/a/26829775.html"),
        ("https://www.rferl.org/a/live-blog/27363628/lbl0lbi85031.html", "https://www.rferl.org/a/live-blog/27363628.html"),
        ("https://www.rferl.org/z/17257", None),
    ],
)
def test_canonical_post_url(url, canonical):
    assert urls.canonical_post_url(url) == canonical


def test_entry_id_from_url():
    assert urls.entry_id_from_url("/a/live-blog-syria-islamic-state-isis/27363628/lbl0lbi85031.html") == 85031
    assert urls.entry_id_from_url("/a/live-blog-syria-islamic-state-isis/27363628.html") is None


@pytest.mark.parametrize(
    "url, zone, page",
    [
        ("https://www.rferl.org/z/17257", 17257, 0),
        ("https://www.rferl.org/z/17257?p=3", 17257, 3),
        ("https://www.rferl.org/z/17257/2015/11/4?p=1", 17257, 1),
        ("https://www.rferl.org/archive/under-the-black-flag/latest/17257/17257.html", 17257, 0),
        ("https://www.rferl.org/z/17257?p=x", 17257, 0),
        ("https://www.rferl.org/a/26829775.html", None, 0),
        ("https://www.rferl.org/", None, 0),
    ],
)
def test_index_urls(url, zone, page):
    assert urls.zone_id_from_url(url) == zone
    assert urls.is_index_url(url) is (zone is not None)
    assert urls.index_page_number(url) == page


@pytest.mark.parametrize(
    "url, base, expected",
    [
        ("http://rferl.org/a/x/1.html", "https://www.rferl.org/z/17257", "https://www.rferl.org/a/x/1.html"),
        ("https://www.rferl.org/a/x/1.html", "https://www.rferl.org/z/17257", "https://www.rferl.org/a/x/1.html"),
        ("https://www.voanews.com/a/x/1.html", "https://www.rferl.org/z/17257", "https://www.voanews.com/a/x/1.html"),
    ],
)
def test_on_host_of(url, base, expected):
    assert urls.on_host_of(url, base) == expected


@pytest.mark.parametrize(
    "href, expected",
    [
        ("/a/x/1.html", "https://www.rferl.org/a/x/1.html"),
        ("  https://example.org/a b  ", "https://example.org/a%20b"),
        ("javascript:alert(1)", None),
        ("mailto:someone@example.org", None),
        ("", None),
        (None, None),
    ],
)
def test_absolute_url(href, expected):
    assert urls.absolute_url(href, "https://www.rferl.org/z/17257") == expected


def test_same_site():
    assert urls.is_same_site("https://rferl.org/a/1.html", "https://www.rferl.org/z/1")
    assert urls.is_same_site("https://gandhara.rferl.org/a/1.html", "https://www.rferl.org/z/1")
    assert not urls.is_same_site("https://notrferl.org/a/1.html", "https://www.rferl.org/z/1")
    assert urls.site_of("https://WWW.RFERL.ORG/a") == "rferl.org"


def test_site_key_is_the_host_whatever_the_port():
    assert urls.site_key("https://www.rferl.org/a/1.html") == "rferl.org"
    assert urls.site_key("http://127.0.0.1:8080/z/1") == "127.0.0.1"
    assert urls.site_key("http://127.0.0.1:8081/z/1") == urls.site_key("http://127.0.0.1:8080/z/1")
    assert urls.site_key("http://127.0.0.2:8080/z/1") != urls.site_key("http://127.0.0.1:8080/z/1")
