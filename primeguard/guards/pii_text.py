"""How the PII guard reads a text: through what a writer can do to hide a number, and past
the card numbers published for testing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from primeguard.streaming.tokens import invisible

#: Card numbers the card networks and payment processors publish for testing (Stripe,
#: Adyen, Braintree docs): an answer about integrating payments quotes them, and they pay
#: for nothing.
TEST_CARDS = frozenset(
    {
        "4111111111111111",
        "4242424242424242",
        "4012888888881881",
        "4000056655665556",
        "4222222222222",
        "5555555555554444",
        "5105105105105100",
        "2223003122003222",
        "5200828282828210",
        "378282246310005",
        "371449635398431",
        "378734493671000",
        "6011111111111117",
        "6011000990139424",
        "30569309025904",
        "38520000023237",
        "3530111333300000",
        "3566002020360505",
        "6200000000000005",
    }
)


def is_test_card(entity: str, found: str) -> bool:
    return entity == "CREDIT_CARD" and re.sub(r"\D", "", found) in TEST_CARDS


_DIGIT_GAPS = re.compile(r"(?<=\d)[ \t]*-[ \t-]*(?=\d)|(?<=\d)\s+(?=\d)")
# Other marks between groups of four digits ("4539.1488.0343.6467"): read as spaces.  Not
# between shorter groups: versions and IP addresses ("10.0.19041.1") stay as they are.
_GROUP_MARKS = re.compile(r"(?<=\d\d\d\d)[./_|*:\u00b7\u2022](?=\d\d\d\d)")


def readable(text: str) -> str:
    """`text` as the recognizers should read it, whatever a writer did to hide a number.

    A model can be asked (or told by an injection) to write a card number with
    zero-width joiners, variation selectors or keycaps between its digits, in
    full-width or Arabic-Indic digits, or split by tabs, line breaks, en dashes or
    dots; the recognizers' patterns match none of that.  So: compatibility forms
    decomposed (NFKD), every invisible or combining character dropped, controls
    other than tab and newline dropped, any decimal digit made ASCII, dashes made
    "-", separators a space, marks between groups of four digits a space, and the
    gaps between digits reduced to one character."""
    return readable_mapped(text)[0]


def readable_mapped(text: str) -> tuple[str, list[int]]:
    """`readable(text)`, and for each of its characters the index of the character of
    `text` it came from: a finding at [i, j) there is `text[index[i] : index[j - 1] + 1]`,
    which is what masking replaces."""
    out: list[str] = []
    index: list[int] = []
    for at, original in enumerate(text):
        for char in unicodedata.normalize("NFKD", original):
            if invisible(char):  # the stream windows do not count them either
                continue
            category = unicodedata.category(char)
            if category == "Nd":
                char = str(unicodedata.decimal(char))
            elif category == "Pd":
                char = "-"
            elif category[0] == "Z":
                char = " "
            out.append(char)
            index.append(at)
    folded, index = _sub_mapped(_GROUP_MARKS, lambda _: " ", "".join(out), index)
    return _sub_mapped(_DIGIT_GAPS, lambda m: "-" if "-" in m else " ", folded, index)


def _sub_mapped(
    pattern: re.Pattern[str], one: Callable[[str], str], text: str, index: list[int]
) -> tuple[str, list[int]]:
    """Each match of `pattern` replaced by the one character `one(match)`, the index kept
    in step (the new character maps to where its match began)."""
    parts: list[str] = []
    mapped: list[int] = []
    at = 0
    for match in pattern.finditer(text):
        parts += [text[at : match.start()], one(match.group())]
        mapped += [*index[at : match.start()], index[match.start()]]
        at = match.end()
    parts.append(text[at:])
    mapped += index[at:]
    return "".join(parts), mapped
