"""The answer as pattern guards (`kind: pii`) read it while it streams.

Token windows suit classifiers, but a number can be stretched over more tokens
than a window holds ("4 .,;: 5 .,;: 3 …").  So at each of the windows'
checkpoints `TailText` hands out the text added since the previous one, after the
last `overlap` (320) characters before it: whatever fits in them is seen whole by
some checkpoint, however many tokens it spans (the longest number read is 171
characters, and a card word is looked for in the 100 before it).

The text is read as it arrives, as pattern guards read it (`guards.pii_text.readable`):
invisible characters dropped, compatibility forms decomposed (superscript and circled
digits are digits), and a run of spaces, line breaks or dashes read as one character
(a dash if it holds one, as `readable` reads the gap between two digits).  So padding
of either kind neither stretches a number past the overlap nor fills the buffer.

A number can also straddle a checkpoint: its first digits would pass, and be
released, before its last ones arrive.  So `open_from` says where the text ends in a
run of digits (or digit words) that could still go on, and hold-back releases
nothing from there until the run has ended and been read whole.  Where parts of a
stream interleave (`n` > 1 choices, parallel tool calls), each part's text before a
switch (`PART_MARK`) is looked at too, while it is in the overlap.

Holds O(overlap + one stride) characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from dataclasses import dataclass

from primeguard.streaming.tokens import PART_MARK, invisible

_DIGIT_WORDS = (
    "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
)  # fmt: skip
_WORDS = "|".join(_DIGIT_WORDS)
#: What a chunk may end in halfway through a digit word ("fi", "thr").
_PREFIXES = "|".join(
    sorted({w[:i] for w in _DIGIT_WORDS for i in range(1, len(w))}, key=len, reverse=True)
)
_SEPARATOR = r"[\W_]{0,8}"  # marks or spaces; "_" too (`readable` reads it between groups)
#: Digits or digit words, each followed by up to 8 separators, to the end of the text (or to
#: a digit word cut short there): the longest card number a pattern guard reads (19 digits,
#: 8-character separators) fits in `_OPEN_REACH` characters.
_OPEN_RUN = re.compile(
    rf"(?:(?:\d|\b(?:{_WORDS})\b){_SEPARATOR})+(?:\b(?:{_PREFIXES}))?\Z", re.IGNORECASE
)
_OPEN_END = re.compile(  # a cheap test first
    rf"(?:(?:\d|\b(?:{_WORDS})){_SEPARATOR}|\b(?:{_PREFIXES}))\Z", re.IGNORECASE
)
_OPEN_REACH = 256


def _open_run(text: str, end: int) -> int | None:
    """Where a run of digits that `text[:end]` ends in begins (within `_OPEN_REACH`)."""
    if _OPEN_END.search(text, max(0, end - 16), end) is None:
        return None
    found = _OPEN_RUN.search(text, max(0, end - _OPEN_REACH), end)
    return None if found is None else found.start()


@dataclass(slots=True)
class _Piece:
    start: int  # offset in the answer where the delta began
    end: int  # and where it ended
    text: str  # its visible characters (the first piece may be cut short on the left)


class TailText:
    """Fed the answer's deltas; hands out what pattern guards read at each checkpoint."""

    def __init__(self, overlap: int = 320) -> None:
        self._overlap = overlap
        self._kept: deque[_Piece] = deque()  # the overlap, visible text of deltas taken before
        self._pending: deque[_Piece] = deque()  # deltas not taken yet
        self._length = 0
        self._gap = ""  # the run of spaces or dashes the text ends in, as one character
        #: After `take`: the answer offset from which a run of digits at its end begins
        #: (to be held back until the run ends), or None.
        self.open_from: int | None = None

    @property
    def unread(self) -> bool:
        """Text has been fed that no `take` has handed out yet."""
        return bool(self._pending)

    def feed(self, delta: str) -> None:
        start = self._length
        self._length += len(delta)
        self._pending.append(_Piece(start, self._length, self._readable(delta)))

    def _readable(self, delta: str) -> str:
        out = []
        for original in delta:
            chars = original if original.isascii() else unicodedata.normalize("NFKD", original)
            for char in chars:
                if invisible(char):
                    continue
                if char.isspace():
                    self._gap = self._gap or " "
                elif char == "-" or unicodedata.category(char) == "Pd":
                    self._gap = "-"
                else:
                    out += [self._gap, char]  # the run, now ended, as one character
                    self._gap = ""
        return "".join(out)

    def take(self, end_char: int) -> str:
        """The text up to answer offset `end_char` not handed out yet, after the overlap."""
        while self._pending and self._pending[0].end <= end_char:
            self._kept.append(self._pending.popleft())
        text = "".join(piece.text for piece in self._kept)
        self.open_from = self._open_from(text)
        self._trim(len(text))
        return text

    def _open_from(self, text: str) -> int | None:
        """Where the earliest run of digits still open begins: at the end of the text, or at
        the end of a part's text before a switch to another part."""
        ends = [i for i, char in enumerate(text) if char == PART_MARK] if PART_MARK in text else []
        starts = [at for end in [*ends, len(text)] if (at := _open_run(text, end)) is not None]
        if not starts:
            return None
        at = min(starts)  # an index into the kept pieces' text
        for piece in self._kept:
            if at < len(piece.text):
                return piece.start
            at -= len(piece.text)
        return None

    def _trim(self, size: int) -> None:
        """Keep the last `overlap` visible characters (cutting the first piece kept short)."""
        while self._kept and size - len(self._kept[0].text) >= self._overlap:
            size -= len(self._kept.popleft().text)
        if self._kept and size > self._overlap:
            first = self._kept[0]
            first.text = first.text[size - self._overlap :]
