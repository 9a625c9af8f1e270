"""The category gate: a category head's `unsafe` needs the overall head's assent."""

from __future__ import annotations

import numpy as np
import pytest

from primeguard.guards.evaluation import levels
from primeguard.guards.heads import HEAD_NAMES, OVERALL
from primeguard.guards.inprocess import InProcessGuard
from primeguard.guards.thresholds import (
    CATEGORY_GATE,
    GATED_CATEGORIES,
    Threshold,
    Tolerance,
    gate_category,
    head_verdicts,
)
from primeguard.verdicts import Category, GuardText, Verdict

CUTS = {name: Threshold(0.4, 0.8) for name in HEAD_NAMES}


def _row(overall: float, **categories: float) -> np.ndarray:
    named = dict.fromkeys(HEAD_NAMES, 0.0) | categories | {OVERALL: overall}
    return np.array([named[n] for n in HEAD_NAMES], dtype=np.float32)


def test_gate_caps_a_lone_category_at_controversial() -> None:
    assert gate_category(Verdict.UNSAFE, 0.2, 0.5) is Verdict.CONTROVERSIAL
    assert gate_category(Verdict.UNSAFE, 0.5, 0.5) is Verdict.UNSAFE
    assert gate_category(Verdict.UNSAFE, 0.0, None) is Verdict.UNSAFE
    # it never raises a verdict
    assert gate_category(Verdict.CONTROVERSIAL, 0.0, 0.5) is Verdict.CONTROVERSIAL
    assert gate_category(Verdict.SAFE, 0.0, 0.5) is Verdict.SAFE


def test_head_verdicts_gate_the_gated_categories_only() -> None:
    assert set(GATED_CATEGORIES) == {
        Category.VIOLENCE,
        Category.WEAPONS_CBRN,
        Category.PRIVACY,
        Category.PROMPT_INJECTION,
    }
    scores = dict(zip(HEAD_NAMES, map(float, _row(0.3, violence=0.9, sexual=0.9))))
    got = head_verdicts(scores, CUTS, OVERALL, 0.5)
    assert got["violence"] is Verdict.CONTROVERSIAL and got[OVERALL] is Verdict.SAFE
    assert got["sexual"] is Verdict.UNSAFE  # not gated by default: decides alone
    assert head_verdicts(scores, CUTS, OVERALL, 0.5, {"sexual"})["sexual"] is Verdict.CONTROVERSIAL
    assert head_verdicts(scores, CUTS, OVERALL, 0.5, {"sexual"})["violence"] is Verdict.UNSAFE
    assert head_verdicts(scores, CUTS, OVERALL, None)["violence"] is Verdict.UNSAFE
    alone = dict(zip(HEAD_NAMES, map(float, _row(0.95))))
    assert head_verdicts(alone, CUTS, OVERALL, 0.99, {OVERALL})[OVERALL] is Verdict.UNSAFE
    # a head without thresholds says nothing
    assert head_verdicts(scores, {OVERALL: CUTS[OVERALL]}, OVERALL, 0.5)["violence"] is Verdict.SAFE


def test_levels_apply_the_same_gate() -> None:
    rows = np.stack(
        [
            _row(0.3, violence=0.9),
            _row(0.6, violence=0.9),
            _row(0.9),
            _row(0.1),
            _row(0.3, sexual=0.9),
        ]
    )
    assert levels(rows, CUTS).tolist() == [2, 2, 2, 0, 2]
    assert levels(rows, CUTS, 0.5, ["violence"]).tolist() == [1, 2, 2, 0, 2]
    assert levels(rows, CUTS, 0.5, ["violence", "sexual"]).tolist() == [1, 2, 2, 0, 1]
    assert levels(rows, CUTS, 0.5).tolist() == [2, 2, 2, 0, 2]  # nothing gated


@pytest.fixture(scope="module")
def guards() -> dict[str, InProcessGuard]:
    return {
        "gated": InProcessGuard(backend="torch", thresholds=CUTS),
        "open": InProcessGuard(backend="torch", thresholds=CUTS, category_gate=None),
        "strict": InProcessGuard(backend="torch", thresholds=CUTS, tolerance=Tolerance.STRICT),
    }


def test_the_guard_gates_and_names_the_category(guards: dict[str, InProcessGuard]) -> None:
    assert guards["gated"].category_gate == CATEGORY_GATE == 0.5
    lone = guards["gated"]._result(_row(0.3, violence=0.9), None)
    assert lone.verdict is Verdict.CONTROVERSIAL
    assert lone.by_category[Category.VIOLENCE] is Verdict.CONTROVERSIAL
    assert lone.scores[Category.VIOLENCE] == pytest.approx(0.9)
    agreed = guards["gated"]._result(_row(0.6, violence=0.9), None)
    assert (
        agreed.verdict is Verdict.UNSAFE and agreed.by_category[Category.VIOLENCE] is Verdict.UNSAFE
    )
    assert guards["open"]._result(_row(0.3, violence=0.9), None).verdict is Verdict.UNSAFE
    # the overall head alone is never gated
    assert guards["gated"]._result(_row(0.95), None).verdict is Verdict.UNSAFE
    # strict tenants still refuse what the gate lowered
    assert guards["strict"]._result(_row(0.3, violence=0.9), None).verdict is Verdict.UNSAFE
    assert guards["gated"]._result(_row(0.3, violence=0.9), Tolerance.LOOSE).verdict is Verdict.SAFE
    assert guards["gated"]._result(_row(0.3, sexual_minors=0.9), None).verdict is Verdict.UNSAFE


def test_the_gate_is_in_the_version(guards: dict[str, InProcessGuard]) -> None:
    assert guards["gated"].version != guards["open"].version
    again = InProcessGuard(backend="torch", thresholds=CUTS, category_gate=0.5)
    assert again.version == guards["gated"].version
    fewer = InProcessGuard(backend="torch", thresholds=CUTS, gated_categories=["violence"])
    assert fewer.version != guards["gated"].version
    assert fewer._result(_row(0.3, privacy=0.9), None).verdict is Verdict.UNSAFE


def test_the_definition_reaches_the_guard() -> None:
    from primeguard.guards.definitions import InProcessDefinition
    from primeguard.server.wiring import _inprocess_guard

    build = _inprocess_guard({})
    assert build("g", InProcessDefinition()).category_gate == CATEGORY_GATE  # type: ignore[attr-defined]
    off = build("g", InProcessDefinition(category_gate=None))
    assert off.category_gate is None  # type: ignore[attr-defined]
    assert build("g", InProcessDefinition(category_gate=0.7)).category_gate == 0.7  # type: ignore[attr-defined]
    mine = build("g", InProcessDefinition(gated_categories=["sexual", "violence"]))
    assert mine.gated == {"sexual", "violence"}  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="gated_categories"):
        InProcessDefinition(gated_categories=["gore"])
    with pytest.raises(ValueError, match="less than or equal to 1"):
        InProcessDefinition(category_gate=1.5)


def test_answers_are_not_gated(guards: dict[str, InProcessGuard]) -> None:
    """No judge follows an answer, so an output head decides alone."""
    row = _row(0.3, violence=0.9)
    assert guards["gated"]._result(row, None, is_input=False).verdict is Verdict.UNSAFE
    assert guards["gated"]._result(row, None, is_input=True).verdict is Verdict.CONTROVERSIAL


@pytest.mark.anyio
async def test_check_gates_input_and_not_output() -> None:
    from primeguard.verdicts import TextRole

    # every text scores the same row: a lone violence head, the overall head under the gate
    guard = InProcessGuard(backend="torch", thresholds=CUTS)
    guard._score = lambda texts: np.stack([_row(0.3, violence=0.9)] * len(texts))  # type: ignore[method-assign]
    try:
        text = "a plain sentence about the weather"
        got = await guard.check([GuardText(text), GuardText(text, role=TextRole.OUTPUT)])
    finally:
        await guard.close()
    assert [r.verdict for r in got] == [Verdict.CONTROVERSIAL, Verdict.UNSAFE]


def test_a_rule_finding_under_a_gated_category_still_counts(
    guards: dict[str, InProcessGuard],
) -> None:
    from primeguard.guards.input_rules import THREAT, Findings

    found = Findings(threat=Verdict.UNSAFE)
    result = guards["gated"]._result(_row(0.3, violence=0.9), None, found)
    assert (
        result.verdict is Verdict.UNSAFE and result.by_category[Category.VIOLENCE] is Verdict.UNSAFE
    )
    assert THREAT in result.reasons


def test_a_tenant_naming_a_gated_category_decides_it_by_its_own_thresholds(
    guards: dict[str, InProcessGuard],
) -> None:
    """Documented: a tenant's thresholds re-decide the categories they name, ungated."""
    from primeguard.guards.settings import ThresholdPair
    from primeguard.guards.tenant import retune

    lone = guards["gated"]._result(_row(0.3, violence=0.9), None)
    assert lone.verdict is Verdict.CONTROVERSIAL
    own = {Category.VIOLENCE: ThresholdPair(controversial=0.4, unsafe=0.8)}
    assert retune(lone, own).verdict is Verdict.UNSAFE
    other = {Category.SEXUAL: ThresholdPair(controversial=0.4, unsafe=0.8)}
    assert retune(lone, other).verdict is Verdict.CONTROVERSIAL
