"""Card numbers and e-mail addresses written so that Presidio's own patterns miss them.

A model can be told (by an injection, or a user) to leak a card number as
"4 . 5 . 3 . 9 …", "**4539** **1488** …", one digit a line or in words, and an address as "jane [at] example [dot] com".  `pii_text.readable`
already undoes invisible characters and odd digits; these recognizers read what is
left, so the check, masking and `/v1/moderations` all see it:

- `spread_cards`: digit groups split by the *same* separator (up to 8 marks or
  spaces, no letters) each time, laid out as a card number is written (single
  digits, fours with a shorter last group, 4-6-5 or 4-6-4), 13 to 19 digits in all,
  with a card's leading digits and a valid Luhn check.  Decimals, dates and arrays
  of two- or three-digit numbers change separator or layout, and fail one of these.
  Lists and tables separate numbers by commas, semicolons or pipes, and one row in
  twenty passes a card's checks: spread by those, a number is read only with a card
  word ("card", "visa", "cvv", ...) in the 100 characters before it.
- `spelled_cards`: 13 to 19 digit words in a row ("four five three nine …").
- `spelled_emails`: an address with "at" and "dot" in brackets, or in words where
  the mailbox looks like one (a dot, digit or "dot" in it) or the domain is a mail
  provider's ("jsmith at gmail dot com"; not "he worked at Pets dot com").

Pure functions over a string, wrapped as Presidio recognizers by `recognizers()`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from primeguard.guards.pii_text import TEST_CARDS
from primeguard.streaming.tokens import DIGIT_WORDS, MAX_SEPARATOR

log = logging.getLogger("primeguard")

VERSION = "layouts1"  # change with what these readers find
SCORE = 0.9  # Presidio scores a Luhn-checked card 1.0; these are read less directly

# (?<!\d) and (?<![\w.+\-]): a match starts only where a run starts (else a long run is
# tried from each of its characters: quadratic).
_RUN = re.compile(rf"(?<!\d)\d+(?:[^\w]{{1,{MAX_SEPARATOR}}}\d+)+")
#: Separators that lists and tables use ("3, 1, 4", "| 5909 | 5984 |"): a number spread by
#: them is read only with a card word near it.  Spaces alone need none ("4 5 3 9 …", one
#: digit a line: `readable` makes line breaks between digits a space).
_PLAIN_SEPARATOR = re.compile(r"\s*[,;|][\s,;|]*")
_CARD_WORDS = re.compile(
    r"\b(?:card|credit|debit|visa|master\s?card|amex|american express|discover|maestro|jcb"
    r"|diners|cc|pan|cvv|cvc|expir\w*|billing|payment)\b",
    re.IGNORECASE,
)
_CONTEXT_CHARS = 100
_LAYOUTS = ((4, 6, 5), (4, 6, 4))
_WORD = "|".join(DIGIT_WORDS)
EXTRA_DIGITS = 4
# ASCII: under IGNORECASE a Unicode match would let "sıx" (dotless i) read as "six".
_SPELLED = re.compile(
    rf"\b(?:{_WORD})(?:[\s,\-]{{1,{MAX_SEPARATOR}}}(?:{_WORD})\b){{12,22}}",
    re.IGNORECASE | re.ASCII,
)
_SPELLED_WORD = re.compile(_WORD, re.IGNORECASE | re.ASCII)
_AT = r"\s*[\[\(\{<]\s*at\s*[\]\)\}>]\s*"
_DOT = r"(?:\s*[\[\(\{<]\s*dot\s*[\]\)\}>]\s*|\.)"
_TLDS = "com|org|net|edu|gov|io|co|uk|de|fr|ca|au|us|info|me|ai|dev|app"
_MAILBOX = r"(?<![\w.+\-])[\w.+\-]+"
_EMAILS = re.compile(
    # jane[at]example[dot]com, jane (at) example.com: the domain starts with a letter
    rf"{_MAILBOX}{_AT}[a-z][\w\-]*(?:{_DOT}[\w\-]+)+"
    # jane dot doe at example dot com
    rf"|(?P<words>{_MAILBOX}(?:\s+dot\s+\w+)*)\s+at\s+(?P<domain>[\w\-]+(?:\s+dot\s+[\w\-]+)*)"
    rf"\s+dot\s+(?:{_TLDS})\b",
    re.IGNORECASE,
)
#: In words, a mailbox is read as one when it looks like one (j.smith, jane dot doe, jsmith99)
#: or the domain is a mail provider's: "he worked at Pets dot com" is a sentence.
_MAILBOX_LIKE = re.compile(r"[._+\-\d]|\sdot\s", re.IGNORECASE)
_MAIL_PROVIDERS = frozenset({  # not "live", "me" or "mail": "we met at live dot com"
    "gmail", "googlemail", "yahoo", "hotmail", "outlook", "msn", "icloud", "aol", "proton",
    "protonmail", "gmx", "yandex", "zoho", "fastmail", "tutanota",
})  # fmt: skip


def spread_cards(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each card number written as evenly separated digit groups.

    A run of digit groups is split where its separator changes.  A number is looked for
    in each part as a whole; where marks or a card word set it apart, also at either end
    with up to `EXTRA_DIGITS` more digits beside it (an expiry or a security code written
    the same way).  Never further inside: a list of small numbers holds many Luhn-valid
    stretches."""
    for run in _RUN.finditer(text):
        groups = list(re.finditer(r"\d+", run.group()))
        seps = [run.group()[a.end() : b.start()] for a, b in pairwise(groups)]
        first = 0
        for last in range(1, len(groups) + 1):
            if last < len(groups) and seps[last - 1] == seps[first]:
                continue
            part = groups[first:last]
            sep = seps[first] if seps else ""
            near = _near_card_word(text, run.start() + part[0].start())
            if len(part) > 1 and (near or not _PLAIN_SEPARATOR.fullmatch(sep)):
                # Extra digits beside it only where the layout or a word says "card": a column
                # of single digits holds a Luhn-valid stretch too often.
                extra = EXTRA_DIGITS if near or not sep.isspace() else 0
                found = _card_at_an_end([g.group() for g in part], extra)
                if found is not None:
                    yield (
                        run.start() + part[found[0]].start(),
                        run.start() + part[found[1] - 1].end(),
                    )
            first = last - 1 if last - 1 > first else last


def spelled_cards(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each card number written as digit words (one word a group)."""
    for run in _SPELLED.finditer(text):
        words = list(_SPELLED_WORD.finditer(run.group()))
        found = _card_at_an_end([DIGIT_WORDS.get(w.group().lower(), "") for w in words])
        if found is not None:
            yield run.start() + words[found[0]].start(), run.start() + words[found[1] - 1].end()


def _card_at_an_end(groups: list[str], extra: int = EXTRA_DIGITS) -> tuple[int, int] | None:
    """Groups [i, j) that read as a card number laid out as one is written: all of them,
    or the most of them from either end, leaving out at most `extra` digits."""
    if "".join(groups) in TEST_CARDS:  # nor a shorter number inside a published one
        return None
    sizes = [len(g) for g in groups]
    total, n = sum(sizes), len(groups)
    head, tail = total, total  # digits in the first / last `size` groups
    for size in range(n, 1, -1):
        if head < total - extra and tail < total - extra:
            return None  # shorter ends leave out more still: linear in the groups
        for i, j, digits in ((0, size, head), (n - size, n, tail)):
            enough = digits >= total - extra
            if enough and _laid_out(sizes[i:j]) and is_card_number("".join(groups[i:j])):
                return i, j
        head -= sizes[size - 1]
        tail -= sizes[n - size]
    return None


#: "Visit us at example dot com", "meet me at home dot com": a word, not a mailbox.
_NOT_MAILBOXES = frozenset({
    "i", "me", "you", "him", "her", "it", "us", "we", "they", "them", "this", "that", "here",
    "there", "home", "work", "school", "one", "all", "online", "out", "up", "located", "based",
    "available", "find", "visit", "look",
})  # fmt: skip


def spelled_emails(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each e-mail address written with "at" and "dot"."""
    for found in _EMAILS.finditer(text):
        words, domain = found.group("words"), found.group("domain")
        bracketed = words is None
        if bracketed or _reads_as_mailbox(words, domain):
            yield found.span()


def _reads_as_mailbox(words: str, domain: str) -> bool:
    if words.lower() in _NOT_MAILBOXES:
        return False
    return bool(_MAILBOX_LIKE.search(words)) or domain.split()[0].lower() in _MAIL_PROVIDERS


def _near_card_word(text: str, start: int) -> bool:
    """A card word in the 100 characters before the number (not after it: a stream has let
    the number out before a word after it arrives)."""
    return bool(_CARD_WORDS.search(text, max(0, start - _CONTEXT_CHARS), start))


def is_card_number(digits: str) -> bool:
    """13 to 19 digits with a card network's leading digits and a valid Luhn check digit,
    and not one of the numbers published for testing."""
    if not 13 <= len(digits) <= 19 or digits in TEST_CARDS:
        return False
    if not (digits[0] in "3456" or 2221 <= int(digits[:4]) <= 2720):
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _laid_out(sizes: list[int]) -> bool:
    """Single digits; groups of four but a shorter last one; or 4-6-5 / 4-6-4.  Not
    groups of two, three or five: arrays of such numbers are common in code."""
    if tuple(sizes) in _LAYOUTS or all(s == 1 for s in sizes):
        return True
    return all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4


def recognizers() -> list[Any]:
    """The three readers as Presidio recognizers (presidio imported here, on first load)."""
    from presidio_analyzer import LocalRecognizer, RecognizerResult

    class _Reader(LocalRecognizer):
        def __init__(self, entity: str, read: Any) -> None:
            self._read = read
            super().__init__(
                supported_entities=[entity],
                name=f"primeguard_{read.__name__}",
                supported_language="en",
            )

        def load(self) -> None:
            return None

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            entity = self.supported_entities[0]
            if entities and entity not in entities:
                return []
            try:
                found = list(self._read(text))
            except Exception as exc:  # noqa: BLE001 - one reader's bug must not fail the guard
                # (a failure counts against the guard's breaker: odd text would open it for all)
                log.warning("pii reader %s failed: %s", self._read.__name__, type(exc).__name__)
                return []
            return [RecognizerResult(entity, start, end, SCORE) for start, end in found]

    return [
        _Reader("CREDIT_CARD", spread_cards),
        _Reader("CREDIT_CARD", spelled_cards),
        _Reader("EMAIL_ADDRESS", spelled_emails),
    ]
