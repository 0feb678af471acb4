"""A failed run said where someone will see it: a JSON ``POST`` to a webhook.

Cron mails a failed run's one line (its exit status is 1); a run under Scrapyd has no
one reading its output. With ``ALERT_WEBHOOK_URL`` set, the run's end is posted there as
JSON (``ALERT_ON = "failed"``, the default: only failed runs; ``"always"``: every run). Chat
services (Slack, Mattermost, Discord through its Slack-compatible URL) show the ``text``
field; anything else can read the rest:

    {"text": "...one line...", "status": "failed", "archive": "...", "run_id": 7,
     "finish_reason": "finished", "message": "...", "started_at": "...", "finished_at": "...",
     "blogs": 6, "blogs_failed": [{"start_url": "...", "message": "..."}],
     "host": "crawler-2", "job": "<Scrapyd job id, when run by Scrapyd>"}

The same facts stay in the archive (``crawl_runs``, ``crawl_run_blogs``), which ``scrapy
merge`` carries. A webhook that cannot be reached costs one warning line; it never changes
the run's status.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request

from .run import run_finished

logger = logging.getLogger(__name__)

ALERT_ON = ("failed", "always")


def alert_text(outcome: dict) -> str:
    failed = outcome.get("blogs_failed") or []
    blogs = f"; {len(failed)} of {outcome.get('blogs')} blogs failed: {', '.join(b['start_url'] for b in failed)}" if failed else ""
    message = f": {outcome['message']}" if outcome.get("message") else ""
    return f"pangea-archive run {outcome.get('run_id')} {outcome.get('status')} on {outcome.get('host')} ({outcome.get('archive')}){blogs}{message}"


class WebhookAlert:
    def __init__(self, url: str, on: str, timeout: float):
        self.url, self.on, self.timeout = url, on, timeout

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        # The crawl command has checked both (crawler.checks.check_alert); without a URL
        # the extension stays, silent and idle.
        alert = cls(settings.get("ALERT_WEBHOOK_URL") or "", settings.get("ALERT_ON", "failed"), settings.getfloat("ALERT_TIMEOUT", 10.0))
        if alert.url:
            crawler.signals.connect(alert.run_finished, signal=run_finished)
        return alert

    def run_finished(self, outcome: dict) -> None:
        if outcome.get("status") != "failed" and self.on == "failed":
            return
        self.post(outcome)

    def post(self, outcome: dict) -> None:
        payload = dict(outcome, host=socket.gethostname())
        payload["text"] = alert_text(payload)
        request = urllib.request.Request(
            self.url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            logger.warning("the alert could not be posted to %s: %s", self.url, reason)
