"""Settings: one YAML file, LiteLLM-like, validated once at start-up.

Every model here is frozen.  `load_config` turns any problem into a
`ConfigError` naming the file, the key path and what is wrong, so an operator
never has to read a pydantic traceback.
"""

from __future__ import annotations

import enum
import hashlib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from primeguard.errors import ConfigError, config_error

PACKAGE_ROOT = Path(__file__).resolve().parent
#: Where the shipped `routes/` and `guidelines/` live: beside the package in a
#: checkout, or inside it (`primeguard/assets/`) in an installed wheel.
_REPO_ROOT = PACKAGE_ROOT.parent
DEFAULT_ROUTES_DIR = _REPO_ROOT / "routes"
DEFAULT_GUIDELINES_DIR = _REPO_ROOT / "guidelines"

EMBEDDED_MODEL_NAME = "smollm2-135m-instruct"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def resolve_secret(value: str) -> str:
    """Resolve `os.environ/NAME` references, LiteLLM's convention for secrets."""
    if value.startswith("os.environ/"):
        name = value.removeprefix("os.environ/")
        resolved = os.environ.get(name)
        if resolved is None:
            raise ValueError(f"environment variable {name} is not set")
        return resolved
    return value


class LiteLLMParams(BaseModel):
    """How to reach one model; any extra key is passed to litellm untouched."""

    model_config = ConfigDict(frozen=True, extra="allow")

    model: str = Field(description="provider/model, e.g. openai/gpt-4o-mini or local/smollm2-135m-instruct")
    api_base: str | None = Field(default=None, description="base URL of the provider's API")
    api_key: str | None = Field(default=None, description="key, or os.environ/NAME")
    timeout: float = Field(default=60.0, gt=0, description="seconds before an upstream call times out")
    max_retries: int = Field(default=2, ge=0, le=10, description="retries on 429/5xx with backoff")
    direct_http: bool | None = Field(
        default=None, description="OpenAI-compatible upstreams take a pooled-httpx path; false forces litellm")

    @field_validator("api_key")
    @classmethod
    def _resolve_key(cls, v: str | None) -> str | None:
        return None if v is None else resolve_secret(v)

    @property
    def provider(self) -> str:
        return self.model.split("/", 1)[0] if "/" in self.model else "openai"

    @property
    def provider_model(self) -> str:
        return self.model.split("/", 1)[1] if "/" in self.model else self.model


class ModelEntry(_Frozen):
    model_name: str = Field(description="the name clients ask for")
    litellm_params: LiteLLMParams


class OnJudgeError(str, enum.Enum):
    REFUSE = "refuse"
    ALLOW = "allow"


class RoutingSettings(_Frozen):
    judge_model: str | None = Field(default=None, description="model for route selection; default: the requested one")
    speculative: bool = Field(default=False, description="start the direct answer while the judge runs")
    on_judge_error: OnJudgeError = Field(default=OnJudgeError.REFUSE)
    judge_timeout_s: float = Field(default=20.0, gt=0)
    judge_max_tokens: int = Field(default=256, gt=0, le=4096)
    reevaluation_max_tokens: int = Field(default=1024, gt=0, le=16384)
    judge_json_mode: bool = Field(default=True, description="ask the judge for response_format json_object")
    judge_tools: bool = Field(
        default=True, description="the judge reads the request's tools and answer schema (more judge tokens)")
    routes_dir: Path = Field(default=DEFAULT_ROUTES_DIR)
    guidelines_dir: Path = Field(default=DEFAULT_GUIDELINES_DIR)


class TenantSettings(_Frozen):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    api_keys: tuple[str, ...] = Field(default=(), description="os.environ/NAME, sha256:<hex> or a literal key")
    guidelines: str = Field(default="default", description="a guideline set in guidelines/")
    refusal: str | None = Field(default=None, description="refusal text; default: routes/refusal.txt")
    explain: bool = Field(
        default=False, description="expose the judge's check and tip, and guard rules' reasons in moderations")
    shadow: bool = Field(default=False, description="compute decisions but never enforce them")
    tolerance: Literal["strict", "default", "loose"] | None = Field(
        default=None, description="guard tolerance: strict treats controversial as unsafe, loose as safe")
    capture_content: bool = Field(default=False, description="allow prompt text in this tenant's spans")
    input_guards: tuple[str, ...] | None = Field(
        default=None, description="guards run on this tenant's input; default: guards.input")
    output_guards: tuple[str, ...] | None = Field(
        default=None, description="guards run on this tenant's answers; default: guards.output")
    rate_limit_rpm: int | None = Field(default=None, ge=1, description="requests per minute; shared via Redis")
    thresholds: dict[str, Any] | None = Field(
        default=None, description="per category {controversial, unsafe} cut-offs over guards.thresholds")

    @field_validator("api_keys")
    @classmethod
    def _digest_keys(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        """Keep only SHA-256 digests in memory; the plain keys are dropped here."""
        out = []
        for key in keys:
            if key.startswith("sha256:"):
                digest = key.removeprefix("sha256:").lower()
                if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                    raise ValueError("sha256: must be followed by 64 hex digits")
                out.append(digest)
            else:
                out.append(hashlib.sha256(resolve_secret(key).encode()).hexdigest())
        return tuple(out)


class ServerSettings(_Frozen):
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0, description="larger bodies get 413")


class GeneralSettings(_Frozen):
    master_key: str | None = Field(default=None, description="admin key, or os.environ/NAME")

    @field_validator("master_key")
    @classmethod
    def _resolve(cls, v: str | None) -> str | None:
        return None if v is None else hashlib.sha256(resolve_secret(v).encode()).hexdigest()


class Settings(_Frozen):
    """The whole configuration file."""

    model_list: tuple[ModelEntry, ...] = Field(min_length=1)
    routing: RoutingSettings = RoutingSettings()
    tenants: tuple[TenantSettings, ...] = ()
    server: ServerSettings = ServerSettings()
    general_settings: GeneralSettings = GeneralSettings()
    # Sections owned by later layers; validated by their own modules.
    cache: dict[str, Any] = Field(default_factory=dict)
    telemetry: dict[str, Any] = Field(default_factory=dict)
    guards: dict[str, Any] = Field(default_factory=dict)

    @field_validator("tenants")
    @classmethod
    def _unique_tenants(cls, v: tuple[TenantSettings, ...]) -> tuple[TenantSettings, ...]:
        names = [t.name for t in v]
        if len(set(names)) != len(names):
            raise ValueError("tenant names must be unique")
        return v

    @property
    def auth_enabled(self) -> bool:
        return bool(self.tenants)


def embedded_settings() -> Settings:
    """The zero-config default: one in-process SmolLM2 model, no auth."""
    return Settings(
        model_list=(
            ModelEntry(
                model_name=EMBEDDED_MODEL_NAME,
                litellm_params=LiteLLMParams(model=f"local/{EMBEDDED_MODEL_NAME}", timeout=300.0),
            ),
        ),
        routing=RoutingSettings(judge_max_tokens=48, reevaluation_max_tokens=256, judge_timeout_s=120.0),
    )


def parse_config(data: Any, source: str = "<config>") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise config_error(exc, source=source) from None


def load_config(path: str | Path | None) -> Settings:
    """Read and validate the config file; `None` gives the embedded defaults."""
    if path is None:
        return embedded_settings()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}:{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return parse_config(data, str(path))

