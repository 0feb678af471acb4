"""What the crawler yields: plain dataclasses, read through ItemAdapter."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Image:
    position: int
    url: str
    caption: str | None = None
    credit: str | None = None
    is_lead: bool = False


@dataclass
class Link:
    position: int
    url: str
    text: str
    domain: str
    internal: bool


@dataclass
class Embed:
    position: int
    kind: str  # youtube, video, audio, iframe
    url: str


@dataclass
class Post:
    id: int
    url: str
    site: str
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    updated_at: str | None = None
    tags: list[str] = field(default_factory=list)
    section: str | None = None
    zone: int | None = None
    language: str | None = None
    dateline: str | None = None
    body_text: str = ""
    body_html: str = ""
    word_count: int = 0
    images: list[Image] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
    # Set by the spider and the pipelines, not by the page parser.
    blog_zone: int | None = None
    blog_site: str | None = None
    fetched_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class PostStatus:
    """A re-check of a stored post that brought no page to parse.

    ``unchanged``: the site answered 304 Not Modified. ``removed``: it answered 404 or 410.
    """

    id: int
    url: str
    status: str
    site: str = ""


@dataclass
class BlogListing:
    """A stored post, not fetched again, found listed in a blog it was not known to be in."""

    site: str
    post_id: int
    blog_site: str
    zone: int


@dataclass
class FetchFailure:
    """A page the run could not get after Scrapy's retries; the next run tries it again."""

    url: str
    kind: str  # "post" or "index"
    error: str
    post_id: int | None = None


@dataclass
class IdentityMismatch:
    """A page that named another post (or a post of another site) as its own; it was
    stored as the post the crawler asked for."""

    site: str
    post_id: int
    claimed_by: str  # canonical, og:url, json-ld url, json-ld mainEntityOfPage
    claimed_url: str
    fetched_url: str


# Fields a post of a Pangea blog normally has. Missing ones are counted per run: a field
# that suddenly goes missing on many posts means the site's markup changed.
EXPECTED_FIELDS = ("title", "authors", "published_at", "body_text", "tags", "section", "language")


@dataclass
class LiveEntry:
    """One timestamped entry of a live blog, a record of its own."""

    site: str
    post_id: int
    entry_id: int
    published_at: str | None
    headline: str | None
    body_text: str
    body_html: str
    url: str | None = None
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)


@dataclass
class LiveBlogWalk:
    """A run is done with a live blog's entries; ``pages`` > 0 when it read them down to the oldest page."""

    site: str
    post_id: int
    pages: int
