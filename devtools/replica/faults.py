"""Faults the replica can inject, combinable and deterministic for a seed.

Transient faults hit a page on one of its first ``max_faulty_hits`` requests (a hash of
seed, kind, path and hit number decides), so a crawler that retries, and records what it
could not get for the next run, always completes the archive. Permanent faults are a
property of a page (a hash of seed, kind and path): the page is always served that way.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

# Checked in this order; the first that fires is the fault of that request.
TRANSIENT = (
    "server_error",  # 500, 502 or 503
    "rate_limit",  # 429 with Retry-After
    "slow",  # answers after slow_seconds (longer than the crawler's download timeout)
    "truncate",  # the connection drops in the middle of the body
    "redirect_loop",  # redirects on and on
    "oversize",  # a page larger than the crawler's download limit
    "wrong_type",  # served as application/octet-stream
    "empty_index",  # an index page (not the first) that suddenly lists nothing
)
PERMANENT = (
    "malformed",  # unclosed tags, unquoted attributes, upper-case tags, no </body></html>
    "wrong_charset",  # a UTF-8 page declared as ISO-8859-1 in its Content-Type header
)
KINDS = TRANSIENT + PERMANENT

# ``--faults all``: every fault at once, often enough to be seen in a few hundred pages.
ALL = {
    "server_error": 0.06,
    "rate_limit": 0.03,
    "slow": 0.015,
    "truncate": 0.03,
    "redirect_loop": 0.01,
    "oversize": 0.01,
    "wrong_type": 0.02,
    "empty_index": 0.15,
    "malformed": 0.15,
    "wrong_charset": 0.15,
}


def parse_faults(text: str) -> dict[str, float]:
    """``"all"`` or ``"server_error=0.1,slow=0.02"`` as rates by kind."""
    if not text:
        return {}
    if text.strip() == "all":
        return dict(ALL)
    rates = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in KINDS:
            raise ValueError(f"unknown fault {name!r}; known: all, {', '.join(KINDS)}")
        try:
            rate = float(value) if value else ALL[name]
        except ValueError:
            raise ValueError(f"fault {name}: {value!r} is not a rate between 0 and 1") from None
        if not 0 <= rate <= 1:
            raise ValueError(f"fault {name}: {rate} is not a rate between 0 and 1")
        rates[name] = rate
    return rates


@dataclass
class FaultPlan:
    seed: int = 1
    rates: dict[str, float] = field(default_factory=dict)
    slow_seconds: float = 3.0
    oversize_bytes: int = 1_500_000
    retry_after: int = 1
    max_faulty_hits: int = 3

    def __bool__(self) -> bool:
        return any(self.rates.values())

    def _draw(self, *key) -> float:
        digest = hashlib.blake2b(repr((self.seed, *key)).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def transient(self, path: str, hit: int, later_index_page: bool) -> str | None:
        """The fault of the ``hit``-th request (from 0) of ``path``, if any."""
        if hit >= self.max_faulty_hits:
            return None
        for kind in TRANSIENT:
            rate = self.rates.get(kind, 0)
            if not rate or (kind == "empty_index" and not later_index_page):
                continue
            if self._draw(kind, path, hit) < rate:
                return kind
        return None

    def permanent(self, path: str) -> set[str]:
        return {kind for kind in PERMANENT if self.rates.get(kind, 0) and self._draw(kind, path) < self.rates[kind]}


def malform(html: str) -> str:
    """The same page as sloppy HTML that browsers still read the same way."""
    html = re.sub(r"</(p|li|h4)>", "", html)
    html = re.sub(r'class="(media-block|caption|wsw)"', r"class=\1", html)
    html = html.replace("<figure", "<FIGURE").replace("</figure>", "</FIGURE>")
    html = html.replace("</body>\n</html>", "")
    return html


def empty_index(html: str) -> str:
    """An index page whose list of posts came out empty."""
    return re.sub(r'(<ul id="ordinaryItems">).*?(</ul>)', r"\1\n\2", html, count=1, flags=re.S)
