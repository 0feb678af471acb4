"""What a live blog page says: its timestamped entries, and where its older entries are.

We hold no real live blog page, so this reads what the reference describes and nothing
narrower: an entry is the innermost list item or article that carries one stamp
``HH:MM D.M.YYYY`` (Central European time, so CEST in summer: converted with the
Europe/Prague rules), a headline, and text; its id comes from its permalink
``/a/<slug>/<post id>/lbl<N>lbi<M>.html`` (or an ``id="lbi<M>"``). Where the page has
schema.org ``LiveBlogPosting`` JSON-LD, its ``liveBlogUpdate`` entries give the time and
headline first.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import cached_property
from zoneinfo import ZoneInfo

from ..dates import to_utc_iso
from ..items import LiveEntry
from ..text import clean_text, join_paragraphs
from ..urls import absolute_url, article_id_from_url, entry_id_from_url, index_page_number, site_key
from .document import attr, text_of

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
        return index_page_number(self.url)

    @cached_property
    def _updates(self) -> dict[int, dict]:
        """JSON-LD liveBlogUpdate entries by entry id."""
        ld = self.doc.ld
        updates = ld.get("liveBlogUpdate") if ld else None
        if isinstance(updates, dict):
            updates = [updates]
        found = {}
        for update in updates or []:
            if isinstance(update, dict):
                entry_id = entry_id_from_url(str(update.get("url") or update.get("@id") or ""))
                if entry_id is not None:
                    found[entry_id] = update
        return found

    @cached_property
    def _containers(self) -> list:
        # Entries have ids: a permalink (lbl<N>lbi<M>) or an element id lbi<M>. A page
        # with neither is no live blog, and costs one query to tell.
        if self.doc.css_first("#content a[href*='lbi'], #content [id^='lbi']") is None:
            return []
        candidates = [node for node in self.doc.css("#content li, #content article") if STAMP.search(text_of(node))]
        # The innermost ones: an entry, not a list that holds entries.
        ids = {node.mem_id for node in candidates}
        inner = []
        for node in candidates:
            if not any(child.mem_id in ids for child in node.traverse() if child.mem_id != node.mem_id):
                inner.append(node)
        return inner

    def _entry_id(self, container) -> int | None:
        for anchor in container.css("a[href]"):
            href = attr(anchor, "href") or ""
            if article_id_from_url(href) == self.post_id:
                entry_id = entry_id_from_url(href)
                if entry_id is not None:
                    return entry_id
        match = _ENTRY_ID.fullmatch(attr(container, "id") or "")
        return int(match.group(1)) if match else None

    @cached_property
    def entries(self) -> list[LiveEntry]:
        from .post import _BodyWalker, sanitize_html  # the same reading as a post body

        entries = []
        base = self.post_page.canonical_url
        for container in self._containers:
            entry_id = self._entry_id(container)
            if entry_id is None:
                continue
            update = self._updates.get(entry_id, {})
            heading = container.css_first("h1, h2, h3, h4, h5, h6")
            body = container.css_first(".wsw")
            walker = _BodyWalker(base)
            if body is not None:
                walker.walk(body)
            else:
                # No body element: the entry's own paragraphs.
                for paragraph in container.css("p"):
                    walker.walk(paragraph)
            permalink = next(
                (absolute_url(attr(a, "href"), base) for a in container.css("a[href]") if entry_id_from_url(attr(a, "href") or "") == entry_id),
                None,
            )
            entries.append(
                LiveEntry(
                    site=self.site,
                    post_id=self.post_id,
                    entry_id=entry_id,
                    published_at=to_utc_iso(update.get("datePublished")) or stamp_to_utc(text_of(container)),
                    headline=clean_text(update.get("headline") or text_of(heading)) or None,
                    body_text=join_paragraphs(walker.paragraphs),
                    body_html=sanitize_html(body.inner_html, base) if body is not None else "",
                    url=permalink,
                    links=walker.links,
                    images=walker.images,
                )
            )
        return entries

    @cached_property
    def is_live_blog(self) -> bool:
        types = self.doc.ld.get("@type") if self.doc.ld else None
        return bool(self.entries) or types == "LiveBlogPosting" or (isinstance(types, list) and "LiveBlogPosting" in types)

    @cached_property
    def next_page_url(self) -> str | None:
        """The page of older entries: "Load more" of this live blog (the same post, a later page)."""
        for anchor in self.doc.css("a.link-showMore[href], .buttons a[href]"):
            url = absolute_url(attr(anchor, "href"), self.url)
            if url and article_id_from_url(url) == self.post_id and index_page_number(url) > self.page_number:
                return url
        return None
