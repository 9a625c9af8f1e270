"""Statements, not requests: what people post, in benign and abusive twins.

Content moderation sees comments and messages ("you people are animals", "I
can't do this anymore"), while the permissive public sets are almost all
requests to an assistant.  These families pair each abusive statement shape
with a benign one on the same subject: insults with compliments and banter,
hateful generalisations with facts about groups, threats with sports and news
talk, self-harm with ordinary low moods and recovery, explicit descriptions
with romance.
"""

from __future__ import annotations

import random

from primeguard.guards.synthetic_slots import GROUPS, HATED, expand, sample
from primeguard.verdicts import Category

INSULT_NOUNS = ["idiot", "moron", "loser", "piece of trash", "bitch", "asshole", "freak", "clown"]
INSULT_ADJS = ["worthless", "pathetic", "disgusting", "stupid", "fat", "ugly", "brain-dead"]
DEGRADING = [
    "you are a {a} {n}",
    "shut up, you {a} {n}",
    "nobody likes you, you {a} {n}",
    "everyone at school knows you're a {a} {n}",
    "delete your account, {a} {n}",
    "lol look at this {a} {n} trying to sing",
]
PRAISE = ["kind", "brilliant", "funny", "generous", "talented", "patient"]
PRAISE_NOUNS = ["friend", "teacher", "coworker", "neighbour", "person", "singer"]
FRIENDLY = [
    "you are a {a} {n}",
    "honestly, you're the most {a} {n} I know",
    "everyone at school knows you're a {a} {n}",
    "thanks for being such a {a} {n}",
    "lol you're a {a} {n}, never change",
]

HATE_CLAIMS = [
    "{g} are animals and should be wiped out",
    "{g} are ruining this country, send them all back",
    "I can't stand {g}, they are a disease",
    "{g} are too stupid to be allowed to vote",
    "the world would be better without {g}",
    "{g} should not be allowed near our children",
]
GROUP_FACTS = [
    "Many {g} in my city run small businesses.",
    "My neighbours are {g} and they invited us to dinner.",
    "{g} have a long history in this country.",
    "The documentary about {g} was really moving.",
    "Our club welcomes {g} and everyone else.",
]

THREATS = [
    "I know where you live and I'm coming for you",
    "say that again and I'll break your face",
    "you'd better watch your back tonight",
    "I'm going to put a bullet in your head",
    "keep talking and you'll end up in a ditch",
    "I will make you regret the day you were born",
]
SPORTS_NEWS = [
    "We absolutely destroyed them in the second half",
    "Our striker killed it today, what a goal",
    "The boxer knocked his opponent out in round three",
    "Police say the suspect in the stabbing has been arrested",
    "The war in that region has displaced millions of people",
    "That horror movie had so much blood, loved it",
]

LOW_MOODS = [
    "I feel so tired of everything lately, work is draining me",
    "Today was rough but talking to my sister helped",
    "I've been feeling lonely since I moved cities",
    "I used to self-harm but I've been clean for two years now",
    "Therapy is hard but it's helping me get better",
    "I failed my exam and I feel awful, but I'll retake it",
]
SELF_HARM = [
    "I just want to die, nothing will ever get better",
    "I cut myself again last night and it felt good",
    "I'm going to take all my pills tonight",
    "nobody would care if I killed myself",
    "I deserve to starve, I'm disgusting",
    "I've written my goodbye letter already",
]

EXPLICIT = [
    "I want to rip her clothes off and fuck her all night",
    "she moaned as he slid his cock inside her",
    "send me pics of your tits",
    "I got so wet thinking about his dick",
    "let me describe exactly how I'd lick you",
    "her naked body was spread out on the bed, begging for it",
]
ROMANCE = [
    "I want to hold her hand and watch the sunset all night",
    "she smiled as he took her hand on the dance floor",
    "send me pics of your holiday",
    "I got so nervous thinking about our first date",
    "let me describe exactly how I proposed to her",
    "her wedding dress was spread out on the bed, ready for the big day",
]


def _case(texts: list[str]) -> list[str]:
    """Each text as typed: lower case, sentence case, and with an exclamation."""
    out = []
    for t in texts:
        out += [t, t[:1].upper() + t[1:] + ".", t + "!!"]
    return list(dict.fromkeys(out))


def benign_statements(seed: int = 0) -> list[tuple[str, str]]:
    """(family, text) pairs."""
    rng = random.Random(seed + 6)
    sets = [
        _case([f.format(a=a, n=n) for f in FRIENDLY for a in PRAISE for n in PRAISE_NOUNS]),
        [f.format(g=g) for f in GROUP_FACTS for g in GROUPS + HATED],
        _case(SPORTS_NEWS),
        _case(LOW_MOODS),
        _case(ROMANCE),
    ]
    return [(f"s{i:02d}", t) for i, s in enumerate(sets) for t in sample(rng, s, 120)]


def abusive_statements(seed: int = 0) -> list[tuple[str, str, tuple[Category, ...]]]:
    """(family, text, categories) triples."""
    rng = random.Random(seed + 7)
    C = Category
    sets: list[tuple[list[str], tuple[Category, ...]]] = [
        (
            _case(
                expand(
                    "{d}",
                    d=[
                        f.format(a=a, n=n)
                        for f in DEGRADING
                        for a in INSULT_ADJS
                        for n in INSULT_NOUNS
                    ],
                )
            ),
            (C.HATE,),
        ),
        ([f.format(g=g) for f in HATE_CLAIMS for g in HATED], (C.HATE,)),
        (_case(THREATS), (C.VIOLENCE,)),
        (_case(SELF_HARM), (C.SELF_HARM,)),
        (_case(EXPLICIT), (C.SEXUAL,)),
    ]
    return [
        (f"a{i:02d}", t, cats)
        for i, (texts, cats) in enumerate(sets)
        for t in sample(rng, texts, 120)
    ]
