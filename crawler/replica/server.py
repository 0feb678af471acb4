"""The replica's HTTP server: a Pangea blog on loopback, for the demo, the tests and the benchmarks."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .content import BLOG_ZONE, Site
from .pages import FEED_PATH, Renderer

_POST = re.compile(r"^/(?P<kind>a|content|amp)/(?:(?P<slug>[^/]+)/)?(?P<id>\d+)(?:/lbl\d+lbi\d+)?\.html$")
_SITEMAP = re.compile(r"^/sitemap_rferl_(?P<n>\d+)\.xml\.gz$")


class Response:
    __slots__ = ("status", "body", "headers")

    def __init__(self, status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8", **headers: str):
        self.status = status
        self.body = body
        self.headers = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}


class ReplicaApp:
    """Routes a path to a response. Pages are rendered once and kept."""

    def __init__(self, site: Site, base_url: str):
        self.site = site
        self.renderer = Renderer(site, base_url)
        self._cache: dict[str, Response] = {}
        self._lock = threading.Lock()
        self.hits: Counter[str] = Counter()

    # --- changes while serving: the admin endpoints and the in-process API ----------------
    def add_posts(self, count: int) -> list[int]:
        with self._lock:
            added = self.site.add_posts(count, at=datetime.now(timezone.utc))
            self._cache.clear()
        return [spec.id for spec in added]

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
            elif path == "/_admin/delete":
                result = {"deleted": self.delete_post(int(params["id"]))}
            else:
                return Response(404, b"{}", "application/json")
        except (KeyError, ValueError) as error:
            return Response(400, json.dumps({"error": str(error)}).encode(), "application/json")
        return Response(200, json.dumps(result).encode(), "application/json")

    def respond(self, path: str, query: str, headers) -> Response:
        key = f"{path}?{query}"
        with self._lock:
            self.hits[key] += 1
            cached = self._cache.get(key)
        if cached is None:
            cached = self._route(path, query)
            with self._lock:
                self._cache[key] = cached
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

    def _html(self, text: str, modified=None) -> Response:
        body = text.encode("utf-8")
        headers = {"ETag": '"' + hashlib.sha1(body).hexdigest()[:16] + '"'}
        if modified is not None:
            headers["Last_Modified"] = format_datetime(modified, usegmt=True)
        return Response(200, body, **headers)

    def _route(self, path: str, query: str) -> Response:
        site, render = self.site, self.renderer
        if path in (f"/z/{BLOG_ZONE}", f"/z/{BLOG_ZONE}/"):
            try:
                page = int(parse_qs(query).get("p", ["0"])[0])
            except ValueError:
                page = 0
            if 0 <= page < site.page_count:
                return self._html(render.index(page))
            return Response(404, b"<html><body><h1>Page not found</h1></body></html>")
        match = _POST.match(path)
        if match:
            post = site.by_id.get(int(match["id"]))
            if post is None:
                return Response(404, b"<html><body><h1>Page not found</h1></body></html>")
            if match["kind"] == "content":
                return Response(301, b"", Location=render.absolute(post.path))
            if match["kind"] == "amp":
                return self._html(render.amp(post), post.modified)
            return self._html(render.post(post), post.modified)
        if path == FEED_PATH:
            return Response(200, render.rss().encode("utf-8"), "application/rss+xml; charset=utf-8")
        if path == "/sitemap.xml":
            return Response(200, render.sitemap_index().encode("utf-8"), "application/xml; charset=utf-8")
        match = _SITEMAP.match(path)
        if match:
            body = render.sitemap(int(match["n"]))
            if body is not None:
                return Response(200, body, "application/x-gzip")
        if path == "/robots.txt":
            return Response(200, render.robots().encode("utf-8"), "text/plain; charset=utf-8")
        return Response(404, b"<html><body><h1>Page not found</h1></body></html>")


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
        parts = urlsplit(self.path)
        self._send(self.app.respond(parts.path, parts.query, self.headers), with_body)

    def _send(self, response: Response, with_body: bool) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if value:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if with_body and response.body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        if self.log_requests:
            super().log_message(format, *args)


class Replica:
    """A replica site served from a background thread: ``with Replica(posts=50) as r: r.base_url``."""

    def __init__(
        self,
        posts: int = 300,
        seed: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        log_requests: bool = False,
        latest: datetime | None = None,
    ):
        self.site = Site(posts=posts, seed=seed, latest=latest)
        handler = type("Handler", (_Handler,), {"log_requests": log_requests})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        host_name, port_number = self.server.server_address[:2]
        self.base_url = f"http://{host_name}:{port_number}"
        self.app = ReplicaApp(self.site, self.base_url)
        handler.app = self.app
        self._thread: threading.Thread | None = None

    @property
    def index_url(self) -> str:
        return f"{self.base_url}/z/{BLOG_ZONE}"

    def start(self) -> "Replica":
        self._thread = threading.Thread(target=self.server.serve_forever, name="replica", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "Replica":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
