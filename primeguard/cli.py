"""`primeguard serve | guard-server | train-guard | eval | bench`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from primeguard.errors import ConfigError


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from primeguard.config import load_config
    from primeguard.server.app import create_app

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from primeguard.server.wiring import validate_settings

    try:
        settings = load_config(args.config)
        validate_settings(settings, args.config or "<embedded defaults>")
    except ConfigError as exc:
        print(f"primeguard: config error: {exc}", file=sys.stderr)
        return 2
    from primeguard.telemetry.audit import configure_logging

    configure_logging(args.log_level.upper(), json=args.log_format == "json")
    # log_config=None: uvicorn logs through the root logger, in the same format.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level,
                log_config=None, access_log=False, timeout_graceful_shutdown=10)
    return 0


def _check_config(args: argparse.Namespace) -> int:
    from primeguard.config import load_config
    from primeguard.server.wiring import validate_settings

    try:
        validate_settings(load_config(args.config), args.config)
    except ConfigError as exc:
        print(f"primeguard: config error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.config}: ok")
    return 0


def _guard_server(args: argparse.Namespace) -> int:
    from primeguard.guards.server import run_guard_server

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    run_guard_server(args.model, args.host, args.port, max_batch_size=args.max_batch_size,
                     max_wait_ms=args.max_wait_ms, device=args.device)
    return 0


def _train_guard(argv: list[str]) -> int:
    from primeguard.guards.training import main as train_main

    return train_main(argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="primeguard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the proxy")
    serve.add_argument("--config", default=os.environ.get("PRIMEGUARD_CONFIG"),
                       help="YAML config; default: the embedded local model, no auth")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4000)
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument("--log-format", default="json", choices=["json", "text"],
                       help="json: one object per line (audit lines included); text: for a terminal")
    serve.set_defaults(func=_serve)

    check = sub.add_parser("check-config", help="validate a config file, its routes/ and guidelines/, and exit")
    check.add_argument("config")
    check.set_defaults(func=_check_config)

    guard = sub.add_parser("guard-server", help="serve a sequence-classification guard over /predict (TEI protocol)")
    guard.add_argument("--model", required=True, help="a transformers model directory")
    guard.add_argument("--host", default="127.0.0.1")
    guard.add_argument("--port", type=int, default=8080)
    guard.add_argument("--max-batch-size", type=int, default=32)
    guard.add_argument("--max-wait-ms", type=float, default=5.0)
    guard.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ...; default: CUDA when present")
    guard.set_defaults(func=_guard_server)

    sub.add_parser("train-guard", help="train the in-process guard heads (see --help)", add_help=False)

    from primeguard.bench import register as register_bench

    register_bench(sub)  # bench, loadtest, eval
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train-guard"]:  # its own argparse owns the flags
        return _train_guard(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
