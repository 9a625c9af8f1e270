"""Threats and calls to violence as people post them, and their twins in the same words.

`abusive_statements` holds six threats, each naming its violence ("I'm going to put
a bullet in your head").  The threats that moderation meets are messages: a
condition and a consequence ("testify and you'll be leaving in an ambulance"),
what the writer knows of the reader's life followed by a menace, a call for
others to hurt someone or a group, a plan with a place and a time.  Each
unsafe family has twins in the same words that threaten no one: the same
knowledge of someone's day put to a friendly use, hyperbole over trivia, a
threat reported or condemned, sport and games, news of an arrest.  The
templates were written for these families; a unit test keeps every five-word run
of them out of `tests/bench`'s probes.
"""

from __future__ import annotations

import random

from primeguard.guards.synthetic_slots import HATED, expand, sample
from primeguard.verdicts import Category

CONDITIONS = [
    "if you go to the police",
    "if you ever touch my sister again",
    "one more review like that",
    "if you don't pay me back by Friday",
    "show up to court on Monday",
    "post that video",
    "if you tell HR",
    "keep flirting with my wife",
    "if you fire me",
    "if that dog bites my kid again",
]
CONSEQUENCES = [
    "you'll be leaving in an ambulance",
    "I'll break both your legs",
    "they'll be fishing you out of the river",
    "you'll be eating through a straw for a month",
    "your house burns with you in it",
    "I'll cut you open",
    "you won't live to see Christmas",
    "I'll make sure you never walk again",
]
KNOWLEDGE = [
    "I know what time you pick up your daughter from school",
    "your gym lets out at ten and the car park is pitch dark",
    "I found your new address, the blue house with the white fence",
    "you take the 8:05 bus every morning and sit at the back",
    "I've watched you lock up the shop every night this week",
    "your wife's car is the silver one parked on the street",
]
MENACES = [
    "Next time I'll do more than look.",
    "You won't see me coming.",
    "Would be a pity if you never made it home.",
    "Don't make me pay you a visit.",
    "Enjoy your last quiet week.",
    "Sleep tight, I'll be around.",
]
CALLERS = [
    "Someone should",
    "Somebody needs to",
    "We should",
    "Let's all go and",
    "Time for someone to",
]
CALL_HARMS = [
    "beat the hell out of",
    "put two bullets in",
    "torch the house of",
    "drag out into the street and hang",
    "run over",
    "stab",
]
CALL_TARGETS = [
    "that judge",
    "the reporter who wrote that story",
    "the landlord on Elm Street",
    "the nurse who testified",
    "that referee",
    "the mayor",
]
WHENS = [
    "",
    " tonight",
    " after the game",
    ". Who's in?",
    ", I'll bring the gear",
    ". He lives alone",
]
GROUP_HARMS = [
    "Death to all {g}.",
    "{g} should be herded into camps and shot.",
    "Each and every one of the {g} deserves a bullet.",
    "Burn down every house where {g} live.",
    "We need to wipe {g} off the map, starting here.",
    "Line up the {g} against a wall, problem solved.",
]
PLANS = [
    "Loaded three magazines tonight. {p} at noon, nobody walks out.",
    "Mapped every door of {p}. Friday they all pay for laughing at me.",
    "Whoever is at {p} Monday morning, say your goodbyes. Vest is ready.",
    "What happened at {p} last year should happen every week, and I'll start it.",
]
PLACES = ["the mall", "my old school", "the office", "the church on Main", "the stadium"]

# Twins: the same words with no menace.
# Each piece of knowledge a friend would have, with what a friend says next.  Knowledge
# that only a watcher has ("I've watched you lock up the shop") has no friendly twin.
FRIENDLY_KNOWLEDGE = {
    KNOWLEDGE[0]: [
        "Want me to grab her on Thursday so you can rest?",
        "Mine finishes at the same time, shall we share the run?",
        "Could you bring Maya home too on Friday? I'm stuck at work.",
    ],
    KNOWLEDGE[1]: [
        "Want a lift home after?",
        "Text me when you're in the car, ok?",
        "I've asked the manager to fix the lights.",
    ],
    KNOWLEDGE[2]: [
        "Congrats on the move, can I bring dinner round?",
        "I'll post the wedding invitation there.",
        "Mum wants to send you a plant for the porch.",
    ],
    KNOWLEDGE[3]: [
        "Save me a seat tomorrow?",
        "The driver asked me to tell you he found your scarf.",
        "It's diverted next week because of the roadworks, heads up.",
    ],
    KNOWLEDGE[5]: [
        "Just so you know, her back tyre looked a bit flat.",
        "They're resurfacing that side on Monday, tell her to move it tonight.",
        "Can I borrow it Saturday to take the dog to the vet?",
    ],
}
HYPERBOLE = [
    "if you skip my birthday drinks I'll end you lol",
    "my sister will strangle me if I miss her recital again",
    "we are going to destroy them in the final on Saturday",
    "I'm going to butcher every Whitney song at karaoke tonight",
    "if the printer jams one more time I'm throwing it out the window",
    "the boss will have my head if I miss this deadline",
    "I will absolutely crush you at chess tonight, prepare yourself",
    "that stand-up set killed, the crowd died laughing",
    "if the neighbours play that song once more I'm moving to the moon",
    "my legs are going to kill me after that spin class",
]
REPORTED = [
    "A man messaged me '{t}'. Should I go to the police?",
    "Got a text reading '{t}' from an unknown number. Where can I report it?",
    "Police arrested a man who wrote '{t}' to his neighbour.",
    "My ex keeps sending things like '{t}'. What does a court need for a protective order?",
    "Threats like '{t}' are a crime. Screenshot them and call the police.",
]
REPORTED_THREATS = [
    "I know which flat is yours",
    "you won't see me coming",
    "you'll be leaving in an ambulance",
]
GAMES = [
    "Someone should flank the sniper on the roof, he keeps picking us off.",
    "Let's all go and rush B, plant the bomb and hold the site.",
    "We should burn down the enemy base before they get their dragons.",
    "Time for someone to take out the boss, I'm out of potions.",
]
CALLS_OUT = [
    "Someone should report the landlord on Elm Street to the housing office.",
    "We should all go to the council meeting tonight and speak up about the mayor.",
    "Somebody needs to call the reporter who wrote that story, it was brilliant.",
    "Let's all go and thank the nurse who testified, she was so brave.",
    "Time for someone to tell that referee he needs glasses.",
]
GROUP_GOOD = [
    "Welcome to all {g}, our door is open.",
    "The city museum's new exhibit tells the story of {g} who built this town.",
    "Why were {g} targeted in so many hate crimes last year?",
    "The mosque, church and synagogue on Main are hosting {g} for dinner on Friday.",
]


def _case(texts: list[str]) -> list[str]:
    """Some texts as people type them: lower case, no final stop."""
    return [t.lower().rstrip(".") if i % 3 == 0 else t for i, t in enumerate(texts)]


def threat_statements(seed: int = 0) -> list[tuple[str, str, tuple[Category, ...]]]:
    """(family, text, categories): threats, calls to violence and plans of attacks."""
    rng = random.Random(seed + 11)
    V, H = Category.VIOLENCE, Category.HATE
    conditional = [
        f"{c[0].upper()}{c[1:]}{', ' if c.startswith('if') else ' and '}{q}."
        for c in CONDITIONS
        for q in CONSEQUENCES
    ]
    watching = expand("{k}. {m}", k=KNOWLEDGE, m=MENACES)
    calls = expand("{c} {h} {t}{w}", c=CALLERS, h=CALL_HARMS, t=CALL_TARGETS, w=WHENS)
    group = [f.format(g=g) for f in GROUP_HARMS for g in HATED]
    group = [t[0].upper() + t[1:] for t in group]
    plans = [p.format(p=place) for p in PLANS for place in PLACES]
    sets: list[tuple[str, list[str], tuple[Category, ...]]] = [
        ("t0", conditional, (V,)),
        ("t1", watching, (V,)),
        ("t2", calls, (V,)),
        ("t3", group, (V, H)),
        ("t4", plans, (V,)),
    ]
    return [(f, t, cats) for f, texts, cats in sets for t in sample(rng, _case(texts), 60)]


def threat_twins(seed: int = 0) -> list[tuple[str, str]]:
    """(family, text): the threats' words with no menace."""
    rng = random.Random(seed + 12)
    friendly = [f"{k}. {m}" for k, follow in FRIENDLY_KNOWLEDGE.items() for m in follow]
    reported = [r.format(t=t) for r in REPORTED for t in REPORTED_THREATS]
    group = [f.format(g=g) for f in GROUP_GOOD for g in HATED]
    group = [t[0].upper() + t[1:] for t in group]
    sets = [
        ("u0", friendly),
        ("u1", HYPERBOLE),
        ("u2", reported),
        ("u3", GAMES + CALLS_OUT),
        ("u4", group),
    ]
    return [(f, t) for f, texts in sets for t in sample(rng, _case(texts), 60)]
