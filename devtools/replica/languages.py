"""The replica's blog in other languages (``--lang``): posts written in Russian, Persian,
Arabic, Chinese or Korean from word lists of our own, as the services of those languages
write them (their ``lang``, ``dir`` and JSON-LD ``inLanguage``).

Each word of a list comes in the forms real text gives it (Russian case endings; Persian
plurals written with ZWNJ, joined or with a space, Arabic or Persian yeh and kaf; the
Arabic article and the prefixes on it; Korean particles; Chinese has one form and no
spaces). A post uses some of the words, each in one form throughout, as real text does;
the site remembers which (``Site.words_of``), so a test knows which posts hold a word.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# code -> (html lang, dir, JSON-LD inLanguage)
PAGE_LANGUAGES = {
    "en": ("en", "ltr", "en-US"),
    "ru": ("ru", "ltr", "ru-RU"),
    "fa": ("fa", "rtl", "fa-IR"),
    "ar": ("ar", "rtl", "ar"),
    "zh": ("zh-Hans", "ltr", "zh-CN"),
    "ko": ("ko", "ltr", "ko-KR"),
}


@dataclass(frozen=True)
class Word:
    gloss: str  # for the URL's slug
    typed: str  # the form a reader types
    forms: tuple[str, ...]


def _words(spec: list[tuple[str, str]]) -> list[Word]:
    return [Word(gloss, forms.split("|")[0], tuple(forms.split("|"))) for gloss, forms in spec]


WORDS = {
    "ru": _words([
        ("city", "город|города|городе|городом|городу"), ("country", "страна|страны|стране|страну|страной"),
        ("border", "граница|границы|границе|границу|границей"), ("government", "правительство|правительства|правительстве|правительству"),
        ("army", "армия|армии|армию|армией"), ("statement", "заявление|заявления|заявлении|заявлением"),
        ("group", "группа|группы|группе|группу|группой"), ("minister", "министр|министра|министру|министром|министре"),
        ("journalist", "журналист|журналиста|журналисту|журналистом"), ("oil", "нефть|нефти|нефтью"),
        ("river", "река|реки|реке|реку|рекой"), ("school", "школа|школы|школе|школу|школой"),
        ("law", "закон|закона|законе|законом|закону"), ("court", "суд|суда|суде|судом|суду"),
        ("square", "площадь|площади|площадью"), ("photograph", "фотография|фотографии|фотографию|фотографией"),
        ("message", "сообщение|сообщения|сообщении|сообщением"), ("hospital", "больница|больницы|больнице|больницу"),
        ("factory", "завод|завода|заводе|заводом"),
    ]),
    "fa": _words([
        ("book", "کتاب\u200cها|کتابها|کتاب ها|کتاب|كتاب"), ("city", "شهر|شهرها|شهر\u200cها|شهر ها"), ("iran", "ایران|ايران"),
        ("university", "دانشگاه|دانشگاه\u200cها|دانشگاهها"), ("country", "کشور|کشورها|کشور\u200cها|كشور"),
        ("government", "دولت|دولت\u200cها|دولتها"), ("prison", "زندان|زندان\u200cها|زندانها"),
        ("newspaper", "روزنامه|روزنامه\u200cها|روزنامه ها"), ("bigger", "بزرگ|بزرگتر|بزرگ\u200cتر|بزرگ تر"),
        ("they-go", "می\u200cروند|میروند|می روند"), ("work", "کار|کارها|کار\u200cها"), ("reporter", "خبرنگار|خبرنگاران"),
        ("school", "مدرسه|مدرسه\u200cها"), ("hospital", "بیمارستان|بيمارستان|بیمارستان\u200cها"), ("worker", "کارگر|کارگران|كارگر"),
        ("they-say", "می\u200cگویند|میگویند|می گویند"),
    ]),
    "ar": _words([
        ("city", "مدينة|المدينة|والمدينة|بالمدينة|للمدينة"), ("government", "حكومة|الحكومة|والحكومة|بالحكومة|للحكومة"),
        ("minister", "وزير|الوزير|والوزير|للوزير"), ("army", "جيش|الجيش|والجيش|بالجيش"),
        ("journalist", "صحفي|الصحفي|والصحفي|للصحفي"), ("school", "مدرسة|المدرسة|والمدرسة|بالمدرسة"),
        ("market", "سوق|السوق|والسوق|بالسوق"), ("river", "نهر|النهر|والنهر"), ("statement", "بيان|البيان|والبيان|بالبيان"),
        ("village", "قرية|القرية|والقرية|بالقرية"), ("police", "شرطة|الشرطة|والشرطة"),
        ("hospital", "مستشفى|المستشفى|والمستشفى|بالمستشفى"), ("court", "محكمة|المحكمة|والمحكمة|بالمحكمة"),
        ("road", "طريق|الطريق|والطريق|بالطريق"),
    ]),
    "zh": _words([
        ("government", "政府"), ("beijing", "北京"), ("reporter", "记者"), ("economy", "经济"), ("school", "学校"),
        ("hospital", "医院"), ("police", "警察"), ("army", "军队"), ("city", "城市"), ("river", "河流"), ("oil", "石油"),
        ("court", "法院"), ("report", "报告"), ("news", "新闻"), ("border", "边境"), ("factory", "工厂"), ("farmers", "农民"),
        ("bank", "银行"), ("election", "选举"), ("university", "大学"),
    ]),
    "ko": _words([
        ("government", "정부|정부는|정부의|정부가|정부를"), ("school", "학교|학교는|학교의|학교에서"), ("reporter", "기자|기자는|기자가|기자들"),
        ("economy", "경제|경제는|경제의"), ("hospital", "병원|병원에|병원은"), ("police", "경찰|경찰은|경찰이"),
        ("army", "군대|군대가|군대는"), ("city", "도시|도시에서|도시의"), ("bank", "은행|은행은|은행이"),
        ("court", "법원|법원은|법원이"), ("election", "선거|선거에서|선거는"), ("border", "국경|국경을|국경에서"),
        ("farmers", "농민|농민들|농민은"),
    ]),
}

# Words that hold a sentence together (not searched for).
FILLERS = {
    "ru": ["в", "на", "и", "по", "после", "вчера", "сегодня", "снова", "уже", "также", "говорится", "сообщили"],
    "fa": ["و", "در", "از", "به", "که", "این", "با", "را", "امروز", "دیروز", "گفته", "شد"],
    "ar": ["في", "من", "على", "إلى", "أن", "قال", "اليوم", "بعد", "أمس", "أيضا", "وفق", "حيث"],
    "zh": ["的", "在", "了", "和", "今天", "表示", "已经", "一个", "这个", "说", "昨天", "也"],
    "ko": ["오늘", "발표했다", "말했다", "그리고", "다시", "많은", "어제", "밝혔다", "또한", "최근"],
}
STOP = {"ru": ".", "fa": ".", "ar": ".", "zh": "。", "ko": "."}
JOIN = {"zh": ""}  # Chinese is written without spaces


@dataclass
class Written:
    title: str
    paragraphs: list[str]
    slug: str
    words: set[str]  # the typed forms of the words the post holds


def _sentence(rng: random.Random, lang: str, forms: list[str]) -> str:
    pieces = list(forms)
    for _ in range(rng.randint(2, 4)):
        pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(FILLERS[lang]))
    text = JOIN.get(lang, " ").join(pieces)
    if lang == "ru":
        text = text[0].upper() + text[1:]
    return text + STOP[lang]


def write_post(rng: random.Random, lang: str, post_id: int) -> Written:
    """A post of the language: some of its words, each in one form, in a title and a body."""
    words = rng.sample(WORDS[lang], rng.randint(5, 9))
    form = {word.typed: rng.choice(word.forms) for word in words}
    order = [word.typed for word in words]
    title_words = order[:3]
    title = _sentence(rng, lang, [form[w] for w in title_words]).rstrip(".。")
    paragraphs = []
    rest = order[3:] or order[:1]
    for index in range(rng.randint(2, 4)):
        sentences = []
        for _ in range(rng.randint(1, 3)):
            chosen = rng.sample(order, rng.randint(1, min(3, len(order))))
            sentences.append(_sentence(rng, lang, [form[w] for w in chosen]))
        if index == 0:
            sentences.append(_sentence(rng, lang, [form[w] for w in rest]))  # every word of the post appears
        paragraphs.append(" ".join(sentences))
    glosses = [next(word.gloss for word in words if word.typed == w) for w in title_words]
    return Written(title=title, paragraphs=paragraphs, slug="-".join(glosses) + f"-{post_id % 1000}", words=set(order))
