"""Span and attribute names, as constants so that a typo cannot split a series.

GenAI semantic-convention names are used where one exists (see
https://opentelemetry.io/docs/specs/semconv/gen-ai/); everything PrimeGuard
specific lives under `primeguard.*`.  No attribute here may carry prompt or
completion text; the only content attributes are produced by
`tracing.content_attributes`, which is off unless explicitly enabled.
"""

from __future__ import annotations

from typing import Final

# --- span names -----------------------------------------------------------
SPAN_REQUEST: Final = "primeguard.request"
SPAN_MASKING: Final = "primeguard.masking"
SPAN_CACHE_LOOKUP: Final = "primeguard.cache.lookup"
SPAN_INPUT_GUARD: Final = "primeguard.input_guard"
SPAN_ROUTE_SELECTION: Final = "primeguard.route_selection"
SPAN_REEVALUATION: Final = "primeguard.reevaluation"
SPAN_UPSTREAM: Final = "primeguard.upstream"
SPAN_OUTPUT_GUARD_WINDOW: Final = "primeguard.output_guard.window"
SPAN_STREAM_CUT: Final = "primeguard.stream.cut"

# --- GenAI semantic conventions -------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"  # "chat"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
# Opt-in content, only ever set through `content_attributes`.
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"

# --- PrimeGuard -------------------------------------------------------------
PRIMEGUARD_ROUTE: Final = "primeguard.route"  # Route value
PRIMEGUARD_ROUTE_SOURCE: Final = "primeguard.route.source"  # DecisionSource value
PRIMEGUARD_TENANT: Final = "primeguard.tenant"
PRIMEGUARD_CACHE_HIT: Final = "primeguard.cache.hit"
PRIMEGUARD_MASKED: Final = "primeguard.masked"  # the request held something masking replaced
PRIMEGUARD_GUARD_NAME: Final = "primeguard.guard.name"
PRIMEGUARD_GUARD_VERDICT: Final = "primeguard.guard.verdict"  # Verdict value
PRIMEGUARD_GUARD_CATEGORIES: Final = "primeguard.guard.categories"  # list of Category values
PRIMEGUARD_GUARD_REASONS: Final = "primeguard.guard.reasons"  # a rule's fixed words, never text
PRIMEGUARD_STREAM_WINDOW: Final = "primeguard.stream.window"  # window index
PRIMEGUARD_WINDOW_RISK: Final = "primeguard.window.risk"  # float, or the trajectory as a list
PRIMEGUARD_SHADOW: Final = "primeguard.shadow"
PRIMEGUARD_REQUEST_ID: Final = "primeguard.request_id"
PRIMEGUARD_SPECULATIVE: Final = "primeguard.speculative"
PRIMEGUARD_CANCELLED: Final = "primeguard.cancelled"  # the client went away mid-span
