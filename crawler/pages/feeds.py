"""Reading what is not a page of posts: whether a response is HTML at all, the post URLs
of an RSS or Atom feed, and the entries of a (gzipped) sitemap."""

from __future__ import annotations

from scrapy.http import TextResponse
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from ..urls import absolute_url, article_id_from_url


def html_of(response) -> str | None:
    """A response's HTML as text, or None when it is not HTML.

    Pangea pages are UTF-8: bytes that decode as UTF-8 are read so, whatever the
    Content-Type header claims (a page declared ISO-8859-1 would otherwise come out as
    mojibake); other bytes are read as the response declares. A page sent with a wrong
    content type is still read when its bytes are HTML.
    """
    body = response.body
    head = body[:2048].lstrip().lower()
    if not (head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return response.text if isinstance(response, TextResponse) else body.decode("utf-8", errors="replace")


def feed_post_urls(response) -> list[str]:
    """The post URLs of an RSS or Atom feed (none when the response is not a feed)."""
    try:
        links = response.xpath("//item/link/text() | //*[local-name()='entry']/*[local-name()='link']/@href").getall()
    except (AttributeError, ValueError):
        return []
    urls = [absolute_url(link.strip(), response.url) for link in links]
    return [url for url in urls if url and article_id_from_url(url) is not None]


def read_sitemap(body: bytes, max_size: int) -> tuple[str, list[str]]:
    """A sitemap's kind (``sitemapindex`` or ``urlset``) and its locations: the child
    sitemaps of an index, the post URLs of a sitemap."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body, max_size=max_size)
    sitemap = Sitemap(body)
    locations = [entry.get("loc", "") for entry in sitemap]
    if sitemap.type == "sitemapindex":
        return "sitemapindex", [loc for loc in locations if loc]
    return "urlset", [loc for loc in locations if article_id_from_url(loc) is not None]
