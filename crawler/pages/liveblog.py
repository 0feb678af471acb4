"""What a live blog page says: its timestamped entries, and where its older entries are.

We hold no real live blog page, so this reads what the reference describes and nothing
narrower, whatever elements hold the entries: an entry is the largest element around
one entry id (its permalink ``/a/<slug>/<post id>/lbl<N>lbi<M>.html``, or an
``id="lbi<M>"``) that holds no other entry, with a stamp ``HH:MM D.M.YYYY`` (Central
European time, so CEST in summer: converted with the Europe/Prague rules), a headline
and text.

Where the page has schema.org ``LiveBlogPosting`` JSON-LD, its ``liveBlogUpdate``
entries are records in their own right: an entry only there is stored from there; where
both have it, the markup's text wins and the JSON-LD's time. The two readings'
disagreements are counted (``disagreements``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import cached_property
from zoneinfo import ZoneInfo

from ..dates import to_utc_iso
from ..items import LiveEntry
from ..text import clean_text, join_paragraphs
from ..urls import (
    absolute_url,
    article_id_from_url,
    entry_id_from_url,
    entry_page_from_url,
    index_page_number,
    site_key,
    without_ajax_flag,
)
from .document import attr, classes, text_of
from .index import LOAD_MORE_CLASS, LOAD_MORE_LABEL

CENTRAL_EUROPE = ZoneInfo("Europe/Prague")
STAMP = re.compile(r"(?<![\d.:])(\d{1,2}):(\d{2})\s+(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d])")
_ENTRY_ID = re.compile(r"lbi(\d+)")


def stamp_to_utc(text: str | None) -> str | None:
    """``16:52 29.2.2016`` (Central European time) as UTC ISO 8601; None when there is no stamp."""
    match = STAMP.search(text or "")
    if not match:
        return None
    hour, minute, day, month, year = (int(g) for g in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, tzinfo=CENTRAL_EUROPE)
    except ValueError:
        return None
    return local.astimezone(timezone.utc).isoformat()


class LiveBlogPage:
    """The live blog part of a post page (``PostPage``), read from the same parsed document."""

    def __init__(self, post_page):
        self.post_page = post_page
        self.doc = post_page.doc
        self.url = post_page.url

    @cached_property
    def post_id(self) -> int | None:
        return self.post_page.post_id

    @cached_property
    def site(self) -> str:
        return site_key(self.post_page.canonical_url)

    @cached_property
    def page_number(self) -> int:
        """Which page of the entry list this is: ``?p=N``, or the ``N`` of an entry
        permalink (``lbl<N>lbi<M>``) the page was reached by; the first page is 0."""
        return index_page_number(self.url) or entry_page_from_url(self.url) or 0

    @cached_property
    def _ld_update_list(self) -> list[dict]:
        updates = []
        for live in self.doc.ld_of_type("LiveBlogPosting"):
            found = live.get("liveBlogUpdate")
            updates.extend(u for u in (found if isinstance(found, list) else [found]) if isinstance(u, dict))
        return updates

    @cached_property
    def _updates(self) -> dict[int, dict]:
        """JSON-LD liveBlogUpdate entries of this post, by entry id."""
        found = {}
        for update in self._ld_update_list:
            for key in ("url", "@id"):
                value = str(update.get(key) or "")
                entry_id = entry_id_from_url(value)
                if entry_id is not None and article_id_from_url(value) in (self.post_id, None):
                    found.setdefault(entry_id, update)
                    break
        return found

    @cached_property
    def _containers(self) -> dict[int, object]:
        """Each entry id of the page and the element that holds that entry, in page order."""
        # Entries have ids: a permalink (lbl<N>lbi<M>) or an element id lbi<M>. A page
        # with neither has no entries in its markup, and costs one query to tell.
        if self.doc.css_first("#content a[href*='lbi'], #content [id^='lbi']") is None:
            return {}
        marks = []
        for node in self.doc.css("#content a[href*='lbi'], #content [id^='lbi']"):
            href = attr(node, "href") if node.tag == "a" else None
            if href is not None and article_id_from_url(href) == self.post_id and entry_id_from_url(href) is not None:
                marks.append((entry_id_from_url(href), node))
                continue
            match = _ENTRY_ID.fullmatch(attr(node, "id") or "")
            if match:
                marks.append((int(match.group(1)), node))
        ids_under: dict[int, set] = {}
        for entry_id, node in marks:
            while node is not None and node.tag != "body":
                ids_under.setdefault(node.mem_id, set()).add(entry_id)
                node = node.parent
        # The post's own body (a live blog's pinned summary) and what holds it are never an entry.
        fence, node = set(), self.post_page._body_node
        while node is not None:
            fence.add(node.mem_id)
            node = node.parent
        containers: dict[int, object] = {}
        for entry_id, node in marks:
            if entry_id in containers:
                continue
            while (
                node.parent is not None
                and node.parent.tag != "body"
                and node.parent.mem_id not in fence
                and len(ids_under.get(node.parent.mem_id, ())) == 1
            ):
                node = node.parent
            if node.mem_id not in fence and (entry_id in self._updates or STAMP.search(text_of(node))):
                containers[entry_id] = node
        return containers

    def _html_entry(self, entry_id: int, container) -> LiveEntry:
        from .body import BodyWalker, sanitize_html  # the same reading as a post body

        base = self.post_page.canonical_url
        update = self._updates.get(entry_id, {})
        heading = container.css_first("h1, h2, h3, h4, h5, h6")
        body = container.css_first(".wsw")
        walker = BodyWalker(base)
        if body is not None:
            walker.walk(body)
        else:
            # No body element: the entry's own paragraphs.
            for paragraph in container.css("p"):
                walker.walk(paragraph)
        permalink = next(
            (absolute_url(attr(a, "href"), base) for a in container.css("a[href]") if entry_id_from_url(attr(a, "href") or "") == entry_id),
            None,
        ) or self._ld_url(update)
        return LiveEntry(
            site=self.site,
            post_id=self.post_id,
            entry_id=entry_id,
            published_at=to_utc_iso(update.get("datePublished")) or stamp_to_utc(text_of(container)),
            headline=clean_text(text_of(heading)) or clean_text(update.get("headline")) or None,
            body_text=join_paragraphs(walker.paragraphs),
            body_html=sanitize_html(body.inner_html, base) if body is not None else "",
            url=permalink,
            links=walker.links,
            images=walker.images,
        )

    def _ld_url(self, update: dict) -> str | None:
        for key in ("url", "@id"):
            value = update.get(key)
            if isinstance(value, str) and entry_id_from_url(value) is not None:
                return absolute_url(value, self.post_page.canonical_url)
        return None

    def _ld_entry(self, entry_id: int, update: dict) -> LiveEntry:
        body = update.get("articleBody")
        paragraphs = [clean_text(line) for line in body.splitlines()] if isinstance(body, str) else []
        return LiveEntry(
            site=self.site,
            post_id=self.post_id,
            entry_id=entry_id,
            published_at=to_utc_iso(update.get("datePublished")),
            headline=clean_text(update.get("headline")) or None,
            body_text=join_paragraphs([text for text in paragraphs if text]),
            body_html="",
            url=self._ld_url(update),
        )

    @cached_property
    def entries(self) -> list[LiveEntry]:
        """The entries of the markup, in page order, then those only the JSON-LD has."""
        entries = [self._html_entry(entry_id, container) for entry_id, container in self._containers.items()]
        for entry_id, update in self._updates.items():
            if entry_id not in self._containers:
                entries.append(self._ld_entry(entry_id, update))
        return entries

    @cached_property
    def disagreements(self) -> dict[str, int]:
        """Entries only one reading has; JSON-LD updates that name no entry (not stored)."""
        if not self._ld_update_list:
            return {}
        html_ids, ld_ids = set(self._containers), set(self._updates)
        return {
            "live_entries_only_in_json_ld": len(ld_ids - html_ids),
            "live_entries_only_in_html": len(html_ids - ld_ids),
            "live_entries_unidentified": len(self._ld_update_list) - len(self._updates),
        }

    @cached_property
    def is_live_blog(self) -> bool:
        return bool(self.entries) or bool(self.doc.ld_of_type("LiveBlogPosting"))

    # --- where the older entries are ---------------------------------------------------
    def _later_page(self, value: str | None) -> str | None:
        """``value`` as a URL of a later page of this live blog's entries, or None: a
        ``?p=N`` page of this post, or an entry permalink naming a later page
        (``lbl<N>lbi<M>`` with ``N`` past this page) of an entry this page does not show."""
        url = absolute_url(value, self.url)
        if not url or article_id_from_url(url) != self.post_id:
            return None
        entry_id = entry_id_from_url(url)
        if entry_id is None:
            return without_ajax_flag(url) if index_page_number(url) > self.page_number else None
        if (entry_page_from_url(url) or 0) > self.page_number and entry_id not in self._containers:
            return url.split("#", 1)[0]
        return None

    @cached_property
    def _live_region(self):
        """The part of the page that holds the entry list and what belongs to it (its
        "Load more"): the element around the element that holds every entry."""
        containers = list(self._containers.values())
        if not containers:
            return None
        paths = []
        for node in containers:
            path = []
            while node is not None:
                path.append(node.mem_id)
                node = node.parent
            paths.append(path[::-1])
        common = set.intersection(*(set(path) for path in paths))
        deepest = max(common, key=paths[0].index)
        node = containers[0]
        while node is not None and node.mem_id != deepest:
            node = node.parent
        # One entry: it is its own "common" element; its list is the next one up.
        steps = 2 if len(containers) == 1 else 1
        for _ in range(steps):
            if node is not None and node.parent is not None and node.parent.tag != "body":
                node = node.parent
        return node

    @cached_property
    def more_controls(self) -> list:
        """Every element that loads older entries of this live blog, in page order: a link,
        ``data-ajax-url`` or ``data-href`` to a later page of it (``?p=N`` or an entry
        permalink ``lbl<N>lbi<M>`` of a later page), or, near the entry list, a link
        without a page of its own, a button or ``role=button`` whose class or label says it
        loads more (a browser can follow it). Controls of other parts of the page (the
        share bar's "more options", "Continue reading" of related stories) are not."""
        region = self._live_region
        inside = {node.mem_id for node in region.traverse()} if region is not None else set()
        entry_nodes = {node.mem_id for container in self._containers.values() for node in container.traverse()}
        controls = []
        for node in self.doc.css("#content a, #content button, #content [data-ajax-url], #content [data-href], #content [role='button']"):
            attributes = node.attributes
            if any(self._later_page(attributes.get(name)) for name in ("href", "data-ajax-url", "data-href")):
                if node.mem_id not in entry_nodes:
                    controls.append(node)
                continue
            if node.mem_id not in inside or node.mem_id in entry_nodes:
                continue
            href = attributes.get("href")
            leads_elsewhere = node.tag == "a" and href and not href.startswith(("#", "javascript:"))
            if leads_elsewhere or attributes.get("data-ajax-url"):
                continue  # a link or part of another page: not more of this live blog
            label = attributes.get("aria-label") or attributes.get("title") or ""
            if LOAD_MORE_CLASS.search(" ".join(classes(node))) or LOAD_MORE_LABEL.search(label) or LOAD_MORE_LABEL.search(text_of(node)[:80]):
                controls.append(node)
        return controls

    @cached_property
    def has_more(self) -> bool:
        """True while the page shows a way to its older entries, in any form."""
        return bool(self.more_controls)

    @cached_property
    def next_page_url(self) -> str | None:
        """The later page of older entries a control leads to, when one says where."""
        for node in self.more_controls:
            for name in ("href", "data-ajax-url", "data-href"):
                url = self._later_page(node.attributes.get(name))
                if url:
                    return url
        return None

    @cached_property
    def needs_browser(self) -> bool:
        """True when the page shows a way to older entries that only a script follows."""
        return self.has_more and self.next_page_url is None

    @cached_property
    def furthest_page_named(self) -> int:
        """The furthest page of the entry list that an entry permalink of the page (markup
        or JSON-LD) names: a walk that ends before it has not read every page."""
        pages = [self.page_number]
        for node in self.doc.css("#content a[href*='lbl']"):
            href = attr(node, "href") or ""
            if article_id_from_url(href) == self.post_id and entry_page_from_url(href) is not None:
                pages.append(entry_page_from_url(href))
        for update in self._ld_update_list:
            for key in ("url", "@id"):
                value = update.get(key)
                if isinstance(value, str) and article_id_from_url(value) == self.post_id and entry_page_from_url(value) is not None:
                    pages.append(entry_page_from_url(value))
        return max(pages)
