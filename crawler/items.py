"""What the crawler yields: plain dataclasses, read through ItemAdapter."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


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


def _extracted(default=None, *, kind: str = "", hashed: bool = True, searchable: bool = False, factory=None):
    """A field the page parser extracts. ``kind`` says how the pipeline normalizes it
    (``text``, ``date``, ``names``); ``hashed`` fields make a post changed when they
    change; ``searchable`` ones go into the full-text index."""
    metadata = {"extracted": True, "kind": kind, "hashed": hashed, "searchable": searchable}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def _added(default=None, *, column: bool = True):
    """A field the spider and the pipelines set, not the page parser; never hashed.
    ``column=False``: the store uses it, but ``posts`` has no column of it."""
    return field(
        default=default, metadata={"extracted": False, "kind": "", "hashed": False, "searchable": False, "column": column}
    )


@dataclass
class Post:
    """A post. Its field list, with each field's role, is the one list the parser's output,
    the golden files, the pipelines' normal form, the change hash and the full-text index
    are read from (``EXTRACTED_FIELDS``, ``HASHED_FIELDS``, ...)."""

    id: int = _extracted(hashed=False)
    url: str = _extracted("")
    site: str = _extracted("", hashed=False)
    title: str | None = _extracted(kind="text", searchable=True)
    description: str | None = _extracted(kind="text")
    authors: list[str] = _extracted(kind="names", factory=list)
    published_at: str | None = _extracted(kind="date")
    updated_at: str | None = _extracted(kind="date")
    tags: list[str] = _extracted(kind="names", factory=list)
    section: str | None = _extracted(kind="text")
    zone: int | None = _extracted()
    language: str | None = _extracted(kind="text")
    dateline: str | None = _extracted(kind="text")
    body_text: str = _extracted("", searchable=True)
    body_html: str = _extracted("")
    word_count: int = _extracted(0, hashed=False)
    images: list[Image] = _extracted(factory=list)
    links: list[Link] = _extracted(factory=list)
    embeds: list[Embed] = _extracted(factory=list)
    blog_zone: int | None = _added()
    blog_site: str | None = _added()
    fetched_url: str | None = _added()
    etag: str | None = _added()
    last_modified: str | None = _added()
    # The WARC record holding the bytes this version was read from (``captures``).
    capture_id: str | None = _added()
    # When the page was fetched (its WARC-Date): the time the store records the post at.
    fetched_at: str | None = _added(column=False)


def _post_fields(**wanted) -> tuple[str, ...]:
    return tuple(f.name for f in fields(Post) if all(f.metadata.get(key) == value for key, value in wanted.items()))


EXTRACTED_FIELDS = _post_fields(extracted=True)
ADDED_FIELDS = _post_fields(extracted=False)
HASHED_FIELDS = _post_fields(hashed=True)
SEARCHABLE_FIELDS = _post_fields(searchable=True)
TEXT_FIELDS = _post_fields(kind="text")
DATE_FIELDS = _post_fields(kind="date")
NAME_FIELDS = _post_fields(kind="names")


@dataclass
class PostStatus:
    """A re-check of a stored post that brought no page to parse.

    ``unchanged``: the site answered 304 Not Modified. ``removed``: it answered 404 or 410.
    """

    id: int
    url: str
    status: str
    site: str = ""
    blog_site: str | None = None  # the blog whose run re-checked it
    blog_zone: int | None = None


@dataclass
class BlogListing:
    """A stored post, not fetched again, found listed in a blog it was not known to be in."""

    site: str
    post_id: int
    blog_site: str
    zone: int
    seen_at: str | None = None  # when the page that listed it was fetched (its WARC-Date)


@dataclass
class FetchFailure:
    """A page the run could not get after Scrapy's retries; the next run tries it again."""

    url: str  # the URL the page was asked for (a post: its own, whatever it redirected to)
    kind: str  # "post" or "index"
    error: str
    post_id: int | None = None
    site: str = ""  # the blog the page was fetched for
    blog_zone: int | None = None
    led_to: str | None = None  # where redirects took the request, when elsewhere


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
    fetched_at: str | None = None  # when the page holding it was fetched


@dataclass
class LiveBlogWalk:
    """A run is done with a live blog's entries; ``pages`` > 0 when it read them down to the oldest page."""

    site: str
    post_id: int
    pages: int
