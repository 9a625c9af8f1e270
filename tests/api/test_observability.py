"""Spans, trace propagation, metrics and the audit line, through a real server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from primeguard.config import parse_config
from primeguard.server.app import create_app
from primeguard.telemetry.audit import AuditLogger
from primeguard.telemetry.bundle import Telemetry
from primeguard.telemetry.metrics import Metrics
from primeguard.telemetry.settings import TelemetrySettings
from primeguard.telemetry.tracing import setup_tracing
from tests.api.conftest import proxy_config
from tests.fakes.upstream import POTENTIAL, FakeUpstream, ServerThread

CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
SECRET = "my very secret prompt about bananas"


@pytest.fixture(scope="module")
def traced(fake: FakeUpstream) -> Iterator[tuple[ServerThread, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    telemetry = Telemetry(setup_tracing(TelemetrySettings(), span_exporter=exporter), Metrics(("acme",)),
                          AuditLogger(enabled=True))
    with ServerThread(create_app(parse_config(proxy_config(fake)), telemetry=telemetry)) as server:
        yield server, exporter


def test_span_tree_and_trace_propagation(traced: tuple[ServerThread, InMemorySpanExporter],
                                         fake: FakeUpstream) -> None:
    server, exporter = traced
    exporter.clear()
    fake.script.judge_default = POTENTIAL
    response = httpx.post(f"{server.url}/v1/chat/completions",
                          json={"model": "fake-gpt", "messages": [{"role": "user", "content": SECRET}]},
                          headers={"traceparent": f"00-{CLIENT_TRACE}-b7ad6b7169203331-01"})
    assert response.status_code == 200
    spans = {s.name: s for s in exporter.get_finished_spans()}
    root = spans["primeguard.request"]
    assert format(root.context.trace_id, "032x") == CLIENT_TRACE
    for child in ("primeguard.route_selection", "primeguard.reevaluation"):
        assert spans[child].parent.span_id == root.context.span_id
        assert spans[child].context.trace_id == root.context.trace_id
    assert root.attributes["primeguard.route"] == "potential_violation"
    assert root.attributes["gen_ai.request.model"] == "fake-gpt"
    assert root.attributes["primeguard.cache.hit"] is False
    for span in spans.values():
        assert SECRET not in json.dumps(dict(span.attributes or {}))
    # every upstream call carries the trace, parented on the step that made it
    judge, reeval = fake.of_kind("judge")[0], fake.of_kind("reevaluation")[0]
    assert judge.headers["traceparent"].split("-")[1] == CLIENT_TRACE
    assert judge.headers["traceparent"].split("-")[2] == format(spans["primeguard.route_selection"].context.span_id, "016x")
    assert reeval.headers["traceparent"].split("-")[2] == format(spans["primeguard.reevaluation"].context.span_id, "016x")


def test_metrics_endpoint_counts_requests(traced: tuple[ServerThread, InMemorySpanExporter]) -> None:
    server, _ = traced
    httpx.post(f"{server.url}/v1/chat/completions", json={"model": "nope", "messages": [{"role": "user", "content": "x"}]})
    text = httpx.get(f"{server.url}/metrics").text
    assert 'primeguard_requests_total{' in text and 'status="404"' in text
    assert "primeguard_step_latency_seconds_bucket" in text


def test_audit_line_has_decision_and_no_text(traced: tuple[ServerThread, InMemorySpanExporter],
                                            caplog: pytest.LogCaptureFixture) -> None:
    server, _ = traced
    with caplog.at_level(logging.INFO, logger="primeguard.audit"):
        httpx.post(f"{server.url}/v1/chat/completions",
                   json={"model": "fake-gpt", "messages": [{"role": "user", "content": SECRET + " again"}]},
                   headers={"x-request-id": "audit-1"})
    records = [r for r in caplog.records if r.name == "primeguard.audit"]
    assert records
    line = records[-1].getMessage() + json.dumps(getattr(records[-1], "fields", {}), default=str)
    assert "audit-1" in line and "no_to_minimal_risk" in line
    assert SECRET not in line


def test_usage_and_guard_time_are_reported(traced: tuple[ServerThread, InMemorySpanExporter],
                                          fake: FakeUpstream) -> None:
    server, exporter = traced
    exporter.clear()
    fake.script.judge_delay = 0.2
    response = httpx.post(f"{server.url}/v1/chat/completions",
                          json={"model": "fake-gpt", "messages": [{"role": "user", "content": "usage please"}]})
    root = next(s for s in exporter.get_finished_spans() if s.name == "primeguard.request")
    assert root.attributes["gen_ai.usage.input_tokens"] == 10
    assert root.attributes["gen_ai.usage.output_tokens"] == 3  # "echo: usage please"
    assert 200 <= float(response.headers["x-primeguard-guard-ms"]) < 2000
