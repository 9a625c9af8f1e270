"""argparse wiring for `bench`, `loadtest` and `eval`; the work is in the sibling modules."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x)


def _bench(args: argparse.Namespace) -> int:
    from primeguard.bench import litellm_peer, report
    from primeguard.bench.runner import BenchOptions, run_bench

    if args.install_litellm:
        code = litellm_peer.install()
        if code:
            return code
    litellm = not args.no_litellm and litellm_peer.installed()
    if not args.no_litellm and not litellm:
        print("primeguard bench: LiteLLM's venv is absent (.bench/litellm-venv); run with --install-litellm. "
              "Measuring primeguard alone.", file=sys.stderr)
    if args.quick:
        conc, reqs, rounds, micro, repeat = (1, 4), (6, 12), 2, 0.2, 2
    else:
        conc, reqs, rounds, micro, repeat = args.concurrency, args.requests, args.rounds, 1.0, 10
    if len(conc) != len(reqs):
        print("primeguard bench: --concurrency and --requests need as many entries", file=sys.stderr)
        return 2
    opts = BenchOptions(concurrency=conc, requests=reqs, rounds=rounds, latency_ms=args.latency_ms,
                        ttft_ms=args.ttft_ms, tps=args.tps, tokens=args.tokens, litellm=litellm,
                        routing_repeat=repeat, micro_seconds=micro, judge_ms=args.judge_ms,
                        workdir=Path(args.workdir) if args.workdir else None)
    options: dict[str, Any] = {k: v for k, v in vars(args).items() if k != "func"}
    result = report.build(run_bench(opts), options)
    report.write(result, Path(args.out))
    print(report.table(result))
    print(f"report: {args.out}")
    return 0


def _loadtest(args: argparse.Namespace) -> int:
    from primeguard.bench.loadtest import LoadOptions, run_loadtest

    opts = LoadOptions(duration_s=args.duration, max_requests=args.max_requests, concurrency=args.concurrency,
                       tenants=args.tenants, out=Path(args.out), faults=not args.no_faults)
    return run_loadtest(opts)


def _eval(args: argparse.Namespace) -> int:
    from primeguard.bench.evaluate import EvalOptions, run_eval

    if bool(args.url) == bool(args.guards):
        print("primeguard eval: give exactly one of --url or --guards", file=sys.stderr)
        return 2
    opts = EvalOptions(data=Path(args.data), url=args.url, api_key=args.api_key, model=args.model,
                       limit=args.limit, concurrency=args.concurrency, stream=args.stream, out=Path(args.out),
                       html=Path(args.html) if args.html else None, seed=args.seed)
    return run_eval(opts)


def register(subparsers: Any) -> None:
    """Add `bench`, `loadtest` and `eval` to the `primeguard` sub-command parser."""
    bench = subparsers.add_parser("bench", help="primeguard vs LiteLLM's proxy against a fake upstream")
    bench.add_argument("--install-litellm", action="store_true", help="create .bench/litellm-venv first")
    bench.add_argument("--no-litellm", action="store_true", help="measure primeguard alone")
    bench.add_argument("--quick", action="store_true", help="tiny counts (CI smoke)")
    bench.add_argument("--concurrency", type=_ints, default=(1, 16, 64))
    bench.add_argument("--requests", type=_ints, default=(150, 400, 640), help="per target, per concurrency")
    bench.add_argument("--rounds", type=int, default=2, help="A B A B rounds each cell is split into")
    bench.add_argument("--latency-ms", type=float, default=0.0, help="fake upstream: whole-answer latency")
    bench.add_argument("--ttft-ms", type=float, default=0.0, help="fake upstream: time to first token")
    bench.add_argument("--tps", type=float, default=0.0, help="fake upstream: tokens/s (0: unthrottled)")
    bench.add_argument("--tokens", type=int, default=20, help="fake upstream: answer length in words")
    bench.add_argument("--judge-ms", type=float, default=50.0, help="fake judge latency (routing section)")
    bench.add_argument("--workdir", default=None, help="keep configs and server logs here")
    bench.add_argument("--out", default=".bench/bench-report.json")
    bench.set_defaults(func=_bench)

    load = subparsers.add_parser("loadtest", help="bounded mixed traffic with injected faults")
    load.add_argument("--duration", type=float, default=120.0, help="seconds (default profile: 2 minutes)")
    load.add_argument("--max-requests", type=int, default=20000, help="stop after this many requests")
    load.add_argument("--concurrency", type=int, default=16)
    load.add_argument("--tenants", type=int, default=8)
    load.add_argument("--no-faults", action="store_true")
    load.add_argument("--out", default=".bench/loadtest-report.json")
    load.set_defaults(func=_loadtest)

    ev = subparsers.add_parser("eval", help="a labelled JSONL set through a proxy (--url) or the guards")
    ev.add_argument("data", help="JSONL: text + label (safe|unsafe|0|1), optional category, id, source")
    ev.add_argument("--url", default=None, help="a running proxy, e.g. http://127.0.0.1:4000")
    ev.add_argument("--guards", action="store_true", help="the in-process guard directly, no proxy")
    ev.add_argument("--api-key", default=os.environ.get("PRIMEGUARD_API_KEY", "unused"))
    ev.add_argument("--model", default="smollm2-135m-instruct")
    ev.add_argument("--limit", type=int, default=None, help="a seeded sample of at most this many rows")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--concurrency", type=int, default=4)
    ev.add_argument("--stream", action="store_true", help="stream the answers (a cut counts as refused)")
    ev.add_argument("--out", default=".bench/eval-report.json")
    ev.add_argument("--html", default=".bench/eval-report.html")
    ev.set_defaults(func=_eval)
