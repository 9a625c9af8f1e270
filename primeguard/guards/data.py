"""Labelled training rows for the guard heads: the shared JSONL sets plus our own synthetic sets.

Each row carries its source (for leave-one-source-out validation), its licence
(the shipped default uses MIT and Apache-2.0 only), the overall label, and
per-category targets.  Category targets are ``1`` (positive), ``0`` (negative)
or ``-1`` (unknown: masked out of that head's loss).  Source taxonomies are
mapped onto `Category`; rows with no usable category field get categories from
a small keyword table, and heads they cannot inform are masked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from primeguard.guards.synthetic import (
    SYNTHETIC_LICENCE,
    abusive_statements,
    benign_chat,
    benign_discourse,
    benign_sensitive,
    benign_statements,
    benign_tasks,
    benign_traffic,
    clean_documents,
    harassment_posts,
    harassment_twins,
    hate_posts,
    hate_twins,
    howto_harmful,
    howto_twins,
    illicit_posts,
    illicit_twins,
    injected_documents,
    self_harm_posts,
    self_harm_twins,
    sexual_requests,
    threat_statements,
    threat_twins,
    toxic_content,
    unsafe_requests,
    violence_posts,
    violence_twins,
    writing_harmful,
    writing_twins,
)
from primeguard.verdicts import Category

CATEGORIES: tuple[Category, ...] = tuple(Category)
PERMISSIVE = ("MIT", "Apache-2.0")
NONCOMMERCIAL = ("CC-BY-NC-4.0",)

# Source taxonomy (lower-cased, method prefix stripped) -> our categories.
# An empty tuple: unsafe, but none of our categories (disinformation, expert advice).
SOURCE_CATEGORIES: dict[str, tuple[Category, ...]] = {
    "harassment/discrimination": (Category.HATE,),
    "hate, harassment and discrimination": (Category.HATE,),
    "discrimination, exclusion, toxicity, hateful, offensive": (Category.HATE,),
    "malware/hacking": (Category.ILLICIT,),
    "physical harm": (Category.VIOLENCE,),
    "violence": (Category.VIOLENCE,),
    "economic harm": (Category.ILLICIT,),
    "fraud/deception": (Category.ILLICIT,),
    "non-violent crimes": (Category.ILLICIT,),
    "illegal goods and services": (Category.ILLICIT,),
    "malicious uses": (Category.ILLICIT,),
    "sexual/adult content": (Category.SEXUAL,),
    "sexual content": (Category.SEXUAL,),
    "privacy": (Category.PRIVACY,),
    "information hazards": (Category.PRIVACY,),
    "disinformation": (),
    "disinformation and deception": (),
    "expert advice": (),
    "government decision-making": (),
    "jailbreak_template": (Category.PROMPT_INJECTION,),
    "prompt_hijacking": (Category.PROMPT_INJECTION,),
    "prompt_extraction": (Category.PROMPT_INJECTION,),
}
# do-not-answer categories too noisy to keep whole ("Can you love someone?" is
# labelled harmful); their rows survive only if the keyword table finds a harm.
KEYWORD_ONLY = {"misinformation harms", "human-chatbot interaction harms"}
# Heads that overlap (a bomb threat is violence and weapons): not negatives for each other.
RELATED: dict[Category, set[Category]] = {
    Category.VIOLENCE: {Category.WEAPONS_CBRN, Category.HATE, Category.SELF_HARM},
    Category.WEAPONS_CBRN: {Category.VIOLENCE, Category.ILLICIT},
    Category.SEXUAL: {Category.SEXUAL_MINORS, Category.HATE},
    Category.SEXUAL_MINORS: {Category.SEXUAL},
    Category.HATE: {Category.VIOLENCE, Category.SEXUAL},
    Category.ILLICIT: {Category.WEAPONS_CBRN, Category.PRIVACY, Category.VIOLENCE},
    Category.PRIVACY: {Category.ILLICIT},
    Category.SELF_HARM: {Category.VIOLENCE},
    Category.PROMPT_INJECTION: set(),
}
KEYWORDS: dict[Category, re.Pattern[str]] = {
    Category.WEAPONS_CBRN: re.compile(
        r"\b(bombs?|explosives?|detonat\w*|grenades?|guns?|firearms?|rifles?|ammunition|weapons?"
        r"|nerve agent|sarin|ricin|anthrax|bioweapon\w*|chemical weapon\w*|nuclear|uranium"
        r"|pathogens?|toxins?|molotov|napalm|ied)\b",
        re.IGNORECASE,
    ),
    Category.SELF_HARM: re.compile(
        r"\b(suicid\w*|self[- ]harm\w*|kill (myself|yourself)|cut(ting)? (myself|yourself)"
        r"|end (my|your) life|anorexi\w*|bulimi\w*|starve (myself|yourself)|overdose)\b",
        re.IGNORECASE,
    ),
    Category.SEXUAL_MINORS: re.compile(
        r"\b(child porn\w*|minors? .*sex\w*|underage .*sex\w*)\b", re.IGNORECASE
    ),
    Category.SEXUAL: re.compile(
        r"\b(sex\w*|porn\w*|nude\w*|explicit|erotic\w*|rape\w*)\b", re.IGNORECASE
    ),
    Category.VIOLENCE: re.compile(
        r"\b(kill\w*|murder\w*|assault\w*|shoot\w*|stab\w*|tortur\w*|attack\w*|hurt\w*"
        r"|assassinat\w*|kidnap\w*|terroris\w*|violen\w*|poison\w*)\b",
        re.IGNORECASE,
    ),
    Category.HATE: re.compile(
        r"\b(racis\w*|hate\w*|inferior|slurs?|harass\w*|bull(y|ies|ying)|discriminat\w*"
        r"|jews?|muslims?|black people|immigrants?|gay|women are)\b",
        re.IGNORECASE,
    ),
    Category.ILLICIT: re.compile(
        r"\b(hack\w*|steal\w*|fraud\w*|launder\w*|counterfeit\w*|drugs?|meth\w*|cocaine|heroin"
        r"|phishing|malware|ransomware|virus|scam\w*|smuggl\w*|illegal\w*|evade|bribe\w*|theft)\b",
        re.IGNORECASE,
    ),
    Category.PRIVACY: re.compile(
        r"\b(personal information|home address|social security|dox\w*|track (someone|my)"
        r"|spy on|private (data|information)|stalk\w*|surveil\w*)\b",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text; `targets[i]` is 1, 0 or -1 (masked) for `CATEGORIES[i]`."""

    text: str
    unsafe: bool
    targets: tuple[int, ...]
    source: str
    licence: str


def keyword_categories(text: str) -> set[Category]:
    return {c for c, pattern in KEYWORDS.items() if pattern.search(text)}


def category_targets(unsafe: bool, cats: set[Category], complete: bool) -> tuple[int, ...]:
    """Positives for `cats`; negatives elsewhere if `complete`, else masked; safe -> all 0."""
    if not unsafe:
        return tuple(0 for _ in CATEGORIES)
    masked: set[Category] = set()
    for c in cats:
        masked |= RELATED[c]
    out = []
    for c in CATEGORIES:
        if c in cats:
            out.append(1)
        elif complete and cats and c not in masked:
            out.append(0)
        else:
            out.append(-1)
    return tuple(out)


def categories_for(row: dict[str, object]) -> tuple[set[Category], bool] | None:
    """Our categories for a shared-data unsafe row, whether they are complete; None drops it."""
    text = str(row["text"])
    raw = str(row.get("category") or "").lower()
    method, _, name = raw.rpartition("|")
    if str(row["source"]).startswith("microsoft/BIPIA"):
        return {Category.PROMPT_INJECTION}, True
    if name in KEYWORD_ONLY:
        found = keyword_categories(text)
        return (found, False) if found else None
    cats = set(SOURCE_CATEGORIES.get(name, ())) | keyword_categories(text)
    if method in {"jailbreakchat", "adaptive_random_search"}:
        cats.add(Category.PROMPT_INJECTION)  # a jailbreak template wraps the request
    return cats, name in SOURCE_CATEGORIES


def load_jsonl(path: Path) -> list[Example]:
    examples = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        row = json.loads(line)
        unsafe = row["label"] == "unsafe"
        cats: set[Category] = set()
        complete = True
        if unsafe:
            found = categories_for(row)
            if found is None:
                continue
            cats, complete = found
        source = f"{path.stem}"
        examples.append(
            Example(
                row["text"],
                unsafe,
                category_targets(unsafe, cats, complete),
                source,
                row["license"],
            )
        )
    return examples


def load_examples(
    data_dir: Path,
    licences: Sequence[str] = PERMISSIVE,
    *,
    seed: int = 0,
    max_per_source: int = 4000,
    synthetic: bool = True,
) -> list[Example]:
    """All rows whose licence is in `licences`, plus our synthetic sets (Apache-2.0)."""
    import random

    rng = random.Random(seed)
    allowed = {lic.lower() for lic in licences}
    examples: list[Example] = []
    for path in sorted(data_dir.glob("*.jsonl")):
        rows = [e for e in load_jsonl(path) if e.licence.lower() in allowed]
        if len(rows) > max_per_source:
            rows = rng.sample(rows, max_per_source)
        examples.extend(rows)
    if synthetic and SYNTHETIC_LICENCE.lower() in allowed:
        examples.extend(synthetic_examples(seed))
    return examples


def synthetic_examples(seed: int = 0) -> list[Example]:
    """The project's own templated sets: hard negatives, everyday chat, category positives.

    Each template family is its own source, so leave-one-source-out holds out
    one family (say, "games") while the others still teach the heads.
    """
    safe = category_targets(False, set(), True)
    benign = {
        "benign-sensitive": benign_sensitive,
        "benign-chat": benign_chat,
        "benign-traffic": benign_traffic,
        "benign-tasks": benign_tasks,
        "benign-statements": benign_statements,
        "benign-howto": howto_twins,
        "benign-documents": clean_documents,
        "benign-writing": writing_twins,
        "benign-discourse": benign_discourse,
        "benign-threats": threat_twins,
        "benign-selfharm": self_harm_twins,
        "benign-hate": hate_twins,
        "benign-violence": violence_twins,
        "benign-harassment": harassment_twins,
        "benign-illicit": illicit_twins,
    }
    unsafe = {
        "unsafe-synthetic": unsafe_requests,
        "unsafe-toxic": toxic_content,
        "unsafe-statements": abusive_statements,
        "unsafe-howto": howto_harmful,
        "unsafe-injection": injected_documents,
        "unsafe-writing": writing_harmful,
        "unsafe-sexual": sexual_requests,
        "unsafe-threats": threat_statements,
        "unsafe-selfharm": self_harm_posts,
        "unsafe-hate": hate_posts,
        "unsafe-violence": violence_posts,
        "unsafe-harassment": harassment_posts,
        "unsafe-illicit": illicit_posts,
    }
    out = [
        Example(t, False, safe, f"primeguard/{name}/{f}", SYNTHETIC_LICENCE)
        for name, make in benign.items()
        for f, t in make(seed)
    ]
    out += [
        Example(
            t,
            True,
            category_targets(True, set(cats), True),
            f"primeguard/{name}/{f}",
            SYNTHETIC_LICENCE,
        )
        for name, make_unsafe in unsafe.items()
        for f, t, cats in make_unsafe(seed)
    ]
    return out
