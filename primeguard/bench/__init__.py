"""Benchmarks, a load and fault harness, and an evaluation command.

    primeguard bench      primeguard and LiteLLM's proxy side by side (added latency, req/s, CPU, RSS)
    primeguard loadtest   bounded mixed traffic with injected faults
    primeguard eval       a labelled JSONL set through a proxy or the guards; JSON + HTML report

`register(subparsers)` adds the three commands to `primeguard`'s parser.
"""

from __future__ import annotations

from primeguard.bench.commands import register

__all__ = ["register"]
