"""The streaming pipeline's policy pack: `pulumi preview --policy-pack shared/policy_pack`.

The policies live in `streaming_tooling.guardrails.policies`, where the test suite also runs
them offline against every layer.
"""

from pulumi_policy import PolicyPack

from streaming_tooling.guardrails.policies import ENFORCEMENT, POLICIES, POLICY_CONFIG

PolicyPack(
    name="streaming-pipeline-guardrails",
    enforcement_level=ENFORCEMENT,
    policies=POLICIES,
    initial_config=POLICY_CONFIG,
)
