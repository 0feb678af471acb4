"""A canary: an HTTP server on another loopback address that records every request it
gets. A crawl of a hostile site must leave it with none."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    requests: list

    def _record(self) -> None:
        self.requests.append((self.command, self.path, self.headers.get("User-Agent", "")))
        body = b"<html><head><link rel='canonical' href='/a/planted-story/424242.html'></head><body><div class='wsw'><p>Planted text.</p></div></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _record

    def log_message(self, *args) -> None:
        pass


class Canary:
    def __init__(self, host: str = "127.0.0.2"):
        self.requests: list = []
        handler = type("CanaryHandler", (_Handler,), {"requests": self.requests})
        self.server = ThreadingHTTPServer((host, 0), handler)
        self.server.daemon_threads = True
        self.base_url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Canary":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
