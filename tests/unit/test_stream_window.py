"""The windowed output guard over scripted streams: leaks, order, flush, failures, overhead."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pytest

from primeguard.streaming import (
    Cut,
    HoldBackRelease,
    Release,
    StreamCheckError,
    StreamMode,
    WindowCheck,
    WindowedOutputGuard,
)
from primeguard.streaming.tokens import APPROX_TOKEN, TokenLedger
from primeguard.verdicts import Category, GuardResult, Verdict

pytestmark = pytest.mark.anyio

UNSAFE_WORD = "BOOM"


@dataclass(frozen=True)
class Chunk:
    """Stands in for an OpenAI chunk dict; the lead passes `text_of` to read its delta."""

    seq: int
    delta: str


def words(n: int, unsafe_at: int | None = None) -> list[str]:
    return [UNSAFE_WORD if i == unsafe_at else f"w{i}" for i in range(n)]


async def stream(deltas: Sequence[str], pause: float = 0.0) -> AsyncIterator[Chunk]:
    for i, delta in enumerate(deltas):
        await asyncio.sleep(pause)  # an upstream always awaits its socket between chunks
        yield Chunk(i, delta)


def one_token_chunks(tokens: list[str]) -> list[str]:
    return [t if i == 0 else " " + t for i, t in enumerate(tokens)]


class Script:
    """A checker: UNSAFE when the window holds the unsafe word; records what it saw."""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.delay = delay
        self.fail = fail
        self.windows: list[str] = []

    async def __call__(self, text: str) -> WindowCheck:
        self.windows.append(text)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise ConnectionError("guard down")
        unsafe = UNSAFE_WORD in text
        return WindowCheck(Verdict.UNSAFE if unsafe else Verdict.SAFE, 0.9 if unsafe else 0.1)


async def run(
    guard: WindowedOutputGuard, deltas: Sequence[str], pause: float = 0.0
) -> tuple[list[Chunk], Cut | None]:
    released: list[Chunk] = []
    cut = None
    async for event in guard.guard(stream(deltas, pause), lambda c: c.delta):
        if isinstance(event, Release):
            assert cut is None, "nothing may follow a cut"
            released.append(event.chunk)
        else:
            cut = event
    return released, cut


def leaked_after_unsafe(released: list[Chunk]) -> int:
    """Tokens the client received after the first unsafe token (the unsafe one not counted)."""
    tokens = APPROX_TOKEN.findall("".join(c.delta for c in released))
    return len(tokens) - tokens.index(UNSAFE_WORD) - 1 if UNSAFE_WORD in tokens else 0


def test_ledger_counts_incrementally_like_a_whole_text_scan() -> None:
    rng = random.Random(7)
    text = "Hello, world! A veryveryveryverylongwordwithoutspaces and 3.14 - fin. " * 20
    for _ in range(20):
        ledger = TokenLedger()
        cuts = sorted(rng.sample(range(1, len(text)), 40))
        for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True):
            ledger.feed(text[a:b])
        ledger.finish()
        assert ledger.ends == [m.end() for m in APPROX_TOKEN.finditer(text)]


def test_ledger_with_a_tokenizer_counts_per_delta() -> None:
    ledger = TokenLedger(tokenizer_len=lambda s: max(1, len(s) // 4))
    for delta in ["abcdefgh", "ij", "klmnopqrstuv"]:
        ledger.feed(delta)
    assert ledger.count == 2 + 1 + 3
    assert ledger.ends[-1] == ledger.length == 22


@pytest.mark.parametrize("unsafe_at", [0, 5, 15, 16, 17, 40, 63, 70, 77])
async def test_hold_back_leaks_nothing(unsafe_at: int) -> None:
    check = Script()
    guard = WindowedOutputGuard(check, mode=StreamMode.HOLD_BACK, window_tokens=16, stride_tokens=4)
    released, cut = await run(guard, one_token_chunks(words(78, unsafe_at)))
    assert cut is not None and cut.verdict is Verdict.UNSAFE
    assert leaked_after_unsafe(released) == 0
    assert UNSAFE_WORD not in "".join(c.delta for c in released)
    assert cut.released_chars == sum(len(c.delta) for c in released)


@pytest.mark.parametrize("unsafe_at", [0, 5, 15, 16, 17, 40, 63, 70, 77])
async def test_stream_first_leaks_at_most_one_stride(unsafe_at: int) -> None:
    check = Script()
    guard = WindowedOutputGuard(
        check, mode=StreamMode.STREAM_FIRST, window_tokens=16, stride_tokens=4
    )
    released, cut = await run(guard, one_token_chunks(words(78, unsafe_at)))
    assert cut is not None
    assert leaked_after_unsafe(released) <= 4


async def test_stream_first_with_a_slow_checker_is_bounded_by_backpressure() -> None:
    check = Script(delay=0.02)  # slower than the stream: 4 tokens arrive every 4 ms
    guard = WindowedOutputGuard(
        check, mode=StreamMode.STREAM_FIRST, window_tokens=16, stride_tokens=4
    )
    released, cut = await run(guard, one_token_chunks(words(80, 21)), pause=0.001)
    assert cut is not None
    assert leaked_after_unsafe(released) <= 2 * 4


@pytest.mark.parametrize("mode", list(StreamMode))
async def test_safe_stream_is_released_whole_and_in_order(mode: StreamMode) -> None:
    deltas = one_token_chunks(words(50))
    guard = WindowedOutputGuard(Script(), mode=mode, window_tokens=8, stride_tokens=3)
    released, cut = await run(guard, deltas)
    assert cut is None
    assert [c.seq for c in released] == list(range(50))
    assert guard.released_chars == len("".join(deltas))


async def test_hold_back_releases_only_what_no_later_window_covers() -> None:
    check = Script()
    guard = WindowedOutputGuard(check, window_tokens=8, stride_tokens=2)
    seen_at_release: list[int] = []
    async for event in guard.guard(stream(one_token_chunks(words(30))), lambda c: c.delta):
        assert isinstance(event, Release)
        seen_at_release.append(len(check.windows))
        # token seq is covered by windows ending before seq + 8; all of those ran already
        last_window_end = 2 * len(check.windows)
        assert event.chunk.seq + 1 <= max(last_window_end + 2 - 8, 0) or last_window_end >= 30
    assert len(seen_at_release) == 30


async def test_short_stream_is_flushed_after_its_final_partial_window() -> None:
    check = Script()
    guard = WindowedOutputGuard(check, window_tokens=64, stride_tokens=16)
    released, cut = await run(guard, ["Just ", "a short", " answer."])
    assert cut is None and [c.seq for c in released] == [0, 1, 2]
    assert check.windows == ["Just a short answer."]
    assert [(w.start_token, w.end_token) for w in guard.windows] == [(0, 5)]


async def test_unsafe_final_partial_window_is_cut_before_release() -> None:
    check = Script()
    guard = WindowedOutputGuard(check, window_tokens=8, stride_tokens=4)
    released, cut = await run(guard, one_token_chunks(words(10, unsafe_at=9)))
    assert cut is not None and cut.window.end_token == 10
    assert leaked_after_unsafe(released) == 0 and UNSAFE_WORD not in "".join(
        c.delta for c in released
    )


async def test_windows_overlap_and_trajectory_is_recorded() -> None:
    guard = WindowedOutputGuard(Script(), window_tokens=6, stride_tokens=2)
    await run(guard, one_token_chunks(words(11, unsafe_at=9)))
    spans = [(w.start_token, w.end_token) for w in guard.windows]
    assert spans == [(0, 2), (0, 4), (0, 6), (2, 8), (4, 10)]
    assert guard.trajectory == [0.1, 0.1, 0.1, 0.1, 0.9]


async def test_one_big_chunk_crossing_many_checkpoints() -> None:
    check = Script()
    guard = WindowedOutputGuard(check, window_tokens=4, stride_tokens=2)
    released, cut = await run(guard, [" ".join(words(9)), " tail"])
    assert cut is None and len(released) == 2
    assert [(w.start_token, w.end_token) for w in guard.windows][-1] == (6, 10)
    assert len(guard.windows) == 5


@pytest.mark.parametrize("mode", list(StreamMode))
async def test_checker_failure_raises_stream_check_error_with_held_chunks(mode: StreamMode) -> None:
    guard = WindowedOutputGuard(Script(fail=True), mode=mode, window_tokens=8, stride_tokens=4)
    released: list[Chunk] = []
    with pytest.raises(StreamCheckError) as info:
        async for event in guard.guard(stream(one_token_chunks(words(20))), lambda c: c.delta):
            assert isinstance(event, Release)
            released.append(event.chunk)
    error = info.value
    assert isinstance(error.__cause__, ConnectionError)
    assert error.released_chars == sum(len(c.delta) for c in released)
    held = [c.seq for c in error.held if isinstance(c, Chunk)]
    assert held == list(
        range(len(released), len(released) + len(held))
    )  # fail-open can resume here
    if mode is StreamMode.HOLD_BACK:
        assert released == [] and held == [0, 1, 2, 3, 4]  # token 4 completes when chunk 4 arrives


async def test_checker_may_return_verdicts_or_guard_results() -> None:
    async def by_result(text: str) -> list[GuardResult]:
        flagged = UNSAFE_WORD in text
        score = 0.95 if flagged else 0.05
        return [
            GuardResult(
                Verdict.UNSAFE if flagged else Verdict.SAFE, "a", "1", {Category.VIOLENCE: score}
            ),
            GuardResult(Verdict.SAFE, "b", "1"),
        ]

    guard = WindowedOutputGuard(by_result, window_tokens=4, stride_tokens=2)
    _, cut = await run(guard, one_token_chunks(words(8, unsafe_at=5)))
    assert cut is not None and cut.window.categories == (Category.VIOLENCE,)
    assert guard.trajectory[-1] == 0.95

    async def controversial(text: str) -> Verdict:
        return Verdict.CONTROVERSIAL

    strict = WindowedOutputGuard(
        controversial,
        window_tokens=4,
        stride_tokens=2,
        block_on=frozenset({Verdict.UNSAFE, Verdict.CONTROVERSIAL}),
    )
    _, cut = await run(strict, one_token_chunks(words(8)))
    assert cut is not None and cut.verdict is Verdict.CONTROVERSIAL


async def test_closing_the_stream_early_cancels_pending_checks() -> None:
    check = Script(delay=5)
    guard = WindowedOutputGuard(
        check, mode=StreamMode.STREAM_FIRST, window_tokens=4, stride_tokens=2
    )
    events = guard.guard(stream(one_token_chunks(words(10))), lambda c: c.delta)
    started = time.monotonic()
    async for _ in events:
        break
    await events.aclose()  # type: ignore[attr-defined]
    assert time.monotonic() - started < 1


async def test_a_guard_guards_one_stream() -> None:
    guard = WindowedOutputGuard(Script())
    await run(guard, ["a"])
    with pytest.raises(RuntimeError):
        await run(guard, ["b"])


def test_stride_must_fit_the_window() -> None:
    with pytest.raises(ValueError):
        WindowedOutputGuard(Script(), window_tokens=4, stride_tokens=8)


async def test_per_chunk_overhead_without_a_window_boundary() -> None:
    n = 20_000
    deltas = one_token_chunks(words(n))

    async def plain() -> AsyncIterator[Chunk]:
        for i, delta in enumerate(deltas):
            yield Chunk(i, delta)

    started = time.perf_counter()
    async for _ in plain():
        pass
    baseline = time.perf_counter() - started

    guard = WindowedOutputGuard(
        Script(), mode=StreamMode.STREAM_FIRST, window_tokens=10**6, stride_tokens=10**6
    )
    started = time.perf_counter()
    async for _ in guard.guard(plain(), lambda c: c.delta):
        pass
    overhead_ms = (time.perf_counter() - started - baseline) / n * 1000
    print(f"\nper-chunk overhead: {overhead_ms * 1000:.1f} us")
    assert overhead_ms < 0.2


@pytest.mark.parametrize("mode", list(StreamMode))
async def test_window_texts_match_the_whole_answer_on_a_long_stream(mode: StreamMode) -> None:
    rng = random.Random(3)
    text = " ".join(f"word{i}," for i in range(400)) + "  end "
    cuts = sorted(rng.sample(range(1, len(text)), 300))
    deltas = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    check = Script()
    guard = WindowedOutputGuard(check, mode=mode, window_tokens=8, stride_tokens=3)
    released, cut = await run(guard, deltas)
    assert cut is None and "".join(c.delta for c in released) == text
    ends = [m.end() for m in APPROX_TOKEN.finditer(text)]
    expected = []
    for w in sorted(guard.windows, key=lambda w: w.index):
        start = ends[w.start_token - 1] if w.start_token else 0
        stop = len(text) if w.end_token == len(ends) and w.end_token % 3 else ends[w.end_token - 1]
        expected.append(text[start:stop])
    assert sorted(check.windows) == sorted(expected)
    assert max(w.end_token for w in guard.windows) == len(ends) == 801


@pytest.mark.parametrize("unsafe_at", [0, 5, 15, 16, 17, 40, 63, 70, 77])
async def test_hold_back_first_window_release_leaks_nothing(unsafe_at: int) -> None:
    guard = WindowedOutputGuard(Script(), window_tokens=16, stride_tokens=4,
                                release=HoldBackRelease.FIRST_WINDOW)
    released, cut = await run(guard, one_token_chunks(words(78, unsafe_at)))
    assert cut is not None and leaked_after_unsafe(released) == 0
    assert UNSAFE_WORD not in "".join(c.delta for c in released)


async def test_hold_back_first_window_release_lags_at_most_one_stride() -> None:
    check = Script()
    guard = WindowedOutputGuard(check, window_tokens=16, stride_tokens=4, release=HoldBackRelease.FIRST_WINDOW)
    fed = 0

    async def counted() -> AsyncIterator[Chunk]:
        nonlocal fed
        async for chunk in stream(one_token_chunks(words(40))):
            fed += 1
            yield chunk

    released = 0
    async for event in guard.guard(counted(), lambda c: c.delta):
        assert isinstance(event, Release)
        released += 1
        # every released token lies inside a window that already passed ...
        assert released <= 4 * len(check.windows) or fed == 40
        # ... and none waits for more than one stride of later tokens
        assert fed - released <= 4 or fed == 40  # (a token ends only when the next begins)
    assert released == 40
