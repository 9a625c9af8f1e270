"""A cascade's definition checked against the others: its stages exist, differ, are no
cascades, and fit its timeout."""

from __future__ import annotations

from collections.abc import Mapping

from primeguard.guards.definitions import CascadeDefinition, GuardDefinition


def stages_timeout(cascade: CascadeDefinition, definitions: Mapping[str, GuardDefinition]) -> float:
    """Both stages' timeouts added: the least a cascade's own timeout may be, and its default."""
    return definitions[cascade.first].timeout_s + definitions[cascade.then].timeout_s


def check_cascade(
    name: str, cascade: CascadeDefinition, definitions: Mapping[str, GuardDefinition]
) -> None:
    if cascade.first == cascade.then:
        raise ValueError(f"definitions.{name}: first and then name the same guard")
    if cascade.timeout_s and cascade.first in definitions and cascade.then in definitions:
        least = stages_timeout(cascade, definitions)
        if cascade.timeout_s < least:
            raise ValueError(
                f"definitions.{name}.timeout_s: {cascade.timeout_s} s would cut off stages that may"
                f" take {least} s together (leave it out to get their sum)"
            )
    for key in ("first", "then"):
        member = getattr(cascade, key)
        if member not in definitions:
            raise ValueError(
                f"definitions.{name}.{key}: guard {member!r} has no entry in definitions"
            )
        if isinstance(definitions[member], CascadeDefinition):
            raise ValueError(  # noqa: TRY004 (pydantic turns ValueError into a config error)
                f"definitions.{name}.{key}: a cascade's stages cannot be cascades"
            )
