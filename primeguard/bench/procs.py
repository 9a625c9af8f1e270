"""Child processes under measurement: start, wait until ready, read CPU and memory, stop.

Every server a benchmark talks to runs in its own process so that its CPU
time and resident memory are its own.  CPU is read from `/proc/<pid>/stat`
(utime + stime, children included); peak RSS from `VmHWM` in `/proc/<pid>/status`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A free TCP port on loopback (racy by nature; good enough for a benchmark)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def python_module(module: str, *args: str) -> list[str]:
    """Argv that runs `module` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def _descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15)


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Managed:
    """One child process (its own session, so its whole group can be stopped)."""

    name: str
    argv: Sequence[str]
    ready_url: str | None = None
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> Managed:
        out = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(list(self.argv), stdout=out, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(self.env or {})}, cwd=self.cwd,
                                     start_new_session=True)
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> Managed:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log: {self.log_path}")
            if self.ready_url is None:
                return self
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout_s:.0f} s; log: {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU of the process and its live descendants."""
        return _cpu_of(self.pid) + sum(_cpu_of(p) for p in _descendants(self.pid))

    def rss_mb(self) -> float:
        return sum(_status_kb(p, "VmRSS") for p in [self.pid, *_descendants(self.pid)]) / 1024

    def peak_rss_mb(self) -> float:
        """Peak resident memory (VmHWM) of the process and its descendants."""
        return sum(_status_kb(p, "VmHWM") for p in [self.pid, *_descendants(self.pid)]) / 1024

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def stop(self, grace_s: float = 5.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.kill(signal.SIGTERM)
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.proc.wait(5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
