"""An operator's reviewed cases, end to end: the shipped in-process guard through the proxy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.api.conftest import proxy_config, start_proxy
from tests.fakes.upstream import FakeUpstream, ServerThread

RIVAL = "What discounts is Globex offering its enterprise customers this quarter?"
FIXED = "What is Captain Ahab's social security number?"  # fictional: the shipped guard flags it


@pytest.fixture(scope="module")
def reviewed(fake: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    cases = tmp_path_factory.mktemp("cases") / "reviewed.jsonl"
    rows = [{"text": "What discounts is Globex offering its enterprise customers this quarter", "label": "unsafe"},
            {"text": "what is captain Ahab's social security number", "label": "safe"}]
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    guards = {"input": ["minilm"], "output": [],
              "definitions": {"minilm": {"kind": "inprocess", "precedents": str(cases)}}}
    with start_proxy(proxy_config(fake, guards=guards)) as server:
        yield server


def _client(server: ServerThread) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="sk-any", max_retries=0)


def test_reviewed_cases_decide_moderation(reviewed: ServerThread) -> None:
    results = _client(reviewed).moderations.create(input=[RIVAL, FIXED, "What's a good banana bread recipe?"]).results
    assert [r.flagged for r in results] == [True, False, False]


def test_a_case_marked_unsafe_refuses_the_chat_before_any_answer(reviewed: ServerThread, fake: FakeUpstream) -> None:
    answers = len(fake.of_kind("answer"))
    raw = _client(reviewed).chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": RIVAL}])
    assert raw.headers["x-primeguard-route"] == "direct_violation"
    assert raw.headers["x-primeguard-route-source"] == "input_guard"
    assert len(fake.of_kind("answer")) == answers


def test_a_missing_cases_file_fails_validation(fake: FakeUpstream, tmp_path: Path) -> None:
    """What `serve` and `check-config` run before starting anything."""
    from primeguard.config import parse_config
    from primeguard.errors import ConfigError
    from primeguard.server.wiring import validate_settings

    guards = {"input": ["minilm"], "definitions": {
        "minilm": {"kind": "inprocess", "precedents": str(tmp_path / "nope.jsonl")}}}
    with pytest.raises(ConfigError, match=r"guards\.definitions\.minilm.*precedents: .*cannot read"):
        validate_settings(parse_config(proxy_config(fake, guards=guards)))
