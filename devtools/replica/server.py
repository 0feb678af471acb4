"""The replica's HTTP server: a Pangea blog on loopback, for the demo, the tests and the benchmarks."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .content import BLOG_ZONE, MERGED_STORY_PATH, Site
from .faults import FaultPlan, empty_index, malform
from .hostile import SERVICE_WORKER
from .pages import Renderer

_POST = re.compile(r"^/(?P<kind>a|content|amp)/(?:(?P<slug>[^/]+)/)?(?P<id>\d+)(?:/lbl(?P<page>\d+)lbi(?P<entry>\d+))?\.html$")
_ZONE = re.compile(r"^/z/(?P<zone>\d+)/?$")
_FEED = re.compile(r"^/api/z(?P<zone>\d+)/rss\.xml$")
_SITEMAP = re.compile(r"^/sitemap_rferl_(?P<n>\d+)\.xml\.gz$")


class Response:
    __slots__ = ("status", "body", "headers", "delay", "truncate")

    def __init__(self, status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8", **headers: str):
        self.status = status
        self.body = body
        self.headers = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}
        self.delay = 0.0
        self.truncate = False

    def but(self, **changes) -> "Response":
        """A copy with some parts changed: ``body``, ``status``, ``delay``, ``truncate``, headers by name."""
        copy = Response(self.status, self.body)
        copy.headers = dict(self.headers)
        for name, value in changes.items():
            if name in ("body", "status", "delay", "truncate"):
                setattr(copy, name, value)
            else:
                copy.headers[name.replace("_", "-")] = value
        return copy


_NOT_FOUND = b"<html><body><h1>Page not found</h1></body></html>"


class ReplicaApp:
    """Routes a path to a response. Pages are rendered once and kept."""

    def __init__(self, site: Site, base_url: str, faults: FaultPlan | None = None):
        self.site = site
        self.renderer = Renderer(site, base_url)
        self.faults = faults or FaultPlan()
        self._cache: dict[str, Response] = {}
        self._lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.page_hits: Counter[str] = Counter()  # per path, for transient faults
        self.injected: Counter[str] = Counter()  # faults injected, by kind
        self.rate_limited_at: dict[str, float] = {}  # path -> when it last answered 429
        self.retry_after_honoured: list[float] = []  # seconds between a 429 and the next request
        # Every request served: (received, answered, path), monotonic seconds; and how long
        # each answer takes at least (a site's own latency, for tests of concurrency).
        self.traffic: list[tuple[float, float, str]] = []
        self.latency = 0.0

    # --- changes while serving: the admin endpoints and the in-process API ----------------
    def add_posts(self, count: int) -> list[int]:
        with self._lock:
            added = self.site.add_posts(count, at=datetime.now(timezone.utc))
            self._cache.clear()
        return [spec.id for spec in added]

    def add_entries(self, count: int) -> list[int]:
        with self._lock:
            added = self.site.add_entries(count, at=datetime.now(timezone.utc))
            self._cache.clear()
        return [entry.id for entry in added]

    def edit_entry(self, entry_id: int) -> int:
        with self._lock:
            self.site.edit_entry(entry_id)
            self._cache.clear()
        return entry_id

    def edit_post(self, post_id: int) -> int:
        with self._lock:
            self.site.edit_post(post_id, at=datetime.now(timezone.utc))
            self._cache.clear()
        return post_id

    def delete_post(self, post_id: int) -> int:
        with self._lock:
            self.site.delete_post(post_id)
            self._cache.clear()
        return post_id

    def admin(self, path: str, query: str) -> Response:
        """``POST /_admin/add?count=N``, ``/_admin/edit?id=ID``, ``/_admin/delete?id=ID``."""
        params = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            if path == "/_admin/add":
                result = {"added": self.add_posts(int(params.get("count", "1")))}
            elif path == "/_admin/edit":
                result = {"edited": self.edit_post(int(params["id"]))}
            elif path == "/_admin/add-entries":
                result = {"added": self.add_entries(int(params.get("count", "1")))}
            elif path == "/_admin/delete":
                result = {"deleted": self.delete_post(int(params["id"]))}
            else:
                return Response(404, b"{}", "application/json")
        except (KeyError, ValueError) as error:
            return Response(400, json.dumps({"error": str(error)}).encode(), "application/json")
        return Response(200, json.dumps(result).encode(), "application/json")

    def _hostile(self, path: str, hit: int) -> Response | None:
        """What a hostile post answers instead of its page (``devtools.replica.hostile``)."""
        hostility = self.site.hostility
        match = _POST.match(path)
        if hostility is None or not match:
            if hostility is not None and path == "/sw.js":
                worker = SERVICE_WORKER.replace("CANARY", hostility.canary)
                return Response(200, worker.encode(), "text/javascript")
            return None
        kind = hostility.kind_of(int(match["id"]))
        away = Response(302, b"", Location=hostility.canary_post(900000 + hit))
        if kind == "retry_redirect":
            return Response(503, b"<html><body><h1>503</h1></body></html>") if hit == 0 else away
        if kind == "binary_redirect":
            return Response(200, bytes(range(256)) * 8, "application/octet-stream") if hit == 0 else away
        if kind == "meta_refresh":
            target = hostility.canary_post(900100)
            return Response(200, f'<html><head><meta http-equiv="refresh" content="0; url={target}"></head><body></body></html>'.encode())
        return None

    def respond(self, path: str, query: str, headers) -> Response:
        key = f"{path}?{query}"
        with self._lock:
            hit = self.hits[key]
            self.hits[key] += 1
            cached = self._cache.get(key)
        hostile = self._hostile(path, hit)
        if hostile is not None:
            return hostile
        if cached is None:
            cached = self._route(path, query)
            with self._lock:
                self._cache[key] = cached
        if self.faults and cached.status == 200 and cached.headers["Content-Type"].startswith("text/html"):
            return self._faulty(path, query, cached)
        etag = cached.headers.get("ETag")
        if etag and headers.get("If-None-Match") == etag:
            return Response(304, b"", ETag=etag, Last_Modified=cached.headers.get("Last-Modified", ""))
        since = headers.get("If-Modified-Since")
        if etag is None and since and "Last-Modified" in cached.headers:
            try:
                if parsedate_to_datetime(cached.headers["Last-Modified"]) <= parsedate_to_datetime(since):
                    return Response(304, b"", Last_Modified=cached.headers["Last-Modified"])
            except (TypeError, ValueError):
                pass
        return cached

    def _faulty(self, path: str, query: str, page: Response) -> Response:
        """The page as the fault plan has it: a transient fault, or its permanent flaws."""
        params = parse_qs(query)
        others = "&".join(part for part in query.split("&") if part and not part.startswith("loop="))

        def loop_to(hop: int) -> Response:
            return Response(302, b"", Location=f"{path}?{others + '&' if others else ''}loop={hop}")

        if "loop" in params:
            hop = int(params["loop"][0])
            return loop_to(hop + 1) if hop < 30 else page
        page_number = params.get("p", ["0"])[0] if path.startswith("/z/") else ""
        later_index_page = page_number not in ("", "0")
        page_key = f"{path}?p={page_number}" if page_number else path  # each index page is a page of its own
        flaws = self.faults.permanent(page_key)
        with self._lock:
            hit = self.page_hits[page_key]
            self.page_hits[page_key] += 1
            now = time.monotonic()
            if page_key in self.rate_limited_at:
                self.retry_after_honoured.append(now - self.rate_limited_at.pop(page_key))
            kind = self.faults.transient(page_key, hit, later_index_page)
            if kind:
                self.injected[kind] += 1
                if kind == "rate_limit":
                    self.rate_limited_at[page_key] = now
            else:
                for flaw in flaws:
                    self.injected[flaw] += 1
        if kind == "server_error":
            status = (500, 502, 503)[hit % 3]
            return Response(status, f"<html><body><h1>{status}</h1></body></html>".encode())
        if kind == "rate_limit":
            return Response(429, b"<html><body><h1>Too Many Requests</h1></body></html>", Retry_After=str(self.faults.retry_after))
        if kind == "slow":
            return page.but(delay=self.faults.slow_seconds)
        if kind == "truncate":
            return page.but(truncate=True)
        if kind == "redirect_loop":
            return loop_to(1)
        if kind == "oversize":
            return page.but(body=page.body + b"<!--" + b"x" * self.faults.oversize_bytes + b"-->")
        if kind == "wrong_type":
            return page.but(Content_Type="application/octet-stream")
        if kind == "empty_index":
            return page.but(body=empty_index(page.body.decode("utf-8")).encode("utf-8"), ETag='"empty"')
        if "malformed" in flaws:
            page = page.but(body=malform(page.body.decode("utf-8")).encode("utf-8"))
        if "wrong_charset" in flaws:
            page = page.but(Content_Type="text/html; charset=iso-8859-1")
        return page

    def _html(self, text: str, modified=None) -> Response:
        body = text.encode("utf-8")
        headers = {"ETag": '"' + hashlib.sha1(body).hexdigest()[:16] + '"'}
        if modified is not None:
            headers["Last_Modified"] = format_datetime(modified, usegmt=True)
        return Response(200, body, **headers)

    def _route(self, path: str, query: str) -> Response:
        site, render = self.site, self.renderer
        zone_match = _ZONE.match(path)
        if zone_match and int(zone_match["zone"]) in site.blog_titles:
            zone = int(zone_match["zone"])
            try:
                page = int(parse_qs(query).get("p", ["0"])[0])
            except ValueError:
                page = 0
            if 0 <= page < site.blog_page_count(zone):
                if "ajax" in parse_qs(query) and zone == BLOG_ZONE:
                    return Response(200, render.index_fragment(page).encode("utf-8"), "application/json")
                return self._html(render.index(page, zone))
            return Response(404, _NOT_FOUND)
        if path == MERGED_STORY_PATH and site.merged_ids:
            return Response(503, b"<html><body><h1>503</h1></body></html>")
        match = _POST.match(path)
        if match:
            if int(match["id"]) in site.merged_ids:
                return Response(301, b"", Location=render.absolute(MERGED_STORY_PATH))
            post = site.by_id.get(int(match["id"]))
            if post is None:
                return Response(404, _NOT_FOUND)
            if match["kind"] == "content":
                return Response(301, b"", Location=render.absolute(post.path))
            if match["kind"] == "amp":
                return self._html(render.amp(post), post.modified)
            page = 0
            if post.live is not None:
                # A live blog pages its entries with ?p=N; an entry's permalink shows its page.
                if match["entry"]:
                    if all(e.id != int(match["entry"]) for e in post.live.entries):
                        return Response(404, _NOT_FOUND)
                    page = post.live.page_of(int(match["entry"]))
                else:
                    try:
                        page = int(parse_qs(query).get("p", ["0"])[0])
                    except ValueError:
                        page = 0
                if not 0 <= page < post.live.page_count:
                    return Response(404, _NOT_FOUND)
                if "ajax" in parse_qs(query):
                    return Response(200, render.live_fragment(post, page).encode("utf-8"), "application/json")
            return self._html(render.post(post, page), post.modified)
        feed_match = _FEED.match(path)
        if feed_match and int(feed_match["zone"]) in site.blog_titles:
            return Response(200, render.rss(zone=int(feed_match["zone"])).encode("utf-8"), "application/rss+xml; charset=utf-8")
        if path == "/sitemap.xml":
            return Response(200, render.sitemap_index().encode("utf-8"), "application/xml; charset=utf-8")
        match = _SITEMAP.match(path)
        if match:
            body = render.sitemap(int(match["n"]))
            if body is not None:
                return Response(200, body, "application/x-gzip")
        if path == "/robots.txt":
            return Response(200, render.robots().encode("utf-8"), "text/plain; charset=utf-8")
        return Response(404, _NOT_FOUND)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PangeaReplica/1.0"
    app: ReplicaApp
    log_requests = False

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self._serve(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(with_body=False)

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._send(self.app.admin(parts.path, parts.query), with_body=True)

    def _serve(self, with_body: bool) -> None:
        received = time.monotonic()
        parts = urlsplit(self.path)
        response = self.app.respond(parts.path, parts.query, self.headers)
        if self.app.latency:
            time.sleep(self.app.latency)
        self._send(response, with_body)
        self.app.traffic.append((received, time.monotonic(), parts.path))

    def _send(self, response: Response, with_body: bool) -> None:
        if response.delay:
            time.sleep(response.delay)
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                if value:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if with_body and response.body:
                if response.truncate:
                    # The connection drops halfway through the body.
                    self.wfile.write(response.body[: len(response.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                else:
                    self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a slow answer): nothing to do

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        if self.log_requests:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """Clients that hang up (timeouts, dropped connections) are part of the game: no traceback."""


class Replica:
    """A replica site served from a background thread: ``with Replica(posts=50) as r: r.base_url``."""

    def __init__(
        self,
        posts: int = 300,
        seed: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        log_requests: bool = False,
        faults: FaultPlan | None = None,
        latency: float = 0.0,
        **site_options,
    ):
        """``site_options`` are ``Site``'s: latest, hostile_post, js_index, js_posts,
        live_entries, live_json_ld, second_blog, dress."""
        self.site = Site(posts=posts, seed=seed, **site_options)
        handler = type("Handler", (_Handler,), {"log_requests": log_requests})
        self.server = _Server((host, port), handler)
        host_name, port_number = self.server.server_address[:2]
        self.base_url = f"http://{host_name}:{port_number}"
        self.app = ReplicaApp(self.site, self.base_url, faults)
        self.app.latency = latency
        handler.app = self.app
        self._thread: threading.Thread | None = None

    @property
    def index_url(self) -> str:
        return f"{self.base_url}/z/{BLOG_ZONE}"

    def most_in_flight(self) -> int:
        """The most requests this replica was answering at one time."""
        events = sorted([(start, 1) for start, _, _ in self.app.traffic] + [(end, -1) for _, end, _ in self.app.traffic])
        most = current = 0
        for _, step in events:
            current += step
            most = max(most, current)
        return most

    def start(self) -> "Replica":
        self._thread = threading.Thread(target=self.server.serve_forever, name="replica", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def prerender(self) -> None:
        """Render every index page and post once, so that serving is a cache lookup."""
        app = self.app
        for page in range(self.site.page_count):
            app.respond(f"/z/{BLOG_ZONE}", f"p={page}" if page else "", {})
        for post in self.site.posts:
            app.respond(post.path, "", {})

    def __enter__(self) -> "Replica":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
