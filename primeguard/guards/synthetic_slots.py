"""Slot vocabularies and the expansion helpers shared by the synthetic generators."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import TypeVar

from primeguard.verdicts import Category

T = TypeVar("T")


def expand(template: str, **slots: Sequence[str]) -> list[str]:
    keys = list(slots)
    return [
        template.format(**dict(zip(keys, combo))) for combo in itertools.product(*slots.values())
    ]


def sample(rng: random.Random, texts: list[T], k: int) -> list[T]:
    return texts if len(texts) <= k else rng.sample(texts, k)


#: (harmful task, its categories, a safe twin on the same subject)
Twin = tuple[str, tuple[Category, ...], str]


def safe_twins(
    seed: int, code: str, wrappers: Sequence[str], tasks: Sequence[Twin], everyday: Sequence[str]
) -> list[tuple[str, str]]:
    """(family, text): each task's safe twin and the everyday tasks in the same wrappers;
    families `{code}0` (up to 120 twins) and `{code}1` (up to 48 everyday)."""
    rng = random.Random(seed)
    twins = [w.format(t=twin) for w in wrappers for _, _, twin in tasks]
    plain = [w.format(t=t) for w in wrappers for t in everyday]
    return [(f"{code}0", t) for t in sample(rng, twins, 120)] + [
        (f"{code}1", t) for t in sample(rng, plain, 48)
    ]


def harmful_tasks(
    seed: int, family: str, wrappers: Sequence[str], tasks: Sequence[Twin], k: int
) -> list[tuple[str, str, tuple[Category, ...]]]:
    """(family, text, categories): up to `k` of the harmful tasks in the wrappers."""
    rng = random.Random(seed)
    rows = [(w.format(t=t), cats) for w in wrappers for t, cats, _ in tasks]
    return [(family, t, cats) for t, cats in sample(rng, rows, k)]


OS = ["Linux", "Ubuntu", "macOS", "Windows", "a Raspberry Pi"]
TECH_KILL = [
    "a Python process",
    "a zombie process",
    "a hung Docker container",
    "all node processes",
    "a background job in bash",
    "a frozen program",
    "a stuck Windows task",
    "a tmux session",
]
GAMES = [
    "Elden Ring",
    "Minecraft",
    "Dark Souls 3",
    "Zelda: Tears of the Kingdom",
    "Skyrim",
    "Hollow Knight",
]
BOSSES = [
    "the final boss",
    "the dragon",
    "the Ender Dragon",
    "Malenia",
    "the first boss",
    "a creeper",
]
HARM_TERMS = [
    "terrorism",
    "genocide",
    "money laundering",
    "human trafficking",
    "a Ponzi scheme",
    "phishing",
    "ransomware",
    "arson",
    "extortion",
    "self-harm",
    "domestic violence",
    "cyberbullying",
    "hate speech",
    "doxxing",
    "insider trading",
    "a pipe bomb",
    "a chemical weapon",
    "grooming",
]
HISTORY = [
    "the Holocaust",
    "the Rwandan genocide",
    "the Armenian genocide",
    "the bombing of Hiroshima",
    "the Cuban missile crisis",
    "the Oklahoma City bombing",
    "the 9/11 attacks",
    "the Khmer Rouge",
    "the Salem witch trials",
    "the Manhattan Project",
    "World War I",
    "the Tulsa race massacre",
]
DRUGS = [
    "ibuprofen",
    "acetaminophen",
    "melatonin",
    "aspirin",
    "caffeine",
    "vitamin D",
    "antihistamines",
]
ATTACKS = [
    "SQL injection",
    "cross-site scripting",
    "CSRF",
    "a buffer overflow",
    "phishing",
    "ransomware",
    "a DDoS attack",
    "credential stuffing",
    "a man-in-the-middle attack",
    "social engineering",
]
GROUPS = [
    "immigrants",
    "women in tech",
    "LGBTQ people",
    "people with disabilities",
    "Muslims",
    "Jewish people",
    "Black Americans",
    "older workers",
    "refugees",
    "Indigenous people",
]
PLACES = [
    "the White House",
    "the Eiffel Tower",
    "Buckingham Palace",
    "the Louvre",
    "the Sydney Opera House",
]
FAMOUS = [
    "Barack Obama",
    "Taylor Swift",
    "Marie Curie",
    "Elon Musk",
    "Serena Williams",
    "Albert Einstein",
]
SILLY = ["cucumbers", "garden gnomes", "clouds", "my toaster", "purple carrots", "teaspoons"]
TOPICS = [
    "my cat",
    "the ocean",
    "autumn",
    "coffee",
    "friendship",
    "a rainy Monday",
    "space travel",
    "my grandmother's garden",
    "learning to code",
    "the city at night",
]
VICTIMS = [
    "my neighbor",
    "my ex-wife",
    "my boss",
    "a coworker",
    "my stepfather",
    "a police officer",
]
KIDS = [
    "a 12-year-old girl",
    "a 13-year-old boy",
    "a young child",
    "an underage student",
    "a 14-year-old",
]
PEOPLE = [
    "my ex-girlfriend",
    "a journalist I hate",
    "my coworker Sarah",
    "a Twitch streamer",
    "my landlord",
]
HATED = [
    "immigrants",
    "Muslims",
    "Jews",
    "Black people",
    "gay people",
    "women",
    "Mexicans",
    "Asians",
]
