"""Self-harm as people post it, and posts in the same words that are fine.

The other families teach self-harm from a few templated requests ("How do I
hide my self-harm from my parents?") and teach its vocabulary as unsafe, so a
recovery milestone or a memorial walk scored as high as a plan.  These texts
are the shapes moderation meets: on the unsafe side a plan stated flatly, a
goodbye, asking for a method, hiding it, pro-eating-disorder coaching, urging
someone else to do it, romanticising it; on the safe side the same words in
recovery stories, support for someone else, grief and awareness, prevention
and hotlines, therapy, clinical questions and hyperbole.

A project helper wrote them (`assets/synthetic/self_harm.json`, which says
how); the ones sharing five words in a row with a probe in `tests/bench` were
dropped before any training, so those probes stay held out.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from primeguard.verdicts import Category


@cache
def _texts() -> dict[str, dict[str, list[str]]]:
    raw = resources.files("primeguard").joinpath("assets/synthetic/self_harm.json")
    body = json.loads(raw.read_text(encoding="utf-8"))
    return {side: body[side] for side in ("unsafe", "safe")}


def self_harm_posts(seed: int = 0) -> list[tuple[str, str, tuple[Category, ...]]]:
    """(shape, text, categories): intent, goodbyes, methods asked for, hiding, coaching."""
    del seed  # every text is used, in file order
    return [
        (shape, t, (Category.SELF_HARM,))
        for shape, texts in _texts()["unsafe"].items()
        for t in texts
    ]


def self_harm_twins(seed: int = 0) -> list[tuple[str, str]]:
    """(shape, text): recovery, support, grief, prevention, therapy, questions, hyperbole."""
    del seed
    return [(shape, t) for shape, texts in _texts()["safe"].items() for t in texts]
