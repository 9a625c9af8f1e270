"""Incremental token counting over a text that arrives in deltas.

`TokenLedger` records where each *completed* token ends (a character offset
into the accumulated text).  Feeding a delta costs O(len(delta)): only the
last, possibly unfinished token is carried over and rescanned, never the whole
text.  Without a tokenizer, tokens are approximated by a regex (word pieces of
at most 16 characters, and single punctuation marks), close enough to BPE
counts for sizing windows.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Characters that show nothing: controls, format characters (zero-width spaces and
#: joiners, bidi marks, tags), combining marks (accents, variation selectors, keycaps).
#: They are no tokens: counted, a writer could pad a number with them until it no longer
#: fits one guard window, and no window would see it whole.
INVISIBLE = (
    "\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u0300-\u036f\u061c\u180b-\u180f\u1ab0-\u1aff"
    "\u1dc0-\u1dff\u200b-\u200f\u202a-\u202e\u2060-\u206f\u20d0-\u20ff\ufe00-\ufe0f"
    "\ufe20-\ufe2f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)
#: Word pieces capped at 16 characters keep the carried-over tail short, so a
#: long run without spaces (base64, say) cannot make feeding quadratic.
APPROX_TOKEN = re.compile(rf"\w{{1,16}}|[^\w\s{INVISIBLE}]")

TokenizerLen = Callable[[str], int]


class TokenLedger:
    """End offsets of completed tokens, fed delta by delta."""

    def __init__(self, tokenizer_len: TokenizerLen | None = None) -> None:
        self._tokenizer_len = tokenizer_len
        self.ends: list[int] = []
        self._length = 0  # characters fed so far
        self._tail = ""  # regex mode: the last token, which the next delta may extend

    @property
    def count(self) -> int:
        """Completed tokens so far."""
        return len(self.ends)

    @property
    def length(self) -> int:
        return self._length

    def end_of(self, tokens: int) -> int:
        """Character offset just after the first `tokens` tokens (0 for none)."""
        return self.ends[tokens - 1] if tokens > 0 else 0

    def feed(self, delta: str) -> None:
        if not delta:
            return
        start = self._length
        self._length += len(delta)
        if self._tokenizer_len is not None:
            self._feed_counted(delta, start)
        else:
            self._feed_regex(delta, start)

    def finish(self) -> None:
        """End of text: the carried-over token is complete."""
        if self._tail:
            self.ends.append(self._length)
            self._tail = ""

    def _feed_counted(self, delta: str, start: int) -> None:
        # A tokenizer gives counts, not offsets: spread the delta's tokens evenly over it.
        assert self._tokenizer_len is not None
        count = self._tokenizer_len(delta)
        size = len(delta)
        self.ends.extend(start + (size * (i + 1)) // count for i in range(count))

    def _feed_regex(self, delta: str, start: int) -> None:
        scan = self._tail + delta
        base = start - len(self._tail)
        self._tail = ""
        for match in APPROX_TOKEN.finditer(scan):
            if match.end() == len(scan):
                self._tail = scan[match.start() :]
            else:
                self.ends.append(base + match.end())
