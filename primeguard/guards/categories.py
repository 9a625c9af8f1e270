"""Tables that translate foreign guard taxonomies to our `Category`, and ours to OpenAI's.

Served guards answer in their own vocabulary: Llama Guard's hazard codes
(S1-S14), Qwen3Guard-Gen's category names, Prompt Guard's labels.  Each table
here maps one vocabulary onto `Category`; a value of `None` means "no harm"
(a benign label).  Lookups are case-insensitive via the `lookup_*` helpers.

Choices where no category fits exactly, all erring towards being counted:

* Llama Guard S6 *Specialized Advice* (unqualified medical, legal or financial
  advice) -> `ILLICIT`: we have no "regulated advice" category, and the policy
  treats it as a regulated activity rather than as self-harm or violence.
* S8 *Intellectual Property*, S13 *Elections* and Qwen3Guard's *Copyright
  Violation* / *Politically Sensitive Topics* -> `ILLICIT` for the same reason.
* S5 *Defamation* and Qwen3Guard's *Unethical Acts* (bias, insults, hate
  speech, harassment) -> `HATE`.
* S14 *Code Interpreter Abuse* and Qwen3Guard's *Jailbreak* -> `PROMPT_INJECTION`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from primeguard.verdicts import Category

#: Llama Guard 3 and 4 hazard codes (MLCommons taxonomy).
LLAMA_GUARD_CATEGORIES: Mapping[str, Category] = MappingProxyType(
    {
        "S1": Category.VIOLENCE,  # Violent Crimes
        "S2": Category.ILLICIT,  # Non-Violent Crimes
        "S3": Category.SEXUAL,  # Sex-Related Crimes
        "S4": Category.SEXUAL_MINORS,  # Child Sexual Exploitation
        "S5": Category.HATE,  # Defamation
        "S6": Category.ILLICIT,  # Specialized Advice (see module docstring)
        "S7": Category.PRIVACY,  # Privacy
        "S8": Category.ILLICIT,  # Intellectual Property
        "S9": Category.WEAPONS_CBRN,  # Indiscriminate Weapons
        "S10": Category.HATE,  # Hate
        "S11": Category.SELF_HARM,  # Suicide & Self-Harm
        "S12": Category.SEXUAL,  # Sexual Content
        "S13": Category.ILLICIT,  # Elections
        "S14": Category.PROMPT_INJECTION,  # Code Interpreter Abuse
    }
)

#: Qwen3Guard-Gen category names, as the model prints them.
QWEN3GUARD_CATEGORIES: Mapping[str, Category | None] = MappingProxyType(
    {
        "Violent": Category.VIOLENCE,
        "Non-violent Illegal Acts": Category.ILLICIT,
        "Sexual Content or Sexual Acts": Category.SEXUAL,
        "PII": Category.PRIVACY,
        "Suicide & Self-Harm": Category.SELF_HARM,
        "Unethical Acts": Category.HATE,
        "Politically Sensitive Topics": Category.ILLICIT,
        "Copyright Violation": Category.ILLICIT,
        "Jailbreak": Category.PROMPT_INJECTION,
        "None": None,
    }
)

#: Prompt Guard 2 (BENIGN / MALICIOUS) and Prompt Guard 1 (BENIGN / INJECTION / JAILBREAK).
PROMPT_GUARD_LABELS: Mapping[str, Category | None] = MappingProxyType(
    {
        "BENIGN": None,
        "MALICIOUS": Category.PROMPT_INJECTION,
        "INJECTION": Category.PROMPT_INJECTION,
        "JAILBREAK": Category.PROMPT_INJECTION,
    }
)

#: Generic binary classifiers' positive labels.  Their category is whatever
#: harm the operator trained for, so `generic_labels(category)` fills it in.
GENERIC_POSITIVE_LABELS: tuple[str, ...] = ("unsafe", "toxic", "harmful", "LABEL_1")
GENERIC_NEGATIVE_LABELS: tuple[str, ...] = ("safe", "benign", "non-toxic", "neutral", "LABEL_0")

#: OpenAI moderation's 13 categories, in the order OpenAI documents them.
OPENAI_MODERATION_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


def generic_labels(positive: Category) -> dict[str, Category | None]:
    """A label map for a binary classifier whose positive class means `positive`."""
    table: dict[str, Category | None] = {label: positive for label in GENERIC_POSITIVE_LABELS}
    table.update({label: None for label in GENERIC_NEGATIVE_LABELS})
    return table


def default_tei_labels(positive: Category = Category.ILLICIT) -> dict[str, Category | None]:
    """Labels a TEI guard understands when none are configured: Prompt Guard's own,
    plus generic `unsafe`/`toxic`/`LABEL_1` labels read as `positive`."""
    table = generic_labels(positive)
    table.update(PROMPT_GUARD_LABELS)
    return table


def _fold(table: Mapping[str, Category | None]) -> dict[str, Category | None]:
    return {key.casefold(): value for key, value in table.items()}


_LLAMA_FOLDED = _fold(LLAMA_GUARD_CATEGORIES)
_QWEN_FOLDED = _fold(QWEN3GUARD_CATEGORIES)


def lookup_llama_guard(code: str) -> Category | None:
    """`S10` -> `Category.HATE`; unknown codes give `None`."""
    return _LLAMA_FOLDED.get(code.strip().casefold())


def lookup_qwen3guard(name: str) -> Category | None:
    """`Violent` -> `Category.VIOLENCE`; `None` and unknown names give `None`."""
    return _QWEN_FOLDED.get(name.strip().casefold())


def _max(scores: Mapping[Category, float], *cats: Category) -> float:
    return max((scores.get(c, 0.0) for c in cats), default=0.0)


def to_openai_scores(scores: Mapping[Category, float]) -> dict[str, float]:
    """Our category scores as OpenAI's 13 moderation scores.

    Sub-categories we can measure are the minimum of their parts
    (`hate/threatening` = hate AND violence).  Those we cannot tell apart
    (`self-harm/intent`, `self-harm/instructions`, `violence/graphic`) inherit
    the parent's score, so a client filtering on a sub-category never misses
    a flagged parent.  `PRIVACY` and `PROMPT_INJECTION` have no OpenAI
    category; they still set the result's `flagged`.
    """
    hate = scores.get(Category.HATE, 0.0)
    violence = scores.get(Category.VIOLENCE, 0.0)
    self_harm = scores.get(Category.SELF_HARM, 0.0)
    threatening = min(hate, violence)
    return {
        "harassment": hate,
        "harassment/threatening": threatening,
        "hate": hate,
        "hate/threatening": threatening,
        "illicit": _max(scores, Category.ILLICIT, Category.WEAPONS_CBRN),
        "illicit/violent": max(
            scores.get(Category.WEAPONS_CBRN, 0.0), min(scores.get(Category.ILLICIT, 0.0), violence)
        ),
        "self-harm": self_harm,
        "self-harm/intent": self_harm,
        "self-harm/instructions": self_harm,
        "sexual": _max(scores, Category.SEXUAL, Category.SEXUAL_MINORS),
        "sexual/minors": scores.get(Category.SEXUAL_MINORS, 0.0),
        "violence": violence,
        "violence/graphic": violence,
    }
