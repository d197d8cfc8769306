"""Policy violations a preview reports, so `up` never starts on a mandatory one.

Pulumi's `up` runs the policy packs as it goes: a mandatory violation stops it mid-update, after
earlier resources were created or changed. The deploy therefore previews each layer with the
same packs first; `mandatory_violations` reads the preview's engine events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pulumi.automation import EngineEvent

MANDATORY = "mandatory"


@dataclass(frozen=True)
class PolicyViolation:
    policy: str
    pack: str
    resource: str
    """The resource's URN type and name (`aws:s3/bucket:Bucket 'archive'`), or the stack."""
    message: str

    def __str__(self) -> str:
        return f"policy {self.policy} ({self.pack}) on {self.resource}: {self.message}"


def _resource(urn: str | None) -> str:
    if not urn:
        return "the stack"
    *_, type_path, name = urn.split("::")
    return f"{type_path.rsplit('$', 1)[-1]} {name!r}"


def mandatory_violations(events: Iterable[EngineEvent]) -> list[PolicyViolation]:
    """The mandatory violations among a preview's engine events, in the order reported."""
    found = []
    for event in events:
        policy = event.policy_event
        if policy is None or policy.enforcement_level != MANDATORY:
            continue
        first_line = next((line.strip() for line in policy.message.splitlines() if line.strip()), "")
        found.append(
            PolicyViolation(policy.policy_name, policy.policy_pack_name, _resource(policy.resource_urn), first_line)
        )
    return found
