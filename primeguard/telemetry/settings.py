"""The `telemetry:` section of the config file, validated here.

`Settings.telemetry` stays a raw dict in `config.py` so that the config module
does not import OpenTelemetry; `parse_telemetry_settings` turns it into a
frozen model and reports problems the same way `load_config` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from primeguard.errors import config_error

#: Either of these switches OTLP export on when `otlp` is left unset; the
#: exporter itself reads them (and the other OTEL_EXPORTER_OTLP_* variables).
OTLP_ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
DEFAULT_SERVICE_NAME = "primeguard"


class TelemetrySettings(BaseModel):
    """Tracing, audit logging and content capture switches."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tracing: bool = Field(
        default=True, description="record OpenTelemetry spans when an exporter is configured"
    )
    console_exporter: bool = Field(
        default=False, description="print spans to stdout (development only)"
    )
    otlp: bool | None = Field(
        default=None,
        description="export spans over OTLP/HTTP; unset: on iff OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set",
    )
    capture_content: bool = Field(
        default=False,
        description="allow prompt/completion text in spans; tenants must also opt in",
    )
    audit_log: bool = Field(default=True, description="write one JSON audit line per decision")

    def otlp_enabled(self, environ: Mapping[str, str] | None = None) -> bool:
        """Whether OTLP export is on, resolving `otlp: null` from the environment."""
        if self.otlp is not None:
            return self.otlp
        env = os.environ if environ is None else environ
        return any(env.get(name) for name in OTLP_ENDPOINT_VARS)


def service_name(environ: Mapping[str, str] | None = None) -> str:
    """`service.name` for the trace resource: OTEL_SERVICE_NAME, else "primeguard"."""
    env = os.environ if environ is None else environ
    return env.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE_NAME


def parse_telemetry_settings(raw: Mapping[str, Any], source: str = "<config>") -> TelemetrySettings:
    """Validate the raw `telemetry:` mapping; any problem is a `ConfigError`."""
    try:
        return TelemetrySettings.model_validate(dict(raw))
    except ValidationError as exc:
        raise config_error(exc, "telemetry", source=source) from None
