"""Tenants and their policies: who is calling, and which rules apply.

API keys exist here only as SHA-256 digests (hashed while the config was read);
a presented key is hashed and compared with `secrets.compare_digest` against
every digest, so the lookup time does not depend on where a match is.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from primeguard.config import Settings, TenantSettings
from primeguard.errors import AdminDisabled, AuthenticationFailed, ConfigError
from primeguard.guards.protocol import Guard, Masker
from primeguard.guards.settings import ThresholdPair
from primeguard.guards.tenant import TenantThresholds, overrides_digest, parse_overrides
from primeguard.guards.thresholds import Tolerance
from primeguard.routing.templates import GuidelineSet, RouteTemplates
from primeguard.verdicts import Category

DEFAULT_TENANT = "default"


@dataclass(frozen=True)
class GuardSelection:
    """The built guards by name, and which run when a tenant names none.

    Names are checked against `guards.definitions` once, by the wiring, before this is built.
    """

    inputs: Mapping[str, Guard] = field(default_factory=dict)
    outputs: Mapping[str, Guard] = field(default_factory=dict)
    default_input: tuple[str, ...] = ()
    default_output: tuple[str, ...] = ()
    #: Input guards that also mask what they find before anything reads the request.
    maskers: Mapping[str, Masker] = field(default_factory=dict)

    def pick(self, names: tuple[str, ...] | None, default: tuple[str, ...], side: str) -> tuple[Guard, ...]:
        chosen = default if names is None else names
        pool = self.inputs if side == "input" else self.outputs
        return tuple(pool[n] for n in chosen)

    def maskers_for(self, names: tuple[str, ...] | None) -> tuple[Masker, ...]:
        """The maskers among these input guards (the default ones when None)."""
        chosen = self.default_input if names is None else names
        return tuple(self.maskers[n] for n in chosen if n in self.maskers)


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything the pipeline needs to know about the caller."""

    tenant: str
    guidelines: GuidelineSet
    refusal: str
    explain: bool = False
    shadow: bool = False
    rate_limit_rpm: int | None = None
    tolerance: Tolerance = Tolerance.DEFAULT
    capture_content: bool = False
    input_guards: tuple[Guard, ...] = ()
    output_guards: tuple[Guard, ...] = ()
    maskers: tuple[Masker, ...] = ()  # run on the request before the decision
    thresholds: Mapping[Category, ThresholdPair] = field(default_factory=dict)
    #: Everything in the policy a cached decision depends on: guideline-set version, tolerance,
    #: the digest of the tenant's thresholds ('' without any) and its input guards' names (their
    #: versions are in the key already).  Part of the cache key.
    decision_version: str = ""


class PolicyBook:
    """Maps API keys to tenants and tenants to policies; validated at start-up."""

    def __init__(self, settings: Settings, templates: RouteTemplates, guidelines: Mapping[str, GuidelineSet],
                 default_tolerance: Tolerance = Tolerance.DEFAULT, guards: GuardSelection | None = None) -> None:
        self._auth = settings.auth_enabled
        self._by_digest: list[tuple[str, Policy]] = []
        self._policies: dict[str, Policy] = {}
        tenants = settings.tenants or (TenantSettings(name=DEFAULT_TENANT),)
        for i, tenant in enumerate(tenants):
            if tenant.guidelines not in guidelines:
                raise ConfigError(
                    f"tenants[{i}].guidelines: unknown guideline set '{tenant.guidelines}' "
                    f"(have: {', '.join(sorted(guidelines))})"
                )
            overrides = parse_overrides(tenant.thresholds, f"tenants[{i}].thresholds")
            # No selection (check-config): policies without guards; their names were checked already.
            inputs = guards.pick(tenant.input_guards, guards.default_input, "input") if guards else ()
            maskers = guards.maskers_for(tenant.input_guards) if guards else ()
            outputs = guards.pick(tenant.output_guards, guards.default_output, "output") if guards else ()
            if overrides:
                inputs = tuple(TenantThresholds(g, overrides) for g in inputs)
                outputs = tuple(TenantThresholds(g, overrides) for g in outputs)
            guideline_set = guidelines[tenant.guidelines]
            tolerance = Tolerance(tenant.tolerance) if tenant.tolerance else default_tolerance
            policy = Policy(
                tenant=tenant.name,
                guidelines=guideline_set,
                refusal=tenant.refusal or templates.refusal,
                explain=tenant.explain,
                shadow=tenant.shadow,
                rate_limit_rpm=tenant.rate_limit_rpm,
                tolerance=tolerance,
                capture_content=tenant.capture_content,
                input_guards=inputs,
                output_guards=outputs,
                maskers=maskers,
                thresholds=overrides,
                # The tenant's input guards too: adding one must not reuse decisions made without it.
                decision_version=f"{guideline_set.version}:{tolerance.value}:{overrides_digest(overrides)}"
                f":{','.join(g.name for g in inputs)}",
            )
            self._policies[tenant.name] = policy
            self._by_digest.extend((digest, policy) for digest in tenant.api_keys)

    @property
    def auth_enabled(self) -> bool:
        return self._auth

    def authenticate_admin(self, api_key: str | None, master_digest: str | None) -> None:
        """Admin endpoints need the master key; without one configured they are closed."""
        if master_digest is None:
            raise AdminDisabled("Admin endpoints are disabled: set general_settings.master_key.")
        digest = hashlib.sha256((api_key or "").encode()).hexdigest()
        if not api_key or not secrets.compare_digest(digest, master_digest):
            raise AuthenticationFailed("This endpoint needs the master key.")

    def policies(self) -> Mapping[str, Policy]:
        return self._policies

    def authenticate(self, api_key: str | None) -> Policy:
        """The caller's policy; without configured tenants everyone is `default`."""
        if not self._auth:
            return self._policies[DEFAULT_TENANT]
        if not api_key:
            raise AuthenticationFailed("Missing API key. Pass it as 'Authorization: Bearer <key>'.")
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        found: Policy | None = None
        for known, policy in self._by_digest:
            if secrets.compare_digest(known, digest):
                found = policy
        if found is None:
            raise AuthenticationFailed("Incorrect API key provided.")
        return found
