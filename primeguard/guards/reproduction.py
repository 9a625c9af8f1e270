"""Is this input a request to reproduce a work whole?  The heads cannot tell.

'Generate the lyrics of "Dancing Queen" by ABBA' and 'What is "Dancing Queen" by
ABBA about?' embed almost alike: the encoder sees a song and a band, not the
difference between quoting a work and talking about it.  The shipped heads
call both safe.  Llama Guard (S8, *Intellectual Property*) and Qwen3Guard
(*Copyright Violation*) count the first as a violation, and so does our
guidelines' rule 9.  `categories` maps both onto `illicit`; so does this rule.

A sentence is a reproduction request when it has one of three shapes:
- **named**: a verb that hands text over (generate, give, paste, print, type
  or write out, recite, "what are", "I need", never summarise, explain or
  translate), then the text (the lyrics, the words to, a long passage,
  chapter 3, the first three chapters, pages 50-100, the script, the full
  text of ...), then "of / from / to / for" and a named work: a quoted title,
  Title Case words, a possessive ("Adele's Hello") or "by" a name.  Also the
  verb with the work and "in full" or "all of" it;
- **scoped**: the lyrics, a script, transcript, chapters, pages or an article
  with a scope that means all of it ("the full lyrics", "pages ... word for
  word", "lyrics of x full song"), in a request (one of the verbs, or a bare
  "full lyrics to ..."): titles typed in lower case are caught this way;
- **continued**: "continue / keep going / fill in" for the whole song, the
  next pages, exactly as the book does.
Not a request: new writing ("write a script for my video", "lyrics for a song
about rain"), the user's own material (meeting transcripts, a PDF's full
text), what a work means, and short quotes ("the first verse of", "a line
from"): fair use, what people ask about songs all the time.  Public-domain
works cannot be told apart ("the lyrics of Happy Birthday"): they are flagged
too, and an operator who minds sets `reproduction: controversial` (the judge
decides) or `off`.  Measured figures are in the README.
"""

from __future__ import annotations

import re

from primeguard.guards.rule_text import MAX_CHARS, SENTENCE, bounded, mentions
from primeguard.guards.work_titles import QUOTED, QUOTED_RE, TITLED, WORK

#: Names the rule in the guard's version: change it when the rule changes.
RULE = "reproduction/5"

_I = re.IGNORECASE
_VERB = (
    r"(?:(?:generate|give|provide|print|paste|copy|reproduce|post|recite|type|show|output|share"
    r"|send|quote|display|sing|dump|echo|produce|recreate|return|transcribe)(?:s|es|ed|ing)?"
    r"|tell\s+(?:me|us)"
    r"|write\s+(?:out|down)|spit\s+out|spell\s+out|hand\s+over"
    r"|read\s+(?:me|us|aloud|out)|repl(?:y|ies)\s+(?:only\s+)?with|respond\s+(?:only\s+)?with"
    r"|what\s+(?:are|were)|what'?s|need|want|can\s+i\s+(?:get|have|see)|gimme)"
)
# Between the verb and the text: "me", "out", "for me", "please", "all of".
_FILLER = r"(?:\s+(?:me|us|out|down|for\s+me|please|here|verbatim|just|all|of|from\s+memory))*"
_WHOLE = r"(?:full|complete|entire|whole|long|lengthy|exact|unabridged|uncut|verbatim|original)"
_N = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|fifty|[ivxlc]+)"
_ORDINAL = rf"(?:first|opening|last|final|{_N}(?:st|nd|rd|th))"
# Parts of a work: "chapter 3", "the first three chapters", "pages 50-100".
_PARTS = (
    rf"chapter\s+{_N}",
    rf"the\s+(?:{_WHOLE}\s+)?{_ORDINAL}\s+chapter",
    rf"(?:the\s+)?(?:first\s+|last\s+|opening\s+|next\s+)?{_N}\s+(?:chapters|pages)",
    r"pages\s+\d+\s*(?:-|to|through|\u2013)\s*\d+",
)
_TEXTS = (
    *_PARTS,
    rf"(?:the\s+|all\s+(?:of\s+)?the\s+)?(?:{_WHOLE}\s+)?(?:\w+\s+)?lyrics",
    rf"the\s+(?:{_WHOLE}\s+)?words(?=\s+to\b)",
    rf"(?:a|the)\s+{_WHOLE}\s+(?:passage|excerpt|extract|section)",
    rf"(?:the\s+)?{_WHOLE}\s+passages",
    r"(?:every\s+line|all(?:\s+of)?\s+the\s+(?:lines|dialogue))(?:\s+of\s+dialogue)?",
    rf"the\s+(?:{_WHOLE}\s+)?(?:script|screenplay|transcript|libretto)",
    rf"the\s+(?:{_WHOLE}\s+)?text(?=\s+of\s+(?:the\s+)?(?:{_ORDINAL}\s+)?chapter)",
    rf"the\s+{_WHOLE}\s+(?:text|book|novel|story|poem|song|article|essay|speech|chapter)",
)
# "the full text of the first chapter of ...": the text of a part, then the work.
_TEXT = rf"(?:{'|'.join(_TEXTS)})(?:\s+(?:of|from)\s+(?:{'|'.join(_PARTS)}))?"
_REQUEST = re.compile(rf"\b{_VERB}{_FILLER}\s+{_TEXT}\s+(?:of|from|for|to|in)\s+", _I)
# The verb right before the work: "write out all of 'Mr. Brightside'", "reproduce the X script".
_VERB_ONLY = re.compile(rf"\b{_VERB}(?:\s+(?:me|us|out|down|all\s+of))*\s+", _I)

# After a work named straight after the verb: it is asked for whole.
_WHOLE_AFTER = re.compile(
    r"\s*,?\s*(?i:in\s+full|word[\s-]+for[\s-]+word|verbatim|every\s+(?:line|word|page)"
    r"|in\s+(?:its|their)\s+entirety|complete\s+and\s+unabridged"
    r"|(?:starting\s+)?from\s+(?:page\s+(?:1|one)\b|the\s+(?:beginning|first\s+page)))"
)
# "write out all of 'Mr. Brightside'", "reproduce the Star Wars script": the verb, the work.
_AROUND = re.compile(
    rf"(?i:\b{_VERB}(?:\s+(?:me|us|out|down))*\s+)(?:(?i:all\s+of)\s+{QUOTED}"
    rf"|[Tt]he\s+(?:{QUOTED}\s+(?i:script|screenplay|lyrics|transcript)"
    rf"|{TITLED}\s+(?i:screenplay|lyrics|transcript))\b)"
)

_SCOPED_NOUN = (
    r"(?:lyrics?(?:\s+sheets?)?|songs?|verses?|chorus|chapters?|pages|passages?|screenplay"
    r"|transcript|libretto|dialogue|poem|scenes?)"
)
_SCOPE_BEFORE = r"(?:full|complete|entire|whole|unabridged|uncut|verbatim|exact)"
_SCOPE_AFTER = (
    r"(?:word[\s-]+for[\s-]+word|verbatim|in\s+full|in\s+(?:its|their)\s+entirety|exactly"
    r"|exact\s+words|every\s+(?:line|verse|word|scene|page)|all\s+(?:of\s+)?(?:them|it)"
    r"|(?:the\s+)?(?:full|whole|entire|complete)\s+(?:song|thing|text|script|book|chapter|episode)"
    r"|all\s+(?:three|four|five|the)\s+verses|(?:from\s+)?start\s+to\s+(?:finish|end)"
    r"|beginning\s+to\s+end|nothing\s+left\s+out|complete\s+and\s+unabridged)"
)
# Words that may sit between a scope and its noun ("the full English lyrics", "the entire
# Purple Rain screenplay"), but not "of / for / about": "the full name of the song" is no text.
_GAP = r"(?:(?!(?:of|for|about|on|in|to|with|that|the|this|these|my|our|it)\b)[\w.'\u2019-]+\s+)"
# "this / my / the following": the user's own text, not a work.
_THEIRS = r"(?!(?:this|these|that|those|my|our|your|the\s+(?:following|code|above|below))\b)"
_SCOPED = re.compile(
    rf"\b{_SCOPE_BEFORE}\s+{_GAP}{{0,3}}?{_SCOPED_NOUN}\b"
    rf"|\b(?:{_SCOPED_NOUN}|words)\b.{{0,60}}?\b{_SCOPE_AFTER}"
    r"|\ball\s+(?:of\s+)?the\s+(?:lyrics|verses|lines|dialogue)\b"
    rf"|\bevery\s+(?:verse|line|word|page|scene)\s+(?:and\s+\w+\s+)?of\s+{_THEIRS}",
    _I,
)
# "the whole script", "the full article": a work only where the prompt names a film, a show or
# a paper ("refactor the whole script", "the full article from this outline" are the user's).
_SCOPED_MEDIA = re.compile(
    rf"\b{_SCOPE_BEFORE}\s+{_GAP}{{0,3}}?(?:script|article|essay|story|text)\b"
    rf"|\b(?:script|article|essay|story)\b.{{0,60}}?\b{_SCOPE_AFTER}",
    _I,
)
_MEDIA = re.compile(
    r"\b(?:episode|movie|film|show|season|series|s\d+e\d+|sitcom|musical|broadway|paywall"
    r"|newspaper|magazine|subscription|journal|times|economist|new\s+yorker|reuters|bloomberg"
    r"|atlantic|guardian|cover\s+story|novel|book|anthology|short\s+story|poem|poet)\b",
    _I,
)
# "write out the first 30 pages": a count of pages with a verb that hands text over.
_FIRST_PAGES = re.compile(
    rf"\b{_VERB}\b.{{0,40}}?\bfirst\s+(?:\d+|two|three|four|five|ten|twenty|thirty|fifty)"
    r"\s+(?:pages|chapters)\b",
    _I,
)
# A request: one of the verbs, a polite word, or a bare fragment with no subject or finite
# verb ("blinding lights the weeknd whole lyrics"); "I know the full lyrics" is not one.
_ASKING = re.compile(
    rf"\b(?:{_VERB}|write|get|please|pls|plz|thanks|thx|can\s+you|could\s+you|would\s+you"
    r"|i'd\s+like|go)\b",
    _I,
)
_STATING = re.compile(
    r"\b(?:i|we|he|she|they|is|are|was|were|am|have|has|had|do|does|did|how|why|when|where"
    r"|which)\b",
    _I,
)
# Going on with a work from where the user stops: "continue these lyrics for the whole song".
_CONTINUE = re.compile(
    r"\b(?:continue|keep\s+going|carry\s+on|go\s+on|fill\s+in)\b.{0,80}?(?:\b(?:the\s+)?"
    r"(?:whole|entire|rest\s+of\s+the|full)\s+(?:song|lyrics|chapter|book|novel|poem)"
    r"|\bevery\s+verse"
    r"|\buntil\s+(?:it|the\s+song|the\s+chapter)\s+ends|exactly\s+as\s+the\s+(?:book|song|author)"
    r"|\bfor\s+as\s+long\s+as\s+you\s+can|\bto\s+the\s+end\s+of\s+the\s+(?:song|chapter|book|poem))",
    _I,
)
# Not a reproduction: new writing, the user's own material, what a work means, the law.
_NEW_WRITING = re.compile(
    r"\b(?:write|compose|create|draft|make|come\s+up\s+with|brainstorm|help\s+me\s+(?:write|finish))"
    r"\b[^.]{0,40}?\b(?:a|an|some|new|my|our)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:song|script|screenplay|chapter|poem|story|lyrics|rap|verse|scene|episode|play|article"
    r"|essay|post|blog)s?\b"
    r"|\b(?:a|an|some)\s+(?:full|complete|whole|entire|new|original)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:song|poem|story|rap|chapter|script|screenplay|article)s?\b",
    _I,
)
_NEW_LYRICS = re.compile(
    r"\b(?:new|own|fresh|funny|parody|alternative|your)\s+(?:song\s+)?lyrics\b", _I
)
# Not a reproduction: what a work means, what the law says, a summary or an analysis.
_ABOUT = re.compile(
    r"\b(?:(?-i:mean|meaning|means)|symboli[sz]e|refer\s+to|legal|allowed|permission"
    r"|licensing|copyright\s+law|fair\s+use|how\s+many|summar\w*|explain\w*|analy[sz]\w*"
    r"|chords?|tabs|review|critique|themes?|describe|quiz\w*|flashcards?|study\s+guide"
    r"|proofread\w*|edit|rewrite|paraphrase|shorten|condense|fix|format|refactor|meeting|webinar"
    r"|voicemail|zoom|stand-?up\s+meeting|conference\s+call)\b|\babout\s*\?",
    _I,
)
# "no summarizing", "not a summary": a negated word says the opposite.
_NEGATED = re.compile(r"\b(?:no|not|without|don'?t|never)\s+(?:a\s+|any\s+)?\w+", _I)
# The user's own material: their meeting's transcript, their PDF's full text.
_OWN = re.compile(
    r"\b(?:song|story|chapter|script|book)\s+(?:I'm|I\s+am|we're|we\s+are)\s+writing\b"
    r"|\b(?:my|our|your)\s+(?:own\s+)?(?:\w+\s+){0,2}?(?:meeting|call|interview|lecture|notes"
    r"|document|pdf|file|email|video|podcast|class|draft|story|thesis|essay|paper|letter|report"
    r"|play|script|speech|poem|song)s?\b"
    r"|\b(?:a|the|this|that|my)\s+(?:pdf|document|file|email|web\s*page|website)\b",
    _I,
)
_SHORT = re.compile(
    r"\b(?:first|opening|last|closing|one|a|single|two|famous|best|favou?rite)\s+"
    r"(?:line|lines|verse|sentence|bar|bars|couplet|quote|quotation)\s+(?:of|from|in)\b",
    _I,
)
# Every shape needs one of these words: plain substring look-ups (~1 us, where the regexes
# cost 20-40 us) let most sentences go at once.
_NOUNS = (
    "lyric", "words", "passage", "excerpt", "extract", "section", "chapter", "page", "script",
    "screenplay", "libretto", "dialogue", "verse", "chorus", "scene", "text", "book", "novel",
    "story", "poem", "song", "article", "essay", "speech", "in full", "all of", "every line",
    "entirety", "start to finish",
)  # fmt: skip
# A second request in one sentence ("... and then explain them") is judged apart.
_THEN = re.compile(r",?\s+(?:and\s+then|and\s+also|after\s+that|then)\s+", _I)


def reproduction_request(text: str) -> bool:
    """True when some sentence of `text` asks for a work's text whole (see the module)."""
    text = bounded(text)
    if not mentions(text, _NOUNS):
        return False
    return any(_asks_for_a_copy(sentence, text) for sentence in _sentences(text))


def _asks_for_a_copy(sentence: str, text: str) -> bool:
    """`sentence` of `text` (the whole prompt names the film or paper a script is of)."""
    if not mentions(sentence, _NOUNS):
        return False
    if _ABOUT.search(_NEGATED.sub("", sentence)) or _NEW_LYRICS.search(sentence):
        return False
    # A named work asked for: the strong shapes.
    if not _SHORT.search(sentence):
        for match in _REQUEST.finditer(sentence):
            if WORK.match(sentence, match.end()):
                return True
    for match in _VERB_ONLY.finditer(sentence):
        work = WORK.match(sentence, match.end())
        if work is not None and _WHOLE_AFTER.match(sentence, work.end()):
            return True
    if _AROUND.search(sentence):
        return True
    # No work named: the scope or a continuation says it, unless it is the user's own.
    if _NEW_WRITING.search(sentence) or _OWN.search(sentence):
        return False
    if _FIRST_PAGES.search(sentence):
        return True
    if _SCOPED.search(sentence) or (_SCOPED_MEDIA.search(sentence) and _MEDIA.search(text)):
        unquoted = QUOTED_RE.sub(" ", sentence)  # a title's words are not the user's
        if _ASKING.search(unquoted) or not _STATING.search(unquoted):
            return True
    return bool(_CONTINUE.search(sentence))


def _sentences(text: str) -> list[str]:
    """Sentences, lines and "and then" clauses; a quoted title may hold a full stop or a
    question mark."""
    shielded = QUOTED_RE.sub(lambda m: m.group(0).replace(".", "\0").replace("?", "\1"), text)
    return [
        clause.replace("\0", ".").replace("\1", "?")
        for sentence in SENTENCE.findall(shielded)
        for clause in _THEN.split(sentence)
        if clause.strip()
    ]


__all__ = ["MAX_CHARS", "RULE", "reproduction_request"]
