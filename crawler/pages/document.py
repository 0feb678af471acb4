"""A page parsed once: its tree, its meta tags and its JSON-LD, with the lookups page objects share.

The tree is selectolax's (Lexbor, an HTML5 parser): it parses a Pangea page several times
faster than lxml and answers CSS queries in microseconds, which keeps parsing far below
the cost of fetching.
"""

from __future__ import annotations

import json
import re
from functools import cached_property

from selectolax.lexbor import LexborHTMLParser, LexborNode

# The schema.org types Pangea pages describe a post with, most specific first: a page's
# "article" object is the first of its objects whose type is one of these.
ARTICLE_TYPES = (
    "LiveBlogPosting",
    "NewsArticle",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "BlogPosting",
    "Article",
    "ClaimReview",
    "VideoObject",
    "AudioObject",
)
_ARTICLE_TYPES = frozenset(ARTICLE_TYPES)


def _ld_objects(data):
    if isinstance(data, list):
        for item in data:
            yield from _ld_objects(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_objects(data["@graph"])


def _ld_types(obj: dict) -> set:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v for v in values if isinstance(v, str)}


# Pages nest elements a few dozen levels deep. A page nested far deeper (a hostile or
# broken one) costs the HTML parser and the sanitizer time that grows with the square of
# its depth; its text is kept and the elements past this depth are left out.
MAX_NESTING = 1000
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


def bounded_nesting(html: str | bytes, limit: int = MAX_NESTING) -> str | bytes:
    """``html`` with the elements nested deeper than ``limit`` left out (their content
    kept), in one pass over the tags; most pages are returned as they are, unread."""
    marker = b"<" if isinstance(html, bytes) else "<"
    if html.count(marker) < 2 * limit:
        return html
    text = html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html
    kept_flags: list[bool] = []
    pieces, last, trimmed = [], 0, False
    for match in _TAG.finditer(text):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or self_closing:
            continue
        if not closing:
            keep = len(kept_flags) < limit
            kept_flags.append(keep)
        else:
            keep = kept_flags.pop() if kept_flags else True
        if not keep:
            trimmed = True
            pieces.append(text[last : match.start()])
            last = match.end()
    if not trimmed:
        return html
    pieces.append(text[last:])
    return "".join(pieces)


def text_of(node: LexborNode | None) -> str:
    """All the text inside a node, as the page has it (callers clean it)."""
    return node.text(deep=True) if node is not None else ""


def attr(node: LexborNode | None, name: str) -> str | None:
    return node.attributes.get(name) if node is not None else None


def classes(node: LexborNode) -> list[str]:
    return (node.attributes.get("class") or "").split()


class Document:
    def __init__(self, html: str | bytes):
        self.tree = LexborHTMLParser(bounded_nesting(html))
        self.root = self.tree.root

    def css_first(self, selector: str) -> LexborNode | None:
        return self.tree.css_first(selector)

    def css(self, selector: str) -> list[LexborNode]:
        return self.tree.css(selector)

    @cached_property
    def meta(self) -> dict[str, str]:
        """``name`` and ``property`` of every meta tag, lower-cased, first one wins."""
        values: dict[str, str] = {}
        for node in self.tree.css("meta[content]"):
            attributes = node.attributes
            key = attributes.get("property") or attributes.get("name")
            if key:
                values.setdefault(key.strip().lower(), attributes.get("content") or "")
        return values

    @cached_property
    def ld_objects(self) -> list[dict]:
        """Every JSON-LD object of the page, ``@graph`` members included, in page order."""
        objects = []
        for node in self.tree.css("script[type='application/ld+json']"):
            try:
                data = json.loads(node.text(deep=True), strict=False)
            except ValueError:
                continue
            objects.extend(_ld_objects(data))
        return objects

    @cached_property
    def ld_articles(self) -> list[dict]:
        """The objects that describe the post (any of ``ARTICLE_TYPES``), the main one first."""
        found = [obj for obj in self.ld_objects if _ld_types(obj) & _ARTICLE_TYPES]
        rank = {name: i for i, name in enumerate(ARTICLE_TYPES)}
        return sorted(found, key=lambda obj: min(rank.get(t, len(rank)) for t in _ld_types(obj)))

    @cached_property
    def ld(self) -> dict:
        """The page's main article object in JSON-LD, or an empty dict."""
        return self.ld_articles[0] if self.ld_articles else {}

    def ld_value(self, key: str):
        """``key`` of the first article object that has it: a fact-check's ``ClaimReview``
        may carry the author and dates that its ``Article`` lacks, or the other way round."""
        for obj in self.ld_articles:
            value = obj.get(key)
            if value not in (None, "", [], {}):
                return value
        return None

    def ld_of_type(self, *types: str) -> list[dict]:
        wanted = set(types)
        return [obj for obj in self.ld_objects if _ld_types(obj) & wanted]

    def link(self, rel: str) -> str | None:
        return attr(self.tree.css_first(f"link[rel='{rel}'][href]"), "href")

    @cached_property
    def lang(self) -> str | None:
        return attr(self.tree.css_first("html"), "lang")
