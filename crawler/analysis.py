"""How text becomes the words of the full-text index, per language, and how a reader's
query becomes the same words.

The stored text is never changed: this is the index's reading of it. Every script gets
case folding and Unicode compatibility folding (full-width letters, presentation forms,
digits of any script as ASCII digits); then, by script and by the post's language:

- **Stemming** (Snowball, through PyStemmer) for the languages that have a stemmer
  (``STEMMERS``), applied to the words written in that language's script. A stem is
  kept with its language (``ru_город``), so that one language's stem never matches
  another language's word; a word of another script in the same post (a Latin name in
  a Russian text) is kept as written, folded.
- **Diacritics** are folded after stemming in Latin, Greek and Cyrillic words (``café``
  finds ``cafe``; Cyrillic ``ё`` is ``е``, stress marks go; ``й`` stays itself).
- **Arabic script** (Arabic, Persian, Dari, Pashto, Urdu, ...): Arabic and Persian yeh
  and kaf alike, alef forms, teh marbuta as heh, hamza seats, tatweel and harakat gone;
  ZWNJ, ZWJ, nothing and (in Persian) a space before a detached suffix or after the
  verbal prefix are the same word (``کتاب‌ها``, ``کتابها``, ``کتاب ها``). Arabic's
  article goes, with the conjunction or preposition written onto it (``والمدينة`` is ``مدينة``).
- **Scripts written without spaces** (Chinese, Japanese, Thai, Lao, Khmer, Burmese,
  Tibetan) and **Korean** (particles attached to nouns): each run of letters becomes
  its characters (a base and its marks) and every pair of neighbours, interleaved, so
  that a query's run matches exactly where the text holds it (``정부`` finds ``정부는``).
- Every other script: case folding only (its marks are letters of the word).

``ANALYSIS_VERSION`` names this reading: an index made by another one is rebuilt.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

ANALYSIS_VERSION = 2
# The FTS5 tokenizer of an index of these terms: the terms are made here, FTS5 only splits
# them at spaces (``unicode61`` would split words at combining marks: Devanagari vowel
# signs, Khmer subscripts, Arabic harakat).
TOKENIZE = "ascii tokenchars '_'"

# The language code of a post (its primary subtag) -> (Snowball algorithm, scripts it stems).
STEMMERS = {
    "en": ("english", ("LATIN",)),
    "fr": ("french", ("LATIN",)),
    "de": ("german", ("LATIN",)),
    "es": ("spanish", ("LATIN",)),
    "pt": ("portuguese", ("LATIN",)),
    "it": ("italian", ("LATIN",)),
    "ro": ("romanian", ("LATIN",)),
    "mo": ("romanian", ("LATIN",)),
    "tr": ("turkish", ("LATIN",)),
    "id": ("indonesian", ("LATIN",)),
    "hu": ("hungarian", ("LATIN",)),
    "cs": ("czech", ("LATIN",)),
    "pl": ("polish", ("LATIN",)),
    "lt": ("lithuanian", ("LATIN",)),
    "et": ("estonian", ("LATIN",)),
    "fi": ("finnish", ("LATIN",)),
    "sv": ("swedish", ("LATIN",)),
    "da": ("danish", ("LATIN",)),
    "no": ("norwegian", ("LATIN",)),
    "nb": ("norwegian", ("LATIN",)),
    "nn": ("norwegian", ("LATIN",)),
    "nl": ("dutch", ("LATIN",)),
    "ca": ("catalan", ("LATIN",)),
    "eu": ("basque", ("LATIN",)),
    "ga": ("irish", ("LATIN",)),
    "sr": ("serbian", ("LATIN", "CYRILLIC")),
    "ru": ("russian", ("CYRILLIC",)),
    "el": ("greek", ("GREEK",)),
    "hy": ("armenian", ("ARMENIAN",)),
    "ar": ("arabic", ("ARABIC",)),
    "fa": ("persian", ("ARABIC",)),
    "prs": ("persian", ("ARABIC",)),  # Dari
    "hi": ("hindi", ("DEVANAGARI",)),
    "ne": ("nepali", ("DEVANAGARI",)),
    "ta": ("tamil", ("TAMIL",)),
    "yi": ("yiddish", ("HEBREW",)),
}
# A stem is kept with the first code of its algorithm (Norwegian ``nb`` and ``nn`` as ``no``).
TAGS = {}
for _code, (_algorithm, _) in STEMMERS.items():
    TAGS[_code] = next(c for c, (a, _) in STEMMERS.items() if a == _algorithm)

# Persian's detached suffixes and verbal prefixes: written joined, with ZWNJ or with a space.
PERSIAN = {"fa", "prs"}
PERSIAN_SUFFIXES = frozenset({"ها", "های", "هایی", "هایم", "هایت", "هایش", "ترین", "تر", "ام", "ات", "اش", "مان", "تان", "شان"})
PERSIAN_PREFIXES = frozenset({"می", "نمی"})

# Scripts read as runs of characters and their pairs.
SEGMENTED = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN"})
# Scripts whose combining marks are accents to fold (elsewhere a mark is part of the letter).
FOLDED_MARKS = frozenset({"LATIN", "GREEK"})

_ARABIC_LETTERS = str.maketrans({
    "\u064a": "\u064a", "\u0649": "\u064a", "\u06cc": "\u064a", "\u06d0": "\u064a", "\u0626": "\u064a",  # yeh forms
    "\u06a9": "\u0643", "\u06aa": "\u0643",  # keheh, swash kaf
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",  # alef forms
    "\u0629": "\u0647", "\u06c0": "\u0647", "\u06c1": "\u0647", "\u06d5": "\u0647",  # teh marbuta, heh forms
    "\u0624": "\u0648",  # waw with hamza
    "\u0640": None,  # tatweel
    "\u200c": None, "\u200d": None,  # ZWNJ, ZWJ: the same word joined or not
})
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
# The article with the conjunction or preposition written onto it (wa-l-, fa-l-, bi-l-,
# ka-l-, li-l-, al-), taken off a word that stays three letters long or more: Snowball's
# Arabic stemmer alone takes ``والبيان`` to another stem than ``البيان`` and ``بيان``.
_ARABIC_ARTICLE = re.compile("^(?:\u0648\u0627\u0644|\u0641\u0627\u0644|\u0628\u0627\u0644|\u0643\u0627\u0644|\u0644\u0644|\u0627\u0644)(?=...)")


def primary_language(language: str | None) -> str | None:
    """``fa-IR`` -> ``fa``; None for no language."""
    if not language:
        return None
    return re.split(r"[-_]", language.strip(), maxsplit=1)[0].lower() or None


@lru_cache(maxsize=65536)
def script_of(char: str) -> str | None:
    """The script of a letter, digit or mark (the first word of its Unicode name: LATIN,
    CYRILLIC, ARABIC, CJK, HANGUL, ...), ``DIGIT`` for a digit, None for anything else."""
    category = unicodedata.category(char)
    if category == "Nd":
        return "DIGIT"
    if category[0] not in "LM" and char not in "\u200c\u200d":
        return None
    name = unicodedata.name(char, "")
    if not name:
        return "OTHER"
    first = name.split(" ", 1)[0]
    if first in ("ARABIC-INDIC", "EXTENDED"):
        return "ARABIC"
    return first


@lru_cache(maxsize=64)
def _stemmer(algorithm: str):
    return Stemmer.Stemmer(algorithm, 100_000)  # a cache of the words stemmed: a language's words repeat


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    """Compatibility and case folding of one character; a digit becomes its ASCII digit."""
    if unicodedata.category(char) == "Nd":
        return str(unicodedata.digit(char, 0))
    return unicodedata.normalize("NFKC", char).casefold()


_JOINERS = "\u200c\u200d"


_ASCII_WORD = re.compile(r"[a-z]+|[0-9]+")  # over the stretch in lower case
_TOKEN = re.compile(r"\S+")


def words(text: str) -> list[tuple[str, str, list[tuple[str, int, int]]]]:
    """The words of ``text``: (folded word, script, pieces), a piece being the folding of
    a stretch of ``text`` and that stretch's start and end. A word is a run of letters,
    marks and digits of one script; marks and joiners go with the letters before them (a
    joiner is dropped: a word is the same joined or not). White space always ends a
    word: a stretch between spaces that is all ASCII is read at once."""
    found: list = []
    if text.isascii():
        _ascii_words(text, 0, found)
        return found
    for token in _TOKEN.finditer(text):
        chunk = token.group()
        if chunk.isascii():
            _ascii_words(chunk, token.start(), found)
        else:
            _words_of(chunk, token.start(), found)
    return found


def _ascii_words(chunk: str, offset: int, found: list) -> None:
    append = found.append
    for match in _ASCII_WORD.finditer(chunk.lower()):
        word = match.group()
        start = offset + match.start()
        append((word, "DIGIT" if word[0] <= "9" else "LATIN", [(word, start, start + len(word))]))


def _words_of(chunk: str, offset: int, found: list) -> None:
    """The words of a stretch without white space, a character at a time."""
    pieces: list[tuple[str, int, int]] = []
    script = None

    def close():
        if pieces:
            found.append(("".join(piece for piece, _, _ in pieces), script, list(pieces)))
            pieces.clear()

    for index, char in enumerate(chunk, offset):
        if char in _JOINERS:
            continue  # inside a word it joins nothing the index tells apart; outside it is nothing
        kind = script_of(char)
        if kind is None:
            close()
            continue
        if unicodedata.category(char)[0] == "M":
            if pieces:
                pieces.append((_fold_char(char), index, index + 1))
            continue  # a mark with no letter before it
        if pieces and kind != script:
            close()
        if not pieces:
            script = kind
        folded = _fold_char(char)
        if folded:
            pieces.append((folded, index, index + 1))
    close()


def _fold_marks(word: str, script: str | None) -> str:
    if script == "CYRILLIC":
        decomposed = unicodedata.normalize("NFD", word).replace("\u0301", "").replace("\u0300", "")
        return unicodedata.normalize("NFC", decomposed).replace("ё", "е")
    if script in FOLDED_MARKS:
        return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")
    return word


def _arabic(word: str) -> str:
    return _ARABIC_MARKS.sub("", word.translate(_ARABIC_LETTERS))


def _segments(pieces: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """A run of a script without spaces: each character (a base with the marks that follow
    it) and each pair of neighbours, interleaved (a, ab, b, bc, c), with their spans."""
    clusters: list[list] = []  # [text, start, end]
    for piece, start, end in pieces:
        if clusters and all(unicodedata.category(c)[0] == "M" for c in piece):
            clusters[-1][0] += piece
            clusters[-1][2] = end
        else:
            clusters.append([piece, start, end])
    terms = []
    for index, (cluster, start, end) in enumerate(clusters):
        terms.append((cluster, start, end))
        if index + 1 < len(clusters):
            following = clusters[index + 1]
            terms.append((cluster + following[0], start, following[2]))
    return terms


_PERSIAN_PLURALS = (_arabic("یان"), _arabic("ان"))  # plurals of people, the longer first
_SUFFIXES = frozenset(_arabic(word) for word in PERSIAN_SUFFIXES)  # as the words are when they are compared
_PREFIXES = frozenset(_arabic(word) for word in PERSIAN_PREFIXES)


def _persian_joined(items: list[list]) -> list[list]:
    """Persian words written apart from their detached suffix or verbal prefix, joined."""
    joined: list[list] = []
    for item in items:
        if item[1] == "ARABIC" and joined and joined[-1][1] == "ARABIC":
            previous = joined[-1]
            if item[0] in _SUFFIXES or previous[0] in _PREFIXES:
                joined[-1] = [previous[0] + item[0], "ARABIC", previous[2] + item[2]]
                continue
        joined.append(list(item))
    return joined


def _terms(text: str | None, language: str | None, extras: bool = True) -> list[tuple[str, int, int, int]]:
    """(term, start, end, word number) for each term of ``text`` read in ``language``.
    ``extras``: the terms a word adds for its other forms (a Persian plural in ``ان`` is
    its singular too), after every other term so that phrases stay as written; a query
    is read without them."""
    if not text:
        return []
    code = primary_language(language)
    stemming = STEMMERS.get(code) if code else None
    items = [[word, script, pieces] for word, script, pieces in words(text)]
    for item in items:
        if item[1] == "ARABIC":
            item[0] = _arabic(item[0])
    if code in PERSIAN:
        items = _persian_joined(items)
    terms: list[tuple[str, int, int, int]] = []
    to_stem: list[tuple[int, str]] = []  # (place in terms, script)
    for number, (word, script, pieces) in enumerate(items):
        if not word:
            continue
        start, end = pieces[0][1], pieces[-1][2]
        if script in SEGMENTED:
            terms.extend((term, s, e, number) for term, s, e in _segments(pieces))
        elif stemming is not None and script in stemming[1]:
            to_stem.append((len(terms), script))
            terms.append((word, start, end, number))
        else:
            terms.append((word if word.isascii() else _fold_marks(word, script), start, end, number))
    if to_stem:
        stemmer = _stemmer(stemming[0])
        originals = [terms[place][0] for place, _ in to_stem]
        if code == "ar":
            originals = [_ARABIC_ARTICLE.sub("", word, count=1) for word in originals]
        stems = stemmer.stemWords(originals)
        if code == "ar":
            # Snowball's Arabic stemmer takes one prefix at a time: stemmed until it stands.
            for _ in range(2):
                again = stemmer.stemWords(stems)
                if again == stems:
                    break
                stems = again
        tag = TAGS[code]
        for (place, script), stem in zip(to_stem, stems):
            _, start, end, number = terms[place]
            terms[place] = (f"{tag}_{stem if stem.isascii() else _fold_marks(stem, script)}", start, end, number)
        if extras and code in PERSIAN:
            singulars = [(place, word[: -len(ending)]) for (place, _), word in zip(to_stem, originals)
                         for ending in _PERSIAN_PLURALS if word.endswith(ending) and len(word) - len(ending) >= 3]
            for (place, singular), stem in zip(singulars, stemmer.stemWords([w for _, w in singulars])):
                _, start, end, number = terms[place]
                terms.append((f"{tag}_{stem}", start, end, number))
    return terms


def analysed(text: str | None, language: str | None) -> list[tuple[str, int, int]]:
    """The index terms of ``text`` read in ``language``, in order, each with the span of
    ``text`` it comes from."""
    return [(term, start, end) for term, start, end, _ in _terms(text, language)]


# Scripts that one language of the network writes: a post that names no language is read
# in it when most of its letters are of that script.
SCRIPT_LANGUAGES = {"ARMENIAN": "hy", "GREEK": "el", "GEORGIAN": "ka", "HANGUL": "ko", "HIRAGANA": "ja", "KATAKANA": "ja",
                    "THAI": "th", "LAO": "lo", "KHMER": "km", "MYANMAR": "my", "TIBETAN": "bo", "HEBREW": "he"}


def reading_language(language: str | None, text: str) -> str | None:
    """The language a text is read in: the one its post names, else the language of the
    script most of its letters are written in, when one language writes that script alone
    (Armenian, Greek, Georgian, Korean, ...); else none (case folding only)."""
    if language:
        return language
    counts: dict[str, int] = {}
    for char in text[:2000]:
        script = script_of(char)
        if script and script not in ("DIGIT", "OTHER") and unicodedata.category(char)[0] == "L":
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    script, count = max(counts.items(), key=lambda item: item[1])
    return SCRIPT_LANGUAGES.get(script) if count * 2 > sum(counts.values()) else None


def index_text(text: str | None, language: str | None) -> str:
    """What the full-text index holds for ``text``: its terms, space-separated."""
    return " ".join(term for term, _, _ in analysed(text, language))


def query_languages(text: str) -> list[str | None]:
    """The readings a query is tried in: the reading of no language (folding only), which
    the index holds for the languages without a stemmer and for words of other scripts,
    and every language whose stemmer stems one of the query's scripts."""
    scripts = {script for _, script, _ in words(text)}
    languages: list[str | None] = [None]
    for code, (_, stemmed) in STEMMERS.items():
        if TAGS[code] == code and scripts & set(stemmed):
            languages.append(code)
    return languages


def _phrase(terms: list[str]) -> str:
    return '"' + " ".join(terms) + '"'


def match_expression(text: str) -> str:
    """The FTS5 expression that finds ``text``'s words in the index: each word of the query
    (a phrase of its characters and pairs in scripts without spaces) must appear, in any
    one of the readings it can have (``query_languages``). Empty text matches nothing."""
    alternatives: list[str] = []
    for language in query_languages(text):
        groups = word_groups(text, language)
        if groups:
            expression = " AND ".join(_phrase(group) for group in groups)
            if expression not in alternatives:
                alternatives.append(expression)
    if not alternatives:
        return '""'
    if len(alternatives) == 1:
        return alternatives[0]
    return " OR ".join(f"({alternative})" for alternative in alternatives)


def word_groups(text: str, language: str | None) -> list[list[str]]:
    """The terms of each word of ``text`` read in ``language``, a list per word (a run of a
    script without spaces is one word: its characters and pairs)."""
    groups: dict[int, list[str]] = {}
    for term, _, _, number in _terms(text, language, extras=False):
        groups.setdefault(number, []).append(term)
    return list(groups.values())


def phrase_expression(text: str, prefix: bool = False) -> str:
    """A phrase of FTS5's own syntax (``"foreign fighters"``, ``fight*``) read as the index
    reads text: in each reading, its terms in order as one phrase (the last one a prefix
    when ``prefix``)."""
    alternatives: list[str] = []
    for language in query_languages(text):
        found = [term for term, _, _, _ in _terms(text, language, extras=False)]
        if found:
            expression = _phrase(found) + ("*" if prefix else "")
            if expression not in alternatives:
                alternatives.append(expression)
    if not alternatives:
        return '""'
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


# FTS5's own query syntax, piece by piece: a quoted phrase, an operator or a parenthesis,
# a column filter, a bare word (with a prefix star).
_SYNTAX = re.compile(r'"(?:[^"]|"")*"\*?|\b(?:AND|OR|NOT|NEAR)\b|[(),^+:]|[^\s"(),^+:*]+\*?|\*|\s+')
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


def _reading_phrase(piece: str, language: str | None) -> str | None:
    """A bare word or a quoted phrase of FTS5's syntax read in one language, as a phrase."""
    star = piece.endswith("*")
    text = piece.rstrip("*")
    if text.startswith('"'):
        text = text[1:-1].replace('""', '"')
    found = [term for term, _, _, _ in _terms(text, language, extras=False)]
    return _phrase(found) + ("*" if star else "") if found else None


def _near(pieces: list[str]) -> str:
    """``NEAR(phrase phrase ..., N)``, in each reading its words can have: a NEAR group
    holds phrases only, so the readings are NEAR groups of their own, OR'd."""
    phrases = [p for p in pieces if p.strip() and p not in ",+" and not p.isdigit()]
    distance = next((p for p in reversed(pieces) if p.isdigit()), None)
    languages = query_languages(" ".join(phrases))
    groups = []
    for language in languages:
        read = [_reading_phrase(p, language) for p in phrases]
        if read and all(read):
            group = "NEAR(" + " ".join(read) + (f", {distance}" if distance else "") + ")"
            if group not in groups:
                groups.append(group)
    if not groups:
        return '""'
    return groups[0] if len(groups) == 1 else "(" + " OR ".join(groups) + ")"


def raw_expression(text: str) -> str:
    """FTS5's own syntax (``AND``, ``OR``, ``NOT``, ``"phrases"``, ``prefix*``,
    ``NEAR(...)``, ``column:``), each word and phrase read as the index reads text."""
    out = []
    pieces = [p for p in _SYNTAX.findall(text)]
    index = 0
    while index < len(pieces):
        piece = pieces[index]
        following = next((p for p in pieces[index + 1:] if p.strip()), None)
        if piece == "NEAR" and following == "(":
            opened = pieces.index("(", index)
            closed = pieces.index(")", opened) if ")" in pieces[opened:] else len(pieces)
            out.append(_near(pieces[opened + 1:closed]))
            index = closed + 1
            continue
        if not piece.strip() or piece in _OPERATORS or piece in "(),^+:":
            out.append(piece)
        elif following == ":":
            out.append(piece)  # a column's name
        else:
            out.append(phrase_expression(piece.rstrip("*").strip('"').replace('""', '"') if piece.startswith('"') else piece.rstrip("*"),
                                         prefix=piece.endswith("*")))
        index += 1
    return "".join(out)


def query_terms(text: str) -> set[str]:
    """Every term a query can match, in any of its readings (what a snippet marks)."""
    found = set()
    for language in query_languages(text):
        found.update(term for term, _, _, _ in _terms(text, language, extras=False))
    return found


def snippet(text: str | None, query: str, language: str | None, marks: tuple[str, str], words_around: int = 24,
            ellipsis: str = " … ") -> str | None:
    """The part of ``text`` around its first match of ``query`` (about ``words_around``
    words), each matching span between ``marks``, as the text is written."""
    if not text:
        return None
    wanted = query_terms(query)
    spans = sorted({(start, end) for term, start, end in analysed(text, language) if term in wanted})
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    if not pieces:
        return None
    first = next((i for i, (s, e) in enumerate(pieces) if merged and e > merged[0][0]), 0)
    lo = max(0, first - words_around // 3)
    hi = min(len(pieces), lo + words_around)
    begin, finish = pieces[lo][0], pieces[hi - 1][1]
    out, at = [], begin
    for start, end in merged:
        if end <= begin or start >= finish:
            continue
        start, end = max(start, begin), min(end, finish)
        out.append(text[at:start])
        out.append(marks[0] + text[start:end] + marks[1])
        at = end
    out.append(text[at:finish])
    return (ellipsis.lstrip() if lo else "") + "".join(out) + (ellipsis.rstrip() if hi < len(pieces) else "")
