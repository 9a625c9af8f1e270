"""LiteLLM's own proxy as the benchmark peer: install it, configure it, start it.

It lives in its own virtualenv (`.bench/litellm-venv`): `litellm[proxy]` does not
resolve from the registry reachable here, so `install()` uses the requirements
file from `../shared/bench/` (litellm 1.110.2 plus the proxy extra's dependencies).
Never litellm 1.82.7, 1.82.8 or 1.107.0: those releases were compromised.

The guarded peer runs one custom pre-call guardrail (`GUARDRAIL_SOURCE`) that
makes the same classifier call primeguard makes in process: the MiniLM guard,
served on loopback by `primeguard.bench.guard_http` (`POST /classify`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from primeguard.bench.procs import Managed

VENV = Path(".bench/litellm-venv")
REQUIREMENTS = Path("../shared/bench/litellm-proxy-requirements.txt")
MASTER_KEY = "sk-bench-master"
FORBIDDEN = ("1.82.7", "1.82.8", "1.107.0")

GUARDRAIL_SOURCE = '''"""A LiteLLM pre-call guardrail: the latest user turn through a loopback classifier."""
import os

import httpx
from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail

GUARD_URL = os.environ["BENCH_GUARD_URL"]


class ClassifierGuardrail(CustomGuardrail):
    def __init__(self, **kwargs):
        self._client = None
        super().__init__(**kwargs)

    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        text = ""
        for message in reversed(data.get("messages") or []):
            if message.get("role") == "user" and isinstance(message.get("content"), str):
                text = message["content"]
                break
        response = await self._client.post(GUARD_URL, json={"text": text})
        if response.json().get("verdict") == "unsafe":
            raise HTTPException(status_code=400, detail="blocked by guardrail")
        return data
'''


def litellm_binary(venv: Path = VENV) -> Path:
    return venv / "bin" / "litellm"


def installed(venv: Path = VENV) -> bool:
    return litellm_binary(venv).exists()


def install(venv: Path = VENV, requirements: Path = REQUIREMENTS) -> int:
    """Create the peer's virtualenv (about 2 minutes, 790 MB); returns pip's status."""
    if not requirements.exists():
        print(f"primeguard bench: {requirements} not found", file=sys.stderr)
        return 2
    if any(f"litellm=={bad}" in requirements.read_text() for bad in FORBIDDEN):
        print("primeguard bench: refusing a compromised litellm release", file=sys.stderr)
        return 2
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return subprocess.call([str(venv / "bin" / "pip"), "install", "-q", "-r", str(requirements)])


def write_config(workdir: Path, upstream_url: str, guarded: bool) -> Path:
    """A LiteLLM config against the fake upstream; `guarded` adds the classifier guardrail."""
    config: dict[str, object] = {
        "model_list": [{"model_name": "fake-gpt", "litellm_params": {
            "model": "openai/fake-model", "api_base": f"{upstream_url}/v1", "api_key": "sk-fake"}}],
        "litellm_settings": {"telemetry": False, "drop_params": True},
        "general_settings": {"master_key": MASTER_KEY},
    }
    name = "litellm_guarded.yaml" if guarded else "litellm.yaml"
    if guarded:
        (workdir / "bench_guardrail.py").write_text(GUARDRAIL_SOURCE)
        config["guardrails"] = [{"guardrail_name": "classifier", "litellm_params": {
            "guardrail": "bench_guardrail.ClassifierGuardrail", "mode": "pre_call", "default_on": True}}]
    path = workdir / name
    path.write_text(yaml.safe_dump(config))
    return path


def peer(name: str, config: Path, port: int, guard_url: str | None, log: Path, venv: Path = VENV) -> Managed:
    """The peer as a `Managed` process (one uvicorn worker), ready on /health/liveliness."""
    env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "BENCH_GUARD_URL": guard_url or ""}
    argv = [str(litellm_binary(venv).resolve()), "--config", str(config), "--host", "127.0.0.1",
            "--port", str(port), "--num_workers", "1"]
    return Managed(name, argv, f"http://127.0.0.1:{port}/health/liveliness", env=env, cwd=str(config.parent),
                   log_path=log)
