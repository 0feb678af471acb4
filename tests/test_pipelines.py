"""Normalize and dedupe pipelines, on items as the spider yields them."""

import pytest
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.items import Image, Post
from crawler.pipelines import DedupePipeline, NormalizePipeline


@pytest.fixture
def stats():
    return MemoryStatsCollector(get_crawler())


def test_normalize_puts_every_field_in_normal_form(stats):
    post = Post(
        id="26829775",
        url="https://www.rferl.org/a/x/26829775.html",
        site="rferl.org",
        title="  Cafe\u0301\u00a0 title ",
        authors=["Joanna Paraszczuk", " joanna paraszczuk"],
        published_at="2015-02-05 11:24:00Z",
        updated_at="2015-02-05T12:24:00+01:00",
        tags="Syria, Iraq",
        body_text=" one \u00a0two\n\n\nthree ",
        images=[Image(0, "/img/a.jpg"), Image(1, "javascript:alert(1)")],
    )
    out = NormalizePipeline(stats).process_item(post)
    assert out.id == 26829775
    assert out.title == "Cafe\u0301\u00a0 title"  # as written: a no-break space and a combining accent kept
    assert out.authors == ["Joanna Paraszczuk"]
    assert out.published_at == out.updated_at == "2015-02-05T11:24:00+00:00"
    assert out.tags == ["Syria", "Iraq"]
    assert out.body_text == "one \u00a0two\n\nthree"
    assert out.word_count == 3
    assert [i.url for i in out.images] == ["https://www.rferl.org/img/a.jpg"]
    assert stats.get_value("pangea/fields_missing/section") == 1
    assert stats.get_value("pangea/fields_missing/title") is None


def test_normalize_drops_what_is_not_a_post(stats):
    with pytest.raises(DropItem):
        NormalizePipeline(stats).process_item(Post(id=0, url="", site=""))


def test_dedupe_keeps_one_post_per_id(stats):
    dedupe = DedupePipeline(stats)
    first = Post(id=1, url="https://www.rferl.org/a/1.html", site="rferl.org")
    assert dedupe.process_item(first) is first
    with pytest.raises(DropItem, match="duplicate post 1"):
        dedupe.process_item(Post(id=1, url="https://www.rferl.org/a/slug/1.html", site="rferl.org"))
    assert stats.get_value("pangea/posts_dropped/duplicate") == 1
