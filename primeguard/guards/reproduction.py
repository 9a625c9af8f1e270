"""Is this input a request to reproduce a named work whole?  The heads cannot tell.

'Generate the lyrics of "Dancing Queen" by ABBA' and 'What is "Dancing Queen" by
ABBA about?' embed almost alike: the encoder sees a song and a band, not the
difference between quoting a work and talking about it.  The shipped heads
call both safe.  Llama Guard (S8, *Intellectual Property*) and Qwen3Guard
(*Copyright Violation*) count the first as a violation, and so does our
guidelines' rule 9.  `categories` maps both onto `illicit`; so does this rule.

It asks for three parts in one sentence:
- a verb that hands text over: generate, give, provide, print, paste, copy,
  reproduce, post, recite, type or write out, show, output, share, send,
  quote, "what are", "I need"... (never summarise, analyse, explain,
  translate, nor plain "write": that is new writing);
- the text itself: the lyrics (or "the words to"), a long or full passage,
  chapter 3 or the first chapter, the first ten pages, the script,
  screenplay or transcript, the full/complete/entire text, book or story;
- a named work right after "of / from / for / to / in": a quoted title, a run
  of Title Case words, or "by" a capitalised name, optionally after "the song /
  book / film (titled / called)".
New writing is left alone ("lyrics for a song about rain", "the new lyrics
for ..."), and so are short quotes ("the first verse of", "a line from"): fair
use, and what people ask about songs all the time.  Public-domain works cannot
be told apart ("the lyrics of Happy Birthday"): the rule flags them too, and an
operator who minds sets the definition's `reproduction: controversial` (the
judge decides) or `off`.  Titles typed all in lower case are not recognised.
On `../shared/data` it flags 3 of 41,604 texts, all three safe-labelled lyrics
requests (two public-domain songs).
"""

from __future__ import annotations

import re

#: Names the rule in the guard's version: change it when the rule changes.
RULE = "reproduction/1"

_VERB = (
    r"(?:generate|give|provide|print|paste|copy|reproduce|post|recite|type|write\s+(?:out|down)"
    r"|show|output|share|send|quote|display|sing|dump|spit\s+out|what\s+(?:are|were)"
    r"|i\s+(?:need|want)|can\s+i\s+(?:get|have|see))"
)
# Between the verb and the text: "me", "out", "for me", "please", "all of".
_FILLER = r"(?:\s+(?:me|us|out|down|for\s+me|please|here|verbatim|all|of))*"
_WHOLE = r"(?:full|complete|entire|whole|long|lengthy|exact|unabridged|uncut|verbatim)"
_COUNT = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty|[ivxlc]+)"
_TEXTS = (
    rf"(?:the\s+|all\s+(?:of\s+)?the\s+)?(?:{_WHOLE}\s+)?lyrics",
    rf"the\s+(?:{_WHOLE}\s+)?words(?=\s+to\b)",
    rf"(?:a|the)\s+{_WHOLE}\s+(?:passage|excerpt|extract|section)",
    rf"(?:the\s+)?{_WHOLE}\s+passages",
    rf"chapter\s+{_COUNT}",
    rf"the\s+(?:{_WHOLE}\s+)?(?:first|opening|last|final|{_COUNT}(?:st|nd|rd|th))\s+chapter",
    rf"(?:the\s+)?(?:first\s+)?{_COUNT}\s+pages",
    rf"the\s+(?:{_WHOLE}\s+)?(?:script|screenplay|transcript|libretto)",
    rf"the\s+{_WHOLE}\s+(?:text|book|novel|story|poem|song|article|essay|speech|chapter)",
)
_TEXT = "(?:" + "|".join(_TEXTS) + ")"
_REQUEST = re.compile(rf"\b{_VERB}{_FILLER}\s+{_TEXT}\s+(?:of|from|for|to|in)\s+", re.IGNORECASE)
# Any of `_TEXT`'s nouns, looked up as plain substrings (~1 us, where the regexes cost
# 20-40 us): most sentences have none and are done.
_NOUNS = (
    "lyric",
    "words",
    "passage",
    "excerpt",
    "extract",
    "section",
    "chapter",
    "pages",
    "script",
    "screenplay",
    "libretto",
    "text",
    "book",
    "novel",
    "story",
    "poem",
    "song",
    "article",
    "essay",
    "speech",
)

_KIND = (
    r"(?:song|track|single|book|novel|film|movie|show|series|episode|play|musical|poem"
    r"|album|story|essay|article)"
)
_QUOTED = (
    r"(?:\"[^\"\n]{2,80}\"|'[^'\n]{2,80}'|\u201c[^\u201d\n]{2,80}\u201d"
    r"|\u2018[^\u2019\n]{2,80}\u2019)"
)
_TITLE_WORD = r"(?:[A-Z0-9][\w'\u2019.-]*)"
_SMALL = r"(?:of|the|a|an|and|in|on|to|for|with|at|is|my|me|you|your|it|from)"
# Title Case: a capitalised word, then more capitalised or small words, ending capitalised.
_TITLED = rf"(?:{_TITLE_WORD}(?:\s+(?:{_SMALL}\s+)*{_TITLE_WORD})*)"
# What follows the request, matched case-sensitively: the title really is quoted or capitalised.
_WORK = re.compile(
    r"(?:(?:[Tt]he|[Aa]n?|[Tt]his|[Tt]hat)\s+)?(?:[A-Z][\w.'\u2019-]*(?:\u2019s|'s)\s+)*"
    rf"(?:(?i:{_KIND})\s+(?:(?i:titled|called|named)\s*:?\s+)?)?"
    rf"(?:{_QUOTED}|{_TITLED}|by\s+[A-Z])"
)
# New writing, or a short quote: not a reproduction.
_NEW = re.compile(
    r"\b(?:new|own|original\s+song|fresh|funny|parody|alternative|your)\s+lyrics\b", re.IGNORECASE
)
_SHORT = re.compile(
    r"\b(?:first|opening|last|closing|one|a|single|two|famous|best|favou?rite)\s+"
    r"(?:line|lines|verse|sentence|bar|bars|couplet|quote|quotation)\s+(?:of|from|in)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
#: Longer texts are read at their start and end, where a request sits (it bounds the cost).
MAX_CHARS = 4000


def reproduction_request(text: str) -> bool:
    """True when some sentence of `text` asks for a named work's text whole (see the module)."""
    if len(text) > MAX_CHARS:
        half = MAX_CHARS // 2
        text = text[:half] + "\n" + text[-half:]
    lowered = text.lower()
    if not any(noun in lowered for noun in _NOUNS):
        return False
    for sentence in _sentences(text):
        low = sentence.lower()
        if not any(noun in low for noun in _NOUNS):
            continue
        for match in _REQUEST.finditer(sentence):
            if _WORK.match(sentence, match.end()) and not (
                _NEW.search(sentence) or _SHORT.search(sentence)
            ):
                return True
    return False


def _sentences(text: str) -> list[str]:
    """Sentences and lines; a quoted title may hold a full stop or a question mark."""
    shielded = re.sub(_QUOTED, lambda m: m.group(0).replace(".", "\0").replace("?", "\1"), text)
    return [
        s.replace("\0", ".").replace("\1", "?") for s in _SENTENCE.findall(shielded) if s.strip()
    ]


__all__ = ["MAX_CHARS", "RULE", "reproduction_request"]
