"""The hooks of the archive's Datasette plugin (registered with the ``crawler.explore`` package): post HTML shown safely, search snippets highlighted,
and a chart of posts per month (and per author) drawn as SVG on the server, so that the
page loads nothing from the internet and needs no script."""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
import threading
from html import escape
from pathlib import Path
from urllib.parse import urlencode

import nh3
from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from ..analysis import match_expression, raw_expression
from ..analysis import snippet as analysis_snippet

# What the "search" canned query puts around matches (private-use characters, which no
# post contains), turned into <mark> here after the text is escaped.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"


# Table pages show the start of each body; a post's own page shows all of it.
CSS = """
body.table .post-body { max-height: 7.5em; overflow: hidden; max-width: 40em; }
/* Column descriptions stay in each column's menu (the cog of its header), out of the way
   of the search box and the rows. */
body.table dl.column-descriptions { display: none; }
body.table .long-text { max-height: 6em; overflow: hidden; min-width: 18em; max-width: 30em; white-space: pre-line; }
body.table td.col-title { min-width: 16em; }
body.table .post-body { min-width: 20em; }
body.table td.col-url, body.table td.col-fetched_url, body.table td.col-lead_image_url, body.table td.col-capture_id,
body.table td.col-content_hash, body.table td.col-etag {
  white-space: nowrap; max-width: 16em; overflow: hidden; text-overflow: ellipsis; }
.long-text { white-space: pre-line; }
.post-body { max-width: 45em; line-height: 1.5; }
.post-body img { max-width: 100%; height: auto; }
mark { background: #fde68a; }
"""


# Text columns shown short in tables.
LONG_TEXT = {"body_text", "description", "old_values", "audit", "message", "fields_missing"}
SHORT = 80


def clean_html(value: str) -> Markup:
    """Stored HTML is sanitized at crawl time; cleaning it again here means a database from
    anywhere else cannot put active content in front of a reader. Pictures stay on the
    publisher's servers: loaded lazily, sent no referrer."""
    return Markup(nh3.clean(
        value,
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"img": {"loading": "lazy", "referrerpolicy": "no-referrer"}},
    ))


# Advanced search: text after this prefix goes to FTS5 as it is written (AND, OR, NOT,
# "phrases", prefix*, NEAR(...)); anything else is searched word by word, each word quoted.
RAW_PREFIX = "fts:"


_checker = sqlite3.connect(":memory:", check_same_thread=False)
_checker.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
_checker_lock = threading.Lock()


def fts_query(text) -> str:
    """What a search box's text means to the full-text index: every word must appear, in
    any of the readings the index has of the languages (``crawler.analysis``); empty text
    matches nothing. ``fts:`` text is FTS5's own syntax, each word and phrase of it read
    the same way, and searched word by word instead when FTS5 cannot read it: a search
    never ends on an error page."""
    text = (text or "").strip()
    if text.lower().startswith(RAW_PREFIX):
        raw = text[len(RAW_PREFIX):].strip()
        try:
            expression = raw_expression(raw)
            with _checker_lock:  # one probe connection, shared by Datasette's threads
                _checker.execute("SELECT count(*) FROM probe WHERE probe MATCH ?", [expression]).fetchone()
            return expression
        except sqlite3.Error:
            text = raw
    return match_expression(text)


def search_snippet(text, query, language):
    """The part of a post's text around what ``query`` finds, the matches marked."""
    query = (query or "").strip()
    if query.lower().startswith(RAW_PREFIX):
        query = query[len(RAW_PREFIX):]
        query = " ".join(w for w in re.findall(r'[^\s"()*^:,+]+', query) if w not in ("AND", "OR", "NOT", "NEAR"))
    return analysis_snippet(text if isinstance(text, str) else None, query, language if isinstance(language, str) else None,
                            (MARK_OPEN, MARK_CLOSE))


# A search or a filtered page of more rows than this is not ranked or faceted row by row:
# the search lists its matches newest first, the facets say they were not counted. Ranking
# or grouping hundreds of thousands of rows takes seconds. The plugin's configuration
# (``plugins: crawler.explore: counted_up_to``) can change it.
COUNTED_UP_TO = 20_000


def counted_up_to(datasette) -> int:
    config = (datasette.plugin_config("crawler.explore") if datasette is not None else None) or {}
    value = config.get("counted_up_to", COUNTED_UP_TO)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else COUNTED_UP_TO


@hookimpl(trylast=True)  # after Datasette's own, whose escape_fts this one replaces
def prepare_connection(conn, datasette=None):
    conn.create_function("fts_query", 1, fts_query, deterministic=True)
    # Datasette's own search box (a table's ``_search``) reads its text with
    # ``escape_fts``: here it is read as the index reads text, in every language, and as
    # FTS5's own syntax after ``fts:`` (which ``_searchmode=raw`` becomes).
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("search_snippet", 3, search_snippet, deterministic=True)
    limit = counted_up_to(datasette)
    conn.create_function("counted_up_to", 0, lambda: limit, deterministic=True)


def web_url(value) -> str | None:
    """``value`` when it is an http or https URL, else None: the one check every URL from an
    archive passes before it goes into an attribute (an archive from elsewhere may hold
    ``javascript:`` or ``data:`` URLs; those are shown as text)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    return text if scheme in ("http", "https") and text[len(scheme) : len(scheme) + 3] == "://" else None


def post_link(datasette, database: str, site, post_id) -> str:
    return datasette.urls.path(f"/-/post/{site}/{post_id}") + f"?database={database}"


# Languages written right to left (primary subtags): Arabic, Persian and Dari, Pashto,
# Urdu, Sindhi, Uyghur, Kurdish (Sorani), Dhivehi, Hebrew, Yiddish.
RIGHT_TO_LEFT = {"ar", "fa", "prs", "ps", "ur", "sd", "ug", "ckb", "dv", "he", "yi"}
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$")


def text_attributes(language) -> Markup:
    """The ``lang`` and ``dir`` of a post's text, from its stored language (a tag that is
    no language tag is left out; with none, the browser reads the direction from the text)."""
    if isinstance(language, str) and _LANGUAGE_TAG.match(language.strip()):
        tag = language.strip()
        direction = "rtl" if tag.split("-", 1)[0].lower() in RIGHT_TO_LEFT else "ltr"
        return Markup(f' lang="{escape(tag)}" dir="{direction}"')
    return Markup(' dir="auto"')


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    keys = row.keys() if hasattr(row, "keys") else []
    attributes = text_attributes(row["language"] if "language" in keys else None)
    if column in LONG_TEXT and isinstance(value, str) and len(value) > SHORT:
        # A table shows the start of a long text (the stylesheet cuts it on table pages);
        # the row's own page and the reading view show all of it.
        return Markup(f'<div class="long-text"{attributes}>{escape(value)}</div>')
    if column == "title" and "site" in keys and "id" in keys and value is not None and table in (None, "posts", "post_list"):
        # A post's title leads to its reading view, wherever it is listed.
        href = escape(post_link(datasette, database, row["site"], row["id"]))
        return Markup(f'<a class="read" href="{href}"{attributes}>{escape(str(value))}</a>')
    if column == "body_html" and isinstance(value, str) and value:
        # The body reads as HTML. Stored HTML is sanitized at crawl time; cleaning it
        # again here means a database from anywhere else cannot put active content in
        # front of a reader. Pictures stay on the publisher's servers: loaded lazily,
        # sent no referrer.
        return Markup(f'<div class="post-body"{attributes}>{clean_html(value)}</div>')
    if isinstance(value, str) and MARK_OPEN in value:
        marked = escape(value).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
        return Markup(f"<span{attributes}>{marked}</span>")
    return None


@hookimpl
def register_routes():
    return [
        (r"^/-/chart$", chart),
        (r"^/-/archive\.css$", stylesheet),
        (r"^/-/post/(?P<site>[^/]+)/(?P<post_id>\d+)$", reading_view),
        (r"^/-/capture$", capture),
    ]


def _archive(datasette, request):
    """The database a page is about: ``?database=`` or the first one with posts."""
    names = [name for name in datasette.databases if name != "_internal"]
    name = request.args.get("database") or (names[0] if names else None)
    return (name, datasette.get_database(name)) if name in names else (None, None)


def _words(text: str) -> list[str]:
    return re.findall(r"\S+|\s+", text or "")


def diff_html(old, new) -> Markup:
    """What changed, word by word: removed words struck out, added ones marked."""
    if not isinstance(old, str) or not isinstance(new, str):
        old = json.dumps(old, ensure_ascii=False, indent=1)
        new = json.dumps(new, ensure_ascii=False, indent=1)
    a, b = _words(old), _words(new)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(parts))


def _state(post: dict, children: dict) -> dict:
    state = dict(post)
    for name in ("authors", "tags"):
        state[name] = json.loads(post.get(name) or "[]")
    state.update(children)
    return state


async def reading_view(datasette, request):
    """A post as an article: its text, pictures, tags, links, live entries and earlier versions."""
    name, db = _archive(datasette, request)
    site, post_id = request.url_vars["site"], int(request.url_vars["post_id"])
    if db is None:
        return Response.html("<p>No archive is open.</p>", status=404)
    post = (await db.execute("SELECT * FROM posts WHERE site = ? AND id = ?", [site, post_id])).first()
    if post is None:
        return Response.html(f"<p>No post {post_id} of {escape(site)} in {escape(name)}.</p>", status=404)
    post = dict(post)
    key = [site, post_id]

    async def rows(sql: str) -> list[dict]:
        return [dict(row) for row in (await db.execute(sql, key)).rows]

    images = await rows("SELECT position, url, caption, credit, is_lead FROM images WHERE site = ? AND post_id = ? ORDER BY position")
    links = await rows("SELECT position, url, text, domain, internal FROM links WHERE site = ? AND post_id = ? ORDER BY position")
    embeds = await rows("SELECT position, kind, url FROM embeds WHERE site = ? AND post_id = ? ORDER BY position")
    entries = await rows(
        "SELECT entry_id, published_at, headline, body_html FROM live_entries WHERE site = ? AND post_id = ? "
        "ORDER BY published_at DESC, entry_id DESC"
    )
    for entry in entries:
        entry["body"] = clean_html(entry.pop("body_html") or "")
    tables = set(await db.table_names())
    revisions = []
    if "revisions" in tables:
        cause = ", cause" if "cause" in {c for c in (await db.table_columns("revisions"))} else ", NULL AS cause"
        found = await rows(
            f"SELECT recorded_at, first_seen_at, last_seen_at, changed_fields, old_values{cause} FROM revisions "
            "WHERE site = ? AND post_id = ? AND entry_id IS NULL ORDER BY recorded_at DESC, id DESC"
        )
        # From the version shown back through the older ones: each revision holds the
        # values its change replaced.
        state = _state(post, {"images": images, "links": links, "embeds": embeds})
        for revision in found:
            old_values = json.loads(revision["old_values"] or "{}")
            changes = [
                {"field": field, "html": diff_html(old_values.get(field), state.get(field))}
                for field in json.loads(revision["changed_fields"] or "[]")
            ]
            revisions.append(dict(revision, changes=changes))
            state = dict(state, **old_values)
    capture_url = capture_date = None
    if post.get("capture_id") and "captures" in tables:
        found = (await db.execute("SELECT fetched_at FROM captures WHERE record_id = ?", [post["capture_id"]])).first()
        if found is not None:
            capture_url = datasette.urls.path("/-/capture") + "?" + urlencode({"database": name, "record": post["capture_id"]})
            capture_date = found["fetched_at"]
    for item in (*images, *links, *embeds):
        item["href"] = web_url(item.get("url"))
    post["href"] = web_url(post.get("url"))
    lead = next((image for image in images if image["is_lead"]), None)
    context = {
        "database": name,
        "post": post,
        "authors": json.loads(post.get("authors") or "[]"),
        "tags": json.loads(post.get("tags") or "[]"),
        "body": clean_html(post.get("body_html") or ""),
        "lead": lead,
        "figures": [image for image in images if image is not lead],
        "links": links,
        "embeds": embeds,
        "entries": entries,
        "revisions": revisions,
        "capture_url": capture_url,
        "capture_date": capture_date,
        "text_attributes": text_attributes(post.get("language")),
    }
    return Response.html(await datasette.render_template("pangea_post.html", context, request=request))


async def capture(datasette, request):
    """A page as the site served it, from the WARC files beside the archive; shown
    sandboxed (no script runs, nothing is sent anywhere from it)."""
    name, db = _archive(datasette, request)
    record_id = request.args.get("record") or ""
    if db is None or not db.path:
        return Response.text("No archive is open.", status=404)
    found = (await db.execute("SELECT * FROM captures WHERE record_id = ?", [record_id])).first()
    warc_dir = Path(f"{db.path}.warc")
    missing = Response.text(f"The capture {record_id} is not in the archive's WARC files.", status=404)
    if found is None:
        return missing
    from crawler.paths import UnsafePath, file_in
    from crawler.replay import Stored, load_stored

    try:
        # The archive's word for where the capture is: a file of its WARC folder, or nothing.
        path = file_in(warc_dir, found["warc_file"])
        offset = int(found["offset"])
    except (UnsafePath, TypeError, ValueError):
        return missing
    if not path.is_file() or offset < 0:
        return missing
    stored = Stored(path, offset, found["length"], record_id, found["warc_type"], found["url"], found["fetched_at"], found["status"], 0)
    try:
        status, headers, body = load_stored(stored)
    except Exception:  # noqa: BLE001 - not a WARC record there: nothing of the file is shown
        return missing
    if any(name.lower() == "content-encoding" for name, _ in headers):
        return Response.text("This capture is compressed; read it from the WARC file.", status=415)
    content_type = next((value for key, value in headers if key.lower() == "content-type"), "text/html")
    return Response(
        body,
        content_type=content_type,
        headers={"Content-Security-Policy": "sandbox; default-src 'none'; img-src 'none'; style-src 'unsafe-inline'",
                 "X-Archive-Record": record_id, "X-Archive-Fetched": found["fetched_at"]},
    )


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/archive.css")]


async def stylesheet():
    return Response(CSS, content_type="text/css; charset=utf-8")


@hookimpl
def menu_links(datasette, actor, request):
    return [{"href": datasette.urls.path("/-/chart"), "label": "Chart: posts per month"}]


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def bar_chart(counts: dict[str, int], months: list[str], title: str, height: int = 160) -> str:
    """An SVG bar chart of counts per month, with year labels; no script, no external asset."""
    # Bars as wide as a page of about 1,100 pixels allows: the chart fills the page's width.
    width_per_bar, left, bottom = max(4, min(40, 1100 // max(1, len(months)))), 40, 24
    width = left + width_per_bar * len(months) + 10
    top = max(counts.values(), default=0) or 1
    bars, labels = [], []
    for i, month in enumerate(months):
        value = counts.get(month, 0)
        bar_height = (height - bottom - 10) * value / top
        x = left + i * width_per_bar
        y = height - bottom - bar_height
        bars.append(
            f'<rect x="{x}" y="{y:.1f}" width="{width_per_bar - 2}" height="{bar_height:.1f}" fill="#276890">'
            f"<title>{month}: {value} posts</title></rect>"
        )
        if month.endswith("-01") or i == 0:
            labels.append(f'<text x="{x}" y="{height - 8}" font-size="11">{month[:4]}</text>')
    axis = (
        f'<text x="4" y="20" font-size="11">{top}</text>'
        f'<line x1="{left - 4}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#888"/>'
    )
    return (
        f'<figure><figcaption>{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
        f'{axis}{"".join(bars)}{"".join(labels)}</svg></figure>'
    )


async def chart(datasette, request):
    names = [name for name in datasette.databases if name != "_internal"]
    name = request.args.get("database") or (names[0] if names else None)
    if name not in names:
        return Response.html("<p>No archive is open.</p>", status=404)
    db = datasette.get_database(name)
    # From the counts the archive keeps as posts are written (``facet_counts``): a few rows,
    # not every post grouped.
    counted = "facet_counts" in await db.table_names()  # an archive no run of this version has opened has none
    per_month = {
        row["month"]: row["n"]
        for row in (
            await db.execute(
                "SELECT value AS month, sum(posts - removed) AS n FROM facet_counts WHERE facet = 'month' AND value <> '' "
                "GROUP BY value HAVING n > 0"
                if counted else
                "SELECT substr(published_at, 1, 7) AS month, count(*) AS n FROM posts "
                "WHERE removed_at IS NULL AND published_at IS NOT NULL GROUP BY month"
            )
        ).rows
    }
    figures = []
    if per_month:
        months = _months(min(per_month), max(per_month))
        figures.append(bar_chart(per_month, months, f"Posts per month, {months[0]} to {months[-1]}"))
        per_author: dict[str, dict[str, int]] = {}
        for row in (
            await db.execute(
                "SELECT value AS author, month, sum(posts - removed) AS n FROM facet_counts "
                "WHERE facet = 'authors' AND month <> '' GROUP BY value, month HAVING n > 0"
                if counted else
                "SELECT authors.name AS author, substr(posts.published_at, 1, 7) AS month, count(*) AS n "
                "FROM posts JOIN post_authors ON post_authors.site = posts.site AND post_authors.post_id = posts.id "
                "JOIN authors ON authors.id = post_authors.author_id "
                "WHERE posts.removed_at IS NULL GROUP BY author, month"
            )
        ).rows:
            per_author.setdefault(row["author"], {})[row["month"]] = row["n"]
        for author, counts in sorted(per_author.items(), key=lambda item: -sum(item[1].values()))[:8]:
            figures.append(bar_chart(counts, months, f"{author}: {sum(counts.values())} posts", height=90))
    else:
        figures.append("<p>The archive holds no posts yet.</p>")
    context = {"database": name, "figures": [Markup(figure) for figure in figures]}
    return Response.html(await datasette.render_template("pangea_chart.html", context, request=request))

