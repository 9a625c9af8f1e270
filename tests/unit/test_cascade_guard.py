"""The cascade: which texts reach the second stage, in what order, and how it is configured."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from primeguard.errors import ConfigError
from primeguard.guards.cascade import CascadeGuard
from primeguard.guards.policy import FallbackResult, resilient
from primeguard.guards.protocol import Guard, GuardUnavailable
from primeguard.guards.served import build_guards, close_guards
from primeguard.guards.settings import CascadeDefinition, FailMode, parse_guards
from primeguard.verdicts import Category, GuardResult, GuardText, TextRole, Verdict

pytestmark = pytest.mark.anyio


class Scripted:
    """Verdict by marker word in the text; records what it was asked and whether it closed."""

    def __init__(self, name: str, table: dict[str, Verdict], *, fail: bool = False) -> None:
        self.name, self.version = name, f"{name}-v1"
        self.table, self.fail = table, fail
        self.seen: list[str] = []
        self.closed = 0

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        self.seen.extend(t.text for t in texts)
        if self.fail:
            raise GuardUnavailable("down")
        return [
            GuardResult(
                verdict=next((v for k, v in self.table.items() if k in t.text), Verdict.SAFE),
                guard=self.name,
                version=self.version,
            )
            for t in texts
        ]

    async def close(self) -> None:
        self.closed += 1


class Scored(Scripted):
    """One violence score for every text, judged under the global cut-offs (0.5 / 0.8)."""

    score = 0.6

    async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
        verdict = Verdict.CONTROVERSIAL if self.score >= 0.5 else Verdict.SAFE
        return [
            GuardResult(verdict=verdict, guard=self.name, version=self.version,
                        scores={Category.VIOLENCE: self.score}, by_category={Category.VIOLENCE: verdict},
                        uncategorised=Verdict.SAFE)
            for _ in texts
        ]


def _texts(*words: str) -> list[GuardText]:
    return [GuardText(w, TextRole.INPUT) for w in words]


FIRST = {"bomb": Verdict.UNSAFE, "maybe": Verdict.CONTROVERSIAL}
THEN = {"maybe-bad": Verdict.UNSAFE}


async def test_only_the_unsure_texts_reach_the_second_stage_in_order() -> None:
    first, then = Scripted("minilm", FIRST), Scripted("llamaguard", THEN)
    cascade = CascadeGuard("screened", first, then)
    assert isinstance(cascade, Guard)
    results = await cascade.check(_texts("hello", "maybe-bad", "a bomb", "maybe-fine", "hi"))
    assert then.seen == ["maybe-bad", "maybe-fine"]
    assert [r.verdict for r in results] == [
        Verdict.SAFE,
        Verdict.UNSAFE,
        Verdict.UNSAFE,
        Verdict.SAFE,
        Verdict.SAFE,
    ]
    assert [r.guard for r in results] == ["minilm", "llamaguard", "minilm", "llamaguard", "minilm"]
    assert (cascade.checked, cascade.escalated) == (5, 2)
    then.seen.clear()
    await cascade.check(_texts("hello", "a bomb"))
    assert then.seen == []  # nothing unsure: the second stage is not called at all


async def test_escalating_unsafe_lets_the_second_stage_clear_the_first() -> None:
    first, then = Scripted("minilm", FIRST), Scripted("llamaguard", {})
    cascade = CascadeGuard("screened", first, then, (Verdict.CONTROVERSIAL, Verdict.UNSAFE))
    results = await cascade.check(_texts("a bomb", "hello"))
    assert then.seen == ["a bomb"] and results[0].verdict is Verdict.SAFE


async def test_a_failed_first_stage_is_covered_by_the_second() -> None:
    first = resilient(Scripted("minilm", FIRST, fail=True), fail_mode=FailMode.OPEN)
    then = Scripted("llamaguard", {"bomb": Verdict.UNSAFE})
    results = await CascadeGuard("screened", first, then).check(_texts("a bomb", "hello"))
    assert then.seen == ["a bomb", "hello"]
    assert [r.verdict for r in results] == [Verdict.UNSAFE, Verdict.SAFE]


@pytest.mark.parametrize(
    "mode,verdict", [(FailMode.OPEN, Verdict.CONTROVERSIAL), (FailMode.CLOSED, Verdict.UNSAFE)]
)
async def test_a_second_stage_that_is_down_follows_its_fail_mode_but_never_clears(
    mode: FailMode, verdict: Verdict
) -> None:
    then = resilient(Scripted("llamaguard", {}, fail=True), fail_mode=mode)
    results = await CascadeGuard("screened", Scripted("minilm", FIRST), then).check(
        _texts("maybe", "hello")
    )
    assert results[0].verdict is verdict  # fail open: as the first stage judged it, not safe
    assert isinstance(results[0], FallbackResult) and not results[0].cacheable
    assert results[1].verdict is Verdict.SAFE and results[1].cacheable


async def test_escalate_failures_off_lets_the_first_stage_fail_mode_decide() -> None:
    first = resilient(Scripted("minilm", FIRST, fail=True), fail_mode=FailMode.CLOSED)
    then = Scripted("llamaguard", {})
    cascade = CascadeGuard("screened", first, then, escalate_failures=False)
    results = await cascade.check(_texts("hello"))
    assert then.seen == [] and results[0].verdict is Verdict.UNSAFE
    assert cascade.version != CascadeGuard("screened", first, then).version


async def test_a_failed_second_stage_raises_for_the_cascade_policy() -> None:
    cascade = CascadeGuard("screened", Scripted("m", FIRST), Scripted("l", {}, fail=True))
    with pytest.raises(GuardUnavailable):
        await cascade.check(_texts("maybe"))
    wrapped = resilient(cascade, fail_mode=FailMode.CLOSED)
    assert (await wrapped.check(_texts("maybe")))[0].verdict is Verdict.UNSAFE


def test_version_follows_both_stages_and_the_escalated_verdicts() -> None:
    a, b = Scripted("m", FIRST), Scripted("l", THEN)
    base = CascadeGuard("s", a, b).version
    assert CascadeGuard("s", a, b).version == base
    assert CascadeGuard("s", a, b, (Verdict.CONTROVERSIAL, Verdict.UNSAFE)).version != base
    b.version = "l-v2"
    assert CascadeGuard("s", a, b).version != base
    assert CascadeGuard("s", a, b, version="pinned").version == "pinned"


def _raw(**cascade: Any) -> dict[str, Any]:
    return {
        "input": ["screened"],
        "definitions": {
            "minilm": {"kind": "tei", "url": "http://127.0.0.1:9"},
            "big": {"kind": "tei", "url": "http://127.0.0.1:10"},
            "screened": {"kind": "cascade", "first": "minilm", "then": "big", **cascade},
        },
    }


def test_cascade_config_defaults_and_canonical_escalate() -> None:
    d = parse_guards(_raw()).definitions["screened"]
    assert isinstance(d, CascadeDefinition) and d.escalate == (Verdict.CONTROVERSIAL,)
    d = parse_guards(_raw(escalate=["unsafe", "controversial", "unsafe"])).definitions["screened"]
    assert isinstance(d, CascadeDefinition)
    assert d.escalate == (Verdict.CONTROVERSIAL, Verdict.UNSAFE)


@pytest.mark.parametrize(
    "change,message",
    [
        ({"then": "minilm"}, "same guard"),
        ({"then": "nowhere"}, "'nowhere' has no entry"),
        ({"first": "screened"}, "cannot be cascades"),
        ({"escalate": []}, "escalate"),
        ({"escalate": ["maybe"]}, "escalate"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_cascade_configs_are_config_errors(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_guards(_raw(**change))


async def test_build_guards_shares_a_stage_used_directly_and_closes_it_once() -> None:
    raw = _raw()
    raw["input"] = ["screened", "minilm"]
    async with httpx.AsyncClient() as client:
        guards = build_guards(parse_guards(raw), client)
        assert set(guards) == {"screened", "minilm"}
        inner = guards["screened"]._inner
        assert isinstance(inner, CascadeGuard)
        assert inner.first is guards["minilm"]
        assert inner.then.name == "big"
        stage = Scripted("x", {})
        guards["minilm"]._inner = stage
        await close_guards(guards)
        assert stage.closed == 1


async def test_a_tenant_re_decides_the_first_stage_when_the_second_is_down() -> None:
    from primeguard.guards.settings import ThresholdPair
    from primeguard.guards.tenant import TenantThresholds
    from primeguard.verdicts import Category

    then = resilient(Scripted("llamaguard", {}, fail=True), fail_mode=FailMode.OPEN)
    cascade = CascadeGuard("screened", Scored("minilm", {}), then)
    [plain] = await cascade.check(_texts("a fight scene"))
    assert plain.verdict is Verdict.CONTROVERSIAL and plain.guard == "minilm"
    assert isinstance(plain, FallbackResult) and "minilm's verdict stands" in plain.note
    # A tenant's fallback carries the first stage's scores, re-decided under its cut-offs.
    wary = TenantThresholds(cascade, {Category.VIOLENCE: ThresholdPair(controversial=0.2, unsafe=0.8)})
    [kept] = await wary.check(_texts("a fight scene"))
    assert kept.verdict is Verdict.CONTROVERSIAL and kept.scores and not kept.cacheable


async def test_a_cascade_escalates_under_the_calling_tenants_thresholds() -> None:
    from primeguard.guards.settings import ThresholdPair
    from primeguard.guards.tenant import TenantThresholds
    from primeguard.verdicts import Category

    first, then = Scored("minilm", {}), Scripted("llamaguard", {"fight": Verdict.UNSAFE})
    cascade = CascadeGuard("screened", first, then)
    lenient = TenantThresholds(cascade, {Category.VIOLENCE: ThresholdPair(controversial=0.9, unsafe=0.95)})
    [loose] = await lenient.check(_texts("a fight scene"))
    assert loose.verdict is Verdict.SAFE and then.seen == []  # cleared by its own cut-offs: not sent on
    first.score = 0.4  # under the global 0.5: the cascade alone keeps it
    [alone] = await cascade.check(_texts("a fight scene"))
    assert alone.verdict is Verdict.SAFE and then.seen == []
    wary = TenantThresholds(cascade, {Category.VIOLENCE: ThresholdPair(controversial=0.3, unsafe=0.9)})
    [sent] = await wary.check(_texts("a fight scene"))
    assert then.seen == ["a fight scene"] and sent.verdict is Verdict.UNSAFE  # doubted: the second decides


def test_cascade_timeout_defaults_to_its_stages_and_may_not_cut_them_off() -> None:
    raw = _raw()
    raw["definitions"]["big"]["timeout_s"] = 30
    with pytest.raises(ConfigError, match="would cut off"):
        parse_guards(
            {
                **raw,
                "definitions": {
                    **raw["definitions"],
                    "screened": {**raw["definitions"]["screened"], "timeout_s": 5},
                },
            }
        )
    settings = parse_guards(raw)
    assert settings.definitions["screened"].timeout_s == 0  # the stages' sum, when built


async def test_a_slow_second_stage_is_not_cut_off_by_the_cascade() -> None:
    import asyncio

    class Slow(Scripted):
        async def check(self, texts: Sequence[GuardText]) -> list[GuardResult]:
            await asyncio.sleep(0.3)
            return await super().check(texts)

    raw = _raw()
    raw["definitions"]["minilm"]["timeout_s"] = 0.2
    raw["definitions"]["big"]["timeout_s"] = 0.5
    async with httpx.AsyncClient() as client:
        guards = build_guards(parse_guards(raw), client)
        cascade = guards["screened"]._inner
        assert isinstance(cascade, CascadeGuard)
        cascade.first._inner = Scripted("minilm", FIRST)  # type: ignore[attr-defined]
        cascade.then._inner = Slow("big", THEN)  # type: ignore[attr-defined]
        results = await guards["screened"].check(_texts("hello", "maybe-bad"))
        assert [r.verdict for r in results] == [Verdict.SAFE, Verdict.UNSAFE]
        await close_guards(guards)


async def test_built_cascade_version_changes_with_a_stage_definition() -> None:
    async with httpx.AsyncClient() as client:
        base = build_guards(parse_guards(_raw()), client)["screened"].version
        again = build_guards(parse_guards(_raw()), client)["screened"].version
        raw = _raw()
        raw["definitions"]["big"]["url"] = "http://127.0.0.1:11"
        moved = build_guards(parse_guards(raw), client)["screened"].version
        raw = _raw()
        raw["thresholds"] = {"violence": {"controversial": 0.3, "unsafe": 0.6}}
        stricter = build_guards(parse_guards(raw), client)["screened"].version
    assert base == again
    assert len({base, moved, stricter}) == 3
