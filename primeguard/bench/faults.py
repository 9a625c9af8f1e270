"""Fault drills for the load harness: a private Redis, and a schedule of faults over the run.

The Redis is our own `redis-server` on a free loopback port in a temp dir
(never the shared one on 6379), so killing it hurts nobody else.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from primeguard.bench.procs import Managed
from primeguard.bench.routing_cost import control


def redis_server(port: int, workdir: Path) -> Managed:
    """A throwaway redis-server (no persistence) on `port`."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(workdir)]
    return Managed("redis", argv, None, log_path=workdir / "redis.log")


def wait_port(port: int, timeout_s: float = 10.0) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


@dataclass(frozen=True)
class Fault:
    """One fault: switched on at `start` and off at `end` (fractions of the run)."""

    name: str
    start: float
    end: float
    on: Callable[[], object]
    off: Callable[[], object]


def schedule(upstream: str, guard: str, redis: Managed, redis_port: int) -> list[Fault]:
    """The default drill: Redis down, upstream 5xx, upstream timeouts, a hanging guard."""

    def redis_down() -> None:
        redis.kill()

    def redis_up() -> None:
        redis.start()
        wait_port(redis_port)

    return [
        Fault("redis_killed", 0.15, 0.30, redis_down, redis_up),
        Fault("upstream_5xx", 0.35, 0.45, lambda: control(upstream, "/_control", {"fail_rate": 0.3}),
              lambda: control(upstream, "/_control", {"fail_rate": 0.0})),
        Fault("upstream_timeouts", 0.50, 0.60, lambda: control(upstream, "/_control", {"hang_rate": 0.2}),
              lambda: control(upstream, "/_control", {"hang_rate": 0.0})),
        Fault("guard_hangs", 0.65, 0.80, lambda: control(guard, "/_control", {"hang": True}),
              lambda: control(guard, "/_control", {"hang": False})),
    ]
