"""What a Pangea post page says: one small property per field over ``(url, html)``.

Structured data first (JSON-LD, ``og:`` meta), page markup second. No clock, no network.
"""

from __future__ import annotations

from functools import cached_property

from ..dates import date_signal, reconcile_dates, visible_date_signal
from ..items import EXTRACTED_FIELDS, Embed, Image, Link, Post
from ..analysis import primary_language
from ..text import clean_text, join_paragraphs, split_keywords, word_count
from ..urls import absolute_url, article_id_from_url, canonical_post_url, site_key, zone_id_from_url
from .body import BodyWalker, sanitize_html
from .document import Document, attr, classes, text_of

# Meta tags that carry a post's dates, where a page has them.
_PUBLISHED_META = ("article:published_time", "og:published_time", "pubdate", "publishdate", "dc.date.issued", "dcterms.created")
_MODIFIED_META = ("article:modified_time", "og:updated_time", "dc.date.modified", "dcterms.modified")

# A JSON-LD body this much longer than the extracted one means the extraction missed text.
LD_BODY_MIN_EXTRA_WORDS = 50
LD_BODY_RATIO = 1.5


def without_page_chrome(html: str | bytes) -> str | bytes:
    """The page less its header, navigation and footer, when Pangea's markers are there.

    Everything a post page says lives in ``<head>`` and in ``<div id="content">``; the
    menus before it and the ``<footer role="contentinfo">`` after it are a third to a half
    of a page, and parsing them is most of the cost of reading a post. Without both
    markers, the page is read whole.
    """
    markers = (b'<div id="content">', b'<footer role="contentinfo"', b"<body") if isinstance(html, bytes) else (
        '<div id="content">', '<footer role="contentinfo"', "<body"
    )
    start = html.find(markers[0])
    body = html.find(markers[2])
    if start < 0 or body < 0 or body > start:
        return html
    body_end = html.find(b">" if isinstance(html, bytes) else ">", body) + 1
    end = html.find(markers[1], start)
    return html[:body_end] + html[start : end if end > 0 else len(html)]


class PostPage:
    """A post page of a Pangea site (``/a/<slug>/<id>.html``)."""

    def __init__(self, url: str, html: str | bytes):
        self.url = url
        self.doc = Document(without_page_chrome(html))

    # --- where the post lives -------------------------------------------------------
    @cached_property
    def claimed_urls(self) -> list[tuple[str, str]]:
        """The post URLs the page gives for itself: ``(source, url)`` for its canonical
        link, ``og:url`` and JSON-LD ``url`` / ``mainEntityOfPage``, in the ``/a/`` form."""
        claims = []
        ld = self.doc.ld
        for source, value in (
            ("canonical", self.doc.link("canonical")),
            ("og:url", self.doc.meta.get("og:url")),
            ("json-ld url", ld.get("url")),
            ("json-ld mainEntityOfPage", ld.get("mainEntityOfPage")),
        ):
            url = canonical_post_url(absolute_url(value, self.url) or "") if isinstance(value, str) else None
            if url:
                claims.append((source, url))
        return claims

    def _is_this_post(self, url: str) -> bool:
        own_id = article_id_from_url(self.url)
        return own_id is None or (article_id_from_url(url) == own_id and site_key(url) == site_key(self.url))

    @cached_property
    def mismatched_claims(self) -> list[tuple[str, str]]:
        """Claims that name another post, or a post of another site. The page is the post
        the crawler asked for, whatever it says: a page never overwrites another post."""
        return [(source, url) for source, url in self.claimed_urls if not self._is_this_post(url)]

    @cached_property
    def canonical_url(self) -> str:
        """The page's own canonical URL when it names this post; else the fetched URL's ``/a/`` form."""
        for _, url in self.claimed_urls:
            if self._is_this_post(url):
                return url
        return canonical_post_url(self.url) or self.url

    @cached_property
    def post_id(self) -> int | None:
        return article_id_from_url(self.url) or article_id_from_url(self.canonical_url)

    # --- fields ---------------------------------------------------------------------
    @cached_property
    def title(self) -> str | None:
        value = self.doc.ld_value("headline") or self.doc.meta.get("og:title") or text_of(self.doc.css_first("h1"))
        return clean_text(value) or None

    @cached_property
    def description(self) -> str | None:
        value = self.doc.meta.get("og:description") or self.doc.meta.get("description") or self.doc.ld_value("description")
        return clean_text(value) or None

    @cached_property
    def authors(self) -> list[str]:
        authors = self.doc.ld_value("author")
        if isinstance(authors, dict):
            authors = [authors]
        names = [a.get("name") if isinstance(a, dict) else a for a in authors or []]
        names = [clean_text(n) for n in names if isinstance(n, str)]
        if not any(names):
            names = [clean_text(text_of(a)) for a in self.doc.css(".publishing-details a[href*='/author/']")]
        if not any(names):
            names = [clean_text(self.doc.meta.get("author"))]
        return list(dict.fromkeys(n for n in names if n))

    # --- dates: every signal read, the most precise one that agrees kept ------------------
    def _ld_date_signals(self, key: str) -> list:
        """``key`` of every JSON-LD object that has it: the article's first, then the others'."""
        objects = self.doc.ld_articles + [obj for obj in self.doc.ld_objects if obj not in self.doc.ld_articles]
        return [date_signal("json-ld", obj.get(key)) for obj in objects if isinstance(obj.get(key), str)]

    def _meta_date_signals(self, names: tuple[str, ...]) -> list:
        meta = self.doc.meta
        return [date_signal("meta", meta[name]) for name in names if meta.get(name)]

    @cached_property
    def _published(self) -> tuple[str | None, int]:
        time_signal = date_signal("time", attr(self._time, "datetime"))
        zone = time_signal.moment.tzinfo if time_signal is not None else None
        return reconcile_dates([
            *self._ld_date_signals("datePublished"),
            time_signal,
            *self._meta_date_signals(_PUBLISHED_META),
            visible_date_signal(text_of(self._time), zone) if self._time is not None else None,
        ])

    @cached_property
    def _updated(self) -> tuple[str | None, int]:
        return reconcile_dates([*self._ld_date_signals("dateModified"), *self._meta_date_signals(_MODIFIED_META)])

    @cached_property
    def date_disagreements(self) -> int:
        """Date signals of the page that disagree with the date kept (published and updated)."""
        return self._published[1] + self._updated[1]

    @cached_property
    def published_at(self) -> str | None:
        return self._published[0]

    @cached_property
    def _time(self):
        return self.doc.css_first(".publishing-details time[datetime], .published time[datetime]") or self.doc.css_first(
            "time[datetime]"
        )

    @cached_property
    def updated_at(self) -> str | None:
        return self._updated[0] or self.published_at

    @cached_property
    def tags(self) -> list[str]:
        """The post's topics: JSON-LD ``keywords`` and ``news_keywords``, together.

        ``<meta name="keywords">`` only when neither is there: on some Pangea pages (a
        polygraph.info fact-check) it holds the site's name, not the post's topics.
        """
        topics = split_keywords(self.doc.ld_value("keywords")) + split_keywords(self.doc.meta.get("news_keywords"))
        return list(dict.fromkeys(topics)) or split_keywords(self.doc.meta.get("keywords"))

    @cached_property
    def section(self) -> str | None:
        section = self.doc.ld_value("articleSection")
        if isinstance(section, list):
            section = section[0] if section else None
        if not section:
            section = text_of(self._category_link)
        return clean_text(section) or None

    @cached_property
    def zone(self) -> int | None:
        return zone_id_from_url(absolute_url(attr(self._category_link, "href"), self.url) or "")

    @cached_property
    def _category_link(self):
        return self.doc.css_first(".category a[href]")

    @cached_property
    def _language_signals(self) -> tuple[str | None, str | None]:
        ld = self.doc.ld_value("inLanguage")
        return (clean_text(ld) or None) if isinstance(ld, str) else None, clean_text(self.doc.lang) or None

    @cached_property
    def language(self) -> str | None:
        """The JSON-LD's ``inLanguage``, else the page's ``lang``."""
        ld, lang = self._language_signals
        return ld or lang

    @cached_property
    def language_disagrees(self) -> bool:
        """The JSON-LD and the page's ``lang`` name two languages (``en-US`` and ``en`` agree)."""
        ld, lang = self._language_signals
        return bool(ld and lang and primary_language(ld) != primary_language(lang))

    @cached_property
    def _body(self) -> BodyWalker:
        walker = BodyWalker(self.canonical_url)
        lead = self.doc.css_first(".cover-media figure")
        if lead is not None:
            walker.media_block(lead)
            for image in walker.images:
                image.is_lead = True
        if self._body_node is not None:
            walker.walk(self._body_node)
        return walker

    @cached_property
    def _body_node(self):
        body = self.doc.css_first("#article-content .wsw")
        if body is not None:
            return body
        # Without the article's own container, the first text block that is not a box
        # beside the post ("About This Blog": a box heading, then its text).
        for candidate in self.doc.css(".wsw"):
            parent = candidate.parent
            if parent is None or not any("section-head" in classes(child) for child in parent.iter()):
                return candidate
        return None

    @cached_property
    def dateline(self) -> str | None:
        return self._body.dateline

    @cached_property
    def markup_body_text(self) -> str:
        """The body as the page's markup has it: paragraphs and subheadings, link text inline."""
        return join_paragraphs(self._body.paragraphs)

    @cached_property
    def body_text(self) -> str:
        """The markup's body; the JSON-LD ``articleBody`` instead when that is much longer
        (the markup hid text from us): of two readings, the one that lost less."""
        return self.ld_body_text if self.body_from_ld else self.markup_body_text

    @cached_property
    def body_html(self) -> str:
        if self._body_node is None:
            return ""
        return sanitize_html(self._body_node.inner_html, self.canonical_url)

    @cached_property
    def images(self) -> list[Image]:
        return self._body.images

    @cached_property
    def links(self) -> list[Link]:
        return self._body.links

    @cached_property
    def embeds(self) -> list[Embed]:
        """Embeds of the body, then the page's own players (an audio or video programme
        page has no text body, only a player) and the media its JSON-LD names."""
        walker = self._body
        for player in self._players:
            walker._embed(player, player.tag)
        for obj in self.doc.ld_of_type("AudioObject", "VideoObject"):
            kind = "audio" if "AudioObject" in str(obj.get("@type")) else "video"
            for key in ("contentUrl", "embedUrl"):
                value = obj.get(key)
                if isinstance(value, str):
                    walker.add_embed(kind, absolute_url(value, self.canonical_url))
                    break
        return walker.embeds

    @cached_property
    def _players(self) -> list:
        body = self._body_node
        inside_body = {node.mem_id for node in body.css("audio, video")} if body is not None else set()
        return [node for node in self.doc.css("#content audio, #content video") if node.mem_id not in inside_body]

    @cached_property
    def is_media_page(self) -> bool:
        """A programme page: a player and no text body. Stored as it is; a browser would add nothing."""
        return not self.markup_body_text and bool(self._players or self.doc.ld_of_type("AudioObject", "VideoObject"))

    @cached_property
    def ld_body_text(self) -> str:
        value = self.doc.ld_value("articleBody")
        if not isinstance(value, str):
            return ""
        return join_paragraphs([text for text in (clean_text(line) for line in value.splitlines()) if text])

    @cached_property
    def body_from_ld(self) -> bool:
        """True when the JSON-LD body is much longer than a (non-empty) body read from the
        markup. An empty markup body is a page for the browser, not for this."""
        words = word_count(self.markup_body_text)
        if not words:
            return False
        ld_words = word_count(self.ld_body_text)
        return ld_words > max(words * LD_BODY_RATIO, words + LD_BODY_MIN_EXTRA_WORDS)

    # --- the item ---------------------------------------------------------------------
    # Fields of ``Post`` that this page object knows by another name.
    _FIELD_ATTRIBUTES = {"id": "post_id", "url": "canonical_url"}

    @cached_property
    def site(self) -> str:
        return site_key(self.canonical_url)

    @cached_property
    def word_count(self) -> int:
        return word_count(self.body_text)

    def to_item(self) -> Post | None:
        """The post, every extracted field of ``Post`` read from this page; None when the
        page is not a post (no id)."""
        if self.post_id is None:
            return None
        values = {name: getattr(self, self._FIELD_ATTRIBUTES.get(name, name)) for name in EXTRACTED_FIELDS}
        return Post(**values, fetched_url=self.url)
