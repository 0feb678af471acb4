"""What a post page says, read once into plain data: the item, and the facts the spider
routes by (a body empty without JavaScript, a live blog and its older page, the page's
claims about itself). Plain dataclasses, so that a page can be read in another process
(a re-extraction reads pages in a pool while the crawl process stores them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..items import LiveEntry, Post
from ..text import word_count
from .liveblog import LiveBlogPage
from .post import PostPage


@dataclass
class LiveReading:
    is_live_blog: bool
    post_id: int | None
    site: str
    page_number: int
    entries: list[LiveEntry] = field(default_factory=list)
    disagreements: dict[str, int] = field(default_factory=dict)
    next_page_url: str | None = None
    has_more: bool = False  # the page shows a way to older entries (with a URL or not)
    furthest_page_named: int = 0  # the furthest page of entries a permalink of the page names

    @property
    def needs_browser(self) -> bool:
        """A way to older entries is shown that only a script follows."""
        return self.has_more and self.next_page_url is None

    @classmethod
    def of(cls, live: LiveBlogPage) -> "LiveReading":
        if not live.is_live_blog:
            return cls(False, live.post_id, live.site, live.page_number)
        return cls(
            True, live.post_id, live.site, live.page_number, live.entries, live.disagreements, live.next_page_url,
            live.has_more, live.furthest_page_named,
        )


@dataclass
class PostReading:
    post: Post | None  # None: not a post page
    markup_body_empty: bool  # no body text without JavaScript
    markup_body_words: int
    ld_body_words: int
    is_media_page: bool
    body_from_ld: bool
    mismatched_claims: list[tuple[str, str]]
    live: LiveReading
    date_disagreements: int = 0  # date signals of the page that disagree with the dates kept
    language_disagrees: bool = False  # the JSON-LD's language and the page's lang are two languages


def read_post(url: str, html: str) -> PostReading:
    page = PostPage(url, html)
    post = page.to_item()
    if post is None:
        return PostReading(None, True, 0, 0, False, False, [], LiveReading(False, None, "", 0))
    return PostReading(
        post=post,
        markup_body_empty=not page.markup_body_text,
        markup_body_words=word_count(page.markup_body_text),
        ld_body_words=word_count(page.ld_body_text) if page.body_from_ld else 0,
        is_media_page=page.is_media_page,
        body_from_ld=page.body_from_ld,
        mismatched_claims=list(page.mismatched_claims),
        live=LiveReading.of(LiveBlogPage(page)),
        date_disagreements=page.date_disagreements,
        language_disagrees=page.language_disagrees,
    )


def read_live_page(url: str, html: str) -> LiveReading:
    """An older page of a live blog: its entries and the page after it."""
    return LiveReading.of(LiveBlogPage(PostPage(url, html)))
