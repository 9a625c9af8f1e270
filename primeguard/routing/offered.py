"""What a request offers the model besides its messages: tools and an answer schema.

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


def offered_text(raw: Mapping[str, Any]) -> str:
    """`tools`, the older `functions` and a `json_schema` response format, one line each
    ("" when the request offers none)."""
    lines: list[str] = []
    for field, label in (("tools", "tool"), ("functions", "function")):
        definitions = raw.get(field)
        if isinstance(definitions, list):
            lines += [f"{label} {_canonical(d)}" for d in definitions]
    answer = raw.get("response_format")
    if isinstance(answer, Mapping) and answer.get("type") == "json_schema":
        lines.append(f"response format {_canonical(answer.get('json_schema'))}")
    return "\n".join(lines)


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
