"""Pure helpers for dates: whatever a Pangea page writes, stored as UTC ISO 8601."""

from __future__ import annotations

from datetime import datetime, timezone


def to_utc_iso(value: str | None, assume_tz=timezone.utc) -> str | None:
    """``"2024-04-28 07:00:00Z"`` or ``"2024-04-28T03:00:00-04:00"`` as ``2024-04-28T07:00:00+00:00``.

    A value without an offset is read in ``assume_tz`` (UTC unless the caller knows the
    page's zone). Anything that is not a date gives None, never an exception.
    """
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=assume_tz)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def warc_date_to_iso(value: str) -> str:
    """A WARC-Date (``2026-11-25T20:44:03Z``) in the archive's form (``...+00:00``)."""
    return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).isoformat()


def iso_to_warc_date(value: str) -> str:
    """The archive's UTC form back to a WARC-Date."""
    return value[:19] + "Z"
