"""Bad network configuration fails before any resource is registered, naming the key."""

from __future__ import annotations

import pytest

from streaming_shared.errors import ConfigError
from streaming_tooling.testing import ProgramFailed, run_layer

BAD_CONFIG = [
    pytest.param({"vpcCidr": "8.8.0.0/16"}, "dev", "streaming-network:vpcCidr", "RFC 1918", id="public-cidr"),
    pytest.param({"vpcCidr": "10.0.0.0/33"}, "dev", "streaming-network:vpcCidr", "IPv4 CIDR", id="malformed-cidr"),
    pytest.param(
        {"vpcCidr": "10.0.0.0/8"}, "dev", "streaming-network:vpcCidr", "/16 to /24", id="cidr-too-large-for-aws"
    ),
    pytest.param(
        {"vpcCidr": "10.0.0.0/24", "subnetPrefixLength": 25, "azCount": 3},
        "dev",
        "streaming-network:vpcCidr",
        "too small",
        id="cidr-too-small-for-subnets",
    ),
    pytest.param(
        {"vpcCidr": "10.0.0.0/24", "subnetPrefixLength": 20},
        "dev",
        "streaming-network:subnetPrefixLength",
        "larger than the VPC",
        id="subnet-larger-than-vpc",
    ),
    pytest.param({"azCount": 0}, "dev", "streaming-network:azCount", "greater than or equal to 1", id="zero-zones"),
    pytest.param(
        {"azCount": 4}, "dev", "streaming-network:azCount", "offers 3 availability zones", id="more-zones-than-region"
    ),
    pytest.param({"azCount": "two"}, "dev", "streaming-network:azCount", "valid integer", id="zones-not-a-number"),
    pytest.param(
        {"interfaceEndpoints": ["states", "kinesis"]},
        "dev",
        "streaming-network:interfaceEndpoints",
        "'kinesis' is not a known interface endpoint service",
        id="unknown-endpoint-service",
    ),
    pytest.param(
        {"interfaceEndpoints": ["s3"]},
        "dev",
        "streaming-network:interfaceEndpoints",
        "gateway endpoint",
        id="s3-as-interface",
    ),
    pytest.param({}, "Prod_EU", "stack name", "lowercase letters", id="stack-name-with-capitals"),
    pytest.param({}, "a-very-long-environment-name", "stack name", "1-16 characters", id="stack-name-too-long"),
    pytest.param({"azcount": 2}, "dev", "streaming-network:azcount", "is not a setting", id="misspelt-key"),
    pytest.param({"tags": {"Environment": "x"}}, "dev", "streaming-network:tags", "reserved", id="reserved-tag"),
    pytest.param({"org": "my org"}, "dev", "streaming-network:org", "organization name", id="bad-org"),
]


@pytest.mark.parametrize(("config", "stack", "key", "reason"), BAD_CONFIG)
def test_bad_config_fails_early_naming_the_key(config, stack, key, reason):
    with pytest.raises(ProgramFailed) as failure:
        run_layer("network", stack=stack, config=config)
    assert isinstance(failure.value.error, ConfigError)
    assert key in failure.value.error.keys
    assert reason in str(failure.value)
    assert failure.value.run.cloud_resources == []


def test_region_is_required():
    with pytest.raises(ProgramFailed) as failure:
        run_layer("network", config={"aws:region": ""}, region="")
    assert "aws:region" in str(failure.value)
