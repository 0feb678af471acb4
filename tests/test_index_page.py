"""The index parser keeps the posts of the main list, and only those."""

import json
import urllib.request

from crawler.pages.index import IndexPage
from crawler.urls import article_id_from_url


def _fetch(url: str) -> bytes:
    return urllib.request.urlopen(url).read()


def _ids(urls):
    return [article_id_from_url(u) for u in urls]


def test_first_page_lists_the_newest_posts_and_leads_to_the_next(small_replica):
    site = small_replica.site
    page = IndexPage(small_replica.index_url, _fetch(small_replica.index_url))
    assert _ids(page.post_urls) == [p.id for p in site.index_page(0)]
    assert page.next_page_url == small_replica.index_url + "?p=1"
    assert page.feed_url == small_replica.base_url + "/api/z17257/rss.xml"
    assert not page.needs_browser


def test_sidebar_breaking_news_and_navigation_are_left_out(small_replica):
    page = IndexPage(small_replica.index_url, _fetch(small_replica.index_url))
    others = {p.id for p in small_replica.site.others}
    html = _fetch(small_replica.index_url).decode()
    assert any(f"/{other}.html" in html for other in others)  # the page does link them
    assert not others & set(_ids(page.post_urls))


def test_last_page_without_load_more_uses_the_first_pages_list_place(small_replica):
    site = small_replica.site
    first = IndexPage(small_replica.index_url, _fetch(small_replica.index_url))
    last_url = f"{small_replica.index_url}?p={site.page_count - 1}"
    last = IndexPage(last_url, _fetch(last_url), list_paths=first.list_paths_found)
    assert last.next_page_url is None
    assert _ids(last.post_urls) == [p.id for p in site.index_page(site.page_count - 1)]


def test_every_url_form_is_one_post_each():
    html = """<html><body><div class="col-md-8"><ul>
    <li><div class="media-block"><a href="/a/slug/11.html"><img></a>
        <div class="media-block__content"><a href="/a/11.html"><h4>One</h4></a></div></div></li>
    <li><div class="media-block"><div class="media-block__content"><a href="http://rferl.org/content/s/12.html#c"><h4>Two</h4></a></div></div></li>
    <li><div class="media-block"><div class="media-block__content"><a href="https://rferl.org/amp/s/13.html?x=1"><h4>Three</h4></a></div></div></li>
    </ul></div>
    <nav><ul><li><a href="/a/nav/99.html">nav</a></li></ul></nav>
    <footer><a href="/a/foot/98.html">foot</a></footer></body></html>"""
    page = IndexPage("https://www.rferl.org/z/17257", html)
    assert _ids(page.post_urls) == [11, 12, 13]
    assert page.next_page_url is None


def test_load_more_without_any_url_needs_a_browser():
    html = """<html><body><ul><li><a href="/a/s/1.html">x</a></li><li><a href="/a/s/2.html">y</a></li></ul>
    <p class="buttons"><a class="btn link-showMore btn__text" data-ajax="true">Load more</a></p>
    </body></html>"""
    page = IndexPage("https://www.rferl.org/z/17257", html)
    assert page.has_load_more
    assert page.next_page_url is None
    assert page.needs_browser


def test_a_data_ajax_url_of_a_later_page_is_followed_as_that_page():
    html = """<html><body><ul><li><a href="/a/s/1.html">x</a></li><li><a href="/a/s/2.html">y</a></li></ul>
    <p class="buttons"><a class="btn link-showMore btn__text" data-ajax-url="/z/17257?p=1&ajax=1">Load more</a></p>
    </body></html>"""
    page = IndexPage("https://www.rferl.org/z/17257", html)
    assert page.next_page_url == "https://www.rferl.org/z/17257?p=1"
    assert not page.needs_browser


def test_the_list_before_load_more_wins_over_a_longer_sidebar():
    side = "".join(f'<li><a href="/a/s/{900 + i}.html">side</a></li>' for i in range(8))
    html = f"""<html><body><div class="col-md-4"><h2>Most popular</h2><ul>{side}</ul></div>
    <div class="col-md-8"><ul><li><a href="/a/s/1.html">a</a></li><li><a href="/a/s/2.html">b</a></li></ul>
    <p class="buttons"><a class="btn link-showMore" href="/z/17257?p=1">Load more</a></p></div>
    <div class="col-md-4"><ul>{side}</ul></div></body></html>"""
    page = IndexPage("https://www.rferl.org/z/17257", html)
    assert _ids(page.post_urls) == [1, 2]
    assert page.next_page_url == "https://www.rferl.org/z/17257?p=1"


def test_an_empty_index_lists_nothing():
    page = IndexPage("https://www.rferl.org/z/17257?p=4", "<html><body><p>No stories</p></body></html>")
    assert page.post_urls == [] and page.main_lists == [] and page.page_number == 4


def test_a_later_page_without_its_list_lists_nothing_not_the_sidebar(small_replica):
    first = IndexPage(small_replica.index_url, _fetch(small_replica.index_url))
    html = _fetch(small_replica.index_url).decode()
    start, end = html.index('<ul id="ordinaryItems">'), html.index("</ul>", html.index('<ul id="ordinaryItems">'))
    emptied = html[:start] + html[end + 5 :]
    emptied = emptied.replace('class="btn link-showMore', 'class="btn')  # no Load more either
    page = IndexPage(small_replica.index_url + "?p=3", emptied, list_paths=first.list_paths_found)
    assert page.post_urls == []


def test_an_empty_list_before_load_more_is_not_replaced_by_the_breaking_news_list():
    html = """<html><body><ul class="c-hlights__items"><li><a href="/a/other/9.html">Breaking</a></li></ul>
    <div class="col-md-8"><ul id="ordinaryItems"></ul>
    <p class="buttons"><a class="btn link-showMore" data-ajax-url="/z/17257?p=0&ajax=1">Load more</a></p></div>
    </body></html>"""
    page = IndexPage("https://www.rferl.org/z/17257", html)
    assert page.post_urls == [] and page.needs_browser


def test_lists_nested_in_the_main_list_do_not_hide_it():
    html = """<html><body><ul id="items">
    <li><a href="/a/s/1.html">one</a><ul class="tags"><li>Syria</li></ul></li>
    <li><a href="/a/s/2.html">two</a><ul class="tags"><li>Iraq</li></ul></li></ul>
    <p class="buttons"><a class="btn link-showMore" href="/z/17257?p=1">Load more</a></p></body></html>"""
    assert _ids(IndexPage("https://www.rferl.org/z/17257", html).post_urls) == [1, 2]


def _story(post_id: int, title: str = "Story") -> str:
    return (f'<div class="media-block"><a href="/a/s/{post_id}.html" class="img-wrap"><img src=""></a>'
            f'<div class="media-block__content"><a href="/a/s/{post_id}.html"><h4 class="media-block__title">{title}</h4></a></div></div>')


def test_a_block_split_over_a_lead_list_and_a_follow_up_list_is_one_list():
    side = "".join(f"<li>{_story(900 + i)}</li>" for i in range(8))
    html = f"""<html><body><div class="col-md-8"><h1>Under The Black Flag</h1>
    <div class="media-block-wrap"><div class="row"><ul><li>{_story(1)}</li></ul></div>
    <div class="row"><ul class="follow-up-list">{"".join(f"<li>{_story(i)}</li>" for i in (2, 3, 4))}</ul></div></div>
    <p class="buttons"><a class="btn link-showMore" href="/z/17257?p=1">Load more</a></p></div>
    <div class="col-md-4"><h2 class="section-head">Most popular</h2><ul>{side}</ul></div></body></html>"""
    page = IndexPage("https://www.rferl.org/z/17257", html)
    assert _ids(page.post_urls) == [1, 2, 3, 4]
    assert len(page.list_paths_found) == 2


def test_stories_outside_any_list_element_are_read_by_structure():
    side = "".join(f"<li>{_story(900 + i)}</li>" for i in range(8))
    html = f"""<html><body><div class="col-md-8"><section id="stories">
    {"".join(f'<article class="story">{_story(i)}</article>' for i in (1, 2, 3))}</section>
    <div class="pager" data-ajax-url="/z/17257?p=1&amp;ajax=1"><span>+</span></div></div>
    <div class="col-md-4"><h2>Most popular</h2><ul>{side}</ul></div></body></html>"""
    page = IndexPage("https://www.rferl.org/z/17257", html)
    assert _ids(page.post_urls) == [1, 2, 3]
    assert page.next_page_url == "https://www.rferl.org/z/17257?p=1"


def test_a_script_control_found_by_its_label_needs_a_browser():
    html = f"""<html><body><ul>{"".join(f"<li>{_story(i)}</li>" for i in (1, 2))}</ul>
    <div class="pager"><span role="button" aria-label="Load more">+</span></div></body></html>"""
    page = IndexPage("https://www.rferl.org/z/17257", html)
    assert page.has_load_more and page.needs_browser


def test_the_json_ld_item_list_adds_the_posts_the_markup_lacks_and_counts_them():
    item_list = json.dumps({"@context": "https://schema.org", "@type": "ItemList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "url": "https://www.rferl.org/a/s/1.html"},
        {"@type": "ListItem", "position": 2, "item": {"@id": "https://www.rferl.org/a/s/5.html"}},
    ]})
    html = f"""<html><head><script type="application/ld+json">{item_list}</script></head><body>
    <ul>{"".join(f"<li>{_story(i)}</li>" for i in (1, 2))}</ul></body></html>"""
    page = IndexPage("https://www.rferl.org/z/17257", html)
    assert _ids(page.post_urls) == [1, 2, 5]
    assert page.disagreements == {"index_posts_only_in_json_ld": 1, "index_posts_only_in_html": 1}


def test_the_title_is_not_an_h1_of_an_embedded_banner():
    html = """<html><head><meta property="og:title" content="Under The Black Flag | RFE/RL"></head><body>
    <div class="wsw__embed"><h1>Donate today</h1></div><ul><li><a href="/a/s/1.html">x</a></li></ul></body></html>"""
    assert IndexPage("https://www.rferl.org/z/17257", html).title == "Under The Black Flag"
