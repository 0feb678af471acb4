import pytest

from crawler.dates import to_utc_iso
from crawler.text import clean_body_text, clean_text, split_keywords, word_count


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("  AUBURN, Wash. —\u00a0 ", "AUBURN, Wash. —"),  # white space of any kind at the ends goes
        ("a\n\t b\u202fc", "a b\u202fc"),  # HTML white space collapses; a narrow no-break space is kept
        ("one\u00a0\u00a0 two", "one\u00a0\u00a0 two"),  # a browser shows both no-break spaces
        ("\u06a9\u062a\u0627\u0628\u200c\u0647\u0627", "\u06a9\u062a\u0627\u0628\u200c\u0647\u0627"),  # Persian ZWNJ
        ("\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"),  # a ZWJ in Devanagari
        ("\u1780\u17d2\u1798\u17c2\u179a\u200b\u1797\u17b6\u179f\u17b6", "\u1780\u17d2\u1798\u17c2\u179a\u200b\u1797\u17b6\u179f\u17b6"),  # Khmer's ZWSP
        ("\u05e9\u05dc\u05d5\u05dd \u200fABC\u200e", "\u05e9\u05dc\u05d5\u05dd \u200fABC\u200e"),  # bidi marks
        ("\u2068\u0645\u062b\u0627\u0644\u2069", "\u2068\u0645\u062b\u0627\u0644\u2069"),  # an isolate
        ("Cafe\u0301", "Cafe\u0301"),  # no normalisation: the code points as written
        ("\u1100\u1161", "\u1100\u1161"),  # Hangul jamo stay jamo
        ("\uf900", "\uf900"),  # a CJK compatibility ideograph (NFC would change it)
        ("\ufeffTitle", "Title"),  # a stray byte-order mark goes
        ("\u201cquoted\u201d \u2013 dash", "\u201cquoted\u201d \u2013 dash"),  # kept as the page has them
        (None, ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_body_text_keeps_paragraph_breaks():
    assert clean_body_text(" one  two \n\n\n three\u00a0\n  \n four ") == "one two\n\nthree\n\nfour"


def test_repeated_names_are_told_apart_by_case_and_unicode_form_and_the_first_spelling_is_kept():
    assert split_keywords(["Cafe\u0301", "CAF\u00c9", "\u062a\u0647\u0631\u0627\u0646"]) == ["Cafe\u0301", "\u062a\u0647\u0631\u0627\u0646"]
    assert split_keywords("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645, \u0645\u06cc\u062e\u0648\u0627\u0647\u0645") == [
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u062e\u0648\u0627\u0647\u0645"
    ]  # with and without ZWNJ: two spellings the site wrote, both kept


def test_word_count():
    assert word_count("one two\n\nthree") == 3
    assert word_count("") == 0


@pytest.mark.parametrize(
    "raw, tags",
    [
        ("USA, United States", ["USA", "United States"]),
        (["Syria", " syria ", "Iraq"], ["Syria", "Iraq"]),
        ("", []),
        (None, []),
    ],
)
def test_split_keywords(raw, tags):
    assert split_keywords(raw) == tags


@pytest.mark.parametrize(
    "raw, iso",
    [
        ("2024-04-28 07:00:00Z", "2024-04-28T07:00:00+00:00"),
        ("2024-04-28T03:00:00-04:00", "2024-04-28T07:00:00+00:00"),
        ("2016-07-01T16:52:00+02:00", "2016-07-01T14:52:00+00:00"),
        ("2015-02-05T11:24:00", "2015-02-05T11:24:00+00:00"),
        ("2015-02-05T11:24:00.123456Z", "2015-02-05T11:24:00+00:00"),
        ("February 5, 2015", None),
        ("", None),
        (None, None),
    ],
)
def test_to_utc_iso(raw, iso):
    assert to_utc_iso(raw) == iso
