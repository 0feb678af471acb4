"""Pure helpers for the text of posts."""

from __future__ import annotations

import re
import unicodedata

# What the archive folds of a page's text, and why; everything else is kept exactly as the
# page has it, code point for code point (no Unicode normalisation):
#
# - a run of HTML white space (space, tab, line feed, carriage return, form feed: what a
#   browser collapses when it lays the text out) is one space; a body keeps its paragraph
#   breaks (``clean_body_text``);
# - white space of every kind at the two ends of a field (a no-break space after a
#   dateline's dash) is layout, not text, and goes;
# - U+FEFF, a byte-order mark strayed into the text, goes.
#
# Kept, because they carry meaning: no-break and other non-ASCII spaces inside the text
# (U+00A0, U+202F before French punctuation...), the zero-width non-joiner and joiner
# (Persian ``کتاب‌ها``, Indic conjuncts, emoji), the zero-width space (a word boundary in
# Khmer, Lao, Thai and Burmese) and the word joiner, bidi marks and isolates (LRM, RLM,
# ALM...), combining marks as written (``Cafe\u0301`` stays decomposed), quotes and dashes.
_HTML_SPACE = re.compile("[ \t\n\r\f]+")
_STRAY = dict.fromkeys(map(ord, "\ufeff"))


def clean_text(value: str | None) -> str:
    """One paragraph of text: HTML white space collapsed, no white space at either end,
    every other character as the page has it."""
    if not value or value.isspace():
        return ""
    if "\ufeff" in value:
        value = value.translate(_STRAY)
    return _HTML_SPACE.sub(" ", value).strip()


def same_text_key(value: str) -> str:
    """What two spellings of one name share, to tell repeats apart (case, and the Unicode
    forms of one character, folded); never stored."""
    return unicodedata.normalize("NFC", value).casefold()


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
            seen.setdefault(same_text_key(item), item)
    return list(seen.values())
