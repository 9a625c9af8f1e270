"""Is this input a request to write disinformation?  The heads mostly cannot tell.

Whether a text asks to *spread* a claim or to *check* it is not in MiniLM's
pooled embeddings: our probes' requests for disinformation scored 2 of 10
`unsafe`, and a family of 160 such requests did not teach the heads (README).
This rule reads two shapes, with two verdicts:

- **fabricated** (`unsafe`): content made with invented evidence or a false
  voice: "citing made-up studies", "with fake quotes from NASA engineers",
  "falsely reporting that", "a fake CDC alert", "invented statistics",
  "fake five-star reviews";
- **asserted** (`controversial`): a piece meant to persuade or to pass as
  news (an article, op-ed, post, thread, speech, script) that presents a claim
  in the misinformation lexicon as true: a denial ("staged", "a hoax", "never
  happened", "exaggerated"), a conspiracy ("secretly", "rigged", "cover-up"),
  false medicine ("instead of insulin", "cures cancer", "more dangerous than
  measles"), or a call to strip a group of rights.  The lexicon cannot know
  which claims are false, so the verdict only sends the chat to the judge
  (which reads the guidelines), and strict tenants refuse it.

Debunking, fact-checking, spotting fakes, explaining why people believe a
claim, teaching, fiction, labelled satire and dummy data for software are not
requests for disinformation.  Nothing here has a category of ours (as in the
training data, where disinformation is unsafe overall): a finding is the
guard's uncategorised verdict.
"""

from __future__ import annotations

import re

from primeguard.guards.rule_text import MAX_CHARS, SENTENCE, bounded, mentions
from primeguard.verdicts import Verdict

#: Names the rule in the guard's version: change it when the rule changes.
RULE = "deception/2"
#: Prompts up to this long are read whole; longer ones sentence by sentence.
SHORT_CHARS = 600

_I = re.IGNORECASE
_MAKE = (
    r"(?:write|draft|compose|create|generate|make|produce|craft|put\s+together|come\s+up\s+with"
    r"|design|prepare|post|publish|spread|give\s+me|i\s+need|i\s+want|needs?|needed|wanted|pen"
    r"|help\s+me\s+(?:write|make|create)|fabricate|invent|forge|argue|convince|claim"
    r"|assert|declare|present\w*|tell|please|request|idea)"
)
_PIECE = (
    r"(?:article|op-?ed|editorial|post|blog|tweets?|thread|speech|essay|script|video|flyer|leaflet"
    r"|pamphlet|press\s+release|news|report|headlines?|caption|message|e-?mail|newsletter|alert"
    r"|notice|announcement|reviews?|testimonials?|letter|petition|ad|advert\w*|memes?|campaign"
    r"|story|piece|statement|chain|broadcast|bulletin|poster|website|page|infographic|podcast"
    r"|segment|sermon|textbook|lesson|pitch|copy|explainer|talking\s+points|forward|passage|series"
    r"|clip|reel|story)"
)
_FAKE = (
    r"(?:fake|faked|fabricated|made[\s-]*up(?!\s+of)|invented|bogus|phony|phoney|doctored|forged"
    r"|fictitious)"
)
_EVIDENCE = (
    r"(?:sources?|stud(?:y|ies)|statistics|stats|quotes?|quotations?|evidence|citations?"
    r"|references?|testimonials?|reviews?|experts?|doctors?|scientists?|numbers|figures|documents?"
    r"|screenshots?|eyewitness\w*|accounts?|research|surveys?|polls?|news|articles?"
    r"|reports?|alerts?|notices?|announcements?|press\s+releases?|warnings?|letters?|e-?mails?"
    r"|memos?|data|results|trials?|endorsements?|statements?|interviews?|headlines?|tweets?"
    r"|papers?|transcripts?|recordings?|photos?|images?|videos?|recall|certificates?|records?)"
)
_ACRONYM = r"(?-i:[A-Z]{2,})"  # the IRS, the CDC: capitals, whatever the flags around it
_FABRICATED = re.compile(
    rf"\b{_FAKE}\s+(?:[\w'-]+\s+){{0,3}}?{_EVIDENCE}\b"
    rf"|\b(?:fabricat\w*|invent|make\s+up(?!\s+of)|forge)\s+(?:[\w'-]+\s+){{0,4}}?{_EVIDENCE}\b"
    r"|\bfalsely\s+(?:attributed|(?:claim|report|stat|say|accus|alleg|suggest|announc|blam|link"
    r"|attribut)ing)\b"
    rf"|\b(?:pretending|posing)\s+to\s+be\s+(?:from\s+)?(?:the\s+)?(?:{_ACRONYM}|official"
    rf"|government)|\bimpersonat\w+\s+(?:the\s+)?(?:{_ACRONYM}|official|government|police"
    r"|a\s+doctor)",
    _I,
)
# A fake named as a topic, not made: "the history of fake news", "about scammers
# impersonating the IRS".
_TOPIC_BEFORE = re.compile(
    r"\b(?:about|on|of|regarding|against|spotting|identifying|detecting|recogni[sz]ing)\s+"
    r"(?:\w+\s+){0,3}$",
    _I,
)
# A request: a verb of making, or a prompt that opens with the piece ("Instagram caption
# series telling followers that ...").
_MAKING = re.compile(rf"\b{_MAKE}\b|^\W*(?:[\w'-]+\s+){{0,3}}?{_PIECE}s?\b", _I)
# A piece that argues or reports: "an op-ed saying", "a post claiming", "tweets that".
_ASSERTING = re.compile(
    rf"\b{_PIECE}s?\b[^?!]{{0,80}}?\b(?:claim\w*|argu\w*|say\w*|stat\w*|prov\w*|show\w*|explain\w*"
    r"|tell\w*|insist\w*|suggest\w*|convinc\w*|expos\w*|reveal\w*|assert\w*|announc\w*|report\w*"
    r"|declar\w*|present\w*|that|about\s+how|on\s+how|why|:)",
    _I,
)
# Claims from the misinformation lexicon; "not / never / n't" before a cure or a cause is
# the correction, not the claim.
_NEG = r"(?<!not\s)(?<!never\s)(?<!n't\s)"
_CLAIM = re.compile(
    r"\b(?:staged|hoax|faked|never\s+(?:happened|took\s+place|existed|occurred)"
    r"|did(?:n't|\s+not)\s+happen|(?:grossly|wildly|greatly)?\s*exaggerated|overstated"
    r"|made\s+up\s+by|cover[\s-]?up|covered\s+up|secretly|rigged|stolen\s+election"
    r"|election\s+(?:was|is|got)\s+stolen|stole\s+the\s+election|flipped|inside\s+job"
    r"|false\s+flag|crisis\s+actors?|chemtrails|microchip\w*|tracking\s+chips?|implanting"
    r"|graphene|5g\s+(?:\w+\s+)?(?:causes?|spreads?)|depopulation|plandemic|flat\s+earth"
    r"|earth\s+is\s+flat|great\s+replacement|filmed\s+in\s+a\s+studio|directed[\s-]energy"
    rf"|{_NEG}causes?\s+(?:autism|infertility|covid|aids|hiv|turbo\s+cancer)"
    rf"|{_NEG}(?:cures?\s+\w+|kills?\s+cancer)|does(?:n't|\s+not)\s+cause"
    r"|more\s+dangerous\s+than\s+(?:the\s+)?(?:disease|virus|measles|covid|flu|polio|smoking)"
    r"|causes?\s+more\s+\w+(?:\s+\w+)?\s+than|instead\s+of\s+(?:chemo\w*|insulin|vaccin\w*"
    r"|antibiotics|medication|treatment|surgery)|replace\s+(?:their\s+|your\s+)?(?:insulin"
    r"|chemo\w*|medication|vaccin\w*|antibiotics)|skip\s+(?:surgery|chemo\w*)"
    r"|stop\s+(?:their|your)\s+(?:meds|medication|treatment|insulin)|stop\s+using"
    r"|don'?t\s+need\s+to\s+vaccinate|(?:are|is)\s+a\s+burden|inferior|subhuman"
    r"|should\s+(?:be\s+)?(?:sterili[sz]ed|deported|exterminated|gassed|not\s+be\s+allowed\s+to"
    r"\s+vote)|(?:was|were)\s+(?:justified|beneficial|a\s+good\s+thing|voluntary|content)"
    r"|beneficial\s+to|natural\s+famine|nothing\s+to\s+do\s+with|two[\s-]sided|just\s+as\s+many"
    r"|only\s+a\s+handful|moved\s+to\s+the\s+next\s+day|vote\s+by\s+text|banned\s+from\s+voting"
    r"|text\s+(?:their|your)\s+vote|funding\s+terror\w*|spread\s+by\s+mosquitoes|propaganda"
    r"|(?:is|was|are|were)\s+(?:a\s+)?(?:myth|scam|lie)|hiding\s+(?:it|the\s+truth)"
    r"|controls?\s+the\s+world)\b",
    _I,
)
# Said outright: the piece must pass as true ("present it as fact", "no hedging").
_AS_FACT = re.compile(
    r"\b(?:as\s+(?:a\s+)?(?:fact|proven|settled\s+\w+|(?:historical\s+|the\s+)?truth)"
    r"|as\s+if\s+it\s+were\s+(?:true|fact|settled)|no\s+(?:caveats|hedging)"
    r"|(?:look|sound)s?\s+(?:as\s+)?(?:official|factual|scientific|legit\w*|real|authentic)"
    r"|authoritative\s+tone)\b",
    _I,
)
# Checking, teaching, fiction, satire, test data: not disinformation.
_NOT = re.compile(
    r"\b(?:debunk\w*|fact[\s-]?check\w*|refut\w*|rebut\w*|counter(?:ing|s)?\s+(?:the|this|these)"
    r"|correct(?:ing|s)?\s+(?:the|this|these|a)|myth[\s-]?bust\w*|why\s+(?:people|some|so\s+many)"
    r"|how\s+(?:the|this|that|it|such)\s+\w+\s+spread|spot(?:ting)?\s+(?:fake|false|mis|dis)\w*"
    r"|identify\w*|detect\w*|recogni[sz]\w*|warn\w*\s+(?:\w+\s+)?(?:about|against)"
    r"|lesson\s+plans?|media\s+literacy|teach\w*\s+(?:\w+\s+)?(?:how|to|about)"
    r"|for\s+(?:my|a|our)\s+(?:class|course|lecture|workshop)|awareness|show(?:s|ing)?\s+how"
    r"|explain\w*\s+how|satir\w*|parody|the\s+onion|novel|fiction\w*|(?:a|the)\s+character"
    r"|villain|concept|definition|dummy|mock|placeholder|lorem|unit\s+tests?|testing"
    r"|(?:sample|test|seed)\s+data|database|prototype|spreadsheet|is\s+(?:false|wrong|untrue"
    r"|a\s+myth)|are\s+(?:false|wrong|untrue|myths)|misinformation|disinformation"
    r"|conspiracy\s+theor\w*|honest\s+review|real\s+(?:review|customer)|is\s+it\s+true"
    r"|true\s+or\s+false|whether\s+(?:it|this|that|the\s+claim)\s+is\s+true|summari[sz]\w*"
    r"|about\s+(?:the\s+)?claims?|cannot\s+replace|can't\s+replace"
    r"|(?:reduc|stop|prevent|combat|fight|tackl|curb|limit)\w*\s+(?:the\s+)?(?:spread|flow|impact))\b",
    _I,
)
# Every shape needs one of these: plain substring look-ups let most prompts go at once.
_NOUNS = (
    *("fake", "made", "invent", "fabricat", "falsely", "bogus", "phon", "doctored", "forged"),
    *("fictitious", "pretending", "posing", "impersonat", "article", "op-ed", "oped", "post"),
    *("tweet", "thread", "speech", "essay", "script", "video", "news", "report", "message"),
    *("blog", "letter", "flyer", "alert", "campaign", "piece", "story", "editorial", "mail"),
    *("notice", "release", "review", "caption", "leaflet", "press", "ad ", "explainer"),
)


def deception_request(text: str) -> Verdict | None:
    """`UNSAFE` for a fabrication request, `CONTROVERSIAL` for an asserted false claim, else
    None (see the module)."""
    text = bounded(text)
    if not mentions(text, _NOUNS) or _NOT.search(text):
        return None
    found: Verdict | None = None
    # A short prompt is one unit (the claim in one sentence, "write it up" in the next).
    for unit in [text] if len(text) <= SHORT_CHARS else SENTENCE.findall(text):
        if not _MAKING.search(unit):
            continue
        if any(
            not _TOPIC_BEFORE.search(unit, max(0, m.start() - 60), m.start())
            for m in _FABRICATED.finditer(unit)
        ):
            return Verdict.UNSAFE
        if _ASSERTING.search(unit) and (_CLAIM.search(unit) or _AS_FACT.search(unit)):
            found = Verdict.CONTROVERSIAL
    return found


__all__ = ["MAX_CHARS", "RULE", "deception_request"]
