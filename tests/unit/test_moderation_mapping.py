"""`/v1/moderations`: request validation and the mapping from guard results."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types import ModerationCreateResponse

from primeguard.errors import InvalidRequest
from primeguard.guards.categories import OPENAI_MODERATION_CATEGORIES
from primeguard.moderation import (
    ModerationRequest,
    merge_results,
    parse_moderation_request,
    to_openai_moderation,
)
from primeguard.verdicts import Category, GuardResult, Verdict


def result(verdict: Verdict, **scores: float) -> GuardResult:
    return GuardResult(verdict, "g", "1", {Category(k): v for k, v in scores.items()})


def test_response_parses_with_the_official_client_types() -> None:
    body = to_openai_moderation(
        [result(Verdict.SAFE), result(Verdict.UNSAFE, violence=0.9, hate_harassment=0.7)],
        "omni-moderation-latest",
    )
    parsed = ModerationCreateResponse.model_validate(body)
    assert parsed.id.startswith("modr-") and parsed.model == "omni-moderation-latest"
    safe, unsafe = parsed.results
    assert not safe.flagged and not any(safe.categories.model_dump().values())
    assert (
        unsafe.flagged and unsafe.categories.violence and unsafe.categories.harassment_threatening
    )
    assert unsafe.category_scores.violence == 0.9 and unsafe.category_scores.hate_threatening == 0.7


def test_categories_are_13_booleans_and_scores_13_floats() -> None:
    entry = to_openai_moderation([result(Verdict.UNSAFE, self_harm=0.8)], "m")["results"][0]
    assert list(entry["categories"]) == list(OPENAI_MODERATION_CATEGORIES)
    assert all(isinstance(v, bool) for v in entry["categories"].values())
    assert all(isinstance(v, float) for v in entry["category_scores"].values())
    assert [k for k, v in entry["categories"].items() if v] == [
        "self-harm",
        "self-harm/intent",
        "self-harm/instructions",
    ]


def test_prompt_injection_flags_without_an_openai_category() -> None:
    entry = to_openai_moderation([result(Verdict.UNSAFE, prompt_injection=0.99)], "m")["results"][0]
    assert entry["flagged"] and not any(entry["categories"].values())


def test_controversial_flags_only_when_asked() -> None:
    r = result(Verdict.CONTROVERSIAL, violence=0.6)
    assert not to_openai_moderation([r], "m")["results"][0]["flagged"]
    loud = to_openai_moderation([r], "m", flag_controversial=True)["results"][0]
    assert loud["flagged"] and loud["categories"]["violence"]
    assert to_openai_moderation([r], None)["model"] == "omni-moderation-latest"


def test_merge_results_takes_the_worst() -> None:
    merged = merge_results(
        [result(Verdict.SAFE, violence=0.2), result(Verdict.UNSAFE, violence=0.1, sexual=0.9)]
    )
    assert merged.verdict is Verdict.UNSAFE
    assert dict(merged.scores) == {Category.VIOLENCE: 0.2, Category.SEXUAL: 0.9}
    assert merge_results([]).verdict is Verdict.SAFE


def test_each_result_says_its_verdict_guards_and_reasons() -> None:
    """The tri-class verdict (controversial is not `flagged`), which guards judged, and, for
    tenants that explain, the rules' reasons, merged in order without repeats; the official
    client keeps them.  Without explain the reasons are not told."""
    rule = GuardResult(
        Verdict.UNSAFE,
        "minilm",
        "1",
        {Category.ILLICIT: 0.9},
        reasons=("asks for a work's text whole",),
    )
    served = GuardResult(
        Verdict.CONTROVERSIAL, "llamaguard", "3", reasons=("asks for a work's text whole", "other")
    )
    merged = merge_results([rule, served])
    assert merged.reasons == ("asks for a work's text whole", "other")
    results = [merged, result(Verdict.CONTROVERSIAL, violence=0.6)]
    parsed = ModerationCreateResponse.model_validate(
        to_openai_moderation(results, "m", explain=True)
    )
    first, doubt = (r.model_extra["primeguard"] for r in parsed.results)  # type: ignore[index]
    assert first == {
        "verdict": "unsafe",
        "guards": ["minilm", "llamaguard"],
        "reasons": ["asks for a work's text whole", "other"],
    }
    assert doubt == {"verdict": "controversial", "guards": ["g"], "reasons": []}
    quiet = to_openai_moderation(results, "m")["results"][0]["primeguard"]
    assert quiet == {"verdict": "unsafe", "guards": ["minilm", "llamaguard"]}
    assert not parsed.results[1].flagged


@pytest.mark.parametrize(
    ("body", "texts"),
    [
        ({"input": "hello"}, ["hello"]),
        ({"input": ["a", "b"], "model": "omni-moderation-latest"}, ["a", "b"]),
        ({"input": ""}, [""]),
    ],
)
def test_request_accepts_text(body: dict[str, Any], texts: list[str]) -> None:
    assert parse_moderation_request(body).texts == texts


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ({"input": []}, "input", "empty"),
        ({"input": 3}, "input", "a string, a list of strings"),
        ({"input": [1, 2]}, "input", "a string, a list of strings"),
        ({"input": [{"type": "image_url", "image_url": {"url": "x"}}]}, "input", "only text"),
        ({}, "input", "input is required"),
        ({"input": "x", "temperature": 1}, "temperature", "Extra inputs"),
        ({"input": "x", "model": 5}, "model", "string"),
        ({"input": ["x"] * 300}, "input", "at most"),
    ],
)
def test_request_rejects_clearly(body: dict[str, Any], param: str, fragment: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_moderation_request(body)
    assert info.value.param == param and fragment in info.value.message
    assert info.value.status_code == 400


def test_request_body_must_be_an_object() -> None:
    with pytest.raises(InvalidRequest):
        parse_moderation_request(["hello"])
    assert ModerationRequest(input="x").model is None


def test_text_parts_are_one_input_and_images_are_refused() -> None:
    parts = [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]
    assert parse_moderation_request({"input": parts}).texts == ["first\nsecond"]
    assert parse_moderation_request({"input": ["a", "b"]}).texts == ["a", "b"]
    for bad in (
        [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}],
        ["a", {"type": "text", "text": "b"}],
    ):
        with pytest.raises(InvalidRequest, match="only text is supported"):
            parse_moderation_request({"input": bad})
