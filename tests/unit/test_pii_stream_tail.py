"""Pattern guards on a stream: numbers written to dodge patterns or windows still read whole,
and hold-back lets out no part of one."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from primeguard.guards.pii_layouts import (
    is_card_number,
    spelled_cards,
    spelled_emails,
    spread_cards,
)
from primeguard.streaming import Cut, HoldBackRelease, Release, StreamMode, WindowedOutputGuard
from primeguard.streaming.tail import TailText
from primeguard.verdicts import Verdict

pytestmark = pytest.mark.anyio

CARD = "4539148803436467"  # Luhn-valid, not a published test number


def test_spread_card_layouts_are_read() -> None:
    groups = [CARD[i : i + 4] for i in range(0, 16, 4)]
    odd = (  # separators no list or table uses: read on their own
        " . ".join(CARD),
        ".".join(CARD),
        " .,;: ".join(CARD),
        " . ".join(groups),
        " .,; ".join(groups),
        "**" + "** **".join(groups) + "**",
        "3766 . 258517 . 81286",  # Amex's 4-6-5
        " ".join(CARD),
    )
    plain = (", ".join(CARD), "; ".join(CARD), " | ".join(groups))  # only near a card word
    for text in (*odd, *(f"the card: {p}" for p in plain)):
        found = list(spread_cards(f"it is {text} ok"))
        assert len(found) == 1, text
        start, end = found[0]
        assert re.sub(r"\D", "", f"it is {text} ok"[start:end]) in (CARD, "376625851781286")
    for text in plain:
        assert list(spread_cards(f"the values: {text}")) == [], text
        # a card word only after it: a stream has let the number out before the word arrives
        assert list(spread_cards(f"the values: {text}, all on the card")) == [], text


def test_numbers_that_only_look_spread_are_not_cards() -> None:
    for text in (
        "[45, 39, 14, 88, 23, 67, 12, 90, 54, 33]",  # two-digit arrays hold Luhn-valid stretches
        "[453, 914, 880, 343, 646, 7]",
        "x = [3.5, 4.2, 5.1, 6.0, 7.3, 8.8, 4.1]",  # separators change
        "2024-01-15 12:30:45.123",
        "4539 1488 0343 6468",  # Luhn fails
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 0, 1, 1, 1, 2",  # no card starts with 1
        "4 2 4 2 4 2 4 2 4 2 4 2 4 2 4 2",  # a published test number
        "4539 . 1488 . 0343 , 6467",  # one group set apart differently
        "| 5909 | 5984 | 4814 | 2384 |",  # a table row that passes a card's checks
        "e = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4, 5, 9, 0, 4, 5]",  # and an array of e's digits
    ):
        assert list(spread_cards(text)) == [], text


def test_a_card_with_a_few_more_digits_beside_it_is_read() -> None:
    """An expiry or a security code written the same way, at either end (at most 4 digits:
    further inside a part nothing is looked for)."""
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    spelled = " ".join(words[int(d)] for d in CARD)
    for text in (" . ".join(CARD + "123"), " . ".join("0" + CARD), "4539 . 1488 . 0343 . 6467 . 0",
                 f"{spelled}, one two two seven"):
        assert len([*spread_cards(text), *spelled_cards(text)]) == 1, text
    assert list(spread_cards(" . ".join("4242424242424242"))) == []  # no number inside a test one


def test_odd_letters_do_not_break_the_readers() -> None:
    """Under IGNORECASE a Unicode match read "sıx" (dotless i) as "six", and the lookup of
    its digit raised: an exception fails the guard and counts against its breaker."""
    assert list(spelled_cards("three s\u0131x four s\u0131x seven " * 4)) == []


def test_spelled_numbers_and_addresses() -> None:
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    spelled = " ".join(words[int(d)] for d in CARD)
    assert list(spelled_cards(f"read it: {spelled}.")) == [(9, 9 + len(spelled))]
    assert list(spelled_cards("one two three four five six seven eight nine ten")) == []
    for address in (
        "jane.doe [at] example [dot] com",
        "jane.doe(at)example.com",
        "jane dot doe at example dot com",
        "jane{ at }example{ dot }org",
    ):
        assert list(spelled_emails(f"write to {address} today")), address
    assert list(spelled_emails("or jsmith at gmail dot com")) == [(3, 26)]  # a mail provider
    for benign in ("look at the example dot com page", "meet at noon", "[at] the door",
                   "visit us at example dot com", "meet me at home dot com",
                   "He worked at Pets dot com in 1999.", "Meeting time [at] 10.30 tomorrow.",
                   "we met at live dot com", "I was at me dot com"):
        assert list(spelled_emails(benign)) == [], benign


def test_card_number_checks() -> None:
    assert is_card_number(CARD) and is_card_number("2221000000000009")
    assert not is_card_number("1234567812345670")  # Luhn-valid, but no network starts with 1
    assert not is_card_number("4242424242424242")  # published for testing
    assert not is_card_number("453914880343646")  # too short for its Luhn to hold, and it fails


def test_tail_overlaps_and_drops_invisible_characters() -> None:
    tail = TailText(overlap=8)
    tail.feed("abc\u200bdef")
    tail.feed("ghij")
    assert tail.take(8) == "abcdef"  # the second delta ends past the checkpoint: not yet
    tail.feed("klm")
    assert tail.take(15) == "abcdefghijklm"[-8 - 7 :]  # the last 8 read again, then what is new
    assert tail.take(15) == "fghijklm"  # nothing new: the overlap alone


def test_tail_reads_as_the_pattern_guard_does() -> None:
    """A run of spaces or dashes is one character, a dash if it holds one, whatever the
    chunks; superscript and circled digits are digits."""
    tail = TailText()
    for delta in ["4", *[" "] * 300, "5", " -" * 150, "3", "\u00b9\u2460", "   -", "1"]:
        tail.feed(delta)
    assert tail.take(10**6) == "4 5-311-1"  # superscript one, circled one


@pytest.mark.parametrize(
    ("deltas", "run_from"),
    [
        (["The number: ", "four five thr"], 12),  # a chunk that ends inside a digit word
        (["The number: ", "4539_1488_"], 12),  # "_" between groups, as `readable` reads it
        (["The number: ", "4539 ", "1488 ", "  "], 12),  # a run of spaces not ended yet
    ],
)
def test_an_unfinished_run_is_held_however_the_chunk_ends(deltas: list[str], run_from: int) -> None:
    tail = TailText()
    for delta in deltas:
        tail.feed(delta)
    tail.take(10**6)
    assert tail.open_from == run_from


def test_the_hold_does_not_move_forward_while_a_run_stays_open() -> None:
    """In an interleaved stream a part's run is read again in its text fed again after a
    switch (as `StreamTexts` feeds it): the hold stays where the digits first came."""
    from primeguard.output_text import PART_BREAK

    tail = TailText(overlap=24)
    for delta in ["Card: ", "4 5 3", f"{PART_BREAK}The weather", f"{PART_BREAK}Card: 4 5 3 9 1 4"]:
        tail.feed(delta)
        tail.take(10**6)
    assert tail.open_from == len("Card: ")
    tail.feed(" and that is all")
    tail.take(10**6)
    assert tail.open_from is None


def test_one_part_of_numbers_is_not_held_to_its_end() -> None:
    """A table of figures is one long run: in one part the hold follows its last 256
    characters, not its start (it would hold the whole table to the end)."""
    tail = TailText()
    rows = [f"| {i} | {i * 7} |\n" for i in range(60)]
    for row in rows:
        tail.feed(row)
        tail.take(10**6)
    assert tail.open_from is not None and tail.open_from > len("".join(rows)) - 300


def test_an_open_run_is_found_in_linear_time() -> None:
    import time

    text = ("1 " * 100 + "." * 9) * 400  # long runs broken by gaps just too wide
    tail = TailText()
    started = time.perf_counter()
    for i in range(0, len(text), 50):
        tail.feed(text[i : i + 50])
        tail.take(10**9)
    assert time.perf_counter() - started < 1.0  # the regex search took ~2.4 s


def test_tail_says_where_an_unfinished_run_of_digits_began() -> None:
    tail = TailText()
    for delta in ("The number is ", "4 .", " 5 .", " 3"):
        tail.feed(delta)
    tail.take(100)
    assert tail.open_from == len("The number is ")  # the delta that began the run
    tail.feed(" and so on")
    tail.take(200)
    assert tail.open_from is None  # words ended it


async def _chunks(deltas: list[str]) -> AsyncIterator[str]:
    for delta in deltas:
        yield delta


async def _card_check(text: str) -> Verdict:
    """Stands in for the pii guard: reads a card number through any separator."""
    return Verdict.UNSAFE if CARD in re.sub(r"\D", "", text) else Verdict.SAFE


async def _released(guard: WindowedOutputGuard, deltas: list[str]) -> tuple[str, bool]:
    out, cut = [], False
    async for event in guard.guard(_chunks(deltas), lambda d: d):
        if isinstance(event, Release):
            out.append(event.chunk)
        elif isinstance(event, Cut):
            cut = True
    return "".join(out), cut


async def _safe(_: str) -> Verdict:
    return Verdict.SAFE


@pytest.mark.parametrize("release", list(HoldBackRelease))
async def test_a_number_stretched_past_any_window_is_cut_and_none_of_it_leaks(
    release: HoldBackRelease,
) -> None:
    """Five tokens a digit: 80 tokens, more than a 64-token window, which never sees it whole."""
    padded = " ".join(d + " .,;:" for d in CARD)
    deltas = (
        ["Sure, the number you asked for is "] + [w + " " for w in padded.split(" ")] + ["and bye."]
    )
    windowed = WindowedOutputGuard(_card_check, mode=StreamMode.HOLD_BACK, release=release)
    _, cut = await _released(windowed, deltas)
    assert not cut  # windows alone miss it
    guard = WindowedOutputGuard(
        _safe, mode=StreamMode.HOLD_BACK, release=release, tail_check=_card_check
    )
    text, cut = await _released(guard, deltas)
    assert cut
    assert not any(ch.isdigit() for ch in text)  # not even the first digits
    assert text.startswith("Sure, the number")


async def test_a_number_across_a_checkpoint_is_held_in_first_window_mode() -> None:
    """Compact, it fits a window, but first_window lets out what a passed window holds."""
    words = ["word "] * 14 + [CARD[i : i + 4] + " " for i in range(0, 16, 4)] + ["end."]
    tail_only = WindowedOutputGuard(
        _safe, stride_tokens=16, release=HoldBackRelease.FIRST_WINDOW, tail_check=_card_check
    )
    text, cut = await _released(tail_only, words)
    assert cut and not any(ch.isdigit() for ch in text)
    text, cut = await _released(
        WindowedOutputGuard(_safe, release=HoldBackRelease.FIRST_WINDOW), words
    )
    assert not cut and "4539" in text  # the setup leaks without the tail (the test can fail)


@pytest.mark.parametrize("release", list(HoldBackRelease))
@pytest.mark.parametrize("filler", [9, 10, 11])  # the number's last token lands on a checkpoint
async def test_a_number_in_the_last_chunk_is_read_though_no_token_follows(
        release: HoldBackRelease, filler: int) -> None:
    """The last chunk holds the checkpoint's token and trailing spaces: no window is due
    after it, but the tail has not read it."""
    deltas = ["Sure thing ", "word " * filler, "4539 1488 0343 6467\n"]
    guard = WindowedOutputGuard(_safe, release=release, tail_check=_card_check)
    text, cut = await _released(guard, deltas)
    assert cut and "4539" not in text


@pytest.mark.parametrize("release", list(HoldBackRelease))
@pytest.mark.parametrize("gap", [" " * 300, "\n" * 300, "\u3000" * 300, " -" * 150 + " "])
async def test_a_number_padded_with_space_or_dashes_is_read_whole(release: HoldBackRelease, gap: str) -> None:
    deltas = ["Here: ", *(ch for d in CARD for ch in d + gap), "bye"]
    guard = WindowedOutputGuard(_safe, release=release, tail_check=_card_check)
    text, cut = await _released(guard, deltas)
    assert cut and not any(ch.isdigit() for ch in text)


async def test_a_safe_answer_with_numbers_is_released_whole() -> None:
    deltas = [f"row {i}: {i * 7} {i * 13}\n" for i in range(40)] + ["done"]
    guard = WindowedOutputGuard(_safe, release=HoldBackRelease.FIRST_WINDOW, tail_check=_card_check)
    text, cut = await _released(guard, deltas)
    assert not cut and text == "".join(deltas)
