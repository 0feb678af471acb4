"""The replica in many dresses: the same content in other plausible Pangea markup.

The replica is ours, so its default markup agrees with our parsers; real Pangea sites
vary. A dress changes how each page kind is written while what it says stays the same,
after the facts in ``tests/fixtures/reference/README.md`` and the rule that any element
or class name can change while the meaning stays: links of post form in a list, a
control that loads more, a timestamped entry, structured data that is whole, partial or
absent. A crawl of any dress must give the same archive as a crawl of the default one.

Each part has five forms or more, spread over the dresses:

- ``index_list``: ``ul`` (one list), ``split`` (a lead ``<ul>`` and a ``follow-up-list``
  after it, as Pangea splits a block), ``divs`` (no list element), ``articles``
  (``<section>`` of ``<article>``), ``ol``;
- ``load_more``: ``link`` (``a.link-showMore`` with an href), ``button`` (a ``<button>``
  with only a ``data-ajax-url``), ``ajax`` (a ``<div>`` with only a ``data-ajax-url``),
  ``script`` (a ``role=button`` control that only a script follows), ``next-link`` (a
  plain link to the next page, no class);
- ``index_ld``: a JSON-LD ``ItemList`` of the page's posts, or none;
- ``live_entry``: entries in ``li``, ``article``, ``div`` (no id: the permalink only),
  ``section``, or a ``div`` nested in rows;
- ``live_ld``: ``none``, ``full`` (every entry with its body), ``partial`` (url and
  time only);
- ``live_more``: how a live blog page leads to its older entries: ``link`` (an ``a`` to
  ``<post>?p=N``), ``button`` (a ``<button>`` with only a ``data-ajax-url``), ``ajax`` (a
  ``<div>`` with only a ``data-ajax-url``), ``permalink`` (an ``a`` to the first older
  entry's permalink ``/a/<slug>/<id>/lbl<N>lbi<M>.html``, the form the reference
  describes), ``script`` (a ``role=button`` control only a script follows);
- ``post_ld``: ``full``, ``graph`` (``@graph`` with a ``WebPage``), ``partial`` (no
  author, keywords or section: the page's markup has them), ``typed``
  (``ReportageNewsArticle``), ``type-list`` (``["NewsArticle", "Article"]``);
- ``embed``: ``iframe``, ``script`` (``renderExternalContent(...)``), ``lazy`` (an
  iframe with ``data-src``), ``blank-src`` (``src="about:blank"`` and ``data-src``),
  ``both`` (the script and a ``<noscript>`` iframe).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Dress:
    name: str
    index_list: str = "ul"
    load_more: str = "link"
    index_ld: bool = False
    live_entry: str = "li"
    live_ld: str = "none"
    live_more: str = "link"
    post_ld: str = "full"
    embed: str = "iframe"


DRESSES = {
    dress.name: dress
    for dress in (
        Dress("default"),
        Dress("split", index_list="split", load_more="button", live_entry="article", live_ld="full", live_more="button", post_ld="graph", embed="script"),
        Dress("divs", index_list="divs", load_more="ajax", live_entry="div", live_ld="partial", live_more="ajax", post_ld="partial", embed="lazy"),
        Dress("articles", index_list="articles", load_more="script", live_entry="section", live_more="script", post_ld="typed", embed="blank-src"),
        Dress(
            "itemlist", index_list="ol", load_more="next-link", index_ld=True, live_entry="nested-div", live_ld="full",
            live_more="permalink", post_ld="type-list", embed="both",
        ),
    )
}


def dress_named(name: str) -> Dress:
    try:
        return DRESSES[name]
    except KeyError:
        raise ValueError(f"no dress {name!r}: one of {', '.join(DRESSES)}") from None


# --- index ---------------------------------------------------------------------------
# The element each story sits in, and the id of the list a script appends to.
_ITEM_TAGS = {"ul": "li", "split": "li", "divs": "div", "articles": "article", "ol": "li"}
LIST_IDS = {"ul": "ordinaryItems", "split": "followUpItems", "divs": "storiesRow", "articles": "stories", "ol": "items"}


def index_item(dress: Dress, media_block: str) -> str:
    tag = _ITEM_TAGS[dress.index_list]
    css = {"li": "col-xs-12 col-sm-12 col-md-12 col-lg-12 mb-grid", "div": "col-xs-12 mb-grid", "article": "story"}[tag]
    return f'<{tag} class="{css}">\n{media_block}\n</{tag}>'


def index_list(dress: Dress, items: list[str], zone: int) -> str:
    """The page's main list of stories, in the dress's containers."""
    kind, list_id = dress.index_list, LIST_IDS[dress.index_list]
    if kind == "ul":
        return f"""<div class="media-block-wrap" id="wrowblock-{zone}">
<div class="row">
<ul id="{list_id}">
{chr(10).join(items)}
</ul>
</div>
</div>"""
    if kind == "split":
        return f"""<div class="media-block-wrap" id="wrowblock-{zone}">
<div class="row">
<ul class="col-xs-12 lead-list">
{chr(10).join(items[:1])}
</ul>
</div>
<div class="row">
<ul class="col-xs-12 follow-up-list" id="{list_id}">
{chr(10).join(items[1:])}
</ul>
</div>
</div>"""
    if kind == "divs":
        return f"""<div class="media-block-wrap">
<div class="row" id="{list_id}">
{chr(10).join(items)}
</div>
</div>"""
    if kind == "articles":
        return f"""<section class="zone-stories" id="{list_id}">
{chr(10).join(items)}
</section>"""
    if kind == "ol":
        return f"""<div class="media-block-wrap">
<ol class="media-list" id="{list_id}">
{chr(10).join(items)}
</ol>
</div>"""
    raise ValueError(kind)


def load_more(dress: Dress, next_path: str, stuck: bool = False) -> str:
    """The control that leads to ``next_path`` (``/z/<zone>?p=N``); a ``stuck`` script
    control stops working after its first click (the list never ends)."""
    ajax = f"{next_path}&amp;ajax=1"
    if dress.load_more == "link":
        return f"""<p class="buttons btn--load-more">
<a class="btn link-showMore btn__text" data-ajax="true" data-ajax-method="GET" data-ajax-url="{ajax}" data-ajax-update="#{LIST_IDS[dress.index_list]}" data-ajax-mode="after" href="{next_path}" title="Load more">Load more</a>
</p>"""
    if dress.load_more == "button":
        return f"""<p class="buttons btn--load-more">
<button type="button" class="btn link-showMore btn__text" data-ajax-url="{ajax}">Load more</button>
</p>"""
    if dress.load_more == "ajax":
        return f"""<div class="more-wrap" data-ajax-url="{ajax}" data-ajax-update="#{LIST_IDS[dress.index_list]}">
<span class="more-wrap__label">+</span>
</div>"""
    if dress.load_more == "script":
        return f"""<div class="pager">
<span class="pager__control" role="button" tabindex="0" aria-label="Load more">+</span>
</div>
<script>
(function () {{
  var list = document.getElementById("{LIST_IDS[dress.index_list]}");
  var control = document.querySelector(".pager__control");
  var next = "{next_path}&ajax=1";
  var clicks = 0, stuck = {"true" if stuck else "false"};
  control.addEventListener("click", function () {{
    clicks += 1;
    if (stuck && clicks > 1) {{ return; }}
    fetch(next).then(function (r) {{ return r.json(); }}).then(function (data) {{
      list.insertAdjacentHTML("beforeend", data.items);
      if (data.next) {{ next = data.next; }} else {{ control.parentNode.removeChild(control); }}
    }});
  }});
}})();
</script>"""
    if dress.load_more == "next-link":
        return f"""<div class="pager">
<a href="{next_path}">Load more</a>
</div>"""
    raise ValueError(dress.load_more)


def item_list_ld(urls: list[str]) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "itemListElement": [{"@type": "ListItem", "position": i + 1, "url": url} for i, url in enumerate(urls)],
    }


# --- live blog ------------------------------------------------------------------------
def live_entry(dress: Dress, entry_id: int, inner: str) -> str:
    kind = dress.live_entry
    if kind == "li":
        return f'<li class="liveblog__item" id="lbi{entry_id}">\n{inner}\n</li>'
    if kind == "article":
        return f'<article class="lb-entry" id="lbi{entry_id}">\n{inner}\n</article>'
    if kind == "div":
        return f'<div class="lb-post">\n{inner}\n</div>'
    if kind == "section":
        return f'<section class="update">\n{inner}\n</section>'
    if kind == "nested-div":
        return f'<div class="row"><div class="col-xs-12" id="lbi{entry_id}">\n{inner}\n</div></div>'
    raise ValueError(kind)


def live_list(dress: Dress, entries: list[str]) -> str:
    body = "\n".join(entries)
    return f'<ul class="liveblog__items">\n{body}\n</ul>' if dress.live_entry == "li" else f'<div class="liveblog__items">\n{body}\n</div>'


LIVE_MORE_FORMS = ("link", "button", "ajax", "permalink", "script")


def live_more(form: str, next_path: str, permalink: str) -> str:
    """The control that leads to a live blog's older entries: ``next_path`` is the next page
    (``<post path>?p=N``), ``permalink`` the permalink of its first entry."""
    if form == "link":
        return f"""<p class="buttons btn--load-more">
<a class="btn link-showMore btn__text" href="{next_path}" title="Load more">Load more</a>
</p>"""
    if form == "button":
        return f"""<p class="buttons btn--load-more">
<button type="button" class="btn link-showMore btn__text" data-ajax-url="{next_path}&amp;ajax=1">Load more</button>
</p>"""
    if form == "ajax":
        return f"""<div class="more-wrap" data-ajax-url="{next_path}&amp;ajax=1">
<span class="more-wrap__label">+</span>
</div>"""
    if form == "permalink":
        return f"""<div class="liveblog__more">
<a class="liveblog__older" href="{permalink}">Older entries</a>
</div>"""
    if form == "script":
        return f"""<div class="liveblog__pager">
<span class="liveblog__pager-control" role="button" tabindex="0" aria-label="Load more">+</span>
</div>
<script>
(function () {{
  var list = document.querySelector(".liveblog__items");
  var control = document.querySelector(".liveblog__pager-control");
  var next = "{next_path}&ajax=1";
  control.addEventListener("click", function () {{
    fetch(next).then(function (r) {{ return r.json(); }}).then(function (data) {{
      list.insertAdjacentHTML("beforeend", data.items);
      if (data.next) {{ next = data.next; }} else {{ control.parentNode.removeChild(control); }}
    }});
  }});
}})();
</script>"""
    raise ValueError(form)


def live_updates(dress: Dress, updates: list[dict]) -> list[dict]:
    if dress.live_ld == "partial":
        return [{"@type": "BlogPosting", "url": u["url"], "datePublished": u["datePublished"]} for u in updates]
    return updates


# --- post -----------------------------------------------------------------------------
def post_ld(dress: Dress, data: dict) -> dict:
    """A post's JSON-LD object in the dress's form."""
    kind = dress.post_ld
    if kind == "full" or data.get("@type") == "LiveBlogPosting":
        return data
    data = dict(data)
    if kind == "graph":
        page = {"@type": "WebPage", "@id": data["url"], "url": data["url"], "name": data["headline"]}
        context = data.pop("@context")
        return {"@context": context, "@graph": [page, data]}
    if kind == "partial":
        for key in ("author", "keywords", "articleSection"):
            data.pop(key, None)
        return data
    if kind == "typed":
        data["@type"] = "ReportageNewsArticle"
        return data
    if kind == "type-list":
        data["@type"] = ["NewsArticle", "Article"]
        return data
    raise ValueError(kind)


def video_embed(dress: Dress, url: str) -> str:
    kind = dress.embed
    script_url = url.replace("</", "<\\/")
    url = escape(url, quote=True)
    if kind == "iframe":
        player = f'<iframe width="640" height="360" src="{url}" frameborder="0" allowfullscreen></iframe>'
    elif kind == "script":
        player = f'<script type="text/javascript">renderExternalContent("{script_url}")</script>'
    elif kind == "lazy":
        player = f'<iframe width="640" height="360" data-src="{url}" src="" frameborder="0" allowfullscreen></iframe>'
    elif kind == "blank-src":
        player = f'<iframe width="640" height="360" src="about:blank" data-src="{url}" frameborder="0" allowfullscreen></iframe>'
    elif kind == "both":
        player = f'<script type="text/javascript">renderExternalContent("{script_url}")</script><noscript><iframe src="{url}"></iframe></noscript>'
    else:
        raise ValueError(kind)
    wrapper = "external-content-placeholder" if kind in ("iframe", "lazy", "blank-src") else "externalMedia"
    return f"""<div class="wsw__embed">
<div class="{wrapper}">
{player}
</div>
</div>"""
