"""Golden routing cases, kept as data in tests/golden/routing.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from tests.fakes.upstream import FakeUpstream

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent.parent / "golden" / "routing.yaml").read_text())
REFUSAL = "I'm sorry, but I can't help with that request."


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_case(client: openai.OpenAI, fake: FakeUpstream, case: dict[str, Any]) -> None:
    fake.script.judge_default = case["judge"]
    if "reevaluation" in case:
        fake.script.reevaluation_default = case["reevaluation"]
    raw = client.chat.completions.with_raw_response.create(model="fake-gpt", messages=case["messages"])
    expect = case["expect"]
    assert raw.headers["x-primeguard-route"] == expect["route"]
    assert raw.headers["x-primeguard-route-source"] == expect["source"]
    assert [r.kind for r in fake.requests] == expect["calls"]
    content = raw.parse().choices[0].message.content
    if expect["content"] == "echo":
        assert content is not None and content.startswith("echo: ")
    elif expect["content"] == "refusal":
        assert content == REFUSAL
    else:
        assert content == json.loads(case["reevaluation"])["final_response"]
