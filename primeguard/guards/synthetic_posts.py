"""Posts as people write them, one category each, and posts in the same words that are fine.

Templated families teach a category's vocabulary; these teach its shapes.  A
helper that read nothing of the repository wrote each set
(`assets/synthetic/<name>.json`, whose `about` says how), and the texts sharing
five words in a row with a probe in `tests/bench` were dropped before any
training, so those probes stay held out.

- `self_harm`: a plan stated flatly, a goodbye, a method asked for, hiding it,
  eating-disorder coaching, urging someone on, romanticising it; the same words
  in recovery, support, grief, prevention, therapy, clinical questions and
  hyperbole.  Before it, the self-harm head called recovery posts unsafe.
- `hate`: contempt for a protected group in plain words (no slurs):
  generalisations, dehumanising comparisons, exclusion, conspiracies, mockery,
  "jokes"; the same words in debunking, responding to hate, history, news, one's
  own identity, questions about a culture, policy asked in good faith.
- `violence`: violence relished, wished, threatened, bragged of, planned; the
  same words in news, history, combat sports, games, fiction, butchery, first
  aid, self-defence, hyperbole and victims asking for help.
- `harassment`: insults, bullying, shaming, intimidation and mockery aimed at a
  person; the same words in banter, criticism of work, venting, asking for help,
  moderation, quoting, self-deprecation, firm reviews, roasts and trash talk.
- `illicit`: seeking or offering help with drugs, fraud, theft, break-ins,
  evading police, laundering, fake documents and illegal weapons; the same words
  in news, legal questions, harm reduction, recovery, security, scam victims,
  crime fiction, history, policy and pharmacology.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from primeguard.verdicts import Category

Unsafe = Callable[[int], list[tuple[str, str, tuple[Category, ...]]]]
Safe = Callable[[int], list[tuple[str, str]]]


@cache
def _body(name: str) -> dict[str, Any]:
    raw = resources.files("primeguard").joinpath(f"assets/synthetic/{name}.json")
    body: dict[str, Any] = json.loads(raw.read_text(encoding="utf-8"))
    return body


def _categories(name: str, shape: str, default: Category) -> tuple[Category, ...]:
    """A shape's categories: the set's own, or the file's `categories` for that shape (urging
    someone to kill themselves is harassment too; violence against a group is hate too)."""
    named = _body(name).get("categories", {}).get(shape)
    return tuple(Category(c) for c in named) if named else (default,)


def _family(name: str, category: Category) -> tuple[Unsafe, Safe]:
    """(posts, twins) makers for one set: (shape, text, categories) and (shape, text)."""

    # One writer in one sitting: each side is one source ("helper"), not one per shape, so the
    # source weighting (1/sqrt(n) per source) does not count a set's shapes as many sources.
    def posts(seed: int = 0) -> list[tuple[str, str, tuple[Category, ...]]]:
        del seed  # every text is used, in file order
        return [
            ("helper", t, _categories(name, shape, category))
            for shape, texts in _body(name)["unsafe"].items()
            for t in texts
        ]

    def twins(seed: int = 0) -> list[tuple[str, str]]:
        del seed
        return [("helper", t) for texts in _body(name)["safe"].values() for t in texts]

    posts.__name__, twins.__name__ = f"{name}_posts", f"{name}_twins"
    return posts, twins


self_harm_posts, self_harm_twins = _family("self_harm", Category.SELF_HARM)
hate_posts, hate_twins = _family("hate", Category.HATE)
violence_posts, violence_twins = _family("violence", Category.VIOLENCE)
harassment_posts, harassment_twins = _family("harassment", Category.HATE)
illicit_posts, illicit_twins = _family("illicit", Category.ILLICIT)
