"""How a prompt names a work: a quoted title, Title Case words, a possessive, "by" a name.

Patterns (strings, to be composed) and two compiled regexes, matched
case-sensitively so that a title really is quoted or capitalised:

- `QUOTED`: "Hey Jude", 'Someday I'll Love Ocean Vuong', curly quotes too;
- `TITLED`: Title Case runs with small words inside ("The Fellowship of the Ring"),
  bounded to ten words so that a scan stays linear on long runs of capitals;
- `NAMED`: either, after "the song / book / film (titled / called)" or a
  possessive ("Adele's Hello");
- `WORK`: what follows "the lyrics of": a named work, "by" a name, or a title typed
  in lower case followed by its artist ("bohemian rhapsody by queen").
"""

from __future__ import annotations

import re

KIND = (
    r"(?:song|track|single|book|novel|film|movie|show|series|episode|play|musical|poem"
    r"|album|story|essay|article)"
)
QUOTED = (
    r"(?:\"[^\"\n]{2,80}\"|(?<!\w)'(?:[^'\n]|(?<=\w)'(?=\w)){2,80}'(?!\w)|\u201c[^\u201d\n]{2,80}\u201d"
    r"|\u2018[^\u2019\n]{2,80}\u2019)"
)
_TITLE_WORD = r"(?:[A-Z0-9][\w'\u2019.:-]*)"
_SMALL = r"(?:of|the|a|an|and|in|on|to|for|with|at|is|my|me|you|your|it|from)"
# Title Case: a capitalised word, then more capitalised or small words, ending capitalised.
TITLED = rf"(?:{_TITLE_WORD}(?:\s+(?:{_SMALL}\s+){{0,3}}{_TITLE_WORD}){{0,9}})"
NAMED = (
    r"(?:(?:[Tt]he|[Tt]his|[Tt]hat)\s+)?(?:(?:[A-Z][\w.-]*\s+){0,3}[A-Z][\w.-]*(?:\u2019s|'s)\s+)?"
    rf"(?:(?i:{KIND})\s+(?:(?i:titled|called|named)\s*:?\s+)?)?"
    rf"(?:{QUOTED}|{TITLED})"
)
QUOTED_RE = re.compile(QUOTED)
WORK = re.compile(
    rf"{NAMED}|by\s+[A-Z]"
    r"|(?i:(?!(?:a|an|some|any|my|your|our|his|her|their|the)\b)(?:[\w'\u2019]+\s+){1,6}?by\s+\w)"
)

__all__ = ["KIND", "NAMED", "QUOTED", "QUOTED_RE", "TITLED", "WORK"]
