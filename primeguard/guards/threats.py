"""Is this text a threat, or a call for violence?  The heads miss the veiled ones.

The heads learnt violence from words of violence.  A threat often has none:
"it would be a shame if something happened to your kids", "I know your gym
schedule", "look out your window".  On 60 threats written by a helper the heads
called 18 safe (README).  This rule reads three shapes, each `unsafe` under
`violence` by default:

- **a threat to the reader**: a consequence for "you" ("you're going to
  regret that", "watch your back", "won't walk out alive"), knowledge of where
  they live or go ("I know where you live", "I know your schedule", "I'm parked
  outside"), a veiled "shame if something happened to ...";
- **a call to hurt someone**: "someone should end Mark", "let's go beat up
  ...", "we should gas them", "should be put down like a dog", "hunt down the
  jurors";
- **praise of a massacre**: "the shooter did nothing wrong", "time to do it
  again", "beat their score", "deserved what they got".

Reported speech and condemnation ("anyone who says X should be shot is
spreading hate"), questions about what to do with a threat received, news, games,
sport and hyperbole ("my mom is going to kill me") are left alone.
"""

from __future__ import annotations

import re

from primeguard.guards.rule_text import MAX_CHARS, SENTENCE, bounded, mentions

#: Names the rule in the guard's version: change it when the rule changes.
RULE = "threats/2"

_I = re.IGNORECASE
_HARM = (
    r"(?:kill|end|shoot|stab|torch|burn|gas|hang|lynch|beat(?:\s+up)?|jump|hunt(?:\s+down)?"
    r"|exterminate|wipe\s+out|put\s+down|get\s+rid\s+of|take\s+out|run\s+over|bomb|murder"
    r"|slaughter|behead|cut|strangle|choke|poison|rape|break\s+(?:his|her|their)\s+\w+|smash"
    r"|firebomb|shoot\s+up|light\s+up|blow\s+up|finish\s+off|deal\s+with|teach\s+\w+\s+a\s+lesson)"
)
_HARMED = (
    r"(?:killed|ended|shot|stabbed|torched|burned|burnt|gassed|hanged|hung|lynched|beaten"
    r"|hunted(?:\s+down)?|exterminated|wiped\s+out|put\s+down|taken\s+out|run\s+over|bombed"
    r"|murdered|slaughtered|beheaded|strangled|poisoned|raped|purged|eradicated|eliminated"
    r"|put\s+(?:in|into)\s+(?:camps|ovens|gas\s+chambers)|lined\s+up|executed|sterili[sz]ed)"
)
# What a writer threatens to do: verbs of injury, not of sport ("destroy", "beat" a team).
_INTENT = (
    r"(?:kill|murder|shoot|stab|slit|strangle|choke|punch|knock\s+(?:his|her|your|ur)\s+teeth"
    r"|break\s+(?:his|her|your|ur)\s+\w+|run\s+(?:you|him|her|them)\s+over|burn\s+(?:down|it|you"
    r"|him|her|them)|torch|bomb|blow\s+up|shoot\s+up|throw\s+acid|beat\s+(?:you|him|her|them)"
    r"|hurt\s+(?:you|him|her|them)|put\s+a\s+bullet|slash|rape)\b"
)
_INTENT_ING = (
    r"(?:stabbing|shooting|killing|strangling|bombing|torching)\s+(?:you|him|her|them|everyone)"
)
_THREAT = re.compile(
    # a consequence for the reader
    r"\byou(?:'re|\s+are|'ll|\s+will)?\s+(?:going\s+to|gonna|about\s+to|gon)\s+(?:regret|pay"
    r"|die|bleed|get\s+(?:hurt|yours|what's\s+coming)|be\s+sorry|wish\s+you|find\s+out)"
    r"|\bwatch\s+your\s+(?:back|step|kids|family)|\bsleep\s+with\s+one\s+eye\s+open"
    r"|\byour\s+days\s+are\s+numbered|\b(?:won't|will\s+not|wont)\s+(?:walk|make\s+it|get)"
    r"\s+out\s+(?:of\s+(?:\w+\s+){1,3})?alive|\byou(?:'ll|\s+will)\s+never\s+see\s+(?:it|me)\s+coming"
    r"|\b(?:i|we)(?:'ll|\s+will|'m\s+going\s+to|\s+am\s+going\s+to|\s+gonna)\s+(?:find|hunt"
    r"(?:\s+down)?|get|come\s+for|end|kill|hurt)\s+you\b(?!\s+(?:a|an|some|the|one|two|to|with"
    r"|something|anything|\w+ing)\b)|\bmake\s+(?:you|him|her)\s+(?:pay|suffer|bleed|disappear)"
    r"|\bmake\s+sure\s+(?:you|he|she|they)\s+never\s+(?:\w+\s+)?again"
    r"|\b(?:ur|you(?:'re|\s+are|re)?)\s+dead(?:\s+meat)?\b|\bwhat'?s\s+coming\s+to\s+(?:you|him|her)"
    r"|\bsee\s+what\s+happens\b|\b(?:i've|i\s+have|we've)\s+got\s+(?:your|ur)\s+(?:home\s+)?address"
    r"|\b(?:leak|post\w*|publish)\s+(?:your|ur|his|her)\s+(?:home\s+)?address"
    r"|\b(?:send|sending)\s+people\s+to\s+(?:visit|your|his|her)|\bshow\s+up\s+at\s+(?:his|her|your|their)"
    r"\s+(?:door|house|home)|\bswat(?:ting|ted)?\s+(?:you|him|her|them|that|this|the|ur|your)"
    r"|\bfake\s+hostage|\bput\s+(?:you|him|her)\s+in\s+the\s+hospital"
    rf"|\b(?:i'm|im|i\s+am)\s+{_INTENT_ING}|^\W*(?:gonna|going\s+to|finna)\s+{_INTENT}"
    r"|\b(?:is|are)\s+(?:going\s+to|gonna)\s+pay\b"
    r"|\bbring\w*\s+(?:a|my|\w+'s)\s+(?:\w+'s\s+)?(?:gun|rifle|knife|bomb)\s+to\s+(?:school|work|class)"
    # knowing where the reader is
    r"|\b(?:i|we)\s+know\s+where\s+(?:you|your\s+\w+)\s+(?:live|lives|work|works|sleep|sleeps"
    r"|park|go|goes|study|hang\s+out)|\b(?:i|we)\s+know\s+(?:your|ur)\s+(?:address|schedule"
    r"|gym\s+schedule|route|car|plate|kids|daughter|son|wife|husband|school|routine)"
    r"|\b(?:i'm|i\s+am|we're)\s+(?:parked|waiting|standing)\s+(?:outside|across|near|by)"
    r"|\blook\s+out\s+(?:your|the)\s+window|\bfriends\s+who\s+know\s+(?:where|what|your)"
    # the veiled "shame"
    r"|\b(?:shame|pity)\s+if\s+(?:something|anything)\s+(?:happened|were\s+to\s+happen)"
    r"|\bbe\s+a\s+(?:shame|pity)(?:\s+if\b|\s*[.!]|\s*$|,?\s+wouldn'?t\s+it)|\b(?:would|'d)\s+hate\s+for\s+(?:your|you|something|anything)"
    r"|\bnice\s+(?:little\s+)?(?:family|house|car|life)\s+you\s+(?:got|have)",
    _I,
)
# Who is to be hurt: a pronoun, a name, everyone of a kind, someone by role.
_PERSON = (
    r"him|her|them|every(?:one|body)|every\s+\w+|all\s+(?:the\s+)?\w+|(?-i:[A-Z][a-z]+)"
    r"|(?:that|the|this)\s+(?:\w+\s+)?(?:guy|girl|kid|teacher|cop|ref|mayor|reporter|streamer|nerd"
    r"|bitch|bastard|man|woman|boy|dude)"
)
# First person, intent to hurt ("I'm going to wait outside your work and beat you"): the
# verb found first, then the writer's "I'm going to" looked for in the 80 characters before.
_INTENT_VERB = re.compile(rf"\b{_INTENT}", _I)
_WRITER_BEFORE = re.compile(
    r"\b(?:i|we|im|i'm|ill|i'll|we'll|we're)\b[^.?!]{0,40}?\b(?:going\s+to|gonna|will|'ll|ill"
    r"|am|'m)\b[^.?!]{0,30}?$",
    _I,
)
# "I'm going to kill this presentation": what is killed is a task, not a person.
_HYPERBOLE = re.compile(
    r"\s+(?:it\b|(?:this|that|the|my|our)\s+(?:\w+\s+)?(?:exam|test|presentation|interview|game"
    r"|set|show|gig|audition|workout|competition|round|boss|level|speech|performance|song|solo"
    r"|pitch|essay|project|deadline|match|race|run|dance))",
    _I,
)
_CALL = re.compile(
    rf"\b(?:someone|somebody|anyone|we|y'?all|you\s+guys|people|everyone|let'?s(?:\s+go)?"
    rf"|time\s+to|gotta|i\s+(?:will|'ll|am\s+going\s+to|'m\s+gonna|'m\s+going\s+to))\s+"
    rf"(?:should\s+|need\s+to\s+|needs\s+to\s+|must\s+|ought\s+to\s+|gotta\s+|plz\s+|please\s+"
    rf"|have\s+to\s+|just\s+|go\s+|all\s+)*{_HARM}\b"
    rf"|\b(?:should|must|need\s+to|deserve\s+to|ought\s+to)\s+(?:all\s+)?be\s+{_HARMED}"
    rf"|\b(?:should|must|needs?\s+to)\s+(?:all\s+)?(?:be\s+)?(?:put\s+down|gassed)\s+like"
    r"|\bgas\s+them\b|\bhunt\s+(?:them|him|her)\s+down|\b(?:hunt|kill|take|pick|shoot)\s+(?:\w+\s+){1,3}?(?:down\s+|off\s+|out\s+)?one\s+by\s+one\b"
    rf"|(?:^|[.!?]\s+|\b(?:go|just|tell\s+(?:\w+\s+){{1,2}}to|and)\s+)(?:kill|shoot|stab|burn\s+down"
    rf"|beat\s+up|jump|punch|hit|break|hurt)\s+(?:{_PERSON})"
    r"|\bbreak\s+(?:his|her|their|your|ur)\s+(?:legs|arms|neck|jaw|face|knees|bones|fingers)"
    r"|\bput\s+a\s+bullet\s+in|\bgrab\s+your\s+(?:rifles|guns|weapons)|\bwith\s+them\s+inside"
    r"|\b(?:wipe|drive|burn)\s+them\s+out|\bshoot\s+on\s+sight|\b(?:rounded\s+up|thrown\s+to\s+the"
    r"\s+lions|driven\s+out)\b|\bdon'?t\s+deserve\s+to\s+live",
    _I,
)
_PRAISE = re.compile(
    r"\b(?:shooter|gunman|bomber|killer|attacker)s?\s+did\s+nothing\s+wrong"
    r"|\bdid\s+nothing\s+wrong\b.{0,40}\bpraise|\bpraise\s+(?:him|them|the\s+shooter)"
    r"|\btime\s+to\s+do\s+it\s+again|\bbeat\s+(?:their|his|the)\s+(?:score|record|body\s+count)"
    r"|\b(?:deserved|had\s+it\s+coming)\b.{0,40}\b(?:should\s+have\s+been\s+more|got)"
    r"|\bshould\s+have\s+been\s+more\s+of\s+them|\b(?:were|was)\s+(?:legends?|heroes|a\s+hero"
    r"|beautiful)\b.{0,60}\b(?:score|shooting|massacre|columbine|christchurch)"
    r"|\bhero\b.{0,40}\bmore\s+like\s+(?:him|them)|\bwe\s+need\s+more\s+like\s+(?:him|them)"
    r"|\b(?:columbine|christchurch|utoya|srebrenica|sandy\s+hook)\b.{0,40}\b(?:beautiful"
    r"|legends?|heroes|again|did\s+nothing\s+wrong)",
    _I,
)
# Reported, condemned, asked about, played: not a threat from the writer.
_NOT = re.compile(
    r"\b(?:(?:he|she|they|someone|somebody|people|anyone|who|guy|man|woman)\s+(?:says?|said"
    r"|saying|wrote|posted|tweeted|chant\w*|messaged|texted)|told\s+me|sent\s+me|threatened\s+(?:me"
    r"|us|my)|condemn\w*|disgusting|unacceptable|what\s+should\s+i\s+do|how\s+do\s+i|how\s+can\s+i"
    r"|(?:call|called|calling|tell|told|contact\w*)\s+the\s+(?:police|cops)|is\s+this\s+a\s+threat"
    r"|got\s+a\s+(?:message|dm|text)|i\s+reported|report(?:ed)?\s+(?:it|this|him|her|them)\b"
    r"|in\s+(?:the\s+)?(?:game|match|final|tournament|playoffs)|on\s+the\s+(?:court|field|pitch)"
    r"|boss|level|raid|quest|movie|film|novel|book|episode|character|villain|plot|lyrics|song"
    r"|history|historians?|in\s+\d{4}|news|according\s+to|mosquito\w*|weeds?|bugs?|pests?|rats?"
    r"|mice|cockroach\w*|wasps?|ants|termites|eggs|process(?:es)?|server|bug\b|thread|task|cron"
    r"|pid|terminal|vibe|it\s+on\s+stage)\b",
    _I,
)
# Every shape needs one of these: plain substring look-ups let most texts go at once.
_NOUNS = (
    "kill", "murder", "shoot", "stab", "slit", "strangl", "choke", "punch", "teeth", "break",
    "run ", "burn", "torch", "bomb", "blow", "acid", "beat", "hurt", "bullet", "slash", "rape",
    "gas", "hunt", "dead", "pay", "regret", "die", "bleed", "sorry", "watch your", "eye open",
    "numbered", "alive", "coming", "know where", "know your", "know ur", "parked", "waiting",
    "standing", "window", "shame", "pity", "hate for", "nice little", "you got", "you have",
    "swat", "address", "hostage", "hospital", "door", "hero", "legend", "score", "nothing wrong",
    "praise", "deserv", "again", "rifle", "gun", "knife", "lions", "driven", "rounded", "wipe",
    "inside", "jump", "hit", "end ", "get rid", "take out", "put down", "finish", "deal with",
    "lesson", "happens", "make sure", "people to", "show up", "more like", "execut", "purge",
    "eliminat", "eradicat", "camps", "lined up", "sterili", "behead", "poison", "smash", "cut",
    "light up", "exterminat", "lynch", "hang", "slaughter", "find", "come for",
)  # fmt: skip


def threat(text: str) -> bool:
    """True when some sentence of `text` threatens, calls for violence or praises a massacre."""
    text = bounded(text)
    if not mentions(text, _NOUNS) or _NOT.search(text):
        return False
    units = [text] if len(text) <= 300 else SENTENCE.findall(text)
    return any(
        _THREAT.search(unit) or _CALL.search(unit) or _PRAISE.search(unit) or _intends(unit)
        for unit in units
    )


def _intends(unit: str) -> bool:
    return any(
        _WRITER_BEFORE.search(unit, max(0, m.start() - 80), m.start())
        and not _HYPERBOLE.match(unit, m.end())
        for m in _INTENT_VERB.finditer(unit)
    )


__all__ = ["MAX_CHARS", "RULE", "threat"]
