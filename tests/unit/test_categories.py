"""Foreign taxonomies onto `Category`, ours onto OpenAI's, and the generative guards' parsers."""

from __future__ import annotations

import pytest

from primeguard.guards.categories import (
    LLAMA_GUARD_CATEGORIES,
    OPENAI_MODERATION_CATEGORIES,
    PROMPT_GUARD_LABELS,
    QWEN3GUARD_CATEGORIES,
    default_tei_labels,
    lookup_llama_guard,
    lookup_qwen3guard,
    to_openai_scores,
)
from primeguard.guards.chat_parsers import GuardAnswerError, LlamaGuardParser, Qwen3GuardParser
from primeguard.guards.protocol import GuardUnavailable
from primeguard.verdicts import Category, Verdict

C = Category


def test_llama_guard_codes() -> None:
    expected = {
        "S1": C.VIOLENCE, "S2": C.ILLICIT, "S3": C.SEXUAL, "S4": C.SEXUAL_MINORS, "S5": C.HATE,
        "S6": C.ILLICIT, "S7": C.PRIVACY, "S8": C.ILLICIT, "S9": C.WEAPONS_CBRN, "S10": C.HATE,
        "S11": C.SELF_HARM, "S12": C.SEXUAL, "S13": C.ILLICIT, "S14": C.PROMPT_INJECTION,
    }  # fmt: skip
    assert dict(LLAMA_GUARD_CATEGORIES) == expected
    assert lookup_llama_guard(" s10 ") is C.HATE
    assert lookup_llama_guard("S15") is None


def test_qwen3guard_names() -> None:
    assert set(QWEN3GUARD_CATEGORIES) == {
        "Violent", "Non-violent Illegal Acts", "Sexual Content or Sexual Acts", "PII", "Suicide & Self-Harm",
        "Unethical Acts", "Politically Sensitive Topics", "Copyright Violation", "Jailbreak", "None",
    }  # fmt: skip
    assert lookup_qwen3guard("pii") is C.PRIVACY
    assert lookup_qwen3guard("Jailbreak") is C.PROMPT_INJECTION
    assert lookup_qwen3guard("None") is None


def test_prompt_guard_and_generic_labels() -> None:
    assert PROMPT_GUARD_LABELS["MALICIOUS"] is C.PROMPT_INJECTION
    assert PROMPT_GUARD_LABELS["BENIGN"] is None
    assert (
        PROMPT_GUARD_LABELS["JAILBREAK"] is PROMPT_GUARD_LABELS["INJECTION"] is C.PROMPT_INJECTION
    )
    labels = default_tei_labels(C.HATE)
    assert labels["toxic"] is labels["LABEL_1"] is labels["unsafe"] is C.HATE
    assert labels["LABEL_0"] is None and labels["MALICIOUS"] is C.PROMPT_INJECTION


def test_openai_scores_cover_the_13_categories() -> None:
    scores = to_openai_scores({})
    assert tuple(scores) == OPENAI_MODERATION_CATEGORIES and len(scores) == 13
    assert set(scores.values()) == {0.0}


def test_openai_scores_from_ours() -> None:
    scores = to_openai_scores(
        {C.HATE: 0.9, C.VIOLENCE: 0.6, C.SEXUAL_MINORS: 0.8, C.WEAPONS_CBRN: 0.7}
    )
    assert scores["hate"] == scores["harassment"] == 0.9
    assert (
        scores["hate/threatening"] == scores["harassment/threatening"] == 0.6
    )  # hate AND violence
    assert scores["sexual/minors"] == 0.8 and scores["sexual"] == 0.8
    assert scores["illicit"] == scores["illicit/violent"] == 0.7
    assert scores["violence"] == scores["violence/graphic"] == 0.6
    assert to_openai_scores({C.SELF_HARM: 0.5})["self-harm/intent"] == 0.5


@pytest.mark.parametrize(
    ("answer", "verdict", "categories", "labels"),
    [
        ("safe", Verdict.SAFE, (), ()),
        ("\n\nsafe\n", Verdict.SAFE, (), ()),
        ("unsafe\nS1,S10", Verdict.UNSAFE, (C.VIOLENCE, C.HATE), ("S1", "S10")),
        ("unsafe\nS5, S10", Verdict.UNSAFE, (C.HATE,), ("S5", "S10")),
        ("unsafe", Verdict.UNSAFE, (), ()),
    ],
)
def test_llama_guard_parser(
    answer: str, verdict: Verdict, categories: tuple[C, ...], labels: tuple[str, ...]
) -> None:
    parsed = LlamaGuardParser().parse(answer)
    assert (parsed.verdict, parsed.categories, parsed.labels, parsed.refusal) == (
        verdict,
        categories,
        labels,
        None,
    )


@pytest.mark.parametrize("answer", ["", "I cannot help with that", "Safety: Safe"])
def test_llama_guard_parser_rejects_other_answers(answer: str) -> None:
    with pytest.raises(GuardAnswerError) as info:
        LlamaGuardParser().parse(answer)
    assert isinstance(info.value, GuardUnavailable)
    assert answer not in str(info.value) or not answer


def test_qwen3guard_parser() -> None:
    parser = Qwen3GuardParser()
    unsafe = parser.parse("Safety: Unsafe\nCategories: Violent")
    assert (unsafe.verdict, unsafe.categories, unsafe.refusal) == (
        Verdict.UNSAFE,
        (C.VIOLENCE,),
        None,
    )
    controversial = parser.parse("Safety: Controversial\nCategories: Politically Sensitive Topics")
    assert controversial.verdict is Verdict.CONTROVERSIAL and controversial.categories == (
        C.ILLICIT,
    )
    response = parser.parse("Safety: Safe\nCategories: None\nRefusal: Yes")
    assert (response.verdict, response.categories, response.labels, response.refusal) == (
        Verdict.SAFE,
        (),
        ("None",),
        True,
    )
    several = parser.parse("Safety: Unsafe\nCategories: PII, Jailbreak, Brand New\nRefusal: No")
    assert several.categories == (C.PRIVACY, C.PROMPT_INJECTION) and several.refusal is False
    assert several.labels == ("PII", "Jailbreak", "Brand New")
    with pytest.raises(GuardAnswerError):
        parser.parse("unsafe\nS1")
