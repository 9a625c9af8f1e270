"""`kind: pii`: personal data found by Presidio's pattern recognizers, on input, output and
`/v1/moderations`, without any model download."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
import openai
import pytest

from primeguard.errors import ConfigError
from primeguard.verdicts import Category, GuardText, TextRole, Verdict
from tests.api.conftest import proxy_config, start_proxy
from tests.fakes.upstream import FakeUpstream, ServerThread

pytest.importorskip("presidio_analyzer")

from primeguard.guards.definitions import PiiDefinition
from primeguard.guards.pii import PiiGuard
from primeguard.guards.settings import parse_guards

NUMBER = "4539 1488 0343 6467"  # Luhn-valid, and not one of the published test numbers
CARD = f"Sure: the card on file is {NUMBER}, expiry 09/28."
EMAIL = "Write to jane.doe@example.com for the invoice."
IP = "The server answers at 10.20.30.40 on port 22."
BENIGN = "How do I kill a Python process that is stuck, and what is an IP address anyway?"


@pytest.fixture(scope="module")
def guard() -> PiiGuard:
    return PiiGuard("pii", PiiDefinition(kind="pii"))


def test_each_entity_found_gives_its_verdict(guard: PiiGuard) -> None:
    card, email, ip, benign = guard.verdicts([CARD, EMAIL, IP, BENIGN])
    assert card is Verdict.UNSAFE  # a checksum-verified card number
    assert email is Verdict.CONTROVERSIAL  # contact details: strict tenants block them
    assert ip is benign is Verdict.SAFE  # IP addresses are not looked for unless asked
    assert guard.verdicts([f"{EMAIL} {CARD}"]) == [Verdict.UNSAFE]  # the worst one found
    assert guard.verdicts(["card 4539 1488 0343 6468"]) == [Verdict.SAFE]  # fails the Luhn check
    # the numbers payment processors publish for testing pay for nothing: a coding answer may
    # quote them
    assert guard.verdicts(["Use 4242 4242 4242 4242 or 4111-1111-1111-1111 in test mode."]) == [Verdict.SAFE]
    # the public-suffix list was never fetched: tldextract was told to use its snapshot
    assert os.environ.get("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS") == ""


@pytest.mark.anyio
async def test_results_carry_the_privacy_category(guard: PiiGuard) -> None:
    texts = [GuardText(t, TextRole.OUTPUT) for t in (CARD, EMAIL, BENIGN)]
    card, ip, benign = await guard.check(texts)
    assert (card.verdict, ip.verdict, benign.verdict) == (Verdict.UNSAFE, Verdict.CONTROVERSIAL, Verdict.SAFE)
    assert card.by_category == {Category.PRIVACY: Verdict.UNSAFE} and card.scores[Category.PRIVACY] == 1.0
    assert ip.scores[Category.PRIVACY] == 0.5 and benign.scores[Category.PRIVACY] == 0.0
    assert benign.uncategorised is Verdict.SAFE and card.guard == "pii"


def test_entities_are_checked_when_the_config_loads() -> None:
    with pytest.raises(ConfigError, match="PERSON"):  # needs a spaCy model we never load
        parse_guards({"definitions": {"pii": {"kind": "pii", "entities": {"PERSON": "unsafe"}}}, "output": ["pii"]})
    only_cards = PiiGuard("cards", PiiDefinition(kind="pii", entities={"CREDIT_CARD": "unsafe"}))  # type: ignore[dict-item]
    assert only_cards.verdicts([EMAIL, CARD]) == [Verdict.SAFE, Verdict.UNSAFE]  # e-mail not asked for
    # the version follows the definition: other entities, another cache key
    assert only_cards.version != PiiGuard("cards", PiiDefinition(kind="pii")).version
    strict = PiiDefinition(kind="pii", entities={"EMAIL_ADDRESS": "unsafe"})  # type: ignore[dict-item]
    assert PiiGuard("mail", strict).verdicts([EMAIL]) == [Verdict.UNSAFE]


@pytest.fixture(scope="module")
def pii_proxy(fake: FakeUpstream) -> Iterator[ServerThread]:
    config = proxy_config(fake, guards={"definitions": {"pii": {"kind": "pii"}},
                                        "input": ["pii"], "output": ["pii"]})
    with start_proxy(config) as proxy:
        yield proxy


def _client(proxy: ServerThread) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="x", max_retries=0)


def test_a_reply_that_leaks_a_card_number_is_replaced(pii_proxy: ServerThread, fake: FakeUpstream) -> None:
    fake.script.answer_text = CARD
    completion = _client(pii_proxy).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "What card do you have for me?"}])
    assert completion.choices[0].finish_reason == "content_filter"
    assert "4539" not in (completion.choices[0].message.content or "")


def test_a_streamed_leak_is_cut_before_the_number(pii_proxy: ServerThread, fake: FakeUpstream) -> None:
    fake.script.answer_text = "Here you go. " * 6 + CARD + " Anything else?" * 6
    chunks = list(_client(pii_proxy).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "Card?"}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    assert NUMBER not in text and "4539" not in text  # hold_back (the default) leaks nothing


def test_personal_data_in_the_input_is_refused(pii_proxy: ServerThread, fake: FakeUpstream) -> None:
    raw = _client(pii_proxy).chat.completions.with_raw_response.create(
        model="fake-gpt", messages=[{"role": "user", "content": f"Is this valid? {CARD}"}])
    assert raw.headers["x-primeguard-route"] == "direct_violation"
    assert not fake.of_kind("answer")


def test_moderations_flag_personal_data(pii_proxy: ServerThread) -> None:
    answer = httpx.post(f"{pii_proxy.url}/v1/moderations", json={"input": [CARD, BENIGN]}).json()
    assert [r["flagged"] for r in answer["results"]] == [True, False]


def test_without_presidio_the_config_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "presidio_analyzer" else real(name, *a))
    with pytest.raises(ConfigError, match=r"primeguard\[pii\]"):
        PiiGuard("pii", PiiDefinition(kind="pii"))


def test_long_texts_are_scanned_in_slices_that_never_split_an_entity(
        guard: PiiGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    from primeguard.guards import pii

    prose = "The weather was mild and the meeting ran long. " * 400  # ~19,000 characters
    number = NUMBER
    assert guard.verdicts([prose + number]) == [Verdict.UNSAFE]  # far past the first slice

    def across_the_first_slice_end(cut: int) -> str:
        at = pii.SLICE_CHARS - cut
        return "x " * (at // 2) + " " * (at % 2) + number + " tail"

    for cut in range(1, len(number)):
        assert across_the_first_slice_end(cut).index(number) == pii.SLICE_CHARS - cut
        assert guard.verdicts([across_the_first_slice_end(cut)]) == [Verdict.UNSAFE], cut
    monkeypatch.setattr(pii, "OVERLAP_CHARS", 0)  # the control: without the overlap it is missed
    assert guard.verdicts([across_the_first_slice_end(9)]) != [Verdict.UNSAFE]


@pytest.mark.anyio
async def test_a_scan_past_its_timeout_fails_the_check_and_stops() -> None:
    """A request-borne page of digits costs the phone matcher ~40 us a character: the scan
    stops at the deadline instead of holding a worker thread long after the check failed."""
    import time

    from primeguard.guards.protocol import GuardUnavailable

    quick = PiiGuard("pii", PiiDefinition(kind="pii", timeout_s=0.3))
    quick.analyzer()  # loaded beforehand, as start-up does
    started = time.monotonic()
    with pytest.raises(GuardUnavailable, match="TimeoutError"):
        await quick.check([GuardText("1234 " * 60_000, TextRole.INPUT)])  # ~12 s unbounded
    assert time.monotonic() - started < 2.0


def test_what_a_writer_can_do_to_a_number_does_not_hide_it(guard: PiiGuard) -> None:
    groups = NUMBER.split()
    digits = NUMBER.replace(" ", "")
    hidden = {
        "zero-width space": "\u200b".join(NUMBER),
        "zero-width joiner": "\u200d".join(NUMBER),
        "word joiner": "\u2060".join(NUMBER),
        "soft hyphen": "\u00ad".join(NUMBER),
        "byte-order mark": "\ufeff".join(NUMBER),
        "variation selector": "\ufe0f".join(digits),
        "keycaps": "".join(d + "\ufe0f\u20e3" for d in digits),
        "tag characters": "\U000e0020".join(digits),
        "combining accents": "\u0301".join(digits),
        "NUL": "\x00".join(groups),
        "full width": "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in NUMBER),
        "Arabic-Indic digits": "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in NUMBER),
        "Devanagari digits": "".join(chr(0x0966 + int(c)) if c.isdigit() else c for c in NUMBER),
        "tabs": "\t\t".join(groups),
        "line breaks": "\n".join(groups),
        "en dashes": "\u2013".join(groups),
        "spaced dashes": " - ".join(groups),
        "line separator": "\u2028".join(groups),
        "dots": ".".join(groups),
        "slashes": "/".join(groups),
        "bullets": "\u2022".join(groups),
        "spaced marks between groups": " .,; ".join(groups),
        "markdown": "**" + "** **".join(groups) + "**",
        "a mark between digits": " . ".join(digits),
        "a digit a line": "\n".join(digits),
        "digit words": " ".join(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][int(d)]
                                for d in digits),
    }
    for how, text in hidden.items():
        assert guard.verdicts([f"the card is {text}"]) == [Verdict.UNSAFE], how
    # what the folding must leave alone: versions, addresses, dates, prices
    for benign in ("numpy 1.26.4 on Windows 10.0.19041.1", "at 192.168.1.20", "on 27.11.2026",
                   "1,234,567.89 USD", "the build 2024.11.27.1530"):
        assert guard.verdicts([benign]) == [Verdict.SAFE], benign


def test_a_number_written_to_dodge_the_patterns_is_masked_where_it_stands(guard: PiiGuard) -> None:
    spread = " . ".join(NUMBER.replace(" ", ""))
    assert guard.masked([f"card {spread}, thanks", "mail jane [at] example [dot] com"]) == [
        "card <CREDIT_CARD>, thanks", "mail <EMAIL_ADDRESS>"]


def test_a_streamed_number_stretched_with_visible_marks_is_cut_before_any_digit_leaks(
        pii_proxy: ServerThread, fake: FakeUpstream) -> None:
    """Five tokens a digit: no 64-token window holds it whole; the pattern guard reads the
    stream in overlapping stretches of characters instead, and hold-back keeps the run back."""
    padded = " .,;: ".join(NUMBER.replace(" ", ""))
    fake.script.answer_text = "Here is the number you asked for: " + padded + " and that is all."
    chunks = list(_client(pii_proxy).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "Card?"}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    assert text.startswith("Here is the number") and not any(ch.isdigit() for ch in text)


def test_a_streamed_number_with_one_wider_dash_gap_is_cut(
        pii_proxy: ServerThread, fake: FakeUpstream) -> None:
    """The whole answer reads every gap between two digits as "-"; the stream must too (a
    first fix cut a long gap to its first 3 characters, spaces, and so split the number)."""
    digits = NUMBER.replace(" ", "")
    fake.script.answer_text = f"Digits: {'-'.join(digits[:4])}   -{'-'.join(digits[4:])} and that is all."
    chunks = list(_client(pii_proxy).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "Card?"}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    assert not any(ch.isdigit() for ch in text)


@pytest.mark.anyio
async def test_numbers_of_two_interleaved_choices_are_not_read_as_one(guard: PiiGuard) -> None:
    """Two choices' "808012" and "2024", joined by a line break, read as a UK NHS number."""
    from primeguard.guards.settings import StreamSettings
    from primeguard.output_text import StreamTexts
    from primeguard.streaming import Cut
    from primeguard.streaming.checks import output_stream_guard

    async def chunks():  # type: ignore[no-untyped-def]
        for index, text in [(0, "it ran "), (0, "808012"), (1, "2024 sat"), (0, " ok")]:
            yield {"choices": [{"index": index, "delta": {"content": text}}]}

    stream = output_stream_guard(StreamSettings(release="first_window"), [], pattern_guards=[guard])
    events = [event async for event in stream.guard(chunks(), StreamTexts())]
    assert not any(isinstance(event, Cut) for event in events) and len(events) == 4


_DIGITS = NUMBER.replace(" ", "")
_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_SPELLED = "-".join(_WORDS[int(d)] for d in _DIGITS)
_CHUNKINGS = {  # choice 0's chunks, exactly as streamed
    "words": [w + " " for w in f"Your number is {NUMBER} and that is all for today.".split(" ")],
    "a digit a chunk": ["Your number is ", *(d + " " for d in _DIGITS), "and that is all."],
    "digits padded with 300 zero-width spaces": ["Your number is ",
                                                 *(d + "\u200b" * 300 for d in _DIGITS), "ok."],
    "digits padded with dashes": ["Your number is ", *(d + " -" * 150 for d in _DIGITS), "ok."],
    "8-mark separators": ["Your number is ", *(d + ":.:.:.:." for d in _DIGITS), "ok."],
    "digit words cut inside a word": ["Card: ", *(_SPELLED[i : i + 5] for i in range(0, len(_SPELLED), 5)),
                                      " ok."],
    # 4 more digits before it, a card word 90 characters before them: more than a part's
    # recent text held when it was 256 characters
    "a card word well before": ["Card: ", *["word "] * 18, *(d + ",;,;,;,;" for d in "2307" + _DIGITS),
                                " and that is all."],
}


@pytest.mark.anyio
@pytest.mark.parametrize("release", ["every_window", "first_window"])
@pytest.mark.parametrize("chunking", list(_CHUNKINGS))
async def test_a_number_in_one_of_two_interleaved_choices_is_held_and_cut(
        guard: PiiGuard, release: str, chunking: str) -> None:
    """With n=2 the choices' tokens interleave, so the text that came last is often the other
    choice's: the hold must look at each part's text before a switch, keep holding where the
    digits first came (they are fed again later), and padding must not push them out."""
    from primeguard.guards.settings import StreamSettings
    from primeguard.output_text import StreamTexts
    from primeguard.streaming import Cut, Release
    from primeguard.streaming.checks import output_stream_guard

    first = _CHUNKINGS[chunking]
    other = "The weather is nice and the sun shines on the hills all day long and night too."
    second = (other + " " + other + " " + other).split(" ")

    async def chunks():  # type: ignore[no-untyped-def]
        for a, b in zip(first, second, strict=False):
            yield {"choices": [{"index": 0, "delta": {"content": a}}]}
            yield {"choices": [{"index": 1, "delta": {"content": b + " "}}]}

    stream = output_stream_guard(StreamSettings(release=release, stride_tokens=4), [],
                                 pattern_guards=[guard])
    released, cut = "", False
    async for event in stream.guard(chunks(), StreamTexts()):
        if isinstance(event, Release) and event.chunk["choices"][0]["index"] == 0:
            released += event.chunk["choices"][0]["delta"]["content"]
        cut = cut or isinstance(event, Cut)
    assert cut and not any(ch.isdigit() for ch in released)
    assert release == "every_window" or released.startswith(first[0])  # text before it streamed


def test_a_streamed_number_padded_with_invisible_characters_is_still_cut(
        pii_proxy: ServerThread, fake: FakeUpstream) -> None:
    """Counted as tokens, the padding would stretch the number over more than one window,
    and no window would see it whole."""
    pads = {
        "zero-width spaces": lambda: "".join(c + "\u200b" * 6 for c in NUMBER),
        "musical combining marks": lambda: "".join(c + "\U0001d173" * 6 for c in NUMBER),
        "virama": lambda: "".join(c + "\u094d" * 6 for c in NUMBER),
        "Arabic number sign": lambda: "".join(c + "\u0600" * 6 for c in NUMBER),
        "hyphen runs": lambda: NUMBER.replace(" ", "-" * 30),
        "en dash runs": lambda: NUMBER.replace(" ", "\u2013" * 30),
        "mixed dash runs": lambda: NUMBER.replace(" ", "-\u2013" * 15),
    }
    for how, padded in pads.items():
        fake.script.answer_text = "Here is the number you asked for: " + padded() + " and that is all."
        chunks = list(_client(pii_proxy).chat.completions.create(
            model="fake-gpt", messages=[{"role": "user", "content": "Card?"}], stream=True))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert chunks[-1].choices[0].finish_reason == "content_filter", how
        assert "6467" not in "".join(ch for ch in text if ch.isdigit() or ch == " "), how


def test_presidio_never_logs_what_it_read(guard: PiiGuard) -> None:
    """A failed IBAN check logs the candidate text; context words are logged at DEBUG."""
    import logging

    guard.analyzer()
    assert logging.getLogger("presidio-analyzer").getEffectiveLevel() == logging.CRITICAL


def test_a_stream_mode_that_releases_early_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    """stream_first sends a number's first digits before any check reads it whole: the
    pattern cannot match what it has not seen.  Hold-back, in either release, holds them."""
    from primeguard.server.wiring import _warn_partial_release

    definitions = {"definitions": {"pii": {"kind": "pii"}}, "output": ["pii"]}
    with caplog.at_level("WARNING", logger="primeguard"):
        _warn_partial_release(parse_guards(definitions))
        _warn_partial_release(parse_guards({**definitions, "stream": {"release": "first_window"}}))
        assert "releases text before" not in caplog.text
        _warn_partial_release(parse_guards({**definitions, "stream": {"mode": "stream_first"}}))
        assert "stream_first releases text before" in caplog.text


@pytest.fixture(scope="module")
def masking_proxy(fake: FakeUpstream) -> Iterator[ServerThread]:
    config = proxy_config(fake, guards={"definitions": {"pii": {"kind": "pii", "mask": True}},
                                        "input": ["pii"], "output": []})
    with start_proxy(config) as proxy:
        yield proxy


def test_masking_replaces_personal_data_before_anything_reads_the_request(
        masking_proxy: ServerThread, fake: FakeUpstream) -> None:
    system = "You are the billing assistant. Escalations go to billing@corp.example."
    user = [{"type": "text", "text": f"My card {NUMBER} was charged twice; mail me at {EMAIL[9:29]}"}]
    raw = _client(masking_proxy).chat.completions.with_raw_response.create(model="fake-gpt", messages=[
        {"role": "system", "content": system},
        {"role": "user", "content": user},  # type: ignore[list-item]
        {"role": "assistant", "content": "Which charge?"},
        {"role": "user", "content": "The one on 4 May, test card 4242 4242 4242 4242."},
    ])
    assert raw.headers["x-primeguard-route"] == "no_to_minimal_risk"  # nothing left to refuse
    sent = fake.of_kind("answer")[-1].body["messages"]
    judged = fake.of_kind("judge")[-1].body["messages"][1]["content"]
    for seen in (json.dumps(sent), judged):
        assert NUMBER not in seen and "jane.doe@example.com" not in seen
        assert "<CREDIT_CARD>" in seen and "<EMAIL_ADDRESS>" in seen
    assert sent[-1]["content"] == "The one on 4 May, test card 4242 4242 4242 4242."  # a test number
    assert system in json.dumps(sent)  # the operator's own prompt goes on as written


def test_masking_reads_what_the_check_reads(masking_proxy: ServerThread, fake: FakeUpstream) -> None:
    """Whatever a writer did to a number (non-breaking spaces from a PDF, dots, tabs, en
    dashes, zero-width characters), it is masked where it stands: neither the judge nor
    the upstream sees a digit of it."""
    groups = NUMBER.split()
    written = {
        "no-break spaces": "\u00a0".join(groups),
        "dots": ".".join(groups),
        "tabs": "\t".join(groups),
        "line breaks": "\n".join(groups),
        "en dashes": "\u2013".join(groups),
        "zero-width": "\u200b".join(NUMBER),
        "full width": "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in NUMBER),
    }
    for how, number in written.items():
        fake.reset()
        raw = _client(masking_proxy).chat.completions.with_raw_response.create(
            model="fake-gpt", messages=[{"role": "user", "content": f"Refund the card {number} please."}])
        assert raw.headers["x-primeguard-route"] == "no_to_minimal_risk", how
        sent = fake.of_kind("answer")[-1].body["messages"][-1]["content"]
        judged = fake.of_kind("judge")[-1].body["messages"][1]["content"]
        assert sent == "Refund the card <CREDIT_CARD> please.", (how, sent)
        assert "<CREDIT_CARD>" in judged and "0343" not in judged, how
    fake.reset()
    _client(masking_proxy).chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": "mail jane.doe\u00ad@exa\u200bmple.com"}])
    assert fake.of_kind("answer")[-1].body["messages"][-1]["content"] == "mail <EMAIL_ADDRESS>"


def test_masked_turns_are_not_masked_again() -> None:
    """Clients send the whole conversation each turn: earlier turns come from a cache."""
    guard = PiiGuard("pii", PiiDefinition(kind="pii", mask=True))
    first = guard.masked([f"card {NUMBER}", "hello"])
    assert first == ["card <CREDIT_CARD>", "hello"]

    def unreachable(*args: object) -> str:
        raise AssertionError("masked twice")

    guard._masked_one = unreachable  # type: ignore[method-assign]
    assert guard.masked([f"card {NUMBER}", "hello"]) == first


def test_masking_that_cannot_finish_refuses_to_send_the_request_on(fake: FakeUpstream) -> None:
    config = proxy_config(fake, guards={"definitions": {"pii": {"kind": "pii", "mask": True, "timeout_s": 0.2}},
                                        "input": ["pii"], "output": []})
    with start_proxy(config) as proxy:
        answer = httpx.post(f"{proxy.url}/v1/chat/completions", json={
            "model": "fake-gpt", "messages": [{"role": "user", "content": "1234 " * 40_000}]}, timeout=30)
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "masking_unavailable"
    assert not fake.of_kind("answer") and not fake.of_kind("judge")


@pytest.mark.anyio
async def test_mask_request_rewrites_a_copy_and_only_user_and_tool_text() -> None:
    from primeguard.guards.pii import _replaced
    from primeguard.masking import mask_request

    assert _replaced("abcdefgh", [(1, 4, "X"), (2, 6, "Y"), (7, 8, "Z")]) == "a<X>g<Z>"  # overlaps merge

    class Upper:
        async def mask(self, texts: list[str]) -> list[str]:
            return [t.upper() for t in texts]

    raw = {"model": "m", "messages": [
        {"role": "system", "content": "keep"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {}}]},
        {"role": "assistant", "content": "keep too"},
        {"role": "tool", "tool_call_id": "1", "content": "b"},
    ]}
    before = json.dumps(raw)
    masked = await mask_request(raw, [Upper()])
    assert json.dumps(raw) == before  # the caller's body is untouched
    assert [m.get("content") for m in masked["messages"]] == [
        "keep", [{"type": "text", "text": "A"}, {"type": "image_url", "image_url": {}}], "keep too", "B"]
    assert await mask_request({"messages": [{"role": "system", "content": "x"}]}, [Upper()]) == {
        "messages": [{"role": "system", "content": "x"}]}


def test_captured_prompts_are_the_masked_ones(fake: FakeUpstream) -> None:
    """Content capture (both opted in) records the prompt on the request span, after masking."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from primeguard.config import parse_config
    from primeguard.server.app import create_app
    from primeguard.telemetry.bundle import Telemetry
    from primeguard.telemetry.metrics import Metrics
    from primeguard.telemetry.settings import TelemetrySettings
    from primeguard.telemetry.tracing import setup_tracing

    exporter = InMemorySpanExporter()
    tracing = setup_tracing(TelemetrySettings(capture_content=True), span_exporter=exporter)
    config = proxy_config(fake, tenants=[{"name": "acme", "api_keys": ["sk-a"], "capture_content": True}],
                          guards={"definitions": {"pii": {"kind": "pii", "mask": True}}, "input": ["pii"]})
    with ServerThread(create_app(parse_config(config), telemetry=Telemetry(tracing, Metrics(("acme",))))) as server:
        answer = httpx.post(f"{server.url}/v1/chat/completions", headers={"authorization": "Bearer sk-a"},
                            json={"model": "fake-gpt", "messages": [{"role": "user", "content": f"card {NUMBER}"}]})
    assert answer.status_code == 200, answer.text
    spans = {s.name: s for s in exporter.get_finished_spans()}
    root = spans["primeguard.request"]
    assert root.attributes is not None and root.attributes["gen_ai.input.messages"] == "card <CREDIT_CARD>"
    masking = spans["primeguard.masking"]  # a step of its own: a span and a latency observation
    assert masking.parent is not None and masking.parent.span_id == root.context.span_id
    assert masking.attributes is not None and masking.attributes["primeguard.masked"] is True


def test_a_masking_guard_no_tenant_uses_on_input_is_warned_about(
        fake: FakeUpstream, caplog: pytest.LogCaptureFixture) -> None:
    from primeguard.config import parse_config
    from primeguard.server.wiring import _warn_idle_maskers

    guards = {"definitions": {"pii": {"kind": "pii", "mask": True}}, "input": [], "output": ["pii"]}
    settings = parse_config(proxy_config(fake, guards=guards))
    with caplog.at_level("WARNING", logger="primeguard"):
        _warn_idle_maskers(settings, parse_guards(guards))
    assert "nothing is masked" in caplog.text
    caplog.clear()
    tenants = [{"name": "acme", "api_keys": ["sk-a"], "input_guards": ["pii"]}]
    settings = parse_config(proxy_config(fake, guards=guards, tenants=tenants))
    with caplog.at_level("WARNING", logger="primeguard"):
        _warn_idle_maskers(settings, parse_guards(guards))
    assert "nothing is masked" not in caplog.text


def test_the_default_inputs_count_only_where_some_tenant_takes_them(
        fake: FakeUpstream, caplog: pytest.LogCaptureFixture) -> None:
    from primeguard.config import parse_config
    from primeguard.server.wiring import _warn_idle_maskers

    guards = {"definitions": {"pii": {"kind": "pii", "mask": True}, "other": {"kind": "pii"}},
              "input": ["pii"], "output": []}
    tenants = [{"name": "acme", "api_keys": ["sk-a"], "input_guards": ["other"]}]  # not the default
    with caplog.at_level("WARNING", logger="primeguard"):
        _warn_idle_maskers(parse_config(proxy_config(fake, guards=guards, tenants=tenants)), parse_guards(guards))
    assert "nothing is masked" in caplog.text


def test_a_masking_failure_under_fail_open_is_counted(fake: FakeUpstream) -> None:
    """It passes the request on unmasked: that must show somewhere other than a log line."""
    config = proxy_config(fake, guards={
        "definitions": {"pii": {"kind": "pii", "mask": True, "fail_mode": "open", "timeout_s": 0.05}},
        "input": ["pii"], "output": []})
    with start_proxy(config) as proxy:
        _client(proxy).chat.completions.create(  # ~12 s of digits for the phone matcher
            model="fake-gpt", messages=[{"role": "user", "content": "1234 " * 60_000}])
        metrics = httpx.get(f"{proxy.url}/metrics").text
        line = next(x for x in metrics.splitlines() if x.startswith("primeguard_guard_failures_total{")
                    and 'guard="pii"' in x and 'step="mask"' in x)
        assert 'reason="timeout"' in line and 'fail_mode="open"' in line and float(line.split()[-1]) == 1


def test_a_spread_number_across_a_slice_boundary_is_read(guard: PiiGuard) -> None:
    """Long texts are scanned in overlapping slices: the overlap must hold the longest form
    read (a card spread by 8-character separators: 171 characters)."""
    spread = " .,;: ".join(NUMBER.replace(" ", ""))
    for lead in range(3_850, 4_001, 15):
        assert guard.verdicts(["x" * lead + " " + spread]) == [Verdict.UNSAFE], lead
