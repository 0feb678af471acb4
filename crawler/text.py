"""Pure helpers for the text of posts."""

from __future__ import annotations

import re
import unicodedata

# Every kind of horizontal or vertical space, the non-breaking ones included (str.split
# knows them all), folds to one ASCII space inside a paragraph. Zero-width characters,
# which are not spaces to Python, are dropped.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_HAS_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]").search


def clean_text(value: str | None) -> str:
    """One paragraph of text: NFC, spaces collapsed, no leading or trailing space.

    Quotes and dashes are kept as the page has them.
    """
    if not value or value.isspace():
        return ""
    if value.isascii():  # no zero-width characters, nothing to compose: the common case
        return " ".join(value.split())
    if _HAS_ZERO_WIDTH(value):  # rare; translating every string cost more than the rest
        value = value.translate(_ZERO_WIDTH)
    return unicodedata.normalize("NFC", " ".join(value.split()))


def join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs in order, separated by one blank line; empty ones left out."""
    return "\n\n".join(p for p in paragraphs if p)


def clean_body_text(value: str | None) -> str:
    """A whole body: each paragraph cleaned, paragraph breaks kept."""
    if not value:
        return ""
    return join_paragraphs([clean_text(p) for p in re.split(r"\n\s*\n", value)])


def word_count(text: str | None) -> int:
    return len(text.split()) if text else 0


def split_keywords(value: str | list | None) -> list[str]:
    """``"USA, United States"`` or ``["USA", "United States"]`` as a list, order kept, no repeats."""
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    seen: dict[str, str] = {}
    for item in items:
        item = clean_text(str(item))
        if item:
            seen.setdefault(item.casefold(), item)
    return list(seen.values())
