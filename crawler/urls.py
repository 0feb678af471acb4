"""Pure helpers over Pangea URLs: which URLs are posts, which are indexes, and their ids.

The numeric id is a post's identity; every URL form below leads to the same post:
``/a/<slug>/<id>.html``, ``/a/<id>.html``, ``/content/<slug>/<id>.html``,
``/amp/<slug>/<id>.html`` and a live blog entry ``/a/<slug>/<id>/lbl<N>lbi<M>.html``,
with http or https, with or without ``www.``, with any query string or fragment.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qs, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

_POST_PATH = re.compile(
    r"^/(?P<kind>a|content|amp)/(?:(?P<slug>[^/]+)/)?(?P<id>\d+)(?:/lbl(?P<entry_page>\d+)lbi(?P<entry>\d+))?\.html$"
)
_ZONE_PATH = re.compile(r"^/z/(?P<zone>\d+)(?:/(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2}))?/?$")
# Characters that a URL must not carry as they are; most hrefs have none and skip the
# (slower) percent-encoding.
_NEEDS_QUOTING = re.compile(r'[^\x21-\x7e]|["<>\\^`{|}]')
_LEGACY_BLOG_PATH = re.compile(r"^/archive/[^/]+/latest/(?P<zone>\d+)/(?P=zone)\.html$")


def _match_post(url: str) -> re.Match | None:
    return _POST_PATH.match(urlsplit(url).path)


def is_post_url(url: str) -> bool:
    return _match_post(url) is not None


def article_id_from_url(url: str) -> int | None:
    """The numeric post id of any post URL form, or None for other URLs."""
    m = _match_post(url)
    return int(m["id"]) if m else None


def entry_id_from_url(url: str) -> int | None:
    """The live blog entry id of an entry permalink (``lbl<N>lbi<M>``), else None."""
    m = _match_post(url)
    return int(m["entry"]) if m and m["entry"] else None


def entry_page_from_url(url: str) -> int | None:
    """The page of the entry list an entry permalink names (the ``N`` of ``lbl<N>lbi<M>``), else None."""
    m = _match_post(url)
    return int(m["entry_page"]) if m and m["entry_page"] else None


def canonical_post_url(url: str) -> str | None:
    """The ``/a/...`` form of a post URL, without query or fragment; None for non-post URLs.

    AMP and legacy ``/content/`` URLs become the ``/a/`` form (one request instead of a
    redirect or an AMP page); an entry permalink becomes its post.
    """
    parts = urlsplit(url)
    m = _POST_PATH.match(parts.path)
    if not m:
        return None
    path = f"/a/{m['slug']}/{m['id']}.html" if m["slug"] else f"/a/{m['id']}.html"
    return urlunsplit((parts.scheme or "https", parts.netloc, path, "", ""))


def zone_id_from_url(url: str) -> int | None:
    """The zone (blog or section) id of an index URL ``/z/<id>[/Y/M/D]``, else None."""
    path = urlsplit(url).path
    m = _ZONE_PATH.match(path) or _LEGACY_BLOG_PATH.match(path)
    return int(m["zone"]) if m else None


def is_index_url(url: str) -> bool:
    return zone_id_from_url(url) is not None


def index_page_number(url: str) -> int:
    """The ``?p=N`` page number of an index URL; the first page is 0."""
    values = parse_qs(urlsplit(url).query).get("p")
    try:
        return int(values[0]) if values else 0
    except ValueError:
        return 0


def site_of(url: str) -> str:
    """The host without ``www.``: ``www.rferl.org`` and ``rferl.org`` are one site."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def site_key(url: str) -> str:
    """The site a post belongs to in the archive: its host without ``www.``, whatever the
    port (a replica moved to another port is the same site, as a site that moves its
    port is; two sites are two hosts)."""
    return site_of(url)


def is_same_site(url: str, base_url: str) -> bool:
    """True when ``url`` is on the site of ``base_url`` or one of its subdomains."""
    return host_on_site(site_of(url), site_of(base_url))


def host_on_site(host: str, site: str) -> bool:
    """True when ``host`` (as ``site_of`` gives it) is ``site`` or one of its subdomains."""
    return bool(host) and (host == site or host.endswith("." + site))


def url_on_site(url: str, site: str, extra_hosts=()) -> bool:
    """True when ``url`` is an http(s) URL on ``site`` (a ``site_of``), one of its
    subdomains, or one of ``extra_hosts``."""
    if not url.startswith(("http://", "https://")):
        return False
    host = site_of(url)
    return host_on_site(host, site) or host in extra_hosts


def on_host_of(url: str, base_url: str) -> str:
    """``url`` moved to the scheme and host of ``base_url`` when both are one site.

    Index pages link posts as ``http://rferl.org/...`` or ``https://www.rferl.org/...``;
    fetching all of them on the start URL's host keeps one connection pool and one
    politeness budget.
    """
    if not is_same_site(url, base_url):
        return url
    parts, base = urlsplit(url), urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


def absolute_url(href: str | None, base_url: str) -> str | None:
    """``href`` resolved against ``base_url`` and made safe (percent-encoded), or None.

    Only http(s) URLs are kept: ``javascript:``, ``data:`` and ``mailto:`` are not links
    an archive can follow.
    """
    if not href:
        return None
    href = href.strip()
    if not href:
        return None
    if href.startswith(("http://", "https://")):
        url = href  # already absolute: most links of a post
    elif href.startswith("/") and not href.startswith("//"):
        url = _origin(base_url) + href
    else:
        url = urljoin(base_url, href)
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            return None
    if _NEEDS_QUOTING.search(url):
        url = safe_url_string(url)
    return url


@lru_cache(maxsize=64)
def _origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def without_ajax_flag(url: str) -> str:
    """``url`` without its ``ajax`` query parameter and fragment: a "Load more" control's
    ``data-ajax-url`` as the page a plain request reads."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "ajax"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
