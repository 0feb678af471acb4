import pytest

from crawler.dates import to_utc_iso
from crawler.text import clean_body_text, clean_text, split_keywords, word_count


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("  AUBURN, Wash. —\u00a0 ", "AUBURN, Wash. —"),
        ("a\n\t b\u202fc", "a b c"),
        ("zero\u200bwidth", "zerowidth"),
        ("Cafe\u0301", "Café"),  # NFC
        ("\u201cquoted\u201d \u2013 dash", "\u201cquoted\u201d \u2013 dash"),  # kept as the page has them
        (None, ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_body_text_keeps_paragraph_breaks():
    assert clean_body_text(" one  two \n\n\n three\u00a0\n  \n four ") == "one two\n\nthree\n\nfour"


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
