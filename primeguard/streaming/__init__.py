"""Streaming: the windowed output guard over an answer's chunk stream."""

from primeguard.streaming.events import (
    Checker,
    CheckOutcome,
    Cut,
    GuardEvent,
    HoldBackRelease,
    Release,
    StreamCheckError,
    StreamMode,
    WindowCheck,
    WindowRecord,
)
from primeguard.streaming.window import WindowedOutputGuard

__all__ = [
    "CheckOutcome",
    "Checker",
    "Cut",
    "GuardEvent",
    "HoldBackRelease",
    "Release",
    "StreamCheckError",
    "StreamMode",
    "WindowCheck",
    "WindowRecord",
    "WindowedOutputGuard",
]
