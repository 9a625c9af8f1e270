"""Guard definitions: the entries of `guards.definitions`, one model per kind.

    definitions:
      minilm: {kind: inprocess}
      promptguard: {kind: tei, url: http://tei:8080, labels: {MALICIOUS: prompt_injection}}
      llamaguard: {kind: chat, url: http://vllm:8000/v1, model: ..., format: llama_guard}
      screened: {kind: cascade, first: minilm, then: llamaguard}
      judged: {kind: judge, model: gpt-4o-mini}

Frozen pydantic models, validated by `settings.parse_guards` with the rest of
the `guards:` section.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from primeguard.config import resolve_secret
from primeguard.guards.thresholds import threshold_verdict
from primeguard.verdicts import Category, Verdict, worst_verdict


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FailMode(str, enum.Enum):
    """What a guard's failure means: `open` lets the text through, `closed` blocks it."""

    OPEN = "open"
    CLOSED = "closed"


class ThresholdPair(FrozenModel):
    """Score cut-offs for one category: at or above `controversial`, then at or above `unsafe`."""

    controversial: float = Field(default=0.5, ge=0.0, le=1.0)
    unsafe: float = Field(default=0.8, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdPair:
        if self.controversial > self.unsafe:
            raise ValueError("controversial must not exceed unsafe")
        return self


DEFAULT_THRESHOLDS = ThresholdPair()


def category_verdicts(
    scores: Mapping[Category, float], thresholds: Mapping[Category, ThresholdPair] | None = None
) -> dict[Category, Verdict]:
    """Each category's verdict under its thresholds (the defaults where none is set)."""
    return {
        c: threshold_verdict(s, (thresholds or {}).get(c, DEFAULT_THRESHOLDS))
        for c, s in scores.items()
    }


def verdict_from_scores(
    scores: Mapping[Category, float], thresholds: Mapping[Category, ThresholdPair] | None = None
) -> Verdict:
    """The worst verdict any category's score reaches under its thresholds."""
    return worst_verdict(category_verdicts(scores, thresholds).values())


class BreakerSettings(FrozenModel):
    failure_threshold: int = Field(
        default=5, ge=1, description="consecutive failures that open the circuit"
    )
    reset_s: float = Field(
        default=10.0, gt=0, description="seconds open before one probe is let through"
    )


class _GuardBase(FrozenModel):
    fail_mode: FailMode = Field(
        default=FailMode.CLOSED, description="open: pass on failure; closed: block"
    )
    timeout_s: float = Field(
        default=2.0, gt=0, description="the whole check, all texts of one call"
    )
    breaker: BreakerSettings = BreakerSettings()
    version: str | None = Field(
        default=None, description="cache key; default: a hash of this definition"
    )

    def default_version(self, name: str) -> str:
        if self.version is not None:
            return self.version
        digest = hashlib.sha256(self.model_dump_json(exclude={"api_key"}).encode()).hexdigest()
        return f"{name}:{digest[:12]}"


class InProcessDefinition(_GuardBase):
    """A guard running inside the proxy (built by the caller, not by `build_served_guard`)."""

    kind: Literal["inprocess"] = "inprocess"
    model_dir: str | None = Field(
        default=None, description="weights; default: the shipped MiniLM guard"
    )
    device: str | None = Field(
        default=None,
        description="cpu (default: the int8 ONNX path), or cuda, cuda:1 (the torch encoder on a GPU)",
    )
    precedents: str | None = Field(
        default=None,
        description="JSONL of reviewed cases ({text, label: safe|unsafe}): a text nearly the"
        " same as a case takes its label (a new policy, or a false positive fixed), no retraining",
    )
    escalate_unreadable: bool = Field(
        default=True,
        description="input the English encoder cannot read (other languages, mostly) is at least"
        " controversial: re-evaluated by the judge, or sent on by a cascade",
    )
    vote: bool = Field(
        default=True,
        description="blend the heads with the shipped precedents' vote (false: heads alone,"
        " with their own calibrated thresholds; faster, less precise)",
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="passed to the in-process guard"
    )

    @field_validator("precedents")
    @classmethod
    def _readable_cases(cls, v: str | None) -> str | None:
        """Read once here, so check-config catches a bad file (the guard reads it again)."""
        if v is not None:
            from primeguard.guards.precedents import read_cases

            try:
                read_cases(Path(v))
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"cannot read {v}: {exc}") from None
        return v

    @field_validator("options")
    @classmethod
    def _no_shadowed_options(cls, v: dict[str, Any]) -> dict[str, Any]:
        taken = sorted(
            set(v)
            & {"assets_dir", "thresholds", "device", "precedents", "vote", "escalate_unreadable"}
        )
        if taken:
            raise ValueError(f"set {', '.join(taken)} as keys of the definition, not in options")
        return v


class _ServedBase(_GuardBase):
    url: str = Field(description="base URL of the guard server")
    api_key: str | None = Field(default=None, description="bearer token, or os.environ/NAME")
    max_concurrency: int = Field(
        default=16, ge=1, le=1024, description="requests in flight per check"
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return v.rstrip("/")

    @field_validator("api_key")
    @classmethod
    def _resolve_key(cls, v: str | None) -> str | None:
        return None if v is None else resolve_secret(v)


class TEIDefinition(_ServedBase):
    """A sequence classifier behind Text Embeddings Inference's `/predict` (or `primeguard guard-server`)."""

    kind: Literal["tei"]
    labels: dict[str, Category | None] | None = Field(
        default=None,
        description="label -> category (null: benign); default: Prompt Guard + generic labels",
    )
    positive_category: Category = Field(
        default=Category.ILLICIT, description="category of generic unsafe/toxic/LABEL_1 labels"
    )
    thresholds: dict[Category, ThresholdPair] = Field(
        default_factory=dict, description="overrides the global ones"
    )
    max_batch_size: int = Field(default=32, ge=1, le=1024, description="texts per /predict request")
    coalesce_ms: float = Field(
        default=2.0,
        ge=0,
        le=1000,
        description="texts of concurrent checks share a /predict request, waiting at most this long; 0: off",
    )


class ChatFormat(str, enum.Enum):
    LLAMA_GUARD = "llama_guard"
    QWEN3GUARD = "qwen3guard"


class ChatDefinition(_ServedBase):
    """A generative guard behind an OpenAI-compatible chat API (vLLM, SGLang)."""

    kind: Literal["chat"]
    model: str = Field(min_length=1, description="model name the server knows")
    format: ChatFormat = Field(description="how to parse the guard's answer")
    max_tokens: int = Field(default=32, ge=1, le=512)


class JudgeDefinition(_GuardBase):
    """The routing judge as a guard: the model and prompt that pick a chat's route, asked
    about each input alone (route no_to_minimal_risk / potential_violation /
    direct_violation -> safe / controversial / unsafe).  For `/v1/moderations` and as a
    cascade's second stage; it judges requests, not replies, so never on output."""

    kind: Literal["judge"]
    model: str | None = Field(
        default=None, min_length=1, description="a model_list name; default: routing.judge_model"
    )
    guidelines: str | None = Field(
        default=None, min_length=1, description="a guideline set; default: the calling tenant's"
    )
    timeout_s: float = Field(default=20.0, gt=0, description="the whole check, all texts")
    max_concurrency: int = Field(
        default=8, ge=1, le=256, description="judge calls at once, per check (one call's texts)"
    )


class CascadeDefinition(_GuardBase):
    """Two guards in series: `first` judges every text; the texts it calls one of
    `escalate` (or could not judge) go to `then`, whose verdict replaces the first's.

    A cheap in-process guard first and a served 7B guard second: the big model sees
    only the texts the small one is unsure of.  Each member keeps its own failure
    policy; `timeout_s` and `fail_mode` here cover the cascade as a whole.
    """

    kind: Literal["cascade"]
    first: str = Field(min_length=1, description="the guard that judges every text")
    then: str = Field(min_length=1, description="the guard that decides the escalated texts")
    escalate: tuple[Verdict, ...] = Field(
        default=(Verdict.CONTROVERSIAL,),
        min_length=1,
        description="first-stage verdicts sent on to `then`",
    )
    escalate_failures: bool = Field(
        default=True,
        description="texts the first stage could not judge go on to `then` (false: the first"
        " stage's fail mode decides them, and its outage does not multiply `then`'s load)",
    )
    timeout_s: float = Field(
        default=0.0,
        ge=0,
        description="both stages, all texts of one call; 0 (default): the stages' timeouts added",
    )

    @field_validator("escalate")
    @classmethod
    def _canonical(cls, v: tuple[Verdict, ...]) -> tuple[Verdict, ...]:
        """Deduplicated, in a fixed order (the cascade's version hashes it)."""
        return tuple(x for x in Verdict if x in v)


GuardDefinition = Annotated[
    InProcessDefinition | TEIDefinition | ChatDefinition | JudgeDefinition | CascadeDefinition,
    Field(discriminator="kind"),
]


def stages_timeout(cascade: CascadeDefinition, definitions: Mapping[str, GuardDefinition]) -> float:
    """Both stages' timeouts added: the least a cascade's own timeout may be, and its default."""
    return definitions[cascade.first].timeout_s + definitions[cascade.then].timeout_s


def check_cascade(
    name: str, cascade: CascadeDefinition, definitions: Mapping[str, GuardDefinition]
) -> None:
    if cascade.first == cascade.then:
        raise ValueError(f"definitions.{name}: first and then name the same guard")
    if cascade.timeout_s and cascade.first in definitions and cascade.then in definitions:
        least = stages_timeout(cascade, definitions)
        if cascade.timeout_s < least:
            raise ValueError(
                f"definitions.{name}.timeout_s: {cascade.timeout_s} s would cut off stages that may"
                f" take {least} s together (leave it out to get their sum)"
            )
    for key in ("first", "then"):
        member = getattr(cascade, key)
        if member not in definitions:
            raise ValueError(
                f"definitions.{name}.{key}: guard {member!r} has no entry in definitions"
            )
        if isinstance(definitions[member], CascadeDefinition):
            raise ValueError(  # noqa: TRY004 (pydantic turns ValueError into a config error)
                f"definitions.{name}.{key}: a cascade's stages cannot be cascades"
            )
