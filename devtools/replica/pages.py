"""The replica's HTML, XML and text, after the markup of the real Pangea page in
``tests/fixtures/reference/pangea-article-voa.html`` (head, header, "Breaking News",
category link, publishing details, cover figure, share box, ``#article-content .wsw``
body with ``.wsw__embed`` figures, ``media-block`` lists). Zone pages are a
reconstruction from the same pieces: Pangea lists stories as ``media-block`` items and
pages them with a "Load more" link (``p.buttons a.link-showMore``).
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timezone
from html import escape
from zoneinfo import ZoneInfo

from . import dresses
from .hostile import deep_nest, escape_script
from .languages import PAGE_LANGUAGES
from .content import BLOG_ABOUT, BLOG_TAGLINE, BLOG_TITLE, BLOG_ZONE, LIVE_BLOG_NOTE, SITE_NAME, Block, PostSpec, Site

PRAGUE = ZoneInfo("Europe/Prague")
FEED_PATH = f"/api/z{BLOG_ZONE}/rss.xml"
SISTER_SITE_POST = "https://www.currenttime.tv/a/sister-site-story/31726786.html"

# The JS replica's index: the list comes from the "Load more" endpoint, page by page.
INDEX_SCRIPT = """<script>
(function () {
  var list = document.getElementById("ordinaryItems");
  var button = document.querySelector(".link-showMore");
  function load() {
    var url = button.getAttribute("data-ajax-url");
    button.setAttribute("data-loading", "1");
    fetch(url).then(function (r) { return r.json(); }).then(function (data) {
      list.insertAdjacentHTML("beforeend", data.items);
      button.removeAttribute("data-loading");
      if (data.next) { button.setAttribute("data-ajax-url", data.next); }
      else { button.parentNode.parentNode.removeChild(button.parentNode); }
    });
  }
  button.addEventListener("click", function (event) { event.preventDefault(); load(); });
  load();
})();
</script>
"""
SITEMAP_CHUNK = 500


def _ld_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _q(value: str) -> str:
    return escape(value, quote=True)


def live_stamp(moment: datetime) -> str:
    """How the live blog stamps an entry: ``16:52 29.2.2016``, in Prague time (CET or CEST)."""
    local = moment.astimezone(PRAGUE)
    return f"{local:%H:%M} {local.day}.{local.month}.{local.year}"


def _figure(image) -> str:
    return f"""<div class="wsw__embed">
<figure class="media-image js-media-expand">
<div class="img-wrap">
<div class="thumb">
<img alt="{_q(image.caption)}" src="{_q(image.url)}" />
</div>
<span class="ico ico-fullscreen ico--media-expand ico--rounded" />
</div>
<figcaption>
<span class="caption">{escape(image.caption)}</span>
</figcaption>
</figure>
</div>"""


def audio_url(post: PostSpec) -> str:
    """Where a programme post's recording is (on the site's media host)."""
    return f"https://audio.rferl.org/programmes/{post.id}.mp3"


def _head(title: str, description: str, canonical: str, extra: str = "", feed: tuple[str, str] | None = None,
          language: str = "en") -> str:
    """The page's head; ``feed`` is the (title, path) of the blog's RSS feed it links
    (by default the first blog's, as post pages of the blog link it); ``language`` the
    page's (its ``lang`` and ``dir``)."""
    feed_title, feed_path = feed or (BLOG_TITLE, FEED_PATH)
    lang, direction, _ = PAGE_LANGUAGES[language]
    return f"""<!DOCTYPE html>
<html lang="{lang}" dir="{direction}" class="no-js">
<head>
<link href="/Content/responsive/RFE/en-US/RFE-en-US.css?&amp;av=0.1.0.0&amp;cb=276" rel="stylesheet"/>
<script type="text/javascript">
document.documentElement.className = "js";
var appBaseUrl = "/";
</script>
<meta charset="utf-8" />
<title>{escape(title)}</title>
<meta name="description" content="{_q(description)}" />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<link href="{_q(canonical)}" rel="canonical" />
<meta content="{_q(title)}" property="og:title" />
<meta content="{_q(description)}" property="og:description" />
<meta content="{_q(canonical)}" property="og:url" />
<meta content="{SITE_NAME}" property="og:site_name" />
{extra}<link rel="alternate" type="application/rss+xml" title="{feed_title} [RSS]" href="{feed_path}" />
<link rel="sitemap" type="application/rss+xml" href="/sitemap.xml" />
</head>
"""


def _chrome_top(breaking: PostSpec | None) -> str:
    breaking_item = ""
    if breaking is not None:
        breaking_item = f'<li class="c-hlights__item"><a href="{breaking.path}" title="{_q(breaking.title)}">{escape(breaking.title)}</a></li>'
    return f"""<body class=" nav-no-loaded can-ff cc_theme pg-article print-lay-article js-category-to-nav nojs-images ">
<!--*** Accessibility links - For ScreenReaders only ***-->
<section>
<div class="sr-only">
<h2>Accessibility links</h2>
<ul>
<li><a href="#content" data-disable-smooth-scroll="1">Skip to main content</a></li>
<li><a href="#navigation" data-disable-smooth-scroll="1">Skip to main Navigation</a></li>
<li><a href="#txtHeaderSearch" data-disable-smooth-scroll="1">Skip to Search</a></li>
</ul>
</div>
</section>
<div dir="ltr">
<div id="page">
<div class="hdr-20 hdr-20--big">
<div class="hdr-20__inner">
<div class="menu-pnl pos-fix trans-target" data-trans-id="menu">
<nav class="main-nav menu-pnl__item menu-pnl__item--first">
<ul class="main-nav__list accordeon">
<li class="main-nav__item"><a class="main-nav__item-name main-nav__item-name--link" href="/" title="Home">Home</a></li>
<li class="main-nav__item"><a class="main-nav__item-name main-nav__item-name--link" href="/z/1740" title="Europe">Europe</a></li>
<li class="main-nav__item"><a class="main-nav__item-name main-nav__item-name--link" href="/z/1755" title="Central Asia">Central Asia</a></li>
<li class="main-nav__item"><a class="main-nav__item-name main-nav__item-name--link" href="/z/{BLOG_ZONE}" title="{BLOG_TITLE}">{BLOG_TITLE}</a></li>
</ul>
</nav>
</div>
<a href="/" class="main-logo-link"><img src="/Content/responsive/RFE/en-US/img/logo.svg" class="main-logo main-logo--big" alt="site logo"></a>
</div>
</div>
<div class="c-hlights c-hlights--breaking" data-hlight-display="mobile,desktop">
<div class="c-hlights__wrap container p-0">
<span class="c-hlights__label"><span class="">Breaking News</span></span>
<ul class="c-hlights__items switcher-target">
{breaking_item}
</ul>
</div>
</div>
"""


_CHROME_BOTTOM = """<footer role="contentinfo">
<div id="foot" class="foot">
<div class="container">
<ul class="subitems">
<li class="subitem"><a class="handler" href="/z/1740" title="Europe">Europe</a></li>
<li class="subitem"><a class="handler" href="/z/4711" title="Middle East">Middle East</a></li>
<li class="subitem"><a class="handler" href="/rssfeeds" title="RSS">RSS</a></li>
</ul>
</div>
</div>
</footer>
</div>
</div>
</body>
</html>
"""


def _media_block(post: PostSpec, href: str, size: int = 3) -> str:
    thumb = ""
    if post.lead_image is not None:
        small = post.lead_image.url.replace("_w250_r1_s", "_w100_r1")
        thumb = f"""<a href="{_q(href)}" class="img-wrap img-wrap--t-spac img-wrap--size-{size} img-wrap--float" title="{_q(post.title)}">
<div class="thumb thumb16_9">
<noscript class="nojs-img">
<img src="{_q(small)}" alt="{_q(post.lead_image.caption)}" />
</noscript>
<img data-src="{_q(small)}" src="" alt="{_q(post.lead_image.caption)}" class=""/>
</div>
</a>
"""
    local = post.published.astimezone(PRAGUE)
    return f"""<div class="media-block ">
{thumb}<div class="media-block__content media-block__content--h">
<a href="{_q(href)}">
<h4 class="media-block__title media-block__title--size-{size}" title="{_q(post.title)}">
{escape(post.title)}
</h4>
</a>
<span class="date date--mb date--size-{size}" >{local:%B %d, %Y}</span>
</div>
</div>"""


def _story_list(title: str, posts: list[PostSpec], heading_href: str | None = None) -> str:
    items = "\n".join(
        f'<li class="col-xs-12 col-sm-6 col-md-12 col-lg-12 mb-grid">\n{_media_block(p, p.path, 4)}\n</li>' for p in posts
    )
    head = f'<a href="{heading_href}">{escape(title)}</a>' if heading_href else escape(title)
    return f"""<div class="media-block-wrap">
<h2 class="section-head">{head}</h2>
<div class="row">
<ul>
{items}
</ul>
</div>
</div>
"""


def _about_box() -> str:
    return f"""<div class="media-block-wrap blog-about">
<h2 class="section-head">About This Blog</h2>
<div class="wsw"><p>{escape(BLOG_ABOUT)}</p></div>
</div>
"""


class Renderer:
    """Renders the pages of one ``Site`` for one base URL (``http://127.0.0.1:PORT``)."""

    def __init__(self, site: Site, base_url: str):
        self.site = site
        self.base_url = base_url.rstrip("/")
        self.dress = dresses.dress_named(site.dress)

    def absolute(self, path: str) -> str:
        return self.base_url + path

    # --- index ------------------------------------------------------------------------
    def _index_href(self, post: PostSpec) -> str:
        """The link to a post as the index gives it: several URL forms, all the same post."""
        style = (post.id * 7 + self.site.seed) % 11
        if style == 0:
            return self.absolute(post.path)
        if style == 1:
            return f"/a/{post.id}.html"
        if style == 2:
            return f"/content/{post.slug}/{post.id}.html"
        if style == 3:
            return f"/amp/{post.slug}/{post.id}.html"
        if style == 4:
            return f"{post.path}?utm_source=blog&utm_medium=index"
        if style == 5:
            return f"{post.path}#comments"
        if style == 6:
            return self.absolute(f"/a/{post.id}.html?ltflags=mailer")
        return post.path

    def index_entries(self, page: int, zone: int = BLOG_ZONE) -> list[tuple[str, str]]:
        """The stories of an index page: (media block, the URL it links) each."""
        posts = [p for p in self.site.blog_index_page(zone, page) if p.id not in self.site.hidden_ids]
        found = [(_media_block(p, self._index_href(p)), self._index_href(p)) for p in posts]
        for post in posts:
            if post.live is not None:
                # The index also links the live blog's newest entries by their permalinks.
                for entry in post.live.entries[:2]:
                    spec = PostSpec(post.id, post.slug, entry.headline, "", entry.published, entry.published,
                                    post.authors, [], post.zone, post.section, None, None)
                    href = self.entry_url(post, entry, 0)[len(self.base_url):]
                    found.append((_media_block(spec, href), href))
        if page == 1 and posts:
            # A story of a sister site in the blog's list: a post URL on another host.
            found.append((_media_block(posts[-1], SISTER_SITE_POST), SISTER_SITE_POST))
        if page == 0 and posts and self.site.hostility is not None:
            planted = self.site.hostility.canary_post(900200)
            found.append((_media_block(posts[-1], planted), planted))
        return found

    def index_items(self, page: int, zone: int = BLOG_ZONE) -> str:
        return "\n".join(dresses.index_item(self.dress, block) for block, _ in self.index_entries(page, zone))

    def index_fragment(self, page: int) -> str:
        """What "Load more" fetches by script: the next items and where the next ones are."""
        nxt = f"/z/{BLOG_ZONE}?p={page + 1}&ajax=1" if page + 1 < self.site.blog_page_count(BLOG_ZONE) else None
        return json.dumps({"items": self.index_items(page), "next": nxt})

    def index(self, page: int, zone: int = BLOG_ZONE) -> str:
        title, tagline = self.site.blog_titles[zone]
        canonical = self.absolute(f"/z/{zone}" + (f"?p={page}" if page else ""))
        load_more = ""
        script = ""
        if self.site.js_index:
            # The list is built by a script, and "Load more" is a link with nowhere to go
            # but its data-ajax-url: only a browser can follow it.
            items = ""
            load_more = f"""<p class="buttons btn--load-more">
<a class="btn link-showMore btn__text" data-ajax="true" data-ajax-url="/z/{BLOG_ZONE}?p={page}&amp;ajax=1" title="Load more">Load more</a>
</p>"""
            script = INDEX_SCRIPT
        else:
            entries = self.index_entries(page, zone)
            items = [dresses.index_item(self.dress, block) for block, _ in entries]
            if page + 1 < self.site.blog_page_count(zone):
                load_more = dresses.load_more(self.dress, f"/z/{zone}?p={page + 1}", stuck=self.site.stuck_load_more)
            if self.dress.index_ld:
                urls = [self.absolute(href) if href.startswith("/") else href for _, href in entries]
                ld = json.dumps(dresses.item_list_ld(urls)).replace("</", "<\\/")
                script = f'<script type="application/ld+json">{ld}</script>\n'
        main_list = (
            f"""<div class="media-block-wrap" id="wrowblock-{zone}">
<div class="row">
<ul id="ordinaryItems">
</ul>
</div>
</div>"""
            if self.site.js_index
            else dresses.index_list(self.dress, items, zone)
        )
        others = self.site.others
        popular = others[page % len(others):][:5] or others[:5]
        return (
            _head(f"{title} | {SITE_NAME}", tagline, canonical, feed=(title, f"/api/z{zone}/rss.xml"), language=self.site.lang)
            + _chrome_top(others[0] if others else None)
            + f"""<div id="content">
<div class="container">
<div class="row">
<div class="col-xs-12 col-md-8 pull-left">
<div class="blog-header">
<h1 class="section-head pg-title">{escape(title)}</h1>
<p class="blog-header__tagline">{escape(tagline)}</p>
</div>
{main_list}
{load_more}
</div>
<div class="col-xs-12 col-md-4 pull-left design-top-offset">
{_about_box()}{_story_list("Most popular", popular)}</div>
</div>
</div>
</div>
{script}"""
            + _CHROME_BOTTOM
        )

    # --- post -------------------------------------------------------------------------
    def _block(self, block: Block) -> str:
        if block.kind == "p":
            return f"<p>{block.html}</p>"
        if block.kind == "raw":
            return block.html
        if block.kind == "h2":
            return f"<h2>{escape(block.html)}</h2>"
        if block.kind == "image":
            return _figure(block.image)
        if block.kind == "video":
            return dresses.video_embed(self.dress, block.video_url)
        raise ValueError(block.kind)

    def post_ld(self, post: PostSpec) -> dict:
        canonical = self.absolute(post.path)
        authors = [
            {"@type": "Person", "url": self.absolute(f"/author/{slug}/{key}"), "description": "", "name": name}
            for name, slug, key in post.authors
        ]
        data = {
            "articleSection": post.section,
            "headline": post.title,
            "inLanguage": PAGE_LANGUAGES[post.language][2],
            "author": authors[0] if len(authors) == 1 else authors,
            "datePublished": _ld_date(post.published),
            "dateModified": _ld_date(post.modified),
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": canonical,
            "url": canonical,
            "description": post.description,
            "name": post.title,
        }
        if post.tags:
            data["keywords"] = ", ".join(post.tags)
        if "authors" in self.site.markup_drops:
            del data["author"]
        if post.lead_image is not None:
            data["image"] = {"width": 1080, "height": 608, "@type": "ImageObject", "url": post.lead_image.url}
        return data

    def entry_url(self, post: PostSpec, entry, page: int) -> str:
        return self.absolute(f"/a/{post.slug}/{post.id}/lbl{page}lbi{entry.id}.html")

    def live_items(self, post: PostSpec, page: int) -> list[str]:
        """The entries of one page of a live blog, newest first."""
        items = []
        for entry in post.live.page(page):
            paragraphs = "\n".join(f"<p>{html}</p>" for html in entry.paragraphs)
            image = _figure(entry.image) + "\n" if entry.image else ""
            inner = f"""<div class="liveblog__item-meta"><a class="liveblog__item-link" href="{_q(self.entry_url(post, entry, page))}"><span class="liveblog__item-time">{live_stamp(entry.published)}</span></a></div>
<h2 class="liveblog__item-title">{escape(entry.headline)}</h2>
<div class="wsw liveblog__item-content">
{image}{paragraphs}
</div>"""
            items.append(dresses.live_entry(self.dress, entry.id, inner))
        return items

    @property
    def live_more_form(self) -> str:
        return self.site.live_more or self.dress.live_more

    def live_fragment(self, post: PostSpec, page: int) -> str:
        """What a script "Load more" of a live blog fetches: the page's entries and where the next are."""
        following = page + 1 if page + 1 < post.live.page_count else None
        if self.site.broken_live_more:
            # A dead control: its click brings nothing and it stays.
            return json.dumps({"items": "", "next": f"{post.path}?p={page}&ajax=1"})
        nxt = f"{post.path}?p={following}&ajax=1" if following is not None else None
        return json.dumps({"items": "\n".join(self.live_items(post, page)), "next": nxt})

    def live_section(self, post: PostSpec, page: int) -> str:
        """A page of a live blog's entries, newest first, and the way to older ones."""
        live = post.live
        items = self.live_items(post, page)
        more = ""
        if page + 1 < live.page_count:
            older = page + 1
            first = live.page(older)[0]
            permalink = _q(self.entry_url(post, first, older))
            next_path = f"{post.path}?p={older}"
            if self.site.broken_live_more:
                # A control that leads to no page of entries (a page past the end, an entry
                # that is not there).
                next_path = f"{post.path}?p={live.page_count + 5}"
                permalink = _q(self.absolute(f"/a/{post.slug}/{post.id}/lbl{older}lbi1.html"))
            more = dresses.live_more(self.live_more_form, next_path, permalink)
        return f"""<div class="liveblog">
{dresses.live_list(self.dress, items)}
{more}
</div>
"""

    def live_ld(self, post: PostSpec, page: int) -> dict:
        data = self.post_ld(post)
        data["@type"] = "LiveBlogPosting"
        data["coverageStartTime"] = _ld_date(post.published)
        data["liveBlogUpdate"] = dresses.live_updates(self.dress, [
            {
                "@type": "BlogPosting",
                "headline": entry.headline,
                "datePublished": entry.published.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "url": self.entry_url(post, entry, page),
                "articleBody": " ".join(re.sub(r"<[^>]+>", "", html) for html in entry.paragraphs),
            }
            for entry in post.live.page(page)
        ])
        return data

    def post(self, post: PostSpec, page: int = 0) -> str:
        canonical = self.absolute(post.path)
        live_json_ld = post.live is not None and (post.live.json_ld or self.dress.live_ld != "none")
        ld_data = dresses.post_ld(self.dress, self.live_ld(post, page) if live_json_ld else self.post_ld(post))
        hostility = self.site.hostility
        hostile_kind = hostility.kind_of(post.id) if hostility is not None else None
        if hostile_kind in ("canonical_other_post", "canonical_other_site"):
            # The page says it is another post (of this site, or of another host).
            canonical = self.absolute(self.site.posts[0].path) if hostile_kind == "canonical_other_post" else "http://victim.example/a/planted/555.html"
            ld_data = dict(ld_data, url=canonical, mainEntityOfPage=canonical)
        ld = json.dumps(ld_data).replace("</", "<\\/").replace("'", "\\u0027")
        extra = f'<link rel="amphtml" href="{_q(self.absolute(f"/amp/{post.slug}/{post.id}.html"))}" />\n'
        if post.tags:
            extra += f'<meta name="keywords" content="{_q(", ".join(post.tags))}" />\n'
        if post.lead_image is not None:
            extra += f'<meta content="{_q(post.lead_image.url)}" property="og:image" />\n'
        extra += f'<script type="application/ld+json">{ld}</script>\n'
        local = post.published.astimezone(PRAGUE)
        bylines = "" if "authors" in self.site.markup_drops else "\n".join(
            f'<li class="links__item">\nBy <a class="links__item-link" href="/author/{slug}/{key}" title="{_q(name)}">{escape(name)}</a>\n</li>'
            for name, slug, key in post.authors
        )
        cover = ""
        if post.lead_image is not None:
            cover = f"""<div class="col-multimedia col-xs-12 col-md-10 pull-right"> <div class="cover-media">
<figure class="media-image js-media-expand">
<div class="img-wrap">
<div class="thumb thumb16_9">
<img src="{_q(post.lead_image.url)}" alt="{_q(post.lead_image.caption)}" />
</div>
<span class="ico ico-fullscreen ico--media-expand ico--rounded"></span>
</div>
<figcaption>
<span class="caption" data-cms-inline-wrap="caption" data-cms-inline-text="">{escape(post.lead_image.caption)}</span>
</figcaption>
</figure>
</div>
</div>"""
        dateline = f'<span class="dateline">{escape(post.dateline)}&nbsp;</span>\n' if post.dateline else ""
        body = "\n".join(self._block(b) for b in post.blocks)
        live_section = ""
        if post.live is not None:
            summary = [f"<p><strong>{escape(post.live.summary_title)}</strong></p>"]
            summary += [f"<p>{escape(item)}</p>" for item in post.live.summary_items]
            summary.append(f"<p>{escape(LIVE_BLOG_NOTE)}</p>")
            body = "\n".join(summary)
            live_section = self.live_section(post, page)
        body_script = ""
        if post.id in self.site.js_post_ids:
            # The body arrives by script: without JavaScript the page's .wsw is empty.
            content = json.dumps(dateline + body).replace("</", "<\\/")
            body_script = f'<script>document.querySelector("#article-content .wsw").innerHTML = {content};</script>\n'
            dateline, body = "", ""
        article = f"""<div id="article-content" class="content-floated-wrap fb-quotable">
<div class="wsw">
{dateline}{body}
</div>
{body_script}{live_section}</div>"""
        if hostile_kind == "script_escape":
            article += escape_script(hostility.canary)
        if hostile_kind == "deep_nest":
            article = article.replace("\n</div>\n", "\n" + deep_nest() + "\n</div>\n", 1)
        if post.id in self.site.audio_post_ids:
            # A programme page: a player and no text body.
            article = f"""<div class="c-mmp c-mmp--enabled c-mmp--audio">
<div class="c-mmp__player"><audio src="{_q(audio_url(post))}" data-type="audio/mpeg" preload="none"></audio></div>
<a class="c-mmp__download" href="{_q(audio_url(post))}">Download</a>
</div>"""
        share_url = escape(canonical, quote=True)
        same_blog = [p for p in self.site.posts if p.id != post.id][:5]
        related = [p for p in self.site.others if p.zone != post.zone][:4]
        return (
            _head(post.title, post.description, canonical, extra, language=post.language)
            + _chrome_top(self.site.others[-1] if self.site.others else None)
            + f"""<div id="content">
<div class="container">
<div class="hdr-container">
<div class="row">
<div class="col-category col-xs-12 col-md-2 pull-left"> <div class="category js-category">
<a class="" href="/z/{post.zone}">{escape(post.section)}</a> </div>
</div><div class="col-title col-xs-12 col-md-10 pull-right"> <h1 class="title pg-title" >
{escape(post.title)}
</h1>
</div><div class="col-publishing-details col-xs-12 col-sm-12 col-md-2 pull-left"> <div class="publishing-details ">
<div class="published">
<span class="date" >
<time pubdate="pubdate" datetime="{local.isoformat()}">
{local:%B %d, %Y %H:%M}
</time>
</span>
</div>
<div class="links">
<ul class="links__list links__list--column">
{bylines}
</ul>
</div>
</div>
</div>{cover}<div class="col-xs-12 col-md-2 pull-left article-share pos-rel"> <div class="share--box">
<aside class="share flex-column js-share--apply-sticky js-share--expandable js-share--horizontal">
<span class="label label--share">Share</span>
<ul class="share__list">
<li class="share__item"><a href="https://facebook.com/sharer.php?u={share_url}" title="Share on Facebook" target="_blank" class="btn btn--rounded btn-facebook js-social-btn"><span class="ico ico--rounded ico-facebook ico--l"></span></a></li>
<li class="share__item"><a href="https://twitter.com/share?url={share_url}" title="Share on Twitter" target="_blank" class="btn btn--rounded btn-twitter js-social-btn"><span class="ico ico--rounded ico-twitter ico--l"></span></a></li>
<li class="share__item"><a href="mailto:?body={share_url}" title="Email to a Friend" class="btn btn--rounded btn-email "><span class="ico ico--rounded ico-email ico--l"></span></a></li>
</ul>
</aside>
</div>
<div class="links">
<p class="link-print visible-md visible-lg buttons p-0">
<button class="btn btn--link btn-print p-t-0" onclick="return false" title="(CTRL+P)">
<span class="ico ico-print"></span>
<span class="btn__text">Print</span>
</button>
</p>
</div>
</div>
</div>
</div>
</div>
<div class="body-container">
<div class="row">
<div class="col-xs-12 col-sm-12 col-md-10 col-lg-10 pull-right">
<div class="row">
<div class="col-xs-12 col-sm-12 col-md-8 col-lg-8 pull-left bottom-offset content-offset">
{article}
</div>
<div class="col-xs-12 col-sm-12 col-md-4 col-lg-4 pull-left design-top-offset">
{_about_box()}{_story_list("Latest Posts", same_blog, f"/z/{BLOG_ZONE}")}{_story_list("Related", related)}</div>
</div>
</div>
</div>
</div>
</div>
"""
            + _CHROME_BOTTOM
        )

    def amp(self, post: PostSpec) -> str:
        canonical = self.absolute(post.path)
        body = "\n".join(self._block(b) for b in post.blocks if b.kind in ("p", "h2"))
        return f"""<!doctype html>
<html amp lang="en">
<head>
<meta charset="utf-8">
<title>{escape(post.title)}</title>
<link rel="canonical" href="{_q(canonical)}">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
</head>
<body>
<h1 class="title">{escape(post.title)}</h1>
<div class="wsw">
{body}
</div>
</body>
</html>
"""

    # --- feeds, sitemaps, robots ----------------------------------------------------------
    def rss(self, count: int = 20, zone: int = BLOG_ZONE) -> str:
        items = []
        title, tagline = self.site.blog_titles.get(zone, (BLOG_TITLE, BLOG_TAGLINE))
        for post in self.site.blog_posts(zone)[:count]:
            items.append(
                f"""<item>
<title>{escape(post.title)}</title>
<link>{escape(self.absolute(post.path))}</link>
<guid>{escape(self.absolute(post.path))}</guid>
<pubDate>{post.published.astimezone(timezone.utc):%a, %d %b %Y %H:%M:%S} GMT</pubDate>
<description>{escape(post.description)}</description>
<author>{escape(", ".join(a[0] for a in post.authors))}</author>
</item>"""
            )
        if self.site.hostility is not None:
            planted = escape(self.site.hostility.canary_post(900300))
            items.append(f"<item><title>Planted</title><link>{planted}</link><guid>{planted}</guid></item>")
        return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
<channel>
<title>{title} - {SITE_NAME}</title>
<link>{escape(self.absolute(f"/z/{zone}"))}</link>
<description>{tagline}</description>
<language>en-us</language>
{chr(10).join(items)}
</channel>
</rss>
"""

    def _all_posts(self) -> list[PostSpec]:
        """Every article of the site, whatever blog or section lists it."""
        every = {p.id: p for p in self.site.posts + self.site.others + self.site.second_posts}
        return sorted(every.values(), key=lambda p: p.id)

    def sitemap_count(self) -> int:
        return max(1, -(-len(self._all_posts()) // SITEMAP_CHUNK))

    def sitemap_index(self) -> str:
        entries = "\n".join(
            f"<sitemap><loc>{escape(self.absolute(f'/sitemap_rferl_{n}.xml.gz'))}</loc></sitemap>"
            for n in range(1, max(self.sitemap_count(), self.site.sitemaps_listed) + 1)
        )
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{entries}
</sitemapindex>
"""

    def sitemap(self, number: int) -> bytes | None:
        posts = self._all_posts()[(number - 1) * SITEMAP_CHUNK : number * SITEMAP_CHUNK]
        if number < 1 or not posts:
            return None
        entries = "\n".join(
            f"<url><loc>{escape(self.absolute(p.path))}</loc><lastmod>{p.modified.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}</lastmod></url>"
            for p in posts
        )
        if number == 1 and self.site.hostility is not None:
            entries += f"\n<url><loc>{escape(self.site.hostility.canary_post(900400))}</loc></url>"
        xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{entries}
</urlset>
"""
        return gzip.compress(xml.encode("utf-8"), mtime=0)

    def robots(self) -> str:
        return f"""User-agent: *
Disallow: /s?
Disallow: /Scripts/
Sitemap: {self.absolute('/sitemap.xml')}
"""
