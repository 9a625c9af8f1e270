"""Where the output guard's windows fall over a growing answer, and their texts.

Windows of `window_tokens` (W) end every `stride_tokens` (S) tokens of the
accumulated text, so consecutive windows share W - S tokens; a last, partial
window covers whatever the stream ended with.  `WindowSpans` only counts and
slices: it holds the text no later window can still need (O(W) characters)
and never decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from primeguard.streaming.tokens import TokenizerLen, TokenLedger


@dataclass(frozen=True, slots=True)
class Span:
    """One window: its index (by stride) and its token and character range."""

    index: int
    start_token: int
    end_token: int
    start_char: int
    end_char: int


class WindowSpans:
    """Feeds deltas in; hands out the windows as they become due, with their texts."""

    def __init__(self, window_tokens: int, stride_tokens: int, tokenizer_len: TokenizerLen | None = None) -> None:
        if not 1 <= stride_tokens <= window_tokens:
            raise ValueError("need 1 <= stride_tokens <= window_tokens")
        self.window = window_tokens
        self.stride = stride_tokens
        self._ledger = TokenLedger(tokenizer_len)
        self._parts: list[str] = []  # the answer's text from char `_base` on
        self._base = 0
        self._next_end = stride_tokens
        self._checked_to = 0  # last window end handed out, in tokens

    @property
    def length(self) -> int:
        """Characters fed so far."""
        return self._ledger.length

    def end_of(self, token: int) -> int:
        """The character offset where token `token` ends (0 for token 0 or before)."""
        return self._ledger.end_of(token)

    def feed(self, delta: str) -> None:
        if delta:
            self._ledger.feed(delta)
            self._parts.append(delta)

    def finish(self) -> None:
        """The stream ended: its last token is complete."""
        self._ledger.finish()

    def due(self) -> list[Span]:
        """Every window whose end the text has reached since the last call."""
        spans = []
        while self._ledger.count >= self._next_end:
            spans.append(self._span(self._next_end, self._ledger.end_of(self._next_end)))
            self._next_end += self.stride
        return spans

    def final(self) -> Span | None:
        """After `finish`: the partial window over tokens no window has covered yet, if any."""
        if self._ledger.count <= self._checked_to:
            return None
        return self._span(self._ledger.count, self._ledger.length)

    def end_span(self) -> Span:
        """After `finish`: a span ending where the text ends, whether or not a window has
        covered it (for a check of what came after the last token: `tail.TailText`).  Its
        index is the next one, though its tokens may be the last window's."""
        count = self._ledger.count
        index = (count + self.stride - 1) // self.stride
        start = max(0, count - self.window)
        return Span(index, start, count, self._ledger.end_of(start), self._ledger.length)

    def texts(self, spans: list[Span]) -> list[str]:
        """The windows' texts; then drop text no later window can start in (keeps joins O(W))."""
        text = "".join(self._parts)
        texts = [text[span.start_char - self._base : span.end_char - self._base] for span in spans]
        # Later windows start at token >= checked_to + 1 - W (the final one may be short).
        keep_from = self._ledger.end_of(max(0, self._checked_to + 1 - self.window))
        self._parts = [text[keep_from - self._base :]]
        self._base = keep_from
        return texts

    def _span(self, end_token: int, end_char: int) -> Span:
        start_token = max(0, end_token - self.window)
        self._checked_to = end_token
        index = (end_token + self.stride - 1) // self.stride - 1
        return Span(index, start_token, end_token, self._ledger.end_of(start_token), end_char)
