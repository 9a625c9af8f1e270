"""primeguard configs for the benchmarks, and the proxy as a measured child process.

- `pure`: no guard classifiers, decision cache on.  primeguard always routes
  every request through its judge; once the conversation's decision is cached
  no judge call is made, so with a warm cache this is the pure proxy path
  (auth, cache lookup, guidelines system message, upstream, response).
- `full`: the in-process MiniLM guard on input and output, cache on.  With a
  warm cache the route and the input verdict come from the cache; the output
  guard still reads every answer (whole, or streamed in windows).
- `routing`: no guards, cache off, so every request pays route selection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from primeguard.bench.procs import Managed, python_module

MODEL = "fake-gpt"


def proxy_config(upstream_url: str, kind: str, *, speculative: bool = False,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "model_list": [{"model_name": MODEL, "litellm_params": {
            "model": "openai/fake-model", "api_base": f"{upstream_url}/v1", "api_key": "sk-fake",
            "timeout": 30, "max_retries": 0}}],
        "routing": {"speculative": speculative, "judge_timeout_s": 10},
    }
    if kind == "full":
        config["guards"] = {"input": ["minilm"], "output": ["minilm"], "definitions": {"minilm": {"kind": "inprocess"}}}
    else:
        config["guards"] = {"definitions": {}}
    if kind == "routing":
        config["cache"] = {"enabled": False}
    for key, value in (extra or {}).items():
        config[key] = value
    return config


def write(workdir: Path, name: str, config: dict[str, Any]) -> Path:
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def repo_root() -> Path:
    """The directory holding routes/ and guidelines/ (the proxy's defaults are relative to the package)."""
    return Path(__file__).resolve().parents[2]


def primeguard_proxy(name: str, config_path: Path, port: int, log: Path) -> Managed:
    """`primeguard serve` in its own process, ready when /readyz answers 200."""
    argv = python_module("primeguard.cli", "serve", "--config", str(config_path), "--host", "127.0.0.1",
                         "--port", str(port), "--log-level", "warning")
    return Managed(name, argv, f"http://127.0.0.1:{port}/readyz", env={"HF_HUB_OFFLINE": "1"},
                   cwd=str(repo_root()), log_path=log)
