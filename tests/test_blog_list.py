"""The run's blogs as given: one index URL, several comma-separated, a blog list file."""

import pytest

from crawler.checks import BadInput
from crawler.run import DEFAULT_START_URL, CrawlArguments, RunFacts, parse_arguments


def test_without_a_blog_the_default_one():
    assert CrawlArguments.parse().start_urls == (DEFAULT_START_URL,)


def test_comma_separated_and_file_blogs_in_order(tmp_path):
    listing = tmp_path / "blogs.txt"
    listing.write_text("# RFE/RL\nhttps://www.rferl.org/z/17257  # Under The Black Flag\n\n  https://www.voanews.com/z/599\n")
    arguments = parse_arguments({"start_url": "https://www.rferl.org/z/1,https://www.rferl.org/z/2", "blogs": str(listing)})
    assert arguments.start_urls == (
        "https://www.rferl.org/z/1", "https://www.rferl.org/z/2", "https://www.rferl.org/z/17257", "https://www.voanews.com/z/599",
    )
    assert parse_arguments({"blogs": str(listing)}).start_urls[0] == "https://www.rferl.org/z/17257"


def test_a_blog_given_twice_is_crawled_once():
    facts = RunFacts(CrawlArguments.parse(start_url="https://www.rferl.org/z/17257,https://rferl.org/z/17257/,https://www.rferl.org/z/30101"))
    assert [(blog.site, blog.zone) for blog in facts.blogs] == [("rferl.org", 17257), ("rferl.org", 30101)]
    assert [blog.start_url for blog in facts.blogs] == ["https://www.rferl.org/z/17257", "https://www.rferl.org/z/30101"]


@pytest.mark.parametrize(
    "given, message",
    [
        ({"start_url": "https://www.rferl.org/z/1,"}, "start_url '' is not a Pangea index URL"),
        ({"start_url": "https://www.rferl.org/z/1,https://www.rferl.org/a/x/2.html"}, "start_url 'https://www.rferl.org/a/x/2.html' is not"),
        ({"blogs": "/nonexistent/blogs.txt"}, "cannot read the blog list /nonexistent/blogs.txt: No such file or directory"),
        ({"blog": "x"}, "unknown argument -a blog=... (did you mean blogs?)"),
    ],
)
def test_bad_blogs_are_one_line(given, message):
    with pytest.raises(BadInput) as raised:
        parse_arguments(given)
    assert str(raised.value).startswith(message)


def test_a_blog_list_of_comments_only_names_no_blog(tmp_path):
    listing = tmp_path / "blogs.txt"
    listing.write_text("# nothing yet\n\n")
    with pytest.raises(BadInput, match="names no blog"):
        parse_arguments({"blogs": str(listing)})
    listing.write_bytes(b"\xff\xfe bad")
    with pytest.raises(BadInput, match="is not UTF-8 text"):
        parse_arguments({"blogs": str(listing)})


@pytest.mark.parametrize(
    "url, on, message",
    [("hooks.example.org/x", "failed", "ALERT_WEBHOOK_URL 'hooks.example.org/x' is not an http"), ("", "sometimes", "ALERT_ON 'sometimes'")],
)
def test_alert_settings_are_checked(url, on, message):
    from crawler.checks import check_alert

    check_alert("https://hooks.example.org/x", "always")
    check_alert("", "failed")
    with pytest.raises(BadInput, match=message):
        check_alert(url, on)
