"""The answer as pattern guards (`kind: pii`) read it while it streams.

Token windows suit classifiers, but a number can be stretched over more tokens
than a window holds ("4 .,;: 5 .,;: 3 …").  So at each of the windows'
checkpoints `TailText` hands out the text added since the previous one, after the
last `overlap` characters before it (`tokens.PATTERN_OVERLAP_CHARS`, 320): whatever
fits in them is seen whole by some checkpoint, however many tokens it spans.

The text is read as it arrives, as pattern guards read it (`guards.pii_text.readable`):
compatibility forms decomposed (superscript and circled digits are digits), then
`tokens.compact`: invisible characters dropped, and a run of spaces, line breaks or
dashes read as one character (a dash if it holds one, as `readable` reads the gap
between two digits).  So padding
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

import unicodedata
from collections import deque
from dataclasses import dataclass

from primeguard.streaming.tokens import (
    DIGIT_WORDS,
    MAX_SEPARATOR,
    PART_MARK,
    PATTERN_OVERLAP_CHARS,
    compact,
    trailing_gap,
)

_WORD_SET = frozenset(DIGIT_WORDS)
_PREFIX_SET = frozenset(w[:i] for w in DIGIT_WORDS for i in range(1, len(w)))
#: The longest run of digits looked back over: a card number of 19 digit words with
#: 8-character separators (~240 characters).
_OPEN_REACH = 256


def _open_run(text: str, end: int) -> int | None:
    """Where the run of digits or digit words that `text[:end]` ends in begins (a digit word
    cut short at the end counts, "thr"), or None.  Separators are up to 8 marks, spaces or
    `_` (`readable` reads `_` between groups).  Scans back from `end`: linear."""
    floor = max(0, end - _OPEN_REACH)
    at = end
    word = _word_before(text, at, floor)
    if word and text[at - len(word) : at].lower() in _PREFIX_SET:
        at -= len(word)  # a digit word not finished yet
    start = None
    while at > floor:
        gap = at
        while gap > floor and at - gap < MAX_SEPARATOR and _separator(text[gap - 1]):
            gap -= 1
        if gap > floor and text[gap - 1].isdigit():
            at = start = gap - 1
            continue
        word = _word_before(text, gap, floor)
        if not word or word.lower() not in _WORD_SET:
            break
        at = start = gap - len(word)
    return start


def _separator(char: str) -> bool:
    return char == "_" or not char.isalnum()


def _word_before(text: str, end: int, floor: int) -> str:
    """The letters just before `end`, when a word starts there (not inside "4five")."""
    start = end
    while start > floor and text[start - 1].isalpha():
        start -= 1
    if start > floor and text[start - 1].isalnum():
        return ""
    return text[start:end]


@dataclass(slots=True)
class _Piece:
    start: int  # offset in the answer where the delta began
    end: int  # and where it ended
    text: str  # its visible characters (the first piece may be cut short on the left)


class TailText:
    """Fed the answer's deltas; hands out what pattern guards read at each checkpoint."""

    def __init__(self, overlap: int = PATTERN_OVERLAP_CHARS) -> None:
        self._overlap = overlap
        self._kept: deque[_Piece] = deque()  # the overlap, visible text of deltas taken before
        self._pending: deque[_Piece] = deque()  # deltas not taken yet
        self._length = 0
        self._gap = ""  # the run of spaces or dashes the text ends in, compacted
        #: After `take`: the answer offset from which text is held back because a run of
        #: digits that began there may still go on, or None.
        self.open_from: int | None = None

    @property
    def unread(self) -> bool:
        """Visible text has been fed that no `take` has handed out yet."""
        return any(piece.text for piece in self._pending)

    def feed(self, delta: str) -> None:
        start = self._length
        self._length += len(delta)
        self._pending.append(_Piece(start, self._length, self._readable(delta)))

    def _readable(self, delta: str) -> str:
        """`delta` compacted, NFKD first; a gap it ends in waits for the next delta, which
        may go on with it (a run across deltas is one character too)."""
        if not delta.isascii():
            delta = unicodedata.normalize("NFKD", delta)
        text = compact(self._gap + delta)
        cut = len(text) - trailing_gap(text)
        self._gap = text[cut:]
        return text[:cut]

    def take(self, end_char: int) -> str:
        """The text up to answer offset `end_char` not handed out yet, after the overlap."""
        while self._pending and self._pending[0].end <= end_char:
            self._kept.append(self._pending.popleft())
        text = "".join(piece.text for piece in self._kept)
        now = self._open_from(text)
        # Where parts interleave, the hold does not move forward while some run stays open:
        # the run is read again in a part's text fed again after a switch, and that copy lies
        # later in the answer than the chunks that first carried its digits.  (Not in one
        # part: a table of figures would be held to its end.)
        held = self.open_from if PART_MARK in text else None
        self.open_from = None if now is None else now if held is None else min(held, now)
        self._trim(len(text))
        return text

    def _open_from(self, text: str) -> int | None:
        """Where the earliest run of digits still open begins: at the end of the text, or at
        the end of a part's text before a switch to another part."""
        # A part's text ends before the mark and the space its line break was read as.
        ends = (
            [i - text[i - 1 : i].isspace() for i, char in enumerate(text) if char == PART_MARK]
            if PART_MARK in text
            else []
        )
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
