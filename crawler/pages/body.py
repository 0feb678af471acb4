"""A post body read once, in document order: its paragraphs (link text inline), dateline,
images with captions and credits, links and embeds; and the body's HTML sanitized.

Used for a post's body and for each live blog entry's. No recursion: a page may nest its
elements as deep as it likes.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3

from ..items import Embed, Image, Link
from ..text import clean_text
from ..urls import absolute_url, host_on_site, site_of
from .document import attr, classes, text_of

# Elements whose text is a paragraph of its own in ``body_text``.
_BLOCKS = frozenset(
    "p h1 h2 h3 h4 h5 h6 blockquote li pre div section article ul ol dl dt dd table tr td th "
    "header footer aside center address".split()
)
# Elements that are only text and formatting: no class of theirs changes how they are read.
_TEXT_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 blockquote li strong b em i u s sub sup q cite abbr code".split())
# Elements that never hold text of the post.
_SKIP = frozenset("script style noscript template button form input select textarea svg object iframe video audio".split())

_SANITIZE_TAGS = {
    "p", "br", "h2", "h3", "h4", "h5", "h6", "a", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "blockquote", "q", "cite", "ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption", "img",
    "table", "thead", "tbody", "tr", "th", "td", "caption", "hr", "pre", "code", "abbr", "span", "div",
}
_SANITIZE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
# Pangea writes some embeds (YouTube and the like) as a script that builds the player:
# ``<script>renderExternalContent("https://www.youtube.com/embed/<id>?...")</script>``.
_EXTERNAL_CONTENT = re.compile(r"""renderExternalContent\(\s*(["'])(?P<url>[^"']+)\1""")


def _image_url(img, base_url: str) -> str | None:
    """An ``img``'s URL; lazy images keep it in ``data-src`` and leave ``src`` empty."""
    attributes = img.attributes
    return absolute_url(attributes.get("src"), base_url) or absolute_url(attributes.get("data-src"), base_url)


def _embed_kind(tag: str, url: str) -> str:
    host = urlsplit(url).hostname or ""
    if host.endswith(("youtube.com", "youtu.be", "youtube-nocookie.com")):
        return "youtube"
    return tag if tag in ("video", "audio") else "iframe"


# Steps of the body walk: read a node's children, end a paragraph, read one node.
_CHILDREN, _FLUSH, _VISIT = object(), object(), object()


class BodyWalker:
    """Walks a post body once, in document order, collecting every field that lives in it."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.base_site = site_of(base_url)
        self.paragraphs: list[str] = []
        self.dateline: str | None = None
        self.images: list[Image] = []
        self.links: list[Link] = []
        self.embeds: list[Embed] = []
        self._inline: list[str] = []

    def walk(self, body) -> None:
        """Read ``body`` in document order, without recursion: a page may nest elements
        as deep as it likes."""
        stack: list = [(_CHILDREN, body)]
        while stack:
            step, node = stack.pop()
            if step is _FLUSH:
                self._flush()
            elif step is _CHILDREN:
                stack.extend((_VISIT, child) for child in reversed(list(node.iter(include_text=True))))
            else:
                self._visit(node, stack)
        self._flush()

    def _flush(self) -> None:
        if not self._inline:
            return
        # "\0" marks a <br>: two in a row end a paragraph (older posts have no <p>).
        raw = "".join(self._inline)
        self._inline = []
        if raw.isspace():
            return
        if "\0" not in raw:
            text = clean_text(raw)
            if text:
                self.paragraphs.append(text)
            return
        for chunk in raw.replace("\0 ", "\0").split("\0\0"):
            text = clean_text(chunk.replace("\0", " "))
            if text:
                self.paragraphs.append(text)

    def _visit(self, node, stack: list) -> None:
        """One node: what it adds now, and what is read after it (pushed on ``stack``)."""
        tag = node.tag
        if tag == "-text":
            self._inline.append(node.text_content)
            return
        if tag == "-comment":
            return
        if tag in _TEXT_TAGS:
            # Paragraphs, subheadings and inline formatting: the common case, no classes to read.
            if tag in _BLOCKS:
                self._flush()
                stack.append((_FLUSH, None))
            stack.append((_CHILDREN, node))
            return
        if tag == "a":
            self._link(node)
            stack.append((_CHILDREN, node))
            return
        if tag == "br":
            self._inline.append("\0")
            return
        if tag in _SKIP:
            self._embed(node, tag)
            return
        node_classes = classes(node)
        if "dateline" in node_classes and self.dateline is None and not self.paragraphs:
            self.dateline = clean_text(text_of(node)) or None
            return
        if tag == "figure" or "wsw__embed" in node_classes:
            self._flush()
            self.media_block(node)
            return
        if tag == "img":
            self._image(node, caption=None)
            return
        if tag in _BLOCKS:
            self._flush()
            stack.append((_FLUSH, None))
        stack.append((_CHILDREN, node))

    def media_block(self, node) -> None:
        """A figure or an embed block: its picture with caption and credit, or its media."""
        figures = [node] if node.tag == "figure" else node.css("figure")
        found = False
        for figure in figures:
            caption = figure.css_first(".caption") or figure.css_first("figcaption")
            credit = figure.css_first(".credit")
            img = figure.css_first("img")
            if img is not None:
                found = self._image(
                    img,
                    caption=clean_text(text_of(caption)) if caption is not None else None,
                    credit=clean_text(text_of(credit)) if credit is not None else None,
                ) or found
        for media in node.css("iframe, video, audio, script"):
            self._embed(media, media.tag)
        if not found:
            for anchor in node.css("a[href]"):
                self._link(anchor)

    def _image(self, img, caption: str | None, credit: str | None = None) -> bool:
        url = _image_url(img, self.base_url)
        if not url or any(image.url == url for image in self.images):
            return False
        self.images.append(Image(position=len(self.images), url=url, caption=caption or None, credit=credit or None))
        return True

    def _link(self, anchor) -> None:
        url = absolute_url(anchor.attributes.get("href"), self.base_url)
        if not url:
            return
        domain = site_of(url)
        self.links.append(
            Link(
                position=len(self.links),
                url=url,
                text=clean_text(text_of(anchor)),
                domain=domain,
                internal=host_on_site(domain, self.base_site),
            )
        )

    def _embed(self, node, tag: str) -> None:
        if tag == "script":
            for match in _EXTERNAL_CONTENT.finditer(node.text(deep=True) or ""):
                self.add_embed("iframe", absolute_url(match["url"].replace("\\/", "/"), self.base_url))
            return
        if tag not in ("iframe", "video", "audio"):
            return
        # A lazy player keeps its URL in data-src, with src empty or a placeholder.
        attributes = node.attributes
        for src in (attributes.get("src"), attributes.get("data-src"), attr(node.css_first("source[src]"), "src")):
            url = absolute_url(src, self.base_url)
            if url:
                self.add_embed(tag, url)
                return

    def add_embed(self, tag: str, url: str | None) -> None:
        if url and not any(embed.url == url for embed in self.embeds):
            self.embeds.append(Embed(position=len(self.embeds), kind=_embed_kind(tag, url), url=url))


def sanitize_html(html: str, base_url: str) -> str:
    """A body's HTML with nothing active left in it, and its URLs absolute."""
    return nh3.clean(
        html,
        tags=_SANITIZE_TAGS,
        attributes=_SANITIZE_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        url_relative=("rewrite_with_base", base_url),
        link_rel="noopener noreferrer",
        # A <noscript> fallback is markup written as text to a parser with scripts on:
        # kept, it would show as literal tags. The player or picture it stands for is
        # read from the element beside it.
        clean_content_tags={"script", "style", "noscript"},
        strip_comments=True,
    ).strip()


