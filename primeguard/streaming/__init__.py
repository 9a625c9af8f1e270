"""Streaming: the windowed output guard over an answer's chunk stream."""

from primeguard.streaming.window import (
    Checker,
    CheckOutcome,
    Cut,
    GuardEvent,
    Release,
    StreamCheckError,
    StreamMode,
    WindowCheck,
    WindowedOutputGuard,
    WindowRecord,
)

__all__ = [
    "CheckOutcome",
    "Checker",
    "Cut",
    "GuardEvent",
    "Release",
    "StreamCheckError",
    "StreamMode",
    "WindowCheck",
    "WindowRecord",
    "WindowedOutputGuard",
]
