"""Tracing: a private TracerProvider, one span helper, W3C propagation.

The provider is owned by `Tracing` rather than installed globally, so tests
and several apps in one process never share (or fight over) exporters.
Spans follow `contextvars`, which asyncio copies into every task: a
`with tracing.span(...)` in the pipeline makes spans opened by guards running
under `asyncio.gather` its children without passing anything around.

Privacy: exception messages may quote the request, so only PrimeGuard's own
errors keep theirs; other exceptions record their type and stack frames only,
unless content capture is on.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Mapping, MutableMapping
from contextvars import Token
from types import TracebackType

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from primeguard.errors import ConfigError, PrimeGuardError
from primeguard.telemetry import attributes as attr
from primeguard.telemetry.settings import TelemetrySettings, service_name
from primeguard.verdicts import GuardResult, RouteDecision

log = logging.getLogger("primeguard.telemetry")

Attributes = Mapping[str, AttributeValue]
# Explicit, not the global propagator: OTEL_PROPAGATORS must not change what
# PrimeGuard sends to its upstreams.
_PROPAGATOR = TraceContextTextMapPropagator()


class _HeaderGetter(Getter[Mapping[str, str]]):
    """Reads headers case-insensitively, whatever mapping the server hands us."""

    def get(self, carrier: Mapping[str, str], key: str) -> list[str] | None:
        value = carrier.get(key)
        if value is None:
            value = next((v for k, v in carrier.items() if k.lower() == key), None)
        return None if value is None else [value]

    def keys(self, carrier: Mapping[str, str]) -> list[str]:
        return list(carrier.keys())


_GETTER = _HeaderGetter()


class _NoopScope:
    """What `span()` returns when tracing is off: one shared object, no work."""

    __slots__ = ()

    def __enter__(self) -> Span:
        return trace.INVALID_SPAN

    def __exit__(self, *exc: object) -> None:
        return None


_NOOP_SCOPE = _NoopScope()


class _SpanScope:
    """One recording span; a hand-written class because it is on every step."""

    __slots__ = ("_attach", "_attributes", "_name", "_parent", "_span", "_token", "_tracing")

    def __init__(
        self,
        tracing: Tracing,
        name: str,
        attributes: Attributes | None,
        parent: otel_context.Context | None,
        attach: bool,
    ) -> None:
        self._tracing = tracing
        self._name = name
        self._attributes = attributes
        self._parent = parent
        self._attach = attach
        self._token: Token[otel_context.Context] | None = None

    def __enter__(self) -> Span:
        span = self._tracing._tracer.start_span(
            self._name, context=self._parent, attributes=self._attributes
        )
        self._span = span
        if self._attach:
            self._token = otel_context.attach(trace.set_span_in_context(span, self._parent))
        return span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span = self._span
        try:
            if isinstance(exc, Exception):
                self._tracing._record_error(span, exc)
            elif exc is not None:  # CancelledError, GeneratorExit: a disconnect, not a failure
                span.set_attribute(attr.PRIMEGUARD_CANCELLED, True)
        finally:
            if self._token is not None:
                otel_context.detach(self._token)
            span.end()


class Tracing:
    """Owns the tracer provider; hands out spans and propagates trace context."""

    def __init__(
        self, provider: TracerProvider | None, *, capture_content: bool = False, owned: bool = True
    ) -> None:
        """`provider=None` means tracing is off and every span is a shared no-op."""
        self._provider = provider
        self._owned = owned
        self.capture_content = capture_content
        self._tracer = (
            provider.get_tracer("primeguard") if provider is not None else trace.NoOpTracer()
        )

    @property
    def enabled(self) -> bool:
        """Whether spans are recorded; check it before building costly attributes."""
        return self._provider is not None

    def span(
        self,
        name: str,
        attributes: Attributes | None = None,
        *,
        parent: otel_context.Context | None = None,
        attach: bool = True,
    ) -> _SpanScope | _NoopScope:
        """A context manager around one span (usable with plain `with` in async code).

        `parent` defaults to the current context; pass `extract_context(headers)`
        for the request span.  An exception escaping the block is recorded and
        sets the span's status to ERROR, then propagates.  `attach=False` keeps
        the span out of the current context: use it for spans held across the
        `yield`s of an async generator, where the consumer's context is not ours.
        """
        if self._provider is None:
            return _NOOP_SCOPE
        return _SpanScope(self, name, attributes, parent, attach)

    def _record_error(self, span: Span, exc: Exception) -> None:
        kind = type(exc).__qualname__
        message = str(exc) if self.capture_content or isinstance(exc, PrimeGuardError) else ""
        frames = "".join(traceback.format_tb(exc.__traceback__))
        span.add_event(
            "exception",
            {"exception.type": kind, "exception.message": message, "exception.stacktrace": frames},
        )
        span.set_status(Status(StatusCode.ERROR, f"{kind}: {message}" if message else kind))

    def shutdown(self) -> None:
        """Flush and stop the exporters (only those this object created)."""
        if self._provider is not None and self._owned:
            self._provider.shutdown()


def extract_context(headers: Mapping[str, str]) -> otel_context.Context:
    """The client's trace context from `traceparent`/`tracestate`, as a parent for the request span."""
    return _PROPAGATOR.extract(headers, getter=_GETTER)


def inject_headers(
    headers: MutableMapping[str, str], context: otel_context.Context | None = None
) -> MutableMapping[str, str]:
    """Add `traceparent` (and `tracestate`) for the current span to outgoing headers, in place."""
    _PROPAGATOR.inject(headers, context=context)
    return headers


def current_trace_id() -> str | None:
    """The current trace id as 32 hex digits, or None outside any recorded span."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


def content_attributes(
    text: str, enabled: bool, key: str = attr.GEN_AI_INPUT_MESSAGES
) -> dict[str, str]:
    """The one way text reaches a span: `{}` unless content capture is enabled."""
    return {key: text} if enabled else {}


def capture_prompt(text: str) -> None:
    """The prompt on the current span (the request's): call only where both the deployment
    and the tenant opted in to content capture, and after masking."""
    trace.get_current_span().set_attributes(content_attributes(text, True))


def guard_attributes(result: GuardResult) -> dict[str, AttributeValue]:
    """Span attributes for one guard result: name, verdict, flagged categories, and a rule's
    reasons where one decided (fixed words, never the text)."""
    attributes: dict[str, AttributeValue] = {
        attr.PRIMEGUARD_GUARD_NAME: result.guard,
        attr.PRIMEGUARD_GUARD_VERDICT: result.verdict.value,
        attr.PRIMEGUARD_GUARD_CATEGORIES: [c.value for c in result.flagged_categories],
    }
    if result.reasons:
        attributes[attr.PRIMEGUARD_GUARD_REASONS] = list(result.reasons)
    return attributes


def route_attributes(decision: RouteDecision) -> dict[str, AttributeValue]:
    """Route and its source only; the judge's check and tip are text and stay out."""
    return {
        attr.PRIMEGUARD_ROUTE: decision.route.value,
        attr.PRIMEGUARD_ROUTE_SOURCE: decision.source.value,
    }


def setup_tracing(
    settings: TelemetrySettings,
    *,
    span_exporter: SpanExporter | None = None,
    provider: TracerProvider | None = None,
    environ: Mapping[str, str] | None = None,
) -> Tracing:
    """Build `Tracing` from settings.

    Tests pass `span_exporter` (exported synchronously) or a ready `provider`
    (used as is, and not shut down by us).  Otherwise exporters come from the
    settings: OTLP/HTTP in batches, configured by the standard OTEL_* variables,
    and/or the console.  With tracing on but no exporter at all, spans would be
    built only to be dropped, so tracing is switched off instead.
    """
    if not settings.tracing:
        return Tracing(None)
    if provider is not None:
        return Tracing(provider, capture_content=settings.capture_content, owned=False)
    processors = list(_processors(settings, span_exporter, environ))
    if not processors:
        log.info("tracing: no exporter configured; spans are not recorded")
        return Tracing(None)
    resource = Resource.create({SERVICE_NAME: service_name(environ)})
    owned = TracerProvider(resource=resource)
    for processor in processors:
        owned.add_span_processor(processor)
    return Tracing(owned, capture_content=settings.capture_content)


def _processors(
    settings: TelemetrySettings,
    span_exporter: SpanExporter | None,
    environ: Mapping[str, str] | None,
) -> Iterable[SimpleSpanProcessor | BatchSpanProcessor]:
    if span_exporter is not None:
        yield SimpleSpanProcessor(span_exporter)
        return
    if settings.otlp_enabled(environ):
        yield BatchSpanProcessor(_otlp_exporter())
    if settings.console_exporter:
        yield SimpleSpanProcessor(ConsoleSpanExporter())


def _otlp_exporter() -> SpanExporter:
    # Imported lazily: the HTTP exporter pulls in protobuf and requests.
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise ConfigError(
            "telemetry.otlp: OTLP export needs the opentelemetry-exporter-otlp-proto-http package"
        ) from exc
    return OTLPSpanExporter()
