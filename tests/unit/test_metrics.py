"""Metrics: counting, bounded labels, and the rendered exposition."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from primeguard.telemetry.metrics import CacheResult, JudgeFailure, Metrics, Step
from primeguard.verdicts import Route, TextRole, Verdict


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse the rendered text back, as a scraper would."""
    text = metrics.render().body.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_requests_are_counted_with_bounded_tenant_labels() -> None:
    metrics = Metrics(tenants=["acme"])
    metrics.observe_request(
        tenant="acme", route=Route.NO_RISK, verdict=Verdict.SAFE, status=200, latency_s=0.3
    )
    metrics.observe_request(
        tenant="acme", route=Route.NO_RISK, verdict=Verdict.SAFE, status=200, latency_s=0.004
    )
    metrics.observe_request(
        tenant="evil-{injected}", route=None, verdict=None, status=401, latency_s=0.001
    )
    metrics.observe_request(
        tenant=None, route=Route.DIRECT_VIOLATION, verdict=Verdict.UNSAFE, status=200, latency_s=1
    )
    got = samples(metrics)
    ok = (
        ("route", "no_to_minimal_risk"),
        ("status", "200"),
        ("tenant", "acme"),
        ("verdict", "safe"),
    )
    assert got[("primeguard_requests_total", ok)] == 2
    assert (
        got[
            (
                "primeguard_requests_total",
                (("route", "none"), ("status", "401"), ("tenant", "other"), ("verdict", "none")),
            )
        ]
        == 1
    )
    assert (
        "primeguard_requests_total",
        (
            ("route", "direct_violation"),
            ("status", "200"),
            ("tenant", "default"),
            ("verdict", "unsafe"),
        ),
    ) in got
    route = (("route", "no_to_minimal_risk"),)
    assert got[("primeguard_request_latency_seconds_count", route)] == 2
    assert got[("primeguard_request_latency_seconds_bucket", (("le", "0.005"), *route))] == 1
    assert "evil" not in metrics.render().body.decode()


def test_steps_are_timed() -> None:
    metrics = Metrics()
    metrics.observe_step(Step.CACHE_LOOKUP, 0.0004)
    with metrics.time_step(Step.UPSTREAM):
        time.sleep(0.002)
    got = samples(metrics)
    assert (
        got[("primeguard_step_latency_seconds_bucket", (("le", "0.001"), ("step", "cache_lookup")))]
        == 1
    )
    assert got[("primeguard_step_latency_seconds_count", (("step", "upstream"),))] == 1
    assert got[("primeguard_step_latency_seconds_sum", (("step", "upstream"),))] >= 0.002
    # Every step is exported from the start, so dashboards see zeros, not gaps.
    assert got[("primeguard_step_latency_seconds_count", (("step", "reevaluation"),))] == 0


def test_counters() -> None:
    metrics = Metrics(tenants=["acme"])
    metrics.record_cache_lookup(CacheResult.HIT)
    metrics.record_cache_lookup(CacheResult.HIT)
    metrics.record_cache_error("redis")
    metrics.record_stream_cut("acme", "block")
    metrics.record_judge_failure(JudgeFailure.PARSE_FAILURE)
    metrics.record_guard_verdict("minilm", TextRole.OUTPUT, Verdict.CONTROVERSIAL)
    metrics.record_upstream_error(503)
    got = samples(metrics)
    assert got[("primeguard_cache_lookups_total", (("result", "hit"),))] == 2
    assert got[("primeguard_cache_lookups_total", (("result", "miss"),))] == 0
    assert got[("primeguard_cache_errors_total", (("backend", "redis"),))] == 1
    assert got[("primeguard_stream_cuts_total", (("mode", "block"), ("tenant", "acme")))] == 1
    assert got[("primeguard_judge_failures_total", (("reason", "parse_failure"),))] == 1
    assert got[("primeguard_judge_failures_total", (("reason", "timeout"),))] == 0
    verdict = (("guard", "minilm"), ("role", "assistant"), ("verdict", "controversial"))
    assert got[("primeguard_guard_verdicts_total", verdict)] == 1
    assert got[("primeguard_upstream_errors_total", (("status", "503"),))] == 1


def test_registries_are_independent() -> None:
    first, second = Metrics(), Metrics()
    first.record_cache_lookup(CacheResult.MISS)
    assert samples(second)[("primeguard_cache_lookups_total", (("result", "miss"),))] == 0


def test_render_negotiates_the_format() -> None:
    metrics = Metrics()
    plain = metrics.render()
    assert plain.content_type.startswith("text/plain")
    assert b"# TYPE primeguard_requests_total counter" in plain.body
    openmetrics = metrics.render("application/openmetrics-text; version=1.0.0")
    assert openmetrics.content_type.startswith("application/openmetrics-text")
    assert openmetrics.body.endswith(b"# EOF\n")
