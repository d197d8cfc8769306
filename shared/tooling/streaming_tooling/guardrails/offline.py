"""Run the policies offline against a program run of the mock-engine harness.

The policy functions receive the real `pulumi_policy` argument types, built from the resolved
resources of a `ProgramRun`, so what passes here is what the policy pack sees in a preview
(minus values a real preview does not know yet).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..offline.program import ProgramRun, Resource
from .policies import POLICIES, POLICY_CONFIG


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: str
    """The resource's logical name; empty for a stack-level violation that names no resource."""
    message: str
    resource_type: str = ""

    def __str__(self) -> str:
        where = f"{self.resource_type} {self.resource!r}" if self.resource else "the stack"
        return f"policy {self.policy} on {where}: {self.message}"


def _options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )


def _provider(run: ProgramRun, resource: Resource) -> PolicyProviderResource | None:
    if resource.provider is None:
        return None
    provider = run.by_urn(resource.provider)
    return PolicyProviderResource(provider.type, provider.inputs, provider.urn, provider.name)


def policy_resources(run: ProgramRun) -> list[PolicyResource]:
    """The run's resources as the policy SDK's stack-level view: props, parents, dependencies."""
    built: dict[str, PolicyResource] = {}
    for resource in run.resources:
        built[resource.urn] = PolicyResource(
            resource_type=resource.type,
            props=resource.inputs,
            urn=resource.urn,
            name=resource.name,
            opts=_options(resource),
            provider=_provider(run, resource),
            parent=built.get(resource.parent or ""),
            dependencies=[built[urn] for urn in resource.dependencies if urn in built],
            property_dependencies={
                key: [built[urn] for urn in urns if urn in built]
                for key, urns in resource.property_dependencies.items()
            },
        )
    return list(built.values())


def evaluate(
    run: ProgramRun,
    policies: Iterable[ResourceValidationPolicy | StackValidationPolicy] = POLICIES,
    config: dict[str, dict[str, Any]] | None = None,
) -> list[Violation]:
    """Every violation of `policies` in `run`, as the policy pack would report them."""
    config = {**POLICY_CONFIG, **(config or {})}
    violations: list[Violation] = []
    resources = policy_resources(run)
    for policy in policies:

        def report(message: str, urn: str | None = None, policy_name: str = policy.name, default: str = "") -> None:
            where = urn or default
            type_token = where.split("::")[-2].rsplit("$", 1)[-1] if where.count("::") >= 3 else ""
            violations.append(Violation(policy_name, where.rsplit("::", 1)[-1] if where else "", message, type_token))

        if isinstance(policy, StackValidationPolicy):
            policy.validate(StackValidationArgs(resources, config.get(policy.name, {})), report)
            continue
        for resource in run.resources:
            args = ResourceValidationArgs(
                resource.type,
                resource.inputs,
                resource.urn,
                resource.name,
                _options(resource),
                _provider(run, resource),
                config.get(policy.name, {}),
            )
            policy.validate(args, functools.partial(report, default=resource.urn))
    return violations
