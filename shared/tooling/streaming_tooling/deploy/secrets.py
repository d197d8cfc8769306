"""Which secrets provider a new stack gets, and the one sentence when it would have none.

Pulumi Cloud keeps a stack's secrets with the service; a self-managed backend (`s3://`,
`file://`, `gs://`, `azblob://`) cannot, so creating a stack there needs a secrets provider:
a KMS key (`awskms://alias/...`) or a passphrase. Without either, `pulumi stack init` prompts
for a passphrase, or fails when there is no terminal. The deploy sessions say so first.
"""

from __future__ import annotations

from collections.abc import Mapping

from streaming_shared.catalogue import LOCAL_STACK

SELF_MANAGED_SCHEMES = ("s3://", "file://", "gs://", "azblob://")
PASSPHRASE_VARIABLES = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


def secrets_provider_for(stack: str, requested: str | None) -> str | None:
    """The provider a new stack is created with: the requested one; `passphrase` for stack
    `local` (its throwaway passphrase); otherwise the backend's default."""
    if requested:
        return requested
    return "passphrase" if stack == LOCAL_STACK else None


def secrets_problem(
    stack: str, backend_url: str | None, requested: str | None, environment: Mapping[str, str]
) -> str | None:
    """Why stack `stack` cannot be created on `backend_url` as configured, or None."""
    if stack == LOCAL_STACK or requested or not (backend_url or "").startswith(SELF_MANAGED_SCHEMES):
        return None
    if any(environment.get(name) for name in PASSPHRASE_VARIABLES):
        return None
    return (
        f"Creating stack {stack!r} on the self-managed backend {backend_url} needs a secrets provider: pass "
        "--secrets-provider awskms://alias/<your-key> (or another provider URL), or set "
        "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE to use a passphrase."
    )
