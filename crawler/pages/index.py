"""What a Pangea index page (a blog "zone", a section, a date archive) says.

We hold no real copy of a zone page, so nothing here hangs on one container id or class
name. The posts of the index are the links of post form in the page's main list; the
boxes beside it ("Most popular", "Latest", "Related"), navigation, header and footer
are other lists. Which list is the main one is decided by structure:

1. on the first page, the list the "Load more" link continues (the last top-level list
   before it; empty when a script fills it), or on an index of one page (no "Load more"),
   the list with the most posts;
2. on every later page, the list found at the same place in the page as on the first
   page (its ``list_path``); a page with no list there lists no posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from selectolax.lexbor import LexborNode

from ..text import clean_text
from ..urls import absolute_url, article_id_from_url, index_page_number, is_index_url, zone_id_from_url
from .document import Document, attr, classes, text_of

# Containers whose links are never posts of this index, by what they are in HTML.
_CHROME_TAGS = frozenset(("nav", "header", "footer"))
_LIST_TAGS = frozenset(("ul", "ol"))


def _node_path(node: LexborNode) -> tuple:
    """Where a node stands in the page: tags, ids and classes of it and its ancestors."""
    path = []
    while node is not None and node.tag not in ("html", "-document"):
        attributes = node.attributes
        path.append((node.tag, attributes.get("id") or "", " ".join(sorted(classes(node)))))
        node = node.parent
    return tuple(reversed(path))


@dataclass
class _PostList:
    container: LexborNode
    path: tuple
    urls: list[str]
    first_seen: int


class IndexPage:
    def __init__(self, url: str, html: str | bytes, list_path: tuple | None = None):
        self.url = url
        self.doc = Document(html)
        self.list_path = list_path

    @cached_property
    def zone(self) -> int | None:
        return zone_id_from_url(self.url)

    @cached_property
    def page_number(self) -> int:
        return index_page_number(self.url)

    @cached_property
    def title(self) -> str | None:
        """The blog's title: the page's h1, or og:title without the site name after " | "."""
        title = clean_text(text_of(self.doc.css_first("h1"))) or clean_text(self.doc.meta.get("og:title")).split(" | ")[0]
        return title or None

    @cached_property
    def feed_url(self) -> str | None:
        href = attr(self.doc.css_first("link[rel='alternate'][type='application/rss+xml'][href]"), "href")
        return absolute_url(href, self.url)

    # --- the "Load more" link ---------------------------------------------------------
    @cached_property
    def _load_more(self) -> LexborNode | None:
        return self.doc.css_first("a.link-showMore") or self.doc.css_first(".buttons a[data-ajax-url]")

    @cached_property
    def next_page_url(self) -> str | None:
        """The page the "Load more" link leads to, when it is a page of this index."""
        href = absolute_url(attr(self._load_more, "href"), self.url)
        if href and is_index_url(href) and index_page_number(href) > self.page_number:
            return href
        return None

    @cached_property
    def needs_browser(self) -> bool:
        """True when "Load more" is there but only a script can follow it (no href)."""
        return self._load_more is not None and self.next_page_url is None and not attr(self._load_more, "href")

    # --- the posts of the main list -----------------------------------------------------
    @cached_property
    def _lists(self) -> list[_PostList]:
        lists: dict[int, _PostList] = {}
        for order, anchor in enumerate(self.doc.css("a[href]")):
            href = anchor.attributes.get("href")
            if not href or article_id_from_url(href) is None:
                continue
            container, in_chrome = None, False
            node = anchor.parent
            while node is not None and node.tag != "body":
                if node.tag in _CHROME_TAGS:
                    in_chrome = True
                    break
                if container is None and node.tag in _LIST_TAGS:
                    container = node
                node = node.parent
            if in_chrome:
                continue
            container = container or anchor.parent.parent or anchor.parent
            key = container.mem_id
            if key not in lists:
                lists[key] = _PostList(container, _node_path(container), [], order)
            lists[key].urls.append(absolute_url(href, self.url))
        return sorted(lists.values(), key=lambda post_list: post_list.first_seen)

    @cached_property
    def main_list(self) -> _PostList | None:
        lists = self._lists
        if self.list_path is not None:
            # Later pages have their list where the first page had it; a page with no
            # list there lists no posts, whatever the boxes beside it hold.
            same_place = [post_list for post_list in lists if post_list.path == self.list_path]
            return same_place[0] if same_place else None
        if not lists:
            return None
        if self._load_more is not None:
            # The list right before "Load more" in document order is the one it extends;
            # when that list is empty (a script fills it), the page lists nothing yet.
            boundary = self._position_of(self._load_more)
            outer_lists = [
                node
                for node in self.doc.css("ul, ol")
                if self._position_of(node) < boundary and not self._inside_list(node)
            ]
            if outer_lists:
                by_container = {post_list.container.mem_id: post_list for post_list in lists}
                return by_container.get(outer_lists[-1].mem_id)
        return max(lists, key=lambda post_list: (len({article_id_from_url(u) for u in post_list.urls}), -post_list.first_seen))

    @staticmethod
    def _inside_list(node: LexborNode) -> bool:
        parent = node.parent
        while parent is not None:
            if parent.tag in _LIST_TAGS:
                return True
            parent = parent.parent
        return False

    def _position_of(self, target: LexborNode) -> int:
        positions = self._positions
        return positions.get(target.mem_id, -1)

    @cached_property
    def _positions(self) -> dict[int, int]:
        return {node.mem_id: i for i, node in enumerate(self.doc.root.traverse())}

    @cached_property
    def post_urls(self) -> list[str]:
        """The posts of the main list, in order, each id once."""
        if self.main_list is None:
            return []
        seen: set[int] = set()
        urls = []
        for url in self.main_list.urls:
            post_id = article_id_from_url(url)
            if url and post_id not in seen:
                seen.add(post_id)
                urls.append(url)
        return urls
