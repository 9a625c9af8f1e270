"""OpenAI's `/v1/moderations`: the request model and the mapping from our guard results.

    request   {"input": "text" | ["text", ...], "model": "omni-moderation-latest"}
    response  {"id": "modr-...", "model": ..., "results": [{"flagged", "categories",
               "category_scores", "category_applied_input_types"}, ...]}

One result per input.  When several guards judged one input, `merge_results`
folds them first (worst verdict, highest score per category).  A result is
`flagged` when its verdict is UNSAFE (or CONTROVERSIAL, with
`flag_controversial`), so prompt injection and privacy findings, which have no
OpenAI category, still flag; a category is true when the result is flagged
and its score reaches 0.5.

Each result also carries a `primeguard` object, as chat bodies do: the
tri-class verdict (a `controversial` one is not flagged at the default
tolerance) and the guards that judged; for tenants with `explain: true`, a
rule's reasons too (fixed words, never the text), which would otherwise tell
a prober which rule fired.  OpenAI's clients keep unknown fields
(`result.model_extra`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from primeguard.errors import InvalidRequest
from primeguard.guards.categories import OPENAI_MODERATION_CATEGORIES, to_openai_scores
from primeguard.verdicts import Category, GuardResult, Verdict, worst_verdict

DEFAULT_MODERATION_MODEL = "omni-moderation-latest"
MAX_MODERATION_INPUTS = 256
FLAG_SCORE = 0.5


class TextPart(BaseModel):
    """One part of OpenAI's multi-modal moderation input; only text parts are supported."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["text"]
    text: StrictStr


class ModerationRequest(BaseModel):
    """The body of `POST /v1/moderations` (text inputs only).

    A list of strings is one input each; a list of parts (`{"type": "text", "text": ...}`)
    is one input, as OpenAI reads it, whose texts are judged together."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: StrictStr | list[StrictStr] | list[TextPart] = Field(
        description="one text, a list of texts, or a list of text parts (one input)"
    )
    model: StrictStr | None = Field(
        default=None, description="echoed back; default omni-moderation-latest"
    )

    @field_validator("input")
    @classmethod
    def _not_empty(cls, v: str | list[str]) -> str | list[str]:
        if isinstance(v, list):
            if not v:
                raise ValueError("input must not be an empty list")
            if len(v) > MAX_MODERATION_INPUTS:
                raise ValueError(f"input may hold at most {MAX_MODERATION_INPUTS} texts")
        return v

    @property
    def texts(self) -> list[str]:
        if isinstance(self.input, str):
            return [self.input]
        parts = [p.text for p in self.input if isinstance(p, TextPart)]
        if parts:
            return ["\n".join(parts)]
        return [t for t in self.input if isinstance(t, str)]


def parse_moderation_request(body: Any) -> ModerationRequest:
    """Validate a decoded JSON body; any problem is an `InvalidRequest` (400) naming the field."""
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    try:
        return ModerationRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = str(first["loc"][0]) if first["loc"] else None
        if first["type"] == "missing":
            message = f"{param} is required"
        elif param == "input" and first["type"] != "value_error":
            message = (
                "input must be a string, a list of strings, or a list of"
                ' {"type": "text", "text": ...} parts (only text is supported)'
            )
        else:
            message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidRequest(message, param=param) from None


def merge_results(results: Sequence[GuardResult]) -> GuardResult:
    """Several guards' results for one text as one: worst verdict, highest score per category."""
    if not results:
        return GuardResult(verdict=Verdict.SAFE, guard="none", version="")
    verdict = worst_verdict(r.verdict for r in results)
    scores: dict[Category, float] = {}
    for result in results:
        for category, score in result.scores.items():
            scores[category] = max(scores.get(category, 0.0), score)
    return GuardResult(
        verdict=verdict,
        guard="+".join(r.guard for r in results),
        version="+".join(r.version for r in results),
        scores=scores,
        reasons=tuple(dict.fromkeys(reason for r in results for reason in r.reasons)),
    )


def moderation_result(
    result: GuardResult, *, flag_controversial: bool = False, explain: bool = False
) -> dict[str, Any]:
    """One entry of the response's `results`; `explain` adds the rules' reasons."""
    flagged = result.verdict is Verdict.UNSAFE or (
        flag_controversial and result.verdict is Verdict.CONTROVERSIAL
    )
    scores = to_openai_scores(result.scores)
    info: dict[str, Any] = {"verdict": result.verdict.value, "guards": result.guard.split("+")}
    if explain:
        info["reasons"] = list(result.reasons)
    return {
        "flagged": flagged,
        "categories": {
            name: flagged and scores[name] >= FLAG_SCORE for name in OPENAI_MODERATION_CATEGORIES
        },
        "category_scores": {name: float(scores[name]) for name in OPENAI_MODERATION_CATEGORIES},
        "category_applied_input_types": {name: ["text"] for name in OPENAI_MODERATION_CATEGORIES},
        "primeguard": info,
    }


def to_openai_moderation(
    results: list[GuardResult],
    model: str | None = None,
    *,
    flag_controversial: bool = False,
    explain: bool = False,
) -> dict[str, Any]:
    """OpenAI's moderation response for one `GuardResult` per input, in input order."""
    return {
        "id": f"modr-{uuid.uuid4().hex}",
        "model": model or DEFAULT_MODERATION_MODEL,
        "results": [
            moderation_result(r, flag_controversial=flag_controversial, explain=explain)
            for r in results
        ],
    }
