"""Observability: tracing, Prometheus metrics and JSON audit logs.

Each piece is built from `TelemetrySettings` and owned by the app, never
global; see `tracing.setup_tracing`, `metrics.Metrics` and `audit.AuditLogger`.
"""

from __future__ import annotations

from primeguard.telemetry.audit import (
    AuditLogger,
    AuditRecord,
    GuardVerdict,
    JsonFormatter,
    TextFormatter,
    configure_logging,
)
from primeguard.telemetry.metrics import CacheResult, Exposition, JudgeFailure, Metrics, Step
from primeguard.telemetry.settings import TelemetrySettings, parse_telemetry_settings
from primeguard.telemetry.tracing import (
    Tracing,
    content_attributes,
    current_trace_id,
    extract_context,
    guard_attributes,
    inject_headers,
    route_attributes,
    setup_tracing,
)

__all__ = [
    "AuditLogger",
    "AuditRecord",
    "CacheResult",
    "Exposition",
    "GuardVerdict",
    "JsonFormatter",
    "JudgeFailure",
    "Metrics",
    "Step",
    "TelemetrySettings",
    "TextFormatter",
    "Tracing",
    "configure_logging",
    "content_attributes",
    "current_trace_id",
    "extract_context",
    "guard_attributes",
    "inject_headers",
    "parse_telemetry_settings",
    "route_attributes",
    "setup_tracing",
]
