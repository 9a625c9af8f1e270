"""The bench report: JSON (with commit and machine) and a short stdout table with ratios."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from primeguard.bench.stats import added_ms, summary_ms

PAIRS = (("primeguard", "litellm"), ("primeguard+guard", "litellm+guard"))


def commit() -> str:
    """`git rev-parse HEAD` (plus `-dirty` with uncommitted changes), or `unknown`."""
    try:
        root = Path(__file__).resolve().parents[2]
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                               check=False).stdout
        return head + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict[str, Any]:
    import psutil

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def build(raw: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Turn the runner's raw results into the JSON report."""
    targets = raw["targets"]
    cells = {t.name: {key: summary_ms(cell) for key, cell in t.cells.items()} for t in targets}
    direct = cells.get("direct", {})
    added = {name: {key: added_ms(row, direct[key]) for key, row in rows.items() if key in direct}
             for name, rows in cells.items() if name != "direct"}
    cpu = {t.name: {"cpu_ms_per_request": round(t.cpu_s / max(t.requests, 1) * 1000, 2),
                    **({"helper_cpu_ms_per_request": round(t.helper_cpu_s / max(t.requests, 1) * 1000, 2)}
                       if t.helper else {})}
           for t in targets if t.proc}
    saturation = {name: max((row["rps"] for key, row in rows.items() if key.startswith("nonstream")), default=0.0)
                  for name, rows in cells.items()}
    return {"commit": commit(), "machine": machine(), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "options": options, "upstream": raw["upstream_knobs"], "cells": cells, "added_ms": added,
            "throughput_rps": saturation, "cpu": cpu, "memory": raw["memory"], "routing": raw["routing"],
            "micro": raw["micro"]}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def table(report: dict[str, Any]) -> str:
    """The side-by-side table, ratios included (primeguard / LiteLLM; < 1 is better for latency and CPU)."""
    lines = [f"commit {report['commit']}  {report['machine']['cpu']}  {report['machine']['cores']} cores"]
    cells, added = report["cells"], report["added_ms"]
    names = [n for n in cells if n != "direct"]
    lines.append(f"{'added latency ms (p50/p95/p99)':34}" + "".join(f"{n:>24}" for n in names))
    for key in cells.get("direct", {}):
        mode, conc = key.split("/")
        label = f"{'stream TTFT' if mode == 'stream' else 'non-stream'} {conc}"
        row = "".join(f"{'/'.join(f'{added[n][key][q]:.1f}' for q in ('p50', 'p95', 'p99')):>24}"
                      for n in names if key in added[n])
        lines.append(f"{label:34}{row}")
    direct_rps = report["throughput_rps"].get("direct", 0.0)
    lines.append(f"{'throughput req/s (direct ' + f'{direct_rps:.0f})':34}"
                 + "".join(f"{report['throughput_rps'][n]:>24.1f}" for n in names))
    lines.append(f"{'CPU ms/request (+classifier)':34}" + "".join(
        f"{_cpu(report['cpu'][n]):>24}" for n in names))
    lines.append(f"{'peak RSS MB':34}" + "".join(f"{report['memory'][n]['peak_rss_mb']:>24.0f}" for n in names))
    for name in names:
        if name.startswith("primeguard"):
            routes = {r for row in cells[name].values() for r in row["routes"]}
            if routes - {"no_to_minimal_risk/judge"}:
                lines.append(f"WARNING {name}: not every response was answered on the no-risk route: {sorted(routes)}")
    lines += _ratios(report)
    lines += _routing_lines(report["routing"])
    lines += _micro_lines(report["micro"])
    return "\n".join(lines)


def _cpu(row: dict[str, float]) -> str:
    helper = row.get("helper_cpu_ms_per_request")
    return f"{row['cpu_ms_per_request']:.2f}" + (f" (+{helper:.2f})" if helper is not None else "")


def _ratios(report: dict[str, Any]) -> list[str]:
    lines = ["ratios primeguard / litellm (latency, CPU: lower is better; req/s: higher is better)"]
    cells, cpu, rps = report["cells"], report["cpu"], report["throughput_rps"]
    for ours, theirs in PAIRS:
        if ours not in cells or theirs not in cells:
            continue
        p50 = "  ".join(f"{k} p50 {_ratio(cells[ours][k]['p50'], cells[theirs][k]['p50'])}" for k in cells[ours])
        their_cpu = cpu[theirs]["cpu_ms_per_request"] + cpu[theirs].get("helper_cpu_ms_per_request", 0.0)
        our_cpu = cpu[ours]["cpu_ms_per_request"]
        lines.append(f"  {ours} vs {theirs}: req/s {_ratio(rps[ours], rps[theirs])}, "
                     f"CPU/request {_ratio(our_cpu, their_cpu)}; {p50}")
    return lines


def _routing_lines(routing: dict[str, Any]) -> list[str]:
    lines = [f"routing (cache off, judge {routing['judge_ms']:.0f} ms, answer TTFT {routing['answer_ttft_ms']:.0f} ms)"]
    for route, row in routing.get("routes", {}).items():
        lines.append(f"  {route:22} upstream calls/req {row['upstream_calls_per_request']:<5} "
                     f"judge calls/req {row['judge_calls_per_request']:<5} judge tokens/req "
                     f"{row['judge_tokens_per_request']:<6} wall p50 {row['wall_ms_p50']} ms")
    lines.append(f"  TTFT no-risk: sequential {routing.get('ttft_ms_sequential')} ms, "
                 f"speculative {routing.get('ttft_ms_speculative')} ms")
    return lines


def _micro_lines(micro: dict[str, Any]) -> list[str]:
    thr, chunk = micro["guard_throughput"], micro["output_guard_per_chunk"]
    if "skipped" in thr:
        return [f"in-process guard: {thr['skipped']}"]
    lines = [f"in-process guard ({thr['backend']}) texts/s: "
             + ", ".join(f"{k} {v:.0f}" for k, v in thr["texts_per_s"].items())]
    if "skipped" not in chunk:
        lines.append(f"output guard per chunk ({chunk['mode']}, window {chunk['window_tokens']}/stride "
                     f"{chunk['stride_tokens']}): {chunk['us_per_chunk']} us/chunk, "
                     f"{chunk['window_checks']} checks for {chunk['chunks']} chunks")
    if own := micro.get("output_guard_overhead"):
        lines.append(f"output guard's own cost per chunk (checks free): {own['us_per_chunk']} us/chunk")
    if own := micro.get("output_guard_overhead_pattern"):
        lines.append(f"  with a pattern guard reading the stream too: {own['us_per_chunk']} us/chunk")
    return lines


def write(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str))
