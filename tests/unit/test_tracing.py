"""Tracing: span tree, attributes, errors, W3C propagation, the disabled path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from primeguard.errors import ConfigError, InvalidRequest
from primeguard.telemetry import attributes as attr
from primeguard.telemetry.settings import TelemetrySettings, parse_telemetry_settings, service_name
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
from primeguard.verdicts import Category, DecisionSource, GuardResult, Route, RouteDecision, Verdict

SECRET = "my password is hunter2"
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracing(exporter: InMemorySpanExporter) -> Iterator[Tracing]:
    tracing = setup_tracing(TelemetrySettings(), span_exporter=exporter)
    yield tracing
    tracing.shutdown()


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {s.name: s for s in exporter.get_finished_spans()}


def test_request_span_is_parent_of_step_spans(
    tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    async def guard(name: str) -> None:
        # Spans opened inside gathered tasks still find the request span.
        with tracing.span(attr.SPAN_INPUT_GUARD, {attr.PRIMEGUARD_GUARD_NAME: name}):
            await asyncio.sleep(0)

    async def pipeline() -> None:
        with tracing.span(attr.SPAN_REQUEST, {attr.PRIMEGUARD_TENANT: "acme"}) as request:
            with tracing.span(attr.SPAN_CACHE_LOOKUP, {attr.PRIMEGUARD_CACHE_HIT: False}):
                pass
            await asyncio.gather(guard("minilm"), guard("qwen3guard"))
            request.set_attributes(route_attributes(RouteDecision(Route.NO_RISK, SECRET, SECRET)))

    asyncio.run(pipeline())
    spans = exporter.get_finished_spans()
    request = by_name(exporter)[attr.SPAN_REQUEST]
    assert request.parent is None
    children = [s for s in spans if s is not request]
    assert len(children) == 3
    assert all(
        s.parent is not None and s.parent.span_id == request.context.span_id for s in children
    )
    assert all(s.context.trace_id == request.context.trace_id for s in children)
    guards = [dict(s.attributes or {}) for s in children if s.name == attr.SPAN_INPUT_GUARD]
    assert sorted(str(a[attr.PRIMEGUARD_GUARD_NAME]) for a in guards) == ["minilm", "qwen3guard"]
    assert dict(request.attributes or {}) == {
        attr.PRIMEGUARD_TENANT: "acme",
        attr.PRIMEGUARD_ROUTE: "no_to_minimal_risk",
        attr.PRIMEGUARD_ROUTE_SOURCE: "judge",
    }
    assert request.resource.attributes["service.name"] == "primeguard"


def test_exception_is_recorded_without_its_message(
    tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(ValueError), tracing.span(attr.SPAN_UPSTREAM):
        raise ValueError(SECRET)
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ValueError"
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes is not None and event.attributes["exception.type"] == "ValueError"
    assert SECRET not in repr(span.to_json())


def test_primeguard_errors_keep_their_message(
    tracing: Tracing, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(InvalidRequest), tracing.span(attr.SPAN_REQUEST):
        raise InvalidRequest("messages must not be empty")
    (span,) = exporter.get_finished_spans()
    assert span.status.description == "InvalidRequest: messages must not be empty"


def test_cancellation_is_not_an_error(tracing: Tracing, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(asyncio.CancelledError), tracing.span(attr.SPAN_UPSTREAM):
        raise asyncio.CancelledError
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes is not None and span.attributes[attr.PRIMEGUARD_CANCELLED] is True


@pytest.mark.parametrize("header", ["traceparent", "Traceparent"])
def test_client_traceparent_parents_the_request_span(
    tracing: Tracing, exporter: InMemorySpanExporter, header: str
) -> None:
    headers = {header: f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01", "content-type": "application/json"}
    with tracing.span(attr.SPAN_REQUEST, parent=extract_context(headers)):
        assert current_trace_id() == CLIENT_TRACE
    (span,) = exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == CLIENT_TRACE
    assert span.parent is not None and format(span.parent.span_id, "016x") == CLIENT_SPAN


def test_inject_writes_the_current_span(tracing: Tracing) -> None:
    with tracing.span(attr.SPAN_UPSTREAM) as span:
        headers = inject_headers({"authorization": "Bearer x"})
    ctx = span.get_span_context()
    # The flags byte may also carry the W3C level-2 "random trace id" bit.
    assert headers["traceparent"].startswith(f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-")
    assert headers["authorization"] == "Bearer x"


def test_detached_span_is_not_current(tracing: Tracing, exporter: InMemorySpanExporter) -> None:
    with (
        tracing.span(attr.SPAN_REQUEST) as request,
        tracing.span(attr.SPAN_OUTPUT_GUARD_WINDOW, attach=False),
    ):
        assert trace.get_current_span() is request
    window = by_name(exporter)[attr.SPAN_OUTPUT_GUARD_WINDOW]
    assert window.parent is not None and window.parent.span_id == request.get_span_context().span_id


def test_disabled_tracing_records_nothing(exporter: InMemorySpanExporter) -> None:
    tracing = setup_tracing(TelemetrySettings(tracing=False), span_exporter=exporter)
    assert not tracing.enabled
    with tracing.span(attr.SPAN_REQUEST, {attr.PRIMEGUARD_TENANT: "acme"}) as span:
        span.set_attribute(attr.PRIMEGUARD_SHADOW, True)
        assert current_trace_id() is None
        assert inject_headers({}) == {}
    with pytest.raises(ValueError), tracing.span(attr.SPAN_UPSTREAM):
        raise ValueError("still propagates")
    tracing.shutdown()
    assert exporter.get_finished_spans() == ()


def test_no_exporter_means_no_tracing() -> None:
    assert not setup_tracing(TelemetrySettings(), environ={}).enabled


def test_otlp_endpoint_in_environment_enables_export() -> None:
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http")
    env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:9/v1/traces"}
    assert TelemetrySettings().otlp_enabled(env)
    assert not TelemetrySettings(otlp=False).otlp_enabled(env)
    assert not TelemetrySettings().otlp_enabled({})
    tracing = setup_tracing(TelemetrySettings(), environ=env)
    assert tracing.enabled
    tracing.shutdown()  # nothing recorded, so nothing is sent


def test_service_name_from_environment() -> None:
    assert service_name({}) == "primeguard"
    assert service_name({"OTEL_SERVICE_NAME": "pg-eu"}) == "pg-eu"


def test_settings_reject_unknown_keys() -> None:
    assert parse_telemetry_settings({"capture_content": True}).capture_content
    with pytest.raises(ConfigError, match=r"pg\.yaml: telemetry\.tracng: Extra inputs"):
        parse_telemetry_settings({"tracng": False}, "pg.yaml")


def test_content_attributes_are_empty_unless_enabled() -> None:
    assert content_attributes(SECRET, enabled=False) == {}
    assert content_attributes(SECRET, enabled=True) == {attr.GEN_AI_INPUT_MESSAGES: SECRET}


def test_guard_attributes_carry_no_text() -> None:
    result = GuardResult(
        Verdict.UNSAFE, "minilm", "v1", {Category.VIOLENCE: 0.9, Category.HATE: 0.1}
    )
    assert guard_attributes(result) == {
        attr.PRIMEGUARD_GUARD_NAME: "minilm",
        attr.PRIMEGUARD_GUARD_VERDICT: "unsafe",
        attr.PRIMEGUARD_GUARD_CATEGORIES: ["violence"],
    }
    decision = RouteDecision(Route.POTENTIAL_VIOLATION, SECRET, SECRET, DecisionSource.SPECULATIVE)
    assert SECRET not in repr(route_attributes(decision))
    ruled = GuardResult(Verdict.CONTROVERSIAL, "minilm", "v1", reasons=("a rule's words",))
    assert guard_attributes(ruled)[attr.PRIMEGUARD_GUARD_REASONS] == ["a rule's words"]


def test_stream_spans_across_yields(tracing: Tracing, exporter: InMemorySpanExporter) -> None:
    """The stream path: a detached upstream span held across yields, windows inside it."""

    async def guarded(chunks: list[str]) -> AsyncIterator[str]:
        with tracing.span(attr.SPAN_UPSTREAM, attach=False) as upstream:
            inside = trace.set_span_in_context(upstream)
            for index, chunk in enumerate(chunks):
                with tracing.span(
                    attr.SPAN_OUTPUT_GUARD_WINDOW,
                    {attr.PRIMEGUARD_STREAM_WINDOW: index, attr.PRIMEGUARD_WINDOW_RISK: 0.1},
                    parent=inside,
                ):
                    await asyncio.sleep(0)
                yield chunk

    async def consume() -> list[str]:
        with tracing.span(attr.SPAN_REQUEST):
            return [chunk async for chunk in guarded(["a", "b"])]

    assert asyncio.run(consume()) == ["a", "b"]
    spans = exporter.get_finished_spans()
    ids = {s.name: s.context.span_id for s in spans}
    windows = [s for s in spans if s.name == attr.SPAN_OUTPUT_GUARD_WINDOW]
    assert len(windows) == 2
    assert all(
        w.parent is not None and w.parent.span_id == ids[attr.SPAN_UPSTREAM] for w in windows
    )
    upstream = by_name(exporter)[attr.SPAN_UPSTREAM]
    assert upstream.parent is not None and upstream.parent.span_id == ids[attr.SPAN_REQUEST]


def test_the_guard_span_carries_a_rules_reasons(tracing: Tracing, exporter: InMemorySpanExporter) -> None:
    from primeguard.guards.traced import TracedGuard
    from primeguard.telemetry.bundle import Telemetry
    from primeguard.telemetry.metrics import Metrics
    from primeguard.verdicts import GuardText, TextRole

    class Ruled:
        name, version = "minilm", "v1"

        async def check(self, texts: object) -> list[GuardResult]:
            return [GuardResult(Verdict.CONTROVERSIAL, "minilm", "v1", reasons=("a rule's words",)),
                    GuardResult(Verdict.SAFE, "minilm", "v1")]

    traced = TracedGuard(Ruled(), Telemetry(tracing, Metrics()), TextRole.INPUT)  # type: ignore[arg-type]
    asyncio.run(traced.check([GuardText(SECRET), GuardText("hello")]))
    span = by_name(exporter)[attr.SPAN_INPUT_GUARD]
    assert span.attributes is not None
    assert list(span.attributes[attr.PRIMEGUARD_GUARD_REASONS]) == ["a rule's words"]  # type: ignore[arg-type]
    assert SECRET not in repr(dict(span.attributes))
