"""A live blog page's way to its older entries, read from the real Pangea page of the
reference with entries placed in it: the share bar's "more options" (``btn--show-more``)
and the related stories' ``data-ajax-url`` of that page are no "Load more" of the live blog."""

import pytest

from crawler.pages.reading import read_post

from .conftest import REFERENCE

URL = "https://www.voanews.com/a/america-s-child-care-crisis-is-holding-back-moms-without-college-degrees-/7585813.html"
REAL_PAGE = (REFERENCE / "pangea-article-voa.html").read_text(encoding="utf-8")
ENTRIES = """<div class="liveblog"><ul class="liveblog__items">
<li id="lbi901"><a href="/a/x/7585813/lbl{page}lbi901.html">16:52 29.2.2016</a><h2>One</h2><div class="wsw"><p>Text one.</p></div></li>
<li id="lbi900"><a href="/a/x/7585813/lbl{page}lbi900.html">16:40 29.2.2016</a><h2>Two</h2><div class="wsw"><p>Text two {inside}.</p></div></li>
</ul>
{control}
</div>
"""


def live_page(control: str = "", page: int = 0, inside: str = "", url: str = URL, head: str = ""):
    block = ENTRIES.format(page=page, control=control, inside=inside)
    html = REAL_PAGE.replace('<div id="article-content"', block + '<div id="article-content"', 1).replace("</head>", head + "</head>", 1)
    return read_post(url, html).live


def test_the_real_page_with_entries_and_no_control_has_no_older_entries():
    assert "btn--show-more" in REAL_PAGE and "data-ajax-url" in REAL_PAGE  # what must not count
    live = live_page()
    assert live.is_live_blog and [e.entry_id for e in live.entries] == [901, 900]
    assert not live.has_more and live.next_page_url is None and not live.needs_browser


@pytest.mark.parametrize(
    "control, expected",
    [
        ('<p class="buttons"><a class="btn link-showMore" href="?p=1">Load more</a></p>', URL + "?p=1"),
        ('<div class="more-wrap" data-ajax-url="/a/7585813.html?p=1&amp;ajax=1"></div>', "https://www.voanews.com/a/7585813.html?p=1"),
        ('<button data-ajax-url="/a/7585813.html?p=1&amp;ajax=1">+</button>', "https://www.voanews.com/a/7585813.html?p=1"),
        ('<a class="older" href="/a/x/7585813/lbl1lbi899.html">Older entries</a>', "https://www.voanews.com/a/x/7585813/lbl1lbi899.html"),
        ('<span role="button" aria-label="Load more">+</span>', None),
        ('<a class="btn link-showMore" href="#">More</a>', None),
    ],
)
def test_every_form_of_the_way_to_older_entries(control, expected):
    live = live_page(control)
    assert live.has_more
    assert live.next_page_url == expected
    assert live.needs_browser == (expected is None)


def test_a_permalink_of_an_entry_on_this_page_is_no_way_further():
    # Page 1 reached by an entry permalink: its own entries' permalinks name page 1.
    live = live_page(page=1, url="https://www.voanews.com/a/x/7585813/lbl1lbi901.html")
    assert live.page_number == 1 and not live.has_more


def test_a_later_page_named_in_an_entry_or_the_json_ld_is_counted_not_followed():
    inside = '<a href="/a/x/7585813/lbl3lbi700.html">as reported earlier</a>'
    live = live_page(inside=inside)
    assert not live.has_more and live.furthest_page_named == 3
    ld = ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "LiveBlogPosting", '
          '"liveBlogUpdate": [{"@type": "BlogPosting", "url": "https://www.voanews.com/a/x/7585813/lbl4lbi650.html", '
          '"datePublished": "2016-02-29T10:00:00Z"}]}</script>')
    assert live_page(head=ld).furthest_page_named == 4


def test_a_link_to_another_post_that_says_see_more_is_no_control():
    live = live_page('<a class="btn" href="/a/other/7000000.html">See more</a>')
    assert not live.has_more
