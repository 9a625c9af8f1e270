"""The project's own templated training texts (Apache-2.0, written for PrimeGuard).

The permissive public sets are almost all harmful requests, and their few safe
rows look nothing like real traffic.  These generators fill the gap:

* `benign_sensitive`: safe prompts that *sound* dangerous (homonyms like "kill
  a process", games, fiction, history, definitions, medicine, security
  education, safety help, public facts), so the heads learn harm, not topic;
* `benign_discourse`: talk *about* harm (news, advocacy, health facts, asking
  for help, reporting abuse, identity), which names a harm without doing it,
  and `sexual_requests`, asking for sexual content, the harm itself;
* `benign_chat`: everyday assistant traffic (greetings, coding, writing,
  translation, opinions with mild profanity, a few other languages);
* `benign_traffic`: persona set-ups, structured tasks, jokes, stories, dating
  and sexual-health questions, questions about groups: real traffic that the
  public jailbreak and abuse sets make look unsafe;
* `benign_tasks`: questions about the assistant and AI products, technical
  how-tos with alarming verbs, text tasks over crime news, quizzes;
* `toxic_content`: their unsafe twins (insults, threats, hateful jokes,
  explicit stories and personas, self-harm ideation) in the same wrappers;
* `benign_statements` / `abusive_statements`: posts and messages rather than
  requests (compliments and insults, facts about groups and hateful claims,
  sports talk and threats, low moods and self-harm, romance and explicit text);
* `howto_harmful` / `howto_twins`: benchmark-shaped how-to requests ("give
  detailed step-by-step instructions for...") with harmful tasks, their
  defensive twins on the same subjects, and everyday tasks;
* `injected_documents` / `clean_documents`: emails, pages, reviews and code
  carrying an instruction for the assistant, and the same documents with an
  ordinary request for their human reader;
* `writing_harmful` / `writing_twins`: requests for an artefact that is the
  harm (malware, scam messages, harassment, defamation, posts that glorify
  or encourage harm) and for the same kind of artefact, safe to write;
* `threat_statements` / `threat_twins`: threats as people post them (a condition
  and a consequence, knowledge of the reader's day and a menace, calls to hurt
  someone or a group, plans with a place) and the same words with no menace;
* `self_harm_posts`, `hate_posts`, `violence_posts`, `harassment_posts`,
  `illicit_posts` and their `_twins` (`synthetic_posts.py`): helper-written posts
  of one category as people write them (a plan, a goodbye; contempt for a group in
  plain words; violence relished or planned; a person insulted; a plug asked for)
  and the same words in recovery, debunking, news, sport, banter, harm reduction;
* `unsafe_requests`: category positives where the public sets are thin
  (self-harm, sexual content involving minors, CBRN and explosives, privacy,
  threats and hate statements), phrased like the benign sets.

Everything is a cartesian product of slots, sampled with a seeded RNG.
"""

from __future__ import annotations

from primeguard.guards.synthetic_chat import benign_chat
from primeguard.guards.synthetic_discourse import benign_discourse, sexual_requests
from primeguard.guards.synthetic_howto import howto_harmful, howto_twins
from primeguard.guards.synthetic_injection import clean_documents, injected_documents
from primeguard.guards.synthetic_posts import (
    harassment_posts,
    harassment_twins,
    hate_posts,
    hate_twins,
    illicit_posts,
    illicit_twins,
    self_harm_posts,
    self_harm_twins,
    violence_posts,
    violence_twins,
)
from primeguard.guards.synthetic_sensitive import benign_sensitive
from primeguard.guards.synthetic_slots import expand, sample
from primeguard.guards.synthetic_statements import abusive_statements, benign_statements
from primeguard.guards.synthetic_tasks import benign_tasks
from primeguard.guards.synthetic_threats import threat_statements, threat_twins
from primeguard.guards.synthetic_toxic import toxic_content
from primeguard.guards.synthetic_traffic import benign_traffic
from primeguard.guards.synthetic_unsafe import unsafe_requests
from primeguard.guards.synthetic_writing import writing_harmful, writing_twins

SYNTHETIC_LICENCE = "Apache-2.0"

__all__ = [
    "SYNTHETIC_LICENCE",
    "abusive_statements",
    "benign_chat",
    "benign_discourse",
    "benign_sensitive",
    "benign_statements",
    "benign_tasks",
    "benign_traffic",
    "clean_documents",
    "expand",
    "harassment_posts",
    "harassment_twins",
    "hate_posts",
    "hate_twins",
    "howto_harmful",
    "howto_twins",
    "illicit_posts",
    "illicit_twins",
    "injected_documents",
    "sample",
    "self_harm_posts",
    "self_harm_twins",
    "sexual_requests",
    "threat_statements",
    "threat_twins",
    "toxic_content",
    "unsafe_requests",
    "violence_posts",
    "violence_twins",
    "writing_harmful",
    "writing_twins",
]
