"""A held-out corpus for coordination detection, written apart from the engine it will judge.

Issue 13 describes a held-out corpus that nobody on the team wrote: about 300,000 replies and posts to
election candidates over 7 days from about 50,000 accounts with heavy-tailed activity, reply storms
after candidate posts, stock phrases, and 12 planted groups of 5 to 40 accounts, half posting
copy-paste text and half near-duplicates, each burst inside 60 s and each member of a group
targeting a candidate in a different constituency. The team's two other generators were written next
to the engine. This one was written from that description alone, without reading the engine
(``ballotguard/engines/coordination/``) or the other generators, so that its ordinary traffic carries
the author's idea of what real election traffic looks like rather than the engine's:

- **Candidates**: 650 constituencies with 3 to 7 candidates each (synthetic ids and handles), one
  party each; a handful of party leaders and a few dozen national figures draw most of the replies.
  Every constituency posts a launch message on the first day; after that candidates post in the day
  (UK time), leaders most.
- **Ordinary accounts** (one per 5 messages unless ``--accounts`` is given) with
  log-normal activity and a few hyperactive accounts on top; each has a home constituency. They reply
  to popular posts and to their local candidates; most replies come in a **storm** within minutes of
  the post, the rest over hours; some reply to other replies (arguments). Texts are free text from a
  Zipf vocabulary, common questions ("What is your plan for the NHS?"), and **stock phrases**
  ("Well said", "Absolute disgrace"), which some habitual accounts use for half their replies.
- **Superfans**: for the most popular candidates, a few accounts with notifications on reply to most
  of that candidate's posts within a minute or two. They co-reply again and again without any plan.
- **Reposts** of candidate posts (``repost_id``, text ``RT @handle: …`` as Twitter exports it), in
  even faster storms.
- **News**: a few outlet accounts post headlines with links on a 15-minute timer; ordinary accounts
  share popular articles with the share button's identical text ("headline url via @outlet"),
  sometimes through a shortened link.
- **Organic hashtags** (#GE2026 …) and a **debate night** on the fourth evening: thousands of
  accounts post the debate hashtag within 90 minutes, with spikes after memorable moments, many with
  the same two or three words.
- **Campaign slogans used by ordinary supporters**: the slogans the planted groups use are also
  posted, word for word or with a hashtag, by a few hundred supporters across the week, so a slogan is
  shared by far more accounts than any one group.
- **Quiet nights**: every stream follows a diurnal curve of UK activity.
- **Planted groups**: ``groups`` groups (default 12) of 5 to 40 accounts drawn from the ordinary
  population (they keep their ordinary activity), half ``copy_paste`` and half ``near_duplicate``. Each
  group comes back 3 to 5 times on different days; in each burst about nine in ten members post inside
  60 s, each replying to the latest post of a candidate in the member's own constituency, and no two
  members share a constituency. Copy-paste members post one text per burst; several groups reuse
  the same campaign slogans on different days. Near-duplicate members post a base text with one or
  two word edits (synonyms, dropped or added words) and some typographic ones (case, punctuation,
  emoji, the candidate's handle).

Output: the QUT coordination-network-toolkit CSV (``message_id,user_id,username,repost_id,reply_id,
message,timestamp,urls``; integer epoch seconds; ids time-ordered like Twitter's) sorted by time. The
truth: ``groups`` (name → member ids), ``kinds`` (name → ``copy_paste`` / ``near_duplicate``),
``targets`` (name → member → constituency), ``bursts`` (name → each burst's message ids),
``candidate_seats`` (candidate id → constituency) and ``roles``
(account → what the corpus made it: ``candidate``, ``news_bot``, ``superfan``, ``hyperactive``,
``stock_phraser``, ``slogan_user``, joined by ``+`` when several; accounts with none are ordinary and
absent).

Every draw comes from one ``numpy`` generator seeded by ``seed``: the same arguments give the same rows.
The work is vectorised (texts are assembled by Polars from index arrays): 300,000 rows in about 3 s
and 1,000,000 in about 17 s with writing the CSV (2-core machine at load 3 to 6). ``streams`` (not
written to the CSV) says which stream made each row, so that what each kind of traffic costs a
detector can be measured by leaving it out.

Run:
    .venv/bin/python bench/coordination_heldout.py --messages 300000 --seed 1 --out heldout.csv [--truth truth.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import sys
from dataclasses import dataclass, field

import numpy as np
import polars as pl

CONSTITUENCIES = 650
PARTIES = ("lab", "con", "ld", "grn", "ref", "snp", "pc", "ind")
PARTY_SHARE = np.array([0.2, 0.2, 0.18, 0.15, 0.13, 0.04, 0.02, 0.08])
START = int(dt.datetime(2026, 6, 8, tzinfo=dt.UTC).timestamp())
DAY = 86_400

# Share of activity per UK local hour (BST = UTC+1); the quiet night is 1-6 am.
_LOCAL_HOURS = np.array([3, 2, 1.2, 0.7, 0.5, 0.6, 1.5, 3.5, 5, 5.5, 5.5, 6, 6.5, 6, 5.5, 5.5, 6, 6.5, 7, 8, 9, 8.5, 7, 5], float)
HOUR_WEIGHTS = np.roll(_LOCAL_HOURS, -1) / _LOCAL_HOURS.sum()  # index = UTC hour
# Candidates post from 7 am to 10 pm local time.
_CANDIDATE_LOCAL = np.where((np.arange(24) >= 7) & (np.arange(24) <= 22), _LOCAL_HOURS, 0.0)
CANDIDATE_HOURS = np.roll(_CANDIDATE_LOCAL, -1) / _CANDIDATE_LOCAL.sum()

WORDS = (
    "the to and of a you is in that it for this not on your are with be have we all what they but will "
    "people just so about vote do no can more like if our get how they're now who them why us would "
    "should time need one know think really party country out been when there than up years still "
    "government money tax nhs schools housing jobs promise promises local area town community council "
    "again never always every nothing everything change plan plans voters election campaign leaflet "
    "doorstep street road bus trains cost living bills energy wages pensions care young old families "
    "kids children doctors nurses teachers police crime safe streets potholes high streets shops "
    "farmers fishing rural city north south wales scotland england london brexit europe trade border "
    "immigration asylum climate green net zero water sewage rivers beaches fuel petrol prices rent "
    "mortgage interest rates inflation debt spending cuts austerity investment growth economy business "
    "small firms workers unions strike pay fair honest truth lies liar trust record history failed "
    "failure delivered delivering fight fighting stand standing support supporting listen listening "
    "answer answers question questions debate week today tonight tomorrow yesterday last year decade "
    "real actually literally honestly frankly clearly obviously simply totally completely absolutely "
    "good bad great terrible awful brilliant shocking sad proud angry tired fed sick hope hopeful "
    "better worse best worst same different new old big small long short hard easy right wrong left "
    "centre far mate folks everyone anyone someone nobody yourself myself themselves thing things "
    "lot lots much many few some most any half whole part point points fact facts figure figures "
    "numbers million billion pounds percent hundred thousand first second third last next going gone "
    "come coming came went said says saying told tell telling make making made take taking took give "
    "giving gave see seen seeing look looking looked want wanted wanting mean meant means feel felt"
).split()
CLAUSES = (
    "you promised this last time", "nobody round here believes a word of it", "my mum waited eight hours in A&E",
    "the buses stopped running after six", "our rent went up again this month", "I have voted for your party all my life",
    "I used to vote for you", "you never answer a straight question", "the figures do not add up", "that is simply not true",
    "this is exactly why people are fed up", "where was this energy two years ago", "the school roof is still leaking",
    "we cannot get a dentist for love nor money", "the river smells in summer now", "my son cannot afford a flat",
    "you lot had years to sort this", "at least someone is talking sense", "good to see you out on the doorstep",
    "you came to our street on Saturday", "my vote is still up for grabs", "I will be voting for you on Thursday",
    "what happened to the last manifesto", "the high street is half empty", "my energy bill doubled",
    "the nurses deserve better", "the potholes on our road are dangerous", "the council keeps cutting the bins",
    "farmers are being hung out to dry", "nobody has mentioned care homes", "we need more police on the streets",
    "your leader said the opposite yesterday", "have you even been to this town", "this is a three horse race here",
    "tactical voting is the only way", "I am genuinely undecided", "the leaflet through my door said something else",
    "child care costs more than my mortgage", "GP appointments are impossible", "young people have given up on politics",
    "pensioners are being ignored again", "the trains are a national embarrassment", "this is the most important election in years",
    "the polls are all over the place", "everyone I know is voting differently this time", "my street has had no broadband for weeks",
    "you voted for the cuts", "thanks for replying to my email", "you still have not replied to my email",
    "local issues matter more than national ones", "the debate last night changed nothing", "you are the only one talking about housing",
    "it is not about left or right any more", "I work two jobs and still struggle", "who is paying for all this",
    "the numbers in your plan are fantasy", "I would love to believe you", "same promises every five years",
    "the hospital car park costs a fortune", "our library closed last year", "fair play for turning up to the hustings",
)
OPENERS = ("Honestly", "Seriously", "So", "Well", "Look", "Sorry but", "With respect", "Mate", "Ha", "Wow",
           "Yes", "No", "Exactly", "Funny how", "Interesting that", "Remember when", "Imagine thinking",
           "Can't believe", "Again", "Hang on")
TOPICS = ("the NHS", "social care", "housing", "the cost of living", "energy bills", "sewage in our rivers",
          "potholes", "the bus service", "the high street", "immigration", "small boats", "climate change",
          "net zero", "tuition fees", "childcare", "pensions", "the two child limit", "council tax",
          "rail fares", "GP appointments", "A&E waiting times", "dentists", "knife crime", "police numbers",
          "Brexit", "defence spending", "Ukraine", "Gaza", "free school meals", "SEND provision",
          "the local hospital", "flooding", "farming", "fishing", "broadband", "the minimum wage",
          "zero hours contracts", "student loans", "rent controls", "private schools")
QUESTIONS = ("What is your plan for", "What will you do about", "Where do you stand on", "Will you vote to protect",
             "Why won't you talk about", "Any answer on", "What about", "When will you fix")
STOCK = ("Well said", "Absolute disgrace", "Totally agree", "Spot on", "This 👏", "Couldn't agree more",
         "Rubbish", "Nonsense", "Good luck!", "Thank you for all your hard work", "Shameful", "Agreed",
         "Hear hear", "Get them out", "Not a chance", "You've got my vote", "Never again", "Pathetic",
         "Brilliant 👍", "Well done", "Says it all", "No thanks", "Liar", "Utter rubbish", "Exactly this",
         "Love this", "So true", "Embarrassing", "What a joke", "🤡", "👏👏👏", "Yes!", "Absolutely", "Clown",
         "Best of luck", "You're a disgrace", "Hope you win", "Do your job", "Resign", "Great news",
         "Well deserved", "Nailed it", "Lol", "😂😂😂", "Spot on as always", "Keep going!", "Good grief",
         "Shocking", "Another lie", "Bye", "Can't wait to vote you out", "Proud to support you", "Same old",
         "Not fit for office", "Respect", "Gaslighting", "Hypocrite", "Top man", "Superb", "Get in!")
EMOJI = ("👍", "👏", "😡", "🙄", "😂", "🤔", "💯", "❤️", "🤦", "🔥", "😢", "🇬🇧", "🌹", "🌳", "🔶")
HASHTAGS = ("#GE2026", "#GeneralElection", "#GeneralElection2026", "#VoteLabour", "#VoteConservative", "#VoteLibDem",
            "#VoteGreen", "#VoteReform", "#ToriesOut", "#NHS", "#CostOfLivingCrisis", "#Sewage", "#Brexit", "#bbcqt",
            "#VoteTactically", "#Ukpolitics", "#ClimateCrisis", "#HousingCrisis", "#r4today", "#Marr")
DEBATE_TAG = "#LeadersDebate"
DEBATE_SHORT = ("#LeadersDebate", "Here we go #LeadersDebate", "🍿 #LeadersDebate", "#LeadersDebate 🙄",
                "Watching the #LeadersDebate", "Oh dear #LeadersDebate", "Answer the question! #LeadersDebate",
                "#LeadersDebate 😂", "Well that was awkward #LeadersDebate", "Who won? #LeadersDebate")
SLOGANS = ("Enough is enough. Time for change. #RealChange",
           "Stop the lies, stop the chaos, vote them out on polling day",
           "Our NHS is not for sale #SaveOurNHS",
           "Back our farmers, back rural Britain #NoFarmersNoFood",
           "Clean rivers now. No more sewage dumping #CleanRivers",
           "Take back control of our borders #StopTheBoats",
           "Cut bills, not corners. #FairDeal",
           "They had fourteen years. Never again. #NeverAgain")
CAMPAIGN_SUBJECTS = ("Your party", "This government", "The candidate here", "Your leader", "Your lot", "Your council",
                     "Your colleagues", "People like you", "The party you stand for", "Your manifesto")
CAMPAIGN_CHARGES = ("lied to voters about", "quietly voted against", "took donations from companies that profit from",
                    "broke every promise on", "has no answer on", "hid the real figures on", "wrecked",
                    "sold out local families on", "ignored thousands of residents on", "still refuses to apologise for")
CAMPAIGN_DEMANDS = ("Residents deserve the truth before polling day.", "Answer the question or step aside.",
                    "We will not forget this in the ballot box.", "Share this so every voter knows.",
                    "Nobody in this constituency should vote for you.", "Explain yourself to the people you want to represent.",
                    "Voters here are watching and we are not fooled.", "The public deserve a candidate who tells the truth.")
SYNONYMS = {"lied": "lies", "voters": "people", "residents": "locals", "truth": "facts", "quietly": "secretly",
            "every": "each", "thousands": "hundreds", "refuses": "declines", "deserve": "need", "watching": "paying attention",
            "people": "folk", "real": "true", "figures": "numbers", "families": "households", "nobody": "no one",
            "forget": "forgive", "share": "spread", "candidate": "representative", "question": "questions", "wrecked": "ruined"}
FILLERS = ("really", "honestly", "just", "frankly", "again", "clearly", "totally")
OUTLETS = ("bbcnews", "guardian", "thetimes", "telegraph", "skynews", "itvnews", "independent", "ft", "mirror", "dailymail",
           "standard", "metro", "huffpostuk", "newstatesman", "spectator", "politicshome", "walesonline", "heraldscotland",
           "yorkshirepost", "manchesterevening", "liverpoolecho", "bristolpost", "brumlive", "chroniclelive", "belfasttele")
HEADLINE_SUBJECTS = ("Leaders clash over", "Poll shows voters split on", "Candidates pressed on", "Party unveils plan for",
                     "Row erupts over", "Experts question costings on", "Fact check:", "Voters say they care most about",
                     "Minister defends record on", "Manifesto promise on")
FIRST_NAMES = ("sarah", "james", "emma", "david", "laura", "john", "claire", "paul", "rachel", "mark", "amy", "chris",
               "helen", "steve", "kate", "gary", "jo", "dan", "lucy", "mike", "priya", "mo", "aisha", "tom", "beth",
               "ian", "sian", "rhys", "fiona", "ali", "jenny", "pete", "nicola", "dave", "karen", "neil", "zoe", "sam")
HANDLE_WORDS = ("_uk", "1974", "_official", "x", "88", "_", "99", "_news", "2020", "hq", "_76", "_leeds", "_cardiff",
                "fc", "_bristol", "writes", "_glasgow", "07", "_mcr", "real", "_says", "123", "_lfc", "_cymru", "4eva")


def _times(rng: np.random.Generator, n: int, first: int, last: int, hours: np.ndarray = HOUR_WEIGHTS) -> np.ndarray:
    """``n`` epoch seconds in [first, last) following the diurnal curve ``hours`` (UTC hour weights)."""
    if n == 0:
        return np.zeros(0, np.int64)
    days = (last - START) // DAY + 1
    day = rng.integers(0, days, n)
    hour = rng.choice(24, n, p=hours)
    t = START + day * DAY + hour * 3600 + rng.integers(0, 3600, n)
    bad = (t < first) | (t >= last)
    while bad.any():  # redraw the few that fell outside (a partial first or last day)
        k = int(bad.sum())
        t[bad] = START + rng.integers(0, days, k) * DAY + rng.choice(24, k, p=hours) * 3600 + rng.integers(0, 3600, k)
        bad = (t < first) | (t >= last)
    return t


def _weighted(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` indices drawn with replacement in proportion to ``weights``."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    return np.minimum(np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right"), len(weights) - 1)


def _zipf_p(k: int, offset: float = 2.0, power: float = 1.05) -> np.ndarray:
    p = 1.0 / (np.arange(k) + offset) ** power
    return p / p.sum()


def _pool(values) -> pl.Series:
    """A pool of strings with a trailing null, so that index ``len(values)`` means 'absent'."""
    return pl.Series([*values, None], dtype=pl.String)


def _pick(rng: np.random.Generator, n: int, size: int, present: float | np.ndarray = 1.0, p: np.ndarray | None = None) -> np.ndarray:
    """Indices into a pool of ``size`` strings, ``size`` (absent) where a draw above ``present`` says so."""
    idx = rng.choice(size, n, p=p) if n else np.zeros(0, np.int64)
    return np.where(rng.random(n) < present, idx, size)


def _concat(parts: list[pl.Series], separator: str = " ") -> pl.Series:
    frame = pl.DataFrame({f"p{i}": s for i, s in enumerate(parts)})
    return frame.select(pl.concat_str([pl.col(c) for c in frame.columns], separator=separator, ignore_nulls=True).alias("t")).to_series()


_WORDS, _WORD_P = _pool(WORDS), _zipf_p(len(WORDS), offset=8.0)


def _free_text(rng: np.random.Generator, n: int, *, low: int = 0, high: int = 4, opener: float = 0.35,
               emoji: float = 0.15, hashtags: float = 0.08, topic: float = 0.35, second: float = 0.5) -> pl.Series:
    """Ordinary free text: an optional opener, a clause people write, maybe a topic, maybe a second clause,
    ``low``-``high`` further words, an ending, maybe an emoji and a hashtag. Rarely the same twice."""
    length = rng.integers(low, high + 1, n)
    clause_p = _zipf_p(len(CLAUSES), 5.0, 0.9)
    has_topic, has_second = rng.random(n) < topic, rng.random(n) < second
    parts = [_pool(OPENERS).gather(_pick(rng, n, len(OPENERS), opener)),
             _pool(CLAUSES).gather(rng.choice(len(CLAUSES), n, p=clause_p)),
             _pool(("about", "and", "on", "what about", "and now", "never mind")).gather(np.where(has_topic, rng.integers(0, 6, n), 6)),
             _pool(TOPICS).gather(np.where(has_topic, rng.integers(0, len(TOPICS), n), len(TOPICS))),
             _pool(("and", "but", "so", "because", "while", "yet")).gather(np.where(has_second, rng.integers(0, 6, n), 6)),
             _pool(CLAUSES).gather(np.where(has_second, rng.choice(len(CLAUSES), n, p=clause_p), len(CLAUSES)))]
    if high:
        idx = rng.choice(len(WORDS), (n, high), p=_WORD_P)
        for j in range(high):
            parts.append(_WORDS.gather(np.where(j < length, idx[:, j], len(WORDS))))
    body = _concat(parts)
    ending = _pool(("", "?", "!", ".", "...", "!!", " 🤔")).gather(rng.choice(7, n, p=[0.4, 0.2, 0.15, 0.12, 0.06, 0.04, 0.03]))
    tail = [_pool(EMOJI).gather(_pick(rng, n, len(EMOJI), emoji)),
            _pool(HASHTAGS).gather(_pick(rng, n, len(HASHTAGS), hashtags, _zipf_p(len(HASHTAGS))))]
    return _concat([_concat([body, ending], ""), *tail])


def _question(rng: np.random.Generator, n: int) -> pl.Series:
    """The questions many people ask in the same words: 'What is your plan for the NHS?'"""
    return _concat([_pool(QUESTIONS).gather(rng.choice(len(QUESTIONS), n)),
                    _concat([_pool(TOPICS).gather(rng.choice(len(TOPICS), n, p=_zipf_p(len(TOPICS), 3.0, 0.8))), pl.Series(["?"] * n)], "")])


def _stock(rng: np.random.Generator, n: int) -> pl.Series:
    return _pool(STOCK).gather(rng.choice(len(STOCK), n, p=_zipf_p(len(STOCK), 2.0, 1.0)))


STREAMS = ("candidate_post", "news_bot", "planted", "superfan", "reply", "repost", "mention", "hashtag", "news_share",
           "debate", "slogan")
"""What produced each row (``HeldoutTraffic.streams``), for measuring what each kind of traffic costs a detector."""


@dataclass
class _Rows:
    """Rows under construction; ``reply``/``repost`` hold row numbers (-1: none), resolved to message ids at the end."""

    author: list = field(default_factory=list)
    time: list = field(default_factory=list)
    reply: list = field(default_factory=list)
    repost: list = field(default_factory=list)
    text: list = field(default_factory=list)
    urls: list = field(default_factory=list)
    stream: list = field(default_factory=list)
    count: int = 0

    def add(self, author, time, text, *, stream: str, reply=None, repost=None, urls=None) -> np.ndarray:
        n = len(author)
        self.stream.append(np.full(n, STREAMS.index(stream), np.int8))
        none = np.full(n, -1, np.int64)
        self.author.append(np.asarray(author, np.int64))
        self.time.append(np.asarray(time, np.int64))
        self.reply.append(none if reply is None else np.asarray(reply, np.int64))
        self.repost.append(none if repost is None else np.asarray(repost, np.int64))
        self.text.append(text if isinstance(text, pl.Series) else pl.Series(list(text), dtype=pl.String))
        self.urls.append(pl.Series([""] * n, dtype=pl.String) if urls is None else urls)
        rows = np.arange(self.count, self.count + n)
        self.count += n
        return rows


@dataclass
class HeldoutTraffic:
    frame: pl.DataFrame
    groups: dict[str, list[str]]
    kinds: dict[str, str]
    targets: dict[str, dict[str, int]]
    bursts: dict[str, list[list[str]]]
    roles: dict[str, str]
    candidate_seats: dict[str, int]
    seed: int
    streams: pl.Series  # the stream (:data:`STREAMS`) of each row of ``frame``, not written to the CSV

    @property
    def planted_accounts(self) -> set[str]:
        return {a for members in self.groups.values() for a in members}

    def write_csv(self, path) -> None:
        self.frame.write_csv(path)

    def truth(self) -> dict:
        return {"seed": self.seed, "groups": self.groups, "kinds": self.kinds, "targets": self.targets,
                "bursts": self.bursts, "roles": self.roles, "candidate_seats": self.candidate_seats}


def generate(messages: int = 300_000, *, accounts: int | None = None, days: int = 7, groups: int = 12, seed: int = 1) -> HeldoutTraffic:
    """Seeded held-out traffic of exactly ``messages`` rows (see the module docstring for what it holds)."""
    if messages < 5_000:
        raise ValueError("at least 5,000 messages: below that the background cannot carry the planted groups")
    if days < 2:
        raise ValueError("at least 2 days: groups come back on different days")
    rng = np.random.default_rng(seed)
    end = START + days * DAY
    accounts = accounts or max(2_000, messages // 5)

    # --- candidates: 3-7 per constituency, a party each, a few leaders and national figures -------------
    per_seat = rng.integers(3, 8, CONSTITUENCIES)
    cand_seat = np.repeat(np.arange(CONSTITUENCIES), per_seat)
    n_cand = len(cand_seat)
    cand_party = rng.choice(len(PARTIES), n_cand, p=PARTY_SHARE)
    popularity = rng.lognormal(0.0, 1.0, n_cand)
    famous = rng.choice(n_cand, 40, replace=False)
    leaders, national = famous[:6], famous[6:]
    popularity[national] *= 25
    popularity[leaders] *= 250
    cand_activity = rng.lognormal(0.0, 0.8, n_cand)
    cand_activity[national] *= 4
    cand_activity[leaders] *= 10

    # Account table: candidates, then news outlets, then the public.
    n_out = len(OUTLETS)
    first_public = n_cand + n_out
    home = np.concatenate([cand_seat, np.full(n_out, -1), rng.integers(0, CONSTITUENCIES, accounts)])
    weight = rng.lognormal(0.0, 1.3, accounts)
    hyper = rng.choice(accounts, max(5, accounts // 400), replace=False)
    weight[hyper] *= rng.uniform(15, 40, len(hyper))
    stock_habit = rng.random(accounts) < 0.05
    fast = rng.random(accounts) < 0.15  # notifications on: more of their replies come in the storm

    rows = _Rows()

    # --- candidate posts: a launch per constituency on day 1, then daytime posts ----------------------
    launch_author = np.array([rng.choice(np.flatnonzero(cand_seat == c)) for c in range(CONSTITUENCIES)])
    launch_time = START + rng.integers(8 * 3600, 18 * 3600, CONSTITUENCIES)
    launch_text = _concat([_pool(("Proud to be standing for", "Delighted to launch my campaign in", "Ready to fight for every vote in",
                                  "Thank you to everyone who came out today in")).gather(rng.choice(4, CONSTITUENCIES)),
                           pl.Series([f"constituency {c:03d}" for c in range(CONSTITUENCIES)]),
                           _pool(("🌹", "🌳", "🔶", "💚", "➡️", "")).gather(rng.choice(6, CONSTITUENCIES))])
    launch_rows = rows.add(launch_author, launch_time, launch_text, stream="candidate_post")
    n_posts = max(200, int(0.035 * messages))
    post_author = _weighted(rng, cand_activity, n_posts)
    post_time = _times(rng, n_posts, START + 6 * 3600, end, CANDIDATE_HOURS)
    post_text = _concat([_free_text(rng, n_posts, low=2, high=6, opener=0.1, emoji=0.2, hashtags=0.0, topic=0.8),
                         _pool([f"#Vote{p.upper()}" for p in PARTIES]).gather(np.where(rng.random(n_posts) < 0.5, cand_party[post_author], len(PARTIES)))])
    post_rows = rows.add(post_author, post_time, post_text, stream="candidate_post")
    all_post_rows = np.concatenate([launch_rows, post_rows])
    all_post_author = np.concatenate([launch_author, post_author])
    all_post_time = np.concatenate([launch_time, post_time])
    post_text_all = pl.concat([launch_text, post_text])
    virality = rng.lognormal(0.0, 1.0, len(all_post_rows))
    post_pull = popularity[all_post_author] * virality
    # Posts by constituency then time, to find a seat's posts and the latest one before a moment.
    by_seat = np.lexsort((all_post_time, cand_seat[all_post_author]))
    seat_sorted = cand_seat[all_post_author][by_seat]
    seat_start = np.searchsorted(seat_sorted, np.arange(CONSTITUENCIES))
    seat_count = np.searchsorted(seat_sorted, np.arange(CONSTITUENCIES), side="right") - seat_start

    def reply_delay(n: int, fast_share: np.ndarray | float) -> np.ndarray:
        """Seconds after the post: a storm (median 90 s), a tail over the hour, or any time in the next day."""
        kind = rng.random(n)
        storm = kind < fast_share
        later = ~storm & (kind < fast_share + (1 - fast_share) * 0.7)
        d = rng.uniform(60, DAY, n)
        d[storm] = rng.lognormal(np.log(90), 0.9, int(storm.sum()))
        d[later] = rng.lognormal(np.log(1500), 1.0, int(later.sum()))
        return np.maximum(d.astype(np.int64), 3)

    # --- news: outlet bots post headlines on a 15-minute timer; people share them -------------------
    n_articles = max(50, messages // 400)
    art_outlet = rng.choice(n_out, n_articles, p=_zipf_p(n_out, 2.0, 0.9))
    art_time = (_times(rng, n_articles, START, end - 900) // 900 + 1) * 900  # the next quarter hour
    art_id = rng.integers(10**7, 10**8, n_articles)
    art_url = pl.Series([f"https://www.{OUTLETS[o]}.co.uk/politics/{i}" for o, i in zip(art_outlet, art_id)])
    art_short = pl.Series([f"https://bit.ly/{np.base_repr(int(i), 36).lower()}" for i in art_id])
    headline = _concat([_pool(HEADLINE_SUBJECTS).gather(rng.choice(len(HEADLINE_SUBJECTS), n_articles)),
                        _pool(TOPICS).gather(rng.choice(len(TOPICS), n_articles)),
                        _WORDS.gather(rng.choice(len(WORDS), n_articles, p=_WORD_P)), _WORDS.gather(rng.choice(len(WORDS), n_articles, p=_WORD_P))])
    rows.add(first_public - n_out + art_outlet, art_time, _concat([headline, art_url]), urls=art_url, stream="news_bot")
    art_pull = rng.lognormal(0.0, 1.4, n_articles)

    # --- planted groups ------------------------------------------------------------------------------
    sizes = np.sort(np.concatenate([[5, 40][:groups], rng.integers(5, 41, max(0, groups - 2))]))[rng.permutation(groups)]
    kinds_list = np.array(["copy_paste"] * ((groups + 1) // 2) + ["near_duplicate"] * (groups // 2))[rng.permutation(groups)]
    members_all = rng.choice(accounts, int(sizes.sum()), replace=False)  # public positions, disjoint groups
    truth_groups, kinds, targets, bursts = {}, {}, {}, {}
    shared_slogans = rng.choice(len(SLOGANS), 3, replace=False)  # copy-paste groups take turns with these
    cut = np.cumsum(sizes)[:-1]
    last_launch = int(launch_time.max())
    for g, (members, kind) in enumerate(zip(np.split(members_all, cut), kinds_list)):
        name = f"group_{g + 1:02d}_{kind}"
        seats = rng.choice(CONSTITUENCIES, len(members), replace=False)
        home[first_public + members] = seats  # sockpuppets present as locals of the seat they target
        n_bursts = int(rng.integers(3, 6))
        day_pool = np.arange(1, days)
        burst_days = rng.choice(day_pool, n_bursts, replace=n_bursts > len(day_pool))
        starts = np.sort(START + burst_days * DAY + rng.choice(24, n_bursts, p=HOUR_WEIGHTS) * 3600 + rng.integers(0, 3600, n_bursts))
        starts = np.clip(starts, last_launch + 1, end - 120)
        slogan_burst = int(rng.integers(0, n_bursts))
        spans = []
        for b, t0 in enumerate(starts):
            take = rng.random(len(members)) < 0.9
            if take.sum() < max(3, int(np.ceil(0.6 * len(members)))):
                take[rng.choice(len(members), max(3, int(np.ceil(0.6 * len(members)))), replace=False)] = True
            who, seat = members[take], seats[take]
            t = t0 + np.sort(rng.integers(0, 60, len(who)))
            t[0] = t0
            # Each member replies to the latest post by a candidate of their seat (every seat launched on day 1).
            pos = np.searchsorted(seat_sorted * (2**40) + all_post_time[by_seat], seat * (2**40) + t, side="right") - 1
            target = all_post_rows[by_seat[pos]]
            if kind == "copy_paste":
                if b == slogan_burst:
                    base = SLOGANS[shared_slogans[g % len(shared_slogans)]]
                else:
                    base = _campaign_text(rng)
                texts = [base] * len(who)
            else:
                base = _campaign_text(rng) if b != slogan_burst else f"{SLOGANS[shared_slogans[g % len(shared_slogans)]]} {_campaign_text(rng)}"
                handles = [_candidate_handle(int(c), int(cand_party[c])) for c in all_post_author[by_seat[pos]]]
                texts = [_near_duplicate(rng, base, h) for h in handles]
            spans.append(rows.add(first_public + who, t, texts, reply=target, stream="planted"))
        truth_groups[name] = members
        kinds[name] = str(kind)
        targets[name] = dict(zip(members.tolist(), seats.tolist()))  # public positions for now; ids below
        bursts[name] = spans  # row numbers for now; message ids below

    # --- the ordinary budget ---------------------------------------------------------------------------
    left = messages - rows.count
    if left < 1_000:
        raise ValueError("too few messages for this many planted groups")
    budget = {"repost": 0.12, "mention": 0.06, "hashtag": 0.08, "news": 0.09, "debate": 0.05, "slogan": 0.006, "superfan": 0.04}
    counts = {k: int(v * left) for k, v in budget.items()}
    counts["reply"] = left - sum(counts.values())

    # Slogan users: ordinary supporters who post campaign slogans; debate, replies etc. by everyone.
    slogan_users = rng.choice(accounts, max(50, accounts // 100), replace=False)

    # Superfans: a few accounts per leading candidate reply to most of that candidate's posts within minutes.
    top_cands = np.argsort(-popularity)[:30]
    fans = {int(c): rng.choice(accounts, int(rng.integers(3, 10)), replace=False, p=weight / weight.sum()) for c in top_cands}
    fan_rows_author, fan_rows_post = [], []
    for c, who in fans.items():
        posts_c = np.flatnonzero(all_post_author == c)
        if len(posts_c) == 0:
            continue
        pair_post = np.repeat(posts_c, len(who))
        pair_fan = np.tile(who, len(posts_c))
        keep = rng.random(len(pair_post)) < 0.6
        fan_rows_author.append(pair_fan[keep])
        fan_rows_post.append(pair_post[keep])
    fan_author = np.concatenate(fan_rows_author) if fan_rows_author else np.zeros(0, np.int64)
    fan_post = np.concatenate(fan_rows_post) if fan_rows_post else np.zeros(0, np.int64)
    if len(fan_author) > counts["superfan"]:
        keep = np.sort(rng.choice(len(fan_author), counts["superfan"], replace=False))
        fan_author, fan_post = fan_author[keep], fan_post[keep]
    counts["reply"] += counts["superfan"] - len(fan_author)
    fan_time = all_post_time[fan_post] + np.maximum(rng.lognormal(np.log(50), 0.6, len(fan_author)).astype(np.int64), 5)
    fan_text = _reply_text(rng, len(fan_author), stock_habit[fan_author])
    ok = fan_time < end
    rows.add(first_public + fan_author[ok], fan_time[ok], fan_text.filter(pl.Series(ok)), reply=all_post_rows[fan_post[ok]], stream="superfan")
    counts["reply"] += int((~ok).sum())

    # Replies: 55% to posts by national pull, 45% to the author's local candidates; a tenth answer another reply.
    n = counts["reply"]
    who = _weighted(rng, weight, n)
    local = rng.random(n) < 0.45
    seat = home[first_public + who]
    has_local = seat_count[seat] > 0
    local &= has_local
    post = _weighted(rng, post_pull, n)
    pick_local = seat_start[seat] + (rng.random(n) * np.maximum(seat_count[seat], 1)).astype(np.int64)
    post[local] = by_seat[pick_local[local]]
    delay = reply_delay(n, np.where(fast[who], 0.75, 0.45))
    t = all_post_time[post] + delay
    target = all_post_rows[post].copy()
    # Arguments in the thread: a tenth reply to an earlier reply to the same post instead.
    chosen = rng.random(n) < 0.1
    order = np.argsort(post, kind="stable")
    first_of = np.searchsorted(post[order], post, side="left")
    count_of = np.searchsorted(post[order], post, side="right") - first_of
    other = order[first_of + (rng.random(n) * count_of).astype(np.int64)]
    thread = chosen & ~chosen[other] & (other != np.arange(n))  # answering a direct reply, whose time is final
    t[thread] = np.maximum(t[thread], t[other[thread]] + rng.lognormal(np.log(300), 1.0, int(thread.sum())).astype(np.int64) + 5)
    ok = t < end
    reply_rows_start = rows.count
    text = _reply_text(rng, n, stock_habit[who])
    # Row numbers of the replies once added: the kept ones in order.
    kept_rank = np.cumsum(ok) - 1
    target[thread] = np.where(ok[other[thread]], reply_rows_start + kept_rank[other[thread]], target[thread])
    rows.add(first_public + who[ok], t[ok], text.filter(pl.Series(ok)), reply=target[ok], stream="reply")
    dropped = int((~ok).sum())

    # Reposts: faster storms still; the text is the post's, as 'RT @handle: ...'.
    n = counts["repost"] + dropped
    who = _weighted(rng, weight, n)
    post = _weighted(rng, post_pull ** 1.2, n)
    t = all_post_time[post] + reply_delay(n, 0.6)
    t = np.where(t < end, t, end - 1 - rng.integers(0, 600, n))
    t = np.maximum(t, all_post_time[post] + 1)
    handles = pl.Series([_candidate_handle(int(c), int(cand_party[c])) for c in range(n_cand)])
    text = _concat([_concat([pl.Series(["RT @"] * n), handles.gather(all_post_author[post]), pl.Series([":"] * n)], ""),
                    post_text_all.gather(post)])
    rows.add(first_public + who, t, text, repost=all_post_rows[post], stream="repost")

    # Top-level posts that mention a candidate (local or famous).
    n = counts["mention"]
    who = _weighted(rng, weight, n)
    famous_pick = rng.random(n) < 0.5
    seat = home[first_public + who]
    cand = np.where(famous_pick, famous[rng.integers(0, len(famous), n)], _random_candidate(rng, seat, per_seat))
    text = _concat([_concat([pl.Series(["@"] * n), handles.gather(cand)], ""), _free_text(rng, n)])
    rows.add(first_public + who, _times(rng, n, START, end), text, stream="mention")

    # Organic hashtag posts.
    n = counts["hashtag"]
    who = _weighted(rng, weight, n)
    text = _concat([_free_text(rng, n, hashtags=0.0),
                    _pool(HASHTAGS).gather(rng.choice(len(HASHTAGS), n, p=_zipf_p(len(HASHTAGS), 1.5, 1.0))),
                    _pool(HASHTAGS).gather(_pick(rng, n, len(HASHTAGS), 0.3))])
    rows.add(first_public + who, _times(rng, n, START, end), text, stream="hashtag")

    # News shares: half with the share button's identical text, a fifth through a short link.
    n = counts["news"]
    who = _weighted(rng, weight, n)
    art = _weighted(rng, art_pull, n)
    t = art_time[art] + np.maximum(rng.lognormal(np.log(1800), 1.3, n).astype(np.int64), 20)
    t = np.where(t < end, t, art_time[art] + rng.integers(20, 600, n))
    t = np.minimum(t, end - 1)
    short = rng.random(n) < 0.2
    url = pl.select(pl.when(pl.Series(short)).then(art_short.gather(art)).otherwise(art_url.gather(art))).to_series()
    button = rng.random(n) < 0.5
    via = _concat([pl.Series(["via @"] * n), _pool(OUTLETS).gather(art_outlet[art])], "")
    text_button = _concat([headline.gather(art), url, via])
    text_own = _concat([_free_text(rng, n, high=3), url])
    text = pl.select(pl.when(pl.Series(button)).then(text_button).otherwise(text_own)).to_series()
    rows.add(first_public + who, t, text, urls=url, stream="news_share")

    # Debate night: the fourth evening (or the last), 8-9:30 pm BST, spikes after five moments.
    n = counts["debate"]
    debate_day = min(3, days - 1)
    d0 = START + debate_day * DAY + 19 * 3600
    who = _weighted(rng, weight, n)
    moments = d0 + np.sort(rng.integers(300, 5000, 5))
    spike = rng.random(n) < 0.35
    t = d0 + rng.integers(0, 5400, n)
    t[spike] = moments[rng.integers(0, 5, int(spike.sum()))] + rng.exponential(70, int(spike.sum())).astype(np.int64)
    short_text = rng.random(n) < 0.3
    text = pl.select(pl.when(pl.Series(short_text)).then(_pool(DEBATE_SHORT).gather(rng.choice(len(DEBATE_SHORT), n, p=_zipf_p(len(DEBATE_SHORT), 1.0, 1.2))))
                     .otherwise(_concat([_free_text(rng, n, high=3, hashtags=0.0), pl.Series([DEBATE_TAG] * n)]))).to_series()
    rows.add(first_public + who, np.minimum(t, end - 1), text, stream="debate")

    # Ordinary supporters posting campaign slogans, word for word or with a hashtag; half as replies.
    n = counts["slogan"]
    who = slogan_users[_weighted(rng, weight[slogan_users], n)]
    slogan = rng.choice(len(SLOGANS), n)
    text = _concat([_pool(SLOGANS).gather(slogan), _pool(HASHTAGS).gather(_pick(rng, n, len(HASHTAGS), 0.3))])
    as_reply = rng.random(n) < 0.5
    post = _weighted(rng, post_pull, n)
    t = np.where(as_reply, all_post_time[post] + reply_delay(n, 0.3), _times(rng, n, START, end))
    t = np.where(t < end, t, end - 1)
    rows.add(first_public + who, t, text, reply=np.where(as_reply, all_post_rows[post], -1), stream="slogan")

    return _finish(rows, rng, n_cand, n_out, accounts, cand_seat, cand_party, truth_groups, kinds, targets, bursts,
                   hyper, stock_habit, slogan_users, fans, seed)


def _random_candidate(rng: np.random.Generator, seat: np.ndarray, per_seat: np.ndarray) -> np.ndarray:
    first = np.concatenate([[0], np.cumsum(per_seat)[:-1]])
    return first[seat] + (rng.random(len(seat)) * per_seat[seat]).astype(np.int64)


def _candidate_handle(candidate: int, party: int) -> str:
    return f"{FIRST_NAMES[candidate % len(FIRST_NAMES)].title()}For{PARTIES[party].upper()}{candidate:04d}"


def _reply_text(rng: np.random.Generator, n: int, habit: np.ndarray) -> pl.Series:
    """Replies: free text, common questions, or stock phrases (half of a habitual account's replies)."""
    roll = rng.random(n)
    stock_share = np.where(habit, 0.5, 0.08)
    kind = np.where(roll < stock_share, 0, np.where(roll < stock_share + 0.12, 1, 2))
    return pl.select(pl.when(pl.Series(kind == 0)).then(_stock(rng, n))
                     .when(pl.Series(kind == 1)).then(_question(rng, n))
                     .otherwise(_free_text(rng, n))).to_series()


def _campaign_text(rng: np.random.Generator) -> str:
    """One campaign message: rare enough to be unique, plain enough to pass for a constituent."""
    words = rng.choice(WORDS, int(rng.integers(3, 7)), p=_WORD_P)
    return (f"{CAMPAIGN_SUBJECTS[rng.integers(len(CAMPAIGN_SUBJECTS))]} {CAMPAIGN_CHARGES[rng.integers(len(CAMPAIGN_CHARGES))]} "
            f"{TOPICS[rng.integers(len(TOPICS))]} and {' '.join(words)}. {CAMPAIGN_DEMANDS[rng.integers(len(CAMPAIGN_DEMANDS))]}")


def _near_duplicate(rng: np.random.Generator, base: str, handle: str) -> str:
    """``base`` with one or two word edits and up to two typographic ones, as people editing a shared draft do."""
    words = base.split()
    for _ in range(int(rng.integers(1, 3))):
        op = rng.integers(3)
        i = int(rng.integers(len(words)))
        key = words[i].lower().strip(".,!?")
        if op == 0 and key in SYNONYMS:
            words[i] = SYNONYMS[key]
        elif op == 0 or op == 1:
            words.insert(i, FILLERS[rng.integers(len(FILLERS))])
        elif len(words) > 8:
            del words[i]
    for _ in range(int(rng.integers(0, 3))):
        op = rng.integers(4)
        if op == 0:
            words[-1] = words[-1].rstrip(".") + "!"
        elif op == 1:
            words.append(EMOJI[rng.integers(len(EMOJI))])
        elif op == 2:
            words[0] = words[0].upper()
        else:
            words.insert(0, f"@{handle}")
    return " ".join(words)


def _finish(rows: _Rows, rng, n_cand, n_out, accounts, cand_seat, cand_party, truth_groups, kinds, targets, bursts,
            hyper, stock_habit, slogan_users, fans, seed) -> HeldoutTraffic:
    n_accounts = n_cand + n_out + accounts
    first_public = n_cand + n_out
    ids = rng.integers(10**6, 2**62, n_accounts)
    while len(np.unique(ids)) < n_accounts:
        ids = rng.integers(10**6, 2**62, n_accounts)
    ids_s = np.array([str(i) for i in ids], dtype=object)
    names = np.empty(n_accounts, dtype=object)
    names[:n_cand] = [_candidate_handle(c, int(cand_party[c])) for c in range(n_cand)]
    names[n_cand:first_public] = OUTLETS
    first = rng.integers(0, len(FIRST_NAMES), accounts)
    suffix = rng.integers(0, len(HANDLE_WORDS), accounts)
    digits = rng.integers(0, 10_000, accounts)
    names[first_public:] = [f"{FIRST_NAMES[f]}{HANDLE_WORDS[s]}{d}" for f, s, d in zip(first, suffix, digits)]

    author = np.concatenate(rows.author)
    time = np.concatenate(rows.time)
    reply = np.concatenate(rows.reply)
    repost = np.concatenate(rows.repost)
    order = np.lexsort((rng.random(len(time)), time))  # by time; same-second rows in random order
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    # Twitter-like ids: increasing with time, with random gaps.
    message_ids = (1_800_000_000_000_000_000 + np.cumsum(rng.integers(1, 5_000_000, len(order)))).astype(np.int64)
    row_id = message_ids[position]  # id of each row, by row number

    def ref(col: np.ndarray) -> pl.Series:
        out = np.full(len(col), "", dtype=object)
        has = col >= 0
        out[has] = row_id[col[has]].astype(str)
        return pl.Series(out[order], dtype=pl.String)

    frame = pl.DataFrame({
        "message_id": pl.Series(message_ids.astype(str), dtype=pl.String),
        "user_id": pl.Series(ids_s[author[order]], dtype=pl.String),
        "username": pl.Series(names[author[order]], dtype=pl.String),
        "repost_id": ref(repost),
        "reply_id": ref(reply),
        "message": pl.concat(rows.text).gather(order),
        "timestamp": pl.Series(time[order], dtype=pl.Int64),
        "urls": pl.concat(rows.urls).gather(order),
    })

    def public_id(pos) -> str:
        return str(ids[first_public + int(pos)])

    groups = {name: [public_id(m) for m in members] for name, members in truth_groups.items()}
    targets = {name: {public_id(m): int(s) for m, s in seats.items()} for name, seats in targets.items()}
    flags: dict[int, list[str]] = {}
    for c in range(n_cand):
        flags.setdefault(c, []).append("candidate")
    for o in range(n_out):
        flags.setdefault(n_cand + o, []).append("news_bot")
    for who in fans.values():
        for p in who:
            flags.setdefault(first_public + int(p), []).append("superfan")
    for p in hyper:
        flags.setdefault(first_public + int(p), []).append("hyperactive")
    for p in np.flatnonzero(stock_habit):
        flags.setdefault(first_public + int(p), []).append("stock_phraser")
    for p in slogan_users:
        flags.setdefault(first_public + int(p), []).append("slogan_user")
    roles = {str(ids[a]): "+".join(sorted(set(f))) for a, f in flags.items()}
    burst_ids = {name: [[str(row_id[r]) for r in burst] for burst in spans] for name, spans in bursts.items()}
    seats = {str(ids[c]): int(cand_seat[c]) for c in range(n_cand)}
    return HeldoutTraffic(frame=frame, groups=groups, kinds=kinds, targets=targets, bursts=burst_ids, roles=roles,
                          candidate_seats=seats, seed=seed,
                          streams=pl.Series("stream", np.asarray(STREAMS)[np.concatenate(rows.stream)[order]], dtype=pl.String))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300_000, help="rows in the file (default 300,000)")
    parser.add_argument("--accounts", type=int, default=None, help="ordinary accounts (default: one per 5 messages; not all of them post)")
    parser.add_argument("--days", type=int, default=7, help="span in days (default 7)")
    parser.add_argument("--groups", type=int, default=12, help="planted groups (default 12)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=pathlib.Path, required=True, help="the CSV to write (QUT toolkit columns)")
    parser.add_argument("--truth", type=pathlib.Path, default=None, help="also write the planted groups, bursts and roles as JSON")
    args = parser.parse_args(argv)
    traffic = generate(args.messages, accounts=args.accounts, days=args.days, groups=args.groups, seed=args.seed)
    traffic.write_csv(args.out)
    if args.truth:
        args.truth.write_text(json.dumps(traffic.truth(), indent=1))
    sizes = ", ".join(f"{len(m)} {traffic.kinds[g]}" for g, m in traffic.groups.items())
    print(f"{traffic.frame.height:,} rows by {traffic.frame['user_id'].n_unique():,} accounts to {args.out}; groups: {sizes}", file=sys.stderr)


if __name__ == "__main__":
    main()
