"""Structured audit logs: one JSON line per decision, and never any text.

`AuditRecord` has no field that can hold prompt or completion text: guard
results are reduced to name, verdict and categories, and route decisions to
route and source (the judge's check and tip quote the conversation, so they
are dropped).  The lines go through the standard `logging` logger
"primeguard.audit", so operators route them like any other log.
"""

from __future__ import annotations

import json as jsonlib
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from primeguard.telemetry.tracing import current_trace_id
from primeguard.verdicts import Category, DecisionSource, GuardResult, Route, RouteDecision, Verdict

AUDIT_LOGGER = "primeguard.audit"
#: `extra={FIELDS: {...}}` adds structured fields to any log line.
FIELDS = "fields"


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """What the audit log keeps of one guard result."""

    guard: str
    verdict: Verdict
    categories: tuple[Category, ...] = ()

    @classmethod
    def of(cls, result: GuardResult) -> GuardVerdict:
        return cls(result.guard, result.verdict, tuple(result.flagged_categories))

    def to_dict(self) -> dict[str, Any]:
        return {
            "guard": self.guard,
            "verdict": self.verdict.value,
            "categories": [c.value for c in self.categories],
        }


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One request's decisions: identifiers, enums, flags and timings only."""

    request_id: str
    tenant: str | None
    model: str
    status: int
    latency_ms: float
    route: Route | None = None
    route_source: DecisionSource | None = None
    input_verdicts: tuple[GuardVerdict, ...] = ()
    output_verdict: Verdict | None = None
    stream_cut: bool = False
    cache_hit: bool = False
    shadow: bool = False
    guard_ms: float = 0.0
    trace_id: str | None = None

    @staticmethod
    def route_fields(decision: RouteDecision | None) -> dict[str, Any]:
        """`route=` and `route_source=` keyword arguments from a decision, its text left out."""
        if decision is None:
            return {}
        return {"route": decision.route, "route_source": decision.source}

    def to_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "tenant": self.tenant,
            "model": self.model,
            "route": _value(self.route),
            "route_source": _value(self.route_source),
            "input_verdicts": [v.to_dict() for v in self.input_verdicts],
            "output_verdict": _value(self.output_verdict),
            "stream_cut": self.stream_cut,
            "cache_hit": self.cache_hit,
            "shadow": self.shadow,
            "status": self.status,
            "latency_ms": round(self.latency_ms, 1),
            "guard_ms": round(self.guard_ms, 1),
            "trace_id": self.trace_id,
        }


def _value(member: Route | DecisionSource | Verdict | None) -> str | None:
    return None if member is None else member.value


class AuditLogger:
    """Writes `AuditRecord`s to the "primeguard.audit" logger."""

    def __init__(self, enabled: bool = True, logger: logging.Logger | None = None) -> None:
        self.enabled = enabled
        self._logger = logger or logging.getLogger(AUDIT_LOGGER)

    def log(self, record: AuditRecord) -> None:
        """Emit one line; the trace id is filled in from the current span when not given."""
        if not self.enabled:
            return
        fields = record.to_dict()
        if fields["trace_id"] is None:
            fields["trace_id"] = current_trace_id()
        self._logger.info("decision", extra={FIELDS: fields})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, then any `fields`.

    Usable for the whole app.  The current trace id is added to every line so
    logs and spans join up.
    """

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, tz=UTC)
        out: dict[str, Any] = {
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            out.update(fields)
        if out.get("trace_id") is None and (trace_id := current_trace_id()) is not None:
            out["trace_id"] = trace_id
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        return jsonlib.dumps(out, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """Human-readable lines for development, with `fields` appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            line += "".join(f" {k}={jsonlib.dumps(v, default=str)}" for k, v in fields.items())
        return line


_HANDLER_MARK = "_primeguard_handler"


def configure_logging(
    level: int | str = "INFO", json: bool = True, stream: IO[str] | None = None
) -> None:
    """Send all logs to one stream handler on the root logger, JSON or text.

    Idempotent: calling again replaces the handler installed before.  Audit
    lines are kept at INFO even when `level` is higher, because they are
    records, not diagnostics.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger(AUDIT_LOGGER).setLevel(logging.INFO)
