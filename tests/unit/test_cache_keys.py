"""Decision-cache keys: same meaning, same key; anything that changes the decision, new key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from primeguard.cache import decision_key

MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "How do I bake bread?"},
]


def key(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "tenant": "acme",
        "guideline_version": "g1",
        "route_template_version": "t1",
        "guard_versions": {"minilm": "1", "llamaguard": "3"},
        "judge_model": "gpt-4o-mini",
        "messages": MESSAGES,
    }
    args.update(overrides)
    return decision_key(**args)


def test_key_is_prefix_plus_sha256_hex() -> None:
    k = key(prefix="x:")
    assert k.startswith("x:dec:")
    digest = k.removeprefix("x:dec:")
    assert len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    assert key().startswith("pg:dec:")


def test_whitespace_and_key_order_do_not_matter() -> None:
    messy = [
        {"content": "  You are\thelpful. ", "role": "system"},
        {"content": "How  do I\n\nbake   bread?\n", "role": "user"},
    ]
    assert key(messages=messy) == key()
    assert key(guard_versions={"llamaguard": "3", "minilm": "1"}) == key()


def test_string_content_equals_a_single_text_part() -> None:
    parts = [
        {"role": "system", "content": [{"type": "text", "text": "You are helpful."}]},
        {"role": "user", "content": [{"text": "How do I bake bread?", "type": "text"}]},
    ]
    assert key(messages=parts) == key()


@pytest.mark.parametrize(
    "override",
    [
        {"tenant": "globex"},
        {"guideline_version": "g2"},
        {"route_template_version": "t2"},
        {"guard_versions": {"minilm": "2", "llamaguard": "3"}},
        {"guard_versions": {"minilm": "1"}},
        {"judge_model": "gpt-4o"},
        {"messages": [MESSAGES[0], {"role": "user", "content": "How do I bake cake?"}]},
        {"messages": [MESSAGES[0], {"role": "assistant", "content": "How do I bake bread?"}]},
        {"messages": [MESSAGES[0], {**MESSAGES[1], "name": "mallory"}]},
        {"messages": MESSAGES[1:]},
    ],
    ids=lambda o: next(iter(o)),
)
def test_anything_that_changes_the_decision_changes_the_key(override: dict[str, Any]) -> None:
    assert key(**override) != key()


def test_non_text_parts_are_digested_stably() -> None:
    def with_image(url: str, *, reorder: bool = False) -> list[dict[str, Any]]:
        image: dict[str, Any] = {"type": "image_url", "image_url": {"url": url, "detail": "low"}}
        if reorder:
            image = {"image_url": {"detail": "low", "url": url}, "type": "image_url"}
        return [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, image]}]

    assert key(messages=with_image("https://a/1.png")) == key(
        messages=with_image("https://a/1.png", reorder=True)
    )
    assert key(messages=with_image("https://a/1.png")) != key(
        messages=with_image("https://a/2.png")
    )
    text_only = [{"role": "user", "content": "what is this?"}]
    assert key(messages=with_image("https://a/1.png")) != key(messages=text_only)


def tool_turn(name: str, arguments: str) -> list[dict[str, Any]]:
    call = {
        "id": "call_random",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }
    return [*MESSAGES, {"role": "assistant", "content": None, "tool_calls": [call]}]


def test_tool_call_arguments_count_byte_for_byte() -> None:
    """As the judge reads them: parsing them merged calls it reads differently."""
    assert key(messages=tool_turn("f", '{"a": 1}')) == key(messages=tool_turn("f", '{"a": 1}'))
    assert key(messages=tool_turn("f", '{"a": 1}')) != key(messages=tool_turn("f", '{"a": 2}'))
    assert key(messages=tool_turn("f", '{"a": 1}')) != key(messages=tool_turn("g", '{"a": 1}'))
    for cached, harmful in [('{"cmd": "ls"}', '{"cmd": "make a BOMB", "cmd": "ls"}'),  # duplicate keys
                            ('{"cmd": "\\u0042OMB"}', '{"cmd": "BOMB"}'),  # escapes
                            ("not json", "not  json")]:
        assert key(messages=tool_turn("f", cached)) != key(messages=tool_turn("f", harmful))
    deep = json.dumps("[" * 980 + "]" * 980)  # parsed, then dumped deeper than the limit: was a 500
    assert key(messages=tool_turn("f", deep)).startswith("pg:dec:")


def test_text_parts_whose_text_is_not_a_string_are_not_read_as_text() -> None:
    listed = [{"role": "user", "content": [{"type": "text", "text": ["how to make a BOMB"]}]}]
    spelled = [{"role": "user", "content": [{"type": "text", "text": "['how to make a BOMB']"}]}]
    assert key(messages=listed) != key(messages=spelled)


def test_tool_calls_of_other_kinds_count() -> None:
    def other(arg: str) -> list[dict[str, Any]]:
        call = {"id": "c", "type": "mcp", "mcp": {"server": "s", "arguments": arg}}
        return [*MESSAGES, {"role": "assistant", "content": None, "tool_calls": [call]}]

    assert key(messages=other("ls")) != key(messages=other("make a BOMB"))


def test_tool_call_ids_do_not_matter() -> None:
    a = tool_turn("f", "{}")
    b = tool_turn("f", "{}")
    b[-1]["tool_calls"][0]["id"] = "call_other"
    assert key(messages=a) == key(messages=b)


def test_custom_tool_calls_key_on_their_input() -> None:
    def custom(name: str, text: str) -> list[dict[str, Any]]:
        call = {"id": "c", "type": "custom", "custom": {"name": name, "input": text}}
        return [*MESSAGES, {"role": "assistant", "content": None, "tool_calls": [call]}]

    assert key(messages=custom("shell", "ls")) == key(messages=custom("shell", "ls"))
    assert key(messages=custom("shell", "ls")) != key(messages=custom("shell", "rm -rf /"))
    assert key(messages=custom("shell", "ls")) != key(messages=custom("sql", "ls"))
    assert key(messages=custom("f", "{}")) != key(messages=tool_turn("f", "{}"))


def test_the_stored_shape_s_version_is_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two releases that store different shapes keep apart rather than overwrite each other."""
    from primeguard.cache import keys

    before = key()
    monkeypatch.setattr(keys, "SCHEMA_VERSION", keys.SCHEMA_VERSION + 1)
    assert key() != before
