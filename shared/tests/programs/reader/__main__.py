"""A consumer layer (compute's place in the catalogue) that reads the network layer."""

import pulumi
import pulumi_aws as aws

from streaming_shared.catalogue import COMPUTE
from streaming_shared.config import LayerSettings
from streaming_shared.upstream import Upstream


class ReaderSettings(LayerSettings):
    LAYER = COMPUTE


settings = ReaderSettings.load()
network = Upstream(settings, "network")
aws.sqs.Queue("after-the-check")
pulumi.export("subnets", network.require("private_subnet_ids"))
pulumi.export("subnet_count", len(network.known("private_subnet_ids")))
