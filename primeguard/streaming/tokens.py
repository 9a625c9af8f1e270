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
import unicodedata
from collections.abc import Callable

#: Unicode categories of characters that show nothing: format characters (zero-width
#: spaces and joiners, bidi marks, tags), combining marks (accents, variation selectors,
#: keycaps), surrogates, private use, unassigned; controls other than tab and newline too.
#: They are no tokens: counted, a writer could pad a number with them until it no longer
#: fits one guard window, and no window would see it whole.  `guards.pii_text` drops the
#: same characters when it reads a text.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cs", "Co", "Cn"})
VISIBLE_CONTROLS = frozenset("\t\n\r")
_DASHES = "\\-\u2010-\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
#: Word pieces capped at 16 characters keep the carried-over tail short, so a long run
#: without spaces (base64, say) cannot make feeding quadratic.  A run of dashes (any
#: kind, mixed) or of one punctuation mark is one token, as BPE merges them, and as the
#: PII guard folds a run of dashes between digits into one.
APPROX_TOKEN = re.compile(rf"\w{{1,16}}|[{_DASHES}]{{1,16}}|([^\w\s])\1{{0,15}}")


_GAP_RUNS = re.compile(rf"[\s{_DASHES}]{{2,}}")
_TRAILING_GAP = re.compile(rf"[\s{_DASHES}]\Z")
_ASCII_CONTROLS = dict.fromkeys([*range(9), 11, 12, *range(14, 32), 127])  # not \t \n \r


def compact(text: str) -> str:
    """`text` without what hides nothing: invisible characters dropped, and a run of spaces
    or dashes as one character (a dash if it holds one).  What pattern guards read the
    same, in fewer characters (`output_text.StreamTexts` keeps each part's recent text so)."""
    if text.isascii():
        text = text.translate(_ASCII_CONTROLS)
    else:
        text = "".join(char for char in text if not invisible(char))
    return _GAP_RUNS.sub(lambda run: " " if run.group().isspace() else "-", text)


def trailing_gap(text: str) -> int:
    """1 when compacted `text` ends in a space or a dash (a run the next text may go on), else 0."""
    return 1 if _TRAILING_GAP.search(text) else 0


def invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return category in INVISIBLE_CATEGORIES or (category == "Cc" and char not in VISIBLE_CONTROLS)


#: What pattern guards (`kind: pii`) read again before new text, in characters: the longest
#: number they read with the 100 characters before it where a card word is looked for (a
#: card and 4 more digits spread by 8-character separators: 199 + 100), or spelled out
#: (about 250).
PATTERN_OVERLAP_CHARS = 320

#: Digit words, as pattern guards read a number written in words ("four five three …").
DIGIT_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
#: Marks or spaces between two digits that pattern guards read past.
MAX_SEPARATOR = 8

#: Marks where a stream's text switches from one part (a choice, a tool call) to another
#: (`output_text.StreamTexts`): not a word character, so no number runs on across it.  The
#: classifiers' windows read it too, as an ordinary symbol.
PART_MARK = "\u00a6"

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
        if self._tail and not invisible(self._tail[0]):
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
            elif not invisible(scan[match.start()]):
                self.ends.append(base + match.end())
