"""A post's dates from every signal of the page, on the real Pangea page of the reference:
the most precise one that agrees with the JSON-LD is kept, in UTC; a disagreement keeps
the JSON-LD's and is counted."""

import re

import pytest

from crawler.pages.reading import read_post

from .conftest import REFERENCE

URL = "https://www.voanews.com/a/america-s-child-care-crisis-is-holding-back-moms-without-college-degrees-/7585813.html"
REAL_PAGE = (REFERENCE / "pangea-article-voa.html").read_text(encoding="utf-8")
LD_PUBLISHED = '"datePublished":"2024-04-28 07:00:00Z"'
TIME = '<time pubdate="pubdate" datetime="2024-04-28T03:00:00-04:00">\nApril 28, 2024 3:00 AM\n</time>'


def page(ld_published: str | None = None, time: str | None = None, visible: str | None = None, head: str = "") -> str:
    html = REAL_PAGE
    assert LD_PUBLISHED in html and TIME in html
    if ld_published is not None:
        html = html.replace(LD_PUBLISHED, f'"datePublished":"{ld_published}"')
    if time is not None or visible is not None:
        html = html.replace(TIME, f'<time pubdate="pubdate" datetime="{time or "2024-04-28T03:00:00-04:00"}">\n{visible or "April 28, 2024 3:00 AM"}\n</time>')
    return html.replace("</head>", head + "</head>", 1)


def read(html: str):
    reading = read_post(URL, html)
    return reading.post.published_at, reading.date_disagreements


def test_the_real_page_agrees_with_itself():
    assert read(REAL_PAGE) == ("2024-04-28T07:00:00+00:00", 0)


@pytest.mark.parametrize(
    "ld, time, visible, expected",
    [
        # The JSON-LD gives the day, the markup the minute and the zone: the minute, in UTC.
        ("2024-04-28", None, None, ("2024-04-28T07:00:00+00:00", 0)),
        ("2017-08-19", "2017-08-19T10:00:00-04:00", "August 19, 2017 10:00 AM", ("2017-08-19T14:00:00+00:00", 0)),
        # The reverse: the JSON-LD is the precise one.
        ("2024-04-28T07:00:00Z", "2024-04-28", "April 28, 2024", ("2024-04-28T07:00:00+00:00", 0)),
        # They disagree on the day: the JSON-LD's is kept, the disagreement counted.
        ("2024-04-28", "2024-04-30T03:00:00-04:00", "April 30, 2024 3:00 AM", ("2024-04-28T00:00:00+00:00", 2)),
        # The visible dateline disagrees with both machine-readable dates.
        (None, None, "April 28, 2024 5:00 AM", ("2024-04-28T07:00:00+00:00", 1)),
    ],
)
def test_the_most_precise_date_that_agrees_is_kept(ld, time, visible, expected):
    assert read(page(ld, time, visible)) == expected


def test_meta_tags_and_every_json_ld_type_are_signals_too():
    meta = '<meta property="article:published_time" content="2024-04-28T07:00:00+00:00" />'
    assert read(page("2024-04-28", "2024-04-28", "April 28, 2024", head=meta)) == ("2024-04-28T07:00:00+00:00", 0)
    webpage = '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "WebPage", "datePublished": "2024-05-02T10:00:00Z"}</script>'
    assert read(page(head=webpage)) == ("2024-04-28T07:00:00+00:00", 1)


def test_the_updated_date_is_the_most_precise_that_agrees_too():
    html = re.sub(r'"dateModified":"[^"]*"', '"dateModified":"2024-04-29"', REAL_PAGE)
    html = html.replace("</head>", '<meta property="article:modified_time" content="2024-04-29T09:30:00-04:00" /></head>', 1)
    reading = read_post(URL, html)
    assert reading.post.updated_at == "2024-04-29T13:30:00+00:00" and reading.date_disagreements == 0
