"""The index's reading of text, per language, and the query read the same way: each case is
a real FTS5 table (the archive's tokenizer) over the terms, asked as the archive asks it."""

import sqlite3

import pytest

from crawler.analysis import TOKENIZE, analysed, index_text, match_expression, words


def search(documents: dict[str, tuple[str, str]], query: str) -> set[str]:
    """The names of the documents (text, language) that the query finds."""
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, content='', tokenize=\"{TOKENIZE}\")")
    names = list(documents)
    for rowid, name in enumerate(names, 1):
        text, language = documents[name]
        conn.execute("INSERT INTO t (rowid, body) VALUES (?, ?)", [rowid, index_text(text, language)])
    found = {names[row[0] - 1] for row in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", [match_expression(query)])}
    conn.close()
    return found


@pytest.mark.parametrize("language, documents, query, expected", [
    # Russian: case endings.
    ("ru", {"a": "Бои в городе продолжались", "b": "Город опустел", "c": "Городов стало больше", "d": "Горе и беда"},
     "город", {"a", "b", "c"}),
    # Chinese: no spaces; the query is a run found where the text holds it.
    ("zh", {"a": "北京市政府今天宣布新的措施", "b": "政府发言人说", "c": "府前街的商店", "d": "上海市民"},
     "政府", {"a", "b"}),
    ("zh", {"a": "北京市政府今天宣布", "b": "市民", "c": "上海"}, "市", {"a", "b"}),
    # Korean: particles attached to the noun.
    ("ko", {"a": "정부는 오늘 발표했다", "b": "정부의 대변인", "c": "정부", "d": "부정적인 반응"},
     "정부", {"a", "b", "c"}),
    # Persian: Arabic or Persian yeh and kaf; a joiner written as ZWNJ, nothing or a space.
    ("fa", {"a": "کتاب\u200cها را خواندیم", "b": "كتابها را خواندیم", "c": "کتاب ها را خواندیم", "d": "کتابخانه بسته است"},
     "کتاب‌ها", {"a", "b", "c"}),
    ("fa", {"a": "در ایران", "b": "در ايران", "c": "در عراق"}, "ايران", {"a", "b"}),
    ("fa", {"a": "آنها می\u200cروند", "b": "آنها میروند", "c": "آنها می روند", "d": "آنها رفتند"}, "می‌روند", {"a", "b", "c"}),
    # Persian plurals of people in -ان and -یان: the singular finds them.
    ("fa", {"a": "خبرنگاران آمدند", "b": "خبرنگار آمد", "c": "دانشجویان آمدند", "d": "تهران"}, "خبرنگار", {"a", "b"}),
    ("fa", {"a": "خبرنگاران آمدند", "b": "دانشجویان آمدند", "c": "دانشجو آمد"}, "دانشجو", {"b", "c"}),
    # Urdu and Pashto (no stemmer): the letters alike all the same.
    ("ur", {"a": "ایران کی کتاب", "b": "ايران كى كتاب", "c": "عراق"}, "ايران كتاب", {"a", "b"}),
    ("ps", {"a": "د ایران", "b": "د ايران", "c": "د عراق"}, "ایران", {"a", "b"}),
    # Arabic: the article and the prefixes before it.
    ("ar", {"a": "دخلوا المدينة", "b": "والمدينة هادئة", "c": "في مدينة حلب", "d": "بالمدينة", "e": "المدرسة مغلقة"},
     "مدينة", {"a", "b", "c", "d"}),
    ("ar", {"a": "قال الوزير", "b": "وزير الدفاع", "c": "زار المدينة"}, "وزير", {"a", "b"}),
    ("ar", {"a": "نشر البيان", "b": "والبيان", "c": "بالبيان", "d": "بيان الحكومة", "e": "الباب"}, "بيان", {"a", "b", "c", "d"}),
    # English: stems, and accents folded.
    ("en", {"a": "Foreign fighters arrived", "b": "A fighter was seen", "c": "The fight went on", "d": "Fireworks"},
     "fighters", {"a", "b"}),
    ("en", {"a": "A café in Raqqa", "b": "A cafe in Mosul", "c": "A cab"}, "Café", {"a", "b"}),
])
def test_a_word_finds_its_forms_and_only_them(language, documents, query, expected):
    found = search({name: (text, language) for name, text in documents.items()}, query)
    assert found == expected


def test_a_word_of_another_script_in_a_post_is_found_as_written():
    documents = {"ru": ("Агентство Reuters сообщает", "ru"), "en": ("Reuters reported", "en"), "zh": ("路透社 Reuters 报道", "zh")}
    assert search(documents, "Reuters") == {"ru", "en", "zh"}
    assert search(documents, "сообщает") == {"ru"}


def test_one_languages_stem_does_not_find_another_languages_word():
    # "город" is Russian for city and Ukrainian for garden; the Russian reading of a
    # Russian post is not found by the Ukrainian word's other forms, and the reverse.
    documents = {"ru": ("В городе тихо", "ru"), "uk": ("На городі тихо", "uk")}
    assert search(documents, "городі") == {"uk"}
    assert search(documents, "городе") == {"ru"}


def test_every_word_of_a_query_must_appear():
    documents = {"a": ("Бои в городе", "ru"), "b": ("В городе тихо", "ru")}
    assert search(documents, "бои город") == {"a"}
    assert search(documents, "") == set()
    assert match_expression("  ,;  ") == '""'


def test_terms_name_the_text_they_come_from():
    text = "В ГОРОДЕ, 北京 کتاب\u200cها"
    spans = [(term, text[start:end]) for term, start, end in analysed(text, "ru")]
    assert ("ru_город", "ГОРОДЕ") in spans
    assert ("北京", "北京") in spans and ("北", "北") in spans
    assert ("كتابها", "کتاب\u200cها") in spans
    assert [w for w, _, _ in words("a\u0301b")] == ["a\u0301b"]  # a mark stays with its letter


def test_digits_of_any_script_and_full_width_letters_fold():
    assert index_text("۱۳۹۹ ١٤٤٥ ＡＢＣ", "fa") == "1399 1445 abc"
    assert index_text("Ёлка ёлка елка", "uk") == "елка елка елка"


def test_marks_of_scripts_that_need_them_are_kept():
    # Devanagari vowel signs and Khmer subscripts are letters of the word, not accents.
    assert index_text("कमल कमला", "mr").split() == ["कमल", "कमला"]
    assert "ក្" in index_text("ក្រុង", "km").split()


def test_a_post_that_names_no_language_is_read_in_the_language_of_its_script():
    from crawler.analysis import reading_language
    from crawler.storage.search import terms

    assert reading_language("ru", "Ωραία") == "ru"
    assert reading_language(None, "Η πόλη και οι πόλεις 2024") == "el"
    assert reading_language(None, "Քաղաքում") == "hy"
    assert reading_language(None, "Город") is None  # Cyrillic: many languages
    assert reading_language(None, "") is None
    # Read as Armenian, its word forms are found.
    documents = {"a": "Գյուղում", "b": "Գյուղ", "c": "Քաղաքի"}
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, content='', tokenize=\"{TOKENIZE}\")")
    for rowid, text in enumerate(documents.values(), 1):
        conn.execute("INSERT INTO t (rowid, body) VALUES (?, ?)", [rowid, terms([text], None)[0]])
    found = {row[0] for row in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", [match_expression("գյուղ")])}
    assert found == {1, 2}
