"""The replica's content: a Pangea blog of generated posts, deterministic for a seed.

Every text here is generated from the small vocabulary below (or is the seed post's own
text): no text is copied from anywhere else. Ids grow with dates, as Pangea's do.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from . import languages, seed_post

BLOG_ZONE = 17257
BLOG_TITLE = "Under The Black Flag"
BLOG_TAGLINE = "Tracking Islamic State"
BLOG_ABOUT = (
    '"Under The Black Flag" provides news, opinion, and analysis about the impact of the Islamic State (IS) '
    "extremist group in Syria, Iraq, and beyond. It focuses not only on the fight against terrorist groups in "
    "the Middle East, but also on the implications for the region and the world."
)
SITE_NAME = "RFE/RL"
# A second blog the replica can serve on the same host (--second-blog): its own posts,
# and some of the first blog's posts listed in it too.
SECOND_ZONE = 30101
SECOND_TITLE = "Steppe Notes"
SECOND_TAGLINE = "Notes from Central Asia"

# Other sections of the site: their stories fill "Most popular", "Related" and "Breaking News".
OTHER_SECTIONS = {1740: "Europe", 1755: "Central Asia", 4711: "Middle East"}

AUTHORS = [
    ("Joanna Paraszczuk", "joanna-paraszczuk", "iqpqe"),
    ("James Miller", "james-miller", "yqtmr"),
    ("David Patrikarakos", "david-patrikarakos", "ouqvk"),
    ("Mirela Tănăsescu", "mirela-tanasescu", "ptmqa"),
    ("Oskar Lindqvist", "oskar-lindqvist", "vqmtq"),
]
TAGS = [
    "Islamic State", "Syria", "Iraq", "Kazakhstan", "Chechnya", "Russia", "Turkey", "Propaganda",
    "Foreign Fighters", "Dagestan", "Libya", "Afghanistan", "Uzbekistan", "Jordan", "Kurds",
]
PLACES = [
    ("Raqqa", "Syria"), ("Mosul", "Iraq"), ("Deir ez-Zor", "Syria"), ("Aleppo", "Syria"), ("Kobani", "Syria"),
    ("Ramadi", "Iraq"), ("Fallujah", "Iraq"), ("Palmyra", "Syria"), ("Tal Afar", "Iraq"), ("Manbij", "Syria"),
    ("Sirte", "Libya"), ("Grozny", "Russia"), ("Almaty", "Kazakhstan"), ("Istanbul", "Turkey"),
    ("Jarābulus", "Syria"), ("Şanlıurfa", "Turkey"),
]
ACTORS = [
    "the Islamic State group", "Kurdish fighters", "Iraqi security forces", "local activists",
    "the US-led coalition", "Russian officials", "Kazakh prosecutors", "a group of Chechen militants",
    "regional monitors", "Turkish border guards", "residents who fled the city", "a militant media office",
]
ACTIONS = [
    "released a new video", "claimed responsibility for an attack", "reported heavy fighting",
    "announced a wave of arrests", "published a statement", "described a sharp rise in recruitment",
    "denied the reports", "appealed for humanitarian access", "posted photographs online",
    "warned of further attacks", "changed tactics", "opened an investigation",
]
DETAILS = [
    "near the main road into the city", "on the outskirts of the old market", "after several days of silence",
    "in an unusually long message", "in the early hours of the morning", "despite repeated denials",
    "according to people who spoke by telephone", "for the second time this month",
    "in a region that had been quiet for weeks", "as the coalition stepped up air strikes",
]
ANALYSIS = [
    "The claim could not be independently verified.",
    "Analysts say the message was aimed at recruits from the former Soviet Union.",
    "The timing of the statement suggests a shift in the group's priorities.",
    "Officials did not respond to requests for comment.",
    "It is not the first time such a claim has been made.",
    "Several details of the account match earlier reports from the area.",
    "The figures given in the report are far higher than previous estimates.",
    "The video appears to have been filmed over several weeks.",
    "Local sources gave a different account of the events.",
    "A spokesman called the report \u201cunfounded\u201d \u2014 without saying why.",
    "The report did not say how the information had been obtained.",
]
HEADLINE_FORMS = [
    "{actor_cap} Says {place} Fighting Has {verb}",
    "{place}: {actor_cap} {action_title}",
    "What The Latest {place} Video Tells Us",
    "{country} Tightens Rules After {place} Reports",
    "Foreign Fighters From {country} Seen In {place}",
    "{actor_cap} {action_title} In {place}",
]
VERBS = ["Intensified", "Eased", "Spread", "Stalled", "Resumed"]
SUBHEADINGS = ["What We Know", "The Background", "Who Are The Fighters?", "A Shift In Tactics", "What Comes Next"]
EXTERNAL_SITES = ["levant-monitor.example", "steppe-daily.example", "caucasus-wire.example", "tigris-news.example"]

START = datetime(2014, 6, 2, tzinfo=timezone.utc)
END = datetime(2017, 5, 30, tzinfo=timezone.utc)
PAGE_SIZE = 12


@dataclass
class ImageSpec:
    url: str
    caption: str


@dataclass
class Block:
    """One block of a post body: ``p`` (HTML), ``h2`` (text), ``image`` or ``video``."""

    kind: str
    html: str = ""
    image: ImageSpec | None = None
    video_url: str | None = None


@dataclass
class PostSpec:
    id: int
    slug: str
    title: str
    description: str
    published: datetime
    modified: datetime
    authors: list[tuple[str, str, str]]
    tags: list[str]
    zone: int
    section: str
    lead_image: ImageSpec | None
    dateline: str | None
    blocks: list[Block] = field(default_factory=list)
    live: "LiveBlog | None" = None
    language: str = "en"  # the page's language (``languages.PAGE_LANGUAGES``)
    words: set = field(default_factory=set)  # a post in another language: the words it holds (their typed forms)

    @property
    def path(self) -> str:
        return f"/a/{self.slug}/{self.id}.html"


@dataclass
class Entry:
    """One timestamped entry of a live blog."""

    id: int
    published: datetime  # UTC
    headline: str
    paragraphs: list[str]  # HTML
    image: ImageSpec | None = None


@dataclass
class LiveBlog:
    """A live blog's own parts: the pinned summary and the entries, newest first."""

    summary_title: str
    summary_items: list[str]
    entries: list[Entry]
    per_page: int = 10
    json_ld: bool = False

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.entries) // self.per_page))

    def page(self, number: int) -> list[Entry]:
        return self.entries[number * self.per_page : (number + 1) * self.per_page]

    def page_of(self, entry_id: int) -> int:
        for index, entry in enumerate(self.entries):
            if entry.id == entry_id:
                return index // self.per_page
        return 0


LIVE_BLOG_ID = 27363628
MERGED_STORY_PATH = "/a/merged-stories/29000001.html"
ENDLESS = 10**9  # the page count of an index that never ends
ENDLESS_IDS = 95_000_000
LIVE_BLOG_SLUG = "live-blog-syria-islamic-state-isis"
LIVE_BLOG_NOTE = "* NOTE: Live blog posts are time-stamped according to Central European Time (CET)."
# Entries run across the change to summer time (27 March 2016, 02:00 CET -> 03:00 CEST).
LIVE_BLOG_FIRST_ENTRY = datetime(2016, 3, 24, 7, 30, tzinfo=timezone.utc)


def _entry(rng: random.Random, entry_id: int, moment: datetime) -> Entry:
    place, country = rng.choice(PLACES)
    actor = rng.choice(ACTORS)
    headline = f"{actor[0].upper()}{actor[1:]} {rng.choice(ACTIONS)} in {place}"
    paragraphs = [_paragraph(rng, []) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        site = rng.choice(EXTERNAL_SITES)
        paragraphs.append(
            f'Video of the scene was posted by <a class="wsw__a" href="https://{site}/live/{entry_id}">{site.split(".")[0].replace("-", " ").title()}</a>.'
        )
    image = _image(rng, f"A photograph from {place}, {country}.") if rng.random() < 0.2 else None
    return Entry(id=entry_id, published=moment, headline=headline, paragraphs=paragraphs, image=image)


def live_blog_spec(rng: random.Random, entries: int, json_ld: bool) -> PostSpec:
    moments, moment = [], LIVE_BLOG_FIRST_ENTRY
    for _ in range(entries):
        moments.append(moment)
        moment += timedelta(minutes=rng.randint(150, 600))
    entry_list = [_entry(rng, 78000 + 37 * i + rng.randint(0, 30), m) for i, m in enumerate(moments)]
    entry_list.reverse()  # newest first, as the page shows them
    published = datetime(2015, 11, 17, 9, 0, tzinfo=timezone.utc)
    return PostSpec(
        id=LIVE_BLOG_ID,
        slug=LIVE_BLOG_SLUG,
        title="Live Blog: Tracking Islamic State",
        description="Follow all of the latest developments as they happen.",
        published=published,
        modified=entry_list[0].published if entry_list else published,
        authors=[AUTHORS[1]],
        tags=["Islamic State", "Syria", "Iraq"],
        zone=BLOG_ZONE,
        section=BLOG_TITLE,
        lead_image=_image(rng, "Smoke rises over the town in a photograph taken from across the border."),
        dateline=None,
        blocks=[],
        live=LiveBlog(
            summary_title="Latest News For February 29",
            summary_items=[f"-- {_sentence(rng)}" for _ in range(4)],
            entries=entry_list,
            json_ld=json_ld,
        ),
    )


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _image(rng: random.Random, caption: str) -> ImageSpec:
    uid = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:]}"
    return ImageSpec(url=f"https://gdb.rferl.org/{uid}_w250_r1_s.jpg", caption=caption)


def _sentence(rng: random.Random) -> str:
    place, _country = rng.choice(PLACES)
    actor = rng.choice(ACTORS)
    return f"{actor[0].upper()}{actor[1:]} {rng.choice(ACTIONS)} in {place} {rng.choice(DETAILS)}."


def _paragraph(rng: random.Random, links: list[str]) -> str:
    sentences = [_sentence(rng) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.5:
        sentences.append(rng.choice(ANALYSIS))
    if links:
        href, text = links.pop()
        sentences.insert(rng.randrange(len(sentences) + 1), f'The details were first reported by <a class="wsw__a" href="{href}" target="_blank">{text}</a>.')
    return " ".join(sentences)


def _title(rng: random.Random) -> str:
    place, country = rng.choice(PLACES)
    actor = rng.choice(ACTORS)
    action = rng.choice(ACTIONS)
    return rng.choice(HEADLINE_FORMS).format(
        actor_cap=actor[0].upper() + actor[1:],
        place=place,
        country=country,
        verb=rng.choice(VERBS),
        action_title=action.title(),
    )


def language_post(rng: random.Random, lang: str, post_id: int, published: datetime) -> PostSpec:
    """A post of the blog written in ``lang`` (``devtools.replica.languages``)."""
    written = languages.write_post(rng, lang, post_id)
    authors = [rng.choice(AUTHORS)]
    lead = _image(rng, written.paragraphs[-1].split(languages.STOP[lang])[0] + languages.STOP[lang]) if rng.random() > 0.3 else None
    spec = PostSpec(
        id=post_id, slug=written.slug, title=written.title,
        description=written.paragraphs[0][:160].rsplit(" ", 1)[0],
        published=published, modified=published, authors=authors, tags=rng.sample(TAGS, rng.randint(1, 3)),
        zone=BLOG_ZONE, section=BLOG_TITLE, lead_image=lead, dateline=None,
        blocks=[Block("p", html=text) for text in written.paragraphs],
    )
    spec.words, spec.language = written.words, lang
    return spec


def generate_post(rng: random.Random, post_id: int, published: datetime, zone: int = BLOG_ZONE, section: str = BLOG_TITLE,
                  lang: str = "en") -> PostSpec:
    if lang != "en" and zone == BLOG_ZONE:
        return language_post(rng, lang, post_id, published)
    title = _title(rng)
    kind = rng.random()
    authors = rng.sample(AUTHORS, 2) if kind < 0.15 else [rng.choice(AUTHORS)]
    tags = [] if rng.random() < 0.12 else rng.sample(TAGS, rng.randint(1, 4))
    has_lead = rng.random() > 0.15
    links = []
    for _ in range(rng.randint(0, 3)):
        site = rng.choice(EXTERNAL_SITES)
        links.append((f"https://{site}/{published:%Y/%m}/{rng.randint(1000, 9999)}", site.split(".")[0].replace("-", " ").title()))
    blocks: list[Block] = []
    paragraphs = rng.randint(3, 9)
    with_subheadings = rng.random() < 0.3
    for i in range(paragraphs):
        if with_subheadings and i in (2, 5):
            blocks.append(Block("h2", html=SUBHEADINGS[(post_id + i) % len(SUBHEADINGS)]))
        blocks.append(Block("p", html=_paragraph(rng, links)))
        if i == 1 and rng.random() < 0.35:
            place, _ = rng.choice(PLACES)
            blocks.append(Block("image", image=_image(rng, f"A street in {place}, in a photograph released by {rng.choice(ACTORS)}.")))
        if i == 2 and rng.random() < 0.15:
            video_id = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") for _ in range(11))
            blocks.append(Block("video", video_url=f"https://www.youtube.com/embed/{video_id}"))
    if rng.random() < 0.25:
        blocks.append(Block("p", html=f'More posts are on the <a class="wsw__a" href="/z/{BLOG_ZONE}">{BLOG_TITLE} blog</a>.'))
    if len(authors) == 1:
        blocks.append(Block("p", html=f"-- {authors[0][0]}"))
    place, country = rng.choice(PLACES)
    lead = _image(rng, f"A view of {place}, {country}.") if has_lead else None
    first_text = re.sub(r"<[^>]+>", "", blocks[0].html)
    return PostSpec(
        id=post_id,
        slug=slugify(title),
        title=title,
        description=first_text[:160].rsplit(" ", 1)[0],
        published=published,
        modified=published,
        authors=authors,
        tags=tags,
        zone=zone,
        section=section,
        lead_image=lead,
        dateline=f"{place.upper()}, {country} \u2014" if rng.random() < 0.2 else None,
        blocks=blocks,
    )


def seed_spec() -> PostSpec:
    authors = [a for a in AUTHORS if a[0] in seed_post.AUTHORS]
    rng = random.Random(seed_post.POST_ID)
    return PostSpec(
        id=seed_post.POST_ID,
        slug=seed_post.SLUG,
        title=seed_post.TITLE,
        description=seed_post.DESCRIPTION,
        published=datetime.fromisoformat(seed_post.PUBLISHED),
        modified=datetime.fromisoformat(seed_post.PUBLISHED),
        authors=authors,
        tags=list(seed_post.TAGS),
        zone=BLOG_ZONE,
        section=BLOG_TITLE,
        lead_image=_image(rng, seed_post.LEAD_IMAGE_CAPTION),
        dateline=None,
        blocks=[Block("p", html=html) for html in seed_post.PARAGRAPHS_HTML],
    )


# A post whose body tries every trick an archive must not carry into its HTML. What a
# reader sees of it (its body_text) is HOSTILE_TEXT.
HOSTILE_BLOCKS = [
    '<p onclick="steal()">Officials said the <a class="wsw__a" href="javascript:alert(1)">statement</a> was '
    '<a class="wsw__a" href="https://levant-monitor.example/x" onmouseover="track()">genuine</a>.</p>',
    "<script>document.write('<p>injected</p>')</script>",
    "<style>p { background: expression(alert(1)) }</style>",
    '<p style="background:url(javascript:alert(1))">A picture <img src="https://gdb.rferl.org/a.jpg" onerror="alert(1)"> followed.</p>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<svg onload="alert(1)"><script>alert(1)</script><circle r="1"/></svg>',
    '<p><a class="wsw__a" href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">A data link</a> '
    '<object data="https://evil.example/x.swf"></object>closed the post.</p>',
    '<form action="https://evil.example/"><input name="q" value="type here"></form>',
]
HOSTILE_TEXT = "Officials said the statement was genuine.\n\nA picture followed.\n\nA data link closed the post."


def hostile_spec(base: PostSpec) -> PostSpec:
    return PostSpec(
        id=base.id,
        slug="officials-said-the-statement-was-genuine",
        title="Officials Said The Statement Was Genuine",
        description="Officials said the statement was genuine.",
        published=base.published,
        modified=base.modified,
        authors=base.authors[:1],
        tags=["Propaganda"],
        zone=base.zone,
        section=base.section,
        lead_image=None,
        dateline=None,
        blocks=[Block("raw", html=html) for html in HOSTILE_BLOCKS],
    )


def _id_for(moment: datetime) -> int:
    # RFE/RL ids of 2014-2017 run from about 25.9 to 28.5 million, growing with time;
    # the seed post (26829775, February 2015) sits where this line puts it.
    days = (moment - START).total_seconds() / 86400
    return 26_280_000 + int(days * 2200)


class Site:
    """The whole replica site: the blog's posts, newest first, and a few stories of other sections.

    ``latest`` moves the generated posts in time so that the newest is at that moment
    (the seed post keeps its real date): incremental runs need posts inside their recheck
    window. The site can change while it is served: ``add_posts``, ``edit_post``,
    ``delete_post``.
    """

    def __init__(
        self,
        posts: int = 300,
        seed: int = 1,
        latest: datetime | None = None,
        hostile_post: bool = False,
        js_index: bool = False,
        js_posts: int = 0,
        live_entries: int = 0,
        live_json_ld: bool = False,
        second_blog: bool = False,
        dress: str = "default",
        hidden_from_index: int = 0,
        stuck_load_more: bool = False,
        audio_posts: int = 0,
        canary: str | None = None,
        live_more: str | None = None,
        broken_live_more: bool = False,
        merged_posts: int = 0,
        endless_index: str = "",
        sitemaps_listed: int = 0,
        lang: str = "en",
    ):
        if posts < 1:
            raise ValueError("--posts must be at least 1 (the seed post)")
        self.seed = seed
        if lang not in languages.PAGE_LANGUAGES:
            raise ValueError(f"--lang must be one of {', '.join(sorted(languages.PAGE_LANGUAGES))}")
        # The blog's language: its generated posts are written in it; its pages say so.
        self.lang = lang
        self.dress = dress  # how the pages are written (``devtools.replica.dresses``), not what they say
        # Faults of structure, for the crawler's audit: posts the index leaves out (the
        # feed still lists them), and a script "Load more" that stops working.
        self.hidden_from_index = hidden_from_index
        self.stuck_load_more = stuck_load_more
        # The live blog's way to older entries: the dress's form unless given, and a
        # broken one (it leads to a page that is not there; a script control does nothing).
        # An index without end: "cycle" (its pages come round again under new numbers),
        # "new" (every later page lists new stories).
        self.endless_index = endless_index
        # A sitemap index that lists this many sitemaps (those past the real ones are not there).
        self.sitemaps_listed = sitemaps_listed
        self.live_more = live_more
        self.broken_live_more = broken_live_more
        # Fields the pages stop showing, as after a change of the site's markup ("authors").
        self.markup_drops: set[str] = set()
        self.version = 0
        rng = random.Random(seed)
        seed_spec_ = seed_spec()
        span = int((END - START).total_seconds())
        moments = sorted(START + timedelta(seconds=rng.randrange(span)) for _ in range(posts - 1))
        if latest is not None and moments:
            shift = latest.astimezone(timezone.utc).replace(second=0, microsecond=0) - moments[-1].replace(second=0)
            moments = [m + shift for m in moments]
        specs = [seed_spec_]
        self._used = {seed_spec_.id}
        for moment in moments:
            moment = moment.replace(second=0, microsecond=0)
            specs.append(generate_post(rng, self._new_id(moment), moment, lang=lang))
        if live_entries and len(specs) > 2:
            # The live blog takes the place of the generated post nearest its real date.
            live = live_blog_spec(random.Random(f"{seed}-live"), live_entries, live_json_ld)
            nearest = min(specs[1:], key=lambda p: abs((p.published - live.published).total_seconds()))
            specs[specs.index(nearest)] = live
            self._used.add(live.id)
        if hostile_post and len(specs) > 2:
            # The second-newest post is replaced by one full of active content.
            newest = max(specs[1:], key=lambda p: p.published)
            specs[specs.index(newest)] = hostile_spec(newest)
        self.posts: list[PostSpec] = sorted(specs, key=lambda p: p.published, reverse=True)
        self.others: list[PostSpec] = []
        newest = max(END, self.posts[0].published)
        for i, (zone, name) in enumerate(sorted(OTHER_SECTIONS.items()) * 3):
            moment = newest + timedelta(days=1 + i)
            self.others.append(generate_post(rng, self._new_id(moment), moment, zone=zone, section=name))
        self.by_id = {p.id: p for p in self.posts + self.others}
        self.deleted: dict[int, PostSpec] = {}
        # The blogs served, by zone: the first one's list is self.posts.
        self.blog_titles = {BLOG_ZONE: (BLOG_TITLE, BLOG_TAGLINE)}
        self.second_posts: list[PostSpec] = []
        if second_blog:
            self.blog_titles[SECOND_ZONE] = (SECOND_TITLE, SECOND_TAGLINE)
            second_rng = random.Random(f"{seed}-second")
            own = []
            for i in range(max(6, len(self.posts) // 5)):
                moment = (self.posts[-1].published + (self.posts[0].published - self.posts[-1].published) * second_rng.random())
                moment = moment.replace(second=0, microsecond=0)
                spec = generate_post(second_rng, self._new_id(moment), moment, zone=SECOND_ZONE, section=SECOND_TITLE)
                own.append(spec)
                self.by_id[spec.id] = spec
            shared = self.posts[3::7]  # posts of the first blog listed in the second one too
            self.second_posts = sorted(own + shared, key=lambda p: p.published, reverse=True)
        # JavaScript-only pages: the index list (and its "Load more"), and the bodies of
        # ``js_posts`` posts spread over the blog.
        self.js_index = js_index
        step = max(1, len(self.posts) // js_posts) if js_posts else 0
        self.js_post_ids = {p.id for p in self.posts[::step][:js_posts]} if js_posts else set()
        self._mutations = random.Random(f"{seed}-changes")
        self.hidden_ids = {p.id for p in self.posts[1 : 1 + hidden_from_index]}
        # A hostile site (``devtools.replica.hostile``): posts that lead off the site.
        self.hostility = None
        if canary:
            from .hostile import KINDS, Hostility

            candidates = [p for p in self.posts[3:] if p.live is None][: len(KINDS)]
            self.hostility = Hostility(canary.rstrip("/"), {kind: p.id for kind, p in zip(KINDS, candidates)})
            self.js_post_ids.add(self.hostility.posts["script_escape"])
        # Posts the site merged into one story whose page fails for now (503): each of
        # them answers 301 to that one URL.
        self.merged_ids = {p.id for p in self.posts[-1 - merged_posts : -1] if p.live is None} if merged_posts else set()
        # Programme posts: a recording and no text body.
        self.audio_post_ids = {p.id for p in self.posts[2::9][:audio_posts] if p.live is None}
        self._paginate()

    def _new_id(self, moment: datetime) -> int:
        post_id = _id_for(moment)
        while post_id in self._used:
            post_id += 1
        self._used.add(post_id)
        return post_id

    def _paginate(self) -> None:
        # Where each index page starts: some pages repeat the last post or two of the page
        # before, as a live index does when new posts push the list down between requests.
        rng = random.Random(f"{self.seed}-pages-{len(self.posts)}")
        self._page_starts = [0]
        while len(self._page_starts) * PAGE_SIZE < len(self.posts):
            nominal = len(self._page_starts) * PAGE_SIZE
            self._page_starts.append(nominal - rng.choice((0, 0, 1, 2)))

    @property
    def page_count(self) -> int:
        return len(self._page_starts)

    def blog_posts(self, zone: int) -> list[PostSpec]:
        return self.posts if zone == BLOG_ZONE else self.second_posts if zone == SECOND_ZONE else []

    def blog_page_count(self, zone: int) -> int:
        if zone == BLOG_ZONE:
            return ENDLESS if self.endless_index else self.page_count
        return max(1, -(-len(self.blog_posts(zone)) // PAGE_SIZE)) if zone in self.blog_titles else 0

    def blog_index_page(self, zone: int, page: int) -> list[PostSpec]:
        if zone == BLOG_ZONE:
            if self.endless_index == "cycle":
                return self.index_page(page % self.page_count)  # the same pages again, under new page numbers
            if self.endless_index == "new" and page >= self.page_count:
                return [self.endless_post(page, k) for k in range(PAGE_SIZE)]
            return self.index_page(page)
        if not 0 <= page < self.blog_page_count(zone):
            return []
        return self.blog_posts(zone)[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]

    def endless_post(self, page: int, k: int) -> PostSpec:
        """A post of an index that never ends: one more story on every later page."""
        post_id = ENDLESS_IDS + page * PAGE_SIZE + k
        spec = self.by_id.get(post_id)
        if spec is None:
            moment = START + timedelta(minutes=post_id % 100_000)
            spec = generate_post(random.Random(f"{self.seed}-endless-{post_id}"), post_id, moment)
            self.by_id[post_id] = spec
        return spec

    def index_page(self, page: int) -> list[PostSpec]:
        if not 0 <= page < self.page_count:
            return []
        start = self._page_starts[page]
        end = (page + 1) * PAGE_SIZE
        return self.posts[start:end]

    # --- changes while serving ----------------------------------------------------------
    def _changed(self) -> None:
        self.posts.sort(key=lambda p: p.published, reverse=True)
        self._paginate()
        self.version += 1

    def add_posts(self, count: int, at: datetime) -> list[PostSpec]:
        """``count`` new posts, the newest at ``at``, a few minutes apart."""
        added = []
        for i in range(count):
            moment = (at - timedelta(minutes=7 * (count - 1 - i))).astimezone(timezone.utc).replace(second=0, microsecond=0)
            spec = generate_post(self._mutations, self._new_id(moment), moment, lang=self.lang)
            self.posts.append(spec)
            self.by_id[spec.id] = spec
            added.append(spec)
        self._changed()
        return added

    def edit_post(self, post_id: int, at: datetime) -> PostSpec:
        """An editor's change: a new paragraph, a retouched title, ``dateModified`` moved to ``at``."""
        spec = self.by_id[post_id]
        spec.title = spec.title + " (Updated)"
        spec.blocks.insert(
            len(spec.blocks) - 1,
            Block("p", html=f"UPDATE: {_sentence(self._mutations)} {self._mutations.choice(ANALYSIS)}"),
        )
        spec.modified = at.astimezone(timezone.utc).replace(microsecond=0)
        self._changed()
        return spec

    @property
    def live_blog(self) -> PostSpec | None:
        return next((p for p in self.posts if p.live is not None), None)

    def add_entries(self, count: int, at: datetime) -> list[Entry]:
        """New entries at the top of the live blog, the newest at ``at``, twenty minutes apart."""
        spec = self.live_blog
        newest = max(e.id for e in spec.live.entries)
        added = [
            _entry(self._mutations, newest + 41 * (count - i), at - timedelta(minutes=20 * i)) for i in range(count)
        ]
        spec.live.entries[:0] = added
        spec.modified = at
        self._changed()
        return added

    def edit_entry(self, entry_id: int) -> Entry:
        spec = self.live_blog
        entry = next(e for e in spec.live.entries if e.id == entry_id)
        entry.headline += " (Updated)"
        entry.paragraphs.append(f"UPDATE: {_sentence(self._mutations)}")
        self._changed()
        return entry

    def delete_post(self, post_id: int) -> PostSpec:
        """The post leaves the index and its pages answer 404."""
        spec = self.by_id.pop(post_id)
        self.posts.remove(spec)
        self.deleted[post_id] = spec
        self._changed()
        return spec
