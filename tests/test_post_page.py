"""The post parser on real Pangea markup and on the replica's seed post."""

import json
import urllib.request

import pytest

from crawler.pages.post import PostPage

from .conftest import REFERENCE

VOA_URL = "https://www.voanews.com/a/america-s-child-care-crisis-is-holding-back-moms-without-college-degrees-/7585813.html"


@pytest.fixture(scope="module")
def voa():
    return PostPage(VOA_URL, (REFERENCE / "pangea-article-voa.html").read_bytes()).to_item()


@pytest.fixture(scope="module")
def voa_expected():
    return json.loads((REFERENCE / "pangea-article-voa.expected.json").read_text())["V1"]


def test_voa_paragraphs_equal_the_independent_extraction_one_for_one(voa, voa_expected):
    expected = voa_expected["body"]["sections"][0]["paragraphs"]
    assert len(expected) == 26
    assert voa.body_text.split("\n\n") == expected


def test_voa_dateline_is_not_in_the_first_paragraph(voa):
    assert voa.dateline == "AUBURN, Wash. —"
    assert voa.body_text.startswith("After a series of lower-paying jobs")


def test_voa_title_authors_date_topics(voa, voa_expected):
    assert voa.title == voa_expected["title"].strip()
    assert voa.authors == voa_expected["authors"]
    assert voa.published_at == "2024-04-28T07:00:00+00:00"
    assert voa.published_at.replace("T", " ") == voa_expected["publishing_date"]
    assert voa.tags == voa_expected["topics"]


def test_voa_images_with_captions(voa, voa_expected):
    expected = [(i["versions"][0]["url"], i["caption"], i["is_cover"]) for i in voa_expected["images"]]
    assert [(i.url, i.caption, i.is_lead) for i in voa.images] == expected


def test_voa_structured_fields(voa):
    assert voa.id == 7585813
    assert voa.url == VOA_URL
    assert voa.site == "voanews.com"
    assert voa.section == "USA"
    assert voa.zone == 599
    assert voa.language == "en-US"
    assert voa.description.startswith("High-quality child care programs")
    assert voa.updated_at == "2024-04-28T07:00:00+00:00"
    assert voa.links == [] and voa.embeds == []


@pytest.mark.parametrize(
    "chrome",
    ["Accessibility links", "Skip to main content", "Breaking News", "Share", "Print", "Related", "More US Stories",
     "Israel-Gaza war protests", "Follow Us", "Link has been copied"],
)
def test_voa_chrome_is_not_body_text(voa, chrome):
    assert chrome not in voa.body_text


def test_voa_body_html_is_clean_and_absolute(voa):
    html = voa.body_html
    assert "<script" not in html and "onclick" not in html and "class=" not in html
    assert 'src="https://gdb.voanews.com/01000000-0aff-0242-50f7-08dc658aabde_w250_r0_s.jpg"' in html
    assert "<figcaption>" in html


# --- the seed post, served by the replica -------------------------------------------------


def _seed_paragraphs() -> tuple[list[str], str]:
    """The seed text's paragraphs, with the two link texts the naive extractor lost put back."""
    lines = [line for line in (REFERENCE / "seed-post.txt").read_text().split("\n\n")]
    lines = [line.strip() for line in lines if line.strip()]
    caption = lines[3].split("\n")[0]
    start = lines.index(next(line for line in lines if line.startswith("Counterpropaganda efforts")))
    end = lines.index("About This Blog")
    paragraphs = lines[start:end]
    restored = []
    for paragraph in paragraphs:
        paragraph = paragraph.replace("According to, the West", "According to Vostok Vestnik, the West")
        paragraph = paragraph.replace("Bizhanov told that", "Bizhanov told Ertis Radio that")
        restored.append(paragraph)
    return restored, caption


@pytest.fixture(scope="module")
def seed(small_replica):
    url = small_replica.base_url + "/a/kazakhstan-counterpropaganda-islamic-state-success/26829775.html"
    return PostPage(url, urllib.request.urlopen(url).read()).to_item()


def test_seed_post_body_holds_every_paragraph_in_order_with_link_texts(seed):
    paragraphs, _caption = _seed_paragraphs()
    assert len(paragraphs) == 19
    assert seed.body_text.split("\n\n") == paragraphs
    assert "According to Vostok Vestnik, the West" in seed.body_text
    assert "Bizhanov told Ertis Radio that" in seed.body_text
    assert seed.body_text.endswith("-- Joanna Paraszczuk")


def test_seed_post_caption_once_as_lead_image_not_in_body(seed):
    _paragraphs, caption = _seed_paragraphs()
    assert caption not in seed.body_text
    assert [(i.caption, i.is_lead) for i in seed.images] == [(caption, True)]


@pytest.mark.parametrize("chrome", ["Accessibility links", "Breaking News", "About This Blog", "Latest Posts", "Related"])
def test_seed_post_chrome_is_not_body_text(seed, chrome):
    assert chrome not in seed.body_text


def test_seed_post_fields(seed):
    assert seed.id == 26829775
    assert seed.title == "Kazakhstan Says It Won't Prosecute Four Men It Stopped From Joining IS"
    assert seed.authors == ["Joanna Paraszczuk"]
    assert seed.published_at == "2015-02-05T11:24:00+00:00"
    assert seed.zone == 17257
    assert seed.section == "Under The Black Flag"
    assert [(link.text, link.internal) for link in seed.links][:3] == [
        ("reports in the Kazakh media", False),
        ("website of the East Kazakhstan Region Prosecutor-General's Office", False),
        ("Ertis Radio", False),
    ]


def test_byline_and_time_are_the_fallbacks_without_json_ld():
    html = """<html lang="en"><head><title>t</title></head><body>
    <div class="publishing-details"><time datetime="2016-07-01T16:52:00+02:00">July 1</time>
    <a class="links__item-link" href="/author/a/x">Ann Author</a> <a href="/author/b/y">Ben Byline</a></div>
    <h1>A Title</h1><div id="article-content"><div class="wsw"><p>Text.</p></div></div></body></html>"""
    post = PostPage("https://www.rferl.org/a/a-title/123.html", html).to_item()
    assert post.authors == ["Ann Author", "Ben Byline"]
    assert post.published_at == "2016-07-01T14:52:00+00:00"
    assert post.title == "A Title"
    assert post.language == "en"
    assert post.tags == []


def test_old_posts_without_paragraph_tags_split_on_double_breaks():
    html = """<html><body><div id="article-content"><div class="wsw">First line<br>same paragraph<br><br>
    Second <a href="https://x.example/">linked</a> paragraph<br /><br />Third</div></div></body></html>"""
    post = PostPage("https://www.rferl.org/a/1.html", html).to_item()
    assert post.body_text == "First line same paragraph\n\nSecond linked paragraph\n\nThird"
    assert [(link.text, link.domain) for link in post.links] == [("linked", "x.example")]


def test_a_page_that_is_not_a_post_gives_no_item():
    assert PostPage("https://www.rferl.org/z/17257", "<html><body><p>x</p></body></html>").to_item() is None


HOSTILE = """<html><body><div id="article-content"><div class="wsw">
<p onclick="steal()">Plain <a href="javascript:alert(1)">bad link</a> and <a href="/a/ok/5.html" onmouseover="x()">good link</a>.</p>
<script>alert('x')</script><style>p { color: expression(alert(1)) }</style>
<p style="background:url(javascript:alert(1))">Styled <img src="x.jpg" onerror="alert(1)"> text.</p>
<iframe src="javascript:alert(1)"></iframe>
<svg><script>alert(1)</script><circle r="1"/></svg>
<p><a href="data:text/html;base64,PHNjcmlwdD4=">data link</a> <object data="evil.swf"></object></p>
</div></div></body></html>"""


def test_body_html_carries_no_active_content_and_body_text_is_unchanged():
    post = PostPage("https://www.rferl.org/a/x/5.html", HOSTILE).to_item()
    html = post.body_html.lower()
    for bad in ("<script", "<style", "<iframe", "<svg", "<object", "onclick", "onerror", "onmouseover", "javascript:", "expression(", "data:text"):
        assert bad not in html, bad
    assert 'href="https://www.rferl.org/a/ok/5.html"' in post.body_html
    assert 'src="https://www.rferl.org/a/x/x.jpg"' in post.body_html
    assert post.body_text == "Plain bad link and good link.\n\nStyled text.\n\ndata link"
    assert [link.url for link in post.links] == ["https://www.rferl.org/a/ok/5.html"]


def _page(ld: dict, body: str, head: str = "") -> str:
    return f"""<html lang="en"><head><link rel="canonical" href="https://www.rferl.org/a/s/123.html">{head}
    <script type="application/ld+json">{json.dumps(ld)}</script></head>
    <body><div id="content"><div id="article-content"><div class="wsw">{body}</div></div></div></body></html>"""


def test_a_json_ld_body_much_longer_than_the_markups_replaces_it_and_is_flagged():
    long_body = "\n".join(f"Paragraph {i} of the whole story, as the site's own structured data has it." for i in range(12))
    page = PostPage("https://www.rferl.org/a/s/123.html", _page({"@type": "NewsArticle", "articleBody": long_body}, "<p>Only the lead survived.</p>"))
    assert page.body_from_ld
    assert page.markup_body_text == "Only the lead survived."
    assert page.body_text.split("\n\n")[0] == "Paragraph 0 of the whole story, as the site's own structured data has it."
    assert len(page.body_text.split("\n\n")) == 12


def test_a_json_ld_body_about_as_long_as_the_markups_changes_nothing():
    text = "The whole story is in the markup, and the structured data says the same thing."
    page = PostPage("https://www.rferl.org/a/s/123.html", _page({"@type": "NewsArticle", "articleBody": text + " Caption."}, f"<p>{text}</p>"))
    assert not page.body_from_ld and page.body_text == text


def test_keywords_meta_is_only_the_last_resort_for_tags():
    head = '<meta name="keywords" content="Polygraph.info"><meta name="news_keywords" content="Ports, Shipping">'
    page = PostPage("https://www.rferl.org/a/s/123.html", _page({"@type": "ClaimReview", "author": {"name": "A. Writer"}}, "<p>x</p>", head))
    assert page.tags == ["Ports", "Shipping"] and page.authors == ["A. Writer"]
    bare = PostPage("https://www.rferl.org/a/s/123.html", _page({"@type": "NewsArticle"}, "<p>x</p>", '<meta name="keywords" content="Syria, Iraq">'))
    assert bare.tags == ["Syria", "Iraq"]


def test_text_in_other_scripts_is_kept_as_the_page_wrote_it(voa_expected):
    """The real page with its title and three paragraphs written in other scripts: every
    character that carries meaning comes through the whole parse (title, body, JSON-LD)."""
    import re

    html = (REFERENCE / "pangea-article-voa.html").read_text(encoding="utf-8")
    paragraphs = voa_expected["body"]["sections"][0]["paragraphs"]
    written = {
        0: "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u06a9\u062a\u0627\u0628\u200c\u0647\u0627 \u0631\u0627 "
           "\u0628\u062e\u0648\u0627\u0646\u0645\u060c \u200f2024\u200f.",  # Persian: ZWNJ, RLM around digits
        1: "\u0412 \u0433\u043e\u0440\u043e\u0434\u0435\u00a0\u2014 \u0434\u043e\u0436\u0434\u044c. "
           "Cafe\u0301 \u043d\u0430 \u0443\u0433\u043b\u0443.",  # Russian: a no-break space before a dash, a combining accent
        3: "\u1780\u17d2\u1798\u17c2\u179a\u200b\u1797\u17b6\u179f\u17b6 \u2068\u0645\u062b\u0627\u0644\u2069 "
           "\u1100\u1161 \uf900",  # Khmer with its ZWSP, an isolate, Hangul jamo, a compatibility ideograph
    }
    for number, text in written.items():
        assert html.count(paragraphs[number]) == 1
        html = html.replace(paragraphs[number], text)
    title = "\u0633\u0627\u0632\u0645\u0627\u0646\u200c\u0647\u0627\u06cc \u062c\u0647\u0627\u0646\u06cc"
    html, found = re.subn(r"America(?:&#39;|&#x27;|\\u0027|\\u0026#39;|'|\u2019)s child care crisis is holding back moms without college degrees", title, html)
    assert found >= 2
    post = PostPage(VOA_URL, html.encode("utf-8")).to_item()
    got = post.body_text.split("\n\n")
    for number, text in written.items():
        assert got[number] == text
    assert got[2] == paragraphs[2] and len(got) == len(paragraphs)
    assert post.title == title


def test_the_language_is_the_json_ld_s_and_a_page_lang_naming_another_is_told():
    html = (REFERENCE / "pangea-article-voa.html").read_text(encoding="utf-8")
    assert '<html lang="en" dir="ltr"' in html and '"inLanguage":"en-US"' in html
    page = PostPage(VOA_URL, html.encode("utf-8"))
    assert (page.language, page.language_disagrees) == ("en-US", False)  # en-US and en are one language
    other = PostPage(VOA_URL, html.replace('<html lang="en"', '<html lang="ru"').encode("utf-8"))
    assert (other.language, other.language_disagrees) == ("en-US", True)
    without = PostPage(VOA_URL, html.replace('"inLanguage":"en-US",', "").encode("utf-8"))
    assert (without.language, without.language_disagrees) == ("en", False)
