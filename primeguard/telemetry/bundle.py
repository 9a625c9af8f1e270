"""The three instruments together, as the pipeline and the server use them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import Span

from primeguard.telemetry.audit import AuditLogger
from primeguard.telemetry.metrics import Metrics, Step
from primeguard.telemetry.settings import TelemetrySettings
from primeguard.telemetry.tracing import Tracing, setup_tracing


@dataclass(frozen=True)
class Telemetry:
    """Tracing, metrics and the audit log, built once per app."""

    tracing: Tracing = field(default_factory=lambda: Tracing(None))
    metrics: Metrics = field(default_factory=Metrics)
    audit: AuditLogger = field(default_factory=lambda: AuditLogger(enabled=False))

    @classmethod
    def from_settings(cls, settings: TelemetrySettings, tenants: tuple[str, ...] = ()) -> Telemetry:
        return cls(setup_tracing(settings), Metrics(tenants), AuditLogger(enabled=settings.audit_log))

    @contextlib.contextmanager
    def step(self, step: Step, span_name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Span]:
        """One pipeline step: a span and a latency observation."""
        with self.tracing.span(span_name, attributes) as span, self.metrics.time_step(step):
            yield span

    def shutdown(self) -> None:
        self.tracing.shutdown()
