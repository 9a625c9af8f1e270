"""Prometheus metrics in a registry of their own.

A private `CollectorRegistry` (not prometheus-client's global default) lets
tests and several apps in one process each count from zero.  Every label is
bounded: tenants are the configured names, guards the configured guards,
everything else an Enum.  Methods take Enums rather than strings where one
exists so that a label value cannot be misspelt.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.context_managers import Timer
from prometheus_client.exposition import choose_encoder

from primeguard.verdicts import Route, TextRole, Verdict

if TYPE_CHECKING:
    from primeguard.guards.policy import FailureEvent

#: Seconds; from 1 ms (a cache hit) to a minute (a long streamed answer).
# fmt: off
LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)
# fmt: on

#: Label for requests without a tenant (auth off), and for names not configured.
NO_TENANT = "default"
UNKNOWN_TENANT = "other"
NO_VALUE = "none"


class Step(str, enum.Enum):
    """Pipeline steps timed in `step_latency_seconds`."""

    MASKING = "masking"
    CACHE_LOOKUP = "cache_lookup"
    INPUT_GUARD = "input_guard"
    ROUTE_SELECTION = "route_selection"
    REEVALUATION = "reevaluation"
    UPSTREAM = "upstream"
    OUTPUT_GUARD = "output_guard"


class CacheResult(str, enum.Enum):
    HIT = "hit"
    MISS = "miss"


class JudgeFailure(str, enum.Enum):
    TIMEOUT = "timeout"
    UPSTREAM_ERROR = "upstream_error"
    PARSE_FAILURE = "parse_failure"


@dataclass(frozen=True, slots=True)
class Exposition:
    """A rendered scrape: the body and the Content-Type to serve it with."""

    body: bytes
    content_type: str


class Metrics:
    """All of PrimeGuard's counters and histograms, in one registry."""

    def __init__(self, tenants: Iterable[str] = (), *, namespace: str = "primeguard") -> None:
        """`tenants` are the configured tenant names, the only values the tenant label takes."""
        self.registry = CollectorRegistry(auto_describe=True)
        self._tenants = frozenset(tenants)
        r, ns = self.registry, namespace
        self.requests = Counter(
            "requests",
            "Chat requests served.",
            ["tenant", "route", "verdict", "status"],
            namespace=ns,
            registry=r,
        )
        self.request_latency = Histogram(
            "request_latency_seconds", "End-to-end request latency.", ["route"],
            namespace=ns, registry=r, buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self.step_latency = Histogram(
            "step_latency_seconds", "Latency of one pipeline step.", ["step"],
            namespace=ns, registry=r, buckets=LATENCY_BUCKETS,
        )  # fmt: skip
        self.cache_lookups = Counter(
            "cache_lookups", "Decision cache lookups.", ["result"], namespace=ns, registry=r
        )
        self.cache_errors = Counter(
            "cache_errors", "Decision cache backend errors.", ["backend"], namespace=ns, registry=r
        )
        self.stream_cuts = Counter(
            "stream_cuts",
            "Streams cut by the output guard.",
            ["tenant", "mode"],
            namespace=ns,
            registry=r,
        )
        self.judge_failures = Counter(
            "judge_failures",
            "Route-selection judge failures.",
            ["reason"],
            namespace=ns,
            registry=r,
        )
        self.guard_verdicts = Counter(
            "guard_verdicts",
            "Guard verdicts.",
            ["guard", "role", "verdict"],
            namespace=ns,
            registry=r,
        )
        self.guard_failures = Counter(
            "guard_failures",
            "Guard calls that failed and were answered by the guard's fail mode instead"
            " (step: check or mask; reason: timeout, error or circuit_open).",
            ["guard", "step", "reason", "fail_mode"],
            namespace=ns,
            registry=r,
        )
        self.upstream_errors = Counter(
            "upstream_errors", "Failed upstream calls.", ["status"], namespace=ns, registry=r
        )
        self.cascade_texts = Counter(
            "guard_cascade_texts",
            "Texts a cascade guard judged (stage first: all; then: those escalated).",
            ["guard", "stage"],
            namespace=ns,
            registry=r,
        )
        # Bound once: `labels()` takes a lock and a dict lookup on every call.
        self._steps = {step: self.step_latency.labels(step.value) for step in Step}
        for result in CacheResult:  # so that a zero shows up before the first lookup
            self.cache_lookups.labels(result.value)
        for reason in JudgeFailure:
            self.judge_failures.labels(reason.value)

    def tenant_label(self, tenant: str | None) -> str:
        """The configured tenant name, or a fixed fallback: never a client-chosen value."""
        if tenant is None:
            return NO_TENANT
        return tenant if tenant in self._tenants else UNKNOWN_TENANT

    def observe_request(
        self,
        *,
        tenant: str | None,
        route: Route | None,
        verdict: Verdict | None,
        status: int,
        latency_s: float,
    ) -> None:
        """Count one finished request and record its latency."""
        route_label = route.value if route is not None else NO_VALUE
        verdict_label = verdict.value if verdict is not None else NO_VALUE
        self.requests.labels(
            self.tenant_label(tenant), route_label, verdict_label, str(status)
        ).inc()
        self.request_latency.labels(route_label).observe(latency_s)

    def observe_step(self, step: Step, seconds: float) -> None:
        """Record one step's latency, measured by the caller."""
        self._steps[step].observe(seconds)

    def time_step(self, step: Step) -> Timer:
        """Context manager timing a step; records on exit, error or not."""
        return self._steps[step].time()

    def record_cache_lookup(self, result: CacheResult) -> None:
        self.cache_lookups.labels(result.value).inc()

    def record_cache_error(self, backend: str) -> None:
        """`backend` is the configured cache backend ("memory" or "redis")."""
        self.cache_errors.labels(backend).inc()

    def record_stream_cut(self, tenant: str | None, mode: str) -> None:
        """`mode` is the cut policy that applied (a config enum value)."""
        self.stream_cuts.labels(self.tenant_label(tenant), mode).inc()

    def record_judge_failure(self, reason: JudgeFailure) -> None:
        self.judge_failures.labels(reason.value).inc()

    def record_guard_verdict(self, guard: str, role: TextRole, verdict: Verdict) -> None:
        """`guard` is the configured guard name."""
        self.guard_verdicts.labels(guard, role.value, verdict.value).inc()

    def record_guard_failure(self, event: FailureEvent) -> None:
        """A failed-open guard otherwise shows only as `safe` verdicts."""
        self.guard_failures.labels(
            event.guard, event.step.value, event.reason.value, event.fail_mode.value
        ).inc(event.texts)

    def record_cascade(self, guard: str, checked: int, escalated: int) -> None:
        """`guard` is the configured cascade's name."""
        self.cascade_texts.labels(guard, "first").inc(checked)
        self.cascade_texts.labels(guard, "then").inc(escalated)

    def record_upstream_error(self, status: int | str) -> None:
        """`status` is the HTTP status, or a short reason such as "timeout"."""
        self.upstream_errors.labels(str(status)).inc()

    def render(self, accept: str | None = None) -> Exposition:
        """The scrape body; OpenMetrics when the `Accept` header asks for it."""
        encoder, content_type = choose_encoder(accept or "")
        return Exposition(body=encoder(self.registry), content_type=content_type)
