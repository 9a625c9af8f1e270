"""What a request offers the model besides its messages: tools, answer schemas, constraints.

A tool's description and a JSON schema's field descriptions are instructions
the model follows as surely as a message: "fill in `steps`: every step to make
the device, with quantities" asks for the answer with a harmless-looking user
turn beside it.  So the judge reads them too, as one line per definition
(canonical JSON, key order ignored), ahead of the conversation.

The guard classifiers do not: a tool list is the developer's wiring, and a
classifier trained on prompts flags benign tools ("transfer money between
accounts") out of context.  What a tool call then carries in the answer is
checked by the output guard like text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from primeguard.errors import InvalidRequest

#: Top-level fields that constrain or seed the answer, beside `tools`/`functions` and a
#: `response_format` with a schema: vLLM's guided decoding and structured outputs,
#: llama.cpp's grammar and schema, OpenAI's predicted output.  Forwarded untouched, so read.
CONSTRAINTS = (
    "guided_json",
    "guided_regex",
    "guided_choice",
    "guided_grammar",
    "structured_outputs",
    "grammar",
    "json_schema",
    "prediction",
)


def offered_text(raw: Mapping[str, Any]) -> str:
    """One line per tool or function definition, per answer format that carries more than its
    type, and per answer constraint ("" when the request offers none)."""
    lines: list[str] = []
    for field, label in (("tools", "tool"), ("functions", "function")):
        definitions = raw.get(field)
        if isinstance(definitions, list):
            lines += [f"{label} {_canonical(d)}" for d in definitions]
    answer = raw.get("response_format")
    if isinstance(answer, Mapping) and set(answer) - {"type"}:  # a schema, under any type
        lines.append(f"response format {_canonical(answer)}")
    lines += [
        f"{field} {_canonical(raw[field])}" for field in CONSTRAINTS if raw.get(field) is not None
    ]
    return "\n".join(lines)


def _canonical(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except RecursionError:  # read_json bounds nesting; this keeps a client's body a 400 anyway
        raise InvalidRequest("The JSON body of your request is nested too deeply.") from None
