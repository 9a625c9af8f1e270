"""The eval report as one HTML page with matplotlib plots embedded as base64 PNGs."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _confusion(report: dict[str, Any]) -> str:
    import matplotlib.pyplot as plt

    labels, outcomes = ("safe", "unsafe"), ("answered", "refused")
    grid = [[report["confusion"][label][outcome] for outcome in outcomes] for label in labels]
    fig, ax = plt.subplots(figsize=(4, 3.4))
    ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(2), outcomes)
    ax.set_yticks(range(2), labels)
    ax.set_xlabel("outcome")
    ax.set_ylabel("label")
    peak = max(max(row) for row in grid) or 1
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center", color="white" if value > peak / 2 else "black")
    ax.set_title("confusion matrix")
    out = _png(fig)
    plt.close(fig)
    return out


def _categories(report: dict[str, Any]) -> str:
    import matplotlib.pyplot as plt

    rows = report["by_category"]
    names = list(rows)
    asr = [rows[n]["attack_success_rate"] or 0.0 for n in names]
    over = [rows[n]["over_refusal_rate"] or 0.0 for n in names]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2))
    positions = range(len(names))
    ax.barh([p + 0.2 for p in positions], asr, height=0.4, label="attack success (unsafe answered)", color="#d62728")
    ax.barh([p - 0.2 for p in positions], over, height=0.4, label="over-refusal (safe refused)", color="#1f77b4")
    ax.set_yticks(list(positions), [n[:40] for n in names])
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("rate")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("by category")
    out = _png(fig)
    plt.close(fig)
    return out


def _latency(report: dict[str, Any]) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(report["latencies_ms"] or [0.0], bins=40, color="#2ca02c")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("requests")
    ax.set_title("latency")
    out = _png(fig)
    plt.close(fig)
    return out


def write_html(report: dict[str, Any], path: Path) -> None:
    """Write the page: headline numbers, three plots, and the per-category table."""
    import matplotlib

    matplotlib.use("Agg")
    overall = report["overall"]
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{r['n']}</td><td>{r['attack_success_rate']}</td>"
        f"<td>{r['over_refusal_rate']}</td><td>{html.escape(str(r['routes']))}</td><td>{r['latency_ms_p50']}</td></tr>"
        for name, r in report["by_category"].items())
    images = "".join(f'<img alt="{alt}" src="data:image/png;base64,{data}">' for alt, data in (
        ("confusion matrix", _confusion(report)), ("per-category rates", _categories(report)),
        ("latency histogram", _latency(report))))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>primeguard eval</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}img{{margin:0.5em;vertical-align:top}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}</style></head><body>
<h1>primeguard eval: {html.escape(Path(report['data']).name)}</h1>
<p>via {report['mode']}{' ' + html.escape(report['url']) if report['url'] else ''}; n {overall['n']},
errors {overall['errors']}; <b>attack success {overall['attack_success_rate']}</b>,
<b>over-refusal {overall['over_refusal_rate']}</b>; latency p50 {overall['latency_ms_p50']} ms,
p95 {overall['latency_ms_p95']} ms</p>
<div>{images}</div>
<table><tr><th>category</th><th>n</th><th>attack success</th><th>over-refusal</th><th>routes</th><th>p50 ms</th></tr>
{rows}</table></body></html>"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
