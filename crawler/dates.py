"""Pure helpers for dates: whatever a Pangea page writes, stored as UTC ISO 8601."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone


def to_utc_iso(value: str | None, assume_tz=timezone.utc) -> str | None:
    """``"2024-04-28 07:00:00Z"`` or ``"2024-04-28T03:00:00-04:00"`` as ``2024-04-28T07:00:00+00:00``.

    A value without an offset is read in ``assume_tz`` (UTC unless the caller knows the
    page's zone). Anything that is not a date gives None, never an exception.
    """
    moment = _parse_iso(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=assume_tz)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _parse_iso(value) -> datetime | None:
    """An ISO 8601 date and time (``Z`` for UTC too); None for anything else."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def warc_date_to_iso(value: str) -> str:
    """A WARC-Date (``2026-11-25T20:44:03Z``) in the archive's form (``...+00:00``)."""
    return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).isoformat()


def iso_to_warc_date(value: str) -> str:
    """The archive's UTC form back to a WARC-Date."""
    return value[:19] + "Z"


# --- a post's date from all its signals --------------------------------------------------

DAY, CLOCK, ZONED = 0, 1, 2  # how precise a date signal is: a day, a time without zone, a time with its zone
_DAY_ONLY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_MONTHS = {name: n for n, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"), 1)}
# Visible datelines: "April 28, 2024 3:00 AM", "28 April 2024 15:00", "28.4.2024 15:00", "2024-04-28 15:00".
_VISIBLE = (
    re.compile(r"(?P<month>[A-Za-z]+)\.?\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"),
    re.compile(r"(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?\s+(?P<year>\d{4})(?:,?\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"),
    re.compile(r"(?P<day>\d{1,2})\.(?P<mon>\d{1,2})\.(?P<year>\d{4})(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"),
    re.compile(r"(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2}))?"),
)


@dataclass(frozen=True)
class DateSignal:
    source: str  # "json-ld", "time", "meta", "visible"
    moment: datetime  # aware when the signal gives its zone; a day's is midnight
    precision: int

    @property
    def as_utc(self) -> str:
        moment = self.moment if self.moment.tzinfo is not None else self.moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def date_signal(source: str, value) -> DateSignal | None:
    """A machine-readable date (ISO 8601, or a day ``YYYY-MM-DD``) as a signal; None when it is not one."""
    if not value or not isinstance(value, str):
        return None
    day = _DAY_ONLY.match(value)
    if day:
        try:
            return DateSignal(source, datetime(*(int(g) for g in day.groups())), DAY)
        except ValueError:
            return None
    moment = _parse_iso(value)
    if moment is None:
        return None
    return DateSignal(source, moment, ZONED if moment.tzinfo is not None else CLOCK)


def visible_date_signal(text: str | None, zone=None) -> DateSignal | None:
    """The date a page shows to readers, in the numeric or English forms, in its own local
    time: ``zone`` where the page gives it (its ``<time datetime>``'s offset); None when the
    text is none of these forms."""
    for pattern in _VISIBLE:
        found = pattern.search(text or "")
        if not found:
            continue
        parts = found.groupdict()
        month = int(parts["mon"]) if parts.get("mon") else _MONTHS.get((parts.get("month") or "").lower())
        if month is None:
            continue
        hour, minute = int(parts["hour"] or 0), int(parts["minute"] or 0)
        ampm = (parts.get("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        try:
            moment = datetime(int(parts["year"]), month, int(parts["day"]), hour, minute)
        except ValueError:
            continue
        if not parts["hour"]:
            return DateSignal("visible", moment, DAY)
        return DateSignal("visible", moment.replace(tzinfo=zone), ZONED) if zone else DateSignal("visible", moment, CLOCK)
    return None


def _agree(a: DateSignal, b: DateSignal) -> bool:
    """Whether two signals name the same moment, as far as the less precise of them tells."""
    if a.precision == DAY or b.precision == DAY:
        return a.moment.date() == b.moment.date()  # each on its own calendar (its own zone)
    if a.precision == ZONED and b.precision == ZONED:
        return a.moment == b.moment
    zoned, clock = (a, b) if a.precision == ZONED else (b, a)
    if zoned.precision != ZONED:
        return a.moment.replace(second=0) == b.moment.replace(second=0)
    naive = clock.moment.replace(second=0, microsecond=0)
    return naive in (
        zoned.moment.replace(tzinfo=None, second=0, microsecond=0),  # the page's own clock
        zoned.moment.astimezone(timezone.utc).replace(tzinfo=None, second=0, microsecond=0),  # UTC's
    )


def reconcile_dates(signals: list[DateSignal | None]) -> tuple[str | None, int]:
    """The date a post's signals give, and how many of them disagree with it.

    The first signal is the one trusted most (the JSON-LD's, where the page has one): of
    the signals that agree with it, the most precise is kept (a time with its zone over a
    time without, over a day); signals that disagree are counted, and the trusted one is
    kept. A machine-readable time without a zone is read as UTC.
    """
    found = [signal for signal in signals if signal is not None]
    if not found:
        return None, 0
    trusted = next((s for s in found if s.source != "visible"), None)
    if trusted is None:
        return None, 0  # a dateline alone gives no zone: no UTC time to store
    agreeing = [signal for signal in found if _agree(trusted, signal)]
    # A visible dateline is the page's local time without its zone: it confirms, never chosen.
    best = max((s for s in agreeing if s.source != "visible"), key=lambda s: s.precision)
    return best.as_utc, sum(1 for s in found if not (_agree(trusted, s) and _agree(best, s)))
