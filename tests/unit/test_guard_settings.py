"""The `guards:` config section: parsing, defaults, thresholds and tolerance."""

from __future__ import annotations

from typing import Any

import pytest

from primeguard.errors import ConfigError
from primeguard.guards.settings import (
    ChatDefinition,
    ChatFormat,
    FailMode,
    InProcessDefinition,
    TEIDefinition,
    ThresholdPair,
    parse_guards,
    verdict_from_scores,
)
from primeguard.guards.thresholds import (
    GuardAction,
    Threshold,
    Tolerance,
    blocking_verdicts,
    guard_action,
)
from primeguard.streaming import StreamMode
from primeguard.verdicts import Category, Verdict

EXAMPLE: dict[str, Any] = {
    "input": ["minilm", "promptguard"],
    "output": ["minilm", "llamaguard"],
    "definitions": {
        "minilm": {"kind": "inprocess"},
        "promptguard": {
            "kind": "tei",
            "url": "http://tei:8080/",
            "timeout_s": 0.5,
            "fail_mode": "open",
            "labels": {"MALICIOUS": "prompt_injection", "BENIGN": None},
        },
        "llamaguard": {
            "kind": "chat",
            "url": "http://vllm:8000/v1",
            "model": "meta-llama/Llama-Guard-3-1B",
            "format": "llama_guard",
            "fail_mode": "closed",
        },
    },
    "stream": {"mode": "stream_first", "window_tokens": 64, "stride_tokens": 16},
    "thresholds": {"violence": {"controversial": 0.4, "unsafe": 0.7}},
    "tolerance": "strict",
}


def test_example_config_parses() -> None:
    s = parse_guards(EXAMPLE)
    assert isinstance(s.definitions["minilm"], InProcessDefinition)
    tei = s.definitions["promptguard"]
    assert (
        isinstance(tei, TEIDefinition)
        and tei.url == "http://tei:8080"
        and tei.fail_mode is FailMode.OPEN
    )
    assert tei.labels == {"MALICIOUS": Category.PROMPT_INJECTION, "BENIGN": None}
    chat = s.definitions["llamaguard"]
    assert isinstance(chat, ChatDefinition) and chat.format is ChatFormat.LLAMA_GUARD
    assert s.stream.mode is StreamMode.STREAM_FIRST and s.tolerance is Tolerance.STRICT
    assert s.thresholds_for(tei)[Category.VIOLENCE] == ThresholdPair(controversial=0.4, unsafe=0.7)


def test_defaults_run_minilm_both_ways() -> None:
    s = parse_guards(None)
    assert s.input == s.output == ("minilm",)
    only_defs = parse_guards({"definitions": {"x": {"kind": "inprocess"}}})
    assert only_defs.input == only_defs.output == ()


def test_version_defaults_to_a_hash_of_the_definition() -> None:
    a = parse_guards(EXAMPLE).definitions["promptguard"]
    other = {**EXAMPLE["definitions"]["promptguard"], "url": "http://tei2:8080"}
    b = parse_guards({"definitions": {"promptguard": other}}).definitions["promptguard"]
    assert a.default_version("pg") != b.default_version("pg")
    pinned = parse_guards({"definitions": {"pg": {**other, "version": "pg-2"}}}).definitions["pg"]
    assert pinned.default_version("pg") == "pg-2"


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"input": ["nope"]}, "no entry in definitions"),
        (
            {"definitions": {"a": {"kind": "tei", "url": "tei:8080"}}},
            "guards.definitions.a.tei.url",
        ),
        ({"definitions": {"a": {"kind": "grpc"}}}, "guards.definitions.a"),
        (
            {
                "definitions": {
                    "a": {"kind": "chat", "url": "http://x", "model": "m", "format": "x"}
                }
            },
            "format",
        ),
        ({"stream": {"window_tokens": 8, "stride_tokens": 16}}, "stride_tokens must not exceed"),
        (
            {"thresholds": {"violence": {"controversial": 0.9, "unsafe": 0.5}}},
            "must not exceed unsafe",
        ),
        ({"thresholds": {"gore": {}}}, "guards.thresholds.gore"),
        ({"tolerance": "lenient"}, "guards.tolerance"),
        ({"surprise": 1}, "guards.surprise"),
        ({"definitions": {"a+b": {"kind": "inprocess"}}}, "guard name 'a+b' must match"),
        ({"definitions": {"": {"kind": "inprocess"}}}, "guard name '' must match"),
    ],
)
def test_problems_are_config_errors_with_a_path(raw: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_guards(raw, "proxy.yaml")
    assert info.value.message.startswith("proxy.yaml: guards.") and where in info.value.message


def test_verdict_from_scores() -> None:
    overrides = {Category.VIOLENCE: ThresholdPair(controversial=0.4, unsafe=0.7)}
    assert verdict_from_scores({}) is Verdict.SAFE
    assert verdict_from_scores({Category.VIOLENCE: 0.45}, overrides) is Verdict.CONTROVERSIAL
    assert verdict_from_scores({Category.VIOLENCE: 0.45}) is Verdict.SAFE
    assert (
        verdict_from_scores({Category.HATE: 0.1, Category.VIOLENCE: 0.75}, overrides)
        is Verdict.UNSAFE
    )


def test_tolerance_decides_what_controversial_means() -> None:
    assert guard_action(Verdict.CONTROVERSIAL, Tolerance.STRICT) is GuardAction.BLOCK
    assert guard_action(Verdict.CONTROVERSIAL, Tolerance.DEFAULT) is GuardAction.ESCALATE
    assert guard_action(Verdict.CONTROVERSIAL, Tolerance.LOOSE) is GuardAction.ALLOW
    assert all(guard_action(Verdict.UNSAFE, t) is GuardAction.BLOCK for t in Tolerance)
    assert Verdict.CONTROVERSIAL in blocking_verdicts(Tolerance.STRICT)
    assert blocking_verdicts(Tolerance.LOOSE) == frozenset({Verdict.UNSAFE})


def test_thresholds_convert_for_the_inprocess_guard() -> None:
    s = parse_guards(EXAMPLE)
    assert s.threshold_overrides() == {"violence": Threshold(0.4, 0.7)}
