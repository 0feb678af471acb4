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
from ..urls import absolute_url, article_id_from_url, entry_id_from_url, index_page_number, site_key, without_ajax_flag
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

    @cached_property
    def next_page_url(self) -> str | None:
        """The page of older entries: a link (or ``data-ajax-url``) to a later page of the same post."""
        for node in self.doc.css("#content a[href], #content [data-ajax-url]"):
            for name in ("href", "data-ajax-url"):
                url = absolute_url(attr(node, name), self.url)
                if (
                    url
                    and entry_id_from_url(url) is None
                    and article_id_from_url(url) == self.post_id
                    and index_page_number(url) > self.page_number
                ):
                    return without_ajax_flag(url)
        return None
