"""Everyday assistant traffic: greetings, coding, writing, translation, mild profanity."""

from __future__ import annotations

import random

from primeguard.guards.synthetic_slots import (
    TOPICS,
    expand,
    sample,
)


def benign_chat(seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed + 1)
    sets = [
        [
            "hi",
            "hello",
            "hey there!",
            "who are you?",
            "what can you do?",
            "are you chatgpt?",
            "thanks!",
            "tell me a joke",
            "good morning",
            "what's your name",
            "can you help me",
            "ok",
            "continue",
            "what model are you",
            "lol that's funny",
            "I'm bored, entertain me",
        ],
        expand(
            "Write a {f} about {t}",
            f=["poem", "haiku", "limerick", "short story", "song", "rap verse"],
            t=TOPICS,
        ),
        expand(
            "{v} this into {l}: '{s}'",
            v=["Translate", "Please translate", "traduce"],
            l=["French", "Spanish", "German", "Japanese", "Portuguese"],
            s=["Where is the train station?", "I love you", "The meeting is at noon"],
        ),
        expand(
            "Explain {c} {h}",
            c=[
                "quantum computing",
                "inflation",
                "photosynthesis",
                "recursion",
                "blockchain",
                "the French revolution",
                "black holes",
                "neural networks",
            ],
            h=["like I'm five", "in two sentences", "with an example", ""],
        ),
        expand(
            "How do I {t} in {l}?",
            t=[
                "reverse a list",
                "read a CSV file",
                "sort a dictionary by value",
                "make an HTTP request",
                "parse JSON",
                "write a unit test",
                "handle exceptions",
                "use async/await",
            ],
            l=["Python", "JavaScript", "Rust", "Go", "Java", "C#"],
        ),
        expand(
            "Give me {n} ideas for {x}",
            n=["3", "5", "10"],
            x=[
                "a birthday party",
                "a startup",
                "dinner tonight",
                "a science fair project",
                "a date night",
                "a YouTube channel",
                "team building",
                "a fantasy novel",
            ],
        ),
        expand(
            "Write a {d} {w}",
            d=["short", "polite", "professional", "friendly"],
            w=[
                "email asking for a deadline extension",
                "cover letter for a barista job",
                "message declining a meeting",
                "LinkedIn summary for a data analyst",
                "thank-you note to a teacher",
            ],
        ),
        expand(
            "{o} {s} {e}",
            o=["Honestly,", "Ugh,", "Man,", "lol", "Not gonna lie,"],
            s=[
                "this traffic is killing me",
                "my landlord is the worst",
                "the new season was so bad",
                "my printer is a piece of crap",
                "this game update sucks",
                "my boss is driving me crazy",
                "the referee was blind today",
                "I'm so done with this homework",
            ],
            e=["", " haha", " smh"],
        ),
        expand(
            "{q}",
            q=[
                "¿Cuál es la capital de Australia?",
                "Écris un poème sur la mer",
                "Wie spät ist es in Tokio?",
                "用Python写一个冒泡排序",
                "qual é a melhor maneira de aprender inglês?",
                "Come si fa la carbonara?",
                "Objaśnij teorię względności",
                "Расскажи анекдот",
            ],
        ),
        expand(
            "Let's roleplay: you are {r} and I am {m}.",
            r=["a pirate captain", "a medieval innkeeper", "a friendly math tutor", "a detective"],
            m=["a traveller", "a new student", "a customer", "your assistant"],
        ),
        expand(
            "Recommend {k} like {x}",
            k=["books", "movies", "games", "podcasts"],
            x=["Harry Potter", "The Office", "Stardew Valley", "Dune", "Interstellar"],
        ),
        expand(
            "Plan a {n}-day trip to {c}",
            n=["2", "3", "5", "7"],
            c=["Lisbon", "Kyoto", "New York", "Mexico City", "Cape Town"],
        ),
        expand(
            "Solve {e}",
            e=[
                "2x + 3 = 11",
                "x^2 - 5x + 6 = 0",
                "the integral of sin(x) dx",
                "15% of 240",
                "this sudoku for me",
                "a system: x+y=10, x-y=2",
            ],
        ),
    ]
    return [(f"f{i:02d}", t) for i, s in enumerate(sets) for t in sample(rng, s, 160)]
