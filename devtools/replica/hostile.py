"""A hostile replica: pages that try to send the crawler, or the browser it drives, to
another site (a "canary" that logs every request it gets), and pages that claim to be
another post or a post of another site.

Each path a crawler may be led off its site by has a post of its own:

- ``retry_redirect``: 503 first, then a 302 to the canary (a retried request is
  ``dont_filter``, and Scrapy's offsite filter looks away from it and its redirects);
- ``binary_redirect``: a non-HTML answer first, then a 302 to the canary;
- ``meta_refresh``: an HTML page whose meta refresh leads to the canary;
- ``script_escape``: a body filled by script (so it is rendered) whose scripts fetch the
  canary, open it in a pop-up and a frame, register a service worker, send a beacon and
  finally move ``location`` there;
- ``canonical_other_post``: a page whose canonical, og:url and JSON-LD name another post
  of the site;
- ``canonical_other_site``: a page whose canonical names a post on another host;
- ``deep_nest``: a body whose last paragraph sits 100,000 ``<div>``s deep.

The index, the feed and the sitemap also list post URLs on the canary.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = (
    "retry_redirect",
    "binary_redirect",
    "meta_refresh",
    "script_escape",
    "canonical_other_post",
    "canonical_other_site",
    "deep_nest",
)
# How deep the ``deep_nest`` post nests its last paragraph.
DEEP_NEST = 100_000
DEEP_TEXT = "This sentence sits at the bottom of a very deep nest of elements."


@dataclass
class Hostility:
    canary: str  # the canary's base URL, like http://127.0.0.2:8999
    posts: dict  # kind -> post id

    def canary_post(self, post_id: int) -> str:
        return f"{self.canary}/a/planted-story/{post_id}.html"

    def kind_of(self, post_id: int) -> str | None:
        for kind, hostile_id in self.posts.items():
            if hostile_id == post_id:
                return kind
        return None


def escape_script(canary: str) -> str:
    """Every way a page's script can reach another site."""
    return f"""<script>
(function () {{
  var canary = "{canary}";
  try {{ fetch(canary + "/fetch", {{mode: "no-cors"}}); }} catch (e) {{}}
  try {{ var x = new XMLHttpRequest(); x.open("GET", canary + "/xhr"); x.send(); }} catch (e) {{}}
  try {{ navigator.sendBeacon(canary + "/beacon", "x"); }} catch (e) {{}}
  try {{ window.open(canary + "/popup"); }} catch (e) {{}}
  try {{ var f = document.createElement("iframe"); f.src = canary + "/frame"; document.body.appendChild(f); }} catch (e) {{}}
  try {{ var s = document.createElement("script"); s.src = canary + "/script.js"; document.head.appendChild(s); }} catch (e) {{}}
  try {{ if (navigator.serviceWorker) navigator.serviceWorker.register("/sw.js"); }} catch (e) {{}}
  setTimeout(function () {{ window.location.href = canary + "/navigate"; }}, 50);
}})();
</script>
"""


SERVICE_WORKER = """self.addEventListener("install", function () { fetch("CANARY/service-worker"); });
self.addEventListener("fetch", function (event) { fetch("CANARY/service-worker-fetch"); });
"""


def deep_nest() -> str:
    return "<div>" * DEEP_NEST + f"<p>{DEEP_TEXT}</p>" + "</div>" * DEEP_NEST
