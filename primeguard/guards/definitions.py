"""Guard definitions: the entries of `guards.definitions`, one model per kind.

    definitions:
      minilm: {kind: inprocess}
      promptguard: {kind: tei, url: http://tei:8080, labels: {MALICIOUS: prompt_injection}}
      llamaguard: {kind: chat, url: http://vllm:8000/v1, model: ..., format: llama_guard}
      screened: {kind: cascade, first: minilm, then: llamaguard}
      judged: {kind: judge, model: gpt-4o-mini}
      pii: {kind: pii}

Frozen pydantic models, validated by `settings.parse_guards` with the rest of
the `guards:` section.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from primeguard.config import resolve_secret
from primeguard.guards.definition_base import ThresholdPair, _GuardBase
from primeguard.guards.thresholds import CATEGORY_GATE, GATED_CATEGORIES
from primeguard.verdicts import Category, Verdict


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
    reproduction: Literal["unsafe", "controversial", "off"] = Field(
        default="unsafe",
        description="input asking for a named work's lyrics, chapter or script whole (Llama"
        " Guard's S8, Qwen3Guard's Copyright Violation): this verdict under illicit;"
        " controversial lets the judge decide (public-domain works), off turns the rule off",
    )
    disinformation: Literal["unsafe", "controversial", "off"] = Field(
        default="unsafe",
        description="input asking to write disinformation: unsafe with fabricated evidence (fake"
        " sources, made-up quotes, falsely reporting), controversial for a false claim asserted"
        " (the judge decides); controversial caps both, off turns the rule off",
    )
    threats: Literal["unsafe", "controversial", "off"] = Field(
        default="unsafe",
        description="input that threatens someone, calls for violence or praises a massacre,"
        " veiled ones included ('shame if something happened to your kids'): this verdict under"
        " violence; off turns the rule off",
    )
    category_gate: float | None = Field(
        default=CATEGORY_GATE,
        ge=0.0,
        le=1.0,
        description="a gated category head's unsafe counts only where the overall head scores at"
        " least this; under it the text is controversial (the judge decides, strict tenants"
        " refuse). null: every head decides alone",
    )
    gated_categories: list[Category] = Field(
        default_factory=lambda: list(GATED_CATEGORIES),
        description="the category heads under category_gate (default: violence, weapons_cbrn,"
        " privacy, prompt_injection, whose lone flags were mostly benign held out by source)",
    )
    vote: bool = Field(
        default=True,
        description="blend the heads with the shipped precedents' vote (false: heads alone,"
        " with their own calibrated thresholds; faster, less precise)",
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="passed to the in-process guard: backend (auto, onnx, torch, bf16), max_batch_size, max_wait_ms",
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
            & {
                "assets_dir",
                "thresholds",
                "device",
                "precedents",
                "vote",
                "escalate_unreadable",
                "reproduction",
                "disinformation",
                "threats",
                "category_gate",
                "gated_categories",
            }
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


#: What `kind: pii` looks for unless told, and what finding it means: data that pays or
#: identifies a person officially is unsafe; contact details, common in benign answers
#: ("write to support@..."), are controversial (strict tenants block them too).  Left out:
#: IP_ADDRESS (every 127.0.0.1 and version number "1.2.3.4" in a coding answer) and the US
#: passport, bank account and driver's licence numbers, whose recognizers need context
#: words a blank spaCy pipeline does not give them (they score 0.05-0.3 at most).
PII_VERDICTS: Mapping[str, Verdict] = {
    **dict.fromkeys(
        ("CREDIT_CARD", "CRYPTO", "IBAN_CODE", "UK_NHS", "US_ITIN", "US_SSN"), Verdict.UNSAFE
    ),
    # A DEA registration is a professional's, and its checksum pattern matches codes such as
    # "ES0500000" in ordinary prompts (1 in 2,417 of ToxicChat's safe ones).
    **dict.fromkeys(("EMAIL_ADDRESS", "MEDICAL_LICENSE", "PHONE_NUMBER"), Verdict.CONTROVERSIAL),
}
#: Presidio's pattern recognizers (the named-entity ones need a spaCy model we do not load).
PII_RECOGNIZED = frozenset(
    {
        *PII_VERDICTS,
        *("DATE_TIME", "IP_ADDRESS", "MAC_ADDRESS", "URL", "UUID"),
        *("US_BANK_NUMBER", "US_DRIVER_LICENSE", "US_PASSPORT"),
    }
)


class PiiDefinition(_GuardBase):
    """Personal data found by Presidio's pattern recognizers (`guards.pii`): each entity
    found with at least `min_score` gives its verdict; the worst one is the text's."""

    kind: Literal["pii"]
    entities: dict[str, Verdict] = Field(default_factory=lambda: dict(PII_VERDICTS), min_length=1)
    # Presidio scores a checksum-verified card or IBAN 1.0, an IP address 0.6, a bare phone
    # number 0.4, a bare 9-digit number as a bank account 0.05.
    min_score: float = Field(default=0.4, gt=0.0, le=1.0)
    mask: bool = Field(
        default=False,
        description="on input: replace what it finds in user and tool messages with <TYPE> before"
        " the judge, the guards and the upstream read them (its verdicts then see placeholders)",
    )

    @field_validator("entities")
    @classmethod
    def _recognized(cls, v: dict[str, Verdict]) -> dict[str, Verdict]:
        unknown = sorted(set(v) - PII_RECOGNIZED)
        if unknown:
            raise ValueError(f"no recognizer for {unknown}; choose from {sorted(PII_RECOGNIZED)}")
        return dict(sorted(v.items()))  # canonical: the version hashes it


GuardDefinition = Annotated[
    InProcessDefinition
    | TEIDefinition
    | ChatDefinition
    | JudgeDefinition
    | CascadeDefinition
    | PiiDefinition,
    Field(discriminator="kind"),
]
