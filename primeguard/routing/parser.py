"""Strict parsing of the judge's answers: its own schema, or nothing.

The reference parser takes the first JSON object it finds anywhere; here the
whole reply (optionally inside one code fence) must be exactly one object with
exactly the schema's keys.  Anything else is a `JudgeOutputInvalid`, which the
caller turns into `potential_violation` (route selection) or the refusal
(re-evaluation) — never into the raw judge text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from primeguard.verdicts import Route


class JudgeOutputInvalid(ValueError):
    """The judge's reply is not exactly its output schema."""


class RouteSelectionOutput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    system_check_result: str = Field(max_length=4000)
    route: Route
    system_tip: str = Field(max_length=4000)


class ReevaluationOutput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reevaluation: str = Field(max_length=4000)
    final_response: str = Field(min_length=1, max_length=200_000)


_FENCE = re.compile(r"^```(?:json)?\s*\n?(?P<body>.*?)\n?```$", re.DOTALL)
M = TypeVar("M", bound=BaseModel)


def _parse(text: str, model: type[M]) -> M:
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group("body").strip()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise JudgeOutputInvalid("not a single JSON object") from None
    if not isinstance(data, dict):
        raise JudgeOutputInvalid("not a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise JudgeOutputInvalid(f"schema mismatch: {exc.errors()[0]['type']}") from None


def parse_route_selection(text: str) -> RouteSelectionOutput:
    return _parse(text, RouteSelectionOutput)


def parse_reevaluation(text: str) -> ReevaluationOutput:
    return _parse(text, ReevaluationOutput)


def echoes_planted(answer: RouteSelectionOutput, planted: str) -> bool:
    """True if the judge's verdict looks copied from the client's own text (`planted`:
    `hardening.planted_text`, JSON escapes already decoded).

    A no-risk verdict is copied when the client wrote that route as a "route" value in any
    spelling (quotes of any kind, YAML, other case, full-width): a judge that copies tends
    to tidy up and write its own check and tip, and clearing a request is the one verdict
    worth planting.  Other routes only make the answer more careful, so for them the check
    or tip must also be found quoted, word for word.
    """
    folded = unicodedata.normalize("NFKC", planted).casefold()
    if re.search(r"route\W{0,8}" + re.escape(answer.route.value), folded) is None:
        return False
    if answer.route is Route.NO_RISK:
        return True
    said = [f for f in (answer.system_tip, answer.system_check_result) if f]
    return not said or any(f'"{f}"' in planted for f in said)
