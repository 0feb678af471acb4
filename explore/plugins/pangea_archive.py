"""Datasette plugin of the archive: post HTML shown safely, search snippets highlighted,
and a chart of posts per month (and per author) drawn as SVG on the server, so that the
page loads nothing from the internet and needs no script."""

from __future__ import annotations

from html import escape

import nh3
from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

# What the "search" canned query puts around matches (private-use characters, which no
# post contains), turned into <mark> here after the text is escaped.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"


# Table pages show the start of each body; a post's own page shows all of it.
CSS = """
body.table .post-body { max-height: 7.5em; overflow: hidden; max-width: 40em; }
.post-body { max-width: 45em; line-height: 1.5; }
.post-body img { max-width: 100%; height: auto; }
mark { background: #fde68a; }
"""


@hookimpl
def render_cell(value, column, table, database, datasette):
    if column == "body_html" and isinstance(value, str) and value:
        # The body reads as HTML. Stored HTML is sanitized at crawl time; cleaning it
        # again here means a database from anywhere else cannot put active content in
        # front of a reader. Pictures stay on the publisher's servers: loaded lazily,
        # sent no referrer.
        clean = nh3.clean(
            value,
            link_rel="noopener noreferrer nofollow",
            set_tag_attribute_values={"img": {"loading": "lazy", "referrerpolicy": "no-referrer"}},
        )
        return Markup(f'<div class="post-body">{clean}</div>')
    if isinstance(value, str) and MARK_OPEN in value:
        return Markup(escape(value).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))
    return None


@hookimpl
def register_routes():
    return [(r"^/-/chart$", chart), (r"^/-/archive\.css$", stylesheet)]


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
    width_per_bar, left, bottom = 8, 40, 24
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
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" height="{height}">'
        f'{axis}{"".join(bars)}{"".join(labels)}</svg></figure>'
    )


async def chart(datasette, request):
    names = [name for name in datasette.databases if name != "_internal"]
    name = request.args.get("database") or (names[0] if names else None)
    if name not in names:
        return Response.html("<p>No archive is open.</p>", status=404)
    db = datasette.get_database(name)
    per_month = {
        row["month"]: row["n"]
        for row in (
            await db.execute(
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
                "SELECT authors.name AS author, substr(posts.published_at, 1, 7) AS month, count(*) AS n "
                "FROM posts JOIN post_authors ON post_authors.post_id = posts.id "
                "JOIN authors ON authors.id = post_authors.author_id "
                "WHERE posts.removed_at IS NULL GROUP BY author, month"
            )
        ).rows:
            per_author.setdefault(row["author"], {})[row["month"]] = row["n"]
        for author, counts in sorted(per_author.items(), key=lambda item: -sum(item[1].values()))[:8]:
            figures.append(bar_chart(counts, months, f"{author}: {sum(counts.values())} posts", height=90))
    else:
        figures.append("<p>The archive holds no posts yet.</p>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Posts per month — {escape(name)}</title>
<link rel="stylesheet" href="{datasette.urls.static('app.css')}">
<link rel="stylesheet" href="{datasette.urls.path('/-/archive.css')}">
<style>figure {{ margin: 1.5em 0; }} figcaption {{ font-weight: bold; margin-bottom: .3em; }}</style>
</head><body><section class="content">
<p><a href="{datasette.urls.instance()}">home</a> / <a href="{datasette.urls.database(name)}">{escape(name)}</a></p>
<h1>Posts per month</h1>
{''.join(figures)}
<p><a href="{datasette.urls.database(name)}/posts_per_month">The numbers behind the chart</a></p>
</section></body></html>"""
    return Response.html(page)
