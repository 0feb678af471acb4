"""What a Pangea index page (a blog "zone", a section, a date archive) says.

We hold no real copy of a zone page, so nothing here hangs on one container id or class
name, and every reading is checked against another signal of the page:

- **The stories.** A story is the largest element around a post link that holds no
  other post (a list item at the most); its container is the list. The page's main list
  is the one that "Load more" continues (the last list before the control), or on an
  index of one page, the list with the most posts. Pangea splits one block's stories
  over sibling lists (a lead ``<ul>``, then a ``follow-up-list``): lists next to the main
  one with no heading and no control between them are part of it. Boxes beside it
  ("Most popular", "About This Blog") start with a heading; navigation, header and
  footer are left out by what they are.
- **Later pages** take their posts from the lists found where the first page had them
  (``list_paths``); a page with no list there lists no posts.
- **"Load more"** in any form: a link to a later page of this index, any element with a
  ``data-ajax-url``, or a link, button or ``role=button`` whose class or label says it
  loads more. Its URL (the link's, or the ``data-ajax-url`` without its ``ajax`` flag)
  is the next page; a control with no URL can only be followed in a browser.
- **JSON-LD** ``ItemList``, where the page has one: its posts are added to the list's,
  and the two readings' disagreements are counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from selectolax.lexbor import LexborNode

from ..text import clean_text
from ..urls import (
    absolute_url,
    article_id_from_url,
    index_page_number,
    is_index_url,
    is_same_site,
    without_ajax_flag,
    zone_id_from_url,
)
from .document import Document, attr, classes, text_of

# Containers whose links are never posts of this index, by what they are in HTML.
_CHROME_TAGS = frozenset(("nav", "header", "footer"))
_CHROME_IDS = frozenset(("navigation",))
_LIST_TAGS = frozenset(("ul", "ol"))
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
# What a "Load more" control calls itself, in its class or its label.
LOAD_MORE_CLASS = re.compile(r"show-?more|load-?more|load_more", re.IGNORECASE)
LOAD_MORE_LABEL = re.compile(r"\b(load|show|view|see)\s+more\b", re.IGNORECASE)
_CONTROL_CANDIDATES = "[data-ajax-url], a, button, [role='button']"


def _node_path(node: LexborNode) -> tuple:
    """Where a node stands in the page: tags, ids and classes of it and its ancestors."""
    path = []
    while node is not None and node.tag not in ("html", "-document"):
        attributes = node.attributes
        path.append((node.tag, attributes.get("id") or "", " ".join(sorted(classes(node)))))
        node = node.parent
    return tuple(reversed(path))


def _in_chrome(node: LexborNode) -> bool:
    while node is not None and node.tag != "body":
        if node.tag in _CHROME_TAGS or node.attributes.get("id") in _CHROME_IDS:
            return True
        node = node.parent
    return False


@dataclass
class _PostList:
    container: LexborNode
    path: tuple
    urls: list[str]
    first_seen: int


class IndexPage:
    def __init__(self, url: str, html: str | bytes, list_paths: tuple | None = None):
        self.url = url
        self.doc = Document(html)
        self.list_paths = list_paths

    @cached_property
    def zone(self) -> int | None:
        return zone_id_from_url(self.url)

    @cached_property
    def page_number(self) -> int:
        return index_page_number(self.url)

    @cached_property
    def title(self) -> str | None:
        """The blog's title: the page's own h1 (not one inside an embedded banner), or
        og:title without the site name after " | "."""
        heading = next((h for h in self.doc.css("h1") if not self._inside_embed(h)), None)
        title = clean_text(text_of(heading)) or clean_text(self.doc.meta.get("og:title")).split(" | ")[0]
        return title or None

    @staticmethod
    def _inside_embed(node: LexborNode) -> bool:
        node = node.parent
        while node is not None and node.tag != "body":
            if "wsw__embed" in classes(node):
                return True
            node = node.parent
        return False

    @cached_property
    def feed_url(self) -> str | None:
        href = attr(self.doc.css_first("link[rel='alternate'][type='application/rss+xml'][href]"), "href")
        return absolute_url(href, self.url)

    # --- "Load more", in any form ------------------------------------------------------
    def _later_page_of_this_index(self, href: str | None) -> str | None:
        url = absolute_url(href, self.url)
        if url and is_index_url(url) and zone_id_from_url(url) == self.zone and index_page_number(url) > self.page_number:
            if is_same_site(url, self.url):
                return without_ajax_flag(url)
        return None

    @cached_property
    def load_more_controls(self) -> list[LexborNode]:
        """Every element of the page that loads more of this index, in page order."""
        controls, seen = [], set()
        for node in self.doc.css(_CONTROL_CANDIDATES):
            if node.mem_id in seen:  # an element that matches two of the selectors
                continue
            seen.add(node.mem_id)
            attributes = node.attributes
            is_control = (
                "data-ajax-url" in attributes
                or self._later_page_of_this_index(attributes.get("href")) is not None
                or LOAD_MORE_CLASS.search(attributes.get("class") or "")
                or LOAD_MORE_LABEL.search(attributes.get("aria-label") or attributes.get("title") or "")
                or (node.tag != "a" or "href" not in attributes) and LOAD_MORE_LABEL.search(text_of(node)[:80])
            )
            if is_control and not _in_chrome(node):
                controls.append(node)
        return controls

    @cached_property
    def has_load_more(self) -> bool:
        """True while the page shows a way to load more of the index, in any form."""
        return bool(self.load_more_controls)

    def _later_page_named_by(self, attribute_names: tuple[str, ...]) -> str | None:
        for control in self.load_more_controls:
            for name in attribute_names:
                url = self._later_page_of_this_index(control.attributes.get(name))
                if url:
                    return url
        return self._later_page_of_this_index(self.doc.link("next"))

    @cached_property
    def next_page_url(self) -> str | None:
        """The later page of this index a control leads to, when one says where."""
        return self._later_page_named_by(("href", "data-ajax-url", "data-href"))

    @cached_property
    def next_page_link(self) -> str | None:
        """The later page a link (``href``) leads to; a browser clicks any other control."""
        return self._later_page_named_by(("href",))

    @cached_property
    def needs_browser(self) -> bool:
        """True when "Load more" is there but only a script can follow it (no URL)."""
        return self.has_load_more and self.next_page_url is None

    # --- the posts of the main list -----------------------------------------------------
    @cached_property
    def _lists(self) -> list[_PostList]:
        anchors = []
        ids_under: dict[int, set] = {}
        for order, anchor in enumerate(self.doc.css("a[href]")):
            href = anchor.attributes.get("href")
            post_id = article_id_from_url(href) if href else None
            if post_id is None or _in_chrome(anchor):
                continue
            anchors.append((order, anchor, href))
            node = anchor.parent
            while node is not None and node.tag != "body":
                ids_under.setdefault(node.mem_id, set()).add(post_id)
                node = node.parent
        lists: dict[int, _PostList] = {}
        for order, anchor, href in anchors:
            # The story: the largest element around the link that holds no other post (a
            # list item at the most); its parent is the list.
            story = anchor
            while story.tag != "li" and story.parent is not None and story.parent.tag != "body":
                if len(ids_under.get(story.parent.mem_id, ())) != 1:
                    break
                story = story.parent
            container = story.parent if story.parent is not None else story
            key = container.mem_id
            if key not in lists:
                lists[key] = _PostList(container, _node_path(container), [], order)
            lists[key].urls.append(absolute_url(href, self.url))
        return sorted(lists.values(), key=lambda post_list: self._position_of(post_list.container))

    @cached_property
    def main_lists(self) -> list[_PostList]:
        lists = self._lists
        if self.list_paths is not None:
            # Later pages have their lists where the first page had them; a page with no
            # list there lists no posts, whatever the boxes beside it hold.
            return [post_list for post_list in lists if post_list.path in self.list_paths]
        if not lists:
            return []
        main = None
        if self.load_more_controls:
            # The list right before "Load more" is the one it extends; when an empty list
            # stands between them (a script fills it), the page lists nothing yet.
            boundary = self._position_of(self.load_more_controls[0])
            before = [post_list for post_list in lists if self._position_of(post_list.container) < boundary]
            if before:
                main = before[-1]
                inside_main = {node.mem_id for node in main.container.traverse()}
                empty = [
                    node
                    for node in self.doc.css("ul, ol")
                    if self._position_of(main.container) < self._position_of(node) < boundary
                    and node.mem_id not in inside_main
                    and not any(article_id_from_url(a.attributes.get("href") or "") for a in node.css("a[href]"))
                    and not any(inner.mem_id != node.mem_id for inner in node.css("ul, ol"))
                ]
                if empty:
                    return []
        if main is None:
            main = max(lists, key=lambda post_list: (len({article_id_from_url(u) for u in post_list.urls}), -post_list.first_seen))
        return self._with_sibling_lists(main)

    def _with_sibling_lists(self, main: _PostList) -> list[_PostList]:
        """The main list and the lists next to it that are parts of the same block."""
        lists = self._lists
        index = next(i for i, post_list in enumerate(lists) if post_list is main)
        block = [main]
        for step in (-1, 1):
            i = index + step
            while 0 <= i < len(lists) and self._adjacent(block[0] if step < 0 else block[-1], lists[i]):
                block.insert(0, lists[i]) if step < 0 else block.append(lists[i])
                i += step
        return block

    def _adjacent(self, one: _PostList, other: _PostList) -> bool:
        """Two lists are one block's when no control stands between them and they are in
        the same box: the same heading is the nearest one above both."""
        start, end = sorted((self._position_of(one.container), self._position_of(other.container)))
        if any(start < self._position_of(control) < end for control in self.load_more_controls):
            return False
        return self._box_of(one.container) == self._box_of(other.container)

    def _box_of(self, container: LexborNode) -> int | None:
        """The smallest element around ``container`` that has a heading before it."""
        position = self._position_of(container)
        node = container.parent
        while node is not None and node.tag not in ("html", "-document"):
            start = self._position_of(node)
            if any(start < heading < position for heading in self._heading_positions):
                return node.mem_id
            node = node.parent
        return None

    @cached_property
    def _heading_positions(self) -> list[int]:
        """Where the boxes' headings are; a story's own title (inside a list) is none."""
        in_lists = {node.mem_id for post_list in self._lists for node in post_list.container.traverse()}
        return [
            position
            for position, node in enumerate(self.doc.root.traverse())
            if (node.tag in _HEADINGS or "section-head" in classes(node)) and node.mem_id not in in_lists
        ]

    def _position_of(self, target: LexborNode) -> int:
        return self._positions.get(target.mem_id, -1)

    @cached_property
    def _positions(self) -> dict[int, int]:
        return {node.mem_id: i for i, node in enumerate(self.doc.root.traverse())}

    @cached_property
    def list_paths_found(self) -> tuple:
        """Where the main lists stand, for the later pages of this index."""
        return tuple(post_list.path for post_list in self.main_lists)

    @cached_property
    def html_post_urls(self) -> list[str]:
        """The posts of the main lists, in order, each id once."""
        seen: set[int] = set()
        urls = []
        for post_list in self.main_lists:
            for url in post_list.urls:
                post_id = article_id_from_url(url)
                if url and post_id not in seen:
                    seen.add(post_id)
                    urls.append(url)
        return urls

    @cached_property
    def ld_post_urls(self) -> list[str] | None:
        """The posts a JSON-LD ``ItemList`` names, or None when the page has none."""
        item_lists = self.doc.ld_of_type("ItemList")
        if not item_lists:
            return None
        urls = []
        for item_list in item_lists:
            elements = item_list.get("itemListElement") or []
            for element in elements if isinstance(elements, list) else [elements]:
                if isinstance(element, str):
                    candidate = element
                elif isinstance(element, dict):
                    item = element.get("item")
                    candidate = element.get("url") or (item.get("url") or item.get("@id") if isinstance(item, dict) else item)
                else:
                    continue
                url = absolute_url(candidate if isinstance(candidate, str) else None, self.url)
                if url and article_id_from_url(url) is not None:
                    urls.append(url)
        return urls

    @cached_property
    def post_urls(self) -> list[str]:
        """The posts of the main lists, then those only the JSON-LD ``ItemList`` names."""
        urls = list(self.html_post_urls)
        seen = {article_id_from_url(url) for url in urls}
        for url in self.ld_post_urls or []:
            post_id = article_id_from_url(url)
            if post_id not in seen:
                seen.add(post_id)
                urls.append(url)
        return urls

    @cached_property
    def disagreements(self) -> dict[str, int]:
        """How the page's readings differ: posts only the JSON-LD names, posts only the list has."""
        if self.ld_post_urls is None:
            return {}
        html_ids = {article_id_from_url(url) for url in self.html_post_urls}
        ld_ids = {article_id_from_url(url) for url in self.ld_post_urls}
        return {"index_posts_only_in_json_ld": len(ld_ids - html_ids), "index_posts_only_in_html": len(html_ids - ld_ids)}
